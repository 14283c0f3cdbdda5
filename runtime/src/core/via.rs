//! Stamping the top Via of a received request (RFC 3261 §18.2.1, RFC 3581).

use std::net::SocketAddr;

use sbcctl_sip::{HeaderError, Host, Request};

/// Adds `received` when the sent-by host is not the packet's source address, and fills an
/// empty `rport` with the source port. WebSocket clients always get `received` (their sent-by
/// is a made-up `*.invalid` name).
pub fn stamp_received(req: &mut Request, remote: SocketAddr) -> Result<(), HeaderError> {
    let mut vias = req.headers.vias()?;
    let Some(top) = vias.first_mut() else {
        return Ok(());
    };
    let source = remote.ip();
    let sent_by_is_source = match &top.host {
        Host::Ipv4(ip) => std::net::IpAddr::V4(*ip) == source,
        Host::Ipv6(ip) => std::net::IpAddr::V6(*ip) == source,
        Host::Domain(_) => false,
    };
    let wants_rport = top.rport() == Some(None);
    if sent_by_is_source && !wants_rport {
        return Ok(());
    }
    if !sent_by_is_source {
        top.params.set("received", Some(&source.to_string()));
    }
    if wants_rport {
        top.params.set("rport", Some(&remote.port().to_string()));
    }
    let lines = req.headers.count("Via");
    if lines == vias.len() {
        // One value per line (the usual shape): replace only the first line, keep the others as
        // received.
        let top = vias[0].to_string();
        req.headers.remove_first("Via");
        if lines > 1 {
            req.headers.insert_before_first("Via", top);
        } else {
            req.headers.insert_front("Via", top);
        }
    } else {
        let joined: Vec<String> = vias.iter().map(ToString::to_string).collect();
        req.headers.set("Via", joined.join(", "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbcctl_sip::{Message, parse};

    fn request(vias: &str) -> Request {
        let text = format!(
            "OPTIONS sip:sbc SIP/2.0\r\n{vias}From: <sip:a@b>;tag=1\r\nTo: <sip:sbc>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        match parse(text.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("test request did not parse: {other:?}"),
        }
    }

    fn top(req: &Request) -> String {
        req.headers
            .top_via()
            .map(|v| v.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn websocket_via_gets_received_and_rport() {
        let mut req = request("Via: SIP/2.0/WS df7jal23ls0d.invalid;rport;branch=z9hG4bK1\r\n");
        stamp_received(&mut req, "192.0.2.4:40001".parse().unwrap()).unwrap();
        let via = top(&req);
        assert!(via.contains("received=192.0.2.4"), "{via}");
        assert!(via.contains("rport=40001"), "{via}");
        assert!(via.contains("branch=z9hG4bK1"), "{via}");
    }

    #[test]
    fn matching_source_without_rport_is_untouched() {
        let mut req = request("Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1\r\n");
        let before = req.to_bytes();
        stamp_received(&mut req, "192.0.2.4:5060".parse().unwrap()).unwrap();
        assert_eq!(before, req.to_bytes());
    }

    #[test]
    fn only_the_top_via_changes() {
        let mut req = request(
            "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport\r\nVia: SIP/2.0/UDP  proxy.example.com;branch=z9hG4bK0\r\n",
        );
        stamp_received(&mut req, "192.0.2.4:6000".parse().unwrap()).unwrap();
        let vias = req.headers.vias().unwrap();
        assert_eq!(vias.len(), 2);
        assert_eq!(vias[0].received(), Some("192.0.2.4"));
        assert_eq!(vias[0].rport(), Some(Some(6000)));
        let second = req
            .headers
            .get_all("Via")
            .nth(1)
            .map(|h| h.raw_value().clone());
        assert_eq!(
            second.as_deref(),
            Some(&b"SIP/2.0/UDP  proxy.example.com;branch=z9hG4bK0"[..])
        );
    }

    #[test]
    fn folded_vias_in_one_line_are_rewritten_together() {
        let mut req = request(
            "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\n",
        );
        stamp_received(&mut req, "192.0.2.4:6000".parse().unwrap()).unwrap();
        let vias = req.headers.vias().unwrap();
        assert_eq!(vias.len(), 2);
        assert_eq!(vias[0].received(), Some("192.0.2.4"));
        assert_eq!(vias[1].received(), None);
    }
}
