//! Calls end to end over UDP: a Rust UAC → sbcctl → a Rust UAS, with RTP anchored on the SBC.
//! Every message each side receives is checked for the other side's addresses and dialog
//! identifiers (topology hiding).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::ua::{Ua, answer, header, rtp_packet, sdp, sdp_audio_addr};
use sbcctl_sip::{Message, Request};

fn spec(uas: SocketAddr, ports: &str) -> String {
    format!(
        r#"
version: 1
interfaces:
  a: {{ transport: udp, listen: 127.0.0.1:0 }}
  b: {{ transport: udp, listen: 127.0.0.1:0 }}
media_realms:
  r: {{ listen: 127.0.0.1, ports: {ports} }}
profiles:
  sip: {{ media: rtp, codecs: [pcmu, pcma, telephone-event] }}
peers:
  caller:
    server: {{ interface: a, realm: r, profile: sip, proxies: [{{ address: "127.0.0.3:5060" }}] }}
  pbx:
    server: {{ interface: b, realm: r, profile: sip, proxies: [{{ address: "{uas}" }}] }}
  echo:
    echo: {{}}
routes:
  - {{ name: echo, from: caller, when: {{ request_user: {{ exact: echo }} }}, to: {{ peer: echo }} }}
  - {{ name: out, from: caller, to: {{ peer: pbx }} }}
limits: {{ requests_per_ip_per_s: 10000 }}
"#
    )
}

fn invite(sbc: SocketAddr, uac: &Ua, user: &str, n: u32, rtp: SocketAddr) -> String {
    let body = sdp(rtp, 1000 + u64::from(n), "sendrecv");
    format!(
        "INVITE sip:{user}@{sbc} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKuac{n};rport\r\n\
         Max-Forwards: 70\r\nFrom: \"Carol\" <sip:carol@{local}>;tag=uac-tag-{n}\r\nTo: <sip:{user}@{sbc}>\r\n\
         Call-ID: uac-call-{n}@{local}\r\nCSeq: 1 INVITE\r\nContact: <sip:carol@{local}>\r\n\
         User-Agent: uac-secret-agent\r\nContent-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{body}",
        local = uac.addr,
        len = body.len()
    )
}

