//! SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966); other schemes are kept
//! opaque so they can be passed through.

use std::fmt;

use crate::params::{Host, Params, parse_hostport};
use crate::text::percent_decode;

/// URI scheme.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    Sip,
    Sips,
    Tel,
    /// Any other scheme (lower-cased); the rest of the URI is opaque.
    Other(String),
}

impl Scheme {
    pub fn as_str(&self) -> &str {
        match self {
            Scheme::Sip => "sip",
            Scheme::Sips => "sips",
            Scheme::Tel => "tel",
            Scheme::Other(s) => s,
        }
    }
}

/// Why a URI was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    #[error("missing scheme")]
    NoScheme,
    #[error("character not allowed in a URI")]
    BadChar,
    #[error("bad host or port")]
    BadHost,
    #[error("bad parameter")]
    BadParam,
    #[error("bad escape")]
    BadEscape,
}

/// A parsed URI. For `sip`/`sips` every part is filled in; for `tel` the
/// number is in `user` and `host` is `None`; for other schemes only
/// `opaque` is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipUri {
    pub scheme: Scheme,
    /// User part as received (escapes kept); see [`SipUri::user_decoded`].
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: Option<Host>,
    pub port: Option<u16>,
    /// URI parameters (`transport`, `lr`, `ob`, `user`, …), as received.
    pub params: Params,
    /// `?name=value&…` headers, as received.
    pub headers: Vec<(String, String)>,
    /// Everything after `scheme:` for schemes this crate does not interpret.
    pub opaque: Option<String>,
}

/// RFC 3261 §25.1: URIs are printable ASCII without space, `<`, `>` or `"`.
fn allowed_uri_byte(b: u8) -> bool {
    (0x21..0x7f).contains(&b) && !matches!(b, b'<' | b'>' | b'"')
}

impl SipUri {
    /// A `sip:` URI for `user@host:port`.
    pub fn sip(user: Option<&str>, host: Host, port: Option<u16>) -> SipUri {
        SipUri {
            scheme: Scheme::Sip,
            user: user.map(str::to_owned),
            password: None,
            host: Some(host),
            port,
            params: Params::new(),
            headers: Vec::new(),
            opaque: None,
        }
    }

    /// Parses a URI (no surrounding `<>`, no whitespace).
    pub fn parse(s: &str) -> Result<SipUri, UriError> {
        if !s.bytes().all(allowed_uri_byte) {
            return Err(UriError::BadChar);
        }
        let (scheme, rest) = s.split_once(':').ok_or(UriError::NoScheme)?;
        if scheme.is_empty()
            || !scheme
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic())
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return Err(UriError::NoScheme);
        }
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "sip" => Scheme::Sip,
            "sips" => Scheme::Sips,
            "tel" => Scheme::Tel,
            other => Scheme::Other(other.to_owned()),
        };
        let mut uri = SipUri {
            scheme,
            user: None,
            password: None,
            host: None,
            port: None,
            params: Params::new(),
            headers: Vec::new(),
            opaque: None,
        };
        match uri.scheme {
            Scheme::Sip | Scheme::Sips => uri.parse_sip(rest)?,
            Scheme::Tel => {
                let (number, params) = rest.split_once(';').unwrap_or((rest, ""));
                if number.is_empty() {
                    return Err(UriError::BadHost);
                }
                uri.user = Some(number.to_owned());
                uri.params = parse_uri_params(params)?;
            }
            Scheme::Other(_) => {
                if rest.is_empty() {
                    return Err(UriError::BadHost);
                }
                uri.opaque = Some(rest.to_owned());
            }
        }
        Ok(uri)
    }

    fn parse_sip(&mut self, rest: &str) -> Result<(), UriError> {
        // RFC 3261 §25.1: `@` cannot appear unescaped in userinfo, params or
        // headers, so the first `@` ends the userinfo. The user part itself
        // may hold `;`, `?` and `:` (RFC 4475 `semiuri`, `intmeth`).
        let (userinfo, hostpart) = match rest.split_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        if let Some(userinfo) = userinfo {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            if user.is_empty() {
                return Err(UriError::BadHost);
            }
            percent_decode(user).ok_or(UriError::BadEscape)?;
            if let Some(p) = password {
                percent_decode(p).ok_or(UriError::BadEscape)?;
            }
            self.user = Some(user.to_owned());
            self.password = password.map(str::to_owned);
        }
        let (before_headers, headers) = match hostpart.split_once('?') {
            Some((a, h)) => (a, Some(h)),
            None => (hostpart, None),
        };
        let (hostport, params) = match before_headers.find(';') {
            Some(i) => (
                before_headers.get(..i).unwrap_or(""),
                before_headers.get(i..).unwrap_or(""),
            ),
            None => (before_headers, ""),
        };
        let (host, port) = parse_hostport(hostport).ok_or(UriError::BadHost)?;
        self.host = Some(host);
        self.port = port;
        self.params = parse_uri_params(params.strip_prefix(';').unwrap_or(params))?;
        if let Some(headers) = headers {
            for h in headers.split('&') {
                let (k, v) = h.split_once('=').ok_or(UriError::BadParam)?;
                if k.is_empty() {
                    return Err(UriError::BadParam);
                }
                percent_decode(v).ok_or(UriError::BadEscape)?;
                self.headers.push((k.to_owned(), v.to_owned()));
            }
        }
        Ok(())
    }

    /// The user part with `%HH` escapes decoded (bytes: `%00` is legal).
    pub fn user_decoded(&self) -> Option<Vec<u8>> {
        self.user.as_deref().and_then(percent_decode)
    }

    /// The `transport` URI parameter, lower-cased.
    pub fn transport(&self) -> Option<String> {
        self.params
            .get("transport")
            .flatten()
            .map(|t| t.to_ascii_lowercase())
    }
}

