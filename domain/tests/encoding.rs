//! Event encoding: the stored type name, schema version and payload turn back into the same event,
//! and anything the decoder does not know is refused rather than guessed.

mod common;

use common::*;
use yika_domain::{
    AccountKind, Event, InsuranceScheme, Money, PaymentMethod, ReversalReason, Role,
};

/// One event of every variant, with optional fields both set and unset.
fn one_of_each() -> Vec<Event> {
    vec![
        Event::StaffRegistered {
            staff_id: CASHIER,
            staff_no: "S-1".to_owned(),
            name: "王芳".to_owned(),
            role: Role::Cashier,
            department: None,
            token_sha256: chars('0', 64),
        },
        Event::StaffRegistered {
            staff_id: CASHIER,
            staff_no: "S-2".to_owned(),
            name: "李雷".to_owned(),
            role: Role::Department,
            department: Some("检验科".to_owned()),
            token_sha256: chars('e', 64),
        },
        Event::TokenIssued {
            staff_id: CASHIER,
            token_sha256: chars('a', 64),
            expires_at: Some("2027-01-01T00:00:00Z".parse().expect("a time")),
        },
        Event::TokenIssued {
            staff_id: CASHIER,
            token_sha256: chars('b', 64),
            expires_at: None,
        },
        Event::TokenRevoked { staff_id: CASHIER },
        Event::StaffDeactivated {
            staff_id: CASHIER,
            reason: "离职".to_owned(),
        },
        Event::CardAssigned {
            card_no: CARD_NO.to_owned(),
            account_id: ACCOUNT,
        },
        Event::CardReleased {
            card_no: CARD_NO.to_owned(),
            account_id: ACCOUNT,
        },
        Event::AccountOpened {
            account_id: ACCOUNT,
            kind: AccountKind::OutpatientCard,
            patient_id: PATIENT.to_owned(),
            card_no: CARD_NO.to_owned(),
            insurance_scheme: InsuranceScheme::OutOfArea,
        },
        Event::DepositReceived {
            account_id: ACCOUNT,
            amount: amount("0.01"),
            method: PaymentMethod::InsuranceAccount,
            shift_id: SHIFT,
            cashier_id: CASHIER,
            receipt_no: RECEIPT.to_owned(),
            external_ref: Some("INS-7".to_owned()),
        },
        deposited("10000000.00"),
        deducted(D1, "12.30", LAB),
        Event::ChargeDeducted {
            account_id: ACCOUNT,
            deduction_id: D2,
            amount: amount("5.00"),
            department: PHARMACY.to_owned(),
            order_id: ORDER.to_owned(),
            item_code: "DRUG-1".to_owned(),
            item_name: None,
            quantity: 10_000,
        },
        Event::DeductionReversed {
            account_id: ACCOUNT,
            deduction_id: D1,
            amount: amount("2.30"),
            department: LAB.to_owned(),
            reason: ReversalReason::ChargeError,
        },
        refunded("10.00"),
        closed(),
        Event::ShiftOpened {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            window: "W1".to_owned(),
            opening_float: Money::ZERO,
        },
        Event::ShiftOpened {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            window: "W1".to_owned(),
            opening_float: money("300.50"),
        },
        Event::ShiftClosed {
            expected_cash: None,
            shift_id: SHIFT,
            cashier_id: CASHIER,
            counted_cash: money("310.50"),
            counted_other: vec![
                (PaymentMethod::BankCard, money("0.00")),
                (PaymentMethod::Transfer, money("99.99")),
            ],
            receipts_used: 3,
        },
    ]
    .into_iter()
    .chain(shift_stream_events())
    .chain(closing_events())
    .collect()
}

