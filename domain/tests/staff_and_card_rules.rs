//! Given/when/then specifications of staff registration and of the card-number guard.

mod common;

use common::*;
use uuid::Uuid;
use yika_domain::testing::given;
use yika_domain::{
    Actor, Aggregate, Card, CardCommand, DomainError, Event, Role, Staff, StaffCommand, StaffId,
    staff,
};

const STAFF: StaffId = StaffId(Uuid::from_u128(0x57af_0001));
const OTHER_STAFF: StaffId = StaffId(Uuid::from_u128(0x57af_0002));
const STAFF_NO: &str = "S-1001";
const NAME: &str = "王芳";

fn token_hash() -> String {
    chars('a', 64)
}

fn register(role: Role, department: Option<&str>) -> StaffCommand {
    register_as(STAFF, STAFF_NO, NAME, role, department)
}

fn register_as(
    staff_id: StaffId,
    staff_no: &str,
    name: &str,
    role: Role,
    department: Option<&str>,
) -> StaffCommand {
    StaffCommand::Register {
        staff_id,
        staff_no: staff_no.to_owned(),
        name: name.to_owned(),
        role,
        department: department.map(str::to_owned),
        token_sha256: token_hash(),
    }
}

fn registered(role: Role, department: Option<&str>) -> Event {
    Event::StaffRegistered {
        staff_id: STAFF,
        staff_no: STAFF_NO.to_owned(),
        name: NAME.to_owned(),
        role,
        department: department.map(str::to_owned),
        token_sha256: token_hash(),
    }
}

// ----- staff -----

#[test]
fn it_registers_a_department_staff_member_with_its_department() {
    // Goal: a DEPARTMENT member is registered with the department it deducts for.
    let state = given::<Staff>([])
        .when(register(Role::Department, Some(LAB)))
        .then([registered(Role::Department, Some(LAB))]);
    assert_eq!(state.staff_id, Some(STAFF));
}

#[test]
fn it_registers_every_other_role_without_a_department() {
    // Goal: cashier, controller, auditor, supervisor and admin register with no department.
    for role in [
        Role::Cashier,
        Role::Controller,
        Role::Auditor,
        Role::Supervisor,
        Role::Admin,
    ] {
        given::<Staff>([])
            .when(register(role, None))
            .then([registered(role, None)]);
    }
}

#[test]
fn it_treats_a_blank_department_of_another_role_as_none() {
    // Goal: a blank department on a non-DEPARTMENT role is dropped, not stored.
    given::<Staff>([])
        .when(register(Role::Cashier, Some("  ")))
        .then([registered(Role::Cashier, None)]);
}

#[test]
fn it_trims_the_staff_number_name_and_department() {
    // Goal: stored texts carry no surrounding blanks.
    given::<Staff>([])
        .when(register_as(
            STAFF,
            " S-1001 ",
            " 王芳\t",
            Role::Department,
            Some(" Lab "),
        ))
        .then([registered(Role::Department, Some(LAB))]);
}

#[test]
fn it_refuses_a_staff_number_that_is_taken() {
    // Goal: a staff number is registered once, whoever asks next.
    given::<Staff>([registered(Role::Cashier, None)])
        .when(register_as(
            OTHER_STAFF,
            STAFF_NO,
            "李雷",
            Role::Auditor,
            None,
        ))
        .then_err(DomainError::StaffNoTaken(STAFF_NO.to_owned()));
}

#[test]
fn it_refuses_a_department_member_without_a_department() {
    // Goal: DEPARTMENT requires a department.
    given::<Staff>([])
        .when(register(Role::Department, None))
        .then_err(DomainError::InvalidDepartment {
            role: "DEPARTMENT",
            reason: "requires a department",
        });
}

#[test]
fn it_refuses_a_department_member_with_a_blank_department() {
    // Goal: a blank department is not a department.
    given::<Staff>([])
        .when(register(Role::Department, Some(" ")))
        .then_err(DomainError::InvalidText {
            field: "department",
            reason: "must not be empty",
        });
}

#[test]
fn it_refuses_a_department_on_any_other_role() {
    // Goal: roles other than DEPARTMENT must not have a department.
    for role in [
        Role::Cashier,
        Role::Controller,
        Role::Auditor,
        Role::Supervisor,
        Role::Admin,
    ] {
        given::<Staff>([]).when(register(role, Some(LAB))).then_err(
            DomainError::InvalidDepartment {
                role: "non-DEPARTMENT",
                reason: "takes no department",
            },
        );
    }
}

