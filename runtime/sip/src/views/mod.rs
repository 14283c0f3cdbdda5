//! Typed views over headers, parsed on demand from the stored bytes.
//!
//! The raw header list stays the source of truth: views are computed when
//! asked for and never change what is printed. Every accessor returns a
//! [`HeaderError`] naming the header, which doubles as the reason phrase of
//! a 400 (RFC 3261 §21.4.1).

mod auth;
mod name_addr;
mod values;
mod via;

pub use auth::{AuthHeader, AuthParam};
pub use name_addr::{Contact, NameAddr};
pub use values::{CSeq, MediaType};
pub use via::{MAGIC_COOKIE, Transport, Via};

use std::borrow::Cow;

use crate::header::{Header, Headers};
use crate::text::split_commas;

/// What is wrong with a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    Missing,
    Duplicate,
    Malformed,
}

/// A header that is missing, repeated or malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} {header}", match .problem { Problem::Missing => "missing", Problem::Duplicate => "duplicate", Problem::Malformed => "malformed" })]
pub struct HeaderError {
    /// Canonical header name.
    pub header: &'static str,
    pub problem: Problem,
}

impl HeaderError {
    pub(crate) fn malformed(header: &'static str) -> HeaderError {
        HeaderError {
            header,
            problem: Problem::Malformed,
        }
    }
    fn missing(header: &'static str) -> HeaderError {
        HeaderError {
            header,
            problem: Problem::Missing,
        }
    }
}

fn text<'a>(h: &'a Header, name: &'static str) -> Result<Cow<'a, str>, HeaderError> {
    h.value_str().ok_or(HeaderError::malformed(name))
}

impl Headers {
    /// The single header `name`: missing and duplicate are errors
    /// (RFC 4475 `multi01`).
    fn single(&self, name: &'static str) -> Result<&Header, HeaderError> {
        let mut it = self.get_all(name);
        let first = it.next().ok_or(HeaderError::missing(name))?;
        if it.next().is_some() {
            return Err(HeaderError {
                header: name,
                problem: Problem::Duplicate,
            });
        }
        Ok(first)
    }

