//! A client of the admin API, for `sbcctl apply`, `status` and `diff --admin`.
//!
//! Plain HTTP/1.1, one connection per request: the endpoint is meant for loopback or a
//! management network (reach a remote one through an SSH tunnel).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, IF_MATCH};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use sbcctl_compiler::plan::Plan;
use tokio::net::TcpStream;

use super::api::{ApplyReport, ErrorBody};

/// How long one request may take (an apply that rebinds listeners takes well under a second).
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("admin URL {url}: {reason}")]
    Url { url: String, reason: String },
    #[error("cannot reach the admin endpoint at {authority}: {reason}")]
    Connect { authority: String, reason: String },
    /// The endpoint answered with an error (its message is in `message`).
    #[error("{status}: {message}")]
    Status { status: u16, message: String },
    #[error("unexpected answer from the admin endpoint: {0}")]
    Body(String),
}

pub struct AdminClient {
    authority: String,
    /// The URL's path without its trailing slash ("" for the root).
    prefix: String,
    token: Option<String>,
}

impl AdminClient {
    /// `url` is `http://HOST:PORT` (an optional path prefix is kept) or just `HOST:PORT`.
    pub fn new(url: &str, token: Option<String>) -> Result<AdminClient, ClientError> {
        let bad = |reason: &str| ClientError::Url {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let full = if url.contains("://") {
            url.to_owned()
        } else {
            format!("http://{url}")
        };
        let uri: Uri = full.parse().map_err(|_| bad("not a URL"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(bad(
                    "https is not supported: keep the endpoint on loopback or a management network, or tunnel to it",
                ));
            }
            _ => return Err(bad("the scheme must be http")),
        }
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        let authority = match authority.port_u16() {
            Some(_) => authority.to_string(),
            None => format!("{}:80", authority.host()),
        };
        Ok(AdminClient {
            authority,
            prefix: uri.path().trim_end_matches('/').to_owned(),
            token,
        })
    }

    /// The running plan (its hash is checked).
    pub async fn plan(&self) -> Result<Plan, ClientError> {
        let body = self.call(Method::GET, "/plan", None, None).await?;
        let text = std::str::from_utf8(&body).map_err(|e| ClientError::Body(e.to_string()))?;
        Plan::from_json(text).map_err(|e| ClientError::Body(e.to_string()))
    }

    /// Applies `plan`; with `if_match`, only when that plan is the one running.
    pub async fn apply(
        &self,
        plan: &Plan,
        if_match: Option<&str>,
    ) -> Result<ApplyReport, ClientError> {
        let body = self
            .call(
                Method::POST,
                "/plan",
                Some(plan.to_canonical_json()),
                if_match,
            )
            .await?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Body(e.to_string()))
    }

    /// `GET /status` as JSON.
    pub async fn status(&self) -> Result<serde_json::Value, ClientError> {
        let body = self.call(Method::GET, "/status", None, None).await?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Body(e.to_string()))
    }

    /// Any GET, as text (`/metrics`, `/readyz`).
    pub async fn get_text(&self, path: &str) -> Result<String, ClientError> {
        let body = self.call(Method::GET, path, None, None).await?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        if_match: Option<&str>,
    ) -> Result<Bytes, ClientError> {
        tokio::time::timeout(TIMEOUT, self.call_inner(method, path, body, if_match))
            .await
            .map_err(|_| ClientError::Connect {
                authority: self.authority.clone(),
                reason: format!("no answer within {} s", TIMEOUT.as_secs()),
            })?
    }

    async fn call_inner(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        if_match: Option<&str>,
    ) -> Result<Bytes, ClientError> {
        let connect = |e: &dyn std::fmt::Display| ClientError::Connect {
            authority: self.authority.clone(),
            reason: e.to_string(),
        };
        let stream = TcpStream::connect(&self.authority)
            .await
            .map_err(|e| connect(&e))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| connect(&e))?;
        tokio::spawn(conn);
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.prefix))
            .header(HOST, self.authority.as_str());
        if let Some(token) = &self.token {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(hash) = if_match {
            req = req.header(IF_MATCH, format!("\"{hash}\""));
        }
        if body.is_some() {
            req = req.header(CONTENT_TYPE, "application/json");
        }
        let req = req
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| ClientError::Body(e.to_string()))?;
        let resp = sender.send_request(req).await.map_err(|e| connect(&e))?;
        let status = resp.status();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| connect(&e))?
            .to_bytes();
        if status != StatusCode::OK {
            let message = serde_json::from_slice::<ErrorBody>(&bytes)
                .map(|e| e.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).trim().to_owned());
            return Err(ClientError::Status {
                status: status.as_u16(),
                message,
            });
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let c = AdminClient::new("http://127.0.0.1:9443/", None).expect("url");
        assert_eq!(
            (c.authority.as_str(), c.prefix.as_str()),
            ("127.0.0.1:9443", "")
        );
        let c = AdminClient::new("localhost:9443", None).expect("bare");
        assert_eq!(c.authority, "localhost:9443");
        let c = AdminClient::new("http://sbc/admin", None).expect("prefix");
        assert_eq!(
            (c.authority.as_str(), c.prefix.as_str()),
            ("sbc:80", "/admin")
        );
        assert!(AdminClient::new("https://sbc:9443", None).is_err());
        assert!(AdminClient::new("ftp://sbc", None).is_err());
    }
}
