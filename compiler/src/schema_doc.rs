//! The spec reference in Markdown, generated from the JSON Schema, so the document a user reads
//! is the schema the compiler enforces (a test fails when `docs/spec-reference.md` drifts).

use std::fmt::Write as _;

use serde_json::Value;

/// The whole reference: the top-level sections, then every type the schema defines.
pub fn markdown() -> String {
    let schema: Value = serde_json::from_str(&crate::schema::json_schema()).unwrap_or(Value::Null);
    let mut out = String::from(
        "# Spec reference\n\n\
         Generated from the JSON Schema (`schemas/sbcctl.schema.json`) by `sbcctl schema --markdown`;\n\
         do not edit by hand. Durations are written `30s`, `5m`; port ranges `40000-44999`.\n\n\
         ## Top level\n\n",
    );
    object_table(&schema, &mut out);
    if let Some(defs) = schema.get("$defs").and_then(Value::as_object) {
        for (name, def) in defs {
            let _ = write!(out, "\n## {name}\n\n");
            if let Some(d) = def.get("description").and_then(Value::as_str) {
                let _ = write!(out, "{}\n\n", one_line(d));
            }
            if def.get("properties").is_some() {
                object_table(def, &mut out);
            } else if let Some(values) = def.get("enum").and_then(Value::as_array) {
                let list: Vec<String> = values.iter().map(|v| format!("`{}`", scalar(v))).collect();
                let _ = writeln!(out, "One of: {}.", list.join(", "));
            } else if let Some(variants) = def.get("oneOf").and_then(Value::as_array) {
                out.push_str("One of:\n\n");
                for v in variants {
                    let _ = writeln!(out, "- {}", variant(v));
                }
            } else {
                let _ = writeln!(out, "{}", type_of(def));
            }
        }
    }
    out
}

fn object_table(def: &Value, out: &mut String) {
    let Some(props) = def.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = def
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.push_str("| field | type | required | description |\n| --- | --- | --- | --- |\n");
    for (name, prop) in props {
        let description = prop
            .get("description")
            .and_then(Value::as_str)
            .map(one_line)
            .unwrap_or_default();
        let req = if required.contains(&name.as_str()) {
            "yes"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "| `{name}` | {} | {req} | {} |",
            type_of(prop),
            description.replace('|', "\\|")
        );
    }
}

/// One `oneOf` variant: `{ key: Type }` objects, constants or plain types.
fn variant(v: &Value) -> String {
    let description = v.get("description").and_then(Value::as_str).map(one_line);
    let shape = if let Some(c) = v.get("const") {
        format!("`{}`", scalar(c))
    } else if let Some(props) = v.get("properties").and_then(Value::as_object) {
        let fields: Vec<String> = props
            .iter()
            .map(|(k, p)| format!("`{k}`: {}", type_of(p)))
            .collect();
        format!("{{ {} }}", fields.join(", "))
    } else if let Some(values) = v.get("enum").and_then(Value::as_array) {
        values
            .iter()
            .map(|x| format!("`{}`", scalar(x)))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        type_of(v)
    };
    match description {
        Some(d) => format!("{shape}: {d}"),
        None => shape,
    }
}

/// A short type expression with links to the sections of referenced types.
fn type_of(v: &Value) -> String {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("[{name}](#{})", name.to_lowercase());
    }
    if let Some(any) = v
        .get("anyOf")
        .or_else(|| v.get("oneOf"))
        .and_then(Value::as_array)
    {
        let parts: Vec<String> = any
            .iter()
            .filter(|x| x.get("type") != Some(&Value::from("null")))
            .map(type_of)
            .collect();
        return parts.join(" or ");
    }
    if let Some(values) = v.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|x| format!("`{}`", scalar(x)))
            .collect::<Vec<_>>()
            .join(" \\| ");
    }
    let types: Vec<&str> = match v.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => vec![],
    };
    match types.first().copied() {
        Some("array") => format!(
            "list of {}",
            v.get("items").map(type_of).unwrap_or_else(|| "any".into())
        ),
        Some("object") => match v.get("additionalProperties") {
            Some(inner @ Value::Object(_)) => format!("map of name → {}", type_of(inner)),
            _ => "object".into(),
        },
        Some(t) => t.to_owned(),
        None => "any".into(),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
