//! A lean WebSocket client for SIP (RFC 7118): raw HTTP/1.1 upgrade offering `sip`, then frames.
//!
//! The handshake is written by hand rather than through an HTTP client so that ten thousand idle
//! connections cost the load generator one socket and one task each.

use std::sync::Arc;

use anyhow::{Context, bail};
use fastwebsockets::{Frame, OpCode, Payload, Role, WebSocket};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// A plain or TLS byte stream under the WebSocket.
pub trait ByteStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> ByteStream for T {}
pub type Stream = Box<dyn ByteStream>;

/// The WebSocket type this client returns.
pub type Socket = WebSocket<Stream>;

/// Where to connect: `ws://host:port/path` or `wss://…` (then `tls` must be set).
#[derive(Clone, Debug)]
pub struct Target {
    pub host_port: String,
    pub path: String,
    pub origin: Option<String>,
    /// For `wss://`: the client configuration (its trusted roots) and the name to verify.
    pub tls: Option<(Arc<rustls::ClientConfig>, String)>,
}

impl Target {
    pub fn parse(url: &str, origin: Option<String>) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("ws://")
            .or_else(|| url.strip_prefix("wss://"))
            .context("only ws:// and wss:// URLs are supported")?;
        let (host_port, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        Ok(Target {
            host_port: host_port.to_string(),
            path: path.to_string(),
            origin,
            tls: None,
        })
    }

    /// Connects over TLS, trusting `config`'s roots and verifying `server_name`.
    pub fn with_tls(mut self, config: Arc<rustls::ClientConfig>, server_name: &str) -> Self {
        self.tls = Some((config, server_name.to_owned()));
        self
    }
}

/// Connects and upgrades; fails unless the server answers 101 with the `sip` subprotocol.
pub async fn connect(target: &Target) -> anyhow::Result<Socket> {
    let tcp = TcpStream::connect(&target.host_port)
        .await
        .with_context(|| format!("connect {}", target.host_port))?;
    tcp.set_nodelay(true)?;
    let mut stream: Stream = match &target.tls {
        None => Box::new(tcp),
        Some((config, name)) => {
            let name = rustls::pki_types::ServerName::try_from(name.clone())
                .with_context(|| format!("bad TLS server name {name:?}"))?;
            let tls = tokio_rustls::TlsConnector::from(config.clone())
                .connect(name, tcp)
                .await
                .context("TLS handshake")?;
            Box::new(tls)
        }
    };
    let mut request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n",
        target.path,
        target.host_port,
        key()
    );
    if let Some(origin) = &target.origin {
        request.push_str(&format!("Origin: {origin}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;

    // Read the response head byte-wise-bounded: it is small and the server sends nothing after it
    // until we speak, so reading past the blank line cannot swallow a frame.
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 8192 {
            bail!("handshake response too long");
        }
        if stream.read(&mut byte).await? == 0 {
            bail!("connection closed during the handshake");
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let status_ok = text
        .lines()
        .next()
        .is_some_and(|l| l.split_whitespace().nth(1) == Some("101"));
    if !status_ok {
        bail!(
            "handshake refused: {}",
            text.lines().next().unwrap_or_default()
        );
    }
    let offered_sip = text.lines().any(|l| {
        l.split_once(':').is_some_and(|(n, v)| {
            n.trim().eq_ignore_ascii_case("sec-websocket-protocol") && v.trim() == "sip"
        })
    });
    if !offered_sip {
        bail!("server did not answer with Sec-WebSocket-Protocol: sip");
    }
    let mut ws = WebSocket::after_handshake(stream, Role::Client);
    ws.set_auto_pong(true);
    ws.set_writev(false);
    Ok(ws)
}

/// Sends one SIP message as a text frame.
pub async fn send(ws: &mut Socket, message: &str) -> anyhow::Result<()> {
    ws.write_frame(Frame::text(Payload::Borrowed(message.as_bytes())))
        .await?;
    Ok(())
}

/// Reads the next SIP message (text or binary frame), skipping control frames.
pub async fn recv(ws: &mut Socket) -> anyhow::Result<Vec<u8>> {
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            // A bare CRLF is a keep-alive pong (RFC 5626 §4.4.1), not a SIP message.
            OpCode::Text | OpCode::Binary
                if frame.payload.iter().all(|b| b.is_ascii_whitespace()) =>
            {
                continue;
            }
            OpCode::Text | OpCode::Binary => return Ok(frame.payload.to_vec()),
            OpCode::Close => bail!("server closed the WebSocket"),
            _ => continue,
        }
    }
}

/// A fresh `Sec-WebSocket-Key`: 16 random bytes in base64 (RFC 6455 §4.1).
fn key() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>())
}