#[test]
fn it_refuses_an_empty_or_too_long_name() {
    // Goal: a name is non-empty and at most 128 characters (128 passes, 129 does not).
    given::<Staff>([])
        .when(register_as(STAFF, STAFF_NO, "   ", Role::Cashier, None))
        .then_err(DomainError::InvalidText {
            field: "name",
            reason: "must not be empty",
        });
    given::<Staff>([])
        .when(register_as(
            STAFF,
            STAFF_NO,
            &chars('名', 129),
            Role::Cashier,
            None,
        ))
        .then_err(DomainError::InvalidText {
            field: "name",
            reason: "is too long",
        });
    let state = given::<Staff>([])
        .when(register_as(
            STAFF,
            STAFF_NO,
            &chars('名', 128),
            Role::Cashier,
            None,
        ))
        .then([Event::StaffRegistered {
            staff_id: STAFF,
            staff_no: STAFF_NO.to_owned(),
            name: chars('名', 128),
            role: Role::Cashier,
            department: None,
            token_sha256: token_hash(),
        }]);
    assert_eq!(state.staff_id, Some(STAFF));
}

#[test]
fn it_refuses_an_empty_or_too_long_staff_number() {
    // Goal: a staff number is a non-empty identifier of at most 64 characters.
    given::<Staff>([])
        .when(register_as(STAFF, "", NAME, Role::Cashier, None))
        .then_err(DomainError::InvalidText {
            field: "staffNo",
            reason: "must not be empty",
        });
    given::<Staff>([])
        .when(register_as(
            STAFF,
            &chars('7', 65),
            NAME,
            Role::Cashier,
            None,
        ))
        .then_err(DomainError::InvalidText {
            field: "staffNo",
            reason: "is too long",
        });
}

#[test]
fn it_refuses_control_characters_in_a_name() {
    // Goal: names are printable.
    given::<Staff>([])
        .when(register_as(STAFF, STAFF_NO, "王\n芳", Role::Cashier, None))
        .then_err(DomainError::InvalidText {
            field: "name",
            reason: "must not contain control characters",
        });
}

#[test]
#[should_panic(expected = "token hash is hex SHA-256")]
fn it_treats_a_token_hash_of_the_wrong_length_as_a_programming_error() {
    // Goal: the caller must pass a 64-character SHA-256 hex digest, never the token itself.
    let command = StaffCommand::Register {
        staff_id: STAFF,
        staff_no: STAFF_NO.to_owned(),
        name: NAME.to_owned(),
        role: Role::Admin,
        department: None,
        token_sha256: "secret-token".to_owned(),
    };
    let _ = given::<Staff>([]).when(command);
}

// ----- who registers (staff::register) -----

const ADMIN: StaffId = StaffId(Uuid::from_u128(0xad_0001));

fn actor(staff_id: StaffId, role: Role) -> Actor {
    Actor {
        staff_id,
        staff_no: "A-1".to_owned(),
        role,
        department: (role == Role::Department).then(|| LAB.to_owned()),
    }
}

#[test]
fn an_admin_registers_a_staff_member() {
    // Goal: registering staff is an ADMIN's act; it records the registration decided.
    assert_eq!(
        staff::register(
            Some(&actor(ADMIN, Role::Admin)),
            &Staff::default(),
            &register(Role::Cashier, None)
        ),
        Ok(registered(Role::Cashier, None))
    );
}

#[test]
fn only_an_admin_registers_staff() {
    // Goal: every other role is RoleRequired(ADMIN), also for a staff number that is taken.
    let taken = Staff::from_events(&[registered(Role::Cashier, None)]);
    for (role, n) in Role::ALL.into_iter().zip(1_u128..) {
        if role == Role::Admin {
            continue;
        }
        let someone = actor(StaffId(Uuid::from_u128(0x0e_0000 + n)), role);
        for number in [Staff::default(), taken.clone()] {
            assert_eq!(
                staff::register(Some(&someone), &number, &register(Role::Admin, None)),
                Err(DomainError::RoleRequired(Role::Admin)),
                "{role:?} registered staff"
            );
        }
    }
}

#[test]
fn the_command_line_registers_without_an_actor() {
    // Goal: with no actor (the command line), the first ADMIN is registered; the staff number's
    // rules still hold.
    assert_eq!(
        staff::register(None, &Staff::default(), &register(Role::Admin, None)),
        Ok(registered(Role::Admin, None))
    );
    let taken = Staff::from_events(&[registered(Role::Cashier, None)]);
    assert_eq!(
        staff::register(None, &taken, &register(Role::Admin, None)),
        Err(DomainError::StaffNoTaken(STAFF_NO.to_owned()))
    );
}

// ----- card -----

fn assign(account_id: yika_domain::AccountId) -> CardCommand {
    CardCommand::Assign {
        card_no: CARD_NO.to_owned(),
        account_id,
    }
}

