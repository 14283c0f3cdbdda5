//! RFC 4475 torture messages, each with the verdict its README assigns.

mod common;

use common::{snapshot_settings, torture, torture_names};
use sbcctl_sip::{
    Contact, Host, Message, Method, ParseErrorKind, Problem, Request, Transport, parse,
};

/// §3.1.1 valid messages plus the §3.2–3.4 ones whose verdict belongs to the
/// transaction or application layer: all must parse.
const PARSES: &[&str] = &[
    "wsinv",
    "intmeth",
    "esc01",
    "escnull",
    "esc02",
    "lwsdisp",
    "longreq",
    "dblreq",
    "semiuri",
    "transports",
    "mpart01",
    "unreason",
    "noreason",
    "badbranch",
    "unkscm",
    "novelsc",
    "unksm2",
    "bext01",
    "invut",
    "regaut01",
    "bcast",
    "zeromf",
    "cparam01",
    "cparam02",
    "regescrt",
    "sdp01",
    "inv2543",
];

/// (name, expected problem, expected status of the ready-made reply).
/// `None` means no reply can be formed: the message is dropped and counted.
/// Lenient acceptance is allowed by RFC 4475 for `lwsstart`, `trws`,
/// `badaspec`, `baddn` and `regbadct`; this parser refuses all five, since
/// guessing at whitespace or an ambiguous Contact is how proxies disagree.
const REFUSED: &[(&str, &str, Option<u16>)] = &[
    ("badinv01", "malformed Via", None),
    ("clerr", "body shorter than Content-Length", Some(400)),
    ("ncl", "malformed Content-Length", Some(400)),
    ("scalar02", "malformed CSeq", Some(400)),
    ("scalarlg", "malformed CSeq", None),
    ("quotbal", "malformed To", Some(400)),
    ("ltgtruri", "malformed Request-URI", Some(400)),
    ("lwsruri", "malformed Request-URI", Some(400)),
    ("lwsstart", "malformed Request-URI", Some(400)),
    ("trws", "malformed start line", Some(400)),
    ("regbadct", "malformed Contact", Some(400)),
    ("badaspec", "malformed To", Some(400)),
    ("baddn", "malformed From", Some(400)),
    ("badvers", "unsupported SIP version", Some(505)),
    (
        "mismatch01",
        "CSeq method does not match the request method",
        Some(400),
    ),
    (
        "mismatch02",
        "CSeq method does not match the request method",
        Some(400),
    ),
    ("bigcode", "bad status code", None),
    ("insuf", "missing From", Some(400)),
    ("multi01", "duplicate From", Some(400)),
    ("mcl01", "duplicate Content-Length", Some(400)),
];

fn request(name: &str) -> Request {
    match parse(&torture(name)) {
        Ok(Message::Request(r)) => r,
        other => panic!("{name}: expected a request, got {other:?}"),
    }
}

#[test]
fn every_file_has_a_verdict() {
    let mut listed: Vec<&str> = PARSES.to_vec();
    listed.extend(REFUSED.iter().map(|r| r.0));
    listed.sort_unstable();
    assert_eq!(torture_names(), listed);
}

#[test]
fn valid_messages_parse_and_round_trip() {
    for name in PARSES {
        let bytes = torture(name);
        let msg = parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let printed = msg.to_bytes();
        if *name == "dblreq" {
            // RFC 4475 §3.1.1.11: bytes after Content-Length are ignored.
            assert!(bytes.starts_with(&printed), "{name}");
            assert!(printed.len() < bytes.len());
        } else {
            assert_eq!(printed, bytes, "{name} did not re-serialize byte-for-byte");
        }
        let again = parse(&printed).unwrap_or_else(|e| panic!("{name} reparse: {e}"));
        assert_eq!(again, msg, "{name}");
    }
}

