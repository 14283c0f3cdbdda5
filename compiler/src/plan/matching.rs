//! Routes and manipulation rules.

use serde::{Deserialize, Serialize};

use super::ids::PeerId;

/// A string test. Regexes are stored as source and compiled by [`crate::route_table`]; the
/// compiler has already checked that they compile.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StringMatch {
    Exact(String),
    Prefix(String),
    Regex(String),
}

impl StringMatch {
    /// Reference semantics (the route table must agree with this).
    pub fn matches_with(&self, value: &str, regex: impl FnOnce(&str, &str) -> bool) -> bool {
        match self {
            StringMatch::Exact(e) => value == e,
            StringMatch::Prefix(p) => value.starts_with(p.as_str()),
            StringMatch::Regex(r) => regex(r, value),
        }
    }
}

/// A test on a header (name compared case-insensitively; compact forms are the runtime's job).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct HeaderTest {
    /// Lower-case header name.
    pub name: String,
    pub test: HeaderCheck,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum HeaderCheck {
    /// The header is present.
    Exists,
    /// The header is absent.
    Absent,
    /// Some value of the header matches.
    Matches(StringMatch),
}

/// All conditions of a route; every one that is set must hold.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, Default)]
#[serde(deny_unknown_fields)]
pub struct RouteMatch {
    /// Upper-case method names; empty = any method.
    pub methods: Vec<String>,
    pub request_user: Option<StringMatch>,
    pub request_host: Option<StringMatch>,
    pub from_user: Option<StringMatch>,
    pub to_user: Option<StringMatch>,
    pub headers: Vec<HeaderTest>,
}

impl RouteMatch {
    /// True when the route matches any request from its source.
    pub fn is_catch_all(&self) -> bool {
        *self == RouteMatch::default()
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Destination {
    /// Send to a server or echo peer.
    Peer(PeerId),
    /// Fork to the registered bindings of a users peer for the request-URI user.
    Registered(PeerId),
    Reject {
        code: u16,
        reason: String,
    },
}

/// One routing rule; the first matching route in plan order wins. No match: 404.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub name: String,
    /// `None`: any source peer.
    pub from: Option<PeerId>,
    pub when: RouteMatch,
    pub to: Destination,
}

#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// A request arriving from the peer, before routing.
    Ingress,
    /// A request about to be sent to the peer, after routing.
    Egress,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, Default)]
#[serde(deny_unknown_fields)]
pub struct ManipulationMatch {
    /// `None`: both directions.
    pub direction: Option<Direction>,
    /// `None`: any peer.
    pub peer: Option<PeerId>,
    /// Upper-case; empty = any method.
    pub methods: Vec<String>,
    pub headers: Vec<HeaderTest>,
}

#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UserField {
    RequestUser,
    FromUser,
    ToUser,
}

#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DisplayField {
    From,
    To,
}

/// One edit. Headers that carry transaction identity (Via, CSeq, Call-ID, Max-Forwards,
/// Content-Length, Route, Record-Route) are rejected by the compiler.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    AddHeader {
        name: String,
        value: String,
    },
    SetHeader {
        name: String,
        value: String,
    },
    RemoveHeader {
        name: String,
    },
    AddPrefix {
        field: UserField,
        prefix: String,
    },
    StripPrefix {
        field: UserField,
        prefix: String,
    },
    /// `replacement` uses `$1` / `${name}` syntax of the regex crate.
    RegexReplace {
        field: UserField,
        pattern: String,
        replacement: String,
    },
    SetDisplayName {
        field: DisplayField,
        value: String,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Manipulation {
    pub name: String,
    pub when: ManipulationMatch,
    pub actions: Vec<Action>,
}
