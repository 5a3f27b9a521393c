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
    .collect()
}

const TYPE_NAMES: [&str; 18] = [
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
            | Event::ShiftOpened { .. }
            | Event::ShiftClosed { .. }
            | Event::ReceiptVoided { .. }
            | Event::CashCounted { .. }
            | Event::CashHandedOver { .. }
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
            | Event::DischargeSettled { .. } => Some(SHIFT),
            _ => None,
        };
        assert_eq!(event.shift_id(), expected_shift, "{event:?}");
    }
}
