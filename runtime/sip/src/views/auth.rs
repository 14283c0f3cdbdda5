//! Credentials and challenges: Authorization, Proxy-Authorization,
//! WWW-Authenticate, Proxy-Authenticate (RFC 3261 §20.7, §20.27, §20.28,
//! §20.44; RFC 7616 / RFC 8760 parameter set).

use std::fmt;

use crate::text::{is_token, quote, split_commas, take_quoted};

/// One `name=value` auth-param; `quoted` records how it was (or should be)
/// written, since `qop` is quoted in challenges but a token in credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthParam {
    pub name: String,
    /// Unquoted, unescaped value.
    pub value: String,
    pub quoted: bool,
}

/// A scheme plus ordered parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthHeader {
    /// e.g. `Digest`; compare case-insensitively.
    pub scheme: String,
    pub params: Vec<AuthParam>,
    /// A `token68` blob for schemes such as Basic/Bearer.
    pub token68: Option<String>,
}

impl AuthHeader {
    pub fn new(scheme: &str) -> AuthHeader {
        AuthHeader {
            scheme: scheme.to_owned(),
            params: Vec::new(),
            token68: None,
        }
    }

    /// Appends a parameter (builder style).
    pub fn param(mut self, name: &str, value: &str, quoted: bool) -> AuthHeader {
        self.params.push(AuthParam {
            name: name.to_owned(),
            value: value.to_owned(),
            quoted,
        });
        self
    }

    pub fn parse(s: &str) -> Option<AuthHeader> {
        let s = s.trim();
        let end = s.find([' ', '\t']).unwrap_or(s.len());
        let scheme = s.get(..end)?;
        if !is_token(scheme) {
            return None;
        }
        let mut out = AuthHeader::new(scheme);
        let rest = s.get(end..)?.trim();
        if rest.is_empty() {
            return Some(out);
        }
        let items = split_commas(rest);
        if let [only] = items.as_slice()
            && is_token68(only)
        {
            out.token68 = Some((*only).to_owned());
            return Some(out);
        }
        for item in items {
            let (name, value) = item.split_once('=')?;
            let (name, value) = (name.trim(), value.trim());
            if !is_token(name) {
                return None;
            }
            let (value, quoted) = if value.starts_with('"') {
                let (v, after) = take_quoted(value)?;
                if !after.trim().is_empty() {
                    return None;
                }
                (v, true)
            } else if is_token(value) {
                (value.to_owned(), false)
            } else {
                return None;
            };
            out.params.push(AuthParam {
                name: name.to_owned(),
                value,
                quoted,
            });
        }
        Some(out)
    }

    /// A parameter value by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_str())
    }

    pub fn is_digest(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("Digest")
    }
}

/// RFC 7235 §2.1 `token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

impl fmt::Display for AuthHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        if let Some(t) = &self.token68 {
            return write!(f, " {t}");
        }
        for (i, p) in self.params.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            if p.quoted || !is_token(&p.value) {
                write!(f, "{sep}{}={}", p.name, quote(&p.value))?;
            } else {
                write!(f, "{sep}{}={}", p.name, p.value)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_credentials() {
        let a = AuthHeader::parse(
            r#"Digest username="bob", realm="atlanta.com", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", uri="sips:ss2.biloxi.com", response="dfe56131d1958046689d83306477ecc", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="0a4f113b", opaque="a \"q\"""#,
        );
        let a = a.unwrap_or_else(|| AuthHeader::new("none"));
        assert!(a.is_digest());
        assert_eq!(a.get("USERNAME"), Some("bob"));
        assert_eq!(a.get("algorithm"), Some("SHA-256"));
        assert_eq!(a.get("opaque"), Some(r#"a "q""#));
        assert_eq!(a.params.len(), 10);
        let printed = a.to_string();
        assert_eq!(AuthHeader::parse(&printed), Some(a));
    }

    #[test]
    fn other_schemes_and_errors() {
        let a = AuthHeader::parse("NoOneKnowsThisScheme opaque-data=here");
        assert_eq!(a.as_ref().and_then(|a| a.get("opaque-data")), Some("here"));
        let b = AuthHeader::parse("Basic dXNlcjpwYXNz==");
        assert_eq!(b.and_then(|b| b.token68).as_deref(), Some("dXNlcjpwYXNz=="));
        assert!(AuthHeader::parse(r#"Digest realm="open"#).is_none());
        assert!(AuthHeader::parse("Digest realm=a b").is_none());
        let built = AuthHeader::new("Digest")
            .param("realm", "sbc", true)
            .param("qop", "auth", true)
            .param("algorithm", "MD5", false);
        assert_eq!(
            built.to_string(),
            r#"Digest realm="sbc", qop="auth", algorithm=MD5"#
        );
    }
}
