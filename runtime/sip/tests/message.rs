//! Message model: compact forms, folding, IPv6, mutation, responses.

use sbcctl_sip::{Host, Message, Method, Request, Response, SipUri, Transport, parse};

const REGISTER: &str = "REGISTER sip:sbc.example.com;transport=ws SIP/2.0\r\n\
v: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7\r\n\
Max-Forwards: 70\r\n\
t: <sip:alice@sbc.example.com>\r\n\
f: \"Alice\" <sip:alice@sbc.example.com>;tag=ja8s7d\r\n\
i: 9qk3j4@df7jal23ls0d.invalid\r\n\
CSeq: 2 REGISTER\r\n\
m: <sip:k2j3@df7jal23ls0d.invalid;transport=ws>;+sip.instance=\"<urn:uuid:0d1e>\";reg-id=1;expires=600\r\n\
X-Unknown:   kept   exactly  \r\n\
k: path, gruu,outbound\r\n\
Authorization: Digest username=\"alice\", realm=\"sbc\", nonce=\"n1\", uri=\"sip:sbc.example.com\", response=\"0123\", qop=auth, nc=00000001, cnonce=\"c\"\r\n\
l: 0\r\n\r\n";

fn request(s: &str) -> Request {
    match parse(s.as_bytes()) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn compact_forms_are_their_long_names() {
    let r = request(REGISTER);
    let h = &r.headers;
    assert_eq!(h.get("Via").map(|h| h.name().to_vec()), Some(b"v".to_vec()));
    assert_eq!(h.call_id().as_deref(), Ok("9qk3j4@df7jal23ls0d.invalid"));
    assert_eq!(
        h.from().ok().and_then(|f| f.display).as_deref(),
        Some("Alice")
    );
    assert_eq!(
        h.supported(),
        Ok(vec!["path".into(), "gruu".into(), "outbound".into()])
    );
    assert_eq!(h.content_length(), Ok(Some(0)));
    let via = h.top_via();
    assert_eq!(
        via.as_ref().map(|v| v.transport.clone()),
        Ok(Transport::Wss)
    );
    assert!(via.is_ok_and(|v| v.host.is_invalid_tld()));
    let auth = h.authorization().unwrap_or_default();
    assert_eq!(auth.first().and_then(|a| a.get("nc")), Some("00000001"));
}

#[test]
fn unchanged_message_is_byte_for_byte() {
    let r = request(REGISTER);
    assert_eq!(r.to_bytes(), REGISTER.as_bytes());
}

#[test]
fn mutation_keeps_other_headers_in_place() {
    let mut r = request(REGISTER);
    r.headers
        .insert_front("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKsbc1");
    r.headers.set("Max-Forwards", "69");
    r.headers.remove("Authorization");
    r.set_uri(&SipUri::sip(
        Some("alice"),
        Host::Ipv6(
            "2001:db8::1"
                .parse()
                .unwrap_or(std::net::Ipv6Addr::LOCALHOST),
        ),
        Some(5062),
    ));
    r.set_body("hello");
    let out = String::from_utf8(r.to_bytes().to_vec()).unwrap_or_default();
    assert!(out.starts_with("REGISTER sip:alice@[2001:db8::1]:5062 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKsbc1\r\nv: SIP/2.0/WSS"));
    assert!(out.contains("Max-Forwards: 69\r\nt: <sip:alice@sbc.example.com>"));
    assert!(out.contains("X-Unknown:   kept   exactly  \r\n"));
    assert!(!out.contains("Authorization"));
    assert!(out.ends_with("Content-Length: 5\r\n\r\nhello"));
    let again = request(&out);
    assert_eq!(again.headers.vias().map(|v| v.len()), Ok(2));
    assert_eq!(again.body().as_ref(), b"hello");
    assert_eq!(again.uri().ok().and_then(|u| u.port), Some(5062));
}

#[test]
fn response_for_request_copies_the_right_headers() {
    let r = request(REGISTER);
    let mut resp = Response::for_request(&r, 200, "OK");
    assert!(resp.set_to_tag_if_absent("sbc77"));
    let bytes = resp.to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap_or_default();
    assert_eq!(
        text,
        "SIP/2.0 200 OK\r\n\
v: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7\r\n\
f: \"Alice\" <sip:alice@sbc.example.com>;tag=ja8s7d\r\n\
To: <sip:alice@sbc.example.com>;tag=sbc77\r\n\
i: 9qk3j4@df7jal23ls0d.invalid\r\n\
CSeq: 2 REGISTER\r\n\
Content-Length: 0\r\n\r\n"
    );
    // A To that already has a tag is left alone.
    let mut again = match parse(&bytes) {
        Ok(Message::Response(r)) => r,
        other => panic!("{other:?}"),
    };
    assert!(again.set_to_tag_if_absent("other"));
    assert_eq!(
        again.headers.to().ok().as_ref().and_then(|t| t.tag()),
        Some("sbc77")
    );
    assert_eq!(again.code(), 200);
}

#[test]
fn folding_and_ipv6_via() {
    let msg = "OPTIONS sip:[2001:db8::5]:5070 SIP/2.0\r\n\
Via: SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1;rport,\r\n SIP/2.0/TCP\r\n\t[::1];branch=z9hG4bK2\r\n\
From: <sip:a@[2001:db8::9]>;tag=1\r\nTo: <sip:b@[2001:db8::5]>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n";
    let r = request(msg);
    let vias = r.headers.vias().unwrap_or_default();
    assert_eq!(vias.len(), 2);
    assert_eq!(vias[0].sent_by(), "[2001:db8::9]:5060");
    assert_eq!(vias[0].rport(), Some(None));
    assert_eq!(vias[1].host, Host::Ipv6(std::net::Ipv6Addr::LOCALHOST));
    assert_eq!(
        r.uri().ok().map(|u| u.to_string()).as_deref(),
        Some("sip:[2001:db8::5]:5070")
    );
    assert_eq!(r.to_bytes(), msg.as_bytes());
}

#[test]
fn body_without_content_length_takes_the_datagram() {
    let msg = "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 MESSAGE\r\n\r\nhi there";
    let r = request(msg);
    assert_eq!(r.method(), &Method::Message);
    assert_eq!(r.body().as_ref(), b"hi there");
}

#[test]
fn lf_only_line_ends_and_leading_crlf_are_accepted() {
    let msg = "\r\n\r\nOPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: x\nCSeq: 1 OPTIONS\n\n";
    let r = request(msg);
    assert_eq!(r.headers.len(), 5);
}

#[test]
fn errors_name_the_problem() {
    let no_call_id = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCSeq: 1 OPTIONS\r\n\r\n";
    let err = parse(no_call_id.as_bytes()).err();
    assert_eq!(
        err.as_ref().map(|e| e.reason_phrase()).as_deref(),
        Some("Bad Request (missing Call-ID)")
    );
    let resp = err.and_then(|e| e.response_400());
    assert_eq!(resp.as_ref().map(|r| r.code()), Some(400));
    assert_eq!(
        resp.map(|r| r.headers.len()),
        Some(5),
        "Via, From, To, CSeq, Content-Length"
    );
    assert!(parse(b"").is_err());
    assert!(parse(b"\r\n\r\n").is_err());
    assert!(parse(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x").is_err());
    assert!(parse(b"OPTIONS sip:a@b SIP/2.0\r\n folded-first\r\n\r\n").is_err());
}

#[test]
fn large_inputs_stay_linear() {
    // 20k folded continuation lines and 20k headers: must finish quickly.
    let mut m = String::from(
        "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nX-Long: a\r\n",
    );
    for _ in 0..20_000 {
        m += " a\r\n";
    }
    for i in 0..20_000 {
        m += &format!("X-{i}: {i}\r\n");
    }
    m += "\r\n";
    let start = std::time::Instant::now();
    let r = request(&m);
    assert_eq!(r.headers.len(), 20_006);
    assert_eq!(r.to_bytes(), m.as_bytes());
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}
