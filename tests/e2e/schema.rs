//! docs/schema.graphql is the exported SDL; this fails when it drifts.

use crate::support::YIKA;

#[test]
fn exported_schema_matches_docs() {
    // Goal: `yika export schema` prints exactly the SDL committed in docs/schema.graphql.
    let output = std::process::Command::new(YIKA)
        .args(["export", "schema"])
        .output()
        .expect("yika runs");
    assert!(output.status.success());
    let exported = String::from_utf8(output.stdout).expect("UTF-8");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        exported == committed,
        "docs/schema.graphql is out of date: run `cargo run -p yika-api -- export schema > docs/schema.graphql`"
    );
}
