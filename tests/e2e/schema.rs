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

/// Every type, field, argument and enum value of an SDL document, with its type and default,
/// one line each ("Query.auditTrail(first): Int = 100").
fn signatures(sdl: &str) -> std::collections::BTreeMap<String, String> {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let document = async_graphql::parser::parse_schema(sdl).expect("the SDL parses");
    let mut lines = std::collections::BTreeMap::new();
    let input = |name: String, value: &async_graphql::parser::types::InputValueDefinition| {
        let default = value
            .default_value
            .as_ref()
            .map(|d| format!(" = {}", d.node))
            .unwrap_or_default();
        (name, format!("{}{default}", value.ty.node))
    };
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = ty.node;
        let name = ty.name.node.to_string();
        match ty.kind {
            TypeKind::Object(object) => {
                for field in object.fields {
                    let field = field.node;
                    let path = format!("{name}.{}", field.name.node);
                    for argument in &field.arguments {
                        let (key, value) = input(
                            format!("{path}({})", argument.node.name.node),
                            &argument.node,
                        );
                        lines.insert(key, value);
                    }
                    lines.insert(path, field.ty.node.to_string());
                }
            }
            TypeKind::InputObject(object) => {
                for field in object.fields {
                    let (key, value) =
                        input(format!("{name}.{}", field.node.name.node), &field.node);
                    lines.insert(key, value);
                }
            }
            TypeKind::Enum(values) => {
                for value in values.values {
                    lines.insert(format!("{name}::{}", value.node.value.node), String::new());
                }
            }
            _ => {
                lines.insert(name, String::new());
            }
        }
    }
    lines
}

#[test]
fn served_schema_keeps_every_name_type_and_default_of_the_contract() {
    // Goal: each type, field, argument (with its nullability and default) and enum value of
    // the contract the project promises its clients (docs/api-contract.graphql, kept in step
    // with the design by hand) is served exactly so; the server may add more.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api-contract.graphql");
    let contract = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the API contract is read from {path}: {e}"));
    let exported = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/schema.graphql"
    ))
    .expect("docs/schema.graphql");
    let served = signatures(&exported);
    let promised = signatures(&contract);
    assert!(promised.len() > 100, "the contract was read whole");
    let broken: Vec<String> = promised
        .iter()
        .filter(|(key, value)| served.get(*key) != Some(value))
        .map(|(key, value)| format!("{key}: contract {value:?}, served {:?}", served.get(key)))
        .collect();
    assert!(
        broken.is_empty(),
        "the served schema breaks the contract:\n{}",
        broken.join("\n")
    );
}
