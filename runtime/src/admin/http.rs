//! The admin endpoint: HTTP/1.1 on the plan's `admin.listen` (loopback by default). The API is
//! described in [`super::api`].
//!
//! Every request but `/healthz` needs `Authorization: Bearer <token>` when the plan names a
//! token file; without a token file the endpoint is open, so keep it on loopback. The token is
//! compared in constant time. Errors are JSON: `{"error": "..."}`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Weak};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, IF_MATCH};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sbcctl_compiler::plan::Plan;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use super::{ApplyError, ApplySource};
use crate::host::Shared;
use crate::status::StatusHandle;

/// The largest plan `POST /plan` takes: plans with thousands of users stay far below.
const MAX_PLAN_BYTES: usize = 32 * 1024 * 1024;

/// A bound admin listener not serving yet (an apply binds before it commits).
pub(crate) struct Listening {
    listener: TcpListener,
}

/// A serving admin endpoint.
pub(crate) struct Server {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    pub async fn bind(listen: SocketAddr) -> std::io::Result<Listening> {
        Ok(Listening {
            listener: TcpListener::bind(listen).await?,
        })
    }

    /// Stops accepting; requests in progress (the `POST /plan` that moved the endpoint) finish.
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Listening {
    /// Serves until [`Server::stop`]. Holds the host weakly: once the host is gone every request
    /// gets 503.
    pub fn serve(self, shared: Weak<Shared>) -> Server {
        let listener = self.listener;
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let task = tokio::spawn(async move {
            loop {
                let (stream, remote) = match listener.accept().await {
                    Ok(s) => s,
                    Err(e) => {
                        warn!(error = %e, "admin accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let shared = shared.clone();
                        async move {
                            let resp = match shared.upgrade() {
                                Some(shared) => route(req, &shared).await,
                                None => {
                                    error(StatusCode::SERVICE_UNAVAILABLE, "the host is stopping")
                                }
                            };
                            Ok::<_, Infallible>(resp)
                        }
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
        Server { addr, task }
    }
}

async fn route(req: Request<Incoming>, shared: &Arc<Shared>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    if method == Method::GET && path == "/healthz" {
        return text(StatusCode::OK, "text/plain; charset=utf-8", "ok\n".into());
    }
    if let Some(expected) = shared.token.load_full() {
        let given = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| constant_time_eq(g.trim().as_bytes(), expected.as_bytes())) {
            return error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
        }
    }
    let handle = StatusHandle {
        shared: shared.clone(),
    };
    match (method, path.as_str()) {
        (Method::GET, "/readyz") => {
            if shared.is_draining() {
                return error(StatusCode::SERVICE_UNAVAILABLE, "draining");
            }
            match handle.status().await {
                Some(_) => text(
                    StatusCode::OK,
                    "text/plain; charset=utf-8",
                    "ready\n".into(),
                ),
                None => error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the SIP core is not running",
                ),
            }
        }
        (Method::GET, "/plan") => text(
            StatusCode::OK,
            "application/json",
            handle.plan().to_canonical_json(),
        ),
        (Method::POST, "/plan") => post_plan(req, shared).await,
        (Method::GET, "/status") => match handle.status().await {
            Some(s) => json(StatusCode::OK, &s),
            None => error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the SIP core is not running",
            ),
        },
        (Method::GET, "/metrics") => match handle.status().await {
            Some(s) => text(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                crate::metrics::render(&s, &shared.observer),
            ),
            None => error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the SIP core is not running",
            ),
        },
        (_, "/readyz" | "/plan" | "/status" | "/metrics" | "/healthz") => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed on this endpoint",
        ),
        _ => error(
            StatusCode::NOT_FOUND,
            "no such endpoint: /healthz, /readyz, /plan, /status, /metrics",
        ),
    }
}

/// `POST /plan`: a compiled plan in the body; `If-Match: "<hash>"` makes the apply conditional
/// on the plan running now (the CLI sends the hash it diffed against).
async fn post_plan(req: Request<Incoming>, shared: &Arc<Shared>) -> Response<Full<Bytes>> {
    let expect = req
        .headers()
        .get(IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_matches('"').to_owned());
    let body = match Limited::new(req.into_body(), MAX_PLAN_BYTES)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("cannot read the plan: {e}"),
            );
        }
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return error(StatusCode::BAD_REQUEST, "the plan is not UTF-8 text");
    };
    let plan = match Plan::from_json(text) {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    match super::apply(shared, plan, ApplySource::Admin, expect.as_deref()).await {
        Ok(report) => json(StatusCode::OK, &report),
        Err(e) => {
            let status = match e {
                ApplyError::Refused(_) => StatusCode::CONFLICT,
                ApplyError::Conflict { .. } => StatusCode::PRECONDITION_FAILED,
                ApplyError::Draining | ApplyError::CoreGone => StatusCode::SERVICE_UNAVAILABLE,
            };
            error(status, &e.to_string())
        }
    }
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response<Full<Bytes>> {
    match serde_json::to_string_pretty(value) {
        Ok(mut body) => {
            body.push('\n');
            text(status, "application/json", body)
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "error": message }).to_string();
    text(status, "application/json", body)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
