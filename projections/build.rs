//! Rebuilds the crate when a migration is added or changed (`sqlx::migrate!` embeds them), and
//! marks the PostgreSQL tests as ignored (with the reason) unless `YIKA_TEST_POSTGRES_URL`
//! names a server when the tests are built.

fn main() {
    println!("cargo::rerun-if-changed=../migrations");
    println!("cargo::rerun-if-env-changed=YIKA_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(postgres_server)");
    if std::env::var("YIKA_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_server");
    }
}
