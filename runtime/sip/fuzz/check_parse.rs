//! The property the `parse` fuzz target checks, shared with a normal test so
//! it is compiled and exercised on stable Rust too.

/// Parses arbitrary bytes; whatever the verdict, nothing may panic, an
/// accepted message must re-serialize to bytes that parse to the same
/// message, and every typed view must answer without panicking.
pub fn check_parse(data: &[u8]) {
    match sbcctl_sip::parse(data) {
        Ok(msg) => {
            let printed = msg.to_bytes();
            let again = sbcctl_sip::parse(&printed);
            assert_eq!(
                again.as_ref(),
                Ok(&msg),
                "parse -> print -> parse changed the message"
            );
            let h = msg.headers();
            let _ = h.vias();
            let _ = h.from();
            let _ = h.to();
            let _ = h.call_id();
            let _ = h.cseq();
            let _ = h.contacts();
            let _ = h.routes();
            let _ = h.record_routes();
            let _ = h.paths();
            let _ = h.expires();
            let _ = h.content_type();
            let _ = h.supported();
            let _ = h.require();
            let _ = h.authorization();
            let _ = h.www_authenticate();
            if let sbcctl_sip::Message::Request(r) = &msg {
                let _ = r.uri().map(|u| u.to_string());
            }
        }
        Err(e) => {
            let _ = e.reason_phrase();
            if let Some(r) = e.response() {
                let _ = r.to_bytes();
            }
        }
    }
}
