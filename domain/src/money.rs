//! Money: decimal yuan with at most two places (fen). Never a float.
//!
//! [`Money`] is any signed amount (a balance may be negative in arrears); [`Amount`] is what a
//! command accepts: strictly positive and at most [`Amount::MAX`]. Parsing is the only way in
//! from text, so a value of either type is valid by construction (parse, don't validate).

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

/// Why a text or number is not acceptable as money.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a decimal number at all ("12,5", "abc", "1e3", "").
    #[error("not a decimal amount: {0:?}")]
    NotADecimal(String),
    /// More than two decimal places ("1.005"); fen is the smallest unit.
    #[error("at most 2 decimal places are allowed (fen): {0:?}")]
    TooManyPlaces(String),
    /// Zero or negative where a positive amount is required.
    #[error("the amount must be greater than 0.00, got {0}")]
    NotPositive(Money),
    /// A negative amount where zero or more is required (a float, a count).
    #[error("the amount must not be negative, got {0}")]
    Negative(Money),
    /// Larger than any single amount the hospital handles.
    #[error("the amount {0} exceeds the limit of {max}", max = Amount::MAX)]
    TooLarge(Money),
    /// A total (what a drawer holds) larger than any the ledger keeps.
    #[error("the total {0} exceeds the largest the ledger keeps ({max})", max = Money::from_fen(Money::MAX_TOTAL_FEN))]
    TotalTooLarge(Money),
}

/// A signed amount of yuan, always held at scale 2.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Default for Money {
    fn default() -> Self {
        Money::ZERO
    }
}

impl Money {
    /// 0.00
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));

    /// The largest total the ledger keeps, in fen: a balance, a sum of deposits or deductions, a
    /// drawer's cash (10,000,000,000.00 yuan, a thousand times the largest single amount). The
    /// domain refuses a command that would take any running total beyond it, so every sum it
    /// writes into an event stays within what money input accepts.
    pub const MAX_TOTAL_FEN: i64 = Amount::MAX_FEN * 1_000;

    /// Money from an integer number of fen (1 yuan = 100 fen). This is how SQL stores it.
    #[must_use]
    pub fn from_fen(fen: i64) -> Money {
        Money(Decimal::new(fen, 2))
    }

    /// The amount in fen. Exact, because the scale is always 2; the bound keeps it in `i64`.
    #[must_use]
    pub fn fen(self) -> i64 {
        let mantissa = self.0.mantissa();
        assert_eq!(self.0.scale(), 2, "money is always held at scale 2");
        i64::try_from(mantissa).expect("money is bounded far below i64::MAX fen")
    }

    /// The decimal value.
    #[must_use]
    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    /// Money from a decimal with at most two places, within [`Money::MAX_TOTAL_FEN`].
    pub fn from_decimal(value: Decimal) -> Result<Money, MoneyError> {
        let money = Money::stored(value)?;
        if money.exceeds_total() {
            return Err(MoneyError::TooLarge(money));
        }
        Ok(money)
    }

    /// Money as it was written into an event: at most two places and a whole number of fen
    /// that fits in 64 bits. Reading back what the domain wrote never fails on its size.
    fn stored(value: Decimal) -> Result<Money, MoneyError> {
        if value.scale() > 2 {
            return Err(MoneyError::TooManyPlaces(value.to_string()));
        }
        let mut value = value;
        value.rescale(2);
        if i64::try_from(value.mantissa()).is_err() {
            return Err(MoneyError::TooLarge(Money(Decimal::new(i64::MAX, 2))));
        }
        Ok(Money(value))
    }

    /// True when beyond the largest total the ledger keeps (either sign).
    #[must_use]
    pub fn exceeds_total(self) -> bool {
        self.0.abs() > Decimal::new(Money::MAX_TOTAL_FEN, 2)
    }

    /// Parses text the way an event stores money: like [`Money::parse`], without the bound on
    /// totals (a stored event is read back whatever the domain wrote).
    fn parse_stored(text: &str) -> Result<Money, MoneyError> {
        let value = Money::decimal(text)?;
        Money::stored(value)
    }

    fn decimal(text: &str) -> Result<Decimal, MoneyError> {
        let trimmed = text.trim();
        let plain = !trimmed.is_empty()
            && trimmed
                .chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')));
        if !plain {
            return Err(MoneyError::NotADecimal(text.to_owned()));
        }
        let value =
            Decimal::from_str(trimmed).map_err(|_| MoneyError::NotADecimal(text.to_owned()))?;
        if value.scale() > 2 {
            return Err(MoneyError::TooManyPlaces(text.to_owned()));
        }
        Ok(value)
    }

    /// Parses "1234.5", "1234.50", "-3.00". Refuses more than two places, exponents, junk and
    /// anything beyond [`Money::MAX_TOTAL_FEN`].
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        Money::from_decimal(Money::decimal(text)?)
    }

    /// Zero or more, for a float or a counted drawer.
    pub fn non_negative(self) -> Result<Money, MoneyError> {
        if self.is_negative() {
            return Err(MoneyError::Negative(self));
        }
        if self.0 > Decimal::new(Amount::MAX_FEN, 2) {
            return Err(MoneyError::TooLarge(self));
        }
        Ok(self)
    }

    /// Zero or more, up to [`Money::MAX_TOTAL_FEN`]: for what a drawer holds (a count, a
    /// hand-over), which is a running total, not one payment. A drawer the ledger let fill past
    /// the largest single amount must still be counted, closed and handed over.
    pub fn non_negative_total(self) -> Result<Money, MoneyError> {
        if self.is_negative() {
            return Err(MoneyError::Negative(self));
        }
        if self.exceeds_total() {
            return Err(MoneyError::TotalTooLarge(self));
        }
        Ok(self)
    }

    /// True below 0.00.
    #[must_use]
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// True at exactly 0.00.
    #[must_use]
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// True above 0.00.
    #[must_use]
    pub fn is_positive(self) -> bool {
        !self.0.is_zero() && self.0.is_sign_positive()
    }

    /// The smaller of two amounts.
    #[must_use]
    pub fn min(self, other: Money) -> Money {
        if self <= other { self } else { other }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A negative zero never shows as "-0.00".
        if self.0.is_zero() {
            return f.write_str("0.00");
        }
        write!(f, "{:.2}", self.0)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let text = String::deserialize(deserializer)?;
        Money::parse_stored(&text).map_err(serde::de::Error::custom)
    }
}

