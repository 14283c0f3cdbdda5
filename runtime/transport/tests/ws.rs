//! SIP over WebSocket (RFC 7118) on loopback.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{WAIT, certs, harness, raw_http, sip, upgrade_request, ws_client, ws_config, ws_sip};
use fastwebsockets::{Frame, OpCode, Payload};
use sbcctl_transport::{SendError, TransportEvent, TransportKind, WsConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn open_ws() -> WsConfig {
    WsConfig::default()
}

async fn read_text(ws: &mut common::Client) -> Vec<u8> {
    let frame = tokio::time::timeout(WAIT, ws.read_frame())
        .await
        .expect("timed out")
        .expect("frame");
    assert_eq!(frame.opcode, OpCode::Text);
    frame.payload.to_vec()
}

#[tokio::test]
async fn upper_case_sip_is_answered_exactly_and_messages_flow_both_ways() {
    let mut h = harness();
    let listener = h
        .transports
        .bind(ws_config(TransportKind::Ws, open_ws()))
        .await
        .unwrap();
    let addr = listener.local_addr();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut ws, resp) = ws_client(tcp, &addr.to_string(), "/", Some("SIP"), None)
        .await
        .unwrap();
    assert_eq!(resp.headers()["sec-websocket-protocol"], "SIP");

    let request = sip("REGISTER", "");
    ws.write_frame(Frame::text(Payload::Owned(request.clone())))
        .await
        .unwrap();
    let TransportEvent::FlowOpened(opened) = h.next().await else {
        panic!("expected FlowOpened first");
    };
    let msg = h.message().await;
    assert_eq!(msg.flow, opened.flow);
    assert_eq!(msg.kind, TransportKind::Ws);
    assert_eq!(&msg.data[..], &request[..]);

    // Binary frames carry SIP too; CRLF-only messages are keepalives.
    ws.write_frame(Frame::text(Payload::Owned(b"\r\n\r\n".to_vec())))
        .await
        .unwrap();
    ws.write_frame(Frame::binary(Payload::Owned(sip("OPTIONS", ""))))
        .await
        .unwrap();
    assert_eq!(&h.message().await.data[..], &sip("OPTIONS", "")[..]);

    let answer = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
    h.transports
        .send(msg.flow, Bytes::from_static(answer))
        .unwrap();
    assert_eq!(read_text(&mut ws).await, answer);
}

#[tokio::test]
async fn fragmented_message_is_reassembled() {
    let mut h = harness();
    let listener = h
        .transports
        .bind(ws_config(TransportKind::Ws, open_ws()))
        .await
        .unwrap();
    let mut ws = ws_sip(listener.local_addr()).await;
    let request = sip("INVITE", "v=0\r\n");
    let (a, b) = request.split_at(10);
    ws.write_frame(Frame::new(
        false,
        OpCode::Text,
        None,
        Payload::Owned(a.to_vec()),
    ))
    .await
    .unwrap();
    ws.write_frame(Frame::new(
        true,
        OpCode::Continuation,
        None,
        Payload::Owned(b.to_vec()),
    ))
    .await
    .unwrap();
    assert_eq!(&h.message().await.data[..], &request[..]);
}

