//! Given/when/then specifications of the account aggregate: every rule and every refusal.

mod common;

use common::*;
use yika_domain::testing::given;
use yika_domain::{
    Account, AccountCommand, AccountKind, DomainError, Event, InsuranceScheme, MoneyError,
    PaymentMethod,
};

const KINDS: [AccountKind; 2] = [AccountKind::OutpatientCard, AccountKind::InpatientDeposit];

// ----- open -----

#[test]
fn it_opens_an_outpatient_card_and_an_inpatient_deposit_account() {
    // Goal: opening records AccountOpened with the kind, and the new account starts at 0.00.
    for kind in KINDS {
        let state = given::<Account>([]).when(open(kind)).then([opened(kind)]);
        let account = state.opened.as_ref().expect("the account is open");
        assert_eq!(account.account_id, ACCOUNT);
        assert_eq!(account.kind, kind);
        assert_eq!(account.card_no, CARD_NO);
        assert!(!account.closed);
        assert!(state.balance.is_zero());
        assert!(!state.in_arrears());
    }
}

#[test]
fn it_trims_the_patient_id_and_card_number_on_open() {
    // Goal: surrounding blanks are not part of the stored identifiers.
    let command = AccountCommand::Open {
        account_id: ACCOUNT,
        kind: AccountKind::OutpatientCard,
        patient_id: format!("  {PATIENT}\t"),
        card_no: format!(" {CARD_NO} "),
        insurance_scheme: InsuranceScheme::SelfPay,
    };
    given::<Account>([]).when(command).then([outpatient()]);
}

#[test]
fn it_records_the_insurance_scheme_on_open() {
    // Goal: the scheme chosen at opening is kept in the event.
    let command = AccountCommand::Open {
        account_id: ACCOUNT,
        kind: AccountKind::InpatientDeposit,
        patient_id: PATIENT.to_owned(),
        card_no: CARD_NO.to_owned(),
        insurance_scheme: InsuranceScheme::EmployeeBasic,
    };
    let expected = Event::AccountOpened {
        account_id: ACCOUNT,
        kind: AccountKind::InpatientDeposit,
        patient_id: PATIENT.to_owned(),
        card_no: CARD_NO.to_owned(),
        insurance_scheme: InsuranceScheme::EmployeeBasic,
    };
    given::<Account>([]).when(command).then([expected]);
}

#[test]
fn it_refuses_to_open_an_account_twice() {
    // Goal: an account id opens once; a second Open is AccountAlreadyExists.
    given::<Account>([outpatient()])
        .when(open(AccountKind::InpatientDeposit))
        .then_err(DomainError::AccountAlreadyExists(ACCOUNT));
}

#[test]
fn it_refuses_to_reopen_a_closed_account() {
    // Goal: closing does not free the account id for a second opening.
    given::<Account>([outpatient(), closed()])
        .when(open(AccountKind::OutpatientCard))
        .then_err(DomainError::AccountAlreadyExists(ACCOUNT));
}

#[test]
fn it_refuses_an_empty_card_number_or_patient_id() {
    // Goal: blank identifiers are refused with the field named.
    let blank_card = AccountCommand::Open {
        account_id: ACCOUNT,
        kind: AccountKind::OutpatientCard,
        patient_id: PATIENT.to_owned(),
        card_no: "   ".to_owned(),
        insurance_scheme: InsuranceScheme::SelfPay,
    };
    given::<Account>([])
        .when(blank_card)
        .then_err(DomainError::InvalidText {
            field: "cardNo",
            reason: "must not be empty",
        });
    let blank_patient = AccountCommand::Open {
        account_id: ACCOUNT,
        kind: AccountKind::OutpatientCard,
        patient_id: String::new(),
        card_no: CARD_NO.to_owned(),
        insurance_scheme: InsuranceScheme::SelfPay,
    };
    given::<Account>([])
        .when(blank_patient)
        .then_err(DomainError::InvalidText {
            field: "patientId",
            reason: "must not be empty",
        });
}

