//! Snapshots of the SDP str0m writes for the browser, from SIP-side SDP:
//! a SIP answer becoming the browser's answer, and a SIP offer becoming a
//! WebRTC offer. Random values (ICE credentials, fingerprint, ids) are
//! redacted.

mod common;

use std::time::Instant;

use common::{fixture, realm_ip, redact, with_snapshots};
use sbcctl_media::codec::{Codec, common as common_codecs};
use sbcctl_media::sdp::{Direction, Sdp};
use sbcctl_media::translate::{
    LocalMedia, Origin, PendingOffer, accept_answer, rtp_answer, rtp_offer,
};
use sbcctl_media::webrtc::{LegConfig, WebRtcLeg, new_dtls_cert};
use str0m::change::SdpOffer;
use str0m::format::Codec as StrCodec;
use str0m::media::Frequency;
use str0m::{Candidate, Rtc};

const SIP: [Codec; 3] = [Codec::Pcmu, Codec::Pcma, Codec::TelephoneEvent(8000)];
const WEB: [Codec; 5] = [
    Codec::Opus,
    Codec::Pcmu,
    Codec::Pcma,
    Codec::TelephoneEvent(48000),
    Codec::TelephoneEvent(8000),
];

fn pbx_answer(pts: &str, rtpmaps: &str) -> Sdp {
    Sdp::parse(&format!(
        "v=0\r\no=- 5 5 IN IP4 203.0.113.77\r\ns=-\r\nc=IN IP4 203.0.113.77\r\nt=0 0\r\n\
         m=audio 30000 RTP/AVP {pts}\r\n{rtpmaps}a=sendrecv\r\n"
    ))
    .unwrap()
}

fn browser_answer_for(fixture_name: &str) -> String {
    let browser_offer = fixture(fixture_name);
    let offer = Sdp::parse(&browser_offer).unwrap();
    let local = LocalMedia {
        ip: realm_ip(),
        rtp_port: 40000,
    };
    let out = rtp_offer(
        &offer,
        &common_codecs(&SIP, &WEB),
        local,
        &mut Origin::new(1),
    )
    .unwrap();
    let answer = pbx_answer(
        "0 101",
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
    );
    let plan = accept_answer(&answer, &out.pending).unwrap();
    let config = LegConfig {
        local_addr: (realm_ip(), 3478).into(),
        codecs: plan.offerer.formats.clone(),
        cert: new_dtls_cert().unwrap(),
    };
    let mut leg = WebRtcLeg::new(Instant::now(), config).unwrap();
    let sdp = leg.accept_offer(&browser_offer).unwrap();
    let model = Sdp::parse(&sdp).unwrap();
    assert_eq!(
        model.media.len(),
        offer.media.len(),
        "answer mirrors the offer's m-lines"
    );
    assert_eq!(model.media[1].mline.port, 0, "video rejected");
    redact(&sdp)
}

#[test]
fn chrome_answer_from_pbx_answer() {
    let text = browser_answer_for("chrome_offer.sdp");
    with_snapshots(|| insta::assert_snapshot!("chrome_answer_from_pbx", text));
}

#[test]
fn firefox_answer_from_pbx_answer() {
    let text = browser_answer_for("firefox_offer.sdp");
    with_snapshots(|| insta::assert_snapshot!("firefox_answer_from_pbx", text));
}

#[test]
fn pbx_offer_to_browser_offer() {
    let offer = Sdp::parse(&fixture("pbx_offer.sdp")).unwrap();
    let pending = PendingOffer::from_offer(&offer, &common_codecs(&WEB, &SIP)).unwrap();
    let config = LegConfig {
        local_addr: (realm_ip(), 3478).into(),
        codecs: pending.offerer.formats.clone(),
        cert: new_dtls_cert().unwrap(),
    };
    let mut leg = WebRtcLeg::new(Instant::now(), config).unwrap();
    let sdp = leg.create_offer(Direction::SendRecv).unwrap();
    let text = redact(&sdp);
    with_snapshots(|| insta::assert_snapshot!("pbx_offer_to_browser", text));

    // A str0m peer plays the browser and answers PCMA only; the PBX gets an
    // RTP/AVP answer in its own payload types.
    let mut cfg = Rtc::builder()
        .set_rtp_mode(true)
        .clear_codecs()
        .enable_pcma(true, false);
    cfg.codec_config().add_config(
        101.into(),
        None,
        StrCodec::Tele,
        Frequency::EIGHT_KHZ,
        None,
        Default::default(),
    );
    let mut browser = cfg.build(Instant::now());
    browser.add_local_candidate(
        Candidate::host("198.51.100.9:50000".parse().unwrap(), "udp").unwrap(),
    );
    let answer = browser
        .sdp_api()
        .accept_offer(SdpOffer::from_sdp_string(&sdp).unwrap())
        .unwrap()
        .to_sdp_string();
    leg.accept_answer(&answer).unwrap();
    let formats = leg.negotiated().unwrap().clone();
    let local = LocalMedia {
        ip: realm_ip(),
        rtp_port: 40010,
    };
    let sip_answer = rtp_answer(
        &pending,
        &formats,
        Direction::SendRecv,
        local,
        &mut Origin::new(3000),
    )
    .unwrap();
    let text = sip_answer.to_string().replace("\r\n", "\n");
    with_snapshots(|| insta::assert_snapshot!("browser_answer_to_pbx", text));
}
