//! Double-entry postings (invariant 6): every event's legs balance to exactly 0.00, and the money
//! events debit and credit the ledger accounts the design names.

mod common;

use common::*;
use yika_domain::{
    AccountKind, Event, InsuranceScheme, LedgerAccount, Money, PaymentMethod, Posting,
    ReversalReason, Role, postings,
};

/// One event of every variant, money events with several tenders, and both kinds of float.
fn one_of_each() -> Vec<Event> {
    let mut events = vec![
        Event::StaffRegistered {
            staff_id: CASHIER,
            staff_no: "S-1".to_owned(),
            name: "王芳".to_owned(),
            role: Role::Cashier,
            department: None,
            token_sha256: chars('f', 64),
        },
        Event::TokenIssued {
            staff_id: CASHIER,
            token_sha256: chars('e', 64),
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
            kind: AccountKind::InpatientDeposit,
            patient_id: PATIENT.to_owned(),
            card_no: CARD_NO.to_owned(),
            insurance_scheme: InsuranceScheme::ResidentBasic,
        },
        deducted(D1, "12.34", LAB),
        reversed(D1, "0.01", LAB),
        closed(),
        Event::ShiftOpened {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            window: "W1".to_owned(),
            opening_float: Money::ZERO,
        },
        Event::ShiftOpened {
            shift_id: OTHER_SHIFT,
            cashier_id: CASHIER,
            window: "W2".to_owned(),
            opening_float: money("1000.00"),
        },
        Event::ShiftClosed {
            expected_cash: None,
            shift_id: SHIFT,
            cashier_id: CASHIER,
            counted_cash: money("1500.00"),
            counted_other: vec![(PaymentMethod::BankCard, money("20.00"))],
            receipts_used: 0,
        },
    ];
    events.extend(shift_stream_events());
    events.extend(closing_events());
    for method in PaymentMethod::ALL {
        events.push(deposited_by("10000000.00", method));
        events.push(Event::BalanceRefunded {
            external_ref: None,
            account_id: ACCOUNT,
            amount: amount("0.01"),
            method,
            shift_id: SHIFT,
            cashier_id: CASHIER,
            receipt_no: RECEIPT.to_owned(),
        });
    }
    events
}

fn debit(account: LedgerAccount, text: &str) -> Posting {
    Posting {
        account,
        amount: money(text),
    }
}

fn credit(account: LedgerAccount, text: &str) -> Posting {
    Posting {
        account,
        amount: -money(text),
    }
}

#[test]
fn it_covers_every_event_variant() {
    // Goal: the fixture used below really contains every variant.
    assert_every_variant(&one_of_each());
}

#[test]
fn it_balances_the_postings_of_every_event_to_zero() {
    // Goal: invariant 6, the debits of each event equal its credits, to the fen.
    for event in one_of_each() {
        let legs = postings(&event);
        let sum: Money = legs.iter().map(|p| p.amount).sum();
        assert_eq!(
            sum,
            Money::ZERO,
            "{} does not balance: {legs:?}",
            event.event_type()
        );
        assert!(
            legs.iter().all(|p| !p.amount.is_zero()),
            "{} has a 0.00 leg: {legs:?}",
            event.event_type()
        );
    }
}

#[test]
fn it_posts_a_cash_deposit_from_the_drawer_to_the_patient() {
    // Goal: a cash deposit debits the shift's cash drawer and credits the patient's prepaid balance.
    assert_eq!(
        postings(&deposited("250.00")),
        [
            debit(LedgerAccount::CashDrawer(SHIFT), "250.00"),
            credit(LedgerAccount::PatientPrepaid(ACCOUNT), "250.00"),
        ]
    );
}

#[test]
fn it_posts_a_bank_card_deposit_to_bank_clearing() {
    // Goal: a bank-card deposit debits bank-card clearing, not the cash drawer.
    assert_eq!(
        postings(&deposited_by("88.80", PaymentMethod::BankCard)),
        [
            debit(LedgerAccount::Clearing(PaymentMethod::BankCard), "88.80"),
            credit(LedgerAccount::PatientPrepaid(ACCOUNT), "88.80"),
        ]
    );
}

#[test]
fn it_posts_every_non_cash_tender_to_its_own_clearing_account() {
    // Goal: each non-cash method has its clearing account, for deposits and refunds alike.
    for method in PaymentMethod::ALL
        .into_iter()
        .filter(|m| *m != PaymentMethod::Cash)
    {
        let deposit_legs = postings(&deposited_by("1.00", method));
        assert_eq!(
            deposit_legs[0],
            debit(LedgerAccount::Clearing(method), "1.00")
        );
        let refund = Event::BalanceRefunded {
            external_ref: None,
            account_id: ACCOUNT,
            amount: amount("1.00"),
            method,
            shift_id: SHIFT,
            cashier_id: CASHIER,
            receipt_no: RECEIPT.to_owned(),
        };
        assert_eq!(
            postings(&refund)[1],
            credit(LedgerAccount::Clearing(method), "1.00")
        );
    }
}

