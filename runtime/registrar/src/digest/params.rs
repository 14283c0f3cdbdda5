//! Parser for the value of an `Authorization` / `Proxy-Authorization` header
//! carrying a Digest response (RFC 7616 §3.4, RFC 3261 §25.1 `credentials`).
//!
//! Grammar accepted: `Digest` (any case), then `name=value` pairs separated by
//! commas with optional whitespace; a value is a token or a quoted string with
//! backslash escapes (RFC 3261 `quoted-pair`). Empty list elements (`a=1,,b=2`)
//! are skipped as RFC 9110 §5.6.1 allows. A parameter given twice is an error:
//! two `response` values would make it ambiguous which one was checked.

use thiserror::Error;

/// Why a header value is not a usable Digest response.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DigestParseError {
    /// The value is empty or only whitespace.
    #[error("empty credentials")]
    Empty,
    /// The scheme is not `Digest` (e.g. `Basic`).
    #[error("unsupported authentication scheme `{0}`")]
    NotDigest(String),
    /// A parameter name was expected at this byte offset.
    #[error("expected a parameter name at byte {0}")]
    ExpectedName(usize),
    /// `=` was expected after a parameter name.
    #[error("expected `=` after parameter `{0}`")]
    ExpectedEquals(String),
    /// A parameter has no value.
    #[error("parameter `{0}` has no value")]
    MissingValue(String),
    /// A quoted string is not closed.
    #[error("unterminated quoted string in parameter `{0}`")]
    UnterminatedQuote(String),
    /// Something other than `,` follows a value.
    #[error("expected `,` after parameter `{0}`")]
    ExpectedComma(String),
    /// A parameter appears twice.
    #[error("duplicate parameter `{0}`")]
    Duplicate(String),
    /// A parameter the verification needs is absent.
    #[error("missing parameter `{0}`")]
    Missing(&'static str),
    /// `nc` is not 1 to 8 hex digits.
    #[error("invalid nonce count `{0}`")]
    BadNonceCount(String),
}

/// The parameters of a Digest response, unescaped.
///
/// Unknown parameters (`auth-param`) are skipped, as RFC 7616 §3.4 requires.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DigestResponse {
    /// `username`.
    pub username: String,
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `uri` (the digest-uri). Comparing it with the Request-URI is the
    /// caller's job (RFC 7616 §3.4.6).
    pub uri: String,
    /// `response`, the hex digest.
    pub response: String,
    /// `algorithm` as sent; absent means MD5 (RFC 7616 §3.3).
    pub algorithm: Option<String>,
    /// `cnonce`.
    pub cnonce: Option<String>,
    /// `nc` exactly as sent (it is part of the hashed string).
    pub nc: Option<String>,
    /// `qop`.
    pub qop: Option<String>,
    /// `opaque`.
    pub opaque: Option<String>,
    /// `userhash` (RFC 7616 §3.4.4); not supported, kept so it can be refused.
    pub userhash: Option<String>,
}

impl DigestResponse {
    /// The nonce count as a number, `None` when absent.
    ///
    /// RFC 7616 §3.4 fixes it at 8 lowercase hex digits; shorter values are
    /// tolerated because some SIP stacks drop the leading zeros.
    pub fn nonce_count(&self) -> Result<Option<u32>, DigestParseError> {
        let Some(nc) = self.nc.as_deref() else {
            return Ok(None);
        };
        if nc.is_empty() || nc.len() > 8 || !nc.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DigestParseError::BadNonceCount(nc.to_owned()));
        }
        u32::from_str_radix(nc, 16)
            .map(Some)
            .map_err(|_| DigestParseError::BadNonceCount(nc.to_owned()))
    }
}

