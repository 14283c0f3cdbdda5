//! Lexical helpers shared by the parser and the typed views (RFC 3261 §25.1).
//!
//! Everything here works on borrowed text and never panics: the views call
//! these on bytes that came straight from the network.

use std::borrow::Cow;

/// RFC 3261 §25.1 `token` characters.
pub(crate) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// True when `s` is a non-empty RFC 3261 `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

pub(crate) fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Replaces line folding (RFC 3261 §7.3.1: `CRLF 1*WSP` is equivalent to one
/// space) so views see a single logical line. Borrows when nothing is folded,
/// which is the common case.
pub(crate) fn unfold(raw: &[u8]) -> Cow<'_, [u8]> {
    if !raw.iter().any(|&b| b == b'\r' || b == b'\n') {
        return Cow::Borrowed(raw);
    }
    Cow::Owned(
        raw.iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
            .collect(),
    )
}

/// Splits a header value on top-level commas, ignoring commas inside quoted
/// strings (with `\` escapes) and inside `<...>` (RFC 3261 §7.3.1: a header
/// holding a comma-separated list is equivalent to several header lines).
/// Empty elements are kept so callers can refuse them (RFC 4475 `badinv01`).
pub(crate) fn split_commas(s: &str) -> Vec<&str> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut in_angle = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            if b == b'\\' {
                i += 1;
            } else if b == b'"' {
                in_quotes = false;
            }
        } else if b == b'"' {
            in_quotes = true;
        } else if b == b'<' {
            in_angle = true;
        } else if b == b'>' {
            in_angle = false;
        } else if b == b',' && !in_angle {
            out.push(s.get(start..i).unwrap_or("").trim());
            start = i + 1;
        }
        i += 1;
    }
    out.push(s.get(start..).unwrap_or("").trim());
    out
}

/// Reads a quoted string at the start of `s` (which must begin with `"`).
/// Returns the unescaped content and the rest after the closing quote.
/// RFC 3261 §25.1: `quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)`.
pub(crate) fn take_quoted(s: &str) -> Option<(String, &str)> {
    let rest = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, escaped) = chars.next()?;
                if escaped == '\r' || escaped == '\n' || !escaped.is_ascii() {
                    return None;
                }
                out.push(escaped);
            }
            '"' => return Some((out, rest.get(i + 1..).unwrap_or(""))),
            _ => out.push(c),
        }
    }
    None
}

/// Quotes `s` as an RFC 3261 quoted-string, escaping `"` and `\`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Decodes `%HH` escapes (RFC 3261 §19.1.2, RFC 3986 §2.1). Returns `None`
/// on a malformed escape. The result is bytes: `%00` is legal (RFC 4475
/// `escnull`).
pub(crate) fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = hex_val(*b.get(i + 1)?)?;
            let lo = hex_val(*b.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses a decimal made only of ASCII digits (leading zeros allowed, RFC
/// 4475 `wsinv`), refusing overflow rather than wrapping (RFC 4475 `scalar02`).
pub(crate) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        // 19 digits always fit in u64; longer strings of zeros are still
        // refused, which no real peer sends.
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_respect_quotes_and_angles() {
        let parts = split_commas(r#""a, \"b" <sip:x@y;p=1,2>;q=1 , <sip:z>"#);
        assert_eq!(parts, vec![r#""a, \"b" <sip:x@y;p=1,2>;q=1"#, "<sip:z>"]);
        assert_eq!(split_commas(";;,;,,").len(), 4);
    }

    #[test]
    fn quoted_strings_unescape() {
        let (s, rest) = take_quoted(r#""J Rosenberg \\\"" <x>"#).unwrap_or_default();
        assert_eq!(s, r#"J Rosenberg \""#);
        assert_eq!(rest, " <x>");
        assert!(take_quoted("\"open").is_none());
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%75se%72"), Some(b"user".to_vec()));
        assert_eq!(percent_decode("%00"), Some(vec![0]));
        assert_eq!(percent_decode("%ZK"), None);
        assert_eq!(percent_decode("%4"), None);
    }

    #[test]
    fn decimals_refuse_overflow() {
        assert_eq!(parse_decimal("0068"), Some(68));
        assert_eq!(parse_decimal("36893488147419103232"), None);
        assert_eq!(parse_decimal("-1"), None);
        assert_eq!(parse_decimal(""), None);
    }
}
