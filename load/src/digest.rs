//! The client side of HTTP digest (RFC 7616, RFC 8760 for SHA-256): picks a challenge and answers it.
//!
//! Written independently of sbcctl's registrar so that a load run also cross-checks the server.

use md5::Md5;
use sha2::{Digest as _, Sha256};

/// One `WWW-Authenticate: Digest …` challenge.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    pub qop_auth: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    fn token(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    fn hash(self, input: &str) -> String {
        match self {
            Algorithm::Md5 => hex::encode(Md5::digest(input.as_bytes())),
            Algorithm::Sha256 => hex::encode(Sha256::digest(input.as_bytes())),
        }
    }
}

/// Parses one challenge value (after `WWW-Authenticate:`); `None` for other schemes or algorithms.
pub fn parse_challenge(value: &str) -> Option<Challenge> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("digest") {
        return None;
    }
    let mut challenge = Challenge {
        realm: String::new(),
        nonce: String::new(),
        opaque: None,
        algorithm: Algorithm::Md5,
        qop_auth: false,
    };
    for (name, value) in params(rest) {
        match name.to_ascii_lowercase().as_str() {
            "realm" => challenge.realm = value,
            "nonce" => challenge.nonce = value,
            "opaque" => challenge.opaque = Some(value),
            "qop" => challenge.qop_auth = value.split(',').any(|q| q.trim() == "auth"),
            "algorithm" => {
                challenge.algorithm = match value.to_ascii_uppercase().as_str() {
                    "MD5" => Algorithm::Md5,
                    "SHA-256" => Algorithm::Sha256,
                    _ => return None,
                }
            }
            _ => {}
        }
    }
    (!challenge.nonce.is_empty()).then_some(challenge)
}

/// Splits `a="x, y", b=z` into pairs, unquoting and unescaping quoted strings.
fn params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        let name: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ',')).collect();
        if name.trim().is_empty() {
            return out;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            if chars.next_if_eq(&'"').is_some() {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => value.extend(chars.next()),
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                value = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
            }
        }
        out.push((name.trim().to_string(), value.trim().to_string()));
    }
}

/// Builds the `Authorization` header value answering `challenge` for `method uri`.
pub fn authorization(
    challenge: &Challenge,
    user: &str,
    password: &str,
    method: &str,
    uri: &str,
    nc: u32,
    cnonce: &str,
) -> String {
    let alg = challenge.algorithm;
    let ha1 = alg.hash(&format!("{user}:{}:{password}", challenge.realm));
    let ha2 = alg.hash(&format!("{method}:{uri}"));
    let nc = format!("{nc:08x}");
    let mut header = format!(
        "Digest username=\"{user}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", algorithm={}",
        challenge.realm,
        challenge.nonce,
        alg.token()
    );
    if challenge.qop_auth {
        let response = alg.hash(&format!(
            "{ha1}:{}:{nc}:{cnonce}:auth:{ha2}",
            challenge.nonce
        ));
        header.push_str(&format!(
            ", response=\"{response}\", qop=auth, nc={nc}, cnonce=\"{cnonce}\""
        ));
    } else {
        let response = alg.hash(&format!("{ha1}:{}:{ha2}", challenge.nonce));
        header.push_str(&format!(", response=\"{response}\""));
    }
    if let Some(opaque) = &challenge.opaque {
        header.push_str(&format!(", opaque=\"{opaque}\""));
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 §3.5's worked example (MD5, qop=auth), which RFC 7616 keeps valid.
    #[test]
    fn rfc2617_example_response() {
        let challenge = parse_challenge(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .expect("challenge parses");
        let header = authorization(
            &challenge,
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            1,
            "0a4f113b",
        );
        assert!(
            header.contains(r#"response="6629fae49393a05397450978507c4ef1""#),
            "{header}"
        );
    }

    #[test]
    fn other_schemes_and_algorithms_are_skipped() {
        assert!(parse_challenge("Basic realm=\"x\"").is_none());
        assert!(parse_challenge("Digest realm=\"x\", nonce=\"n\", algorithm=AKAv1-MD5").is_none());
        let sha =
            parse_challenge("Digest realm=\"x\", nonce=\"n\", algorithm=SHA-256, qop=\"auth\"");
        assert_eq!(sha.map(|c| c.algorithm), Some(Algorithm::Sha256));
    }
}
