//! TCP and TLS connections: accept loop, connection task and outbound
//! connect (RFC 3261 §18.3 framing, RFC 5626 §3.5.1 CRLF keepalive).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};

use crate::cancel::Cancel;
use crate::framing::{Frame, StreamFramer};
use crate::registry::{ConnSlot, Interface, Out, Shared, Sink};
use crate::{FlowId, FlowInfo, Inbound, SendError, TransportEvent, TransportKind};

/// How much to read at once.
const READ_CHUNK: usize = 4096;

/// The next accepted TCP connection of a listener, or `None` once the interface stops
/// accepting. Accept errors (EMFILE and friends) back off instead of spinning.
pub(crate) async fn next_connection(
    iface: &Interface,
    listener: &TcpListener,
) -> Option<(tokio::net::TcpStream, std::net::SocketAddr)> {
    loop {
        tokio::select! {
            () = iface.accept.cancelled() => return None,
            accepted = listener.accept() => match accepted {
                Ok(a) => return Some(a),
                Err(e) => {
                    tracing::warn!(interface = %iface.name, error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
        }
    }
}

pub(crate) async fn accept_loop(shared: Arc<Shared>, iface: Arc<Interface>, listener: TcpListener) {
    let acceptor = iface
        .config
        .tls
        .clone()
        .map(tokio_rustls::TlsAcceptor::from);
    while let Some((tcp, remote)) = next_connection(&iface, &listener).await {
        let slot = match iface.try_slot(remote.ip()) {
            Ok(slot) => slot,
            Err(refusal) => {
                tracing::warn!(interface = %iface.name, %remote, reason = %refusal, "connection refused");
                drop(tcp);
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        let iface = iface.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let handshake = iface.config.limits.handshake_timeout;
            match acceptor {
                None => serve(shared, iface, tcp, remote, Some(slot)).await,
                Some(acceptor) => match timeout(handshake, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => serve(shared, iface, tls, remote, Some(slot)).await,
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

/// Registers the flow and runs it to the end.
async fn serve<S>(
    shared: Arc<Shared>,
    iface: Arc<Interface>,
    io: S,
    remote: SocketAddr,
    slot: Option<ConnSlot>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (info, rx, cancel) = register(&shared, &iface, remote).await;
    run(&shared, &iface, io, &info, rx, cancel).await;
    drop(slot);
    shared.closed(info).await;
}

async fn register(
    shared: &Shared,
    iface: &Interface,
    remote: SocketAddr,
) -> (FlowInfo, mpsc::Receiver<Out>, Cancel) {
    let (tx, rx) = mpsc::channel(iface.config.limits.send_queue.max(1));
    let cancel = shared.root.child();
    let info = FlowInfo {
        flow: FlowId::next(),
        interface: iface.name.clone(),
        kind: iface.config.kind,
        local: iface.local,
        remote,
    };
    shared
        .open(info.clone(), Sink::Queue(tx), cancel.clone())
        .await;
    (info, rx, cancel)
}

async fn run<S>(
    shared: &Shared,
    iface: &Interface,
    mut io: S,
    info: &FlowInfo,
    mut rx: mpsc::Receiver<Out>,
    cancel: Cancel,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let limits = &iface.config.limits;
    let mut framer = StreamFramer::new(limits.max_message_bytes);
    let mut deadline = Instant::now() + limits.idle_timeout;
    loop {
        framer.buffer_mut().reserve(READ_CHUNK);
        tokio::select! {
            () = cancel.cancelled() => break,
            () = sleep_until(deadline) => {
                tracing::info!(flow = %info.flow, interface = %info.interface, remote = %info.remote, "idle timeout");
                break;
            }
            read = io.read_buf(framer.buffer_mut()) => {
                match read {
                    Ok(0) => break,
                    Ok(_) => deadline = Instant::now() + limits.idle_timeout,
                    Err(e) => {
                        tracing::debug!(flow = %info.flow, remote = %info.remote, error = %e, "read failed");
                        break;
                    }
                }
                if !deliver(shared, &mut io, &mut framer, info, limits.idle_timeout).await {
                    break;
                }
            }
            out = rx.recv() => {
                let Some(Out::Sip(data)) = out else { break };
                if !write(&mut io, &data, limits.idle_timeout).await {
                    tracing::debug!(flow = %info.flow, remote = %info.remote, "write failed");
                    break;
                }
            }
        }
    }
    let _ = timeout(std::time::Duration::from_secs(1), io.shutdown()).await;
}

/// Hands every complete message to the SIP layer; false closes the flow.
async fn deliver<S>(
    shared: &Shared,
    io: &mut S,
    framer: &mut StreamFramer,
    info: &FlowInfo,
    write_timeout: std::time::Duration,
) -> bool
where
    S: AsyncWrite + Unpin,
{
    loop {
        match framer.next_frame() {
            Ok(None) => return true,
            Ok(Some(Frame::KeepAlivePing)) => {
                if !write(io, b"\r\n", write_timeout).await {
                    return false;
                }
            }
            Ok(Some(Frame::Message(data))) => {
                let inbound = Inbound {
                    flow: info.flow,
                    interface: info.interface.clone(),
                    kind: info.kind,
                    local: info.local,
                    remote: info.remote,
                    data,
                };
                if shared
                    .events
                    .send(TransportEvent::Message(inbound))
                    .await
                    .is_err()
                {
                    return false;
                }
            }
            Err(e) => {
                tracing::warn!(flow = %info.flow, interface = %info.interface, remote = %info.remote, error = %e, "closing connection: framing error");
                return false;
            }
        }
    }
}

/// Writes and flushes (TLS buffers records until flushed); a peer that
/// does not read for `limit` loses the connection.
async fn write<S: AsyncWrite + Unpin>(io: &mut S, data: &[u8], limit: std::time::Duration) -> bool {
    let write = async {
        io.write_all(data).await?;
        io.flush().await
    };
    matches!(timeout(limit, write).await, Ok(Ok(())))
}

/// Opens an outbound TCP or TLS connection and registers it as a flow.
pub(crate) async fn connect(
    shared: &Arc<Shared>,
    iface: &Arc<Interface>,
    remote: SocketAddr,
) -> Result<FlowId, SendError> {
    let kind = iface.config.kind;
    let client = match kind {
        TransportKind::Tcp => None,
        TransportKind::Tls => Some(
            iface
                .config
                .tls_client
                .clone()
                .ok_or(SendError::Unsupported(kind))?,
        ),
        other => return Err(SendError::Unsupported(other)),
    };
    let limit = iface.config.limits.handshake_timeout;
    let connect_err = |source| SendError::Connect { remote, source };
    let timed_out = || connect_err(std::io::ErrorKind::TimedOut.into());
    let tcp = timeout(limit, TcpStream::connect(remote))
        .await
        .map_err(|_| timed_out())?
        .map_err(connect_err)?;
    let _ = tcp.set_nodelay(true);
    match client {
        None => Ok(spawn_outbound(shared, iface, tcp, remote).await),
        Some(client) => {
            // Peers are addressed by IP here; the certificate must name it.
            let name = rustls::pki_types::ServerName::IpAddress(remote.ip().into());
            let connector = tokio_rustls::TlsConnector::from(client);
            let tls = timeout(limit, connector.connect(name, tcp))
                .await
                .map_err(|_| timed_out())?
                .map_err(connect_err)?;
            Ok(spawn_outbound(shared, iface, tls, remote).await)
        }
    }
}

async fn spawn_outbound<S>(
    shared: &Arc<Shared>,
    iface: &Arc<Interface>,
    io: S,
    remote: SocketAddr,
) -> FlowId
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (info, rx, cancel) = register(shared, iface, remote).await;
    let flow = info.flow;
    let (shared, iface) = (shared.clone(), iface.clone());
    tokio::spawn(async move {
        run(&shared, &iface, io, &info, rx, cancel).await;
        shared.closed(info).await;
    });
    flow
}