#[test]
fn it_refuses_a_card_number_longer_than_64_characters() {
    // Goal: identifiers are bounded at 64 characters (64 is accepted, 65 is not).
    let with_card = |card_no: String| AccountCommand::Open {
        account_id: ACCOUNT,
        kind: AccountKind::OutpatientCard,
        patient_id: PATIENT.to_owned(),
        card_no,
        insurance_scheme: InsuranceScheme::SelfPay,
    };
    given::<Account>([])
        .when(with_card(chars('卡', 64)))
        .then([Event::AccountOpened {
            account_id: ACCOUNT,
            kind: AccountKind::OutpatientCard,
            patient_id: PATIENT.to_owned(),
            card_no: chars('卡', 64),
            insurance_scheme: InsuranceScheme::SelfPay,
        }]);
    given::<Account>([])
        .when(with_card(chars('卡', 65)))
        .then_err(DomainError::InvalidText {
            field: "cardNo",
            reason: "is too long",
        });
}

#[test]
fn it_refuses_control_characters_in_the_patient_id() {
    // Goal: identifiers with control characters inside are refused.
    let command = AccountCommand::Open {
        account_id: ACCOUNT,
        kind: AccountKind::OutpatientCard,
        patient_id: "P-00\u{0}1".to_owned(),
        card_no: CARD_NO.to_owned(),
        insurance_scheme: InsuranceScheme::SelfPay,
    };
    given::<Account>([])
        .when(command)
        .then_err(DomainError::InvalidText {
            field: "patientId",
            reason: "must not contain control characters",
        });
}

// ----- deposit -----

#[test]
fn it_records_a_deposit_and_raises_the_balance() {
    // Goal: a deposit produces DepositReceived and adds to deposited (and so to the balance,
    // which apply asserts is the sum of the movements).
    for kind in KINDS {
        let state = given::<Account>([opened(kind), deposited("10.00")])
            .when(deposit("0.01"))
            .then([deposited("0.01")]);
        assert_eq!(state.deposited, money("10.01"));
    }
}

#[test]
fn it_records_the_tender_and_a_trimmed_external_reference_of_a_deposit() {
    // Goal: a non-cash deposit keeps its method and its terminal reference, trimmed.
    let command = AccountCommand::Deposit {
        amount: amount("500.00"),
        method: PaymentMethod::Wechat,
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: RECEIPT.to_owned(),
        external_ref: Some("  WX-42 ".to_owned()),
    };
    let expected = Event::DepositReceived {
        account_id: ACCOUNT,
        amount: amount("500.00"),
        method: PaymentMethod::Wechat,
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: RECEIPT.to_owned(),
        external_ref: Some("WX-42".to_owned()),
    };
    given::<Account>([outpatient()])
        .when(command)
        .then([expected]);
}

#[test]
fn it_refuses_a_blank_or_too_long_external_reference() {
    // Goal: an external reference, when given, is a bounded non-empty identifier.
    for (reference, reason) in [
        (" ".to_owned(), "must not be empty"),
        (chars('x', 65), "is too long"),
    ] {
        let command = AccountCommand::Deposit {
            amount: amount("1.00"),
            method: PaymentMethod::BankCard,
            shift_id: SHIFT,
            cashier_id: CASHIER,
            receipt_no: RECEIPT.to_owned(),
            external_ref: Some(reference),
        };
        given::<Account>([outpatient()])
            .when(command)
            .then_err(DomainError::InvalidText {
                field: "externalRef",
                reason,
            });
    }
}

#[test]
fn it_lets_a_deposit_pay_off_inpatient_arrears() {
    // Goal: a deposit on an account in arrears brings it back up.
    let state = given::<Account>([inpatient(), deducted(D1, "80.00", LAB)])
        .when(deposit("100.00"))
        .then([deposited("100.00")]);
    assert_eq!(state.balance, money("20.00"));
    assert!(!state.in_arrears());
}

// ----- deduct -----

#[test]
fn it_records_a_deduction_and_remembers_it_for_reversals() {
    // Goal: a deduction lowers the balance and is kept with its department and amount.
    let state = given::<Account>([outpatient(), deposited("100.00")])
        .when(deduct(D1, "30.00", LAB))
        .then([deducted(D1, "30.00", LAB)]);
    assert_eq!(state.balance, money("70.00"));
    assert_eq!(state.deducted, money("30.00"));
    let kept = &state.deductions[&D1];
    assert_eq!(kept.department, LAB);
    assert_eq!(kept.amount, money("30.00"));
    assert!(kept.reversed.is_zero());
    assert_eq!(kept.remaining(), money("30.00"));
}

