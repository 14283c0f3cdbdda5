//! One route or header test with its regexes compiled.

use regex::Regex;

use super::{RouteQuery, TableError};
use crate::plan::{HeaderCheck, HeaderTest, PeerId, Route, StringMatch};

#[derive(Debug)]
pub(crate) enum Matcher {
    Exact(String),
    Prefix(String),
    Regex(Regex),
}

impl Matcher {
    pub(crate) fn new(m: &StringMatch, what: &'static str, name: &str) -> Result<Self, TableError> {
        Ok(match m {
            StringMatch::Exact(e) => Matcher::Exact(e.clone()),
            StringMatch::Prefix(p) => Matcher::Prefix(p.clone()),
            StringMatch::Regex(r) => Matcher::Regex(Regex::new(r).map_err(|error| TableError {
                what,
                name: name.to_string(),
                pattern: r.clone(),
                error,
            })?),
        })
    }

    pub(crate) fn is_match(&self, v: &str) -> bool {
        match self {
            Matcher::Exact(e) => v == e,
            Matcher::Prefix(p) => v.starts_with(p.as_str()),
            Matcher::Regex(r) => r.is_match(v),
        }
    }
}

#[derive(Debug)]
pub(crate) struct CompiledHeaderTest {
    name: String,
    check: Option<Matcher>,
    absent: bool,
}

impl CompiledHeaderTest {
    pub(crate) fn new(t: &HeaderTest, what: &'static str, owner: &str) -> Result<Self, TableError> {
        let (check, absent) = match &t.test {
            HeaderCheck::Exists => (None, false),
            HeaderCheck::Absent => (None, true),
            HeaderCheck::Matches(m) => (Some(Matcher::new(m, what, owner)?), false),
        };
        Ok(CompiledHeaderTest {
            name: t.name.clone(),
            check,
            absent,
        })
    }

    pub(crate) fn holds(&self, headers: &[(&str, &str)]) -> bool {
        let mut values = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(&self.name))
            .map(|(_, v)| *v);
        if self.absent {
            return values.next().is_none();
        }
        match &self.check {
            None => values.next().is_some(),
            Some(m) => values.any(|v| m.is_match(v)),
        }
    }
}

#[derive(Debug)]
pub(crate) struct CompiledRoute {
    from: Option<PeerId>,
    methods: Vec<String>,
    request_user: Option<Matcher>,
    request_host: Option<Matcher>,
    from_user: Option<Matcher>,
    to_user: Option<Matcher>,
    headers: Vec<CompiledHeaderTest>,
}

impl CompiledRoute {
    pub(crate) fn new(r: &Route) -> Result<Self, TableError> {
        let m = |s: &Option<StringMatch>| {
            s.as_ref()
                .map(|s| Matcher::new(s, "route", &r.name))
                .transpose()
        };
        Ok(CompiledRoute {
            from: r.from,
            methods: r.when.methods.clone(),
            request_user: m(&r.when.request_user)?,
            request_host: m(&r.when.request_host)?,
            from_user: m(&r.when.from_user)?,
            to_user: m(&r.when.to_user)?,
            headers: r
                .when
                .headers
                .iter()
                .map(|h| CompiledHeaderTest::new(h, "route", &r.name))
                .collect::<Result<_, _>>()?,
        })
    }

    pub(crate) fn matches(&self, q: &RouteQuery<'_>) -> bool {
        let field = |m: &Option<Matcher>, v: &str| m.as_ref().is_none_or(|m| m.is_match(v));
        (self.from.is_none() || self.from == q.source)
            && (self.methods.is_empty()
                || self
                    .methods
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(q.method)))
            && field(&self.request_user, q.request_user)
            && field(&self.request_host, q.request_host)
            && field(&self.from_user, q.from_user)
            && field(&self.to_user, q.to_user)
            && self.headers.iter().all(|h| h.holds(q.headers))
    }
}
