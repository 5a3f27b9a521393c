//! Given/when/then for the acts of an executing department (`yika_domain::execution`): "whoever
//! executes, deducts" (谁执行谁扣缴). Only a DEPARTMENT deducts, only for itself, and only the
//! department that deducted gives (part of) a deduction back.
//!
//! Given: the account's stream. When: a department member's act. Then: the exact event, or the
//! exact refusal.

mod common;

use common::*;
use uuid::Uuid;
use yika_domain::execution::{self, Executed};
use yika_domain::{
    Account, Actor, Aggregate, DeductionId, DomainError, Event, ReversalReason, Role, StaffId,
};

fn department_member(n: u128, department: Option<&str>) -> Actor {
    Actor {
        staff_id: StaffId(Uuid::from_u128(0xde9_0000 + n)),
        staff_no: format!("D-{n}"),
        role: Role::Department,
        department: department.map(str::to_owned),
    }
}

/// A member of the laboratory.
fn lab() -> Actor {
    department_member(1, Some(LAB))
}

/// A member of the pharmacy.
fn pharmacy() -> Actor {
    department_member(2, Some(PHARMACY))
}

/// One staff member of every role but DEPARTMENT.
fn everyone_but_a_department() -> Vec<Actor> {
    Role::ALL
        .into_iter()
        .zip(1_u128..)
        .filter(|(role, _)| *role != Role::Department)
        .map(|(role, n)| Actor {
            staff_id: StaffId(Uuid::from_u128(0x0e_0000 + n)),
            staff_no: format!("X-{n}"),
            role,
            department: None,
        })
        .collect()
}

/// What `department` executed for deduction `id`, priced `text` (the order and item of
/// [`deducted`]).
fn executed(id: DeductionId, text: &str, department: &str) -> Executed {
    Executed {
        deduction_id: id,
        amount: amount(text),
        department: department.to_owned(),
        order_id: order_of(id),
        item_code: ITEM_CODE.to_owned(),
        item_name: Some(ITEM_NAME.to_owned()),
        quantity: 1,
    }
}

fn account(events: &[Event]) -> Account {
    Account::from_events(events)
}

/// An outpatient card with 100.00 deposited and 30.00 deducted by the laboratory (D1).
fn charged_card() -> Account {
    account(&[
        outpatient(),
        deposited("100.00"),
        deducted(D1, "30.00", LAB),
    ])
}

/// `actor` reverses `text` of deduction `id` on `account`.
fn reverse(
    actor: &Actor,
    account: &Account,
    id: DeductionId,
    text: &str,
) -> Result<Event, DomainError> {
    execution::reverse(
        actor,
        Some(account),
        id,
        amount(text),
        ReversalReason::DrugReturn,
    )
}

// ----- deduct -----

#[test]
fn a_department_deducts_what_it_executed() {
    // Goal: the laboratory charges the card for the test it performed.
    let card = account(&[outpatient(), deposited("100.00")]);
    assert_eq!(
        execution::deduct(&lab(), &card, &executed(D1, "30.00", LAB)),
        Ok(deducted(D1, "30.00", LAB))
    );
}

#[test]
fn only_a_department_deducts() {
    // Goal: every other role, a cashier included, is RoleRequired(DEPARTMENT).
    let card = account(&[outpatient(), deposited("100.00")]);
    for actor in everyone_but_a_department() {
        assert_eq!(
            execution::deduct(&actor, &card, &executed(D1, "30.00", LAB)),
            Err(DomainError::RoleRequired(Role::Department)),
            "{:?} deducted",
            actor.role
        );
    }
}

#[test]
fn a_department_deducts_only_for_itself() {
    // Goal: the pharmacy cannot charge for what the laboratory executed.
    let card = account(&[outpatient(), deposited("100.00")]);
    assert_eq!(
        execution::deduct(&pharmacy(), &card, &executed(D1, "30.00", LAB)),
        Err(DomainError::ForAnotherDepartment)
    );
}

#[test]
fn a_department_member_without_a_department_deducts_for_none() {
    // Goal: a DEPARTMENT actor that names no department is never the executing department.
    let card = account(&[outpatient(), deposited("100.00")]);
    assert_eq!(
        execution::deduct(
            &department_member(3, None),
            &card,
            &executed(D1, "30.00", LAB)
        ),
        Err(DomainError::ForAnotherDepartment)
    );
}

#[test]
fn the_executing_department_is_compared_without_surrounding_blanks() {
    // Goal: " Lab " is the laboratory: it deducts, and the event names "Lab".
    let card = account(&[outpatient(), deposited("100.00")]);
    assert_eq!(
        execution::deduct(&lab(), &card, &executed(D1, "30.00", " Lab ")),
        Ok(deducted(D1, "30.00", LAB))
    );
}

