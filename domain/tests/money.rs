//! Money at the edges the aggregates rely on: exact fen, the zero value and the bounds.

mod common;

use common::*;
use yika_domain::{Account, Aggregate, Amount, Money, MoneyError};

#[test]
fn it_converts_fen_both_ways_exactly() {
    // Goal: from_fen and fen are inverse, from one fen up to far beyond the single-amount limit.
    for fen in [
        0,
        1,
        -1,
        99,
        100,
        -15_050,
        Amount::MAX_FEN,
        -Amount::MAX_FEN,
        Amount::MAX_FEN * 1_000,
    ] {
        assert_eq!(Money::from_fen(fen).fen(), fen);
    }
    assert_eq!(Money::ZERO.fen(), 0);
    assert_eq!(money("0.10") + money("0.20"), Money::from_fen(30));
}

#[test]
fn it_sums_any_number_of_amounts_without_drift() {
    // Goal: a thousand 0.01 deposits are exactly 10.00, as decimals and as fen.
    let total: Money = std::iter::repeat_n(money("0.01"), 1_000).sum();
    assert_eq!(total, money("10.00"));
    assert_eq!(total.fen(), 1_000);
    assert_eq!(total.to_string(), "10.00");
}

#[test]
fn it_accepts_floats_and_counts_from_zero_up_to_the_limit() {
    // Goal: non_negative takes 0.00 ..= 10,000,000.00 and refuses below and above.
    assert_eq!(Money::ZERO.non_negative(), Ok(Money::ZERO));
    assert_eq!(Amount::MAX.non_negative(), Ok(Amount::MAX));
    assert_eq!((-Money::ZERO).non_negative(), Ok(Money::ZERO));
    assert_eq!(
        money("-0.01").non_negative(),
        Err(MoneyError::Negative(money("-0.01")))
    );
    assert_eq!(
        money("10000000.01").non_negative(),
        Err(MoneyError::TooLarge(money("10000000.01")))
    );
}

#[test]
fn it_compares_the_default_money_to_zero_by_value() {
    // Goal: an untouched total equals 0.00 and prints as 0.00.
    assert_eq!(Money::default(), Money::ZERO);
    assert!(Money::default().is_zero());
    assert_eq!(Money::default().to_string(), "0.00");
}

#[test]
fn it_holds_the_default_money_at_scale_two() {
    // Goal: every Money, including an untouched total of a new account, converts to fen.
    assert_eq!(Money::default().fen(), 0);
    let account = Account::from_events(&[outpatient()]);
    assert_eq!(account.balance.fen(), 0);
    assert_eq!(account.deducted.fen(), 0);
}

// Fuzzing money parsing (proptest): any text parses or is refused, never panics; what parses has
// at most two places, stays within the largest total, and prints back to itself.
mod fuzz {
    use proptest::prelude::*;
    use yika_domain::{Amount, Money};

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5_000, ..ProptestConfig::default() })]

        #[test]
        fn any_text_parses_or_is_refused(text in ".{0,40}") {
            if let Ok(money) = Money::parse(&text) {
                prop_assert!(!money.exceeds_total());
                prop_assert_eq!(Money::parse(&money.to_string()), Ok(money));
                let _ = Amount::new(money);
            }
        }

        #[test]
        fn decimals_of_any_size_parse_exactly_or_are_refused(
            digits in "-?[0-9]{1,28}(\\.[0-9]{0,5})?",
        ) {
            match Money::parse(&digits) {
                Ok(money) => {
                    let exact: rust_decimal::Decimal = digits.parse().expect("a decimal");
                    prop_assert_eq!(money.to_string().parse::<rust_decimal::Decimal>().ok(), Some(exact));
                    prop_assert!(!money.exceeds_total());
                }
                Err(_) => {
                    let places = digits.split('.').nth(1).map_or(0, str::len);
                    let big = digits.parse::<rust_decimal::Decimal>().map_or(true, |d| {
                        d.abs() > rust_decimal::Decimal::new(Money::MAX_TOTAL_FEN, 2)
                    });
                    prop_assert!(places > 2 || big, "{digits} was refused");
                }
            }
        }

        #[test]
        fn fen_of_any_size_read_back_from_storage(fen in any::<i64>()) {
            // Stored money is read back whatever its size (the views keep integer fen).
            let money = Money::from_fen(fen);
            prop_assert_eq!(money.fen(), fen);
        }
    }
}
