//! Forward-mode registration end to end: a browser registers over WebSocket, the SBC relays to
//! an upstream registrar played by this test over UDP, which challenges and then accepts.

mod common;

use std::time::Duration;

use sbcctl_load::sip::{Registration, Response};
use sbcctl_load::ws::{self, Target};
use sbcctl_runtime::HostOptions;
use sbcctl_sip::{Message, Request, parse};
use tokio::net::UdpSocket;

fn spec(upstream: std::net::SocketAddr) -> String {
    format!(
        r#"
version: 1
interfaces:
  browsers: {{ transport: ws, listen: 127.0.0.1:0, websocket: {{ allowed_origins: ["*"] }} }}
  lan: {{ transport: udp, listen: 127.0.0.1:0 }}
media_realms:
  web: {{ listen: 127.0.0.1, ports: 40000-40999 }}
  lan: {{ listen: 127.0.0.1, ports: 41000-41999 }}
profiles:
  webrtc: {{ media: webrtc, codecs: [opus, pcmu] }}
  sip: {{ media: rtp, codecs: [pcmu] }}
peers:
  phones:
    users:
      interface: browsers
      realm: web
      profile: webrtc
      registration: {{ forward: {{ server: pbx }} }}
  pbx:
    server:
      interface: lan
      realm: lan
      profile: sip
      proxies: [{{ address: "{upstream}" }}]
      keepalive: {{ options_interval: 0s }}
routes:
  - {{ name: out, from: phones, to: {{ peer: pbx }} }}
  - {{ name: in, from: pbx, to: {{ registered: phones }} }}
limits: {{ requests_per_ip_per_s: 10000 }}
"#
    )
}

async fn upstream_receive(socket: &UdpSocket) -> (Request, std::net::SocketAddr) {
    let mut buf = vec![0u8; 65536];
    let (n, from) = tokio::time::timeout(Duration::from_secs(5), socket.recv_from(&mut buf))
        .await
        .expect("the SBC relays in time")
        .expect("recv");
    match parse(&buf[..n]) {
        Ok(Message::Request(r)) => (r, from),
        other => panic!("upstream expected a request, got {other:?}"),
    }
}

fn answer(req: &Request, status: &str, extra: &str) -> String {
    let mut out = format!("SIP/2.0 {status}\r\n");
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        for h in req.headers.get_all(name) {
            out.push_str(&format!(
                "{name}: {}\r\n",
                String::from_utf8_lossy(h.raw_value())
            ));
        }
    }
    out.push_str(extra);
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

