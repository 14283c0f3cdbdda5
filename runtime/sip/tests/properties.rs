//! Property tests: random bytes never panic; parse → print → parse is stable;
//! generated well-formed messages round-trip byte-for-byte.

use proptest::prelude::*;
use sbcctl_sip::{Message, parse};

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Via".to_owned()),
        Just("v".to_owned()),
        Just("X-Custom".to_owned()),
        Just("Subject".to_owned()),
        Just("Route".to_owned()),
        Just("Supported".to_owned()),
        "[A-Za-z][A-Za-z0-9-]{0,12}",
    ]
}

fn extra_value() -> impl Strategy<Value = String> {
    "[ -~]{0,40}".prop_map(|s| s.trim().to_owned())
}

/// A well-formed request with extra headers (possibly folded) in random
/// order relative to the mandatory ones.
fn request_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![
            Just("INVITE"),
            Just("REGISTER"),
            Just("OPTIONS"),
            Just("BYE"),
            Just("FOO")
        ],
        "[a-z0-9]{1,10}",
        "[a-z]{1,8}\\.(example|invalid)",
        prop::collection::vec((header_name(), extra_value(), any::<bool>()), 0..8),
        prop::collection::vec(any::<u8>(), 0..64),
        any::<bool>(),
    )
        .prop_filter_map(
            "extra headers must not clash",
            |(method, user, host, extra, body, compact)| {
                let mut m = format!("{method} sip:{user}@{host} SIP/2.0\r\n");
                m += &format!("Via: SIP/2.0/WSS {host};branch=z9hG4bK{user}\r\n");
                m += if compact {
                    "f: <sip:a@b>;tag=1\r\nt: sip:c@d\r\n"
                } else {
                    "From: <sip:a@b>;tag=1\r\nTo: sip:c@d\r\n"
                };
                m += &format!("Call-ID: {user}@{host}\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n");
                for (name, value, fold) in extra {
                    if ["via", "v", "route", "supported"]
                        .contains(&name.to_ascii_lowercase().as_str())
                    {
                        continue;
                    }
                    if [
                        "from",
                        "to",
                        "call-id",
                        "cseq",
                        "f",
                        "t",
                        "i",
                        "l",
                        "m",
                        "contact",
                        "content-length",
                        "max-forwards",
                        "c",
                        "content-type",
                        "k",
                        "expires",
                    ]
                    .contains(&name.to_ascii_lowercase().as_str())
                    {
                        return None;
                    }
                    if fold && value.len() > 2 {
                        let (a, b) = value.split_at(value.len() / 2);
                        m += &format!("{name}: {a}\r\n  {b}\r\n");
                    } else {
                        m += &format!("{name}: {value}\r\n");
                    }
                }
                m += &format!("Content-Length: {}\r\n\r\n", body.len());
                let mut bytes = m.into_bytes();
                bytes.extend_from_slice(&body);
                Some(bytes)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn sip_looking_noise_never_panics(s in "(INVITE|SIP/2.0|Via|v|To|:|;|,|<|>|\"|\\\\|\r\n| |\t|sip:|@|\\[|\\]|=|[0-9]{1,4}|[a-z]{1,5}|%[0-9A-Fa-f]{0,2})*") {
        if let Ok(msg) = parse(s.as_bytes()) {
            let printed = msg.to_bytes();
            prop_assert_eq!(parse(&printed).ok(), Some(msg));
        }
    }

    #[test]
    fn generated_requests_round_trip(bytes in request_bytes()) {
        let msg = parse(&bytes);
        prop_assert!(msg.is_ok(), "{:?}", msg);
        let msg = msg.ok();
        let printed = msg.as_ref().map(Message::to_bytes);
        prop_assert_eq!(printed.as_deref(), Some(&bytes[..]));
        prop_assert_eq!(parse(&bytes).ok(), msg);
    }
}