#[test]
fn it_lets_an_outpatient_card_deduct_its_exact_balance() {
    // Goal: an outpatient card may reach exactly 0.00.
    let state = given::<Account>([outpatient(), deposited("30.00")])
        .when(deduct(D1, "30.00", LAB))
        .then([deducted(D1, "30.00", LAB)]);
    assert!(state.balance.is_zero());
}

#[test]
fn it_refuses_an_outpatient_deduction_beyond_the_balance() {
    // Goal: invariant 1, an outpatient card never goes below zero, not even by one fen.
    given::<Account>([outpatient(), deposited("30.00")])
        .when(deduct(D1, "30.01", LAB))
        .then_err(DomainError::InsufficientBalance {
            balance: money("30.00"),
            requested: money("30.01"),
        });
}

#[test]
fn it_refuses_an_outpatient_deduction_on_an_empty_card() {
    // Goal: a card that never received money cannot be charged 0.01.
    given::<Account>([outpatient()])
        .when(deduct(D1, "0.01", LAB))
        .then_err(DomainError::InsufficientBalance {
            balance: money("0.00"),
            requested: money("0.01"),
        });
}

#[test]
fn it_lets_an_inpatient_account_run_into_arrears() {
    // Goal: an inpatient deposit account may go below zero and shows as in arrears.
    let state = given::<Account>([inpatient(), deposited("100.00")])
        .when(deduct(D1, "250.50", LAB))
        .then([deducted(D1, "250.50", LAB)]);
    assert_eq!(state.balance, money("-150.50"));
    assert!(state.in_arrears());
    let state = given::<Account>([
        inpatient(),
        deposited("100.00"),
        deducted(D1, "250.50", LAB),
    ])
    .when(deduct(D2, "49.50", PHARMACY))
    .then([deducted(D2, "49.50", PHARMACY)]);
    assert_eq!(state.balance, money("-200.00"));
}

#[test]
fn it_refuses_a_quantity_outside_1_to_10000() {
    // Goal: quantities 0, negative and above 10000 are refused with the quantity given.
    for quantity in [0, -1, 10_001, i64::MIN, i64::MAX] {
        given::<Account>([outpatient(), deposited("100.00")])
            .when(deduct_line(
                D1,
                "1.00",
                LAB,
                ORDER,
                ITEM_CODE,
                Some(ITEM_NAME),
                quantity,
            ))
            .then_err(DomainError::InvalidQuantity(quantity));
    }
}

#[test]
fn it_records_the_boundary_quantities_1_and_10000() {
    // Goal: both ends of the quantity range are accepted and carried into the event.
    for quantity in [1_u32, 10_000] {
        given::<Account>([outpatient(), deposited("100.00")])
            .when(deduct_line(
                D1,
                "1.00",
                LAB,
                ORDER,
                ITEM_CODE,
                Some(ITEM_NAME),
                i64::from(quantity),
            ))
            .then([deducted_line(D1, "1.00", LAB, quantity)]);
    }
}

#[test]
fn it_checks_the_quantity_before_the_balance() {
    // Goal: a bad quantity is reported as such even when the balance would not cover it either.
    given::<Account>([outpatient()])
        .when(deduct_line(D1, "1.00", LAB, ORDER, ITEM_CODE, None, 0))
        .then_err(DomainError::InvalidQuantity(0));
}

#[test]
fn it_refuses_invalid_text_on_a_deduction() {
    // Goal: department, order id, item code and item name are bounded, non-empty and printable.
    let long_id = chars('9', 65);
    let long_name = chars('药', 129);
    let cases: [(AccountCommand, &str, &str); 8] = [
        (
            deduct_line(D1, "1.00", "", ORDER, ITEM_CODE, None, 1),
            "department",
            "must not be empty",
        ),
        (
            deduct_line(D1, "1.00", &long_name, ORDER, ITEM_CODE, None, 1),
            "department",
            "is too long",
        ),
        (
            deduct_line(D1, "1.00", LAB, " ", ITEM_CODE, None, 1),
            "orderId",
            "must not be empty",
        ),
        (
            deduct_line(D1, "1.00", LAB, &long_id, ITEM_CODE, None, 1),
            "orderId",
            "is too long",
        ),
        (
            deduct_line(D1, "1.00", LAB, ORDER, "\t", None, 1),
            "itemCode",
            "must not be empty",
        ),
        (
            deduct_line(D1, "1.00", LAB, ORDER, "A\u{7}B", None, 1),
            "itemCode",
            "must not contain control characters",
        ),
        (
            deduct_line(D1, "1.00", LAB, ORDER, ITEM_CODE, Some(""), 1),
            "itemName",
            "must not be empty",
        ),
        (
            deduct_line(D1, "1.00", LAB, ORDER, ITEM_CODE, Some(&long_name), 1),
            "itemName",
            "is too long",
        ),
    ];
    for (command, field, reason) in cases {
        given::<Account>([outpatient(), deposited("100.00")])
            .when(command)
            .then_err(DomainError::InvalidText { field, reason });
    }
}