#[tokio::test]
async fn register_is_relayed_challenge_passes_through_and_binding_maps_back() {
    let upstream = UdpSocket::bind("127.0.0.1:0").await.expect("bind upstream");
    let host = common::start(&spec(upstream.local_addr().expect("addr"))).await;
    let lan = host.local_addr("lan").expect("lan");
    let target = Target::parse(
        &format!("ws://{}/", host.local_addr("browsers").expect("ws")),
        None,
    )
    .expect("url");
    let mut browser = ws::connect(&target).await.expect("upgrade");
    let mut reg = Registration::new(
        "alice".into(),
        "pbx-secret",
        "pbx.test",
        "WS",
        "k2j4.invalid".into(),
        300,
    );

    // 1. First REGISTER: relayed; the upstream challenges; the browser sees that challenge.
    ws::send(&mut browser, &reg.request(None))
        .await
        .expect("send");
    let (first, sbc) = upstream_receive(&upstream).await;
    assert_eq!(
        sbc, lan,
        "relayed from the SBC's address on the server peer's interface"
    );
    let vias = first.headers.vias().expect("vias");
    assert_eq!(vias.len(), 1, "the browser's Via stays on the browser side");
    assert!(
        !first.to_bytes().windows(8).any(|w| w == b".invalid"),
        "no browser address upstream"
    );
    let contact = first.headers.contacts().expect("contact");
    let upstream_contact = contact[0].to_string();
    assert!(
        upstream_contact.contains(&lan.to_string()),
        "{upstream_contact}"
    );
    let challenge = r#"WWW-Authenticate: Digest realm="pbx.test", nonce="upstream-nonce-1", qop="auth", algorithm=MD5"#;
    upstream
        .send_to(
            answer(&first, "401 Unauthorized", &format!("{challenge}\r\n")).as_bytes(),
            sbc,
        )
        .await
        .expect("send");
    let bytes = common::next_message(&mut browser).await;
    let challenged = Response::parse(&bytes).expect("response");
    assert_eq!(challenged.status, 401);
    let offered: Vec<&str> = challenged.headers("www-authenticate").collect();
    assert_eq!(
        offered,
        vec![&challenge["WWW-Authenticate: ".len()..]],
        "the upstream's challenge, unchanged"
    );

    // 2. The browser answers; the credentials reach the upstream untouched; it accepts.
    let chosen = reg.choose(&challenged).expect("challenge");
    let authorized = reg.request(Some(&chosen));
    ws::send(&mut browser, &authorized).await.expect("send");
    let (second, _) = upstream_receive(&upstream).await;
    let sent_auth = authorized
        .lines()
        .find(|l| l.starts_with("Authorization:"))
        .expect("auth line");
    let got_auth = second
        .headers
        .get("Authorization")
        .map(|h| String::from_utf8_lossy(h.raw_value()).into_owned());
    assert_eq!(
        got_auth.as_deref(),
        Some(sent_auth["Authorization: ".len()..].trim())
    );
    assert_eq!(
        second.headers.contacts().expect("contact")[0].to_string(),
        upstream_contact,
        "same token on the retry"
    );
    let registered = format!(
        "Contact: {};expires=300\r\n",
        upstream_contact.split(';').next().unwrap_or_default()
    );
    upstream
        .send_to(answer(&second, "200 OK", &registered).as_bytes(), sbc)
        .await
        .expect("send");
    let bytes = common::next_message(&mut browser).await;
    let ok = Response::parse(&bytes).expect("response");
    assert_eq!(ok.status, 200);
    let contacts: Vec<&str> = ok.headers("contact").collect();
    assert_eq!(contacts.len(), 1);
    assert!(
        contacts[0].contains("k2j4.invalid") && contacts[0].contains("expires=300"),
        "the browser's own Contact back: {contacts:?}"
    );
    let status = host.status().await.expect("status");
    assert_eq!(
        status
            .core
            .users
            .iter()
            .find(|u| u.peer == "phones")
            .map(|u| u.bindings),
        Some(1)
    );

    // 3. The upstream calls the Contact it was given: the browser rings over its WebSocket, and
    // its answer (busy here) goes back to the upstream.
    let uri = upstream_contact
        .trim_start_matches('<')
        .split(['>', ';'])
        .next()
        .unwrap_or_default()
        .to_owned();
    let local = upstream.local_addr().expect("addr");
    let invite = format!(
        "INVITE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKfwdinv\r\nMax-Forwards: 70\r\n\
         From: <sip:200@pbx.test>;tag=up1\r\nTo: <sip:alice@pbx.test>\r\nCall-ID: fwd-inv-1\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:200@{local}>\r\nContent-Length: 0\r\n\r\n"
    );
    upstream
        .send_to(invite.as_bytes(), sbc)
        .await
        .expect("send");
    let ring = loop {
        let bytes = common::next_message(&mut browser).await;
        if let Ok(Message::Request(r)) = parse(&bytes) {
            break r;
        }
    };
    assert_eq!(ring.method().as_str(), "INVITE", "the browser is called");
    let mut busy = sbcctl_sip::Response::for_request(&ring, 486, "Busy Here");
    busy.set_to_tag_if_absent("br1");
    ws::send(&mut browser, &String::from_utf8_lossy(&busy.to_bytes()))
        .await
        .expect("send");
    let mut buf = vec![0u8; 65536];
    let code = loop {
        let n = tokio::time::timeout(Duration::from_secs(5), upstream.recv(&mut buf))
            .await
            .expect("the upstream gets an answer")
            .expect("recv");
        let code = Response::parse(&buf[..n]).map(|r| r.status).unwrap_or(0);
        if code >= 200 {
            break code;
        }
    };
    assert_eq!(code, 486);

    // 4. The connection closes: the mapping goes with it.
    drop(browser);
    assert_eq!(common::wait_bindings(&host, "phones", 0).await, 0);
    host.shutdown().await;
}

#[tokio::test]
async fn silent_upstream_gives_the_browser_a_timeout_not_silence() {
    let upstream = UdpSocket::bind("127.0.0.1:0").await.expect("bind upstream");
    let options = HostOptions {
        txn: sbcctl_sip::TxnConfig {
            t1: Duration::from_millis(10),
            ..sbcctl_sip::TxnConfig::default()
        },
        ..HostOptions::default()
    };
    let host = common::start_with(&spec(upstream.local_addr().expect("addr")), options).await;
    let target = Target::parse(
        &format!("ws://{}/", host.local_addr("browsers").expect("ws")),
        None,
    )
    .expect("url");
    let mut browser = ws::connect(&target).await.expect("upgrade");
    let mut reg = Registration::new(
        "alice".into(),
        "x",
        "pbx.test",
        "WS",
        "k2j4.invalid".into(),
        300,
    );
    ws::send(&mut browser, &reg.request(None))
        .await
        .expect("send");
    // Timer F is 64·T1 = 640 ms here; the upstream never answers.
    let bytes = common::next_message(&mut browser).await;
    assert_eq!(Response::parse(&bytes).map(|r| r.status), Some(408));
    host.shutdown().await;
}
