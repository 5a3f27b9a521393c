//! Rebuilds when a migration changes, and marks the server tests as ignored (with the reason in
//! the test output) unless `YIKA_TEST_KURRENTDB_URL` / `YIKA_TEST_POSTGRES_URL` names a server
//! when the tests are built: a test that cannot run here reports itself ignored, never passed.

fn main() {
    println!("cargo::rerun-if-env-changed=YIKA_TEST_KURRENTDB_URL");
    // `sqlx::migrate!` embeds the migrations: rebuild when one is added or changed.
    println!("cargo::rerun-if-changed=../migrations");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=YIKA_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(kurrentdb_server)");
    println!("cargo::rustc-check-cfg=cfg(postgres_server)");
    if std::env::var("YIKA_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_server");
    }
    if std::env::var("YIKA_TEST_KURRENTDB_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=kurrentdb_server");
    }
}
