//! Static files for plain HTTP GETs on a WebSocket interface (the demo
//! page). Paths are confined to the directory: no `..` segments, no
//! encoded separators, and the resolved path (after symlinks) must stay
//! inside the canonical root.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

/// Files larger than this are not served (the demo page is small).
const MAX_FILE: u64 = 16 * 1024 * 1024;

const NOT_BUILT: &str = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>sbcctl</title></head>\n<body><h1>The demo page is not built</h1>\n<p>The demo page is not built: run <code>npm --prefix examples/web ci &amp;&amp; npm --prefix examples/web run build</code></p>\n</body></html>\n";

fn response(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
    head: bool,
) -> Response<Full<Bytes>> {
    let len = body.len();
    let mut resp = Response::new(Full::new(if head { Bytes::new() } else { body }));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(len));
    resp
}

fn plain(status: StatusCode, body: &'static str, head: bool) -> Response<Full<Bytes>> {
    response(
        status,
        "text/plain; charset=utf-8",
        Bytes::from_static(body.as_bytes()),
        head,
    )
}

/// The Content-Type for a file name.
fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("map" | "json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("wasm") => "application/wasm",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Why a request path cannot name a file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unsafe;

/// Turns a URL path into a relative file path, refusing anything that
/// could leave the root: `..`, `.`, backslashes, NUL, percent escapes of
/// separators and dots. `/` and paths ending in `/` name `index.html`.
pub(crate) fn relative_path(url_path: &str) -> Result<PathBuf, Unsafe> {
    let decoded = percent_decode(url_path).ok_or(Unsafe)?;
    let trimmed = decoded.strip_prefix('/').ok_or(Unsafe)?;
    let mut rel = PathBuf::new();
    let mut segments = trimmed.split('/').peekable();
    while let Some(seg) = segments.next() {
        let last = segments.peek().is_none();
        if seg.is_empty() {
            if last {
                break; // trailing slash
            }
            return Err(Unsafe);
        }
        if seg == "." || seg == ".." || seg.contains(['\\', '\0', ':']) {
            return Err(Unsafe);
        }
        rel.push(seg);
    }
    if decoded.ends_with('/') {
        rel.push("index.html");
    }
    Ok(rel)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            let v = u8::from_str_radix(hex, 16).ok()?;
            // An encoded separator is never a legitimate file name here.
            if v == b'/' {
                return None;
            }
            out.push(v);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Serves `url_path` from `dir`.
pub(crate) async fn serve(dir: &Path, url_path: &str, head: bool) -> Response<Full<Bytes>> {
    let Ok(rel) = relative_path(url_path) else {
        tracing::warn!(path = url_path, "static file request refused: unsafe path");
        return plain(StatusCode::FORBIDDEN, "forbidden\n", head);
    };
    let is_index = rel == Path::new("index.html");
    let not_found = || {
        if is_index {
            response(
                StatusCode::NOT_FOUND,
                "text/html; charset=utf-8",
                Bytes::from_static(NOT_BUILT.as_bytes()),
                head,
            )
        } else {
            plain(StatusCode::NOT_FOUND, "not found\n", head)
        }
    };
    let Ok(root) = tokio::fs::canonicalize(dir).await else {
        return not_found();
    };
    let Ok(file) = tokio::fs::canonicalize(root.join(&rel)).await else {
        return not_found();
    };
    if !file.starts_with(&root) {
        tracing::warn!(
            path = url_path,
            "static file request refused: resolves outside the directory"
        );
        return plain(StatusCode::FORBIDDEN, "forbidden\n", head);
    }
    match tokio::fs::metadata(&file).await {
        Ok(meta) if meta.is_file() && meta.len() <= MAX_FILE => {}
        _ => return not_found(),
    }
    match tokio::fs::read(&file).await {
        Ok(data) => response(StatusCode::OK, content_type(&file), Bytes::from(data), head),
        Err(_) => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(relative_path("/"), Ok(PathBuf::from("index.html")));
        assert_eq!(relative_path("/app.js"), Ok(PathBuf::from("app.js")));
        assert_eq!(
            relative_path("/assets/"),
            Ok(PathBuf::from("assets/index.html"))
        );
        for bad in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/x",
            "/a%2fb",
            "/a//b",
            "/./a",
            "/a\\..\\b",
            "relative",
            "/%zz",
        ] {
            assert_eq!(relative_path(bad), Err(Unsafe), "{bad}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(
            content_type(Path::new("a.JS")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("a.map")), "application/json");
        assert_eq!(content_type(Path::new("a.svg")), "image/svg+xml");
        assert_eq!(content_type(Path::new("a")), "application/octet-stream");
    }
}
