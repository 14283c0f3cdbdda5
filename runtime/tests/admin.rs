//! The admin endpoint: bearer token, health, status and Prometheus metrics (parsed with a
//! Prometheus text-format parser).

mod common;

use std::sync::Arc;

use sbcctl_load::sip::{Registration, Response};
use sbcctl_runtime::{Host, HostOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SPEC: &str = r#"
version: 1
interfaces:
  browsers: { transport: ws, listen: 127.0.0.1:0, websocket: { allowed_origins: ["*"] } }
media_realms:
  web: { listen: 127.0.0.1, ports: 40000-40999 }
profiles:
  webrtc: { media: webrtc, codecs: [opus] }
peers:
  web-users:
    users:
      interface: browsers
      realm: web
      profile: webrtc
      registration:
        local:
          realm: sbc.test
          users: [{ name: alice, password: wonderland }]
routes:
  - { name: loop, from: web-users, to: { registered: web-users } }
admin: { listen: 127.0.0.1:0, token_file: admin.token }
"#;

async fn get(addr: std::net::SocketAddr, path: &str, token: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect admin");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nHost: admin\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.expect("read");
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

async fn post(
    addr: std::net::SocketAddr,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect admin");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: admin\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.expect("read");
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Every metric family with the names of its labels, one line each: what dashboards depend on,
/// without the values (which vary).
fn names_and_labels(text: &str) -> String {
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let series = l.rsplit_once(' ').map_or(l, |(s, _)| s);
            match series.split_once('{') {
                Some((name, labels)) => {
                    let keys: Vec<&str> = labels
                        .trim_end_matches('}')
                        .split(',')
                        .filter_map(|kv| kv.split_once('=').map(|(k, _)| k))
                        .collect();
                    format!("{name}{{{}}}", keys.join(","))
                }
                None => series.to_owned(),
            }
        })
        .collect();
    lines.dedup();
    let types: Vec<&str> = text.lines().filter(|l| l.starts_with("# TYPE ")).collect();
    format!("{}\n\n{}\n", types.join("\n"), lines.join("\n"))
}

#[tokio::test]
async fn token_health_status_and_metrics() {
    let dir = std::env::temp_dir().join(format!("sbcctl-admin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tempdir");
    std::fs::write(dir.join("admin.token"), "s3cret-token\n").expect("token");
    let plan = common::plan(SPEC, &dir, true);
    let host = Host::start(Arc::new(plan), HostOptions::default())
        .await
        .expect("host");
    let admin = host.admin_addr().expect("admin is bound");

    // One registration, so the counters have something to say.
    let mut socket = sbcctl_load::ws::connect(&common::ws_target(&host, "browsers", None))
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

    assert_eq!(
        get(admin, "/healthz", None).await.0,
        200,
        "health needs no token"
    );
    let (code, body) = get(admin, "/metrics", None).await;
    assert_eq!(code, 401);
    assert!(body.contains("\"error\""), "{body}");
    assert_eq!(get(admin, "/status", Some("wrong")).await.0, 401);

    let (code, status) = get(admin, "/status", Some("s3cret-token")).await;
    assert_eq!(code, 200);
    let status: serde_json::Value = serde_json::from_str(&status).expect("status is JSON");
    assert_eq!(
        status["plan_hash"],
        serde_json::Value::from(host.plan().hash.clone())
    );

    let (code, text) = get(admin, "/metrics", Some("s3cret-token")).await;
    assert_eq!(code, 200);
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
    let sample = |name: &str, label: Option<(&str, &str)>| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
    };
    assert_eq!(
        sample("sbcctl_registrations_total", Some(("result", "accepted"))),
        Some(1.0)
    );
    assert_eq!(
        sample("sbcctl_registrations_total", Some(("result", "challenged"))),
        Some(1.0)
    );
    assert_eq!(
        sample("sbcctl_registered_bindings", Some(("peer", "web-users"))),
        Some(1.0)
    );
    assert_eq!(
        sample("sbcctl_flows", Some(("interface", "browsers"))),
        Some(1.0)
    );
    assert!(sample("sbcctl_sip_messages_received_total", None).is_some_and(|v| v >= 2.0));
    let registers = scrape.samples.iter().find(|s| {
        s.metric == "sbcctl_sip_requests_total"
            && s.labels.get("direction") == Some("in")
            && s.labels.get("method") == Some("REGISTER")
    });
    assert!(
        matches!(registers.map(|s| &s.value), Some(prometheus_parse::Value::Counter(v)) if *v == 2.0),
        "{registers:?}"
    );
    assert_eq!(
        sample("sbcctl_plan_applies_total", Some(("result", "refused"))),
        Some(0.0)
    );
    assert_eq!(sample("sbcctl_draining", None), Some(0.0));
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "sbcctl_call_setup_seconds"
                && matches!(s.value, prometheus_parse::Value::Histogram(_))),
        "the setup time is a histogram"
    );
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots/runtime"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("metrics_names", names_and_labels(&text));
    });

    // Applying needs the token too, and a refused request changes nothing.
    let plan_json = host.plan().to_canonical_json();
    assert_eq!(post(admin, "/plan", None, &plan_json).await.0, 401);
    let (code, body) = post(admin, "/plan", Some("s3cret-token"), "{not a plan").await;
    assert_eq!(code, 400);
    assert!(body.contains("\"error\""), "{body}");
    let (code, body) = post(admin, "/plan", Some("s3cret-token"), &plan_json).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"unchanged\""), "{body}");
    assert_eq!(get(admin, "/nope", Some("s3cret-token")).await.0, 404);
    host.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_unreadable_token_file_refuses_the_plan() {
    let dir = std::env::temp_dir().join(format!("sbcctl-admin-missing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tempdir");
    let plan = common::plan(SPEC, &dir, true);
    let err = Host::start(Arc::new(plan), HostOptions::default())
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("admin.token"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