    /// An optional single header.
    fn optional(&self, name: &'static str) -> Result<Option<&Header>, HeaderError> {
        match self.single(name) {
            Ok(h) => Ok(Some(h)),
            Err(HeaderError {
                problem: Problem::Missing,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every element of a comma-separated list header, over all its lines.
    fn list_values<T>(
        &self,
        name: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<T>, HeaderError> {
        let mut out = Vec::new();
        for h in self.get_all(name) {
            let v = text(h, name)?;
            for item in split_commas(&v) {
                out.push(parse(item).ok_or(HeaderError::malformed(name))?);
            }
        }
        Ok(out)
    }

    /// All Via values, top first (RFC 3261 §20.42).
    pub fn vias(&self) -> Result<Vec<Via>, HeaderError> {
        self.list_values("Via", Via::parse)
    }

    /// The topmost Via.
    pub fn top_via(&self) -> Result<Via, HeaderError> {
        let h = self.get("Via").ok_or(HeaderError::missing("Via"))?;
        let v = text(h, "Via")?;
        let first = split_commas(&v).into_iter().next().unwrap_or("");
        Via::parse(first).ok_or(HeaderError::malformed("Via"))
    }

    pub fn from(&self) -> Result<NameAddr, HeaderError> {
        let v = text(self.single("From")?, "From")?;
        NameAddr::parse(&v).ok_or(HeaderError::malformed("From"))
    }

    pub fn to(&self) -> Result<NameAddr, HeaderError> {
        let v = text(self.single("To")?, "To")?;
        NameAddr::parse(&v).ok_or(HeaderError::malformed("To"))
    }

    /// Call-ID (RFC 3261 §20.8): `word ["@" word]`, no whitespace.
    pub fn call_id(&self) -> Result<String, HeaderError> {
        let v = text(self.single("Call-ID")?, "Call-ID")?;
        let v = v.trim();
        let ok = !v.is_empty()
            && v.bytes().all(|b| (0x21..0x7f).contains(&b))
            && v.bytes().filter(|&b| b == b'@').count() <= 1;
        if ok {
            Ok(v.to_owned())
        } else {
            Err(HeaderError::malformed("Call-ID"))
        }
    }

    pub fn cseq(&self) -> Result<CSeq, HeaderError> {
        let v = text(self.single("CSeq")?, "CSeq")?;
        CSeq::parse(&v).ok_or(HeaderError::malformed("CSeq"))
    }

    /// Max-Forwards (RFC 3261 §20.22): 0–255.
    pub fn max_forwards(&self) -> Result<Option<u8>, HeaderError> {
        self.optional_value("Max-Forwards", values::parse_max_forwards)
    }

    /// Expires (RFC 3261 §20.19), saturating at 2^32-1 (§10.2.1.1 asks
    /// registrars to treat larger values as that).
    pub fn expires(&self) -> Result<Option<u32>, HeaderError> {
        self.optional_value("Expires", values::parse_delta_seconds)
    }

    /// Content-Length (RFC 3261 §20.14).
    pub fn content_length(&self) -> Result<Option<usize>, HeaderError> {
        self.optional_value("Content-Length", |s| {
            crate::text::parse_decimal(s.trim()).and_then(|n| usize::try_from(n).ok())
        })
    }

    pub fn content_type(&self) -> Result<Option<MediaType>, HeaderError> {
        self.optional_value("Content-Type", MediaType::parse)
    }

    fn optional_value<T>(
        &self,
        name: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, HeaderError> {
        match self.optional(name)? {
            None => Ok(None),
            Some(h) => parse(&text(h, name)?)
                .map(Some)
                .ok_or(HeaderError::malformed(name)),
        }
    }

    /// Contact values (RFC 3261 §20.10), including `*`.
    pub fn contacts(&self) -> Result<Vec<Contact>, HeaderError> {
        self.list_values("Contact", Contact::parse)
    }

    pub fn routes(&self) -> Result<Vec<NameAddr>, HeaderError> {
        self.list_values("Route", NameAddr::parse)
    }

    pub fn record_routes(&self) -> Result<Vec<NameAddr>, HeaderError> {
        self.list_values("Record-Route", NameAddr::parse)
    }

    /// Path (RFC 3327).
    pub fn paths(&self) -> Result<Vec<NameAddr>, HeaderError> {
        self.list_values("Path", NameAddr::parse)
    }

    /// A token list header such as Supported, Require, Proxy-Require,
    /// Unsupported or Allow.
    pub fn tokens(&self, name: &'static str) -> Result<Vec<String>, HeaderError> {
        let mut out = Vec::new();
        for h in self.get_all(name) {
            let v = text(h, name)?;
            // An empty Supported header is legal (RFC 3261 §20.37).
            if v.trim().is_empty() {
                continue;
            }
            for item in split_commas(&v) {
                if !crate::text::is_token(item) {
                    return Err(HeaderError::malformed(name));
                }
                out.push(item.to_owned());
            }
        }
        Ok(out)
    }

    pub fn supported(&self) -> Result<Vec<String>, HeaderError> {
        self.tokens("Supported")
    }

    pub fn require(&self) -> Result<Vec<String>, HeaderError> {
        self.tokens("Require")
    }

    pub fn allow(&self) -> Result<Vec<String>, HeaderError> {
        self.tokens("Allow")
    }

    /// Each `name` line as credentials or a challenge: `Authorization`,
    /// `Proxy-Authorization`, `WWW-Authenticate`, `Proxy-Authenticate`.
    pub fn auth(&self, name: &'static str) -> Result<Vec<AuthHeader>, HeaderError> {
        self.get_all(name)
            .map(|h| {
                let v = text(h, name)?;
                AuthHeader::parse(&v).ok_or(HeaderError::malformed(name))
            })
            .collect()
    }

    pub fn authorization(&self) -> Result<Vec<AuthHeader>, HeaderError> {
        self.auth("Authorization")
    }

    pub fn proxy_authorization(&self) -> Result<Vec<AuthHeader>, HeaderError> {
        self.auth("Proxy-Authorization")
    }

    pub fn www_authenticate(&self) -> Result<Vec<AuthHeader>, HeaderError> {
        self.auth("WWW-Authenticate")
    }

    pub fn proxy_authenticate(&self) -> Result<Vec<AuthHeader>, HeaderError> {
        self.auth("Proxy-Authenticate")
    }
}
