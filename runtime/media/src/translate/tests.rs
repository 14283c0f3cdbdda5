use super::*;
use crate::codec::Format;

const CHROME: &str = include_str!("../../tests/fixtures/chrome_offer.sdp");
const PBX: &str = include_str!("../../tests/fixtures/pbx_offer.sdp");
const PBX_RTCP: &str = include_str!("../../tests/fixtures/pbx_offer_rtcp.sdp");
const HOLD_C0: &str = include_str!("../../tests/fixtures/pbx_hold_c0.sdp");

const SIP: [Codec; 3] = [Codec::Pcma, Codec::Pcmu, Codec::TelephoneEvent(8000)];
const WEB: [Codec; 5] = [
    Codec::Opus,
    Codec::Pcmu,
    Codec::Pcma,
    Codec::TelephoneEvent(48000),
    Codec::TelephoneEvent(8000),
];

fn local() -> LocalMedia {
    LocalMedia {
        ip: "192.0.2.1".parse().unwrap(),
        rtp_port: 40000,
    }
}

#[test]
fn browser_offer_becomes_plain_audio_offer() {
    let offer = Sdp::parse(CHROME).unwrap();
    let out = rtp_offer(
        &offer,
        &codec::common(&SIP, &WEB),
        local(),
        &mut Origin::new(7),
    )
    .unwrap();
    let text = out.sdp.to_string();
    assert!(text.contains("m=audio 40000 RTP/AVP 8 0 126\r\n"), "{text}");
    assert!(text.contains("c=IN IP4 192.0.2.1\r\n"));
    assert!(text.contains("a=rtcp:40001\r\n"));
    for leak in [
        "ice-",
        "fingerprint",
        "setup",
        "extmap",
        "rtcp-fb",
        "ssrc",
        "msid",
        "BUNDLE",
        "video",
        "candidate",
        "mid",
    ] {
        assert!(!text.contains(leak), "{leak} leaked into {text}");
    }
    assert_eq!(out.pending.audio, 0);
    assert_eq!(out.pending.mlines.len(), 2);
    assert_eq!(
        out.pending.remote.rtp, None,
        "ICE: address learnt from checks"
    );
    assert!(!out.pending.remote.hold);
}

#[test]
fn pbx_offer_is_anchored_and_hides_the_origin() {
    let offer = Sdp::parse(PBX_RTCP).unwrap();
    let out = rtp_offer(&offer, &SIP, local(), &mut Origin::new(7)).unwrap();
    let text = out.sdp.to_string();
    assert!(
        !text.contains("198.51.100.20") && !text.contains("FreeSWITCH"),
        "{text}"
    );
    assert!(text.contains("o=sbcctl 7 7 IN IP4 192.0.2.1\r\n"));
    assert!(
        text.contains("m=audio 40000 RTP/AVP 8 0 101\r\n"),
        "G729 filtered: {text}"
    );
    assert!(text.contains("a=ptime:20\r\n"));
    assert_eq!(
        out.pending.remote.rtp,
        Some("198.51.100.20:24680".parse().unwrap())
    );
    assert_eq!(
        out.pending.remote.rtcp,
        Some("198.51.100.20:24681".parse().unwrap())
    );
}

#[test]
fn rtcp_defaults_to_port_plus_one() {
    let offer = Sdp::parse(PBX).unwrap();
    let out = rtp_offer(&offer, &SIP, local(), &mut Origin::new(1)).unwrap();
    assert_eq!(
        out.pending.remote.rtcp,
        Some("203.0.113.10:17325".parse().unwrap())
    );
}

#[test]
fn c0_hold_becomes_sendonly() {
    let offer = Sdp::parse(HOLD_C0).unwrap();
    let out = rtp_offer(&offer, &SIP, local(), &mut Origin::new(1)).unwrap();
    assert!(out.pending.remote.hold);
    assert_eq!(out.pending.remote.rtp, None);
    assert_eq!(out.pending.remote.direction, Direction::SendOnly);
    let text = out.sdp.to_string();
    assert!(
        text.contains("a=sendonly\r\n") && text.contains("c=IN IP4 192.0.2.1"),
        "{text}"
    );
}

#[test]
fn version_bumps_only_on_change() {
    let offer = Sdp::parse(PBX).unwrap();
    let mut origin = Origin::new(100);
    let a = rtp_offer(&offer, &SIP, local(), &mut origin).unwrap();
    let b = rtp_offer(&offer, &SIP, local(), &mut origin).unwrap();
    assert_eq!(a.sdp, b.sdp);
    let held = rtp_offer(&Sdp::parse(HOLD_C0).unwrap(), &SIP, local(), &mut origin).unwrap();
    assert_eq!(origin.version(), 101);
    assert!(held.sdp.to_string().contains("o=sbcctl 100 101 "));
}

