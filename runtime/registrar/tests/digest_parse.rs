//! Edge cases of the `Authorization` value parser, plus a no-panic property.

use proptest::prelude::*;
use sbcctl_registrar::digest::{
    Challenger, ChallengerConfig, Credential, DigestParseError, parse_authorization,
};
use std::collections::HashMap;
use std::time::Instant;

const BASE: &str = r#"username="alice", realm="r", nonce="n", uri="sip:r", response="abc""#;

#[test]
fn scheme_is_case_insensitive_and_spacing_is_free() {
    let v = "  dIgEsT\tusername = \"alice\" ,realm=\"r\",\r\n nonce=\"n\" ,  uri=\"sip:r\",response=abc , qop = auth ,nc=1,cnonce=x";
    let p = parse_authorization(v).expect("parses");
    assert_eq!(p.username, "alice");
    assert_eq!(p.response, "abc");
    assert_eq!(p.qop.as_deref(), Some("auth"));
    assert_eq!(p.nonce_count(), Ok(Some(1)));
    assert_eq!(p.cnonce.as_deref(), Some("x"));
}

#[test]
fn quoted_strings_unescape() {
    let v = r#"Digest username="al\"ice\\", realm="a,b=c", nonce="n", uri="sip:r", response="abc""#;
    let p = parse_authorization(v).expect("parses");
    assert_eq!(p.username, "al\"ice\\");
    assert_eq!(p.realm, "a,b=c");
}

#[test]
fn unknown_params_and_empty_elements_are_skipped() {
    let v = format!("Digest ,{BASE},, foo=\"bar\", baz=qux,");
    let p = parse_authorization(&v).expect("parses");
    assert_eq!(p.username, "alice");
}

#[test]
fn missing_required_params_are_named() {
    for (name, v) in [
        (
            "username",
            r#"Digest realm="r", nonce="n", uri="u", response="x""#,
        ),
        (
            "realm",
            r#"Digest username="a", nonce="n", uri="u", response="x""#,
        ),
        (
            "nonce",
            r#"Digest username="a", realm="r", uri="u", response="x""#,
        ),
        (
            "uri",
            r#"Digest username="a", realm="r", nonce="n", response="x""#,
        ),
        (
            "response",
            r#"Digest username="a", realm="r", nonce="n", uri="u""#,
        ),
    ] {
        assert_eq!(
            parse_authorization(v),
            Err(DigestParseError::Missing(name)),
            "{v}"
        );
    }
}

#[test]
fn duplicates_are_refused_in_any_case() {
    let v = format!("Digest {BASE}, Response=\"def\"");
    assert_eq!(
        parse_authorization(&v),
        Err(DigestParseError::Duplicate("Response".into()))
    );
}

#[test]
fn structural_errors_are_typed() {
    assert_eq!(parse_authorization("   "), Err(DigestParseError::Empty));
    assert_eq!(
        parse_authorization("Basic Zm9vOmJhcg=="),
        Err(DigestParseError::NotDigest("Basic".into()))
    );
    assert!(matches!(
        parse_authorization("Digestusername=\"a\""),
        Err(DigestParseError::NotDigest(_))
    ));
    assert_eq!(
        parse_authorization("Digest username=\"alice"),
        Err(DigestParseError::UnterminatedQuote("username".into()))
    );
    assert_eq!(
        parse_authorization("Digest username"),
        Err(DigestParseError::ExpectedEquals("username".into()))
    );
    assert_eq!(
        parse_authorization("Digest username="),
        Err(DigestParseError::MissingValue("username".into()))
    );
    assert_eq!(
        parse_authorization("Digest username=, realm=r"),
        Err(DigestParseError::MissingValue("username".into()))
    );
    assert_eq!(
        parse_authorization("Digest username=\"a\" realm=\"r\""),
        Err(DigestParseError::ExpectedComma("username".into()))
    );
    assert_eq!(
        parse_authorization("Digest =\"a\""),
        Err(DigestParseError::ExpectedName(7))
    );
    let bad_nc = format!("Digest {BASE}, nc=00000000g");
    assert_eq!(
        parse_authorization(&bad_nc),
        Err(DigestParseError::BadNonceCount("00000000g".into()))
    );
    let long_nc = format!("Digest {BASE}, nc=100000000");
    assert!(matches!(
        parse_authorization(&long_nc),
        Err(DigestParseError::BadNonceCount(_))
    ));
}

#[test]
fn non_ascii_does_not_break_offsets() {
    let v = "Digest username=\"ünïcødé\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\"";
    assert_eq!(
        parse_authorization(v).map(|p| p.username),
        Ok("ünïcødé".into())
    );
    assert!(parse_authorization("Digest ü=1").is_err());
}

proptest! {
    #[test]
    fn random_strings_never_panic(s in ".{0,200}") {
        let _ = parse_authorization(&s);
    }

    #[test]
    fn random_digest_like_strings_never_panic(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("Digest ".to_owned()),
                Just("username".to_owned()),
                Just("=".to_owned()),
                Just(",".to_owned()),
                Just("\"".to_owned()),
                Just("\\".to_owned()),
                Just(" ".to_owned()),
                Just("nc=".to_owned()),
                "[a-z0-9]{0,6}",
            ],
            0..40,
        )
    ) {
        let s: String = parts.concat();
        let _ = parse_authorization(&s);
        // The whole verifier must not panic either.
        let mut c = Challenger::new(ChallengerConfig::new("r"), [0u8; 32], Instant::now());
        let users: HashMap<String, Credential> = HashMap::new();
        let _ = c.verify(Instant::now(), "REGISTER", &[&s], &users);
    }
}
