//! SIP over WebSocket (RFC 7118): HTTP/1.1 server, handshake checks and
//! the connection task.
//!
//! The handshake is refused with an HTTP status and a reason (logged)
//! before upgrading: 404 for another path, 403 for an Origin not allowed,
//! 400 when the `sip` subprotocol is not offered (RFC 7118 §4.1), 503 when
//! a connection limit is reached (limits count TCP connections at accept,
//! upgraded or not). Each text or binary message is one SIP
//! message (RFC 7118 §5.1); fragments are reassembled under a size cap.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use fastwebsockets::{Frame, OpCode, Payload, WebSocketError, WebSocketRead, WebSocketWrite};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ORIGIN, SEC_WEBSOCKET_PROTOCOL};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadHalf, WriteHalf};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};

use crate::cancel::Cancel;
use crate::registry::{ConnSlot, Interface, LimitRefusal, Out, Shared, Sink};
use crate::ws_handshake::{check_origin, offered_sip};
use crate::{FlowId, FlowInfo, Inbound, TransportEvent};

type Upgraded = TokioIo<hyper::upgrade::Upgraded>;

/// WebSocket close code 1009, "message too big" (RFC 6455 §7.4.1).
const CLOSE_TOO_BIG: u16 = 1009;
/// WebSocket close code 1007, invalid payload data (RFC 6455 §7.4.1).
const CLOSE_INVALID: u16 = 1007;

pub(crate) async fn accept_loop(shared: Arc<Shared>, iface: Arc<Interface>, listener: TcpListener) {
    let acceptor = iface
        .config
        .tls
        .clone()
        .map(tokio_rustls::TlsAcceptor::from);
    while let Some((tcp, remote)) = crate::stream::next_connection(&iface, &listener).await {
        let _ = tcp.set_nodelay(true);
        // Every TCP connection counts, upgraded or not, so plain HTTP
        // connections cannot exhaust descriptors either. Over the limit the
        // connection is still served, but only to answer 503 with the
        // reason (RFC 7118 clients then see why), and then closed.
        let slot = SlotState::new(iface.try_slot(remote.ip()));
        let shared = shared.clone();
        let iface = iface.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let limit = iface.config.limits.handshake_timeout;
            match acceptor {
                None => serve_http(shared, iface, tcp, remote, slot).await,
                Some(acceptor) => match timeout(limit, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => serve_http(shared, iface, tls, remote, slot).await,
                    Ok(Err(e)) => {
                        tracing::info!(interface = %iface.name, %remote, error = %e, "TLS handshake failed");
                    }
                    Err(_) => {
                        tracing::info!(interface = %iface.name, %remote, "TLS handshake timed out");
                    }
                },
            }
        });
    }
}

/// The connection slot of one HTTP connection: taken by the WebSocket
/// task on upgrade, released when the connection ends otherwise.
#[derive(Clone)]
struct SlotState(Arc<std::sync::Mutex<Result<Option<ConnSlot>, LimitRefusal>>>);

impl SlotState {
    fn new(slot: Result<ConnSlot, LimitRefusal>) -> Self {
        Self(Arc::new(std::sync::Mutex::new(slot.map(Some))))
    }

    /// The slot for an upgrade, or why there is none.
    fn take(&self) -> Result<ConnSlot, String> {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *guard {
            Err(refusal) => Err(refusal.to_string()),
            Ok(slot) => slot
                .take()
                .ok_or_else(|| "connection already upgraded".to_owned()),
        }
    }

    fn refused(&self) -> Option<String> {
        match &*self.0.lock().unwrap_or_else(|p| p.into_inner()) {
            Err(refusal) => Some(refusal.to_string()),
            Ok(_) => None,
        }
    }
}

