//! WebRTC calls end to end: a str0m client plays the browser (SIP over WebSocket to sbcctl,
//! full ICE and DTLS-SRTP over loopback) and a Rust UA plays the PBX (plain SIP over UDP,
//! echoing RTP). Both directions; after hangup from either side no media session, task or port
//! is left.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::ua::{Ua, answer, sdp, sdp_audio_addr};
use sbcctl_load::sip::{Registration, Response};
use sbcctl_load::webrtc::{ClientOptions, Stream, WebRtcClient};
use sbcctl_load::ws::{self, Socket, Target};
use sbcctl_runtime::Host;
use sbcctl_sip::{Message, Request, parse_bytes};
use tokio::net::UdpSocket;

fn spec(pbx: SocketAddr) -> String {
    format!(
        r#"
version: 1
interfaces:
  browsers: {{ transport: ws, listen: 127.0.0.1:0, websocket: {{ path: /, allowed_origins: [http://app.test] }} }}
  lan: {{ transport: udp, listen: 127.0.0.1:0 }}
media_realms:
  web: {{ listen: 127.0.0.1, ports: 43800-43899 }}
  lan: {{ listen: 127.0.0.1, ports: 43900-43999 }}
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

async fn ws_message(socket: &mut Socket) -> Message {
    let bytes = common::next_message(socket).await;
    parse_bytes(bytes::Bytes::from(bytes)).expect("valid SIP")
}

async fn ws_final(socket: &mut Socket) -> sbcctl_sip::Response {
    loop {
        if let Message::Response(r) = ws_message(socket).await
            && r.code() >= 200
        {
            return r;
        }
    }
}

/// Echoes every RTP packet back to where it came from, counting them.
fn rtp_echo(socket: UdpSocket) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        let mut n = 0u64;
        while let Ok(Ok((len, from))) =
            tokio::time::timeout(Duration::from_secs(3), socket.recv_from(&mut buf)).await
        {
            n += 1;
            let _ = socket.send_to(&buf[..len], from).await;
        }
        n
    })
}

fn pcmu_stream(count: u32) -> Stream {
    Stream {
        pt: 0,
        count,
        interval: Duration::from_millis(20),
        ts_step: 160,
        payload: vec![0xff; 160],
    }
}

async fn media_left(host: &Host) -> (u64, u64, u64) {
    let status = host.status().await.expect("status");
    let media = &status.core.media;
    let ports = media.ports_in_use.iter().map(|r| r.in_use).sum::<u64>();
    (media.sessions, media.tasks, ports)
}

/// Waits until every call's media is gone; the shared WebRTC socket keeps one pair per realm.
async fn assert_media_released(host: &Host) {
    let mut last = (0, 0, 0);
    for _ in 0..100 {
        last = media_left(host).await;
        if last.0 == 0 && last.1 == 0 && last.2 <= 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("media left after hangup (sessions, tasks, port pairs): {last:?}");
}

fn ws_invite(offer: &str, cseq: u32, auth: Option<&str>) -> String {
    let auth = auth
        .map(|a| format!("Proxy-Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!(
        "INVITE sip:5551234@sbc.test SIP/2.0\r\nVia: SIP/2.0/WSS br.invalid;branch=z9hG4bKwr{cseq}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:alice@sbc.test>;tag=wr1\r\nTo: <sip:5551234@sbc.test>\r\n\
         Call-ID: webrtc-call-1\r\nCSeq: {cseq} INVITE\r\nContact: <sip:x@br.invalid;transport=ws>\r\n{auth}\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{offer}",
        offer.len()
    )
}

fn ws_in_dialog(method: &str, ok: &sbcctl_sip::Response, cseq: u32) -> String {
    let to = ok
        .headers
        .get("To")
        .and_then(|h| h.value_str())
        .expect("To");
    format!(
        "{method} sip:sbc@sbc.test SIP/2.0\r\nVia: SIP/2.0/WSS br.invalid;branch=z9hG4bKwr{method}{cseq}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:alice@sbc.test>;tag=wr1\r\nTo: {to}\r\nCall-ID: webrtc-call-1\r\n\
         CSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
    )
}

#[tokio::test]
async fn browser_calls_pbx_media_flows_both_ways_and_browser_hangs_up() {
    let mut pbx = Ua::bind("127.0.0.2").await;
    let host = common::start(&spec(pbx.addr)).await;
    let target = common::ws_target(&host, "browsers", Some("http://app.test"));
    let mut socket = register(&target).await;
    let client = WebRtcClient::start("127.0.0.1".parse().unwrap(), ClientOptions::default())
        .await
        .expect("client");
    let offer = client.create_offer().await.expect("offer");

    // Digest first (407), then the authenticated INVITE.
    let first = common::exchange(&mut socket, &ws_invite(&offer, 1, None)).await;
    let parsed = Response::parse(&first).expect("407");
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
        "c1",
    );
    ws::send(&mut socket, &ws_invite(&offer, 2, Some(&auth)))
        .await
        .expect("send");

    let (inv, from) = pbx.recv_request().await;
    let to_pbx = String::from_utf8_lossy(inv.body()).into_owned();
    assert!(
        to_pbx.contains("RTP/AVP") && !to_pbx.contains("fingerprint"),
        "{to_pbx}"
    );
    let sbc_media = sdp_audio_addr(inv.body());
    let pbx_rtp = UdpSocket::bind("127.0.0.2:0").await.expect("rtp");
    let pbx_rtp_addr = pbx_rtp.local_addr().unwrap();
    let echoed = rtp_echo(pbx_rtp);
    let body = sdp(pbx_rtp_addr, 11, "sendrecv");
    pbx.send_to(from, &answer(&inv, 200, "OK", "px", pbx.addr, Some(&body)))
        .await;

    let ok = ws_final(&mut socket).await;
    assert_eq!(ok.code(), 200);
    let to_browser = String::from_utf8_lossy(ok.body()).into_owned();
    assert!(to_browser.contains("a=fingerprint:"), "{to_browser}");
    assert!(to_browser.contains("a=setup:active"), "{to_browser}");
    client
        .accept_answer(&to_browser)
        .await
        .expect("answer accepted");
    ws::send(&mut socket, &ws_in_dialog("ACK", &ok, 2))
        .await
        .expect("ack");

    assert!(
        client.wait(Duration::from_secs(5), |s| s.connected).await,
        "ICE and DTLS complete"
    );
    client.send_stream(pcmu_stream(100));
    assert!(
        client
            .wait(Duration::from_secs(6), |s| s.received.len() >= 60)
            .await,
        "the PBX's echo comes back through the SBC: {} packets",
        client.state().received.len()
    );
    let state = client.state();
    assert!(state.received.iter().all(|r| r.pt == 0), "PCMU both ways");
    assert_ne!(sbc_media, pbx_rtp_addr);

    // The browser hangs up: the PBX gets a BYE, the media is released.
    ws::send(&mut socket, &ws_in_dialog("BYE", &ok, 3))
        .await
        .expect("bye");
    let (bye, from) = loop {
        let (r, from) = pbx.recv_request().await;
        if r.method().as_str() != "ACK" {
            break (r, from);
        }
    };
    assert_eq!(bye.method().as_str(), "BYE");
    pbx.send_to(from, &answer(&bye, 200, "OK", "px", pbx.addr, None))
        .await;
    assert_eq!(ws_final(&mut socket).await.code(), 200);
    assert!(
        echoed.await.unwrap_or(0) >= 60,
        "the PBX received the browser's RTP"
    );
    assert_media_released(&host).await;
    host.shutdown().await;
}

#[tokio::test]
async fn pbx_calls_browser_media_flows_both_ways_and_pbx_hangs_up() {
    let mut pbx = Ua::bind("127.0.0.2").await;
    let host = common::start(&spec(pbx.addr)).await;
    let sbc = host.local_addr("lan").expect("lan");
    let target = common::ws_target(&host, "browsers", Some("http://app.test"));
    let mut socket = register(&target).await;
    let client = WebRtcClient::start("127.0.0.1".parse().unwrap(), ClientOptions::default())
        .await
        .expect("client");

    let pbx_rtp = UdpSocket::bind("127.0.0.2:0").await.expect("rtp");
    let pbx_rtp_addr = pbx_rtp.local_addr().unwrap();
    let echoed = rtp_echo(pbx_rtp);
    let body = sdp(pbx_rtp_addr, 12, "sendrecv");
    let invite = format!(
        "INVITE sip:alice@{sbc} SIP/2.0\r\nVia: SIP/2.0/UDP {l};branch=z9hG4bKpin1;rport\r\nMax-Forwards: 70\r\n\
         From: <sip:100@{l}>;tag=pin\r\nTo: <sip:alice@{sbc}>\r\nCall-ID: pbx-in-1\r\nCSeq: 1 INVITE\r\n\
         Contact: <sip:100@{l}>\r\nContent-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{body}",
        l = pbx.addr,
        len = body.len()
    );
    pbx.send_to(sbc, &invite).await;
    let inv: Request = loop {
        if let Message::Request(r) = ws_message(&mut socket).await {
            break r;
        }
    };
    let offer = String::from_utf8_lossy(inv.body()).into_owned();
    assert!(
        offer.contains("UDP/TLS/RTP/SAVPF") && offer.contains("a=ice-lite"),
        "{offer}"
    );
    let answer_sdp = client
        .accept_offer(&offer)
        .await
        .expect("the browser answers");
    let mut ok = sbcctl_sip::Response::for_request(&inv, 200, "OK");
    ok.set_to_tag_if_absent("brw");
    ok.headers
        .append("Contact", "<sip:x@br.invalid;transport=ws>");
    ok.headers.append("Content-Type", "application/sdp");
    ok.set_body(bytes::Bytes::from(answer_sdp));
    ws::send(&mut socket, &String::from_utf8_lossy(&ok.to_bytes()))
        .await
        .expect("200");

    let ok_at_pbx = pbx.recv_response().await;
    assert_eq!(ok_at_pbx.code(), 200);
    let sbc_media = sdp_audio_addr(ok_at_pbx.body());
    let to = ok_at_pbx
        .headers
        .get("To")
        .and_then(|h| h.value_str())
        .expect("To")
        .into_owned();
    let in_dialog = |method: &str, cseq: u32| {
        format!(
            "{method} sip:sbc@{sbc} SIP/2.0\r\nVia: SIP/2.0/UDP {l};branch=z9hG4bKpin{method}{cseq};rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:100@{l}>;tag=pin\r\nTo: {to}\r\nCall-ID: pbx-in-1\r\n\
             CSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n",
            l = pbx.addr
        )
    };
    pbx.send_to(sbc, &in_dialog("ACK", 1)).await;
    assert!(
        client.wait(Duration::from_secs(5), |s| s.connected).await,
        "ICE and DTLS complete"
    );
    client.send_stream(pcmu_stream(100));
    assert!(
        client
            .wait(Duration::from_secs(6), |s| s.received.len() >= 60)
            .await,
        "echoed RTP reaches the browser: {}",
        client.state().received.len()
    );
    assert_ne!(sbc_media.port(), 0);

    // The PBX hangs up: the browser gets a BYE over its WebSocket.
    pbx.send_to(sbc, &in_dialog("BYE", 2)).await;
    let bye: Request = loop {
        if let Message::Request(r) = ws_message(&mut socket).await
            && r.method().as_str() != "ACK"
        {
            break r;
        }
    };
    assert_eq!(bye.method().as_str(), "BYE");
    let mut bye_ok = sbcctl_sip::Response::for_request(&bye, 200, "OK");
    bye_ok.set_to_tag_if_absent("brw");
    ws::send(&mut socket, &String::from_utf8_lossy(&bye_ok.to_bytes()))
        .await
        .expect("200");
    assert_eq!(pbx.recv_response().await.code(), 200);
    assert!(echoed.await.unwrap_or(0) >= 60);
    assert_media_released(&host).await;
    host.shutdown().await;
}