fn assigned(account_id: yika_domain::AccountId) -> Event {
    Event::CardAssigned {
        card_no: CARD_NO.to_owned(),
        account_id,
    }
}

fn released(account_id: yika_domain::AccountId) -> Event {
    Event::CardReleased {
        card_no: CARD_NO.to_owned(),
        account_id,
    }
}

#[test]
fn it_assigns_a_free_card_number() {
    // Goal: a number nobody holds is assigned to the new account.
    let state = given::<Card>([])
        .when(assign(ACCOUNT))
        .then([assigned(ACCOUNT)]);
    assert_eq!(state.holder, Some(ACCOUNT));
}

#[test]
fn it_refuses_a_card_number_held_by_an_open_account() {
    // Goal: a live card number is held by one account only; the error names the holder.
    given::<Card>([assigned(ACCOUNT)])
        .when(assign(OTHER_ACCOUNT))
        .then_err(DomainError::CardAlreadyIssued {
            card_no: CARD_NO.to_owned(),
            holder: ACCOUNT,
        });
}

#[test]
fn it_refuses_to_assign_a_held_number_again_to_its_holder() {
    // Goal: assignment is not silently repeated, even for the same account.
    given::<Card>([assigned(ACCOUNT)])
        .when(assign(ACCOUNT))
        .then_err(DomainError::CardAlreadyIssued {
            card_no: CARD_NO.to_owned(),
            holder: ACCOUNT,
        });
}

#[test]
fn it_releases_a_card_number_held_by_the_closing_account() {
    // Goal: the holder releases its number and the number is free again.
    let state = given::<Card>([assigned(ACCOUNT)])
        .when(CardCommand::Release {
            card_no: CARD_NO.to_owned(),
            account_id: ACCOUNT,
        })
        .then([released(ACCOUNT)]);
    assert_eq!(state.holder, None);
}

#[test]
fn it_assigns_a_released_card_number_to_a_new_account() {
    // Goal: after release a number may be issued again.
    let state = given::<Card>([assigned(ACCOUNT), released(ACCOUNT)])
        .when(assign(OTHER_ACCOUNT))
        .then([assigned(OTHER_ACCOUNT)]);
    assert_eq!(state.holder, Some(OTHER_ACCOUNT));
}

#[test]
#[should_panic(expected = "only the holder releases a card number")]
fn it_treats_a_release_by_a_non_holder_as_a_programming_error() {
    // Goal: releasing a number held by another account is a caller bug and panics.
    let _ = given::<Card>([assigned(ACCOUNT)]).when(CardCommand::Release {
        card_no: CARD_NO.to_owned(),
        account_id: OTHER_ACCOUNT,
    });
}

// ----- one printed number is one identity (issue 14) -----

#[test]
fn invisible_and_direction_characters_are_refused_in_every_text() {
    // Goal: a second card "CARD-0001\u{200b}", a cashier "C1\u{200b}", a department with a
    // right-to-left override: each is refused, so no two identities print alike.
    use yika_domain::text::{MAX_NAME_CHARS, bounded, identifier, identity};
    for sneaky in [
        "CARD-0001\u{200b}",
        "C1\u{200d}",
        "\u{202e}ycamrahP",
        "Pharm\u{00ad}acy",
        "\u{feff}CARD",
        "CARD\u{2066}1\u{2069}",
        "CARD\u{e0041}",
    ] {
        assert!(identity("cardNo", sneaky).is_err(), "{sneaky:?}");
        assert!(
            identifier("department", sneaky, MAX_NAME_CHARS).is_err(),
            "{sneaky:?}"
        );
        assert!(
            bounded("name", sneaky, MAX_NAME_CHARS).is_err(),
            "{sneaky:?}"
        );
    }
    // Chinese names and ordinary punctuation stay as typed.
    assert_eq!(
        bounded("name", "王芳（收费处）", MAX_NAME_CHARS).as_deref(),
        Ok("王芳（收费处）")
    );
}

#[test]
fn card_and_staff_numbers_are_one_identity_whatever_their_width_and_case() {
    // Goal: full-width digits typed with a Chinese input method and lower case are the same
    // number: CARD-0001, card-0001 and ＣＡＲＤ－０００１ are one card; departments and order ids
    // fold their width but keep their case.
    use yika_domain::text::{MAX_ID_CHARS, MAX_NAME_CHARS, identifier, identity};
    for typed in [
        "CARD-0001",
        "card-0001",
        "ＣＡＲＤ－０００１",
        " Card-0001 ",
    ] {
        assert_eq!(
            identity("cardNo", typed).as_deref(),
            Ok("CARD-0001"),
            "{typed:?}"
        );
    }
    assert_eq!(identity("staffNo", "ｃ００１").as_deref(), Ok("C001"));
    assert_eq!(
        identifier("department", "Ｐｈａｒｍａｃｙ", MAX_NAME_CHARS).as_deref(),
        Ok("Pharmacy")
    );
    assert_eq!(
        identifier("orderId", "ＯＲＤ　１", MAX_ID_CHARS).as_deref(),
        Ok("ORD 1")
    );
}