const TYPE_NAMES: [&str; 28] = [
    "StaffRegistered",
    "CardAssigned",
    "CardReleased",
    "AccountOpened",
    "DepositReceived",
    "ChargeDeducted",
    "DeductionReversed",
    "BalanceRefunded",
    "AccountClosed",
    "ShiftOpened",
    "ShiftClosed",
    "ReceiptIssued",
    "ReceiptVoided",
    "CashCounted",
    "CashHandedOver",
    "DischargeSettled",
    "DifficultyCoefficientsSet",
    "QualityDeductionRecorded",
    "TokenIssued",
    "TokenRevoked",
    "StaffDeactivated",
    "HandOverDeclared",
    "VarianceResolved",
    "StatementImported",
    "PaymentsMatched",
    "PaymentUnmatched",
    "InsuranceRemittanceReceived",
    "DayClosed",
];

#[test]
fn it_round_trips_every_event_variant() {
    // Goal: decode(event_type, SCHEMA_VERSION, encode) gives back exactly the event.
    let events = one_of_each();
    assert_every_variant(&events);
    for event in events {
        let payload = event.encode();
        let decoded = Event::decode(event.event_type(), Event::SCHEMA_VERSION, &payload)
            .unwrap_or_else(|e| panic!("{} does not decode: {e}", event.event_type()));
        assert_eq!(decoded, event);
    }
}

#[test]
fn it_keeps_the_stable_type_names() {
    // Goal: each variant is stored under its fixed name; renaming one would orphan history.
    for event in one_of_each() {
        assert_eq!(event.event_type(), TYPE_NAMES[variant(&event)]);
    }
}

#[test]
fn it_stores_the_payload_without_the_type_name() {
    // Goal: the payload is the data object alone; the type name is stored beside it.
    for event in one_of_each() {
        let value: serde_json::Value =
            serde_json::from_str(&event.encode()).expect("payload is JSON");
        let object = value.as_object().expect("payload is an object");
        assert!(!object.contains_key("type"), "{}", event.event_type());
        assert!(!object.contains_key("data"), "{}", event.event_type());
    }
}

#[test]
fn it_writes_a_stable_payload_shape() {
    // Goal: field names, enum wire names and money as two-place strings are pinned for history.
    let event = Event::DepositReceived {
        account_id: ACCOUNT,
        amount: amount("12.5"),
        method: PaymentMethod::BankCard,
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: RECEIPT.to_owned(),
        external_ref: None,
    };
    let value: serde_json::Value = serde_json::from_str(&event.encode()).expect("payload is JSON");
    assert_eq!(
        value,
        serde_json::json!({
            "account_id": ACCOUNT.0.to_string(),
            "amount": "12.50",
            "method": "BANK_CARD",
            "shift_id": SHIFT.0.to_string(),
            "cashier_id": CASHIER.0.to_string(),
            "receipt_no": RECEIPT,
            "external_ref": null,
        })
    );
}

#[test]
fn it_refuses_an_unknown_schema_version() {
    // Goal: a version this code does not know is refused, not read as version 1.
    let event = deposited("1.00");
    let payload = event.encode();
    for version in [0, Event::SCHEMA_VERSION + 1, u16::MAX] {
        let error =
            Event::decode(event.event_type(), version, &payload).expect_err("unknown version");
        assert_eq!(error.schema_version, version);
        assert_eq!(error.event_type, "DepositReceived");
        assert_eq!(error.reason, "unknown schema version");
    }
}

#[test]
fn it_refuses_an_unknown_event_type() {
    // Goal: a type name that is not a variant (or differs in case) is refused.
    let payload = closed().encode();
    for name in ["AccountFrozen", "accountClosed", ""] {
        let error = Event::decode(name, Event::SCHEMA_VERSION, &payload).expect_err("unknown type");
        assert_eq!(error.event_type, name);
        assert_eq!(error.schema_version, Event::SCHEMA_VERSION);
        assert!(
            error.reason.contains(&format!("unknown variant `{name}`")),
            "the reason does not name the unknown type {name:?}: {}",
            error.reason
        );
    }
}