/// A strictly positive amount of at most [`Amount::MAX`]: what a money command accepts.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(Money);

impl Amount {
    /// The largest single amount: 10,000,000.00 yuan, in fen.
    pub const MAX_FEN: i64 = 1_000_000_000;
    /// The largest single amount accepted by any command.
    pub const MAX: Money = Money(Decimal::from_parts(1_000_000_000, 0, 0, false, 2));

    /// Checks that money is a valid positive amount.
    pub fn new(money: Money) -> Result<Amount, MoneyError> {
        if !money.is_positive() {
            return Err(MoneyError::NotPositive(money));
        }
        if money > Amount::MAX {
            return Err(MoneyError::TooLarge(money));
        }
        Ok(Amount(money))
    }

    /// Parses a positive amount from text ("12.50").
    pub fn parse(text: &str) -> Result<Amount, MoneyError> {
        Amount::new(Money::parse(text)?)
    }

    /// A positive amount from fen (tests and generators).
    pub fn from_fen(fen: i64) -> Result<Amount, MoneyError> {
        Amount::new(Money::from_fen(fen))
    }

    /// The amount as (positive) money.
    #[must_use]
    pub fn money(self) -> Money {
        self.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({})", self.0)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Amount, D::Error> {
        Amount::new(Money::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_two_places() {
        assert_eq!(Money::parse("12.5").unwrap().to_string(), "12.50");
        assert_eq!(Money::parse("0").unwrap().to_string(), "0.00");
        assert_eq!(Money::parse("-3.01").unwrap().fen(), -301);
        assert_eq!(Money::from_fen(123_456).to_string(), "1234.56");
        assert_eq!(
            (Money::parse("0.10").unwrap() + Money::parse("0.20").unwrap()).to_string(),
            "0.30"
        );
    }

    #[test]
    fn refuses_bad_text() {
        assert!(matches!(
            Money::parse("1.005"),
            Err(MoneyError::TooManyPlaces(_))
        ));
        assert!(matches!(
            Money::parse("1.000"),
            Err(MoneyError::TooManyPlaces(_))
        ));
        assert!(matches!(
            Money::parse("1e3"),
            Err(MoneyError::NotADecimal(_))
        ));
        assert!(matches!(Money::parse(""), Err(MoneyError::NotADecimal(_))));
        assert!(matches!(
            Money::parse("NaN"),
            Err(MoneyError::NotADecimal(_))
        ));
        assert!(matches!(
            Money::parse("1,00"),
            Err(MoneyError::NotADecimal(_))
        ));
    }

    #[test]
    fn amounts_are_positive_and_bounded() {
        assert!(matches!(
            Amount::parse("0"),
            Err(MoneyError::NotPositive(_))
        ));
        assert!(matches!(
            Amount::parse("-1.00"),
            Err(MoneyError::NotPositive(_))
        ));
        assert!(matches!(
            Amount::parse("10000000.01"),
            Err(MoneyError::TooLarge(_))
        ));
        assert_eq!(Amount::parse("10000000.00").unwrap().money(), Amount::MAX);
        assert_eq!(Amount::parse("0.01").unwrap().money().fen(), 1);
    }

    #[test]
    fn negative_zero_prints_as_zero() {
        assert_eq!((-Money::ZERO).to_string(), "0.00");
        assert!(!(-Money::ZERO).is_negative());
    }

    #[test]
    fn a_stored_total_beyond_input_bounds_still_reads_back() {
        // Goal: decoding never fails on a sum the domain could have written; input stays bounded.
        let big = "\"10010000000.00\"";
        assert_eq!(
            serde_json::from_str::<Money>(big).unwrap().fen(),
            1_001_000_000_000
        );
        assert!(matches!(
            Money::parse("10010000000.00"),
            Err(MoneyError::TooLarge(_))
        ));
        assert!(serde_json::from_str::<Money>("\"99999999999999999999.00\"").is_err());
        assert!(!Money::from_fen(Money::MAX_TOTAL_FEN).exceeds_total());
        assert!(Money::from_fen(Money::MAX_TOTAL_FEN + 1).exceeds_total());
    }

    #[test]
    fn serde_round_trip_is_a_string() {
        let m = Money::parse("99.90").unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, "\"99.90\"");
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }
}
