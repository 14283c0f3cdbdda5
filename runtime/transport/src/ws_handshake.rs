//! WebSocket handshake checks of RFC 7118 §4.1 and RFC 6455 §10.2 that
//! fastwebsockets leaves to the server: the `sip` subprotocol and Origin.

use hyper::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL};

use crate::WsConfig;

/// RFC 6455 §10.2: a browser always sends Origin; a server refuses origins
/// it does not expect. Comparison is on the serialized origin
/// (scheme://host[:port]); scheme and host are case-insensitive.
pub(crate) fn check_origin(ws: &WsConfig, origin: Option<&HeaderValue>) -> Result<(), String> {
    let Some(origin) = origin else {
        return if ws.require_origin {
            Err("Origin header required".to_owned())
        } else {
            Ok(())
        };
    };
    let origin = origin.to_str().unwrap_or_default().trim();
    let allowed = ws
        .allowed_origins
        .iter()
        .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(origin));
    if allowed {
        Ok(())
    } else {
        Err(format!("origin `{origin}` is not allowed"))
    }
}

/// The `sip` token as the client spelled it (RFC 7118 §4.1: the token is
/// `sip`; some clients send `SIP`, and the answer must echo an offered
/// token exactly).
pub(crate) fn offered_sip(headers: &hyper::HeaderMap) -> Option<HeaderValue> {
    headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find(|t| t.eq_ignore_ascii_case("sip"))
        .and_then(|t| HeaderValue::from_str(t).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(origins: &[&str], require: bool) -> WsConfig {
        WsConfig {
            allowed_origins: origins.iter().map(|s| (*s).to_owned()).collect(),
            require_origin: require,
            ..WsConfig::default()
        }
    }

    #[test]
    fn origin_rules() {
        let hv = HeaderValue::from_static;
        let cfg = ws(&["https://app.example.com"], true);
        assert!(check_origin(&cfg, Some(&hv("https://app.example.com"))).is_ok());
        assert!(check_origin(&cfg, Some(&hv("HTTPS://APP.example.com"))).is_ok());
        assert!(check_origin(&cfg, Some(&hv("https://app.example.com:8443"))).is_err());
        assert!(check_origin(&cfg, Some(&hv("http://app.example.com"))).is_err());
        assert!(check_origin(&cfg, None).is_err());
        assert!(check_origin(&ws(&["https://a"], false), None).is_ok());
        assert!(check_origin(&ws(&["*"], true), Some(&hv("https://evil"))).is_ok());
    }

    #[test]
    fn subprotocol_is_echoed_as_offered() {
        let mut h = hyper::HeaderMap::new();
        h.append(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("chat, SIP"),
        );
        assert_eq!(offered_sip(&h), Some(HeaderValue::from_static("SIP")));
        let mut h = hyper::HeaderMap::new();
        h.append(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("xmpp"));
        h.append(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("sips"));
        assert_eq!(offered_sip(&h), None);
    }
}