#[test]
fn invalid_messages_are_refused_with_the_right_reply() {
    for (name, why, status) in REFUSED {
        let err = match parse(&torture(name)) {
            Err(e) => e,
            Ok(m) => panic!("{name} parsed: {m:?}"),
        };
        assert_eq!(err.kind.to_string(), *why, "{name}");
        let reply = err.response_400();
        assert_eq!(reply.as_ref().map(|r| r.code()), *status, "{name}");
        if let Some(reply) = reply {
            let reason = String::from_utf8_lossy(reply.reason()).into_owned();
            assert_eq!(reason, err.reason_phrase(), "{name}");
            if *status == Some(400) {
                assert_eq!(reason, format!("Bad Request ({why})"));
            }
            // The reply carries the request's Via and CSeq so the client's
            // transaction matches it.
            assert!(reply.headers.get("Via").is_some(), "{name}");
            assert!(reply.headers.get("CSeq").is_some(), "{name}");
        }
    }
}

#[test]
fn badvers_gets_505_and_badcode_is_a_response() {
    let err = parse(&torture("badvers")).err();
    assert_eq!(
        err.as_ref().map(|e| e.kind.clone()),
        Some(ParseErrorKind::UnsupportedVersion)
    );
    assert_eq!(
        err.map(|e| e.reason_phrase()).as_deref(),
        Some("Version Not Supported")
    );
    let big = parse(&torture("bigcode")).err();
    assert_eq!(big.map(|e| e.is_request), Some(false));
}