#[tokio::test]
async fn missing_subprotocol_is_refused_with_400() {
    let h = harness();
    let listener = h
        .transports
        .bind(ws_config(TransportKind::Ws, open_ws()))
        .await
        .unwrap();
    let resp = raw_http(listener.local_addr(), &upgrade_request("/", "")).await;
    assert!(resp.starts_with("HTTP/1.1 400"), "{resp}");
    assert!(
        resp.contains("missing Sec-WebSocket-Protocol: sip"),
        "{resp}"
    );
    let resp = raw_http(
        listener.local_addr(),
        &upgrade_request("/", "Sec-WebSocket-Protocol: xmpp, sips\r\n"),
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 400"), "{resp}");
}

#[tokio::test]
async fn bad_origin_and_wrong_path_are_refused() {
    let h = harness();
    let ws = WsConfig {
        path: "/sip".to_owned(),
        allowed_origins: vec!["https://app.example.com".to_owned()],
        require_origin: true,
        static_dir: None,
    };
    let listener = h
        .transports
        .bind(ws_config(TransportKind::Ws, ws))
        .await
        .unwrap();
    let addr = listener.local_addr();
    let bad = raw_http(
        addr,
        &upgrade_request(
            "/sip",
            "Sec-WebSocket-Protocol: sip\r\nOrigin: https://evil.example.com\r\n",
        ),
    )
    .await;
    assert!(bad.starts_with("HTTP/1.1 403"), "{bad}");
    assert!(
        bad.contains("origin `https://evil.example.com` is not allowed"),
        "{bad}"
    );
    let missing = raw_http(
        addr,
        &upgrade_request("/sip", "Sec-WebSocket-Protocol: sip\r\n"),
    )
    .await;
    assert!(missing.starts_with("HTTP/1.1 403"), "{missing}");
    let path = raw_http(
        addr,
        &upgrade_request(
            "/other",
            "Sec-WebSocket-Protocol: sip\r\nOrigin: https://app.example.com\r\n",
        ),
    )
    .await;
    assert!(path.starts_with("HTTP/1.1 404"), "{path}");
    let tcp = TcpStream::connect(addr).await.unwrap();
    let ok = ws_client(
        tcp,
        "localhost",
        "/sip",
        Some("sip"),
        Some("https://app.example.com"),
    )
    .await;
    assert!(ok.is_ok(), "allowed origin must be accepted");
}

/// A 1 MiB message (as one frame, and as many small fragments) closes its
/// own connection with 1009; another connection keeps working.
#[tokio::test]
async fn oversize_messages_close_only_their_connection() {
    let mut h = harness();
    let mut config = ws_config(TransportKind::Ws, open_ws());
    config.limits.max_message_bytes = 64 * 1024;
    let listener = h.transports.bind(config).await.unwrap();
    let addr = listener.local_addr();

    let mut good = ws_sip(addr).await;
    good.write_frame(Frame::text(Payload::Owned(sip("OPTIONS", ""))))
        .await
        .unwrap();
    let good_flow = h.message().await.flow;

    let mut big = ws_sip(addr).await;
    let _ = big
        .write_frame(Frame::binary(Payload::Owned(vec![b'a'; 1024 * 1024])))
        .await;
    let close = tokio::time::timeout(WAIT, big.read_frame()).await.unwrap();
    if let Ok(frame) = close {
        assert_eq!(frame.opcode, OpCode::Close);
        assert_eq!(&frame.payload[..2], &1009u16.to_be_bytes());
    }
    let closed = h.closed().await;
    assert_ne!(closed.flow, good_flow);

    let mut fragmented = ws_sip(addr).await;
    let chunk = vec![b'b'; 16 * 1024];
    let mut first = true;
    for _ in 0..64 {
        let opcode = if first {
            OpCode::Text
        } else {
            OpCode::Continuation
        };
        first = false;
        if fragmented
            .write_frame(Frame::new(
                false,
                opcode,
                None,
                Payload::Owned(chunk.clone()),
            ))
            .await
            .is_err()
        {
            break;
        }
    }
    let closed = h.closed().await;
    assert_ne!(closed.flow, good_flow);

    good.write_frame(Frame::text(Payload::Owned(sip("INFO", "alive"))))
        .await
        .unwrap();
    let msg = h.message().await;
    assert_eq!(msg.flow, good_flow);
    h.transports
        .send(good_flow, Bytes::from_static(b"SIP/2.0 200 OK\r\n\r\n"))
        .unwrap();
    assert_eq!(read_text(&mut good).await, b"SIP/2.0 200 OK\r\n\r\n");
}

#[tokio::test]
async fn garbage_frames_do_not_disturb_others() {
    let mut h = harness();
    let listener = h
        .transports
        .bind(ws_config(TransportKind::Ws, open_ws()))
        .await
        .unwrap();
    let addr = listener.local_addr();
    let mut good = ws_sip(addr).await;

    // Handshake by hand, then bytes that are not a valid frame (reserved
    // bits set, bad opcode).
    let mut raw = TcpStream::connect(addr).await.unwrap();
    raw.write_all(upgrade_request("/", "Sec-WebSocket-Protocol: sip\r\n").as_bytes())
        .await
        .unwrap();
    let mut head = [0u8; 12];
    raw.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");
    raw.write_all(&[0xF3, 0xFF, 0x00, 0x01, 0x02, 0x03, 0xDE, 0xAD, 0xBE, 0xEF])
        .await
        .unwrap();
    let closed = h.closed().await;
    assert_eq!(closed.kind, TransportKind::Ws);

    good.write_frame(Frame::text(Payload::Owned(sip("OPTIONS", ""))))
        .await
        .unwrap();
    let msg = h.message().await;
    assert_ne!(msg.flow, closed.flow);
}

#[tokio::test]
async fn flow_closed_on_disconnect_and_send_is_gone() {
    let mut h = harness();
    let listener = h
        .transports
        .bind(ws_config(TransportKind::Ws, open_ws()))
        .await
        .unwrap();
    let mut ws = ws_sip(listener.local_addr()).await;
    ws.write_frame(Frame::text(Payload::Owned(sip("REGISTER", ""))))
        .await
        .unwrap();
    let flow = h.message().await.flow;
    ws.write_frame(Frame::close(1000, b"bye")).await.unwrap();
    drop(ws);
    let closed = h.closed().await;
    assert_eq!(closed.flow, flow);
    assert!(h.transports.flow(flow).is_none());
    let err = h
        .transports
        .send(flow, Bytes::from_static(b"x"))
        .unwrap_err();
    assert!(matches!(err, SendError::FlowGone(f) if f == flow), "{err}");
}

#[tokio::test]
async fn idle_timeout_closes_the_flow() {
    let mut h = harness();
    let mut config = ws_config(TransportKind::Ws, open_ws());
    config.limits.idle_timeout = Duration::from_millis(300);
    config.limits.ping_interval = None;
    let listener = h.transports.bind(config).await.unwrap();
    let mut ws = ws_sip(listener.local_addr()).await;
    ws.write_frame(Frame::text(Payload::Owned(sip("REGISTER", ""))))
        .await
        .unwrap();
    let flow = h.message().await.flow;
    let started = std::time::Instant::now();
    assert_eq!(h.closed().await.flow, flow);
    assert!(started.elapsed() >= Duration::from_millis(200));
    let frame = tokio::time::timeout(WAIT, ws.read_frame()).await.unwrap();
    assert!(matches!(frame, Ok(ref f) if f.opcode == OpCode::Close) || frame.is_err());
}

#[tokio::test]
async fn server_pings_keep_an_answering_client_alive() {
    let mut h = harness();
    let mut config = ws_config(TransportKind::Ws, open_ws());
    config.limits.idle_timeout = Duration::from_millis(400);
    config.limits.ping_interval = Some(Duration::from_millis(100));
    let listener = h.transports.bind(config).await.unwrap();
    let mut ws = ws_sip(listener.local_addr()).await;
    ws.write_frame(Frame::text(Payload::Owned(sip("REGISTER", ""))))
        .await
        .unwrap();
    let flow = h.message().await.flow;
    // A client that never reads never answers the pings either.
    let mut silent = ws_sip(listener.local_addr()).await;
    silent
        .write_frame(Frame::text(Payload::Owned(sip("OPTIONS", ""))))
        .await
        .unwrap();
    let silent_flow = h.message().await.flow;
    // The first client's reads answer the pings (fastwebsockets auto-pong)
    // for longer than the idle timeout.
    let until = tokio::time::Instant::now() + Duration::from_millis(1000);
    while let Ok(Ok(frame)) = tokio::time::timeout_at(until, ws.read_frame()).await {
        assert_ne!(frame.opcode, OpCode::Close, "answering client was closed");
    }
    assert!(h.transports.flow(flow).is_some(), "flow must still be open");
    assert!(
        h.transports.flow(silent_flow).is_none(),
        "the silent client must have timed out"
    );
}

#[tokio::test]
async fn per_ip_cap_answers_503_and_keeps_the_first_connections() {
    let mut h = harness();
    let mut config = ws_config(TransportKind::Ws, open_ws());
    config.limits.max_connections_per_ip = 2;
    let listener = h.transports.bind(config).await.unwrap();
    let addr = listener.local_addr();
    let mut first = ws_sip(addr).await;
    let mut second = ws_sip(addr).await;
    let refused = raw_http(
        addr,
        &upgrade_request("/", "Sec-WebSocket-Protocol: sip\r\n"),
    )
    .await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(
        refused.contains("too many connections from this address"),
        "{refused}"
    );
    for ws in [&mut first, &mut second] {
        ws.write_frame(Frame::text(Payload::Owned(sip("OPTIONS", ""))))
            .await
            .unwrap();
        h.message().await;
    }
    // Closing one frees its slot.
    first.write_frame(Frame::close(1000, b"")).await.unwrap();
    drop(first);
    h.closed().await;
    let mut third = ws_sip(addr).await;
    third
        .write_frame(Frame::text(Payload::Owned(sip("OPTIONS", ""))))
        .await
        .unwrap();
    h.message().await;
}

#[tokio::test]
async fn wss_with_rcgen_certificate() {
    let mut h = harness();
    let certs = certs();
    let mut config = ws_config(TransportKind::Wss, open_ws());
    config.name = "websecure".to_owned();
    config.tls = Some(certs.server.clone());
    let listener = h.transports.bind(config).await.unwrap();
    let tcp = TcpStream::connect(listener.local_addr()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(certs.client.clone())
        .connect(name, tcp)
        .await
        .unwrap();
    let (mut ws, _) = ws_client(tls, "localhost", "/", Some("sip"), None)
        .await
        .unwrap();
    let request = sip("REGISTER", "");
    ws.write_frame(Frame::text(Payload::Owned(request.clone())))
        .await
        .unwrap();
    let msg = h.message().await;
    assert_eq!(msg.kind, TransportKind::Wss);
    assert_eq!(&*msg.interface, "websecure");
    h.transports
        .send(msg.flow, Bytes::from_static(b"SIP/2.0 200 OK\r\n\r\n"))
        .unwrap();
    assert_eq!(read_text(&mut ws).await, b"SIP/2.0 200 OK\r\n\r\n");
}

#[tokio::test]
async fn silent_connection_before_the_handshake_is_dropped() {
    let h = harness();
    let mut config = ws_config(TransportKind::Ws, open_ws());
    config.limits.handshake_timeout = Duration::from_millis(200);
    config.limits.max_connections_per_ip = 1;
    let listener = h.transports.bind(config).await.unwrap();
    let mut silent = TcpStream::connect(listener.local_addr()).await.unwrap();
    let mut buf = Vec::new();
    let started = std::time::Instant::now();
    let _ = tokio::time::timeout(WAIT, silent.read_to_end(&mut buf))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    // Its slot is free again: a real client gets in.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut ws = ws_sip(listener.local_addr()).await;
    ws.write_frame(Frame::text(Payload::Owned(sip("OPTIONS", ""))))
        .await
        .unwrap();
}
