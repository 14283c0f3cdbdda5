//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fastwebsockets::WebSocket;
use http_body_util::Empty;
use hyper::Request;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use sbcctl_transport::{
    FlowInfo, Inbound, ListenerConfig, TransportEvent, TransportKind, Transports, WsConfig,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

pub const WAIT: Duration = Duration::from_secs(5);

pub struct Harness {
    pub transports: Transports,
    pub events: mpsc::Receiver<TransportEvent>,
}

pub fn harness() -> Harness {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let (tx, events) = mpsc::channel(256);
    Harness {
        transports: Transports::new(tx),
        events,
    }
}

impl Harness {
    pub async fn next(&mut self) -> TransportEvent {
        tokio::time::timeout(WAIT, self.events.recv())
            .await
            .expect("timed out waiting for a transport event")
            .expect("event channel closed")
    }

    /// The next message, skipping flow announcements.
    pub async fn message(&mut self) -> Inbound {
        loop {
            if let TransportEvent::Message(m) = self.next().await {
                return m;
            }
        }
    }

    /// The next closed flow, skipping everything else.
    pub async fn closed(&mut self) -> FlowInfo {
        loop {
            if let TransportEvent::FlowClosed(info) = self.next().await {
                return info;
            }
        }
    }
}

pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A SIP request with a correct Content-Length.
pub fn sip(method: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} sip:sbc.example.com SIP/2.0\r\nVia: SIP/2.0/TCP client.invalid;branch=z9hG4bK{}\r\nCall-ID: {method}@test\r\nContent-Length: {}\r\n\r\n{body}",
        body.len(),
        body.len()
    )
    .into_bytes()
}

pub struct Certs {
    pub server: Arc<rustls::ServerConfig>,
    pub client: Arc<rustls::ClientConfig>,
}

/// A self-signed certificate for `localhost` and 127.0.0.1, loaded through
/// the PEM helper the runtime uses.
pub fn certs() -> Certs {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("rcgen");
    let dir = tempdir("certs");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).expect("write cert");
    std::fs::write(&key, ck.signing_key.serialize_pem()).expect("write key");
    let server = sbcctl_transport::tls::server_config_from_pem(&cert, &key, Default::default())
        .expect("server config");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ck.cert.der().clone()).expect("root");
    let client = sbcctl_transport::tls::client_config_with_roots(roots, Default::default())
        .expect("client config");
    Certs { server, client }
}

pub fn tempdir(tag: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sbcctl-transport-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("tempdir");
    dir
}

pub fn ws_config(kind: TransportKind, ws: WsConfig) -> ListenerConfig {
    let mut config = ListenerConfig::new("web", kind, loopback());
    config.ws = Some(ws);
    config
}

struct SpawnExecutor;

impl<F> hyper::rt::Executor<F> for SpawnExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        tokio::spawn(fut);
    }
}

pub type Client = WebSocket<TokioIo<Upgraded>>;

/// Opens a WebSocket with fastwebsockets' client handshake.
pub async fn ws_client<S>(
    io: S,
    host: &str,
    path: &str,
    protocol: Option<&str>,
    origin: Option<&str>,
) -> Result<(Client, hyper::Response<hyper::body::Incoming>), fastwebsockets::WebSocketError>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let mut req = Request::builder()
        .method("GET")
        .uri(path)
        .header("Host", host)
        .header("Upgrade", "websocket")
        .header("Connection", "upgrade")
        .header(
            "Sec-WebSocket-Key",
            fastwebsockets::handshake::generate_key(),
        )
        .header("Sec-WebSocket-Version", "13");
    if let Some(p) = protocol {
        req = req.header("Sec-WebSocket-Protocol", p);
    }
    if let Some(o) = origin {
        req = req.header("Origin", o);
    }
    let req = req.body(Empty::<Bytes>::new()).expect("request");
    fastwebsockets::handshake::client(&SpawnExecutor, req, io).await
}

/// A plain WS client offering `sip`.
pub async fn ws_sip(addr: SocketAddr) -> Client {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let (ws, _) = ws_client(tcp, &addr.to_string(), "/", Some("sip"), None)
        .await
        .expect("handshake");
    ws
}

/// Sends a raw HTTP request and returns the whole response text.
pub async fn raw_http(addr: SocketAddr, request: &str) -> String {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(WAIT, tcp.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A handshake request for raw_http (closing the connection afterwards).
pub fn upgrade_request(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}