#[test]
fn answer_maps_pts_and_mirrors_mlines() {
    let offer = Sdp::parse(CHROME).unwrap();
    let out = rtp_offer(
        &offer,
        &codec::common(&SIP, &WEB),
        local(),
        &mut Origin::new(7),
    )
    .unwrap();
    // The PBX answers PCMU at 0 and telephone-event at 101 (not 126).
    let answer = Sdp::parse(
        "v=0\r\no=- 1 1 IN IP4 203.0.113.10\r\ns=-\r\nc=IN IP4 203.0.113.10\r\nt=0 0\r\n\
         m=audio 17000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n",
    )
    .unwrap();
    let plan = accept_answer(&answer, &out.pending).unwrap();
    assert_eq!(
        plan.offerer.formats,
        [
            Format {
                pt: 0,
                codec: Codec::Pcmu
            },
            Format {
                pt: 126,
                codec: Codec::TelephoneEvent(8000)
            }
        ]
    );
    assert_eq!(plan.answerer.pt_of(Codec::TelephoneEvent(8000)), Some(101));
    assert_eq!(
        plan.offerer_to_answerer().get(126).map(|r| r.out_pt),
        Some(101)
    );
    assert_eq!(
        plan.answerer_to_offerer().get(101).map(|r| r.out_pt),
        Some(126)
    );
    assert_eq!(
        plan.answerer_remote.rtp,
        Some("203.0.113.10:17000".parse().unwrap())
    );
    assert_eq!(plan.answerer_remote.direction, Direction::RecvOnly);

    let sdp = rtp_answer(
        &out.pending,
        &plan.offerer,
        Direction::RecvOnly,
        local(),
        &mut Origin::new(9),
    )
    .unwrap();
    assert_eq!(sdp.media.len(), 2);
    assert_eq!(sdp.media[0].mid(), Some("0"));
    assert_eq!(sdp.media[1].mline.port, 0);
    assert_eq!(sdp.media[1].mid(), Some("1"));
    assert_eq!(sdp.media[0].mline.fmts, ["0", "126"]);
}

#[test]
fn answer_with_unoffered_codec_is_refused() {
    let offer = Sdp::parse(PBX).unwrap();
    let out = rtp_offer(&offer, &[Codec::Pcmu], local(), &mut Origin::new(7)).unwrap();
    let answer = Sdp::parse("v=0\r\nc=IN IP4 192.0.2.9\r\nm=audio 5 RTP/AVP 8\r\n").unwrap();
    let err = accept_answer(&answer, &out.pending).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no common codec: offered [PCMA/8000], allowed [PCMU/8000]"
    );
    let rejected = Sdp::parse("v=0\r\nm=audio 0 RTP/AVP 0\r\n").unwrap();
    assert_eq!(
        accept_answer(&rejected, &out.pending),
        Err(TranslateError::NoAudio)
    );
}

#[test]
fn offer_without_common_codec_is_refused() {
    let offer = Sdp::parse(PBX).unwrap();
    let err = rtp_offer(&offer, &[Codec::Opus], local(), &mut Origin::new(7)).unwrap_err();
    assert!(matches!(err, TranslateError::NoCommonCodec(_)));
    assert!(
        err.to_string()
            .contains("offered [PCMU/8000, PCMA/8000, telephone-event/8000]")
    );
}

proptest::proptest! {
    #[test]
    fn translation_never_panics(
        port in 0u16..=u16::MAX,
        fmts in proptest::collection::vec(0u8..=127, 1..8),
        attrs in proptest::collection::vec("(rtpmap|fmtp|rtcp|ptime|sendonly|inactive):[ -~]{0,20}", 0..8),
        conn in "(IN IP4 [0-9.]{1,15}|IN IP6 [0-9a-f:]{2,20}|[ -~]{0,10})",
    ) {
        let fmts: Vec<String> = fmts.iter().map(u8::to_string).collect();
        let mut text = format!("v=0\r\nc={conn}\r\nm=audio {port} RTP/AVP {}\r\n", fmts.join(" "));
        for a in &attrs {
            text.push_str(&format!("a={a}\r\n"));
        }
        let sdp = Sdp::parse(&text).unwrap();
        if let Ok(out) = rtp_offer(&sdp, &SIP, local(), &mut Origin::new(1)) {
            let _ = accept_answer(&sdp, &out.pending);
            let _ = rtp_answer(&out.pending, &out.pending.offerer, Direction::SendRecv, local(), &mut Origin::new(2));
            proptest::prop_assert!(Sdp::parse(&out.sdp.to_string()).is_ok());
        }
    }
}
