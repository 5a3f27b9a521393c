//! The contract's scalars and enums, and their mapping to domain types.

use async_graphql::{Enum, InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, NaiveDate, Utc};
use yika_domain::Money;

use crate::error::ApiError;

/// The first day a `Date` input may name.
pub const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a day");
/// The last day a `Date` input may name. The ledger's times are stored as fixed-width RFC 3339
/// text (years 0000 to 9999); inputs are held well inside that so that no question about a time
/// can reach a year where text order and time order part, or overflow a calendar computation.
pub const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2099, 12, 31).expect("a day");

/// Refuses an instant outside the days a `Date` may name (VALIDATION), naming the argument.
pub fn check_instant(name: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    let first = FIRST_DAY.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let last = (LAST_DAY + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    if at < first || at > last {
        return Err(ApiError::Validation(format!(
            "{name} must lie between {FIRST_DAY} and {LAST_DAY}, got {at}"
        )));
    }
    Ok(at)
}

/// `Money`: a decimal string with at most 2 places ("1234.50"). Integers are accepted as input;
/// fractional JSON numbers are refused, because a float cannot carry money exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoneyScalar(pub Money);

/// Money in yuan: a decimal string with at most two places ("1234.50"; answers always carry two).
/// An integer is accepted as input; a JSON number with a fraction is refused (a float cannot
/// carry money exactly). In SQL it is integer fen, in code rust_decimal.
#[Scalar(name = "Money")]
impl ScalarType for MoneyScalar {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Money::parse(text)
                .map(MoneyScalar)
                .map_err(|e| InputValueError::custom(e.to_string())),
            Value::Number(number) if number.is_i64() => Money::parse(&number.to_string())
                .map(MoneyScalar)
                .map_err(|e| InputValueError::custom(e.to_string())),
            Value::Number(_) => Err(InputValueError::custom(
                "Money must be a decimal string such as \"12.50\", not a float",
            )),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

impl From<Money> for MoneyScalar {
    fn from(money: Money) -> Self {
        MoneyScalar(money)
    }
}

/// `Date`: a calendar day, "2026-11-22", from 2000-01-01 through 2099-12-31.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateScalar(pub NaiveDate);

/// A calendar day in the hospital's time zone, "2026-11-22", from 2000-01-01 through
/// 2099-12-31.
#[Scalar(name = "Date")]
impl ScalarType for DateScalar {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => {
                let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                    InputValueError::custom(format!("a Date is YYYY-MM-DD, got {text:?}"))
                })?;
                if !(FIRST_DAY..=LAST_DAY).contains(&day) {
                    return Err(InputValueError::custom(format!(
                        "a Date lies between {FIRST_DAY} and {LAST_DAY}, got {text:?}"
                    )));
                }
                Ok(DateScalar(day))
            }
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

macro_rules! mirror_enum {
    ($(#[$doc:meta])* $name:ident => $domain:path { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                match value { $($name::$variant => <$domain>::$variant),+ }
            }
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                match value { $(<$domain>::$variant => $name::$variant),+ }
            }
        }
    };
}

mirror_enum!(
    /// A staff member's one role.
    Role => yika_domain::Role { Cashier, Department, Controller, Auditor, Supervisor, Admin }
);
mirror_enum!(
    /// Outpatient card or inpatient deposit account.
    AccountKind => yika_domain::AccountKind { OutpatientCard, InpatientDeposit }
);
mirror_enum!(
    /// How money came in or went out.
    PaymentMethod => yika_domain::PaymentMethod { Cash, BankCard, Wechat, Alipay, InsuranceAccount, Transfer }
);
mirror_enum!(
    /// The insurance scheme.
    InsuranceScheme => yika_domain::InsuranceScheme { SelfPay, EmployeeBasic, ResidentBasic, RuralCooperative, OutOfArea }
);
mirror_enum!(
    /// Which way money went: IN, the payer paid the hospital; OUT, the hospital paid back.
    Direction => yika_domain::Direction { In, Out }
);
mirror_enum!(
    /// How a shift's cash variance was resolved.
    VarianceResolution => yika_domain::VarianceResolution { CashierRepays, WrittenOff, Found }
);
mirror_enum!(
    /// How a statement line was matched to a ledger movement.
    MatchRule => yika_domain::MatchRule { Reference, AmountAndTime, ByHand }
);
mirror_enum!(
    /// Why a deduction is reversed.
    ReversalReason => yika_domain::ReversalReason { DrugReturn, ExamCancelled, ChargeError }
);

/// Open or closed.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountStatus {
    /// Takes money.
    Open,
    /// Closed at zero; takes nothing more.
    Closed,
}

/// A shift's state.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShiftStatus {
    /// Being worked.
    Open,
    /// Closed with a blind count.
    Closed,
    /// Cash handed over to finance.
    HandedOver,
}
