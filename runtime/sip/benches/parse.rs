//! Parser hot path: a browser REGISTER and a WebRTC INVITE with a ~4.7 kB
//! SDP, parse alone and parse + serialize.
//!
//! `cargo bench -p sbcctl-sip --bench parse`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const REGISTER: &str = "REGISTER sip:sbc.example.com SIP/2.0\r\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK5436897\r\n\
Max-Forwards: 69\r\n\
To: <sip:alice@sbc.example.com>\r\n\
From: \"Alice\" <sip:alice@sbc.example.com>;tag=sv6mm1lq6s\r\n\
Call-ID: 4s1s7kt56ks1hfg5tq0qdg\r\n\
CSeq: 2 REGISTER\r\n\
Authorization: Digest algorithm=MD5, username=\"alice\", realm=\"sbc.example.com\", nonce=\"5f0e2d8a0000b1c3e9f1a2\", uri=\"sip:sbc.example.com\", response=\"0c7c6a3d2f5b4e1a9d8c7b6a5f4e3d2c\", qop=auth, cnonce=\"b1sv3o4mfm5e\", nc=00000001\r\n\
Contact: <sip:k2j3h4@df7jal23ls0d.invalid;transport=ws>;+sip.ice;reg-id=1;+sip.instance=\"<urn:uuid:6b4f3c1a-2d9e-4f7b-8a61-0c5d2e9f1b7a>\";expires=600\r\n\
Expires: 600\r\n\
Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY\r\n\
Supported: path,gruu,outbound\r\n\
User-Agent: JsSIP 3.10.1\r\n\
Content-Length: 0\r\n\r\n";

fn webrtc_sdp() -> String {
    let mut s = String::from(
        "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
a=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS 8f3a\r\n",
    );
    for (mid, kind, pts) in [
        ("0", "audio", "111 63 9 0 8 13 110 126"),
        (
            "1",
            "video",
            "96 97 102 103 104 105 106 107 108 109 127 125",
        ),
    ] {
        s += &format!(
            "m={kind} 9 UDP/TLS/RTP/SAVPF {pts}\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
        );
        for i in 0..4 {
            s += &format!(
                "a=candidate:{i}84263{i} 1 udp 212{i}260223 192.0.2.{i} 5{i}123 typ host generation 0 network-id 1\r\n"
            );
        }
        s += "a=ice-ufrag:Z2kp\r\na=ice-pwd:7kxQ6rXJ3m0b8GzHc0pB6Xl1\r\na=ice-options:trickle\r\n\
a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3A:79:A9:4B:3C:5E:0F:9A:3E:D3:4C:6A\r\n\
a=setup:actpass\r\n";
        s += &format!(
            "a=mid:{mid}\r\na=sendrecv\r\na=msid:8f3a 2c1d-{mid}\r\na=rtcp-mux\r\na=rtcp-rsize\r\n"
        );
        for pt in pts.split(' ') {
            s += &format!(
                "a=rtpmap:{pt} codec{pt}/90000\r\na=rtcp-fb:{pt} goog-remb\r\na=rtcp-fb:{pt} transport-cc\r\na=fmtp:{pt} level-asymmetry-allowed=1;packetization-mode=1\r\n"
            );
        }
        s += &format!(
            "a=ssrc:12345{mid} cname:k4Hf0fT3xq\r\na=ssrc:12345{mid} msid:8f3a 2c1d-{mid}\r\n"
        );
    }
    s
}

fn invite() -> String {
    let sdp = webrtc_sdp();
    format!(
        "INVITE sip:bob@sbc.example.com SIP/2.0\r\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK1717345\r\n\
Max-Forwards: 69\r\n\
To: <sip:bob@sbc.example.com>\r\n\
From: \"Alice\" <sip:alice@sbc.example.com>;tag=0lu6pr5cdn\r\n\
Call-ID: 8ms8i1ql6cc6bcrgdt1rbo\r\n\
CSeq: 9521 INVITE\r\n\
Contact: <sip:k2j3h4@df7jal23ls0d.invalid;transport=ws;ob>\r\n\
Content-Type: application/sdp\r\n\
Session-Expires: 90\r\n\
Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY\r\n\
Supported: timer,ice,replaces,outbound\r\n\
User-Agent: JsSIP 3.10.1\r\n\
Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

fn bench(c: &mut Criterion) {
    let invite = invite();
    let sdp_len = webrtc_sdp().len();
    assert!((4400..5200).contains(&sdp_len), "SDP is {sdp_len} bytes");
    for (name, msg) in [
        ("register", REGISTER.as_bytes()),
        ("invite_webrtc", invite.as_bytes()),
    ] {
        assert!(sbcctl_sip::parse(msg).is_ok(), "{name} must parse");
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(msg.len() as u64));
        g.bench_function("parse", |b| b.iter(|| sbcctl_sip::parse(black_box(msg))));
        let shared = bytes::Bytes::copy_from_slice(msg);
        g.bench_function("parse_bytes_zero_copy", |b| {
            b.iter(|| sbcctl_sip::parse_bytes(black_box(shared.clone())))
        });
        g.bench_function("parse_serialize", |b| {
            let mut out = Vec::with_capacity(msg.len());
            b.iter(|| {
                out.clear();
                if let Ok(m) = sbcctl_sip::parse(black_box(msg)) {
                    m.write_to(&mut out);
                }
                out.len()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
