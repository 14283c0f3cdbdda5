use super::*;
use proptest::prelude::*;

const CHROME: &str = include_str!("../../tests/fixtures/chrome_offer.sdp");
const FIREFOX: &str = include_str!("../../tests/fixtures/firefox_offer.sdp");
const PBX: &str = include_str!("../../tests/fixtures/pbx_offer.sdp");
const PBX_RTCP: &str = include_str!("../../tests/fixtures/pbx_offer_rtcp.sdp");
const HOLD_C0: &str = include_str!("../../tests/fixtures/pbx_hold_c0.sdp");
const HOLD_SENDONLY: &str = include_str!("../../tests/fixtures/pbx_hold_sendonly.sdp");

#[test]
fn print_round_trips_every_fixture() {
    for text in [CHROME, FIREFOX, PBX, PBX_RTCP, HOLD_C0, HOLD_SENDONLY] {
        let sdp = Sdp::parse(text).unwrap();
        let printed = sdp.to_string();
        assert_eq!(printed, text.replace('\n', "\r\n"));
        assert_eq!(Sdp::parse(&printed).unwrap(), sdp);
    }
}

#[test]
fn chrome_offer_typed_accessors() {
    let sdp = Sdp::parse(CHROME).unwrap();
    assert_eq!(sdp.bundle_group(), Some(vec!["0", "1"]));
    assert_eq!(sdp.media.len(), 2);
    let (idx, audio) = sdp.audio().unwrap();
    assert_eq!(idx, 0);
    assert_eq!(audio.mline.proto, "UDP/TLS/RTP/SAVPF");
    assert_eq!(
        audio.mline.payload_types().collect::<Vec<_>>(),
        [111, 63, 9, 0, 8, 13, 110, 126]
    );
    assert_eq!(audio.rtpmap(110).unwrap().clock, 48000);
    assert_eq!(audio.rtpmap(111).unwrap().channels, Some(2));
    assert_eq!(audio.fmtp(111), Some("minptime=10;useinbandfec=1"));
    assert_eq!(audio.mid(), Some("0"));
    assert_eq!(audio.ice_ufrag(), Some("Xb2J"));
    assert_eq!(audio.ice_pwd(), Some("2vZp9Vq2cBHy8sTq1vB7JkYw"));
    assert_eq!(audio.ice_options(), ["trickle"]);
    assert_eq!(audio.setup(), Some(Setup::ActPass));
    assert_eq!(audio.fingerprint().unwrap().hash, "sha-256");
    assert_eq!(audio.candidates().count(), 2);
    assert_eq!(audio.extmaps().count(), 4);
    assert_eq!(audio.ssrcs().count(), 2);
    assert_eq!(audio.rtcp_fbs().count(), 1);
    assert!(audio.rtcp_mux());
    assert_eq!(audio.rtcp().unwrap().port, 9);
    assert_eq!(audio.direction(&sdp), Direction::SendRecv);
    // c=0.0.0.0 is the ICE placeholder here, not hold.
    assert!(audio.connection().unwrap().is_hold());
    assert!(!audio.is_hold(&sdp));
    assert!(!sdp.media[1].mline.is_plain_rtp());
}

#[test]
fn firefox_session_level_attributes() {
    let sdp = Sdp::parse(FIREFOX).unwrap();
    assert_eq!(sdp.fingerprint().unwrap().hash, "sha-256");
    assert_eq!(sdp.direction(), Some(Direction::SendRecv));
    let (_, audio) = sdp.audio().unwrap();
    assert_eq!(audio.rtpmap(9).unwrap().channels, Some(1));
    assert!(!audio.is_hold(&sdp));
}

#[test]
fn pbx_offers() {
    let sdp = Sdp::parse(PBX).unwrap();
    let (_, a) = sdp.audio().unwrap();
    assert!(a.mline.is_plain_rtp());
    assert_eq!(a.ptime(), Some(20));
    assert_eq!(a.maxptime(), Some(150));
    assert!(a.rtcp().is_none());
    assert_eq!(
        a.effective_connection(&sdp).unwrap().ip(),
        "203.0.113.10".parse().ok()
    );
    let rt = Sdp::parse(PBX_RTCP).unwrap();
    let r = rt.audio().unwrap().1.rtcp().unwrap();
    assert_eq!(r.port, 24681);
    assert_eq!(r.address.as_deref(), Some("IN IP4 198.51.100.20"));
}

#[test]
fn hold_detection() {
    let c0 = Sdp::parse(HOLD_C0).unwrap();
    assert!(c0.audio().unwrap().1.is_hold(&c0));
    let so = Sdp::parse(HOLD_SENDONLY).unwrap();
    assert!(so.audio().unwrap().1.is_hold(&so));
    assert_eq!(so.audio().unwrap().1.direction(&so), Direction::SendOnly);
    let active = Sdp::parse(PBX).unwrap();
    assert!(!active.audio().unwrap().1.is_hold(&active));
}

#[test]
fn setters_replace_in_place() {
    let mut sdp = Sdp::parse(HOLD_SENDONLY).unwrap();
    sdp.set_connection(&Connection::from_ip("192.0.2.9".parse().unwrap()));
    let m = &mut sdp.media[0];
    m.set_direction(Direction::RecvOnly);
    m.set_connection(&Connection::from_ip("2001:db8::1".parse().unwrap()));
    let text = sdp.to_string();
    assert!(text.contains("c=IN IP4 192.0.2.9\r\nt=0 0"));
    assert!(text.contains("m=audio 17324 RTP/AVP 0 8 101\r\nc=IN IP6 2001:db8::1\r\n"));
    assert!(text.ends_with("a=recvonly\r\n"));
    assert!(!text.contains("sendonly"));
}

#[test]
fn errors_are_typed() {
    assert_eq!(Sdp::parse(""), Err(SdpError::MissingVersion));
    assert_eq!(Sdp::parse("o=x\r\n"), Err(SdpError::MissingVersion));
    assert_eq!(
        Sdp::parse("v=0\r\nnonsense\r\n"),
        Err(SdpError::BadLine { line: 2 })
    );
    assert!(matches!(
        Sdp::parse("v=0\r\nm=audio x RTP/AVP 0\r\n"),
        Err(SdpError::BadMedia { line: 2, .. })
    ));
    assert!(matches!(
        Sdp::parse("v=0\nm=audio 5 RTP/AVP\n"),
        Err(SdpError::BadMedia { .. })
    ));
    assert_eq!(Sdp::parse_bytes(b"v=0\r\n\xff=1"), Err(SdpError::NotUtf8));
}

#[test]
fn malformed_attributes_are_none_not_errors() {
    let sdp =
        Sdp::parse("v=0\r\nm=audio 5 RTP/AVP 0\r\na=rtpmap:x y\r\na=ptime:abc\r\na=rtcp:\r\n")
            .unwrap();
    let m = &sdp.media[0];
    assert_eq!(m.rtpmaps().count(), 0);
    assert_eq!(m.ptime(), None);
    assert_eq!(m.rtcp(), None);
}

proptest! {
    #[test]
    fn random_text_never_panics(s in "\\PC{0,300}") {
        let _ = Sdp::parse(&s);
    }

    #[test]
    fn random_lines_never_panic_and_reprint_stably(lines in proptest::collection::vec("[a-z]=[ -~]{0,40}", 0..20)) {
        let text = format!("v=0\r\n{}", lines.join("\r\n"));
        if let Ok(sdp) = Sdp::parse(&text) {
            let again = Sdp::parse(&sdp.to_string()).unwrap();
            prop_assert_eq!(again, sdp);
        }
    }
}
