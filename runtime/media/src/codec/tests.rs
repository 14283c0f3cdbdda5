use super::*;
use crate::sdp::Sdp;

const CHROME: &str = include_str!("../../tests/fixtures/chrome_offer.sdp");
const PBX_RTCP: &str = include_str!("../../tests/fixtures/pbx_offer_rtcp.sdp");
const HOLD_C0: &str = include_str!("../../tests/fixtures/pbx_hold_c0.sdp");

fn audio(text: &str) -> crate::sdp::Media {
    Sdp::parse(text).unwrap().audio().unwrap().1.clone()
}

#[test]
fn names_are_case_insensitive_and_static_pts_need_no_rtpmap() {
    let m = audio("v=0\r\nm=audio 5 RTP/AVP 8 0 97\r\na=rtpmap:97 OPUS/48000/2\r\n");
    let (known, _) = offered(&m);
    assert_eq!(
        known,
        [
            Format {
                pt: 8,
                codec: Codec::Pcma
            },
            Format {
                pt: 0,
                codec: Codec::Pcmu
            },
            Format {
                pt: 97,
                codec: Codec::Opus
            },
        ]
    );
    // Static PT without rtpmap (HOLD_C0 offers PT 0 that way).
    assert_eq!(
        offered(&audio(HOLD_C0)).0[0],
        Format {
            pt: 0,
            codec: Codec::Pcmu
        }
    );
}

#[test]
fn negotiation_follows_profile_order_and_keeps_offer_pts() {
    let profile = [Codec::Pcma, Codec::Pcmu, Codec::TelephoneEvent(8000)];
    let n = negotiate(&audio(CHROME), &profile).unwrap();
    assert_eq!(
        n.formats,
        [
            Format {
                pt: 8,
                codec: Codec::Pcma
            },
            Format {
                pt: 0,
                codec: Codec::Pcmu
            },
            Format {
                pt: 126,
                codec: Codec::TelephoneEvent(8000)
            },
        ]
    );
    assert_eq!(n.primary().unwrap().codec, Codec::Pcma);
    assert_eq!(n.pt_of(Codec::TelephoneEvent(8000)), Some(126));
    assert_eq!(n.codec_of(0), Some(Codec::Pcmu));
}

#[test]
fn telephone_event_alone_is_not_a_common_codec() {
    let m = audio("v=0\r\nm=audio 5 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n");
    assert!(negotiate(&m, &[Codec::Pcmu, Codec::TelephoneEvent(8000)]).is_err());
}

#[test]
fn no_common_codec_names_both_lists() {
    let err = negotiate(
        &audio(PBX_RTCP),
        &[Codec::Opus, Codec::TelephoneEvent(48000)],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no common codec: offered [PCMA/8000, PCMU/8000, G729/8000, telephone-event/8000], \
         allowed [opus/48000/2, telephone-event/48000]"
    );
}

#[test]
fn pt_map_between_legs_rescales_telephone_event_clock() {
    let browser = Negotiated {
        formats: vec![
            Format {
                pt: 0,
                codec: Codec::Pcmu,
            },
            Format {
                pt: 110,
                codec: Codec::TelephoneEvent(48000),
            },
        ],
    };
    let pbx = Negotiated {
        formats: vec![
            Format {
                pt: 0,
                codec: Codec::Pcmu,
            },
            Format {
                pt: 101,
                codec: Codec::TelephoneEvent(8000),
            },
        ],
    };
    let to_pbx = PtMap::between(&browser, &pbx);
    assert_eq!(to_pbx.get(0).unwrap().out_pt, 0);
    let te = to_pbx.get(110).unwrap();
    assert_eq!(
        (te.out_pt, te.in_clock, te.out_clock, te.dtmf),
        (101, 48000, 8000, true)
    );
    assert_eq!(to_pbx.get(8), None);
    assert_eq!(to_pbx.get(200), None);
    let back = PtMap::between(&pbx, &browser).get(101).unwrap();
    assert_eq!(
        (back.out_pt, back.in_clock, back.out_clock),
        (110, 8000, 48000)
    );
}

#[test]
fn common_keeps_first_order() {
    let sip = [Codec::Pcma, Codec::Pcmu, Codec::TelephoneEvent(8000)];
    let web = [
        Codec::Opus,
        Codec::Pcmu,
        Codec::Pcma,
        Codec::TelephoneEvent(8000),
    ];
    assert_eq!(common(&sip, &web), sip);
    assert_eq!(
        common(&web, &sip),
        [Codec::Pcmu, Codec::Pcma, Codec::TelephoneEvent(8000)]
    );
}

#[test]
fn telephone_event_matches_across_clocks_when_the_exact_clock_is_missing() {
    let m = audio("v=0\r\nm=audio 5 RTP/AVP 0 110\r\na=rtpmap:110 telephone-event/48000\r\n");
    let n = negotiate(&m, &[Codec::Pcmu, Codec::TelephoneEvent(8000)]).unwrap();
    assert_eq!(n.pt_of(Codec::TelephoneEvent(48000)), Some(110));
    // The exact clock wins when offered.
    let both = audio(
        "v=0\r\nm=audio 5 RTP/AVP 0 110 126\r\na=rtpmap:110 telephone-event/48000\r\na=rtpmap:126 telephone-event/8000\r\n",
    );
    let n = negotiate(&both, &[Codec::Pcmu, Codec::TelephoneEvent(8000)]).unwrap();
    assert_eq!(n.formats.len(), 2);
    assert_eq!(n.pt_of(Codec::TelephoneEvent(8000)), Some(126));
    // No DTMF in the profile: none accepted.
    let n = negotiate(&m, &[Codec::Pcmu]).unwrap();
    assert_eq!(n.formats.len(), 1);
    assert_eq!(
        common(
            &[Codec::Pcmu, Codec::TelephoneEvent(8000)],
            &[Codec::Opus, Codec::Pcmu, Codec::TelephoneEvent(48000)]
        ),
        [Codec::Pcmu, Codec::TelephoneEvent(8000)]
    );
}
