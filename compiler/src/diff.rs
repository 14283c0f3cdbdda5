//! `PlanDiff`: what changes between two plans, per section and item, with the operational
//! impact of each change. Items are matched by name, and references are compared by the name
//! they point at, so renumbering alone is not a change.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::plan::Plan;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Changed,
    Removed,
}

impl ChangeKind {
    fn sigil(self) -> char {
        match self {
            ChangeKind::Added => '+',
            ChangeKind::Changed => '~',
            ChangeKind::Removed => '-',
        }
    }
    fn flipped(self) -> Self {
        match self {
            ChangeKind::Added => ChangeKind::Removed,
            ChangeKind::Removed => ChangeKind::Added,
            ChangeKind::Changed => ChangeKind::Changed,
        }
    }
}

/// One item added, removed or changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub name: String,
    /// For `Changed`: the top-level fields that differ (sorted).
    pub fields: Vec<String>,
    /// One line for operators: what the change does to traffic.
    pub impact: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SectionDiff {
    pub section: String,
    pub changes: Vec<Change>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
pub struct PlanDiff {
    /// Only sections with changes, in plan order.
    pub sections: Vec<SectionDiff>,
}

const SECTIONS: &[&str] = &[
    "tls",
    "interfaces",
    "media_realms",
    "profiles",
    "peers",
    "routes",
    "manipulations",
    "settings",
];

/// Which plan vector a reference field points into.
fn table_of(key: &str) -> Option<&'static str> {
    Some(match key {
        "interface" => "interfaces",
        "realm" => "media_realms",
        "profile" => "profiles",
        "tls" => "tls",
        "server" | "from" | "peer" | "registered" => "peers",
        _ => return None,
    })
}

/// The plan as JSON with every id replaced by the name it points at.
fn named_view(plan: &Plan) -> Value {
    let mut v = serde_json::to_value(plan).unwrap_or(Value::Null);
    let mut names: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for t in ["interfaces", "media_realms", "profiles", "tls", "peers"] {
        let list = v
            .get(t)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|i| i.get("name").cloned().unwrap_or(Value::Null))
                    .collect()
            })
            .unwrap_or_default();
        names.insert(t, list);
    }
    fn walk(v: &mut Value, names: &BTreeMap<&str, Vec<Value>>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m.iter_mut() {
                    if let (Some(t), Some(i)) = (table_of(k), child.as_u64())
                        && let Some(n) = names.get(t).and_then(|l| l.get(i as usize))
                    {
                        *child = n.clone();
                        continue;
                    }
                    walk(child, names);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|c| walk(c, names)),
            _ => {}
        }
    }
    walk(&mut v, &names);
    v
}

/// Items of a section by name, each with its position (routes and manipulations are ordered).
fn items(view: &Value, section: &str) -> BTreeMap<String, Value> {
    if section == "settings" {
        return ["limits", "admin", "logging", "cdr"]
            .iter()
            .map(|k| (k.to_string(), view.get(*k).cloned().unwrap_or(Value::Null)))
            .collect();
    }
    let mut out = BTreeMap::new();
    for (pos, item) in view
        .get(section)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = item
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut item = item.clone();
        if matches!(section, "routes" | "manipulations")
            && let Value::Object(m) = &mut item
        {
            m.insert("position".into(), Value::from(pos + 1));
        }
        out.insert(name, item);
    }
    out
}

fn changed_fields(a: &Value, b: &Value) -> Vec<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter(|k| x.get(*k) != y.get(*k))
                .map(|k| k.to_string())
                .collect()
        }
        _ => vec!["value".into()],
    }
}

/// Operational impact of one change.
pub fn impact(section: &str, name: &str, kind: ChangeKind, fields: &[String]) -> String {
    let has = |f: &str| fields.iter().any(|x| x == f);
    let s = match (section, kind) {
        ("interfaces", ChangeKind::Added) => "new listener",
        ("interfaces", ChangeKind::Removed) => {
            "listener stops: drops its connections and the registrations on them"
        }
        ("interfaces", ChangeKind::Changed) if has("listen") || has("transport") || has("tls") => {
            "listener restart: drops its connections and the registrations on them"
        }
        ("interfaces", ChangeKind::Changed) => "new connections only",
        ("tls", ChangeKind::Removed) => "certificate no longer loaded",
        ("tls", _) => "new TLS handshakes only",
        ("media_realms", ChangeKind::Removed) => "drops calls anchored in this realm",
        ("media_realms", _) => "new calls only",
        ("profiles", _) => "new calls only",
        ("peers", ChangeKind::Removed) => "drops calls and registrations of this peer",
        ("peers", ChangeKind::Changed) if has("kind") => "new calls and registrations only",
        ("peers", _) => "new calls only",
        ("routes", _) => "new calls only",
        ("manipulations", _) => "new requests only",
        ("settings", _) => match name {
            "limits" => "new connections and requests only",
            "admin" => "admin listener restart",
            _ => "immediate",
        },
        _ => "new calls only",
    };
    s.to_string()
}

/// Differences from `old` to `new`.
pub fn diff(old: &Plan, new: &Plan) -> PlanDiff {
    let (va, vb) = (named_view(old), named_view(new));
    let mut out = PlanDiff::default();
    for &section in SECTIONS {
        let (a, b) = (items(&va, section), items(&vb, section));
        let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
        names.sort();
        names.dedup();
        let mut changes = Vec::new();
        for name in names {
            let (kind, fields) = match (a.get(name), b.get(name)) {
                (None, Some(_)) => (ChangeKind::Added, vec![]),
                (Some(_), None) => (ChangeKind::Removed, vec![]),
                (Some(x), Some(y)) if x != y => (ChangeKind::Changed, changed_fields(x, y)),
                _ => continue,
            };
            changes.push(Change {
                impact: impact(section, name, kind, &fields),
                kind,
                name: name.clone(),
                fields,
            });
        }
        if !changes.is_empty() {
            out.sections.push(SectionDiff {
                section: section.into(),
                changes,
            });
        }
    }
    out
}

impl PlanDiff {
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }

    /// The diff in the other direction (`diff(b, a)`).
    pub fn flipped(&self) -> PlanDiff {
        PlanDiff {
            sections: self
                .sections
                .iter()
                .map(|s| SectionDiff {
                    section: s.section.clone(),
                    changes: s
                        .changes
                        .iter()
                        .map(|c| {
                            let kind = c.kind.flipped();
                            Change {
                                kind,
                                name: c.name.clone(),
                                fields: c.fields.clone(),
                                impact: impact(&s.section, &c.name, kind, &c.fields),
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// (added, changed, removed)
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for ch in self.sections.iter().flat_map(|s| &s.changes) {
            match ch.kind {
                ChangeKind::Added => c.0 += 1,
                ChangeKind::Changed => c.1 += 1,
                ChangeKind::Removed => c.2 += 1,
            }
        }
        c
    }

    /// Human text: a block per section, a line per item, and a summary line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for s in &self.sections {
            let _ = writeln!(out, "{}", s.section);
            for c in &s.changes {
                let mut label = c.name.clone();
                if !c.fields.is_empty() {
                    label = format!("{label} ({})", c.fields.join(", "));
                }
                let _ = writeln!(out, "  {} {label:<40} {}", c.kind.sigil(), c.impact);
            }
        }
        let (a, c, r) = self.counts();
        if self.is_empty() {
            out.push_str("no changes\n");
        } else {
            let _ = writeln!(out, "{a} added, {c} changed, {r} removed");
        }
        out
    }
}
