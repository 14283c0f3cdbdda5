//! Graceful drain: new INVITEs and OPTIONS get 503 while registrations and calls in progress go
//! on; calls still up at the end of the grace period are ended by the SBC.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use sbcctl_load::sip::{Registration, Response};
use tokio::net::UdpSocket;

const SPEC: &str = r#"
version: 1
interfaces:
  web: { transport: ws, listen: 127.0.0.1:0, websocket: { allowed_origins: ["*"] } }
  lan: { transport: udp, listen: 127.0.0.1:0 }
media_realms:
  lan: { listen: 127.0.0.1, ports: 45000-45999 }
profiles:
  webrtc: { media: webrtc, codecs: [opus, pcmu] }
  sip: { media: rtp, codecs: [pcmu] }
peers:
  web-users:
    users:
      interface: web
      realm: lan
      profile: webrtc
      registration:
        local:
          realm: sbc.test
          users: [{ name: alice, password: wonderland }]
  pbx:
    server:
      interface: lan
      realm: lan
      profile: sip
      proxies: [{ address: "127.0.0.8:5099" }]
      keepalive: { options_interval: 0s }
routes:
  - { name: to-browsers, from: pbx, to: { registered: web-users } }
limits: { requests_per_ip_per_s: 10000 }
admin: { listen: 127.0.0.1:0 }
"#;

fn request(method: &str, sbc: SocketAddr, local: SocketAddr, user: &str, n: u32) -> String {
    format!(
        "{method} sip:{user}@{sbc} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKdr{n}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:pbx@lan.test>;tag=d{n}\r\nTo: <sip:{user}@sbc.test>\r\n\
         Call-ID: drain-{n}@pbx\r\nCSeq: 1 {method}\r\nContact: <sip:pbx@{local}>\r\nContent-Length: 0\r\n\r\n"
    )
}

/// The next response other than 100 Trying.
async fn response(socket: &UdpSocket) -> (u16, String) {
    let mut buf = vec![0u8; 65536];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), socket.recv(&mut buf))
            .await
            .expect("an answer in time")
            .expect("recv");
        let code = Response::parse(&buf[..n]).map(|r| r.status).unwrap_or(0);
        if code != 100 {
            return (code, String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
}

async fn get(addr: SocketAddr, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("admin");
    let req = format!("GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.expect("read");
    raw.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn draining_turns_new_calls_away_and_ends_the_rest() {
    let host = common::start(SPEC).await;
    let admin = host.admin_addr().expect("admin");
    assert_eq!(get(admin, "/readyz").await, 200);
    let sbc = host.local_addr("lan").expect("lan");
    let pbx = UdpSocket::bind("127.0.0.8:0")
        .await
        .expect("bind 127.0.0.8");
    pbx.connect(sbc).await.expect("connect");
    let local = pbx.local_addr().expect("addr");

    // alice registers, and the PBX calls her; she lets it ring.
    let mut browser = sbcctl_load::ws::connect(&common::ws_target(&host, "web", None))
        .await
        .expect("upgrade");
    let mut reg = Registration::new(
        "alice".into(),
        "wonderland",
        "sbc.test",
        "WS",
        "a.invalid".into(),
        600,
    );
    let first = common::exchange(&mut browser, &reg.request(None)).await;
    let challenge = reg
        .choose(&Response::parse(&first).expect("401"))
        .expect("challenge");
    let ok = common::exchange(&mut browser, &reg.request(Some(&challenge))).await;
    assert_eq!(Response::parse(&ok).map(|r| r.status), Some(200));
    pbx.send(request("INVITE", sbc, local, "alice", 1).as_bytes())
        .await
        .expect("send");
    let invite = common::next_message(&mut browser).await;
    let Ok(sbcctl_sip::Message::Request(invite)) = sbcctl_sip::parse_bytes(invite.into()) else {
        panic!("alice gets the INVITE");
    };
    let contact: SocketAddr = "127.0.0.1:9".parse().expect("addr");
    let ringing = common::ua::answer(&invite, 180, "Ringing", "al1", contact, None);
    sbcctl_load::ws::send(&mut browser, &ringing)
        .await
        .expect("180");
    assert_eq!(response(&pbx).await.0, 180);
    let status = host.status().await.expect("status");
    assert_eq!(status.core.active_calls, 1);

    // The drain waits out its grace period for the call, then ends it.
    let report = host.drain(Duration::from_millis(300)).await;
    assert_eq!(report.calls_at_start, 1);
    assert_eq!(report.calls_ended, 1, "{report:?}");
    assert!(report.waited_ms >= 300, "{report:?}");
    assert_eq!(
        report.listeners_stopped,
        vec!["web"],
        "only the client-only listener"
    );
    let (code, text) = response(&pbx).await;
    assert!(code >= 400, "the caller gets a final failure: {text}");
    let cancel = String::from_utf8_lossy(&common::next_message(&mut browser).await).into_owned();
    assert!(cancel.starts_with("CANCEL "), "{cancel}");

    // Still draining: new INVITEs and OPTIONS get 503 with Retry-After; other requests pass.
    for (n, method) in [(2, "INVITE"), (3, "OPTIONS")] {
        pbx.send(request(method, sbc, local, "alice", n).as_bytes())
            .await
            .expect("send");
        let (code, text) = response(&pbx).await;
        assert_eq!(code, 503, "{text}");
        assert!(text.contains("Retry-After: 30\r\n"), "{text}");
    }
    pbx.send(request("BYE", sbc, local, "alice", 4).as_bytes())
        .await
        .expect("send");
    assert_eq!(response(&pbx).await.0, 481, "a BYE still reaches the core");
    assert_eq!(get(admin, "/readyz").await, 503);
    assert!(host.status().await.expect("status").draining);
    // New connections are refused on the stopped listener.
    let refused = sbcctl_load::ws::connect(&common::ws_target(&host, "web", None)).await;
    assert!(refused.is_err(), "the WS listener no longer accepts");
    host.shutdown().await;
}

#[tokio::test]
async fn a_drain_without_calls_returns_at_once() {
    let host = common::start(SPEC).await;
    let report = host.drain(Duration::from_secs(30)).await;
    assert_eq!((report.calls_at_start, report.calls_ended), (0, 0));
    assert!(report.waited_ms < 1000, "{report:?}");
    host.shutdown().await;
}