/// An in-dialog request from the UAC, built from the 2xx it received.
fn uac_in_dialog(
    method: &str,
    ok: &sbcctl_sip::Response,
    uac: &Ua,
    sbc: SocketAddr,
    n: u32,
    cseq: u32,
) -> String {
    let to = ok
        .headers
        .get("To")
        .and_then(|h| h.value_str())
        .expect("To")
        .into_owned();
    let target = ok
        .headers
        .contacts()
        .ok()
        .and_then(|c| c.into_iter().next())
        .and_then(|c| match c {
            sbcctl_sip::Contact::Addr(a) => Some(a.uri.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| format!("sip:{sbc}"));
    format!(
        "{method} {target} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKuac{n}{method}{cseq};rport\r\n\
         Max-Forwards: 70\r\nFrom: \"Carol\" <sip:carol@{local}>;tag=uac-tag-{n}\r\nTo: {to}\r\n\
         Call-ID: uac-call-{n}@{local}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n",
        local = uac.addr,
    )
}

fn assert_no_leak(seen: &[String], secrets: &[&str], who: &str) {
    for msg in seen {
        for s in secrets {
            assert!(!msg.contains(s), "{who} received {s:?}:\n{msg}");
        }
    }
}

async fn start(uas: &Ua, ports: &str) -> sbcctl_runtime::Host {
    common::start(&spec(uas.addr, ports)).await
}

#[tokio::test]
async fn basic_call_with_rtp_both_ways_and_bye_from_caller() {
    let mut uas = Ua::bind("127.0.0.2").await;
    let host = start(&uas, "43000-43099").await;
    let sbc_a = host.local_addr("a").expect("a");
    let mut uac = Ua::bind("127.0.0.3").await;
    let uac_rtp = tokio::net::UdpSocket::bind("127.0.0.3:0")
        .await
        .expect("rtp");
    let uas_rtp = tokio::net::UdpSocket::bind("127.0.0.2:0")
        .await
        .expect("rtp");

    uac.send_to(
        sbc_a,
        &invite(sbc_a, &uac, "5551234", 1, uac_rtp.local_addr().unwrap()),
    )
    .await;
    let (inv, from) = uas.recv_request().await;
    assert_eq!(inv.method().as_str(), "INVITE");
    assert!(
        inv.uri().unwrap().user.as_deref() == Some("5551234"),
        "dialled number kept"
    );
    let offer_to_uas = sdp_audio_addr(inv.body());
    assert_eq!(
        offer_to_uas.ip().to_string(),
        "127.0.0.1",
        "offer shows the realm address"
    );
    assert_eq!(offer_to_uas.port() % 2, 0, "RTP on an even port");
    let uas_sdp = sdp(uas_rtp.local_addr().unwrap(), 77, "sendrecv");
    uas.send_to(
        from,
        &answer(&inv, 180, "Ringing", "uas-tag", uas.addr, None),
    )
    .await;
    let ringing = uac.recv_response().await;
    assert_eq!(ringing.code(), 180);
    uas.send_to(
        from,
        &answer(&inv, 200, "OK", "uas-tag", uas.addr, Some(&uas_sdp)),
    )
    .await;
    let ok = uac.recv_response().await;
    assert_eq!(ok.code(), 200);
    let answer_to_uac = sdp_audio_addr(ok.body());
    assert_eq!(answer_to_uac.ip().to_string(), "127.0.0.1");
    // The SBC ACKs the callee's 2xx itself; the caller's ACK is absorbed.
    let (ack, _) = uas.recv_request().await;
    assert_eq!(ack.method().as_str(), "ACK");
    uac.send_to(sbc_a, &uac_in_dialog("ACK", &ok, &uac, sbc_a, 1, 1))
        .await;

    // RTP: caller → SBC → callee, and back.
    for i in 0..20u16 {
        uac_rtp
            .send_to(&rtp_packet(0, i, u32::from(i) * 160, 0x1111), answer_to_uac)
            .await
            .unwrap();
        uas_rtp
            .send_to(&rtp_packet(0, i, u32::from(i) * 160, 0x2222), offer_to_uas)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut buf = [0u8; 2048];
    let (n, src) = tokio::time::timeout(Duration::from_secs(2), uas_rtp.recv_from(&mut buf))
        .await
        .expect("RTP reaches the callee")
        .unwrap();
    assert_eq!(n, 172);
    assert_eq!(
        src, offer_to_uas,
        "the callee sees RTP from the SBC's B-leg port"
    );
    let (n, src) = tokio::time::timeout(Duration::from_secs(2), uac_rtp.recv_from(&mut buf))
        .await
        .expect("RTP reaches the caller")
        .unwrap();
    assert_eq!(n, 172);
    assert_eq!(src, answer_to_uac);

    // BYE from the caller reaches the callee in the callee's dialog.
    uac.send_to(sbc_a, &uac_in_dialog("BYE", &ok, &uac, sbc_a, 1, 2))
        .await;
    let bye_ok = uac.recv_response().await;
    assert_eq!(bye_ok.code(), 200);
    let (bye, from) = uas.recv_request().await;
    assert_eq!(bye.method().as_str(), "BYE");
    uas.send_to(from, &answer(&bye, 200, "OK", "uas-tag", uas.addr, None))
        .await;

    let uac_secrets = [
        uac.addr.to_string(),
        "uac-tag-1".into(),
        "uac-call-1".into(),
        "z9hG4bKuac1".into(),
        "uac-secret-agent".into(),
        uac_rtp.local_addr().unwrap().to_string(),
    ];
    let refs: Vec<&str> = uac_secrets.iter().map(String::as_str).collect();
    assert_no_leak(&uas.seen, &refs, "the callee");
    let uas_secrets = [uas.addr.to_string(), "uas-tag".into()];
    let refs: Vec<&str> = uas_secrets.iter().map(String::as_str).collect();
    assert_no_leak(&uac.seen, &refs, "the caller");
    host.shutdown().await;
}

#[tokio::test]
async fn cancel_and_busy_are_mapped_to_the_other_leg() {
    let mut uas = Ua::bind("127.0.0.2").await;
    let host = start(&uas, "43100-43199").await;
    let sbc_a = host.local_addr("a").expect("a");
    let mut uac = Ua::bind("127.0.0.3").await;
    let rtp: SocketAddr = "127.0.0.3:30000".parse().unwrap();

    // CANCEL while ringing: 200 for the CANCEL, 487 for the INVITE; the callee gets a CANCEL.
    let inv_text = invite(sbc_a, &uac, "100", 2, rtp);
    uac.send_to(sbc_a, &inv_text).await;
    let (inv, from) = uas.recv_request().await;
    uas.send_to(from, &answer(&inv, 180, "Ringing", "t2", uas.addr, None))
        .await;
    assert_eq!(uac.recv_response().await.code(), 180);
    let cancel = inv_text
        .replacen("INVITE sip", "CANCEL sip", 1)
        .replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL");
    let cancel =
        cancel.split("Content-Type").next().unwrap().to_owned() + "Content-Length: 0\r\n\r\n";
    uac.send_to(sbc_a, &cancel).await;
    let mut codes = vec![
        uac.recv_response().await.code(),
        uac.recv_response().await.code(),
    ];
    codes.sort();
    assert_eq!(codes, vec![200, 487]);
    let (c, from) = uas.recv_request().await;
    assert_eq!(c.method().as_str(), "CANCEL");
    uas.send_to(from, &answer(&c, 200, "OK", "t2", uas.addr, None))
        .await;
    uas.send_to(
        from,
        &answer(&inv, 487, "Request Terminated", "t2", uas.addr, None),
    )
    .await;
    let (ack, _) = uas.recv_request().await;
    assert_eq!(ack.method().as_str(), "ACK", "the SBC ACKs the 487");

    // Busy: 486 comes back as 486.
    uac.send_to(sbc_a, &invite(sbc_a, &uac, "101", 3, rtp))
        .await;
    let (inv, from) = uas.recv_request().await;
    uas.send_to(from, &answer(&inv, 486, "Busy Here", "t3", uas.addr, None))
        .await;
    let busy = uac.recv_response().await;
    assert_eq!(busy.code(), 486);
    host.shutdown().await;
}

#[tokio::test]
async fn echo_peer_answers_and_echoes_rtp() {
    let uas = Ua::bind("127.0.0.2").await;
    let host = start(&uas, "43200-43299").await;
    let sbc_a = host.local_addr("a").expect("a");
    let mut uac = Ua::bind("127.0.0.3").await;
    let uac_rtp = tokio::net::UdpSocket::bind("127.0.0.3:0")
        .await
        .expect("rtp");
    uac.send_to(
        sbc_a,
        &invite(sbc_a, &uac, "echo", 4, uac_rtp.local_addr().unwrap()),
    )
    .await;
    let ok = uac.recv_response().await;
    assert_eq!(
        ok.code(),
        200,
        "{:?}",
        String::from_utf8_lossy(&Message::Response(ok.clone()).to_bytes())
    );
    let media = sdp_audio_addr(ok.body());
    assert_eq!(
        media.ip().to_string(),
        "127.0.0.1",
        "media is anchored on the realm"
    );
    uac.send_to(sbc_a, &uac_in_dialog("ACK", &ok, &uac, sbc_a, 4, 1))
        .await;
    for i in 0..10u16 {
        uac_rtp
            .send_to(&rtp_packet(0, i, u32::from(i) * 160, 0x3333), media)
            .await
            .unwrap();
    }
    let mut buf = [0u8; 2048];
    let (n, src) = tokio::time::timeout(Duration::from_secs(2), uac_rtp.recv_from(&mut buf))
        .await
        .expect("echoed RTP")
        .unwrap();
    assert_eq!((n, src), (172, media));
    uac.send_to(sbc_a, &uac_in_dialog("BYE", &ok, &uac, sbc_a, 4, 2))
        .await;
    assert_eq!(uac.recv_response().await.code(), 200);
    let _ = header(&Message::Response(ok), "To");
    host.shutdown().await;
}

#[allow(dead_code)]
fn method(r: &Request) -> &str {
    r.method().as_str()
}

#[tokio::test]
async fn failover_to_the_second_proxy_when_the_first_refuses_with_503() {
    let mut first = Ua::bind("127.0.0.2").await;
    let mut second = Ua::bind("127.0.0.2").await;
    let yaml = spec(first.addr, "43300-43399").replace(
        &format!("proxies: [{{ address: \"{}\" }}]", first.addr),
        &format!(
            "proxies: [{{ address: \"{}\", priority: 1 }}, {{ address: \"{}\", priority: 2 }}], keepalive: {{ options_interval: 0s }}",
            first.addr, second.addr
        ),
    );
    let host = common::start(&yaml).await;
    let sbc_a = host.local_addr("a").expect("a");
    let mut uac = Ua::bind("127.0.0.3").await;
    let rtp: SocketAddr = "127.0.0.3:30002".parse().unwrap();
    uac.send_to(sbc_a, &invite(sbc_a, &uac, "200", 5, rtp))
        .await;
    let (inv, from) = first.recv_request().await;
    first
        .send_to(
            from,
            &answer(&inv, 503, "Service Unavailable", "f1", first.addr, None),
        )
        .await;
    let (ack, _) = first.recv_request().await;
    assert_eq!(ack.method().as_str(), "ACK");
    let (inv2, from) = second.recv_request().await;
    assert_eq!(
        inv2.method().as_str(),
        "INVITE",
        "the second proxy gets the call"
    );
    assert_eq!(inv2.uri().unwrap().user.as_deref(), Some("200"));
    let body = sdp("127.0.0.2:30004".parse().unwrap(), 9, "sendrecv");
    second
        .send_to(
            from,
            &answer(&inv2, 200, "OK", "f2", second.addr, Some(&body)),
        )
        .await;
    let ok = uac.recv_response().await;
    assert_eq!(ok.code(), 200, "the caller never saw the 503");
    uac.send_to(sbc_a, &uac_in_dialog("BYE", &ok, &uac, sbc_a, 5, 2))
        .await;
    assert_eq!(uac.recv_response().await.code(), 200);
    host.shutdown().await;
}

#[tokio::test]
async fn no_common_codec_is_refused_with_488_naming_both_lists() {
    let uas = Ua::bind("127.0.0.2").await;
    let host = start(&uas, "43600-43699").await;
    let sbc_a = host.local_addr("a").expect("a");
    let mut uac = Ua::bind("127.0.0.3").await;
    // G.722 only: the caller's profile allows PCMU, PCMA and telephone-event.
    let text = invite(sbc_a, &uac, "300", 6, "127.0.0.3:30006".parse().unwrap())
        .replace("RTP/AVP 0 101", "RTP/AVP 9")
        .replace("a=rtpmap:0 PCMU/8000\r\n", "a=rtpmap:9 G722/8000\r\n")
        .replace(
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n",
            "",
        );
    let old_len = text
        .split("Content-Length: ")
        .nth(1)
        .unwrap()
        .split("\r\n")
        .next()
        .unwrap()
        .to_owned();
    let body_len = text.split("\r\n\r\n").nth(1).unwrap().len();
    let text = text.replace(
        &format!("Content-Length: {old_len}"),
        &format!("Content-Length: {body_len}"),
    );
    uac.send_to(sbc_a, &text).await;
    let refused = uac.recv_response().await;
    assert_eq!(refused.code(), 488);
    let reason = String::from_utf8_lossy(refused.reason()).to_lowercase();
    assert!(
        reason.contains("g722") || reason.contains("g.722"),
        "{reason}"
    );
    assert!(reason.contains("pcmu"), "{reason}");
    host.shutdown().await;
}

#[tokio::test]
async fn media_timeout_ends_the_call_with_bye_on_both_legs() {
    let mut uas = Ua::bind("127.0.0.2").await;
    let yaml = spec(uas.addr, "43700-43799").replace(
        "sip: { media: rtp, codecs: [pcmu, pcma, telephone-event] }",
        "sip: { media: rtp, codecs: [pcmu, pcma, telephone-event], media_timeout: 1s }",
    );
    let host = common::start(&yaml).await;
    let sbc_a = host.local_addr("a").expect("a");
    let mut uac = Ua::bind("127.0.0.3").await;
    uac.send_to(
        sbc_a,
        &invite(sbc_a, &uac, "400", 7, "127.0.0.3:30008".parse().unwrap()),
    )
    .await;
    let (inv, from) = uas.recv_request().await;
    let body = sdp("127.0.0.2:30010".parse().unwrap(), 3, "sendrecv");
    uas.send_to(from, &answer(&inv, 200, "OK", "mt", uas.addr, Some(&body)))
        .await;
    let ok = uac.recv_response().await;
    assert_eq!(ok.code(), 200);
    uac.send_to(sbc_a, &uac_in_dialog("ACK", &ok, &uac, sbc_a, 7, 1))
        .await;
    // No RTP at all: both sides get a BYE once the profile's media timeout has passed.
    let (ack, _) = uas.recv_request().await;
    assert_eq!(ack.method().as_str(), "ACK");
    let (bye, from) = uas.recv_request().await;
    assert_eq!(bye.method().as_str(), "BYE");
    uas.send_to(from, &answer(&bye, 200, "OK", "mt", uas.addr, None))
        .await;
    let (bye_a, from) = uac.recv_request().await;
    assert_eq!(bye_a.method().as_str(), "BYE");
    uac.send_to(
        from,
        &answer(&bye_a, 200, "OK", "uac-tag-7", uac.addr, None),
    )
    .await;
    host.shutdown().await;
}

#[tokio::test]
async fn a_silent_proxy_is_skipped_for_the_next_one_of_its_set() {
    // The first proxy receives the INVITE and never answers, not even 100 Trying.
    let mut silent = Ua::bind("127.0.0.2").await;
    let mut second = Ua::bind("127.0.0.2").await;
    let yaml = spec(silent.addr, "44000-44099").replace(
        &format!("proxies: [{{ address: \"{}\" }}]", silent.addr),
        &format!(
            "proxies: [{{ address: \"{}\", priority: 1 }}, {{ address: \"{}\", priority: 2 }}], keepalive: {{ options_interval: 0s }}",
            silent.addr, second.addr
        ),
    );
    let options = sbcctl_runtime::HostOptions {
        txn: sbcctl_sip::TxnConfig {
            t1: Duration::from_millis(50),
            ..sbcctl_sip::TxnConfig::default()
        },
        ..sbcctl_runtime::HostOptions::default()
    };
    let host = common::start_with(&yaml, options).await;
    let sbc_a = host.local_addr("a").expect("a");
    let mut uac = Ua::bind("127.0.0.3").await;
    let started = std::time::Instant::now();
    uac.send_to(
        sbc_a,
        &invite(sbc_a, &uac, "500", 8, "127.0.0.3:30012".parse().unwrap()),
    )
    .await;
    let (first, _) = silent.recv_request().await;
    assert_eq!(first.method().as_str(), "INVITE");
    let (inv, from) = second.recv_request().await;
    assert_eq!(inv.method().as_str(), "INVITE");
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(2),
        "failover after 8 × T1 of silence, not Timer B: {waited:?}"
    );
    second
        .send_to(
            from,
            &answer(&inv, 486, "Busy Here", "s2", second.addr, None),
        )
        .await;
    assert_eq!(uac.recv_response().await.code(), 486);
    host.shutdown().await;
}

#[tokio::test]
async fn egress_manipulations_reach_the_callee_and_the_call_gets_a_cdr_line() {
    let mut uas = Ua::bind("127.0.0.2").await;
    let cdr = std::env::temp_dir().join(format!("sbcctl-calls-cdr-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&cdr);
    let yaml = format!(
        "{}\nmanipulations:\n  - name: national\n    when: {{ direction: egress, peer: pbx, methods: [INVITE] }}\n    do:\n      - strip_prefix: {{ field: request_user, prefix: \"+1\" }}\n      - set_header: {{ name: X-Origin, value: sbcctl }}\ncdr: {{ file: \"{}\" }}\n",
        spec(uas.addr, "44100-44199"),
        cdr.display()
    );
    let host = common::start(&yaml).await;
    let sbc_a = host.local_addr("a").expect("a");
    let mut uac = Ua::bind("127.0.0.3").await;
    uac.send_to(
        sbc_a,
        &invite(
            sbc_a,
            &uac,
            "+15551234",
            9,
            "127.0.0.3:30014".parse().unwrap(),
        ),
    )
    .await;
    let (inv, from) = uas.recv_request().await;
    assert_eq!(
        inv.uri().unwrap().user.as_deref(),
        Some("5551234"),
        "prefix stripped"
    );
    assert_eq!(header(&Message::Request(inv.clone()), "X-Origin"), "sbcctl");
    let body = sdp("127.0.0.2:30016".parse().unwrap(), 4, "sendrecv");
    uas.send_to(from, &answer(&inv, 200, "OK", "cd", uas.addr, Some(&body)))
        .await;
    let ok = uac.recv_response().await;
    assert_eq!(ok.code(), 200);
    uac.send_to(sbc_a, &uac_in_dialog("ACK", &ok, &uac, sbc_a, 9, 1))
        .await;
    uac.send_to(sbc_a, &uac_in_dialog("BYE", &ok, &uac, sbc_a, 9, 2))
        .await;
    assert_eq!(uac.recv_response().await.code(), 200);
    let mut line = String::new();
    for _ in 0..100 {
        line = std::fs::read_to_string(&cdr).unwrap_or_default();
        if !line.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rec: serde_json::Value =
        serde_json::from_str(line.lines().next().expect("a CDR line")).expect("CDR is JSON");
    assert_eq!(rec["result"], "answered", "{rec}");
    assert_eq!(rec["route"], "out");
    assert_eq!(rec["source_peer"], "caller");
    assert_eq!(rec["destination_peer"], "pbx");
    assert_eq!(rec["hangup_side"], "caller");
    assert!(rec["answer"].is_string(), "{rec}");
    host.shutdown().await;
    let _ = std::fs::remove_file(&cdr);
}