#[test]
fn the_department_is_checked_before_the_account() {
    // Goal: another department's deduction from an empty card is ForAnotherDepartment, not
    // InsufficientBalance; from an account that does not exist, not AccountNotFound.
    let empty = account(&[outpatient()]);
    assert_eq!(
        execution::deduct(&pharmacy(), &empty, &executed(D1, "30.00", LAB)),
        Err(DomainError::ForAnotherDepartment)
    );
    assert_eq!(
        execution::deduct(
            &pharmacy(),
            &Account::default(),
            &executed(D1, "30.00", LAB)
        ),
        Err(DomainError::ForAnotherDepartment)
    );
}

#[test]
fn a_department_s_deduction_keeps_the_account_s_rules() {
    // Goal: the department's own deduction is still refused beyond a card's balance
    // (invariant 1) and for an order already deducted (invariant 2).
    assert_eq!(
        execution::deduct(&lab(), &charged_card(), &executed(D2, "70.01", LAB)),
        Err(DomainError::InsufficientBalance {
            balance: money("70.00"),
            requested: money("70.01"),
        })
    );
    let same_order = Executed {
        deduction_id: D2,
        ..executed(D1, "1.00", LAB)
    };
    assert_eq!(
        execution::deduct(&lab(), &charged_card(), &same_order),
        Err(DomainError::OrderAlreadyDeducted(ORDER.to_owned()))
    );
}

// ----- reverse -----

#[test]
fn a_department_reverses_its_own_deduction() {
    // Goal: the laboratory gives back part of its deduction, in its own name.
    assert_eq!(
        reverse(&lab(), &charged_card(), D1, "10.00"),
        Ok(reversed(D1, "10.00", LAB))
    );
}

#[test]
fn only_a_department_reverses() {
    // Goal: every other role, a cashier included, is RoleRequired(DEPARTMENT).
    for actor in everyone_but_a_department() {
        assert_eq!(
            reverse(&actor, &charged_card(), D1, "10.00"),
            Err(DomainError::RoleRequired(Role::Department)),
            "{:?} reversed",
            actor.role
        );
    }
}

#[test]
fn another_department_cannot_reverse_a_deduction() {
    // Goal: invariant 3: the reversal is made in the acting department's name, so the pharmacy
    // reversing the laboratory's deduction is ReversalByOtherDepartment naming the laboratory.
    assert_eq!(
        reverse(&pharmacy(), &charged_card(), D1, "10.00"),
        Err(DomainError::ReversalByOtherDepartment {
            deducted_by: LAB.to_owned(),
        })
    );
}

#[test]
fn a_reversal_never_exceeds_what_remains_of_the_deduction() {
    // Goal: invariant 3: 30.01 of a 30.00 deduction is refused; all 30.00 is given back.
    assert_eq!(
        reverse(&lab(), &charged_card(), D1, "30.01"),
        Err(DomainError::ReversalExceedsRemaining {
            remaining: money("30.00"),
            requested: money("30.01"),
        })
    );
    assert_eq!(
        reverse(&lab(), &charged_card(), D1, "30.00"),
        Ok(reversed(D1, "30.00", LAB))
    );
}

#[test]
fn a_reversal_names_a_deduction_of_the_account() {
    // Goal: a deduction that is not on the account is DeductionNotFound.
    assert_eq!(
        reverse(&lab(), &charged_card(), UNKNOWN_DEDUCTION, "1.00"),
        Err(DomainError::DeductionNotFound(UNKNOWN_DEDUCTION))
    );
}

#[test]
fn a_reversal_of_a_deduction_id_recorded_on_no_account_is_deduction_not_found() {
    // Goal: when no account holds the deduction (the application found none), the reversal is
    // DeductionNotFound naming it.
    assert_eq!(
        execution::reverse(
            &lab(),
            None,
            UNKNOWN_DEDUCTION,
            amount("1.00"),
            ReversalReason::DrugReturn
        ),
        Err(DomainError::DeductionNotFound(UNKNOWN_DEDUCTION))
    );
}

#[test]
fn the_role_is_checked_before_the_deduction_is_looked_up() {
    // Goal: a non-DEPARTMENT actor is RoleRequired(DEPARTMENT) even for a deduction on no
    // account, so the refusal does not tell strangers which deduction ids exist.
    for actor in everyone_but_a_department() {
        assert_eq!(
            execution::reverse(
                &actor,
                None,
                UNKNOWN_DEDUCTION,
                amount("1.00"),
                ReversalReason::DrugReturn
            ),
            Err(DomainError::RoleRequired(Role::Department)),
            "{:?} reversed",
            actor.role
        );
    }
}
