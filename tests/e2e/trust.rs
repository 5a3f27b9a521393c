//! Trust (issue 14): a hand-over that matches the count, one printed number one identity, and a
//! coefficient typo that neither locks the coefficients nor outlives its correction.

use serde_json::json;

use crate::support::*;

const HAND_OVER: &str = "mutation($shift: UUID!, $amount: Money!) { handOverShift(input: { shiftId: $shift, amount: $amount }) { status handedOver countedCash handOverVariance reviewReasons flaggedForReview } }";
const SET: &str = "mutation($from: Date!) { setDifficultyCoefficients(input: { effectiveFrom: $from, coefficients: [{ businessType: DEPOSIT, coefficient: 2 }] }) { effectiveFrom } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_over_above_the_count_is_refused_and_a_shortfall_is_flagged() {
    // Goal: the reported hole. A drawer counted at 385.00: handing over 9,999,999.00 (or
    // 385.01) is INSUFFICIENT_CASH and writes nothing; handing over 300.00 is taken and the
    // shift is flagged HANDOVER_DIFFERS_FROM_COUNT; a hand-over of the count is not flagged.
    // (At local noon, so that no shift is a night shift.)
    let (zone, _) = zone_with_local_hour(12);
    let server = Server::start_args(&["--time-zone", &zone]);
    let cast = Cast::register(&server);
    let finance = server.staff_add("F001", "Controller", "CONTROLLER", None);
    let mut shifts = Vec::new();
    for (n, cashier) in [
        &cast.cashier,
        &server.staff_add("C002", "Li", "CASHIER", None),
    ]
    .into_iter()
    .enumerate()
    {
        let shift = open_shift(&server, cashier, "100.00").await;
        let card = open_card(&server, cashier, &format!("CARD-HAND-{n}")).await;
        deposit(&server, cashier, &card, &shift, "285.00").await;
        server
            .ok(
                &cashier.token,
                CLOSE_SHIFT,
                json!({ "shift": shift, "counted": "385.00" }),
            )
            .await;
        shifts.push(shift);
    }
    let before = server.event_count().await;
    for amount in ["9999999.00", "385.01"] {
        assert_eq!(
            server
                .refused(
                    Some(&finance.token),
                    HAND_OVER,
                    json!({ "shift": shifts[0], "amount": amount })
                )
                .await,
            "INSUFFICIENT_CASH",
            "{amount}"
        );
    }
    assert_eq!(
        server.event_count().await,
        before,
        "a refusal writes nothing"
    );
    let short = server
        .ok(
            &finance.token,
            HAND_OVER,
            json!({ "shift": shifts[0], "amount": "300.00" }),
        )
        .await;
    assert_eq!(short["handOverShift"]["handedOver"], "300.00");
    assert_eq!(short["handOverShift"]["handOverVariance"], "-85.00");
    assert_eq!(
        short["handOverShift"]["reviewReasons"],
        json!(["HANDOVER_DIFFERS_FROM_COUNT"])
    );
    assert_eq!(short["handOverShift"]["flaggedForReview"], true);
    let whole = server
        .ok(
            &finance.token,
            HAND_OVER,
            json!({ "shift": shifts[1], "amount": "385.00" }),
        )
        .await;
    assert_eq!(whole["handOverShift"]["reviewReasons"], json!([]));
    assert_eq!(whole["handOverShift"]["handOverVariance"], "0.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_printed_card_or_staff_number_is_one_identity() {
    // Goal: the reported look-alikes. "CARD-0001\u{200b}" is refused (VALIDATION); lower case
    // and full-width typings of CARD-0001 are the same card (CONFLICT while it is open, and a
    // lookup by any typing finds it); a staff number with a zero-width space is refused.
    let server = Server::start();
    let cast = Cast::register(&server);
    let card = open_card(&server, &cast.cashier, "card-0001").await;
    let before = server.event_count().await;
    let open = |card: &str| json!({ "kind": "OUTPATIENT_CARD", "patient": "P-2", "card": card, "key": uuid() });
    assert_eq!(
        server
            .refused(
                Some(&cast.cashier.token),
                OPEN_ACCOUNT,
                open("CARD-0002\u{200b}")
            )
            .await,
        "VALIDATION"
    );
    for typed in ["CARD-0001", "ＣＡＲＤ－０００１", "Card-0001"] {
        assert_eq!(
            server
                .refused(Some(&cast.cashier.token), OPEN_ACCOUNT, open(typed))
                .await,
            "CONFLICT",
            "{typed}"
        );
    }
    assert_eq!(server.event_count().await, before, "nothing was written");
    for typed in ["CARD-0001", "ｃａｒｄ－０００１"] {
        let found = server
            .ok(
                &cast.cashier.token,
                "query($card: String!) { account(cardNo: $card) { id cardNo } }",
                json!({ "card": typed }),
            )
            .await;
        assert_eq!(found["account"]["id"], card.as_str(), "{typed}");
        assert_eq!(found["account"]["cardNo"], "CARD-0001");
    }
    let output = server
        .data
        .yika(&[
            "staff",
            "add",
            "--staff-no",
            "C001\u{200b}",
            "--name",
            "Fake",
            "--role",
            "CASHIER",
        ])
        .output()
        .expect("yika runs");
    assert!(
        !output.status.success(),
        "a look-alike staff number was taken"
    );
    let output = server
        .data
        .yika(&[
            "staff",
            "add",
            "--staff-no",
            "c001",
            "--name",
            "Fake",
            "--role",
            "CASHIER",
        ])
        .output()
        .expect("yika runs");
    assert!(
        !output.status.success(),
        "c001 is C001: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coefficient_typo_neither_locks_the_coefficients_nor_outlives_its_correction() {
    // Goal: the reported lock. A set more than a year ahead is refused; a mistaken set a few
    // months ahead no longer blocks a set from an earlier date, which supersedes it.
    let (zone, today) = zone_with_local_hour(12);
    let today: chrono::NaiveDate = today.parse().expect("a date");
    let server = Server::start_args(&["--time-zone", &zone]);
    let supervisor = server.staff_add("S001", "Zhou Min", "SUPERVISOR", None);
    let far = (today + chrono::Duration::days(400)).to_string();
    assert_eq!(
        server
            .refused(Some(&supervisor.token), SET, json!({ "from": far }))
            .await,
        "VALIDATION"
    );
    let typo = (today + chrono::Duration::days(300)).to_string();
    server
        .ok(&supervisor.token, SET, json!({ "from": typo }))
        .await;
    let meant = (today + chrono::Duration::days(1)).to_string();
    let set = server
        .ok(&supervisor.token, SET, json!({ "from": meant }))
        .await;
    assert_eq!(set["setDifficultyCoefficients"][0]["effectiveFrom"], meant);
}

const ME: &str = "{ me { staffNo } }";

/// True once `token` is refused (UNAUTHENTICATED), polling for up to two seconds.
async fn refused_soon(server: &Server, token: &str) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let answer = server.gql(Some(token), ME, json!({})).await;
        if answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

const ROTATE: &str = "mutation($no: String!, $at: DateTime) { rotateToken(input: { staffNo: $no, expiresAt: $at }) { token expiresAt staff { staffNo } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_rotated_revoked_expire_and_die_with_their_holder() {
    // Goal: issue 14, item 1. An ADMIN rotates a cashier's token (the old one is refused within
    // a second, the new one works); the command line revokes it (refused within a second) and
    // issues a new one; a token issued with an expiry stops working at it; a deactivated staff
    // member's token is refused and no new one is issued to them (CONFLICT); only an ADMIN
    // manages tokens (FORBIDDEN), and each of these is an event in the log.
    let server = Server::start();
    let cast = Cast::register(&server);
    let old = cast.cashier.token.clone();
    assert_eq!(
        server.ok(&old, ME, json!({})).await["me"]["staffNo"],
        "C001"
    );
    assert_eq!(
        server
            .refused(
                Some(&cast.cashier.token),
                ROTATE,
                json!({ "no": "C001", "at": null })
            )
            .await,
        "FORBIDDEN"
    );

    let rotated = server
        .ok(
            &cast.admin.token,
            ROTATE,
            json!({ "no": "c001", "at": null }),
        )
        .await;
    let new = rotated["rotateToken"]["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_eq!(rotated["rotateToken"]["staff"]["staffNo"], "C001");
    assert!(
        refused_soon(&server, &old).await,
        "the replaced token is refused"
    );
    assert_eq!(
        server.ok(&new, ME, json!({})).await["me"]["staffNo"],
        "C001"
    );

    let output = server
        .data
        .yika(&["staff", "revoke", "--staff-no", "C001"])
        .output()
        .expect("yika runs");
    assert!(output.status.success(), "{output:?}");
    assert!(
        refused_soon(&server, &new).await,
        "the revoked token is refused"
    );

    let output = server
        .data
        .yika(&["staff", "token", "--staff-no", "C001", "--rotate", "--json"])
        .output()
        .expect("yika runs");
    assert!(output.status.success(), "{output:?}");
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let issued = line["token"].as_str().expect("a token").to_owned();
    assert_eq!(
        server.ok(&issued, ME, json!({})).await["me"]["staffNo"],
        "C001"
    );

    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(1_500)).to_rfc3339();
    let expiring = server
        .ok(
            &cast.admin.token,
            ROTATE,
            json!({ "no": "C001", "at": soon }),
        )
        .await;
    let expiring = expiring["rotateToken"]["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_eq!(
        server.ok(&expiring, ME, json!({})).await["me"]["staffNo"],
        "C001"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let answer = server.gql(Some(&expiring), ME, json!({})).await;
        if answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the token expired: {answer}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    assert_eq!(
        server
            .refused(
                Some(&cast.admin.token),
                ROTATE,
                json!({ "no": "C001", "at": past })
            )
            .await,
        "VALIDATION"
    );

    let renewed = server
        .ok(
            &cast.admin.token,
            ROTATE,
            json!({ "no": "C001", "at": null }),
        )
        .await;
    let renewed = renewed["rotateToken"]["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let deactivate =
        "mutation { deactivateStaff(input: { staffNo: \"C001\", reason: \"离职\" }) { staffNo } }";
    server.ok(&cast.admin.token, deactivate, json!({})).await;
    assert!(
        refused_soon(&server, &renewed).await,
        "a deactivated member's token is refused"
    );
    assert_eq!(
        server
            .refused(
                Some(&cast.admin.token),
                ROTATE,
                json!({ "no": "C001", "at": null })
            )
            .await,
        "CONFLICT"
    );
    assert_eq!(
        server
            .refused(
                Some(&cast.admin.token),
                ROTATE,
                json!({ "no": "NOBODY", "at": null })
            )
            .await,
        "NOT_FOUND"
    );
    let trail = server
        .ok(
            &cast.admin.token,
            "{ auditTrail(filter: { eventTypes: [\"TokenIssued\", \"TokenRevoked\", \"StaffDeactivated\"] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        trail["auditTrail"]["totalCount"], 6,
        "4 issued, 1 revoked, 1 deactivated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_staff_view_can_hide_a_member_but_never_make_an_admin() {
    // Goal: issue 14, item 4. Authentication reads the token index in read.db but takes the
    // identity, role and token from the log. A cashier's row edited to ADMIN stays a cashier; the
    // ADMIN's row pointed at the cashier's token does not let that token act as the ADMIN (it is
    // refused); the views rebuilt from the log are right again.
    let server = Server::start();
    let cast = Cast::register(&server);
    let ledger = server.stop();
    let cashier_hash = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(cast.cashier.token.as_bytes()))
    };
    let statements = [
        "UPDATE staff SET role = 'ADMIN' WHERE staff_no = 'C001' OR staff_no = 'D-LAB'".to_owned(),
        "UPDATE staff SET token_sha256 = 'moved' WHERE staff_no = 'C001'".to_owned(),
        format!("UPDATE staff SET token_sha256 = '{cashier_hash}' WHERE staff_no = 'A001'"),
    ];
    match ledger.postgres_url() {
        Some(url) => {
            use sqlx::Connection as _;
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
            for statement in &statements {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
                    .execute(&mut conn)
                    .await
                    .expect("the view is edited");
            }
        }
        None => {
            use sqlx::ConnectOptions as _;
            let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(ledger.path().join("read.db"))
                .connect()
                .await
                .expect("read.db opens");
            for statement in &statements {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
                    .execute(&mut conn)
                    .await
                    .expect("the view is edited");
            }
        }
    }
    let server = Server::start_in(ledger);
    let register = "mutation { registerStaff(input: { staffNo: \"X001\", name: \"Mallory\", role: ADMIN }) { token } }";
    let code = server
        .refused(Some(&cast.cashier.token), register, json!({}))
        .await;
    assert!(
        code == "UNAUTHENTICATED" || code == "FORBIDDEN",
        "the cashier's token never acts as the ADMIN: {code}"
    );
    assert_ne!(
        server.gql(Some(&cast.cashier.token), ME, json!({})).await["data"]["me"]["staffNo"],
        "A001"
    );
    // The lab terminal's row says ADMIN; the log says DEPARTMENT.
    assert_eq!(
        server
            .refused(Some(&cast.lab.token), register, json!({}))
            .await,
        "FORBIDDEN"
    );
}