/// `uri-parameters` after the host: `name[=value]` separated by `;`, no
/// whitespace. Escapes are allowed in names and values (RFC 4475 `esc01`).
fn parse_uri_params(s: &str) -> Result<Params, UriError> {
    let mut params = Params::new();
    if s.is_empty() {
        return Ok(params);
    }
    for p in s.split(';') {
        let (name, value) = match p.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (p, None),
        };
        if name.is_empty() || value.is_some_and(str::is_empty) {
            return Err(UriError::BadParam);
        }
        percent_decode(name).ok_or(UriError::BadEscape)?;
        if let Some(v) = value {
            percent_decode(v).ok_or(UriError::BadEscape)?;
        }
        params.push(name.to_owned(), value.map(str::to_owned));
    }
    Ok(params)
}

impl fmt::Display for SipUri {
    /// Canonical form: lower-case scheme and domain, other parts as received.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.scheme.as_str())?;
        if let Some(opaque) = &self.opaque {
            return f.write_str(opaque);
        }
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if let Some(pw) = &self.password {
                write!(f, ":{pw}")?;
            }
            if self.host.is_some() {
                f.write_str("@")?;
            }
        }
        if let Some(host) = &self.host {
            write!(f, "{host}")?;
        }
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "{}", self.params)?;
        for (i, (k, v)) in self.headers.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(f, "{sep}{k}={v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> SipUri {
        match SipUri::parse(s) {
            Ok(u) => u,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn full_sip_uri() {
        let u = p("sips:alice:secret@[2001:db8::1]:5061;transport=WSS;lr?Subject=hi&X=%41");
        assert_eq!(u.scheme, Scheme::Sips);
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!(u.password.as_deref(), Some("secret"));
        assert_eq!(
            u.host,
            Some(Host::Ipv6(
                "2001:db8::1"
                    .parse()
                    .unwrap_or(std::net::Ipv6Addr::UNSPECIFIED)
            ))
        );
        assert_eq!(u.port, Some(5061));
        assert_eq!(u.transport().as_deref(), Some("wss"));
        assert!(u.params.contains("lr"));
        assert_eq!(u.headers.len(), 2);
        assert_eq!(
            u.to_string(),
            "sips:alice:secret@[2001:db8::1]:5061;transport=WSS;lr?Subject=hi&X=%41"
        );
    }

    #[test]
    fn escapes_and_odd_users() {
        assert_eq!(
            p("sip:%75se%72@example.com").user_decoded(),
            Some(b"user".to_vec())
        );
        assert_eq!(
            p("sip:user;par=u%40example.net@example.com")
                .user
                .as_deref(),
            Some("user;par=u%40example.net")
        );
        assert_eq!(
            p("sip:null-%00-null@example.com").user_decoded(),
            Some(b"null-\0-null".to_vec())
        );
        assert_eq!(SipUri::parse("sip:a%zz@x"), Err(UriError::BadEscape));
    }

    #[test]
    fn refusals() {
        assert_eq!(SipUri::parse("<sip:x@y>"), Err(UriError::BadChar));
        assert_eq!(SipUri::parse("sip:x@y; lr"), Err(UriError::BadChar));
        assert_eq!(SipUri::parse("example.com"), Err(UriError::NoScheme));
        assert_eq!(SipUri::parse("sip:x@"), Err(UriError::BadHost));
        assert_eq!(SipUri::parse("sip:x@y;;lr"), Err(UriError::BadParam));
    }

    #[test]
    fn tel_and_opaque() {
        let t = p("tel:+1-201-555-0123;phone-context=example.com");
        assert_eq!(t.user.as_deref(), Some("+1-201-555-0123"));
        assert_eq!(
            t.to_string(),
            "tel:+1-201-555-0123;phone-context=example.com"
        );
        let o = p("urn:service:sos");
        assert_eq!(o.scheme, Scheme::Other("urn".into()));
        assert_eq!(o.to_string(), "urn:service:sos");
        assert_eq!(p("SIP:Bob@Example.COM").to_string(), "sip:Bob@example.com");
    }
}