/// Serves HTTP on one connection until it upgrades, closes or times out.
async fn serve_http<S>(
    shared: Arc<Shared>,
    iface: Arc<Interface>,
    io: S,
    remote: SocketAddr,
    slot: SlotState,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let cancel = shared.root.clone();
    let svc_shared = shared.clone();
    let svc_iface = iface.clone();
    let service = hyper::service::service_fn(move |req| {
        let shared = svc_shared.clone();
        let iface = svc_iface.clone();
        let slot = slot.clone();
        async move { Ok::<_, Infallible>(handle(shared, iface, remote, slot, req).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(iface.config.limits.handshake_timeout)
        .max_buf_size(16 * 1024);
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    let idle = tokio::time::sleep(iface.config.limits.idle_timeout);
    tokio::select! {
        () = cancel.cancelled() => {}
        // A plain HTTP connection (static files) must not live forever.
        () = idle => {}
        result = conn => {
            if let Err(e) = result {
                tracing::debug!(interface = %iface.name, %remote, error = %e, "http connection error");
            }
        }
    }
}

/// Do not keep a refused client's connection around.
fn closing(mut resp: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    resp.headers_mut()
        .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_owned())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

async fn handle(
    shared: Arc<Shared>,
    iface: Arc<Interface>,
    remote: SocketAddr,
    slot: SlotState,
    mut req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let Some(ws) = iface.config.ws.as_ref() else {
        return text(StatusCode::NOT_FOUND, "not found\n");
    };
    let is_upgrade = fastwebsockets::upgrade::is_upgrade_request(&req);
    if let Some(reason) = slot.refused() {
        tracing::warn!(interface = %iface.name, %remote, reason, upgrade = is_upgrade, "connection refused");
        return closing(text(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("{reason}\n"),
        ));
    }
    if !is_upgrade {
        return match &ws.static_dir {
            Some(dir) if matches!(*req.method(), hyper::Method::GET | hyper::Method::HEAD) => {
                crate::static_files::serve(
                    dir,
                    req.uri().path(),
                    req.method() == hyper::Method::HEAD,
                )
                .await
            }
            _ if req.uri().path() == ws.path => text(
                StatusCode::UPGRADE_REQUIRED,
                "this is a SIP over WebSocket endpoint\n",
            ),
            _ => text(StatusCode::NOT_FOUND, "not found\n"),
        };
    }
    let refuse = |status: StatusCode, reason: &str| {
        tracing::warn!(interface = %iface.name, %remote, status = status.as_u16(), reason, "websocket handshake refused");
        closing(text(status, &format!("{reason}\n")))
    };
    if req.uri().path() != ws.path {
        return refuse(StatusCode::NOT_FOUND, "no WebSocket endpoint at this path");
    }
    if let Err(reason) = check_origin(ws, req.headers().get(ORIGIN)) {
        return refuse(StatusCode::FORBIDDEN, &reason);
    }
    let Some(token) = offered_sip(req.headers()) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "missing Sec-WebSocket-Protocol: sip",
        );
    };
    let slot = match slot.take() {
        Ok(slot) => slot,
        Err(reason) => return refuse(StatusCode::SERVICE_UNAVAILABLE, &reason),
    };
    let (resp, upgrade) = match fastwebsockets::upgrade::upgrade(&mut req) {
        Ok(pair) => pair,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("bad upgrade request: {e}"),
            );
        }
    };
    let (mut parts, _) = resp.into_parts();
    parts.headers.insert(SEC_WEBSOCKET_PROTOCOL, token);
    tokio::spawn(async move {
        let limit = iface.config.limits.handshake_timeout;
        match timeout(limit, upgrade).await {
            Ok(Ok(ws)) => run(shared, iface, ws, remote, slot).await,
            Ok(Err(e)) => {
                tracing::info!(interface = %iface.name, %remote, error = %e, "websocket upgrade failed")
            }
            Err(_) => {
                tracing::info!(interface = %iface.name, %remote, "websocket upgrade timed out")
            }
        }
    });
    Response::from_parts(parts, Full::new(Bytes::new()))
}

