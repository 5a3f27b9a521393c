//! `journal`: each event's balanced double-entry postings, one row per leg.

use yika_domain::LedgerAccount;

use super::tables::JournalRecord;
use super::{Applied, Projector, Rows};
use crate::ProjectionError;

/// The journal.
pub struct Journal;

impl Projector for Journal {
    fn name(&self) -> &'static str {
        "journal"
    }
    fn tables(&self) -> &'static [&'static str] {
        &["journal"]
    }
    fn events(&self) -> Option<&'static [&'static str]> {
        Some(&[
            "DepositReceived",
            "ChargeDeducted",
            "DeductionReversed",
            "BalanceRefunded",
            "DischargeSettled",
            "ShiftOpened",
            "ShiftClosed",
            "CashHandedOver",
            "VarianceResolved",
            "PaymentsMatched",
            "PaymentUnmatched",
            "InsuranceRemittanceReceived",
        ])
    }
    fn fold(&self, rows: &mut Rows, applied: &Applied<'_>) -> Result<(), ProjectionError> {
        let legs = yika_domain::postings(applied.event);
        if legs.iter().map(|p| p.amount.fen()).sum::<i64>() != 0 {
            return Err(applied.corrupt("unbalanced postings"));
        }
        for (leg, posting) in legs.iter().enumerate() {
            let account = posting.account.to_string();
            let group =
                ledger_group(&posting.account).map_or_else(|| account.clone(), str::to_owned);
            rows.journal.push(JournalRecord {
                position: applied.position,
                leg: i64::try_from(leg).expect("few legs"),
                ledger_account: account,
                ledger_group: group,
                amount_fen: posting.amount.fen(),
                recorded_at: applied.at.clone(),
            });
        }
        Ok(())
    }
}

/// The control account a subledger rolls up into, for the trial balance.
fn ledger_group(account: &LedgerAccount) -> Option<&'static str> {
    match account {
        LedgerAccount::PatientPrepaid(_) => Some("patient-prepaid"),
        LedgerAccount::CashDrawer(_) => Some("cash-drawer"),
        LedgerAccount::CashOverShort(_) => Some("cash-over-short"),
        _ => None,
    }
}
