//! Hot apply through `POST /plan`: new requests follow the new plan while registrations and the
//! listeners that did not change stay; a plan that cannot be applied changes nothing.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sbcctl_compiler::plan::Plan;
use sbcctl_load::sip::{Registration, Response};
use sbcctl_runtime::admin::api::ApplyResult;
use sbcctl_runtime::admin::client::{AdminClient, ClientError};
use sbcctl_runtime::{Host, HostOptions};
use tokio::net::UdpSocket;

/// Browsers register on `web`; the PBX (any port on 127.0.0.7) calls them over `lan`.
/// `{reject}` is the barred-numbers route's answer; `{users}` the extra users; `{extra}` more
/// interfaces.
const SPEC: &str = r#"
version: 1
interfaces:
  web: { transport: ws, listen: 127.0.0.1:0, websocket: { allowed_origins: ["*"] } }
  lan: { transport: udp, listen: 127.0.0.1:0 }
{extra}
media_realms:
  lan: { listen: 127.0.0.1, ports: 44000-44999 }
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
          users: [{ name: alice, password: wonderland }{users}]
  pbx:
    server:
      interface: lan
      realm: lan
      profile: sip
      proxies: [{ address: "127.0.0.7:5099" }]
      keepalive: { options_interval: 0s }
routes:
  - { name: barred, from: pbx, when: { request_user: { prefix: "900" } }, to: { reject: { code: {reject} } } }
  - { name: to-browsers, from: pbx, to: { registered: web-users } }
limits: { requests_per_ip_per_s: 10000 }
admin: { listen: 127.0.0.1:0 }
"#;

fn spec(reject: &str, users: &str, extra: &str) -> String {
    SPEC.replace("{reject}", reject)
        .replace("{users}", users)
        .replace("{extra}", extra)
}

fn plan(yaml: &str) -> Plan {
    common::plan(yaml, Path::new("."), true)
}

fn invite(sbc: SocketAddr, local: SocketAddr, user: &str, n: u32) -> String {
    format!(
        "INVITE sip:{user}@{sbc} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKap{n}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:pbx@lan.test>;tag=p{n}\r\nTo: <sip:{user}@sbc.test>\r\n\
         Call-ID: apply-{n}@pbx\r\nCSeq: 1 INVITE\r\nContact: <sip:pbx@{local}>\r\nContent-Length: 0\r\n\r\n"
    )
}