/// Why the reader stopped.
enum End {
    /// Peer closed, error, cancel or idle: no close frame of ours needed
    /// beyond a normal one.
    Normal,
    /// Close with this code and reason.
    Close(u16, &'static str),
}

async fn run(
    shared: Arc<Shared>,
    iface: Arc<Interface>,
    mut ws: fastwebsockets::WebSocket<Upgraded>,
    remote: SocketAddr,
    slot: ConnSlot,
) {
    let limits = iface.config.limits.clone();
    // The per-frame check is `len >= max`; +1 admits a frame of exactly max.
    ws.set_max_message_size(limits.max_message_bytes.saturating_add(1));
    ws.set_auto_pong(true);
    ws.set_auto_close(true);
    let (mut rd, mut wr) = ws.split(tokio::io::split);
    let (tx, mut rx) = mpsc::channel(limits.send_queue.max(1));
    let cancel = shared.root.child();
    let info = FlowInfo {
        flow: FlowId::next(),
        interface: iface.name.clone(),
        kind: iface.config.kind,
        local: iface.local,
        remote,
    };
    shared
        .open(info.clone(), Sink::Queue(tx.clone()), cancel.clone())
        .await;
    let end = {
        let reader = read_loop(&shared, &mut rd, &info, &limits, &cancel, tx);
        let writer = write_loop(&mut wr, &mut rx, limits.ping_interval);
        tokio::select! {
            end = reader => end,
            () = writer => End::Normal,
        }
    };
    let (code, reason) = match end {
        End::Normal => (1000, ""),
        End::Close(code, reason) => {
            tracing::warn!(flow = %info.flow, interface = %info.interface, remote = %info.remote, code, reason, "closing websocket");
            (code, reason)
        }
    };
    let close = async {
        wr.write_frame(Frame::close(code, reason.as_bytes()))
            .await?;
        wr.flush().await
    };
    let _ = timeout(std::time::Duration::from_secs(1), close).await;
    drop(slot);
    shared.closed(info).await;
}

async fn write_loop(
    wr: &mut WebSocketWrite<WriteHalf<Upgraded>>,
    rx: &mut mpsc::Receiver<Out>,
    ping_interval: Option<std::time::Duration>,
) {
    let mut ping = ping_interval.map(|every| {
        let mut i = tokio::time::interval_at(Instant::now() + every, every);
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        i
    });
    loop {
        let frame = tokio::select! {
            out = rx.recv() => match out {
                None => return,
                Some(Out::Sip(data)) => {
                    // RFC 7118 §5.1: text for UTF-8 messages, else binary.
                    let payload = Payload::Owned(data.to_vec());
                    if std::str::from_utf8(&data).is_ok() {
                        Frame::text(payload)
                    } else {
                        Frame::binary(payload)
                    }
                }
                Some(Out::WsPong(data)) => Frame::pong(Payload::Owned(data.to_vec())),
            },
            _ = async {
                match ping.as_mut() {
                    Some(p) => p.tick().await,
                    None => std::future::pending().await,
                }
            } => Frame::new(true, OpCode::Ping, None, Payload::Owned(Vec::new())),
        };
        if wr.write_frame(frame).await.is_err() {
            return;
        }
        // TLS (WSS) holds records until flushed; flush once the queue is
        // drained so a burst goes out in few records.
        if rx.is_empty() && wr.flush().await.is_err() {
            return;
        }
    }
}

async fn read_loop(
    shared: &Shared,
    rd: &mut WebSocketRead<ReadHalf<Upgraded>>,
    info: &FlowInfo,
    limits: &crate::Limits,
    cancel: &Cancel,
    tx: mpsc::Sender<Out>,
) -> End {
    let max = limits.max_message_bytes;
    let mut deadline = Instant::now() + limits.idle_timeout;
    // Fragments of the message being reassembled: (is_text, bytes).
    let mut partial: Option<(bool, Vec<u8>)> = None;
    // Pongs go through the writer's queue; the close echo is written by
    // `run` once the reader has stopped.
    let mut obligated = |frame: Frame<'_>| {
        let result = match frame.opcode {
            OpCode::Pong => tx
                .try_send(Out::WsPong(Bytes::copy_from_slice(&frame.payload)))
                .map_err(|_| "send queue full"),
            _ => Ok(()),
        };
        std::future::ready(result)
    };
    loop {
        let frame = tokio::select! {
            () = cancel.cancelled() => return End::Normal,
            () = sleep_until(deadline) => {
                tracing::info!(flow = %info.flow, interface = %info.interface, remote = %info.remote, "idle timeout");
                return End::Normal;
            }
            frame = rd.read_frame(&mut obligated) => frame,
        };
        let frame = match frame {
            Ok(frame) => frame,
            Err(WebSocketError::FrameTooLarge) => {
                return End::Close(CLOSE_TOO_BIG, "message too big");
            }
            Err(WebSocketError::InvalidUTF8) => return End::Close(CLOSE_INVALID, "invalid UTF-8"),
            Err(e) => {
                tracing::debug!(flow = %info.flow, remote = %info.remote, error = %e, "websocket read ended");
                return End::Normal;
            }
        };
        deadline = Instant::now() + limits.idle_timeout;
        let message = match (frame.opcode, partial.as_mut()) {
            (OpCode::Close, _) => return End::Normal,
            (OpCode::Ping | OpCode::Pong, _) => continue,
            (OpCode::Text | OpCode::Binary, Some(_)) | (OpCode::Continuation, None) => {
                return End::Close(1002, "unexpected frame in fragmented message");
            }
            (OpCode::Text | OpCode::Binary, None) => {
                if !frame.fin {
                    partial = Some((frame.opcode == OpCode::Text, frame.payload.to_vec()));
                    continue;
                }
                payload_bytes(frame.payload)
            }
            (OpCode::Continuation, Some((_, buf))) => {
                if buf.len().saturating_add(frame.payload.len()) > max {
                    return End::Close(CLOSE_TOO_BIG, "message too big");
                }
                buf.extend_from_slice(&frame.payload);
                if !frame.fin {
                    continue;
                }
                let Some((is_text, buf)) = partial.take() else {
                    continue;
                };
                if is_text && std::str::from_utf8(&buf).is_err() {
                    return End::Close(CLOSE_INVALID, "invalid UTF-8");
                }
                Bytes::from(buf)
            }
        };
        // RFC 7118 has no keepalive of its own; clients send CRLF (as on
        // streams, RFC 5626 §3.5.1) which carries no SIP message.
        if message.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            continue;
        }
        let inbound = Inbound {
            flow: info.flow,
            interface: info.interface.clone(),
            kind: info.kind,
            local: info.local,
            remote: info.remote,
            data: message,
        };
        if shared
            .events
            .send(TransportEvent::Message(inbound))
            .await
            .is_err()
        {
            return End::Normal;
        }
    }
}

fn payload_bytes(payload: Payload<'_>) -> Bytes {
    match payload {
        Payload::Bytes(b) => b.freeze(),
        other => Bytes::copy_from_slice(&other),
    }
}
