//! The committed JSON Schema must be what the spec types generate.

#[test]
fn committed_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/sbcctl.schema.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = sbcctl_compiler::schema::json_schema();
    assert!(
        committed == generated,
        "schemas/sbcctl.schema.json is stale: regenerate it with \
         `cargo run -q -p sbcctl -- schema > schemas/sbcctl.schema.json` (or `just schema`)"
    );
}

#[test]
fn schema_describes_the_sections() {
    let v: serde_json::Value =
        serde_json::from_str(&sbcctl_compiler::schema::json_schema()).expect("valid JSON");
    let props = v.get("properties").expect("properties");
    for key in [
        "version",
        "interfaces",
        "peers",
        "routes",
        "manipulations",
        "limits",
    ] {
        assert!(props.get(key).is_some(), "{key} missing from schema");
    }
    assert_eq!(
        v.get("additionalProperties"),
        Some(&serde_json::Value::Bool(false))
    );
}

/// The Markdown spec reference is generated from the same schema and committed beside it.
#[test]
fn committed_spec_reference_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/spec-reference.md");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = sbcctl_compiler::schema_doc::markdown();
    assert!(
        committed == generated,
        "docs/spec-reference.md is stale: regenerate it with \
         `cargo run -q -p sbcctl -- schema --markdown > docs/spec-reference.md` (or `just schema`)"
    );
    for section in [
        "## InterfaceSpec",
        "## LocalSpec",
        "## RouteSpec",
        "## ManipulationSpec",
    ] {
        assert!(
            generated.contains(section),
            "{section} missing from the reference"
        );
    }
}
