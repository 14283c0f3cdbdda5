//! In-process end-to-end: the runtime on ephemeral loopback ports, real WebSocket and UDP
//! clients registering with digest authentication (the client side is sipload's, written apart
//! from the registrar so each checks the other).

mod common;

use std::time::Duration;

use sbcctl_load::digest::Algorithm;
use sbcctl_load::sip::{Registration, Response};
use sbcctl_load::ws::{self, Target};
use sbcctl_runtime::Host;
use tokio::net::UdpSocket;

const SPEC: &str = r#"
version: 1
interfaces:
  browsers:
    transport: ws
    listen: 127.0.0.1:0
    websocket: { path: /, allowed_origins: [http://app.test] }
  lan:
    transport: udp
    listen: 127.0.0.1:0
media_realms:
  web: { listen: 127.0.0.1, ports: 40000-40999 }
  lan: { listen: 127.0.0.1, ports: 41000-41999 }
profiles:
  webrtc: { media: webrtc, codecs: [opus, pcmu] }
  sip: { media: rtp, codecs: [pcmu] }
peers:
  web-users:
    users:
      interface: browsers
      realm: web
      profile: webrtc
      registration:
        local:
          realm: sbc.test
          users:
            - { name: alice, password: wonderland }
            - { name: bob, password: builder }
          expires: { min: 60, max: 3600, default: 600 }
  phones:
    users:
      interface: lan
      realm: lan
      profile: sip
      registration:
        local:
          realm: lan.test
          users: [{ name: carol, password: c4r0l }]
          expires: { min: 60, max: 3600, default: 600 }
routes:
  - name: to-web
    from: phones
    to: { registered: web-users }
  - name: to-phones
    from: web-users
    to: { registered: phones }
limits: { requests_per_ip_per_s: 100000 }
"#;

async fn start() -> Host {
    common::start(SPEC).await
}

fn target(host: &Host) -> Target {
    let addr = host.local_addr("browsers").expect("browsers is bound");
    Target::parse(&format!("ws://{addr}/"), Some("http://app.test".into())).expect("url")
}

fn ws_registration(user: &str, password: &str) -> Registration {
    let via = format!("{:08x}.invalid", rand::random::<u32>());
    Registration::new(user.into(), password, "sbc.test", "WS", via, 600)
}

async fn exchange(socket: &mut ws::Socket, message: &str) -> (u16, Vec<u8>) {
    let bytes = common::exchange(socket, message).await;
    let status = Response::parse(&bytes)
        .map(|r| r.status)
        .expect("a SIP response");
    (status, bytes)
}

async fn bindings(host: &Host, peer: &str) -> usize {
    common::bindings(host, peer).await
}

#[tokio::test]
async fn websocket_register_with_md5_then_sha256() {
    let host = start().await;
    let mut open = Vec::new();
    for algorithm in [Algorithm::Md5, Algorithm::Sha256] {
        let mut socket = ws::connect(&target(&host))
            .await
            .expect("upgrade with sip subprotocol");
        let mut reg = ws_registration("alice", "wonderland");
        reg.prefer(Some(algorithm));
        let (status, first) = exchange(&mut socket, &reg.request(None)).await;
        assert_eq!(status, 401);
        let response = Response::parse(&first).expect("401 parses");
        let offered: Vec<&str> = response.headers("www-authenticate").collect();
        assert_eq!(offered.len(), 2, "one challenge per algorithm: {offered:?}");
        assert!(
            offered[0].contains("algorithm=SHA-256") && offered[1].contains("algorithm=MD5"),
            "SHA-256 first (RFC 8760), MD5 last for browser stacks that keep the last: {offered:?}"
        );
        let challenge = reg.choose(&response).expect("a usable challenge");
        let (status, ok) = exchange(&mut socket, &reg.request(Some(&challenge))).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&ok));
        let ok = Response::parse(&ok).expect("200 parses");
        let contacts: Vec<&str> = ok.headers("contact").collect();
        // RFC 3261 §10.3 step 8: the 200 lists every binding of the AOR.
        assert_eq!(contacts.len(), open.len() + 1, "{contacts:?}");
        assert!(
            contacts
                .iter()
                .all(|c| c.contains(".invalid;transport=ws>;expires=600")),
            "{contacts:?}"
        );
        assert!(
            ok.headers("via")
                .next()
                .is_some_and(|v| v.contains("received=127.0.0.1") && v.contains("rport="))
        );
        // RFC 5626 §6: reg-id with `Supported: outbound` is honoured and said so.
        assert_eq!(ok.headers("require").next(), Some("outbound"));
        open.push(socket); // a binding lives as long as its connection
    }
    assert_eq!(
        bindings(&host, "web-users").await,
        2,
        "two connections, two instances"
    );
    host.shutdown().await;
}