#[test]
fn it_records_a_deduction_with_trimmed_text_at_the_length_limits() {
    // Goal: 128-character names and 64-character ids pass, trimmed; a missing item name is fine.
    let department = chars('科', 128);
    let order_id = chars('0', 64);
    let command = deduct_line(
        D1,
        "1.00",
        &format!(" {department} "),
        &order_id,
        " X1 ",
        None,
        3,
    );
    let expected = Event::ChargeDeducted {
        account_id: ACCOUNT,
        deduction_id: D1,
        amount: amount("1.00"),
        department: department.clone(),
        order_id,
        item_code: "X1".to_owned(),
        item_name: None,
        quantity: 3,
    };
    let state = given::<Account>([outpatient(), deposited("1.00")])
        .when(command)
        .then([expected]);
    assert_eq!(state.deductions[&D1].department, department);
}

// ----- reverse -----

#[test]
fn it_records_a_partial_reversal() {
    // Goal: a reversal gives money back and counts against its deduction.
    let state = given::<Account>([
        outpatient(),
        deposited("100.00"),
        deducted(D1, "30.00", LAB),
    ])
    .when(reverse(D1, "10.00", LAB))
    .then([reversed(D1, "10.00", LAB)]);
    assert_eq!(state.balance, money("80.00"));
    assert_eq!(state.reversed, money("10.00"));
    assert_eq!(state.deductions[&D1].reversed, money("10.00"));
    assert_eq!(state.deductions[&D1].remaining(), money("20.00"));
}

#[test]
fn it_refuses_a_reversal_of_an_unknown_deduction() {
    // Goal: a reversal must reference a deduction of this account.
    given::<Account>([
        outpatient(),
        deposited("100.00"),
        deducted(D1, "30.00", LAB),
    ])
    .when(reverse(UNKNOWN_DEDUCTION, "1.00", LAB))
    .then_err(DomainError::DeductionNotFound(UNKNOWN_DEDUCTION));
}

#[test]
fn it_refuses_a_reversal_by_another_department() {
    // Goal: invariant 3, only the department that deducted may reverse.
    given::<Account>([
        outpatient(),
        deposited("100.00"),
        deducted(D1, "30.00", LAB),
    ])
    .when(reverse(D1, "1.00", PHARMACY))
    .then_err(DomainError::ReversalByOtherDepartment {
        deducted_by: LAB.to_owned(),
    });
}

#[test]
fn it_refuses_a_reversal_exceeding_the_deduction() {
    // Goal: invariant 3, a reversal never exceeds the deduction, by even one fen.
    given::<Account>([
        outpatient(),
        deposited("100.00"),
        deducted(D1, "30.00", LAB),
    ])
    .when(reverse(D1, "30.01", LAB))
    .then_err(DomainError::ReversalExceedsRemaining {
        remaining: money("30.00"),
        requested: money("30.01"),
    });
}

#[test]
fn it_refuses_a_reversal_exceeding_what_remains_after_a_partial_reversal() {
    // Goal: earlier reversals count; only the remainder may still be reversed.
    given::<Account>([
        outpatient(),
        deposited("100.00"),
        deducted(D1, "30.00", LAB),
        reversed(D1, "12.50", LAB),
    ])
    .when(reverse(D1, "17.51", LAB))
    .then_err(DomainError::ReversalExceedsRemaining {
        remaining: money("17.50"),
        requested: money("17.51"),
    });
}

