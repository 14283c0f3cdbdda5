//! The admin endpoint: health, readiness, the running plan, status and Prometheus metrics, over
//! HTTP/1.1 on the plan's `admin.listen` (loopback by default).
//!
//! Every request but `/healthz` needs `Authorization: Bearer <token>` when the plan names a token
//! file; without a token file the endpoint is open, so keep it on loopback. Errors are JSON:
//! `{"error": "..."}`.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::metrics;
use crate::status::StatusHandle;

/// Binds the admin listener and serves it until the task is aborted.
pub async fn start(
    listen: SocketAddr,
    token: Option<String>,
    handle: StatusHandle,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(listen).await?;
    let local = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let (stream, remote) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    warn!(error = %e, "admin accept failed");
                    continue;
                }
            };
            let (token, handle) = (token.clone(), handle.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let (token, handle) = (token.clone(), handle.clone());
                    async move { Ok::<_, Infallible>(route(req, token.as_deref(), &handle).await) }
                });
                if let Err(e) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    debug!(%remote, error = %e, "admin connection ended");
                }
            });
        }
    });
    Ok((local, task))
}

async fn route(
    req: Request<Incoming>,
    token: Option<&str>,
    handle: &StatusHandle,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    if req.method() == Method::GET && path == "/healthz" {
        return text(StatusCode::OK, "text/plain; charset=utf-8", "ok\n".into());
    }
    if let Some(expected) = token {
        let given = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| constant_time_eq(g.trim().as_bytes(), expected.as_bytes())) {
            return error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
        }
    }
    if req.method() != Method::GET {
        return error(StatusCode::METHOD_NOT_ALLOWED, "only GET is served here");
    }
    match path.as_str() {
        "/readyz" => match handle.status().await {
            Some(_) => text(
                StatusCode::OK,
                "text/plain; charset=utf-8",
                "ready\n".into(),
            ),
            None => error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the SIP core is not running",
            ),
        },
        "/plan" => text(
            StatusCode::OK,
            "application/json",
            handle.plan().to_canonical_json(),
        ),
        "/status" => match handle.status().await {
            Some(s) => text(
                StatusCode::OK,
                "application/json",
                serde_json::to_string_pretty(&s).unwrap_or_default(),
            ),
            None => error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the SIP core is not running",
            ),
        },
        "/metrics" => match handle.status().await {
            Some(s) => text(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                metrics::render(&s),
            ),
            None => error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the SIP core is not running",
            ),
        },
        _ => error(
            StatusCode::NOT_FOUND,
            "no such endpoint: /healthz, /readyz, /plan, /status, /metrics",
        ),
    }
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "error": message }).to_string();
    text(status, "application/json", body)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
