//! Marks the end-to-end tests that need something this machine may lack as ignored (with the
//! reason in the test output) unless it is there when the tests are built: a PostgreSQL server
//! (`YIKA_TEST_POSTGRES_URL`), the graphql-http audit (`npm ci` in tests/graphql-http-audit) and
//! a headless Chromium (Debian's `chromium` package) for the printable pages, and that Chromium
//! driven by playwright-core (`npm ci` in tests/browser) for GraphiQL and the dashboard.
//! A test that cannot run here reports itself ignored, never passed.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=YIKA_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(postgres_server)");
    println!("cargo::rustc-check-cfg=cfg(graphql_http_audit)");
    println!("cargo::rustc-check-cfg=cfg(chromium)");
    println!("cargo::rustc-check-cfg=cfg(browser)");
    println!("cargo::rerun-if-changed=/usr/bin/chromium");
    if std::path::Path::new("/usr/bin/chromium").exists() {
        println!("cargo::rustc-cfg=chromium");
    }
    if std::env::var("YIKA_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_server");
    }
    let audit = "../tests/graphql-http-audit/node_modules/graphql-http";
    println!("cargo::rerun-if-changed={audit}");
    if std::path::Path::new(audit).exists() {
        println!("cargo::rustc-cfg=graphql_http_audit");
    }
    let playwright = "../tests/browser/node_modules/playwright-core";
    println!("cargo::rerun-if-changed={playwright}");
    if std::path::Path::new("/usr/bin/chromium").exists()
        && std::path::Path::new(playwright).exists()
    {
        println!("cargo::rustc-cfg=browser");
    }
}
