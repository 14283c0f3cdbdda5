//! `;name=value` parameter lists (RFC 3261 §7.3.1 `generic-param`) and hosts.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::text::{is_token, is_wsp, take_quoted};

/// Parameters in order. Names compare case-insensitively; values are kept as
/// received (quoted strings keep their quotes) so printing is faithful.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    list: Vec<(String, Option<String>)>,
}

impl Params {
    pub fn new() -> Params {
        Params::default()
    }

    /// All parameters in order, values as received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.list.iter().map(|(k, v)| (k.as_str(), v.as_deref()))
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// True when the parameter is present (with or without a value).
    pub fn contains(&self, name: &str) -> bool {
        self.list.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    /// `Some(Some(v))` for `name=v`, `Some(None)` for a bare `name`.
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.list
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }

    /// The value of `name`, with quotes removed and escapes resolved.
    pub fn get_unquoted(&self, name: &str) -> Option<String> {
        let v = self.get(name)??;
        if v.starts_with('"') {
            take_quoted(v).map(|(s, _)| s)
        } else {
            Some(v.to_owned())
        }
    }

    /// Sets (replacing) a parameter; `value` is printed as given.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let value = value.map(str::to_owned);
        match self
            .list
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value,
            None => self.list.push((name.to_owned(), value)),
        }
    }

    /// Removes a parameter; true when it was present.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.list.len();
        self.list.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        before != self.list.len()
    }

    pub(crate) fn push(&mut self, name: String, value: Option<String>) {
        self.list.push((name, value));
    }

    /// Parses header parameters: `*( SEMI generic-param )`, where linear
    /// white space is allowed around `;` and `=` (RFC 3261 §25.1 `SEMI`,
    /// `EQUAL`; RFC 4475 `wsinv`). Empty parameters are refused (`badinv01`).
    pub(crate) fn parse_header_params(mut s: &str) -> Option<Params> {
        let mut params = Params::new();
        loop {
            s = s.trim_start_matches(|c: char| c.is_ascii() && is_wsp(c as u8));
            if s.is_empty() {
                return Some(params);
            }
            s = s.strip_prefix(';')?.trim_start();
            let end = s.find(['=', ';', ' ', '\t']).unwrap_or(s.len());
            let name = s.get(..end)?;
            if !is_token(name) {
                return None;
            }
            s = s.get(end..)?.trim_start();
            let mut value = None;
            if let Some(rest) = s.strip_prefix('=') {
                let rest = rest.trim_start();
                if rest.starts_with('"') {
                    let (_, after) = take_quoted(rest)?;
                    let raw_len = rest.len() - after.len();
                    value = Some(rest.get(..raw_len)?.to_owned());
                    s = after;
                } else {
                    let end = rest.find([';', ' ', '\t']).unwrap_or(rest.len());
                    let v = rest.get(..end)?;
                    if v.is_empty() || !v.bytes().all(is_param_value_byte) {
                        return None;
                    }
                    value = Some(v.to_owned());
                    s = rest.get(end..)?;
                }
            }
            params.push(name.to_owned(), value);
        }
    }
}

/// `token / host` characters of a `gen-value` (hosts add `[`, `]`, `:`).
fn is_param_value_byte(b: u8) -> bool {
    crate::text::is_token_byte(b) || b == b'[' || b == b']' || b == b':'
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in &self.list {
            write!(f, ";{k}")?;
            if let Some(v) = v {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}

/// A host: a domain name, an IPv4 address or an IPv6 reference
/// (RFC 3261 §25.1 `host`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name, lower-cased (host names are case-insensitive).
    Domain(String),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
}

impl Host {
    /// Parses `hostname / IPv4address / IPv6reference`.
    pub fn parse(s: &str) -> Option<Host> {
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner.strip_suffix(']')?;
            return inner.parse().ok().map(Host::Ipv6);
        }
        if s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && let Ok(v4) = s.parse()
        {
            return Some(Host::Ipv4(v4));
        }
        let valid = !s.is_empty()
            && s.len() <= 255
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
            && !s.starts_with('.')
            && !s.starts_with('-');
        valid.then(|| Host::Domain(s.to_ascii_lowercase()))
    }

    /// RFC 7118 §5 / RFC 6761: browsers put random `*.invalid` names in Via
    /// and Contact; they must never be resolved, only reached over their flow.
    pub fn is_invalid_tld(&self) -> bool {
        matches!(self, Host::Domain(d) if d == "invalid" || d.ends_with(".invalid") || d.ends_with(".invalid."))
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// Splits `host[:port]`, handling IPv6 references.
pub(crate) fn parse_hostport(s: &str) -> Option<(Host, Option<u16>)> {
    let (host, port) = if s.starts_with('[') {
        let close = s.find(']')?;
        let host = s.get(..=close)?;
        let rest = s.get(close + 1..)?;
        if rest.is_empty() {
            (host, None)
        } else {
            (host, Some(rest.strip_prefix(':')?))
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(p.parse().ok()?)
        }
        None => None,
    };
    Some((Host::parse(host)?, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_params_with_whitespace() {
        let p = Params::parse_header_params(" ;   tag    = 1918181833n").unwrap_or_default();
        assert_eq!(p.get("TAG"), Some(Some("1918181833n")));
        let p = Params::parse_header_params("; newparam =  newvalue ;   secondparam ; q = 0.33")
            .unwrap_or_default();
        assert_eq!(p.len(), 3);
        assert_eq!(p.get("secondparam"), Some(None));
        assert_eq!(p.to_string(), ";newparam=newvalue;secondparam;q=0.33");
        let p = Params::parse_header_params(r#";x="a \"b\"""#).unwrap_or_default();
        assert_eq!(p.get_unquoted("x").as_deref(), Some(r#"a "b""#));
    }

    #[test]
    fn empty_params_refused() {
        assert!(Params::parse_header_params(";;").is_none());
        assert!(Params::parse_header_params(";a=").is_none());
        assert!(Params::parse_header_params("x").is_none());
    }

    #[test]
    fn hosts() {
        assert_eq!(
            parse_hostport("[2001:db8::10]:5070"),
            Some((
                "2001:db8::10"
                    .parse()
                    .map(Host::Ipv6)
                    .unwrap_or(Host::Domain(String::new())),
                Some(5070)
            ))
        );
        assert_eq!(parse_hostport("[2001:db8::10"), None);
        assert_eq!(
            parse_hostport("Example.COM"),
            Some((Host::Domain("example.com".into()), None))
        );
        assert_eq!(parse_hostport("a.b:99999"), None);
        assert!(Host::parse("df7jal23ls0d.invalid").is_some_and(|h| h.is_invalid_tld()));
        assert!(Host::parse("bad host").is_none());
        assert!(Host::parse("").is_none());
    }
}
