//! Snapshots of SDP translation for browser-shaped and PBX-shaped offers.

mod common;

use common::{fixture, realm_ip, with_snapshots};
use sbcctl_media::codec::{Codec, common as common_codecs};
use sbcctl_media::sdp::{Direction, Sdp};
use sbcctl_media::translate::{LocalMedia, Origin, accept_answer, rtp_answer, rtp_offer};

const SIP: [Codec; 3] = [Codec::Pcmu, Codec::Pcma, Codec::TelephoneEvent(8000)];
const WEB: [Codec; 5] = [
    Codec::Opus,
    Codec::Pcmu,
    Codec::Pcma,
    Codec::TelephoneEvent(48000),
    Codec::TelephoneEvent(8000),
];

fn local(port: u16) -> LocalMedia {
    LocalMedia {
        ip: realm_ip(),
        rtp_port: port,
    }
}

fn offer_toward_sip(name: &str, allowed: &[Codec]) -> String {
    let offer = Sdp::parse(&fixture(name)).unwrap();
    let out = rtp_offer(&offer, allowed, local(40000), &mut Origin::new(1000)).unwrap();
    format!(
        "# remote: {:?}\n{}",
        out.pending.remote,
        out.sdp.to_string().replace("\r\n", "\n")
    )
}

#[test]
fn chrome_offer_to_sip() {
    let text = offer_toward_sip("chrome_offer.sdp", &common_codecs(&SIP, &WEB));
    with_snapshots(|| insta::assert_snapshot!("chrome_offer_to_sip", text));
}

#[test]
fn firefox_offer_to_sip() {
    let text = offer_toward_sip("firefox_offer.sdp", &common_codecs(&SIP, &WEB));
    with_snapshots(|| insta::assert_snapshot!("firefox_offer_to_sip", text));
}

#[test]
fn pbx_offers_anchored() {
    for name in [
        "pbx_offer.sdp",
        "pbx_offer_rtcp.sdp",
        "pbx_hold_c0.sdp",
        "pbx_hold_sendonly.sdp",
    ] {
        let text = offer_toward_sip(
            name,
            &[Codec::Pcma, Codec::Pcmu, Codec::TelephoneEvent(8000)],
        );
        let snap = format!("anchored_{}", name.trim_end_matches(".sdp"));
        with_snapshots(|| insta::assert_snapshot!(snap, text));
    }
}

#[test]
fn pbx_answer_back_to_pbx_offerer() {
    let offer = Sdp::parse(&fixture("pbx_offer_rtcp.sdp")).unwrap();
    let out = rtp_offer(&offer, &SIP, local(40000), &mut Origin::new(1000)).unwrap();
    let answer = Sdp::parse(
        "v=0\r\no=- 5 5 IN IP4 203.0.113.77\r\ns=-\r\nc=IN IP4 203.0.113.77\r\nt=0 0\r\n\
         m=audio 30000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-15\r\na=sendrecv\r\n",
    )
    .unwrap();
    let plan = accept_answer(&answer, &out.pending).unwrap();
    let sdp = rtp_answer(
        &out.pending,
        &plan.offerer,
        plan.answerer_remote.direction,
        local(40002),
        &mut Origin::new(2000),
    )
    .unwrap();
    let text = format!(
        "# plan: {plan:?}\n{}",
        sdp.to_string().replace("\r\n", "\n")
    );
    with_snapshots(|| insta::assert_snapshot!("pbx_answer_to_pbx", text));
    assert_eq!(plan.answerer_remote.direction, Direction::SendRecv);
}