#[test]
fn it_refuses_a_payload_of_another_type() {
    // Goal: a payload stored under the wrong type name does not decode.
    let payload = refunded("1.00").encode();
    let error = Event::decode("ChargeDeducted", Event::SCHEMA_VERSION, &payload)
        .expect_err("a refund's payload is not a deduction");
    assert_eq!(error.event_type, "ChargeDeducted");
    assert_eq!(error.schema_version, Event::SCHEMA_VERSION);
    assert!(
        error.reason.contains("missing field `deduction_id`"),
        "the reason does not name the missing field: {}",
        error.reason
    );
}

#[test]
fn a_payload_is_one_json_value_and_cannot_reach_outside_its_data() {
    // Goal: decoding reads the payload inside a tagged envelope; a payload that is more than
    // one JSON value (that would close the data and add a second type or data) is refused, and
    // a type name with quotes in it is a name, not JSON.
    let payload = refunded("1.00").encode();
    for crafted in [
        format!("{payload}, \"type\": \"ChargeDeducted\""),
        format!("{payload}, \"data\": {payload}"),
        format!("{payload} {payload}"),
        format!("{payload}}}"),
    ] {
        Event::decode("BalanceRefunded", Event::SCHEMA_VERSION, &crafted)
            .expect_err("more than one JSON value is refused");
    }
    Event::decode(
        "BalanceRefunded\",\"x\":\"",
        Event::SCHEMA_VERSION,
        &payload,
    )
    .expect_err("a type name is taken as a string");
    assert_eq!(
        Event::decode(
            "BalanceRefunded",
            Event::SCHEMA_VERSION,
            &format!(" {payload}\n")
        )
        .expect("whitespace around one value is still one value"),
        refunded("1.00")
    );
}

#[test]
fn it_refuses_malformed_payloads_and_invalid_money() {
    // Goal: broken JSON, too many decimals, zero amounts and bad enum names are refused.
    let good: serde_json::Value = serde_json::from_str(&deposited("1.00").encode()).expect("JSON");
    let with = |field: &str, value: serde_json::Value| {
        let mut v = good.clone();
        v[field] = value;
        v.to_string()
    };
    // Each bad payload, with what the reason must name.
    let bad_payloads = [
        ("{not json".to_owned(), "key must be a string"),
        (
            with("amount", serde_json::json!("1.005")),
            "at most 2 decimal places",
        ),
        (
            with("amount", serde_json::json!("0.00")),
            "must be greater than 0.00, got 0.00",
        ),
        (
            with("amount", serde_json::json!("-1.00")),
            "must be greater than 0.00, got -1.00",
        ),
        (
            with("amount", serde_json::json!(1.5)),
            "invalid type: floating point `1.5`",
        ),
        (
            with("method", serde_json::json!("CHEQUE")),
            "unknown variant `CHEQUE`",
        ),
        (
            with("account_id", serde_json::json!("not-a-uuid")),
            "UUID parsing failed",
        ),
    ];
    for (payload, problem) in bad_payloads {
        let error = Event::decode("DepositReceived", Event::SCHEMA_VERSION, &payload)
            .expect_err(&format!("decoded a bad payload: {payload}"));
        assert_eq!(error.event_type, "DepositReceived");
        assert_eq!(error.schema_version, Event::SCHEMA_VERSION);
        assert!(
            error.reason.contains(problem),
            "the reason for {payload} does not say {problem:?}: {}",
            error.reason
        );
    }
    let good_again = with("amount", serde_json::json!("1.00"));
    assert_eq!(
        Event::decode("DepositReceived", Event::SCHEMA_VERSION, &good_again).expect("valid"),
        deposited("1.00")
    );
}