/// The first final response to a request sent from `socket`.
async fn final_response(socket: &UdpSocket, msg: &str) -> (u16, String) {
    socket.send(msg.as_bytes()).await.expect("send");
    let mut buf = vec![0u8; 65536];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), socket.recv(&mut buf))
            .await
            .expect("an answer in time")
            .expect("recv");
        let code = Response::parse(&buf[..n]).map(|r| r.status).unwrap_or(0);
        if code >= 200 {
            return (code, String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
}

async fn pbx_socket(host: &Host) -> (UdpSocket, SocketAddr, SocketAddr) {
    let sbc = host.local_addr("lan").expect("lan");
    let pbx = UdpSocket::bind("127.0.0.7:0")
        .await
        .expect("bind 127.0.0.7");
    pbx.connect(sbc).await.expect("connect");
    let local = pbx.local_addr().expect("addr");
    (pbx, sbc, local)
}

async fn register_alice(host: &Host) -> sbcctl_load::ws::Socket {
    let mut socket = sbcctl_load::ws::connect(&common::ws_target(host, "web", None))
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
    let first = common::exchange(&mut socket, &reg.request(None)).await;
    let challenge = reg
        .choose(&Response::parse(&first).expect("401"))
        .expect("challenge");
    let ok = common::exchange(&mut socket, &reg.request(Some(&challenge))).await;
    assert_eq!(Response::parse(&ok).map(|r| r.status), Some(200));
    socket
}

async fn start(yaml: &str) -> (Host, AdminClient) {
    let host = Host::start(Arc::new(plan(yaml)), HostOptions::default())
        .await
        .expect("host starts");
    let admin = host.admin_addr().expect("admin is bound");
    let client = AdminClient::new(&format!("http://{admin}"), None).expect("client");
    (host, client)
}

#[tokio::test]
async fn a_new_plan_routes_new_calls_and_keeps_registrations() {
    let (host, client) = start(&spec("403", "", "")).await;
    let mut browser = register_alice(&host).await;
    let (pbx, sbc, local) = pbx_socket(&host).await;
    assert_eq!(
        final_response(&pbx, &invite(sbc, local, "9001", 1)).await.0,
        403
    );
    let running = client.plan().await.expect("GET /plan");
    assert_eq!(running.hash, host.plan().hash);

    // The barred route now declines, and bob joins alice's peer (a new registrar for it).
    let next = plan(&spec("603", ", { name: bob, password: builder }", ""));
    let report = client
        .apply(&next, Some(&running.hash))
        .await
        .expect("applied");
    assert_eq!(report.result, ApplyResult::Applied);
    assert_eq!(report.hash, next.hash);
    assert_eq!(report.previous_hash, running.hash);
    assert_eq!(report.core.bindings_kept, 1, "{report:?}");
    assert!(report.interfaces.rebound.is_empty(), "{report:?}");
    assert_eq!(report.interfaces.unchanged, vec!["web", "lan"]);
    assert_eq!(host.plan().hash, next.hash);
    assert_eq!(client.plan().await.expect("GET /plan").hash, next.hash);

    let (code, text) = final_response(&pbx, &invite(sbc, local, "9002", 2)).await;
    assert_eq!(code, 603, "{text}");
    // alice's registration survived: a call to her still reaches her WebSocket.
    assert_eq!(common::bindings(&host, "web-users").await, 1);
    pbx.send(invite(sbc, local, "alice", 3).as_bytes())
        .await
        .expect("send");
    let delivered = String::from_utf8_lossy(&common::next_message(&mut browser).await).into_owned();
    assert!(delivered.starts_with("INVITE "), "{delivered}");

    // Applying the same plan again changes nothing.
    let again = client.apply(&next, None).await.expect("unchanged");
    assert_eq!(again.result, ApplyResult::Unchanged);
    let status = client.status().await.expect("status");
    let results: Vec<&str> = status["applies"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|a| a["result"].as_str())
        .collect();
    assert_eq!(results, vec!["applied", "applied", "unchanged"]);
    host.shutdown().await;
}

#[tokio::test]
async fn a_plan_that_cannot_bind_is_refused_whole() {
    let (host, client) = start(&spec("403", "", "")).await;
    let before = host.plan();
    let lan = host.local_addr("lan");
    let web = host.local_addr("web");
    let taken = UdpSocket::bind("127.0.0.1:0").await.expect("hold a port");
    let port = taken.local_addr().expect("addr").port();
    // A new interface on a port in use, with a route change that must not take effect.
    let extra = format!("  trunk: {{ transport: udp, listen: 127.0.0.1:{port} }}");
    let next = plan(&spec("603", "", &extra));
    let err = client.apply(&next, None).await.expect_err("refused");
    let ClientError::Status { status, message } = err else {
        panic!("expected an error answer, got {err}");
    };
    assert_eq!(status, 409);
    assert!(
        message.contains("trunk") && message.contains(&port.to_string()),
        "{message}"
    );
    assert_eq!(host.plan().hash, before.hash);
    assert_eq!((host.local_addr("lan"), host.local_addr("web")), (lan, web));
    assert_eq!(host.local_addr("trunk"), None);
    let (pbx, sbc, local) = pbx_socket(&host).await;
    assert_eq!(
        final_response(&pbx, &invite(sbc, local, "9001", 10))
            .await
            .0,
        403
    );

    // A certificate that cannot be read refuses the plan too.
    let tls = spec(
        "603",
        "",
        "  secure: { transport: tls, listen: 127.0.0.1:0, tls: gone }",
    )
    .replace(
        "version: 1\n",
        "version: 1\ntls:\n  gone: { cert: missing/cert.pem, key: missing/key.pem }\n",
    );
    let err = client.apply(&plan(&tls), None).await.expect_err("refused");
    assert!(err.to_string().contains("secure"), "{err}");
    assert_eq!(
        final_response(&pbx, &invite(sbc, local, "9001", 11))
            .await
            .0,
        403
    );

    // An If-Match that names another plan is refused before anything is looked at.
    let err = client
        .apply(&next, Some("0000"))
        .await
        .expect_err("precondition");
    assert!(
        matches!(err, ClientError::Status { status: 412, .. }),
        "{err}"
    );

    let status = client.status().await.expect("status");
    assert_eq!(status["apply_counts"]["refused"], 3);
    assert_eq!(
        status["plan_hash"],
        serde_json::Value::from(before.hash.clone())
    );
    drop(taken);
    host.shutdown().await;
}

#[tokio::test]
async fn interfaces_are_added_and_removed_without_touching_the_others() {
    let (host, client) = start(&spec("403", "", "")).await;
    let web = host.local_addr("web");
    let extra = "  side: { transport: udp, listen: 127.0.0.1:0 }";
    let report = client
        .apply(&plan(&spec("403", "", extra)), None)
        .await
        .expect("applied");
    assert_eq!(report.interfaces.added, vec!["side"]);
    let side = host.local_addr("side").expect("side is bound");
    let phone = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    phone.connect(side).await.expect("connect");
    let local = phone.local_addr().expect("addr");
    let options = format!(
        "OPTIONS sip:{side} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKo1\r\nMax-Forwards: 70\r\n\
         From: <sip:t@x>;tag=o1\r\nTo: <sip:{side}>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    assert_eq!(final_response(&phone, &options).await.0, 200);

    let report = client
        .apply(&plan(&spec("403", "", "")), None)
        .await
        .expect("applied");
    assert_eq!(report.interfaces.removed, vec!["side"]);
    assert_eq!(host.local_addr("side"), None);
    assert_eq!(host.local_addr("web"), web, "untouched");
    phone.send(options.as_bytes()).await.expect("send");
    let mut buf = [0u8; 2048];
    let answer = tokio::time::timeout(Duration::from_millis(500), phone.recv(&mut buf)).await;
    assert!(answer.is_err(), "a removed UDP interface no longer answers");
    host.shutdown().await;
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn message_logs_follow_the_peer_switch_of_the_running_plan() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    // The test runtime runs every task on this thread, so this subscriber sees the tap's logs.
    let _guard = tracing::subscriber::set_default(subscriber);
    let (host, client) = start(&spec("403", "", "")).await;
    let (pbx, sbc, local) = pbx_socket(&host).await;
    let options = |n: u32| {
        format!(
            "OPTIONS sip:{sbc} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKlog{n}\r\nMax-Forwards: 70\r\n\
             From: <sip:pbx@x>;tag=l{n}\r\nTo: <sip:{sbc}>\r\nCall-ID: log-{n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
    };
    assert_eq!(final_response(&pbx, &options(1)).await.0, 200);
    assert!(
        !logs.text().contains("Call-ID: log-1"),
        "not logged by default"
    );

    let with_logs = spec("403", "", "").replace(
        "      keepalive: { options_interval: 0s }",
        "      keepalive: { options_interval: 0s }\n      log_messages: true",
    );
    client
        .apply(&plan(&with_logs), None)
        .await
        .expect("applied");
    assert_eq!(final_response(&pbx, &options(2)).await.0, 200);
    let text = logs.text();
    let entry = text
        .split("sbcctl::sip_message")
        .nth(1)
        .unwrap_or_else(|| panic!("a message log entry in {text}"));
    assert!(
        entry.contains("Call-ID: log-2"),
        "the whole message: {entry}"
    );
    assert!(
        entry.contains("peer=\"pbx\"") && entry.contains("direction=\"in\""),
        "{entry}"
    );
    host.shutdown().await;
}