#[test]
fn it_allows_a_reversal_of_exactly_the_remainder() {
    // Goal: the exact remainder may be reversed, after which nothing remains.
    let state = given::<Account>([
        outpatient(),
        deposited("100.00"),
        deducted(D1, "30.00", LAB),
        reversed(D1, "12.50", LAB),
    ])
    .when(reverse(D1, "17.50", LAB))
    .then([reversed(D1, "17.50", LAB)]);
    assert!(state.deductions[&D1].remaining().is_zero());
    assert_eq!(state.balance, money("100.00"));
}

#[test]
fn it_refuses_any_reversal_of_a_fully_reversed_deduction() {
    // Goal: once a deduction is fully reversed, even 0.01 more is refused.
    given::<Account>([
        outpatient(),
        deposited("100.00"),
        deducted(D1, "30.00", LAB),
        reversed(D1, "30.00", LAB),
    ])
    .when(reverse(D1, "0.01", LAB))
    .then_err(DomainError::ReversalExceedsRemaining {
        remaining: money("0.00"),
        requested: money("0.01"),
    });
}

#[test]
fn it_tracks_the_remainder_of_each_deduction_separately() {
    // Goal: reversing one deduction does not use up another.
    let history = [
        inpatient(),
        deducted(D1, "10.00", LAB),
        deducted(D2, "10.00", LAB),
        reversed(D1, "10.00", LAB),
    ];
    let state = given::<Account>(history.clone())
        .when(reverse(D2, "10.00", LAB))
        .then([reversed(D2, "10.00", LAB)]);
    assert!(state.balance.is_zero());
    given::<Account>(history)
        .when(reverse(D1, "0.01", LAB))
        .then_err(DomainError::ReversalExceedsRemaining {
            remaining: money("0.00"),
            requested: money("0.01"),
        });
}

#[test]
fn it_checks_the_department_before_the_remainder() {
    // Goal: another department's over-reversal is reported as the wrong department.
    given::<Account>([
        outpatient(),
        deposited("100.00"),
        deducted(D1, "30.00", LAB),
    ])
    .when(reverse(D1, "99.00", PHARMACY))
    .then_err(DomainError::ReversalByOtherDepartment {
        deducted_by: LAB.to_owned(),
    });
}

// ----- refund -----

#[test]
fn it_records_a_partial_refund() {
    // Goal: part of the balance is paid out and counted as refunded.
    let state = given::<Account>([outpatient(), deposited("100.00")])
        .when(refund(Some("40.00")))
        .then([refunded("40.00")]);
    assert_eq!(state.balance, money("60.00"));
    assert_eq!(state.refunded, money("40.00"));
}

#[test]
fn it_refunds_the_whole_balance_when_no_amount_is_given() {
    // Goal: a refund without an amount pays out exactly the balance, leaving 0.00.
    for kind in KINDS {
        let state = given::<Account>([
            opened(kind),
            deposited("100.00"),
            deducted(D1, "33.33", LAB),
        ])
        .when(refund(None))
        .then([refunded("66.67")]);
        assert!(state.balance.is_zero());
    }
}

#[test]
fn it_lets_a_refund_pay_out_exactly_the_balance() {
    // Goal: an explicit refund equal to the balance is allowed.
    let state = given::<Account>([outpatient(), deposited("100.00")])
        .when(refund(Some("100.00")))
        .then([refunded("100.00")]);
    assert!(state.balance.is_zero());
}

#[test]
fn it_refuses_a_refund_of_more_than_the_balance() {
    // Goal: a refund never pays out more than the balance, by even one fen.
    for kind in KINDS {
        given::<Account>([opened(kind), deposited("100.00")])
            .when(refund(Some("100.01")))
            .then_err(DomainError::InsufficientBalance {
                balance: money("100.00"),
                requested: money("100.01"),
            });
    }
}

#[test]
fn it_refuses_to_refund_everything_when_there_is_nothing() {
    // Goal: a whole-balance refund at 0.00 is NothingToRefund.
    given::<Account>([outpatient()])
        .when(refund(None))
        .then_err(DomainError::NothingToRefund(money("0.00")));
    given::<Account>([outpatient(), deposited("5.00"), deducted(D1, "5.00", LAB)])
        .when(refund(None))
        .then_err(DomainError::NothingToRefund(money("0.00")));
}