#[test]
fn it_posts_a_deduction_from_the_patient_to_department_revenue() {
    // Goal: a deduction debits the patient's prepaid balance and credits the department's revenue.
    assert_eq!(
        postings(&deducted(D1, "30.00", LAB)),
        [
            debit(LedgerAccount::PatientPrepaid(ACCOUNT), "30.00"),
            credit(LedgerAccount::DepartmentRevenue(LAB.to_owned()), "30.00"),
        ]
    );
}

#[test]
fn it_posts_a_reversal_from_department_revenue_back_to_the_patient() {
    // Goal: a reversal debits the deducting department's revenue and credits the patient.
    assert_eq!(
        postings(&Event::DeductionReversed {
            account_id: ACCOUNT,
            deduction_id: D1,
            amount: amount("7.50"),
            department: PHARMACY.to_owned(),
            reason: ReversalReason::ExamCancelled,
        }),
        [
            debit(
                LedgerAccount::DepartmentRevenue(PHARMACY.to_owned()),
                "7.50"
            ),
            credit(LedgerAccount::PatientPrepaid(ACCOUNT), "7.50"),
        ]
    );
}

#[test]
fn it_posts_a_cash_refund_from_the_patient_to_the_drawer() {
    // Goal: a cash refund debits the patient's prepaid balance and credits the shift's drawer.
    assert_eq!(
        postings(&refunded("40.00")),
        [
            debit(LedgerAccount::PatientPrepaid(ACCOUNT), "40.00"),
            credit(LedgerAccount::CashDrawer(SHIFT), "40.00"),
        ]
    );
}

#[test]
fn it_posts_a_positive_float_from_the_vault_to_the_drawer() {
    // Goal: a float moves cash from the finance vault into the new shift's drawer.
    let event = Event::ShiftOpened {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        window: "W1".to_owned(),
        opening_float: money("500.00"),
    };
    assert_eq!(
        postings(&event),
        [
            debit(LedgerAccount::CashDrawer(SHIFT), "500.00"),
            credit(LedgerAccount::FinanceVault, "500.00")
        ]
    );
}

#[test]
fn it_posts_nothing_for_events_that_move_no_money() {
    // Goal: a zero float and the non-money events have no legs at all.
    let zero_float = Event::ShiftOpened {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        window: "W1".to_owned(),
        opening_float: Money::ZERO,
    };
    assert!(postings(&zero_float).is_empty());
    for event in one_of_each() {
        let moves_money = matches!(
            event,
            Event::DepositReceived { .. }
                | Event::ChargeDeducted { .. }
                | Event::DeductionReversed { .. }
                | Event::BalanceRefunded { .. }
        ) || matches!(event, Event::ShiftOpened { opening_float, .. } if opening_float.is_positive())
            || matches!(event, Event::CashHandedOver { amount, .. } if amount.is_positive())
            || matches!(event, Event::DischargeSettled { .. })
            || matches!(event, Event::ShiftClosed { counted_cash, expected_cash: Some(e), .. } if counted_cash != e)
            || matches!(
                event,
                Event::VarianceResolved { .. }
                    | Event::PaymentsMatched { .. }
                    | Event::PaymentUnmatched { .. }
                    | Event::InsuranceRemittanceReceived { .. }
            );
        assert_eq!(!postings(&event).is_empty(), moves_money, "{event:?}");
    }
}

fn legs(event: &Event) -> Vec<(String, Money)> {
    postings(event)
        .into_iter()
        .map(|p| (p.account.to_string(), p.amount))
        .collect()
}

#[test]
fn a_short_drawer_posts_the_shortage_to_over_short_and_its_resolution_clears_it() {
    // Given a shift that should hold 500.00 and was counted at 499.50
    let closed = Event::ShiftClosed {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        counted_cash: money("499.50"),
        counted_other: vec![],
        receipts_used: 0,
        expected_cash: Some(money("500.00")),
    };
    // Then the drawer is credited 0.50 and the variance account debited
    let drawer = format!("cash-drawer:{SHIFT}");
    let over_short = format!("cash-over-short:{SHIFT}");
    assert_eq!(
        legs(&closed),
        vec![
            (drawer.clone(), money("-0.50")),
            (over_short.clone(), money("0.50")),
        ]
    );
    // When the cashier repays, the variance is cleared into finance's vault; written off, into
    // the write-off expense
    let resolved = |resolution| Event::VarianceResolved {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        variance: money("-0.50"),
        resolution,
        note: "n".to_owned(),
        resolved_by: CASHIER,
    };
    assert_eq!(
        legs(&resolved(yika_domain::VarianceResolution::CashierRepays)),
        vec![
            (over_short.clone(), money("-0.50")),
            ("finance-vault".to_owned(), money("0.50")),
        ]
    );
    assert_eq!(
        legs(&resolved(yika_domain::VarianceResolution::WrittenOff)),
        vec![
            (over_short, money("-0.50")),
            ("variance-written-off".to_owned(), money("0.50")),
        ]
    );
}

