//! New calls: the source is classified, users authenticate with 407, and the plan's routes
//! decide (reject as configured, 404 without a route, a call toward a peer, 480 toward a user
//! who is not registered).

mod common;

use std::time::Duration;

use sbcctl_load::digest;
use sbcctl_load::sip::Response;
use tokio::net::UdpSocket;

const SPEC: &str = r#"
version: 1
interfaces:
  lan: { transport: udp, listen: 127.0.0.1:0 }
  trunk: { transport: udp, listen: 127.0.0.1:0 }
media_realms:
  lan: { listen: 127.0.0.1, ports: 41000-41999 }
profiles:
  sip: { media: rtp, codecs: [pcmu] }
peers:
  phones:
    users:
      interface: lan
      realm: lan
      profile: sip
      registration:
        local:
          realm: lan.test
          digest_algorithms: [md5]
          users: [{ name: carol, password: c4r0l }]
  pbx:
    server:
      interface: lan
      realm: lan
      profile: sip
      proxies: [{ address: "127.0.0.2:5099" }]
      keepalive: { options_interval: 0s }
  carrier:
    server:
      interface: trunk
      realm: lan
      profile: sip
      proxies: [{ address: "127.0.0.4:5060" }]
routes:
  - { name: no-premium, from: phones, when: { request_user: { prefix: "900" } }, to: { reject: { code: 403, reason: Premium numbers are barred } } }
  - { name: out, from: phones, when: { request_user: { regex: '^[0-9]+$' } }, to: { peer: pbx } }
  - { name: in, from: pbx, to: { registered: phones } }
  - { name: from-carrier, from: carrier, to: { registered: phones } }
limits: { requests_per_ip_per_s: 10000 }
"#;

fn invite(
    target: std::net::SocketAddr,
    local: std::net::SocketAddr,
    user: &str,
    n: u32,
    auth: Option<String>,
) -> String {
    let auth = auth
        .map(|a| format!("Proxy-Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!(
        "INVITE sip:{user}@{target} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKinv{n};rport\r\nMax-Forwards: 70\r\n\
         From: <sip:carol@lan.test>;tag=c{n}\r\nTo: <sip:{user}@lan.test>\r\nCall-ID: call-{n}\r\nCSeq: 1 INVITE\r\n\
         Contact: <sip:carol@{local}>\r\n{auth}Content-Length: 0\r\n\r\n"
    )
}

async fn send(socket: &UdpSocket, msg: &str) -> Vec<u8> {
    socket.send(msg.as_bytes()).await.expect("send");
    let mut buf = vec![0u8; 65536];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), socket.recv(&mut buf))
            .await
            .expect("answer in time")
            .expect("recv");
        let status = Response::parse(&buf[..n]).map(|r| r.status);
        if status != Some(100) {
            return buf[..n].to_vec();
        }
    }
}

fn status(bytes: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(bytes).into_owned();
    (Response::parse(bytes).map(|r| r.status).unwrap_or(0), text)
}

#[tokio::test]
async fn users_authenticate_and_routes_decide() {
    let host = common::start(SPEC).await;
    let sbc = host.local_addr("lan").expect("lan");
    let phone = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    phone.connect(sbc).await.expect("connect");
    let local = phone.local_addr().expect("addr");

    // Unauthenticated: 407 with a challenge.
    let first = send(&phone, &invite(sbc, local, "12345", 1, None)).await;
    let (code, text) = status(&first);
    assert_eq!(code, 407, "{text}");
    let parsed = Response::parse(&first).expect("407");
    let challenge = parsed
        .headers("proxy-authenticate")
        .find_map(digest::parse_challenge)
        .expect("challenge");

    let answer = |n: u32, user: &str| {
        let uri = format!("sip:{user}@{sbc}");
        digest::authorization(&challenge, "carol", "c4r0l", "INVITE", &uri, n, "cn")
    };
    // Authenticated, routed to the PBX: the call starts (100 Trying) and can be cancelled.
    let routed = invite(sbc, local, "12345", 2, Some(answer(1, "12345")));
    phone.send(routed.as_bytes()).await.expect("send");
    let mut buf = vec![0u8; 65536];
    let n = tokio::time::timeout(Duration::from_secs(5), phone.recv(&mut buf))
        .await
        .expect("100 in time")
        .expect("recv");
    assert_eq!(status(&buf[..n]).0, 100, "{}", status(&buf[..n]).1);
    let cancel = routed
        .replacen("INVITE sip", "CANCEL sip", 1)
        .replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL");
    let first = send(&phone, &cancel).await;
    let n = tokio::time::timeout(Duration::from_secs(5), phone.recv(&mut buf))
        .await
        .expect("second answer in time")
        .expect("recv");
    let mut codes = vec![status(&first).0, status(&buf[..n]).0];
    codes.sort_unstable();
    assert_eq!(codes, vec![200, 487]);
    // A reject route answers with its code and reason.
    let barred = send(
        &phone,
        &invite(sbc, local, "9001234", 3, Some(answer(2, "9001234"))),
    )
    .await;
    let (code, text) = status(&barred);
    assert_eq!(code, 403);
    assert!(text.contains("Premium numbers are barred"), "{text}");
    // No route: 404.
    let nowhere = send(
        &phone,
        &invite(sbc, local, "nobody", 4, Some(answer(3, "nobody"))),
    )
    .await;
    assert_eq!(status(&nowhere).0, 404);
    // A wrong password is refused, not challenged forever.
    let wrong = digest::authorization(
        &challenge,
        "carol",
        "wrong",
        "INVITE",
        &format!("sip:12345@{sbc}"),
        4,
        "cn",
    );
    let refused = send(&phone, &invite(sbc, local, "12345", 5, Some(wrong))).await;
    assert_eq!(status(&refused).0, 403);
    host.shutdown().await;
}

#[tokio::test]
async fn server_peers_are_recognised_by_address_and_strangers_refused() {
    let host = common::start(SPEC).await;
    let sbc = host.local_addr("lan").expect("lan");
    // The PBX (127.0.0.2) needs no credentials; its route targets registered phones.
    let pbx = UdpSocket::bind("127.0.0.2:5099")
        .await
        .expect("bind 127.0.0.2");
    pbx.connect(sbc).await.expect("connect");
    let pbx_addr = pbx.local_addr().expect("addr");
    let from_pbx = send(&pbx, &invite(sbc, pbx_addr, "carol", 10, None)).await;
    // carol has not registered: 480.
    assert_eq!(status(&from_pbx).0, 480, "{}", status(&from_pbx).1);
    // A host that is neither a PBX proxy nor on a users interface... here every address on
    // `lan` may be a phone, so a stranger is a phone that must authenticate.
    let stranger = UdpSocket::bind("127.0.0.3:0")
        .await
        .expect("bind 127.0.0.3");
    stranger.connect(sbc).await.expect("connect");
    let addr = stranger.local_addr().expect("addr");
    assert_eq!(
        status(&send(&stranger, &invite(sbc, addr, "12345", 11, None)).await).0,
        407
    );
    host.shutdown().await;
}