#[test]
fn wsinv_values() {
    let r = request("wsinv");
    assert_eq!(r.method(), &Method::Invite);
    let h = &r.headers;
    assert_eq!(h.max_forwards(), Ok(Some(68)));
    assert_eq!(h.cseq().map(|c| (c.seq, c.method)), Ok((9, Method::Invite)));
    assert_eq!(
        h.to().ok().as_ref().and_then(|t| t.tag()),
        Some("1918181833n")
    );
    let from = h.from().ok();
    assert_eq!(from.as_ref().and_then(|f| f.tag()), Some("98asjd8"));
    assert_eq!(
        from.and_then(|f| f.display).as_deref(),
        Some(r#"J Rosenberg \""#)
    );
    let vias = h.vias().unwrap_or_default();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[1].transport, Transport::Tcp);
    assert_eq!(vias[1].host, Host::Domain("spindle.example.com".into()));
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    let contacts = h.contacts().unwrap_or_default();
    let Some(Contact::Addr(c)) = contacts.first() else {
        panic!("no contact")
    };
    assert_eq!(c.display.as_deref(), Some(r#"Quoted string """#));
    assert_eq!(c.params.get("newparam"), Some(Some("newvalue")));
    assert_eq!(c.q(), Some(330));
    assert_eq!(h.content_length(), Ok(Some(150)));
    assert_eq!(r.body().len(), 150);
    assert_eq!(
        h.get("NewFangledHeader")
            .and_then(|v| v.value_str())
            .as_deref(),
        Some("newfangled value   continued newfangled value")
    );
    assert_eq!(h.get("s").map(|v| v.raw_value().len()), Some(0));
    let route = h.routes().unwrap_or_default();
    assert!(route.first().is_some_and(|r| r.uri.params.contains("lr")));
}

#[test]
fn escapes_and_odd_uris() {
    let r = request("esc01");
    assert_eq!(
        r.uri().ok().and_then(|u| u.user_decoded()),
        Some(b"sips:user@example.com".to_vec())
    );
    assert_eq!(
        r.headers.from().ok().and_then(|f| f.uri.user_decoded()),
        Some(b"I have spaces".to_vec())
    );
    assert_eq!(
        r.headers.to().ok().and_then(|f| f.uri.user_decoded()),
        Some(b"user".to_vec())
    );
    let r = request("escnull");
    let contacts = r.headers.contacts().unwrap_or_default();
    assert_eq!(contacts.len(), 2);
    let r = request("esc02");
    assert_eq!(r.method(), &Method::Other("RE%47IST%45R".into()));
    assert_ne!(r.method(), &Method::Register);
    assert_eq!(
        r.headers.contacts().map(|c| c.len()),
        Ok(2),
        "C%6Fntact is another header"
    );
    let r = request("semiuri");
    assert_eq!(
        r.uri().ok().and_then(|u| u.user).as_deref(),
        Some("user;par=u%40example.net")
    );
    assert_eq!(
        r.uri().ok().and_then(|u| u.host),
        Some(Host::Domain("example.com".into()))
    );
    let r = request("intmeth");
    assert_eq!(
        r.method().as_str(),
        "!interesting-Method0123456789_*+`.%indeed'~"
    );
    let uri = r.uri().ok();
    assert_eq!(
        uri.as_ref().and_then(|u| u.password.as_deref()),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(
        r.headers.call_id().ok().as_deref(),
        Some(r#"intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{"#)
    );
    assert_eq!(
        r.headers.to().ok().and_then(|t| t.display).as_deref(),
        Some("BEL:\u{7} NUL:\u{0} DEL:\u{7f}")
    );
}

#[test]
fn transports_and_contact_params() {
    let r = request("transports");
    let kinds: Vec<Transport> = r
        .headers
        .vias()
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.transport)
        .collect();
    assert_eq!(
        kinds,
        vec![
            Transport::Udp,
            Transport::Sctp,
            Transport::Tls,
            Transport::Other("UNKNOWN".into()),
            Transport::Tcp
        ]
    );
    let r = request("cparam01");
    let c = r.headers.contacts().unwrap_or_default();
    let Some(Contact::Addr(c)) = c.first() else {
        panic!("no contact")
    };
    assert!(
        c.params.contains("unknownparam"),
        "addr-spec params belong to the header"
    );
    assert!(c.uri.params.is_empty());
    let r = request("regescrt");
    let c = r.headers.contacts().unwrap_or_default();
    let Some(Contact::Addr(c)) = c.first() else {
        panic!("no contact")
    };
    assert_eq!(
        c.uri.headers,
        vec![("Route".into(), "%3Csip:sip.example.com%3E".into())]
    );
}

#[test]
fn badbranch_and_rfc2543_have_no_cookie() {
    let r = request("badbranch");
    assert_eq!(
        r.headers.top_via().map(|v| v.has_rfc3261_branch()),
        Ok(false)
    );
    let r = request("inv2543");
    assert_eq!(r.headers.top_via().map(|v| v.branch().is_none()), Ok(true));
    assert_eq!(r.headers.max_forwards(), Ok(None));
}

#[test]
fn multi01_reports_duplicates() {
    let bytes = torture("multi01");
    let err = parse(&bytes).err();
    assert!(matches!(
        err.map(|e| e.kind),
        Some(ParseErrorKind::Header(sbcctl_sip::HeaderError {
            problem: Problem::Duplicate,
            ..
        }))
    ));
}

/// A readable rendering of what the views see, for snapshots.
fn summary(r: &Request) -> String {
    use std::fmt::Write;
    let h = &r.headers;
    let mut s = String::new();
    let _ = writeln!(s, "method: {}", r.method());
    let _ = writeln!(s, "uri: {:?}", r.uri().map(|u| u.to_string()));
    for v in h.vias().unwrap_or_default() {
        let _ = writeln!(s, "via: {v}");
    }
    let _ = writeln!(s, "from: {:?}", h.from().map(|a| a.to_string()));
    let _ = writeln!(s, "to: {:?}", h.to().map(|a| a.to_string()));
    let _ = writeln!(s, "call-id: {:?}", h.call_id());
    let _ = writeln!(s, "cseq: {:?}", h.cseq().map(|c| c.to_string()));
    let _ = writeln!(s, "max-forwards: {:?}", h.max_forwards());
    for c in h.contacts().unwrap_or_default() {
        let _ = writeln!(s, "contact: {c}");
    }
    for c in h.routes().unwrap_or_default() {
        let _ = writeln!(s, "route: {c}");
    }
    let _ = writeln!(
        s,
        "content-type: {:?}",
        h.content_type().map(|c| c.map(|c| c.to_string()))
    );
    let _ = writeln!(s, "body: {} bytes", r.body().len());
    let _ = writeln!(s, "headers:");
    for header in h {
        let _ = writeln!(
            s,
            "  {} = {:?}",
            String::from_utf8_lossy(header.name()),
            header.value_str().unwrap_or_default()
        );
    }
    s
}

#[test]
fn parsed_structure_snapshots() {
    let settings = snapshot_settings();
    settings.bind(|| {
        for name in ["wsinv", "intmeth", "esc01", "transports"] {
            insta::assert_snapshot!(format!("rfc4475_{name}"), summary(&request(name)));
        }
    });
}
