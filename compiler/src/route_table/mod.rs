//! Compiled lookup of routes and manipulation rules, for the runtime's hot path.
//!
//! A request never scans every route: routes are grouped by source peer (plus the group of
//! routes with no source), and within a group indexed by the request-URI user: an exact-match
//! hash map, a hash map of prefixes probed once per prefix length of the user, one `RegexSet`
//! for all regex conditions, and a list of routes that do not constrain the user. Only the
//! candidates these yield are then checked in full, in plan order, so the first match in spec
//! order still wins (the same answer as a linear scan; a property test holds us to that).

mod compiled;
mod manipulations;

pub use manipulations::ManipulationTable;

use std::collections::HashMap;

use regex::RegexSet;

use crate::plan::{PeerId, Plan, RouteId, StringMatch};
use compiled::CompiledRoute;

/// A regex in the plan did not compile (the compiler checks this, so only a hand-edited plan
/// gets here).
#[derive(Debug, thiserror::Error)]
#[error("{what} `{name}`: regex `{pattern}` does not compile: {error}")]
pub struct TableError {
    pub what: &'static str,
    pub name: String,
    pub pattern: String,
    pub error: regex::Error,
}

/// What the router needs to know about one request. Strings are borrowed from the parsed
/// message; header names are matched case-insensitively.
#[derive(Clone, Copy, Debug, Default)]
pub struct RouteQuery<'a> {
    /// The peer the request came from (after classification), if known.
    pub source: Option<PeerId>,
    pub method: &'a str,
    pub request_user: &'a str,
    pub request_host: &'a str,
    pub from_user: &'a str,
    pub to_user: &'a str,
    /// All header fields in message order: (name, value).
    pub headers: &'a [(&'a str, &'a str)],
}

/// Candidate index over the routes of one source group.
#[derive(Debug, Default)]
struct Group {
    exact: HashMap<String, Vec<u32>>,
    prefix: HashMap<String, Vec<u32>>,
    /// Longest prefix in `prefix`, to bound probing.
    max_prefix: usize,
    regex_set: Option<RegexSet>,
    /// Route id per pattern of `regex_set`.
    regex_routes: Vec<u32>,
    /// Routes without a request-user condition.
    unconstrained: Vec<u32>,
}

impl Group {
    fn add(&mut self, id: u32, m: Option<&StringMatch>, regexes: &mut Vec<String>) {
        match m {
            None => self.unconstrained.push(id),
            Some(StringMatch::Exact(e)) => self.exact.entry(e.clone()).or_default().push(id),
            Some(StringMatch::Prefix(p)) => {
                self.max_prefix = self.max_prefix.max(p.len());
                self.prefix.entry(p.clone()).or_default().push(id);
            }
            Some(StringMatch::Regex(r)) => {
                regexes.push(r.clone());
                self.regex_routes.push(id);
            }
        }
    }

    /// Pushes the candidate route ids for this request user (unsorted, may repeat).
    fn candidates(&self, user: &str, out: &mut Vec<u32>) {
        out.extend_from_slice(&self.unconstrained);
        if let Some(ids) = self.exact.get(user) {
            out.extend_from_slice(ids);
        }
        if !self.prefix.is_empty() {
            let limit = self.max_prefix.min(user.len());
            for len in 0..=limit {
                if let Some(p) = user.get(..len)
                    && let Some(ids) = self.prefix.get(p)
                {
                    out.extend_from_slice(ids);
                }
            }
        }
        if let Some(set) = &self.regex_set {
            out.extend(
                set.matches(user)
                    .iter()
                    .filter_map(|i| self.regex_routes.get(i).copied()),
            );
        }
    }
}

/// Compiled route lookup for one plan. Build once per plan (it is immutable like the plan).
#[derive(Debug)]
pub struct RouteTable {
    routes: Vec<CompiledRoute>,
    /// Routes with `from: None`.
    any_source: Group,
    by_source: HashMap<PeerId, Group>,
}

impl RouteTable {
    pub fn build(plan: &Plan) -> Result<RouteTable, TableError> {
        let mut routes = Vec::with_capacity(plan.routes.len());
        let mut any_source = Group::default();
        let mut any_regexes = Vec::new();
        let mut by_source: HashMap<PeerId, (Group, Vec<String>)> = HashMap::new();
        for (i, r) in plan.routes.iter().enumerate() {
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            routes.push(CompiledRoute::new(r)?);
            let user = r.when.request_user.as_ref();
            match r.from {
                None => any_source.add(id, user, &mut any_regexes),
                Some(p) => {
                    let (g, rx) = by_source.entry(p).or_default();
                    g.add(id, user, rx);
                }
            }
        }
        let finish = |mut g: Group, rx: Vec<String>| -> Result<Group, TableError> {
            if !rx.is_empty() {
                let set = RegexSet::new(&rx).map_err(|error| TableError {
                    what: "routes",
                    name: "request_user regex set".into(),
                    pattern: String::new(),
                    error,
                })?;
                g.regex_set = Some(set);
            }
            Ok(g)
        };
        let any_source = finish(any_source, any_regexes)?;
        let mut groups = HashMap::with_capacity(by_source.len());
        for (p, (g, rx)) in by_source {
            groups.insert(p, finish(g, rx)?);
        }
        Ok(RouteTable {
            routes,
            any_source,
            by_source: groups,
        })
    }

    /// The first route, in plan order, that matches; `None` means the runtime answers 404.
    pub fn lookup(&self, q: &RouteQuery<'_>) -> Option<RouteId> {
        let mut cands: Vec<u32> = Vec::new();
        self.any_source.candidates(q.request_user, &mut cands);
        if let Some(g) = q.source.and_then(|s| self.by_source.get(&s)) {
            g.candidates(q.request_user, &mut cands);
        }
        cands.sort_unstable();
        cands.dedup();
        cands
            .into_iter()
            .find(|&id| self.routes.get(id as usize).is_some_and(|r| r.matches(q)))
            .map(RouteId)
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}
