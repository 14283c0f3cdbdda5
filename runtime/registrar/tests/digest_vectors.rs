//! Published test vectors: RFC 7616 §3.9.1, RFC 2617 §3.5, RFC 4231 §4.3.

use sbcctl_registrar::digest::{
    Algorithm, ChallengerConfig, Credential, ResponseInput, ha1, hmac_sha256, parse_authorization,
    response,
};

const RFC7616_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const RFC7616_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

fn rfc7616_input() -> ResponseInput<'static> {
    ResponseInput {
        method: "GET",
        uri: "/dir/index.html",
        nonce: RFC7616_NONCE,
        nc: "00000001",
        cnonce: RFC7616_CNONCE,
        qop: "auth",
    }
}

#[test]
fn rfc7616_sha256_example() {
    let base = ha1(
        Algorithm::Sha256.hash(),
        "Mufasa",
        "http-auth@example.org",
        "Circle of Life",
    );
    let r = response(Algorithm::Sha256, &base, &rfc7616_input());
    assert_eq!(
        r.as_str(),
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
}

#[test]
fn rfc7616_md5_example() {
    let base = ha1(
        Algorithm::Md5.hash(),
        "Mufasa",
        "http-auth@example.org",
        "Circle of Life",
    );
    let r = response(Algorithm::Md5, &base, &rfc7616_input());
    assert_eq!(r.as_str(), "8ca523f5e9506fed4657c9700eebdbec");
}

#[test]
fn rfc2617_md5_example() {
    let base = ha1(
        Algorithm::Md5.hash(),
        "Mufasa",
        "testrealm@host.com",
        "Circle Of Life",
    );
    let r = response(
        Algorithm::Md5,
        &base,
        &ResponseInput {
            method: "GET",
            uri: "/dir/index.html",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            nc: "00000001",
            cnonce: "0a4f113b",
            qop: "auth",
        },
    );
    assert_eq!(r.as_str(), "6629fae49393a05397450978507c4ef1");
}

#[test]
fn rfc7616_example_header_parses() {
    let value = "Digest username=\"Mufasa\",\r\n realm=\"http-auth@example.org\",\r\n \
        uri=\"/dir/index.html\",\r\n algorithm=SHA-256,\r\n \
        nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n nc=00000001,\r\n \
        cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n qop=auth,\r\n \
        response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\",\r\n \
        opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
    let p = parse_authorization(value).expect("RFC example parses");
    assert_eq!(p.username, "Mufasa");
    assert_eq!(p.realm, "http-auth@example.org");
    assert_eq!(p.algorithm.as_deref(), Some("SHA-256"));
    assert_eq!(p.nc.as_deref(), Some("00000001"));
    assert_eq!(p.nonce_count(), Ok(Some(1)));
    assert_eq!(p.qop.as_deref(), Some("auth"));
    assert_eq!(
        p.opaque.as_deref(),
        Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
    );
    let base = ha1(
        Algorithm::Sha256.hash(),
        &p.username,
        &p.realm,
        "Circle of Life",
    );
    let r = response(Algorithm::Sha256, &base, &rfc7616_input());
    assert_eq!(r.as_str(), p.response);
}

#[test]
fn ha1_credential_equals_plain() {
    let realm = "http-auth@example.org";
    let md5 = ha1(Algorithm::Md5.hash(), "Mufasa", realm, "Circle of Life");
    let cred = Credential::Ha1 {
        md5: Some(md5.as_str().to_ascii_uppercase()),
        sha256: None,
    };
    let from_ha1 = cred
        .ha1(Algorithm::Md5.hash(), "Mufasa", realm)
        .expect("md5 HA1 present");
    assert_eq!(from_ha1, md5);
    assert!(
        cred.ha1(Algorithm::Sha256.hash(), "Mufasa", realm)
            .is_none()
    );
    let bad = Credential::Ha1 {
        md5: Some("xyz".into()),
        sha256: None,
    };
    assert!(bad.ha1(Algorithm::Md5.hash(), "Mufasa", realm).is_none());
}

#[test]
fn hmac_sha256_rfc4231_case2() {
    let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
    assert_eq!(
        hex::encode(mac),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn credential_debug_redacts() {
    let c = Credential::Plain("hunter2".into());
    assert!(!format!("{c:?}").contains("hunter2"));
    let _ = ChallengerConfig::new("r");
}
