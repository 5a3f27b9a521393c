//! `accounts`: one row per account with its running sums (the balances view).

use yika_domain::Event;

use super::tables::AccountRecord;
use super::{Applied, Keys, Projector, Rows, enum_text};
use crate::ProjectionError;

/// The balances view.
pub struct Balances;

impl Projector for Balances {
    fn name(&self) -> &'static str {
        "balances"
    }
    fn tables(&self) -> &'static [&'static str] {
        &["accounts"]
    }
    fn events(&self) -> Option<&'static [&'static str]> {
        Some(&[
            "AccountOpened",
            "DepositReceived",
            "ChargeDeducted",
            "DeductionReversed",
            "BalanceRefunded",
            "DischargeSettled",
            "AccountClosed",
        ])
    }
    fn needs(&self, applied: &Applied<'_>, keys: &mut Keys) {
        if !matches!(applied.event, Event::AccountOpened { .. })
            && let Some(account) = applied.event.account_id()
        {
            keys.accounts.insert(account.to_string());
        }
    }
    fn fold(&self, rows: &mut Rows, applied: &Applied<'_>) -> Result<(), ProjectionError> {
        let revision = i64::try_from(applied.recorded.revision).expect("revisions fit in i64");
        // (deposited, deducted, reversed, refunded, settlement effect) in fen.
        let (account_id, [deposited, deducted, reversed, refunded, settled]) = match applied.event {
            Event::AccountOpened {
                account_id,
                kind,
                patient_id,
                card_no,
                insurance_scheme,
            } => {
                rows.accounts.insert(
                    account_id.to_string(),
                    AccountRecord {
                        account_id: account_id.to_string(),
                        kind: enum_text(kind),
                        status: "OPEN".to_owned(),
                        patient_id: patient_id.clone(),
                        card_no: card_no.clone(),
                        insurance_scheme: enum_text(insurance_scheme),
                        balance_fen: 0,
                        deposited_fen: 0,
                        deducted_fen: 0,
                        reversed_fen: 0,
                        refunded_fen: 0,
                        opened_at: applied.at.clone(),
                        last_activity_at: Some(applied.at.clone()),
                        revision,
                        opened_position: applied.position,
                    },
                );
                return Ok(());
            }
            Event::DepositReceived {
                account_id, amount, ..
            } => (account_id, [amount.money().fen(), 0, 0, 0, 0]),
            Event::ChargeDeducted {
                account_id, amount, ..
            } => (account_id, [0, amount.money().fen(), 0, 0, 0]),
            Event::DeductionReversed {
                account_id, amount, ..
            } => (account_id, [0, 0, amount.money().fen(), 0, 0]),
            Event::BalanceRefunded {
                account_id, amount, ..
            } => (account_id, [0, 0, 0, amount.money().fen(), 0]),
            Event::DischargeSettled {
                account_id,
                insurance_pays,
                patient_pays,
                patient_receives,
                ..
            } => (
                account_id,
                [
                    0,
                    0,
                    0,
                    0,
                    (*insurance_pays + *patient_pays - *patient_receives).fen(),
                ],
            ),
            Event::AccountClosed { account_id, .. } => (account_id, [0; 5]),
            _ => return Ok(()),
        };
        let row = rows
            .accounts
            .get_mut(&account_id.to_string())
            .ok_or_else(|| applied.corrupt("unknown account"))?;
        row.deposited_fen += deposited;
        row.deducted_fen += deducted;
        row.reversed_fen += reversed;
        row.refunded_fen += refunded;
        row.balance_fen += deposited - deducted + reversed - refunded + settled;
        if matches!(applied.event, Event::AccountClosed { .. }) {
            "CLOSED".clone_into(&mut row.status);
        }
        row.last_activity_at = Some(applied.at.clone());
        row.revision = revision;
        Ok(())
    }
}
