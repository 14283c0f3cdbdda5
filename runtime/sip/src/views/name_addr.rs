//! name-addr / addr-spec values: From, To, Contact, Route, Record-Route,
//! Path (RFC 3261 §20.10, §20.20, §20.39, §25.1).

use std::fmt;

use crate::params::Params;
use crate::text::{is_token, is_wsp, quote, take_quoted};
use crate::uri::SipUri;

/// `[display-name] <URI> *(;param)` or `addr-spec *(;param)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name, unquoted and unescaped.
    pub display: Option<String>,
    pub uri: SipUri,
    /// Header parameters (`tag`, `expires`, `q`, `+sip.instance`, …).
    pub params: Params,
}

impl NameAddr {
    pub fn new(uri: SipUri) -> NameAddr {
        NameAddr {
            display: None,
            uri,
            params: Params::new(),
        }
    }

    /// Parses one value. Strict on the points RFC 4475 tests: unbalanced
    /// quotes (`quotbal`), whitespace inside `<>` (`badaspec`), unquoted
    /// display names that are not tokens (`baddn`), and addr-specs with `?`
    /// or `,` that needed angle brackets (`regbadct`) are all refused.
    pub fn parse(s: &str) -> Option<NameAddr> {
        let s = s.trim();
        let (display, rest) = if s.starts_with('"') {
            let (d, rest) = take_quoted(s)?;
            let rest = rest.trim_start();
            if !rest.starts_with('<') {
                return None;
            }
            (Some(d), rest)
        } else if let Some(lt) = s.find('<') {
            let d = s.get(..lt)?.trim();
            if d.is_empty() {
                (None, s.get(lt..)?)
            } else {
                // *(token LWS): tokens separated by whitespace.
                if !d
                    .split(|c: char| c.is_ascii() && is_wsp(c as u8))
                    .filter(|t| !t.is_empty())
                    .all(is_token)
                {
                    return None;
                }
                let words: Vec<&str> = d.split_ascii_whitespace().collect();
                (Some(words.join(" ")), s.get(lt..)?)
            }
        } else {
            // addr-spec: parameters after the URI belong to the header.
            let end = s.find([';', ' ', '\t']).unwrap_or(s.len());
            let uri_text = s.get(..end)?;
            if uri_text.contains(['?', ',']) {
                return None;
            }
            let uri = SipUri::parse(uri_text).ok()?;
            let params = Params::parse_header_params(s.get(end..)?)?;
            return Some(NameAddr {
                display: None,
                uri,
                params,
            });
        };
        let inner = rest.strip_prefix('<')?;
        let gt = inner.find('>')?;
        let uri = SipUri::parse(inner.get(..gt)?).ok()?;
        let params = Params::parse_header_params(inner.get(gt + 1..)?)?;
        Some(NameAddr {
            display,
            uri,
            params,
        })
    }

    /// `tag` (RFC 3261 §19.3).
    pub fn tag(&self) -> Option<&str> {
        self.params.get("tag").flatten()
    }

    /// Contact `expires` parameter, saturating like the Expires header.
    pub fn expires(&self) -> Option<u32> {
        self.params
            .get("expires")
            .flatten()
            .and_then(super::values::parse_delta_seconds)
    }

    /// Contact `q` as thousandths (RFC 3261 §20.10: 0 to 1, three decimals).
    pub fn q(&self) -> Option<u16> {
        let v = self.params.get("q")??;
        let (int, frac) = v.split_once('.').unwrap_or((v, ""));
        if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let int: u16 = match int {
            "0" => 0,
            "1" => 1000,
            _ => return None,
        };
        let mut milli: u16 = 0;
        for (i, b) in frac.bytes().enumerate() {
            milli += u16::from(b - b'0') * [100, 10, 1].get(i).copied().unwrap_or(0);
        }
        let q = int + milli;
        (q <= 1000).then_some(q)
    }

    /// `+sip.instance` (RFC 5626 §4.1), without quotes and angle brackets.
    pub fn instance(&self) -> Option<String> {
        let v = self.params.get_unquoted("+sip.instance")?;
        Some(
            v.strip_prefix('<')
                .and_then(|v| v.strip_suffix('>'))
                .unwrap_or(&v)
                .to_owned(),
        )
    }

    /// `reg-id` (RFC 5626 §4.2).
    pub fn reg_id(&self) -> Option<u32> {
        self.params.get("reg-id").flatten()?.parse().ok()
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display {
            write!(f, "{} ", quote(d))?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

/// A Contact value: `*` (RFC 3261 §10.2.2, remove all bindings) or an address.
// `Star` is rare and boxing would cost an allocation per real contact.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contact {
    Star,
    Addr(NameAddr),
}

impl Contact {
    pub fn parse(s: &str) -> Option<Contact> {
        if s.trim() == "*" {
            Some(Contact::Star)
        } else {
            NameAddr::parse(s).map(Contact::Addr)
        }
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contact::Star => f.write_str("*"),
            Contact::Addr(a) => write!(f, "{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> NameAddr {
        NameAddr::parse(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn forms() {
        let a = p(r#""J Rosenberg \\\""       <sip:jdrosen@example.com>  ;  tag = 98asjd8"#);
        assert_eq!(a.display.as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(a.tag(), Some("98asjd8"));
        let a = p("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n");
        assert_eq!(a.tag(), Some("1918181833n"));
        assert!(a.display.is_none());
        let a = p("caller<sip:caller@example.com>;tag=323");
        assert_eq!(a.display.as_deref(), Some("caller"));
        assert_eq!(
            a.to_string(),
            r#""caller" <sip:caller@example.com>;tag=323"#
        );
    }

    #[test]
    fn gruu_params() {
        let a = p(
            r#"<sip:k2j3@df7jal23ls0d.invalid;transport=ws>;expires=600;q=0.5;reg-id=1;+sip.instance="<urn:uuid:0d1e>""#,
        );
        assert_eq!(a.expires(), Some(600));
        assert_eq!(a.q(), Some(500));
        assert_eq!(a.reg_id(), Some(1));
        assert_eq!(a.instance().as_deref(), Some("urn:uuid:0d1e"));
        assert_eq!(a.uri.transport().as_deref(), Some("ws"));
    }

    #[test]
    fn refusals() {
        assert!(NameAddr::parse(r#""Mr. J. User <sip:j.user@example.com>"#).is_none());
        assert!(NameAddr::parse("< sip:t.watson@example.org >").is_none());
        assert!(NameAddr::parse("Bell, Alexander <sip:a.g.bell@example.com>").is_none());
        assert!(NameAddr::parse("sip:user@example.com?Route=%3Csip:sip.example.com%3E").is_none());
        assert!(NameAddr::parse(r#""Joe" <sip:joe@example.org>;;;;"#).is_none());
        assert!(NameAddr::parse("<sip:x@y").is_none());
        assert_eq!(Contact::parse(" * "), Some(Contact::Star));
    }
}
