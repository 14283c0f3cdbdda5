//! Calls between registered WebSocket users (browsers) and a SIP server peer, in both
//! directions, and parallel forking to every registration of a user. Signalling only: the
//! media of a WebRTC leg is covered by the media tests.

mod common;

use std::net::SocketAddr;

use common::ua::{Ua, answer, sdp};
use sbcctl_load::sip::{Registration, Response};
use sbcctl_load::ws::{self, Socket, Target};
use sbcctl_sip::{Message, Request, parse_bytes};

const CHROME_OFFER: &str = include_str!("../media/tests/fixtures/chrome_offer.sdp");

fn spec(pbx: SocketAddr) -> String {
    format!(
        r#"
version: 1
interfaces:
  browsers: {{ transport: ws, listen: 127.0.0.1:0, websocket: {{ path: /, allowed_origins: [http://app.test] }} }}
  lan: {{ transport: udp, listen: 127.0.0.1:0 }}
media_realms:
  web: {{ listen: 127.0.0.1, ports: 43400-43499 }}
  lan: {{ listen: 127.0.0.1, ports: 43500-43599 }}
profiles:
  webrtc: {{ media: webrtc, codecs: [opus, pcmu, pcma, telephone-event] }}
  sip: {{ media: rtp, codecs: [pcmu, pcma, telephone-event] }}
peers:
  web:
    users:
      interface: browsers
      realm: web
      profile: webrtc
      registration:
        local:
          realm: sbc.test
          digest_algorithms: [md5]
          users: [{{ name: alice, password: wonderland }}]
  pbx:
    server: {{ interface: lan, realm: lan, profile: sip, proxies: [{{ address: "{pbx}" }}], keepalive: {{ options_interval: 0s }} }}
routes:
  - {{ name: out, from: web, to: {{ peer: pbx }} }}
  - {{ name: in, from: pbx, to: {{ registered: web }} }}
limits: {{ requests_per_ip_per_s: 10000 }}
"#
    )
}

async fn register(target: &Target) -> Socket {
    let mut socket = ws::connect(target).await.expect("ws upgrade");
    let via = format!("{:08x}.invalid", rand::random::<u32>());
    let mut reg = Registration::new("alice".into(), "wonderland", "sbc.test", "WS", via, 600);
    let first = common::exchange(&mut socket, &reg.request(None)).await;
    let challenge = reg
        .choose(&Response::parse(&first).expect("401"))
        .expect("challenge");
    let ok = common::exchange(&mut socket, &reg.request(Some(&challenge))).await;
    assert_eq!(Response::parse(&ok).map(|r| r.status), Some(200));
    socket
}

async fn ws_request(socket: &mut Socket) -> Request {
    loop {
        let bytes = common::next_message(socket).await;
        match parse_bytes(bytes::Bytes::from(bytes)).expect("valid SIP") {
            Message::Request(r) => return r,
            Message::Response(_) => continue,
        }
    }
}

fn ws_answer(req: &Request, code: u16, reason: &str, tag: &str) -> String {
    let mut r = sbcctl_sip::Response::for_request(req, code, reason);
    r.set_to_tag_if_absent(tag);
    String::from_utf8_lossy(&r.to_bytes()).into_owned()
}

fn pbx_invite(sbc: SocketAddr, pbx: &Ua, n: u32) -> String {
    let body = sdp("127.0.0.2:31000".parse().unwrap(), 5, "sendrecv");
    format!(
        "INVITE sip:alice@{sbc} SIP/2.0\r\nVia: SIP/2.0/UDP {l};branch=z9hG4bKpbx{n};rport\r\nMax-Forwards: 70\r\n\
         From: <sip:100@{l}>;tag=pbx{n}\r\nTo: <sip:alice@{sbc}>\r\nCall-ID: pbx-call-{n}\r\nCSeq: 1 INVITE\r\n\
         Contact: <sip:100@{l}>\r\nContent-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{body}",
        l = pbx.addr,
        len = body.len()
    )
}

#[tokio::test]
async fn browser_calls_the_pbx_with_an_rtp_offer() {
    let mut pbx = Ua::bind("127.0.0.2").await;
    let host = common::start(&spec(pbx.addr)).await;
    let target = common::ws_target(&host, "browsers", Some("http://app.test"));
    let mut socket = register(&target).await;
    let offer = CHROME_OFFER.replace('\n', "\r\n");
    let invite = |auth: &str| {
        format!(
            "INVITE sip:5551234@sbc.test SIP/2.0\r\nVia: SIP/2.0/WSS abc.invalid;branch=z9hG4bKws{}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:alice@sbc.test>;tag=wsa\r\nTo: <sip:5551234@sbc.test>\r\n\
             Call-ID: ws-call-1\r\nCSeq: {} INVITE\r\nContact: <sip:x@abc.invalid;transport=ws>\r\n{auth}\
             Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{offer}",
            auth.len(),
            if auth.is_empty() { 1 } else { 2 },
            offer.len()
        )
    };
    let challenge = common::exchange(&mut socket, &invite("")).await;
    let parsed = Response::parse(&challenge).expect("407");
    assert_eq!(parsed.status, 407);
    let ch = parsed
        .headers("proxy-authenticate")
        .find_map(sbcctl_load::digest::parse_challenge)
        .expect("challenge");
    let auth = sbcctl_load::digest::authorization(
        &ch,
        "alice",
        "wonderland",
        "INVITE",
        "sip:5551234@sbc.test",
        1,
        "cn1",
    );
    ws::send(
        &mut socket,
        &invite(&format!("Proxy-Authorization: {auth}\r\n")),
    )
    .await
    .expect("send");
    let (inv, from) = pbx.recv_request().await;
    let body = String::from_utf8_lossy(inv.body()).into_owned();
    assert!(body.contains("RTP/AVP"), "the PBX gets plain RTP: {body}");
    assert!(
        !body.contains("fingerprint") && !body.contains("ice-ufrag"),
        "{body}"
    );
    pbx.send_to(from, &answer(&inv, 486, "Busy Here", "p1", pbx.addr, None))
        .await;
    let busy = loop {
        let bytes = common::next_message(&mut socket).await;
        let r = Response::parse(&bytes).expect("response");
        if r.status != 100 {
            break r.status;
        }
    };
    assert_eq!(busy, 486);
    host.shutdown().await;
}

#[tokio::test]
async fn pbx_call_forks_to_every_registration_and_cancel_reaches_them() {
    let mut pbx = Ua::bind("127.0.0.2").await;
    let host = common::start(&spec(pbx.addr)).await;
    let sbc = host.local_addr("lan").expect("lan");
    let target = common::ws_target(&host, "browsers", Some("http://app.test"));
    let mut one = register(&target).await;
    let mut two = register(&target).await;
    let text = pbx_invite(sbc, &pbx, 1);
    pbx.send_to(sbc, &text).await;
    let inv1 = ws_request(&mut one).await;
    let inv2 = ws_request(&mut two).await;
    assert_eq!(inv1.method().as_str(), "INVITE");
    assert_eq!(inv2.method().as_str(), "INVITE");
    ws::send(&mut one, &ws_answer(&inv1, 486, "Busy Here", "b1"))
        .await
        .expect("send");
    ws::send(&mut two, &ws_answer(&inv2, 180, "Ringing", "b2"))
        .await
        .expect("send");
    assert_eq!(pbx.recv_response().await.code(), 180);
    let cancel = text
        .replacen("INVITE sip", "CANCEL sip", 1)
        .replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL");
    let cancel =
        cancel.split("Content-Type").next().unwrap().to_owned() + "Content-Length: 0\r\n\r\n";
    pbx.send_to(sbc, &cancel).await;
    let mut codes = vec![
        pbx.recv_response().await.code(),
        pbx.recv_response().await.code(),
    ];
    codes.sort_unstable();
    assert_eq!(codes, vec![200, 487]);
    let c = ws_request(&mut two).await;
    assert_eq!(
        c.method().as_str(),
        "CANCEL",
        "the ringing fork is cancelled"
    );
    host.shutdown().await;
}

#[tokio::test]
async fn a_closed_websocket_ends_the_call_with_bye_to_the_pbx() {
    let mut pbx = Ua::bind("127.0.0.2").await;
    let host = common::start(&spec(pbx.addr)).await;
    let sbc = host.local_addr("lan").expect("lan");
    let target = common::ws_target(&host, "browsers", Some("http://app.test"));
    let mut browser = register(&target).await;
    pbx.send_to(sbc, &pbx_invite(sbc, &pbx, 2)).await;
    let inv = ws_request(&mut browser).await;
    let offer = String::from_utf8_lossy(inv.body()).into_owned();
    assert!(
        offer.contains("UDP/TLS/RTP/SAVPF"),
        "the browser gets a WebRTC offer: {offer}"
    );
    assert!(offer.contains("a=fingerprint:"), "{offer}");
    ws::send(&mut browser, &ws_answer(&inv, 180, "Ringing", "r2"))
        .await
        .expect("send");
    assert_eq!(pbx.recv_response().await.code(), 180);
    // The browser goes away while ringing: the PBX's INVITE gets a final answer in time.
    let closed_at = std::time::Instant::now();
    drop(browser);
    let fin = pbx.recv_response().await;
    assert!(
        fin.code() >= 400,
        "a failure for the PBX, got {}",
        fin.code()
    );
    assert!(closed_at.elapsed() < std::time::Duration::from_secs(1));
    host.shutdown().await;
}