#[test]
fn it_refuses_any_refund_from_an_account_in_arrears() {
    // Goal: an inpatient account in arrears has nothing to refund, with or without an amount.
    let history = [inpatient(), deposited("10.00"), deducted(D1, "25.00", LAB)];
    given::<Account>(history.clone())
        .when(refund(None))
        .then_err(DomainError::NothingToRefund(money("-15.00")));
    given::<Account>(history)
        .when(refund(Some("0.01")))
        .then_err(DomainError::InsufficientBalance {
            balance: money("-15.00"),
            requested: money("0.01"),
        });
}

#[test]
fn it_records_the_refund_tender_and_shift() {
    // Goal: a refund keeps its method, shift, cashier and receipt.
    let command = AccountCommand::Refund {
        external_ref: None,
        amount: Some(amount("1.00")),
        method: PaymentMethod::Alipay,
        shift_id: OTHER_SHIFT,
        cashier_id: CASHIER,
        receipt_no: "R-9".to_owned(),
    };
    let expected = Event::BalanceRefunded {
        external_ref: None,
        account_id: ACCOUNT,
        amount: amount("1.00"),
        method: PaymentMethod::Alipay,
        shift_id: OTHER_SHIFT,
        cashier_id: CASHIER,
        receipt_no: "R-9".to_owned(),
    };
    given::<Account>([outpatient(), deposited("1.00")])
        .when(command)
        .then([expected]);
}

// ----- close -----

#[test]
fn it_closes_an_account_at_zero_balance() {
    // Goal: an account at exactly 0.00 closes, naming its card number so it can be released.
    for kind in KINDS {
        let state = given::<Account>([opened(kind), deposited("10.00"), refunded("10.00")])
            .when(AccountCommand::Close)
            .then([closed()]);
        assert!(state.opened.as_ref().expect("opened").closed);
    }
    given::<Account>([outpatient()])
        .when(AccountCommand::Close)
        .then([closed()]);
}

#[test]
fn it_refuses_to_close_an_account_with_money_on_it() {
    // Goal: a positive balance must be refunded before closing.
    given::<Account>([outpatient(), deposited("0.01")])
        .when(AccountCommand::Close)
        .then_err(DomainError::BalanceNotZero(money("0.01")));
}

#[test]
fn it_refuses_to_close_an_account_in_arrears() {
    // Goal: an inpatient account in arrears must be settled before closing.
    given::<Account>([inpatient(), deducted(D1, "0.01", LAB)])
        .when(AccountCommand::Close)
        .then_err(DomainError::BalanceNotZero(money("-0.01")));
}

#[test]
fn it_refuses_every_money_command_after_close() {
    // Goal: a closed account takes nothing more: every command is AccountClosed.
    let history = [
        outpatient(),
        deposited("50.00"),
        deducted(D1, "20.00", LAB),
        refunded("30.00"),
        closed(),
    ];
    let commands = [
        deposit("1.00"),
        deduct(D2, "0.01", LAB),
        reverse(D1, "1.00", LAB),
        refund(None),
        refund(Some("1.00")),
        AccountCommand::Close,
    ];
    for command in commands {
        given::<Account>(history.clone())
            .when(command)
            .then_err(DomainError::AccountClosed(ACCOUNT));
    }
}

#[test]
fn it_reports_a_closed_account_before_checking_the_command_itself() {
    // Goal: an invalid command on a closed account is still refused as AccountClosed.
    given::<Account>([outpatient(), closed()])
        .when(deduct_line(D1, "1.00", "", ORDER, ITEM_CODE, None, 0))
        .then_err(DomainError::AccountClosed(ACCOUNT));
}

#[test]
fn it_refuses_every_command_on_an_account_that_was_never_opened() {
    // Goal: an unopened account is AccountNotFound for everything but Open.
    let commands = [
        deposit("1.00"),
        deduct(D1, "1.00", LAB),
        reverse(D1, "1.00", LAB),
        refund(None),
        refund(Some("1.00")),
        AccountCommand::Close,
    ];
    for command in commands {
        given::<Account>([])
            .when(command)
            .then_err(DomainError::AccountNotFound);
    }
}

// ----- money at the edge of commands -----

