//! REGISTER over WSS end to end: a certificate made with rcgen, loaded by the compiler's host
//! checks and the runtime, and a TLS WebSocket client that trusts exactly that certificate.

mod common;

use std::sync::Arc;

use sbcctl_compiler::source::SourceFile;
use sbcctl_compiler::{Options, compile};
use sbcctl_load::sip::{Registration, Response};
use sbcctl_load::ws::{self, Target};
use sbcctl_runtime::{Host, HostOptions};

#[tokio::test]
async fn register_over_wss_with_a_generated_certificate() {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("rcgen");
    let dir = std::env::temp_dir().join(format!("sbcctl-wss-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tempdir");
    std::fs::write(dir.join("web.pem"), ck.cert.pem()).expect("cert");
    std::fs::write(dir.join("web.key"), ck.signing_key.serialize_pem()).expect("key");
    let spec = r#"
version: 1
tls:
  web: { cert: web.pem, key: web.key }
interfaces:
  browsers:
    transport: wss
    listen: 127.0.0.1:0
    tls: web
    websocket: { allowed_origins: ["https://app.test"] }
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
          expires: { min: 60, max: 3600, default: 600 }
routes:
  - { name: loop, from: web-users, to: { registered: web-users } }
"#;
    // Host checks on: the compiler reads and parses the certificate and key next to the spec.
    let plan = common::plan(spec, &dir, false);
    let host = Host::start(Arc::new(plan), HostOptions::default())
        .await
        .expect("host");

    let mut roots = rustls::RootCertStore::empty();
    roots.add(ck.cert.der().clone()).expect("root");
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let addr = host.local_addr("browsers").expect("bound");
    let target = Target::parse(&format!("wss://{addr}/"), Some("https://app.test".into()))
        .expect("url")
        .with_tls(Arc::new(client), "localhost");
    let mut socket = ws::connect(&target)
        .await
        .expect("TLS and WebSocket handshakes");
    let mut reg = Registration::new(
        "alice".into(),
        "wonderland",
        "sbc.test",
        "WSS",
        "x1.invalid".into(),
        600,
    );
    ws::send(&mut socket, &reg.request(None))
        .await
        .expect("send");
    let first = common::next_message(&mut socket).await;
    let challenge = reg
        .choose(&Response::parse(&first).expect("401"))
        .expect("challenge");
    ws::send(&mut socket, &reg.request(Some(&challenge)))
        .await
        .expect("send");
    let ok = common::next_message(&mut socket).await;
    assert_eq!(Response::parse(&ok).map(|r| r.status), Some(200));
    host.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_certificate_that_does_not_parse_is_refused_before_anything_binds() {
    let dir = std::env::temp_dir().join(format!("sbcctl-badcert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tempdir");
    std::fs::write(dir.join("web.pem"), "not a certificate").expect("cert");
    std::fs::write(dir.join("web.key"), "not a key").expect("key");
    let spec = "version: 1\ntls:\n  web: { cert: web.pem, key: web.key }\ninterfaces:\n  browsers: { transport: wss, listen: 127.0.0.1:0, tls: web, websocket: { allowed_origins: [\"*\"] } }\n";
    // Compiled in pure mode (no host checks), the runtime still refuses it with a clear error.
    let output = compile(
        &SourceFile::new("bad.yaml", dir.clone(), spec),
        Options { pure: true },
    );
    let plan = output
        .plan
        .expect("pure mode does not read certificate files");
    let err = Host::start(Arc::new(plan), HostOptions::default())
        .await
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(
        text.contains("browsers") && text.contains("web.pem"),
        "{text}"
    );
    // With host checks the compiler itself reports the file.
    let checked = compile(
        &SourceFile::new("bad.yaml", dir.clone(), spec),
        Options { pure: false },
    );
    assert!(
        checked.has_errors(),
        "an unparsable certificate is a diagnostic"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
