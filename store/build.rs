//! Rebuilds when a migration changes, and marks the KurrentDB server tests as ignored (with the reason in the test output) unless
//! `YIKA_TEST_KURRENTDB_URL` names a server when the tests are built.

fn main() {
    println!("cargo::rerun-if-env-changed=YIKA_TEST_KURRENTDB_URL");
    // `sqlx::migrate!` embeds the migrations: rebuild when one is added or changed.
    println!("cargo::rerun-if-changed=../migrations");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(kurrentdb_server)");
    if std::env::var("YIKA_TEST_KURRENTDB_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=kurrentdb_server");
    }
}