/// Parses the header value (the text after `Authorization:`).
pub fn parse_authorization(value: &str) -> Result<DigestResponse, DigestParseError> {
    let bytes = value.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    if pos >= bytes.len() {
        return Err(DigestParseError::Empty);
    }
    let scheme_end = scan_token(bytes, pos);
    let scheme = value.get(pos..scheme_end).unwrap_or("");
    if !scheme.eq_ignore_ascii_case("digest") {
        return Err(DigestParseError::NotDigest(
            scheme.chars().take(32).collect(),
        ));
    }
    pos = scheme_end;
    if pos < bytes.len() && !is_ws(bytes[pos]) {
        return Err(DigestParseError::NotDigest(
            value
                .get(..pos + 1)
                .unwrap_or("")
                .chars()
                .take(32)
                .collect(),
        ));
    }

    let mut out = DigestResponse::default();
    let mut seen: u16 = 0;
    let (mut username, mut realm, mut nonce, mut uri, mut response) =
        (None, None, None, None, None);
    loop {
        pos = skip_ws(bytes, pos);
        // Empty list elements are allowed.
        while pos < bytes.len() && bytes[pos] == b',' {
            pos = skip_ws(bytes, pos + 1);
        }
        if pos >= bytes.len() {
            break;
        }
        let name_end = scan_token(bytes, pos);
        if name_end == pos {
            return Err(DigestParseError::ExpectedName(pos));
        }
        let name = value.get(pos..name_end).unwrap_or("");
        pos = skip_ws(bytes, name_end);
        if bytes.get(pos) != Some(&b'=') {
            return Err(DigestParseError::ExpectedEquals(short(name)));
        }
        pos = skip_ws(bytes, pos + 1);
        let (param_value, next) = match bytes.get(pos) {
            Some(b'"') => read_quoted(value, pos + 1)
                .ok_or_else(|| DigestParseError::UnterminatedQuote(short(name)))?,
            Some(_) => {
                let end = scan_token(bytes, pos);
                if end == pos {
                    return Err(DigestParseError::MissingValue(short(name)));
                }
                (value.get(pos..end).unwrap_or("").to_owned(), end)
            }
            None => return Err(DigestParseError::MissingValue(short(name))),
        };
        pos = skip_ws(bytes, next);
        match bytes.get(pos) {
            None => {}
            Some(b',') => pos += 1,
            Some(_) => return Err(DigestParseError::ExpectedComma(short(name))),
        }

        let slot: Option<&mut Option<String>> = match_param(
            name,
            &mut seen,
            [
                &mut username,
                &mut realm,
                &mut nonce,
                &mut uri,
                &mut response,
                &mut out.algorithm,
                &mut out.cnonce,
                &mut out.nc,
                &mut out.qop,
                &mut out.opaque,
                &mut out.userhash,
            ],
        )?;
        if let Some(slot) = slot {
            *slot = Some(param_value);
        }
    }
    out.username = username.ok_or(DigestParseError::Missing("username"))?;
    out.realm = realm.ok_or(DigestParseError::Missing("realm"))?;
    out.nonce = nonce.ok_or(DigestParseError::Missing("nonce"))?;
    out.uri = uri.ok_or(DigestParseError::Missing("uri"))?;
    out.response = response.ok_or(DigestParseError::Missing("response"))?;
    out.nonce_count()?;
    Ok(out)
}

const KNOWN: [&str; 11] = [
    "username",
    "realm",
    "nonce",
    "uri",
    "response",
    "algorithm",
    "cnonce",
    "nc",
    "qop",
    "opaque",
    "userhash",
];

/// Finds the slot for a known parameter, rejecting a second occurrence.
/// Unknown parameters give `Ok(None)` and are ignored.
fn match_param<'s>(
    name: &str,
    seen: &mut u16,
    slots: [&'s mut Option<String>; 11],
) -> Result<Option<&'s mut Option<String>>, DigestParseError> {
    let Some(idx) = KNOWN.iter().position(|k| k.eq_ignore_ascii_case(name)) else {
        return Ok(None);
    };
    let bit = 1u16 << idx;
    if *seen & bit != 0 {
        return Err(DigestParseError::Duplicate(short(name)));
    }
    *seen |= bit;
    Ok(slots.into_iter().nth(idx))
}

fn short(name: &str) -> String {
    name.chars().take(32).collect()
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && is_ws(bytes[pos]) {
        pos += 1;
    }
    pos
}

/// RFC 3261 §25.1 `token` characters, plus `/` and `:` that some clients put
/// unquoted in `uri`-like values; `=`, `,`, `"` and whitespace end a token.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~/:@;?&$[]".contains(&b)
}

fn scan_token(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && is_token_char(bytes[pos]) {
        pos += 1;
    }
    pos
}

/// Reads a quoted string whose opening quote sits just before `start`.
/// Returns the unescaped text and the position after the closing quote.
fn read_quoted(value: &str, start: usize) -> Option<(String, usize)> {
    let rest = value.get(start..)?;
    let mut out = String::with_capacity(rest.len().min(128));
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, start + i + 1)),
            '\\' => {
                let (_, escaped) = chars.next()?;
                out.push(escaped);
            }
            _ => out.push(c),
        }
    }
    None
}