#[test]
fn a_match_moves_clearing_to_the_bank_net_of_the_fee_and_an_unmatch_reverses_it() {
    // Given a WeChat deposit line of 20.00 with a 0.12 fee matched
    let matched = Event::PaymentsMatched {
        method: PaymentMethod::Wechat,
        matches: vec![a_match("WX-1", 7, "20.00", "0.12")],
        reason: None,
    };
    // Then the bank gets 19.88, the fee expense 0.12, and clearing gives up 20.00
    assert_eq!(
        legs(&matched),
        vec![
            ("bank".to_owned(), money("20.00")),
            ("clearing:WECHAT".to_owned(), money("-20.00")),
            ("fee-expense:WECHAT".to_owned(), money("0.12")),
            ("bank".to_owned(), money("-0.12")),
        ]
    );
    // And undoing it posts exactly the opposite
    let unmatched = Event::PaymentUnmatched {
        method: PaymentMethod::Wechat,
        unmatched: a_match("WX-1", 7, "20.00", "0.12"),
        reason: "wrong".to_owned(),
    };
    let reversed: Vec<(String, Money)> = legs(&matched)
        .into_iter()
        .map(|(account, amount)| (account, -amount))
        .collect();
    assert_eq!(legs(&unmatched), reversed);
}

#[test]
fn a_remittance_clears_the_schemes_receivable_into_the_bank() {
    let remitted = closing_events()
        .into_iter()
        .find(|e| matches!(e, Event::InsuranceRemittanceReceived { .. }))
        .unwrap();
    assert_eq!(
        legs(&remitted),
        vec![
            ("bank".to_owned(), money("550.00")),
            (
                "insurance-receivable:RESIDENT_BASIC".to_owned(),
                money("-550.00")
            ),
        ]
    );
}

#[test]
fn it_names_ledger_accounts_stably() {
    // Goal: the ledger account names used by reports are fixed.
    assert_eq!(
        LedgerAccount::CashDrawer(SHIFT).to_string(),
        format!("cash-drawer:{}", SHIFT.0)
    );
    assert_eq!(
        LedgerAccount::Clearing(PaymentMethod::BankCard).to_string(),
        "clearing:BANK_CARD"
    );
    assert_eq!(
        LedgerAccount::Clearing(PaymentMethod::InsuranceAccount).to_string(),
        "clearing:INSURANCE_ACCOUNT"
    );
    assert_eq!(LedgerAccount::FinanceVault.to_string(), "finance-vault");
    assert_eq!(
        LedgerAccount::PatientPrepaid(ACCOUNT).to_string(),
        format!("patient-prepaid:{}", ACCOUNT.0)
    );
    assert_eq!(
        LedgerAccount::DepartmentRevenue(LAB.to_owned()).to_string(),
        "revenue:Lab"
    );
}

#[test]
fn it_balances_a_whole_day_in_the_trial_balance() {
    // Goal: summed over a realistic stream, every ledger account nets out and the total is 0.00.
    let stream = [
        Event::ShiftOpened {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            window: "W1".to_owned(),
            opening_float: money("200.00"),
        },
        outpatient(),
        deposited("100.00"),
        deposited_by("50.00", PaymentMethod::Wechat),
        deducted(D1, "60.00", LAB),
        reversed(D1, "20.00", LAB),
        refunded("110.00"),
    ];
    let mut trial = std::collections::BTreeMap::<LedgerAccount, Money>::new();
    for event in &stream {
        for leg in postings(event) {
            *trial.entry(leg.account).or_default() += leg.amount;
        }
    }
    assert_eq!(trial.values().copied().sum::<Money>(), Money::ZERO);
    // Drawer: 200 float + 100 deposit - 110 refund.
    assert_eq!(trial[&LedgerAccount::CashDrawer(SHIFT)], money("190.00"));
    assert_eq!(
        trial[&LedgerAccount::Clearing(PaymentMethod::Wechat)],
        money("50.00")
    );
    assert_eq!(trial[&LedgerAccount::FinanceVault], money("-200.00"));
    // The hospital owes the patient 100 + 50 - 60 + 20 - 110 = 0.00.
    assert_eq!(trial[&LedgerAccount::PatientPrepaid(ACCOUNT)], Money::ZERO);
    assert_eq!(
        trial[&LedgerAccount::DepartmentRevenue(LAB.to_owned())],
        money("-40.00")
    );
}

#[test]
fn a_hand_over_moves_the_drawer_into_the_finance_vault() {
    // Goal: handing over cash debits the finance vault and credits the shift's drawer.
    let event = Event::CashHandedOver {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        received_by: CASHIER,
        amount: money("1490.00"),
        two_party: true,
    };
    assert_eq!(
        postings(&event),
        vec![
            Posting {
                account: LedgerAccount::FinanceVault,
                amount: money("1490.00")
            },
            Posting {
                account: LedgerAccount::CashDrawer(SHIFT),
                amount: -money("1490.00")
            },
        ]
    );
}
