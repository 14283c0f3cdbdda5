//! The JSON Schema of the spec, generated from the serde types so it cannot drift from them.

use crate::spec::Spec;

/// Pretty JSON (trailing newline), exactly what `schemas/sbcctl.schema.json` holds.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Spec);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
