//! UDP, TCP and TLS on loopback.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{WAIT, certs, harness, loopback, sip};
use sbcctl_transport::{BindError, ListenerConfig, SendError, TransportEvent, TransportKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

#[tokio::test]
async fn udp_round_trip_and_send_to() {
    let mut h = harness();
    let listener = h
        .transports
        .bind(ListenerConfig::new("lan", TransportKind::Udp, loopback()))
        .await
        .unwrap();
    let client = UdpSocket::bind(loopback()).await.unwrap();
    let request = sip("OPTIONS", "");
    client
        .send_to(&request, listener.local_addr())
        .await
        .unwrap();

    let TransportEvent::FlowOpened(opened) = h.next().await else {
        panic!("expected FlowOpened first");
    };
    let msg = h.message().await;
    assert_eq!(msg.flow, opened.flow);
    assert_eq!(msg.kind, TransportKind::Udp);
    assert_eq!(&*msg.interface, "lan");
    assert_eq!(msg.remote, client.local_addr().unwrap());
    assert_eq!(msg.local, listener.local_addr());
    assert_eq!(&msg.data[..], &request[..]);

    // A second datagram from the same address is on the same flow.
    client
        .send_to(&request, listener.local_addr())
        .await
        .unwrap();
    assert_eq!(h.message().await.flow, opened.flow);

    h.transports
        .send(msg.flow, Bytes::from_static(b"SIP/2.0 200 OK\r\n\r\n"))
        .unwrap();
    let mut buf = [0u8; 1500];
    let (n, from) = tokio::time::timeout(WAIT, client.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"SIP/2.0 200 OK\r\n\r\n");
    assert_eq!(from, listener.local_addr());

    let other = UdpSocket::bind(loopback()).await.unwrap();
    let flow = h
        .transports
        .send_to(
            "lan",
            TransportKind::Udp,
            other.local_addr().unwrap(),
            Bytes::from_static(b"ping"),
        )
        .await
        .unwrap();
    let (n, _) = tokio::time::timeout(WAIT, other.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"ping");
    assert_ne!(flow, opened.flow);
    assert_eq!(
        h.transports
            .flow_counts()
            .get(&("lan".into(), TransportKind::Udp)),
        Some(&2)
    );
}

#[tokio::test]
async fn bind_error_names_interface_and_address() {
    let h = harness();
    let first = h
        .transports
        .bind(ListenerConfig::new("lan", TransportKind::Udp, loopback()))
        .await
        .unwrap();
    let err = h
        .transports
        .bind(ListenerConfig::new(
            "lan2",
            TransportKind::Udp,
            first.local_addr(),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, BindError::Io { .. }));
    let text = err.to_string();
    assert!(
        text.starts_with("interface `lan2`: cannot bind udp 127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains(&first.local_addr().to_string()), "{text}");
}

#[tokio::test]
async fn tcp_framing_split_writes_batches_and_keepalive() {
    let mut h = harness();
    let listener = h
        .transports
        .bind(ListenerConfig::new("trunk", TransportKind::Tcp, loopback()))
        .await
        .unwrap();
    let mut tcp = TcpStream::connect(listener.local_addr()).await.unwrap();
    let first = sip("REGISTER", "abc");
    for part in [&first[..5], &first[5..40], &first[40..]] {
        tcp.write_all(part).await.unwrap();
        tcp.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = sip("OPTIONS", "");
    let third = sip("INFO", "x=1");
    tcp.write_all(&[second.clone(), third.clone()].concat())
        .await
        .unwrap();
    let got: Vec<_> = [h.message().await, h.message().await, h.message().await]
        .into_iter()
        .collect();
    assert_eq!(&got[0].data[..], &first[..]);
    assert_eq!(&got[1].data[..], &second[..]);
    assert_eq!(&got[2].data[..], &third[..]);
    assert!(
        got.iter()
            .all(|m| m.flow == got[0].flow && m.kind == TransportKind::Tcp)
    );

    // RFC 5626 double-CRLF ping gets a single CRLF pong, and no message.
    tcp.write_all(b"\r\n\r\n").await.unwrap();
    let mut pong = [0u8; 2];
    tokio::time::timeout(WAIT, tcp.read_exact(&mut pong))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&pong, b"\r\n");

    h.transports
        .send(
            got[0].flow,
            Bytes::from_static(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
        )
        .unwrap();
    let mut reply = vec![0u8; 37];
    tokio::time::timeout(WAIT, tcp.read_exact(&mut reply))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&reply[..], b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
}

#[tokio::test]
async fn oversize_tcp_message_closes_only_that_connection() {
    let mut h = harness();
    let mut config = ListenerConfig::new("trunk", TransportKind::Tcp, loopback());
    config.limits.max_message_bytes = 1024;
    let listener = h.transports.bind(config).await.unwrap();

    let mut good = TcpStream::connect(listener.local_addr()).await.unwrap();
    good.write_all(&sip("OPTIONS", "")).await.unwrap();
    let good_flow = h.message().await.flow;

    let mut bad = TcpStream::connect(listener.local_addr()).await.unwrap();
    bad.write_all(b"INVITE sip:x SIP/2.0\r\nContent-Length: 5000\r\n\r\n")
        .await
        .unwrap();
    let closed = h.closed().await;
    assert_ne!(closed.flow, good_flow);
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(WAIT, bad.read(&mut buf))
        .await
        .unwrap();
    assert!(matches!(n, Ok(0) | Err(_)), "bad connection must be closed");

    good.write_all(&sip("INFO", "still")).await.unwrap();
    let msg = h.message().await;
    assert_eq!(msg.flow, good_flow);
    assert!(h.transports.flow(good_flow).is_some());
}

#[tokio::test]
async fn send_to_closed_flow_is_gone() {
    let mut h = harness();
    let listener = h
        .transports
        .bind(ListenerConfig::new("trunk", TransportKind::Tcp, loopback()))
        .await
        .unwrap();
    let mut tcp = TcpStream::connect(listener.local_addr()).await.unwrap();
    tcp.write_all(&sip("OPTIONS", "")).await.unwrap();
    let flow = h.message().await.flow;
    drop(tcp);
    assert_eq!(h.closed().await.flow, flow);
    let err = h
        .transports
        .send(flow, Bytes::from_static(b"x"))
        .unwrap_err();
    assert!(matches!(err, SendError::FlowGone(f) if f == flow), "{err}");
    assert!(err.is_transport_error());
}

#[tokio::test]
async fn per_ip_cap_refuses_the_extra_connection() {
    let mut h = harness();
    let mut config = ListenerConfig::new("trunk", TransportKind::Tcp, loopback());
    config.limits.max_connections_per_ip = 2;
    let listener = h.transports.bind(config).await.unwrap();
    let mut conns = Vec::new();
    for _ in 0..2 {
        let mut tcp = TcpStream::connect(listener.local_addr()).await.unwrap();
        tcp.write_all(&sip("OPTIONS", "")).await.unwrap();
        h.message().await;
        conns.push(tcp);
    }
    let mut extra = TcpStream::connect(listener.local_addr()).await.unwrap();
    let mut buf = [0u8; 1];
    let n = tokio::time::timeout(WAIT, extra.read(&mut buf))
        .await
        .unwrap();
    assert!(
        matches!(n, Ok(0) | Err(_)),
        "third connection must be closed"
    );
    for tcp in &mut conns {
        tcp.write_all(&sip("INFO", "")).await.unwrap();
        h.message().await;
    }
}

#[tokio::test]
async fn outbound_tcp_connection_is_reused_and_carries_replies() {
    let mut h = harness();
    h.transports
        .bind(ListenerConfig::new("trunk", TransportKind::Tcp, loopback()))
        .await
        .unwrap();
    let peer = TcpListener::bind(loopback()).await.unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let request = sip("OPTIONS", "");
    let flow = h
        .transports
        .send_to(
            "trunk",
            TransportKind::Tcp,
            peer_addr,
            Bytes::from(request.clone()),
        )
        .await
        .unwrap();
    let (mut conn, _) = tokio::time::timeout(WAIT, peer.accept())
        .await
        .unwrap()
        .unwrap();
    let mut got = vec![0u8; request.len()];
    conn.read_exact(&mut got).await.unwrap();
    assert_eq!(got, request);

    let again = h
        .transports
        .send_to(
            "trunk",
            TransportKind::Tcp,
            peer_addr,
            Bytes::from(request.clone()),
        )
        .await
        .unwrap();
    assert_eq!(again, flow, "the existing connection is reused");
    conn.read_exact(&mut got).await.unwrap();

    let reply = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
    conn.write_all(reply).await.unwrap();
    let msg = h.message().await;
    assert_eq!(msg.flow, flow);
    assert_eq!(msg.remote, peer_addr);
    assert_eq!(&msg.data[..], reply);
}

#[tokio::test]
async fn tls_round_trip_with_rcgen_certificate() {
    let mut h = harness();
    let certs = certs();
    let mut config = ListenerConfig::new("secure", TransportKind::Tls, loopback());
    config.tls = Some(certs.server.clone());
    let listener = h.transports.bind(config).await.unwrap();

    let tcp = TcpStream::connect(listener.local_addr()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(certs.client.clone())
        .connect(name, tcp)
        .await
        .unwrap();
    let request = sip("REGISTER", "");
    tls.write_all(&request).await.unwrap();
    let msg = h.message().await;
    assert_eq!(msg.kind, TransportKind::Tls);
    assert_eq!(&msg.data[..], &request[..]);
    let answer: &[u8] = b"SIP/2.0 401 X\r\nContent-Length: 0\r\n\r\n";
    h.transports
        .send(msg.flow, Bytes::from_static(answer))
        .unwrap();
    let mut reply = vec![0u8; answer.len()];
    tokio::time::timeout(WAIT, tls.read_exact(&mut reply))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&reply[..], answer);
}

#[tokio::test]
async fn tls_interface_without_certificate_is_a_bind_error() {
    let h = harness();
    let err = h
        .transports
        .bind(ListenerConfig::new(
            "secure",
            TransportKind::Tls,
            loopback(),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "interface `secure`: tls needs a TLS certificate"
    );
}

#[tokio::test]
async fn dropping_transports_closes_listeners() {
    let h = harness();
    let listener = h
        .transports
        .bind(ListenerConfig::new("trunk", TransportKind::Tcp, loopback()))
        .await
        .unwrap();
    let addr = listener.local_addr();
    drop(listener);
    drop(h);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "listener must be gone"
    );
}

#[tokio::test]
async fn total_cap_refuses_the_extra_connection() {
    let mut h = harness();
    let mut config = ListenerConfig::new("trunk", TransportKind::Tcp, loopback());
    config.limits.max_connections = 1;
    let listener = h.transports.bind(config).await.unwrap();
    let mut first = TcpStream::connect(listener.local_addr()).await.unwrap();
    first.write_all(&sip("OPTIONS", "")).await.unwrap();
    let flow = h.message().await.flow;
    let mut extra = TcpStream::connect(listener.local_addr()).await.unwrap();
    let mut buf = [0u8; 1];
    let n = tokio::time::timeout(WAIT, extra.read(&mut buf))
        .await
        .unwrap();
    assert!(
        matches!(n, Ok(0) | Err(_)),
        "second connection must be closed"
    );
    first.write_all(&sip("INFO", "")).await.unwrap();
    assert_eq!(h.message().await.flow, flow);
}

#[tokio::test]
async fn shutdown_stops_accepting_and_close_all_closes_flows() {
    let mut h = harness();
    let listener = h
        .transports
        .bind(ListenerConfig::new("trunk", TransportKind::Tcp, loopback()))
        .await
        .unwrap();
    let addr = listener.local_addr();
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(&sip("OPTIONS", "")).await.unwrap();
    let flow = h.message().await.flow;

    listener.shutdown();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
    // The established connection still works.
    tcp.write_all(&sip("INFO", "")).await.unwrap();
    assert_eq!(h.message().await.flow, flow);

    listener.close_all();
    assert_eq!(h.closed().await.flow, flow);
    let mut buf = [0u8; 1];
    let n = tokio::time::timeout(WAIT, tcp.read(&mut buf))
        .await
        .unwrap();
    assert!(matches!(n, Ok(0) | Err(_)));
    assert!(h.transports.flows().is_empty());

    // The name is free again.
    h.transports
        .bind(ListenerConfig::new("trunk", TransportKind::Tcp, loopback()))
        .await
        .unwrap();
}

#[tokio::test]
async fn closing_and_expiring_udp_flows_emit_flow_closed() {
    let mut h = harness();
    let mut config = ListenerConfig::new("lan", TransportKind::Udp, loopback());
    config.limits.idle_timeout = Duration::from_millis(400);
    let listener = h.transports.bind(config).await.unwrap();
    let a = UdpSocket::bind(loopback()).await.unwrap();
    a.send_to(&sip("OPTIONS", ""), listener.local_addr())
        .await
        .unwrap();
    let first = h.message().await.flow;
    assert!(h.transports.close(first));
    assert_eq!(h.closed().await.flow, first);
    assert!(matches!(
        h.transports.send(first, Bytes::from_static(b"x")),
        Err(SendError::FlowGone(_))
    ));

    a.send_to(&sip("OPTIONS", ""), listener.local_addr())
        .await
        .unwrap();
    let second = h.message().await.flow;
    assert_ne!(second, first, "a closed flow id is never reused");
    let started = std::time::Instant::now();
    assert_eq!(h.closed().await.flow, second);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn slow_reader_fills_only_its_own_queue() {
    let mut h = harness();
    let mut config = ListenerConfig::new("trunk", TransportKind::Tcp, loopback());
    config.limits.send_queue = 4;
    let listener = h.transports.bind(config).await.unwrap();

    // This peer never reads.
    let mut slow = TcpStream::connect(listener.local_addr()).await.unwrap();
    slow.write_all(&sip("OPTIONS", "")).await.unwrap();
    let slow_flow = h.message().await.flow;
    let mut fast = TcpStream::connect(listener.local_addr()).await.unwrap();
    fast.write_all(&sip("OPTIONS", "")).await.unwrap();
    let fast_flow = h.message().await.flow;

    let big = Bytes::from(vec![b'x'; 256 * 1024]);
    let mut full = false;
    for _ in 0..2000 {
        match h.transports.send(slow_flow, big.clone()) {
            Ok(()) => tokio::task::yield_now().await,
            Err(SendError::QueueFull(f)) => {
                assert_eq!(f, slow_flow);
                full = true;
                break;
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert!(full, "the bounded queue must fill up");

    let answer: &[u8] = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
    h.transports
        .send(fast_flow, Bytes::from_static(answer))
        .unwrap();
    let mut reply = vec![0u8; answer.len()];
    tokio::time::timeout(WAIT, fast.read_exact(&mut reply))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&reply[..], answer);
    drop(slow);
}

#[tokio::test]
async fn stalled_tls_handshake_is_dropped() {
    let mut h = harness();
    let mut config = ListenerConfig::new("secure", TransportKind::Tls, loopback());
    config.tls = Some(certs().server);
    config.limits.handshake_timeout = Duration::from_millis(200);
    let listener = h.transports.bind(config).await.unwrap();
    let mut silent = TcpStream::connect(listener.local_addr()).await.unwrap();
    let mut buf = [0u8; 1];
    let started = std::time::Instant::now();
    let n = tokio::time::timeout(WAIT, silent.read(&mut buf))
        .await
        .unwrap();
    assert!(
        matches!(n, Ok(0) | Err(_)),
        "stalled handshake must be closed"
    );
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(
        h.events.try_recv().is_err(),
        "no flow for a failed handshake"
    );
}
