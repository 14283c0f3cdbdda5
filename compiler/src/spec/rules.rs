//! Routes and manipulations.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::plan::{Direction, DisplayField, UserField};

/// A string test: `{ exact: X }`, `{ prefix: X }` or `{ regex: X }`.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MatchSpec {
    Exact(#[schemars(with = "String")] Spanned<String>),
    Prefix(#[schemars(with = "String")] Spanned<String>),
    /// Rust regex syntax; anchor it (`^...$`) to match the whole value.
    Regex(#[schemars(with = "String")] Spanned<String>),
}

/// A header test: `name` and exactly one of the tests.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct HeaderTestSpec {
    /// Header name (case-insensitive).
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[serde(default)]
    pub exists: Option<bool>,
    #[serde(default)]
    pub absent: Option<bool>,
    #[serde(default)]
    pub equals: Option<String>,
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub regex: Option<Spanned<String>>,
}

/// Conditions of a route; all given conditions must hold.
#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RouteWhenSpec {
    /// SIP methods, e.g. [INVITE, MESSAGE]; default any.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub methods: Vec<Spanned<String>>,
    #[serde(default)]
    pub request_user: Option<MatchSpec>,
    #[serde(default)]
    pub request_host: Option<MatchSpec>,
    #[serde(default)]
    pub from_user: Option<MatchSpec>,
    #[serde(default)]
    pub to_user: Option<MatchSpec>,
    #[serde(default)]
    pub headers: Vec<HeaderTestSpec>,
}

/// Where a matching request goes.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DestinationSpec {
    /// A server or echo peer.
    Peer(#[schemars(with = "String")] Spanned<String>),
    /// The registered bindings of a users peer.
    Registered(#[schemars(with = "String")] Spanned<String>),
    /// Answer with this final response.
    Reject(RejectSpec),
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RejectSpec {
    /// 400-699.
    #[schemars(with = "u16")]
    pub code: Spanned<u16>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Source peer; default any.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub from: Option<Spanned<String>>,
    #[serde(default)]
    pub when: RouteWhenSpec,
    pub to: DestinationSpec,
}

#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct ManipulationWhenSpec {
    /// Default both.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// Default any peer.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub peer: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub methods: Vec<Spanned<String>>,
    #[serde(default)]
    pub headers: Vec<HeaderTestSpec>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct HeaderValueSpec {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    pub value: String,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct HeaderNameSpec {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct PrefixSpec {
    pub field: UserField,
    pub prefix: String,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RegexReplaceSpec {
    pub field: UserField,
    #[schemars(with = "String")]
    pub pattern: Spanned<String>,
    /// `$1`, `${name}` refer to capture groups.
    pub replacement: String,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct DisplayNameSpec {
    pub field: DisplayField,
    pub value: String,
}

/// One edit.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionSpec {
    AddHeader(HeaderValueSpec),
    SetHeader(HeaderValueSpec),
    RemoveHeader(HeaderNameSpec),
    AddPrefix(PrefixSpec),
    StripPrefix(PrefixSpec),
    RegexReplace(RegexReplaceSpec),
    SetDisplayName(DisplayNameSpec),
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct ManipulationSpec {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[serde(default)]
    pub when: ManipulationWhenSpec,
    #[serde(rename = "do")]
    pub actions: Vec<ActionSpec>,
}
