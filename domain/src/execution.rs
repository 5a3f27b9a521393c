//! Acts of an executing department (执行科室): "whoever executes, deducts" (谁执行谁扣缴). A
//! department charges an account for a service it performed, once per executing order, and
//! only it gives (part of) that charge back on a drug return or a cancelled exam.

use crate::account::{Account, AccountCommand};
use crate::actor::Actor;
use crate::aggregate::{Aggregate, single};
use crate::ids::DeductionId;
use crate::money::Amount;
use crate::{DomainError, Event, ReversalReason, Role};

/// A service executed by a department, to be charged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    /// The deduction's id, chosen by the caller (it is the id of its event).
    pub deduction_id: DeductionId,
    /// The price.
    pub amount: Amount,
    /// The executing department, which must be the actor's own.
    pub department: String,
    /// The executing order: charged at most once (invariant 2).
    pub order_id: String,
    /// The service or drug.
    pub item_code: String,
    /// Its name, when the terminal sends one.
    pub item_name: Option<String>,
    /// How many, 1 to 10,000.
    pub quantity: i64,
}

/// A department charges an account for what it executed itself.
pub fn deduct(actor: &Actor, account: &Account, executed: &Executed) -> Result<Event, DomainError> {
    actor.require_department(&executed.department)?;
    Ok(single(account.decide(&AccountCommand::Deduct {
        deduction_id: executed.deduction_id,
        amount: executed.amount,
        department: executed.department.clone(),
        order_id: executed.order_id.clone(),
        item_code: executed.item_code.clone(),
        item_name: executed.item_name.clone(),
        quantity: executed.quantity,
    })?))
}

/// The department that deducted gives back (part of) a deduction (invariant 3). `account` is
/// the account the deduction was recorded on; `None` when no deduction has this id.
pub fn reverse(
    actor: &Actor,
    account: Option<&Account>,
    deduction_id: DeductionId,
    amount: Amount,
    reason: ReversalReason,
) -> Result<Event, DomainError> {
    actor.require(Role::Department)?;
    let account = account.ok_or(DomainError::DeductionNotFound(deduction_id))?;
    Ok(single(account.decide(&AccountCommand::Reverse {
        deduction_id,
        amount,
        department: actor.department.clone().unwrap_or_default(),
        reason,
    })?))
}