#[tokio::test]
async fn wrong_password_gets_403_after_the_retry() {
    let host = start().await;
    let mut socket = ws::connect(&target(&host)).await.expect("upgrade");
    let mut reg = ws_registration("alice", "not-her-password");
    let (status, first) = exchange(&mut socket, &reg.request(None)).await;
    assert_eq!(status, 401);
    let challenge = reg
        .choose(&Response::parse(&first).expect("401"))
        .expect("challenge");
    let (status, _) = exchange(&mut socket, &reg.request(Some(&challenge))).await;
    assert_eq!(status, 403, "no endless 401 loop");
    // Another user on the same connection is unaffected.
    let mut bob = ws_registration("bob", "builder");
    let (_, first) = exchange(&mut socket, &bob.request(None)).await;
    let challenge = bob
        .choose(&Response::parse(&first).expect("401"))
        .expect("challenge");
    assert_eq!(
        exchange(&mut socket, &bob.request(Some(&challenge)))
            .await
            .0,
        200
    );
    host.shutdown().await;
}

#[tokio::test]
async fn a_user_cannot_register_someone_elses_address() {
    let host = start().await;
    let mut socket = ws::connect(&target(&host)).await.expect("upgrade");
    // Bob's credentials in a REGISTER for alice's AOR.
    let mut reg = ws_registration("bob", "builder");
    let (_, first) = exchange(&mut socket, &reg.request(None)).await;
    let challenge = reg
        .choose(&Response::parse(&first).expect("401"))
        .expect("challenge");
    let forged = reg
        .request(Some(&challenge))
        .replace("To: <sip:bob@", "To: <sip:alice@");
    assert_eq!(exchange(&mut socket, &forged).await.0, 403);
    host.shutdown().await;
}

#[tokio::test]
async fn binding_disappears_when_its_websocket_closes() {
    let host = start().await;
    let mut socket = ws::connect(&target(&host)).await.expect("upgrade");
    let mut reg = ws_registration("alice", "wonderland");
    let (_, first) = exchange(&mut socket, &reg.request(None)).await;
    let challenge = reg
        .choose(&Response::parse(&first).expect("401"))
        .expect("challenge");
    assert_eq!(
        exchange(&mut socket, &reg.request(Some(&challenge)))
            .await
            .0,
        200
    );
    assert_eq!(bindings(&host, "web-users").await, 1);
    drop(socket);
    let left = common::wait_bindings(&host, "web-users", 0).await;
    assert_eq!(left, 0, "the binding went with its connection");
    host.shutdown().await;
}

#[tokio::test]
async fn udp_register_and_options() {
    let host = start().await;
    let server = host.local_addr("lan").expect("lan is bound");
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    socket.connect(server).await.expect("connect");
    let local = socket.local_addr().expect("local");
    let mut reg = Registration::new(
        "carol".into(),
        "c4r0l",
        "lan.test",
        "UDP",
        local.to_string(),
        30,
    );
    let mut buf = vec![0u8; 65536];
    let mut roundtrip = async |msg: String| {
        socket.send(msg.as_bytes()).await.expect("send");
        let n = tokio::time::timeout(Duration::from_secs(5), socket.recv(&mut buf))
            .await
            .expect("in time")
            .expect("recv");
        buf[..n].to_vec()
    };
    let first = roundtrip(reg.request(None)).await;
    let challenge = reg
        .choose(&Response::parse(&first).expect("401"))
        .expect("challenge");
    // Expires 30 is below the peer's minimum of 60: 423 with Min-Expires.
    let brief = roundtrip(reg.request(Some(&challenge))).await;
    let brief = Response::parse(&brief).expect("response");
    assert_eq!(brief.status, 423);
    assert_eq!(brief.headers("min-expires").next(), Some("60"));

    let options = format!(
        "OPTIONS sip:{server} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKopt1;rport\r\nMax-Forwards: 0\r\n\
         From: <sip:probe@{local}>;tag=p1\r\nTo: <sip:{server}>\r\nCall-ID: opt-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    let answer = roundtrip(options).await;
    let answer = Response::parse(&answer).expect("response");
    assert_eq!(
        answer.status, 200,
        "OPTIONS for the SBC itself is answered even with Max-Forwards 0"
    );
    assert!(
        answer
            .headers("allow")
            .next()
            .is_some_and(|a| a.contains("REGISTER"))
    );
    host.shutdown().await;
}

#[tokio::test]
async fn garbage_gets_400_or_is_dropped_and_others_keep_working() {
    let host = start().await;
    let mut bad = ws::connect(&target(&host)).await.expect("upgrade");
    // Enough to answer: a 400 naming the problem.
    let no_call_id = "REGISTER sip:sbc.test SIP/2.0\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bKg1\r\n\
                      From: <sip:alice@sbc.test>;tag=1\r\nTo: <sip:alice@sbc.test>\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
    let (status, bytes) = exchange(&mut bad, no_call_id).await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&bytes));
    assert!(String::from_utf8_lossy(&bytes).contains("Call-ID"));
    // Not SIP at all: dropped, the connection and the server carry on.
    ws::send(&mut bad, "\u{1}\u{2} this is not SIP")
        .await
        .expect("send");
    let mut good = ws::connect(&target(&host)).await.expect("upgrade");
    let mut reg = ws_registration("bob", "builder");
    assert_eq!(exchange(&mut good, &reg.request(None)).await.0, 401);
    let status = host.status().await.expect("status");
    assert!(status.core.counters.parse_errors >= 2);
    host.shutdown().await;
}