// ----- the token lifecycle (issue 14) -----

fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().expect("a time")
}

fn issue(hash: char, expires_at: Option<&str>) -> StaffCommand {
    StaffCommand::IssueToken {
        token_sha256: chars(hash, 64),
        expires_at: expires_at.map(at),
        now: at("2026-12-01T08:00:00Z"),
    }
}

#[test]
fn a_token_is_valid_until_replaced_revoked_expired_or_its_holder_leaves() {
    // Goal: what `authenticates` answers through the lifecycle, from the events alone and the
    // time the caller passes in.
    let now = at("2026-12-01T08:00:00Z");
    let mut state = Staff::default();
    state.apply(&registered(Role::Cashier, None));
    assert!(
        state.authenticates(&token_hash(), now).is_some(),
        "the registered token"
    );
    assert!(
        state.authenticates(&chars('b', 64), now).is_none(),
        "another token"
    );

    let issued = given::<Staff>([registered(Role::Cashier, None)])
        .when(issue('b', Some("2026-12-02T08:00:00Z")))
        .then_events();
    assert_eq!(
        issued,
        [Event::TokenIssued {
            staff_id: STAFF,
            token_sha256: chars('b', 64),
            expires_at: Some(at("2026-12-02T08:00:00Z")),
        }]
    );
    state.apply(&issued[0]);
    assert!(
        state.authenticates(&token_hash(), now).is_none(),
        "the replaced token"
    );
    assert!(
        state.authenticates(&chars('b', 64), now).is_some(),
        "the new token"
    );
    assert!(
        state
            .authenticates(&chars('b', 64), at("2026-12-02T08:00:00Z"))
            .is_none(),
        "the new token at its expiry"
    );

    state.apply(&Event::TokenRevoked { staff_id: STAFF });
    assert!(
        state.authenticates(&chars('b', 64), now).is_none(),
        "revoked"
    );
    state.apply(&Event::TokenIssued {
        staff_id: STAFF,
        token_sha256: chars('c', 64),
        expires_at: None,
    });
    assert!(
        state.authenticates(&chars('c', 64), now).is_some(),
        "issued again"
    );
    state.apply(&Event::StaffDeactivated {
        staff_id: STAFF,
        reason: "离职".to_owned(),
    });
    assert!(
        state.authenticates(&chars('c', 64), now).is_none(),
        "deactivated"
    );
}

#[test]
fn tokens_are_managed_only_for_registered_active_staff() {
    // Goal: nothing is issued, revoked or deactivated for an unknown number or a deactivated
    // member; a revoked token is not revoked twice; an expiry lies in the future; only an
    // ADMIN (or the command line) manages tokens.
    given::<Staff>([])
        .when(issue('b', None))
        .then_err(DomainError::StaffNoUnknown(String::new()));
    given::<Staff>([registered(Role::Cashier, None)])
        .when(issue('b', Some("2026-12-01T07:59:59Z")))
        .then_err(DomainError::ExpiryInThePast);
    given::<Staff>([
        registered(Role::Cashier, None),
        Event::TokenRevoked { staff_id: STAFF },
    ])
    .when(StaffCommand::RevokeToken)
    .then_err(DomainError::NoTokenToRevoke(STAFF_NO.to_owned()));
    let left = [
        registered(Role::Cashier, None),
        Event::StaffDeactivated {
            staff_id: STAFF,
            reason: "离职".to_owned(),
        },
    ];
    given::<Staff>(left.clone())
        .when(issue('b', None))
        .then_err(DomainError::StaffDeactivated(STAFF_NO.to_owned()));
    given::<Staff>(left)
        .when(StaffCommand::Deactivate {
            reason: "again".to_owned(),
        })
        .then_err(DomainError::StaffDeactivated(STAFF_NO.to_owned()));
    let mut state = Staff::default();
    state.apply(&registered(Role::Cashier, None));
    let cashier = Actor {
        staff_id: OTHER_STAFF,
        staff_no: "C-9".to_owned(),
        role: Role::Cashier,
        department: None,
    };
    assert_eq!(
        staff::manage(Some(&cashier), &state, &StaffCommand::RevokeToken),
        Err(DomainError::RoleRequired(Role::Admin))
    );
    assert!(staff::manage(None, &state, &StaffCommand::RevokeToken).is_ok());
}