#[test]
fn it_names_the_account_and_shift_of_each_event() {
    // Goal: account_id() and shift_id() pick the right ids, and None where an event has none.
    for event in one_of_each() {
        let expected_account = match event {
            Event::StaffRegistered { .. }
            | Event::TokenIssued { .. }
            | Event::TokenRevoked { .. }
            | Event::StaffDeactivated { .. }
            | Event::ShiftOpened { .. }
            | Event::ShiftClosed { .. }
            | Event::ReceiptVoided { .. }
            | Event::CashCounted { .. }
            | Event::CashHandedOver { .. }
            | Event::HandOverDeclared { .. }
            | Event::VarianceResolved { .. }
            | Event::StatementImported { .. }
            | Event::PaymentsMatched { .. }
            | Event::PaymentUnmatched { .. }
            | Event::InsuranceRemittanceReceived { .. }
            | Event::DayClosed { .. }
            | Event::DifficultyCoefficientsSet { .. }
            | Event::QualityDeductionRecorded { .. } => None,
            _ => Some(ACCOUNT),
        };
        assert_eq!(event.account_id(), expected_account, "{event:?}");
        let expected_shift = match event {
            Event::DepositReceived { .. }
            | Event::BalanceRefunded { .. }
            | Event::ShiftOpened { .. }
            | Event::ShiftClosed { .. }
            | Event::ReceiptIssued { .. }
            | Event::ReceiptVoided { .. }
            | Event::CashCounted { .. }
            | Event::CashHandedOver { .. }
            | Event::HandOverDeclared { .. }
            | Event::VarianceResolved { .. }
            | Event::DischargeSettled { .. } => Some(SHIFT),
            _ => None,
        };
        assert_eq!(event.shift_id(), expected_shift, "{event:?}");
    }
}

// Fuzzing the decoder (proptest: no nightly toolchain for cargo-fuzz here). Whatever bytes sit in
// a log, decoding answers Ok or Err and never panics; what decodes encodes back to itself.
mod fuzz {
    use proptest::prelude::*;
    use yika_domain::Event;

    fn type_names() -> Vec<&'static str> {
        super::one_of_each().iter().map(Event::event_type).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        #[test]
        fn any_payload_decodes_or_is_refused(
            which in 0usize..64,
            version in prop_oneof![Just(Event::SCHEMA_VERSION), any::<u16>()],
            payload in ".{0,200}",
        ) {
            let names = type_names();
            let name = names[which % names.len()];
            if let Ok(event) = Event::decode(name, version, &payload) {
                prop_assert_eq!(Event::decode(name, version, &event.encode()).ok(), Some(event));
            }
        }

        #[test]
        fn a_damaged_stored_payload_decodes_or_is_refused(
            which in 0usize..64,
            cuts in proptest::collection::vec((0usize..400, any::<char>()), 1..6),
        ) {
            let events = super::one_of_each();
            let event = &events[which % events.len()];
            let mut payload: Vec<char> = event.encode().chars().collect();
            for (at, replacement) in cuts {
                if !payload.is_empty() {
                    let at = at % payload.len();
                    payload[at] = replacement;
                }
            }
            let payload: String = payload.into_iter().collect();
            if let Ok(decoded) = Event::decode(event.event_type(), Event::SCHEMA_VERSION, &payload) {
                let again = Event::decode(decoded.event_type(), Event::SCHEMA_VERSION, &decoded.encode());
                prop_assert_eq!(again.ok(), Some(decoded));
            }
        }

        #[test]
        fn money_fields_of_any_size_decode_or_are_refused(
            which in 0usize..64,
            digits in "-?[0-9]{1,30}(\\.[0-9]{0,6})?",
        ) {
            // Every money field of a stored payload replaced by an arbitrary decimal.
            let events = super::one_of_each();
            let event = &events[which % events.len()];
            let mut value: serde_json::Value = serde_json::from_str(&event.encode()).expect("JSON");
            if let Some(object) = value.as_object_mut() {
                for field in object.values_mut() {
                    if field.as_str().is_some_and(|s| s.contains('.') && s.parse::<f64>().is_ok()) {
                        *field = serde_json::Value::String(digits.clone());
                    }
                }
            }
            let _ = Event::decode(event.event_type(), Event::SCHEMA_VERSION, &value.to_string());
        }
    }
}
