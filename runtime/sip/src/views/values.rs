//! Small single-value headers: CSeq, Max-Forwards, Expires, Content-Type.

use std::fmt;

use crate::method::Method;
use crate::params::Params;
use crate::text::{is_token, parse_decimal};

/// CSeq (RFC 3261 §20.16): sequence number and method.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

impl CSeq {
    /// RFC 3261 §8.1.1.5: the number MUST be below 2^31 (RFC 4475
    /// `scalar02`, `scalarlg`).
    pub fn parse(s: &str) -> Option<CSeq> {
        let mut it = s.split_ascii_whitespace();
        let seq = parse_decimal(it.next()?)?;
        let method = Method::from_token(it.next()?)?;
        if it.next().is_some() || seq >= 1 << 31 {
            return None;
        }
        Some(CSeq {
            seq: u32::try_from(seq).ok()?,
            method,
        })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

pub(crate) fn parse_max_forwards(s: &str) -> Option<u8> {
    parse_decimal(s.trim()).and_then(|n| u8::try_from(n).ok())
}

/// `delta-seconds`, saturating at 2^32-1 rather than refusing.
pub(crate) fn parse_delta_seconds(s: &str) -> Option<u32> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        parse_decimal(s)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(u32::MAX),
    )
}

/// A media type (RFC 3261 §20.15): `type/subtype;params`, compared
/// case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaType {
    pub mtype: String,
    pub subtype: String,
    pub params: Params,
}

impl MediaType {
    pub fn parse(s: &str) -> Option<MediaType> {
        let s = s.trim();
        let (mtype, rest) = s.split_once('/')?;
        let rest = rest.trim_start();
        let end = rest.find([';', ' ', '\t']).unwrap_or(rest.len());
        let subtype = rest.get(..end)?;
        let mtype = mtype.trim_end();
        if !is_token(mtype) || !is_token(subtype) {
            return None;
        }
        Some(MediaType {
            mtype: mtype.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            params: Params::parse_header_params(rest.get(end..)?)?,
        })
    }

    /// True for `type/subtype` in any letter case.
    pub fn is(&self, mtype: &str, subtype: &str) -> bool {
        self.mtype.eq_ignore_ascii_case(mtype) && self.subtype.eq_ignore_ascii_case(subtype)
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.mtype, self.subtype, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq() {
        assert_eq!(
            CSeq::parse("0009   INVITE"),
            Some(CSeq {
                seq: 9,
                method: Method::Invite
            })
        );
        assert_eq!(CSeq::parse("36893488147419103232 REGISTER"), None);
        assert_eq!(CSeq::parse("2147483648 REGISTER"), None);
        assert_eq!(CSeq::parse("1"), None);
        assert_eq!(CSeq::parse("1 INVITE x"), None);
    }

    #[test]
    fn scalars() {
        assert_eq!(parse_max_forwards("0068"), Some(68));
        assert_eq!(parse_max_forwards("300"), None);
        assert_eq!(parse_delta_seconds("1".repeat(60).as_str()), Some(u32::MAX));
        assert_eq!(parse_delta_seconds("3600"), Some(3600));
        assert_eq!(parse_delta_seconds("-1"), None);
    }

    #[test]
    fn media_type() {
        let m = MediaType::parse("Multipart/Mixed ; boundary=\"x y\"");
        assert!(m.as_ref().is_some_and(|m| m.is("multipart", "mixed")));
        assert_eq!(
            m.and_then(|m| m.params.get_unquoted("boundary")).as_deref(),
            Some("x y")
        );
        assert!(MediaType::parse("application").is_none());
    }
}