#[test]
fn it_refuses_invalid_money_before_it_reaches_a_command() {
    // Goal: zero, negative, too precise and too large amounts cannot become an Amount at all.
    assert_eq!(
        amount_of("0.00"),
        Err(DomainError::Money(MoneyError::NotPositive(money("0.00"))))
    );
    assert_eq!(
        amount_of("-1.00"),
        Err(DomainError::Money(MoneyError::NotPositive(money("-1.00"))))
    );
    assert_eq!(
        amount_of("1.005"),
        Err(DomainError::Money(MoneyError::TooManyPlaces(
            "1.005".to_owned()
        )))
    );
    assert_eq!(
        amount_of("10000000.01"),
        Err(DomainError::Money(MoneyError::TooLarge(money(
            "10000000.01"
        ))))
    );
    assert_eq!(
        amount_of("1e2"),
        Err(DomainError::Money(MoneyError::NotADecimal(
            "1e2".to_owned()
        )))
    );
    assert_eq!(
        amount_of("10000000.00").map(|a| a.money()),
        Ok(yika_domain::Amount::MAX)
    );
}

fn amount_of(text: &str) -> Result<yika_domain::Amount, DomainError> {
    Ok(yika_domain::Amount::parse(text)?)
}

// ----- replay -----

#[test]
fn it_rebuilds_the_same_state_from_its_events() {
    // Goal: replaying the full stream, the decided deposit included, sums each movement.
    use yika_domain::Aggregate;
    let history = vec![
        inpatient(),
        deposited("100.00"),
        deducted(D1, "130.00", LAB),
        reversed(D1, "5.00", LAB),
    ];
    given::<Account>(history.clone())
        .when(deposit("25.00"))
        .then([deposited("25.00")]);
    let mut stream = history;
    stream.push(deposited("25.00"));
    let replayed = Account::from_events(&stream);
    assert_eq!(replayed.deposited, money("125.00"));
    assert_eq!(replayed.deducted, money("130.00"));
    assert_eq!(replayed.reversed, money("5.00"));
    assert!(replayed.refunded.is_zero());
}

#[test]
fn it_refunds_a_whole_balance_of_exactly_the_single_amount_limit() {
    // Goal: a whole-balance refund of exactly 10,000,000.00 is one valid refund.
    let state = given::<Account>([inpatient(), deposited("10000000.00")])
        .when(refund(None))
        .then([refunded("10000000.00")]);
    assert!(state.balance.is_zero());
}

// ----- regressions found by these tests (fixed in domain/src) -----

#[test]
fn it_names_the_limit_when_a_whole_balance_refund_exceeds_it() {
    // Goal: a refund-all of more than 10,000,000.00 is refused for its size, not for an empty balance.
    given::<Account>([inpatient(), deposited("10000000.00"), deposited("0.01")])
        .when(refund(None))
        .then_err(DomainError::Money(MoneyError::TooLarge(money(
            "10000000.01",
        ))));
}

#[test]
fn it_refuses_a_deduction_id_that_is_already_used() {
    // Goal: a deduction id names one deduction; a second deduction under it must be refused.
    use yika_domain::Aggregate;
    let account = Account::from_events(&[
        outpatient(),
        deposited("100.00"),
        deducted(D1, "30.00", LAB),
    ]);
    let result = account.decide(&deduct(D1, "10.00", PHARMACY));
    assert!(
        result == Err(DomainError::DeductionAlreadyRecorded(D1)),
        "a second deduction under {D1} was accepted: {result:?}"
    );
}

#[test]
fn it_normalises_the_department_of_a_reversal_like_that_of_a_deduction() {
    // Goal: " Lab " names the same department on a reversal as on the deduction it reverses.
    given::<Account>([
        outpatient(),
        deposited("100.00"),
        deducted(D1, "30.00", LAB),
    ])
    .when(reverse(D1, "1.00", " Lab "))
    .then([reversed(D1, "1.00", LAB)]);
}

#[test]
fn it_refuses_a_second_deduction_for_the_same_order() {
    // Goal: invariant 2: an executing order is deducted at most once from an account.
    given::<Account>([
        outpatient(),
        deposited("100.00"),
        deducted(D1, "30.00", LAB),
    ])
    .when(deduct_line(D2, "30.00", LAB, ORDER, ITEM_CODE, None, 1))
    .then_err(DomainError::OrderAlreadyDeducted(ORDER.to_owned()));
}
