//! A minimal SIP user agent over UDP for the call tests: it builds requests and answers by hand
//! so that every header the SBC sends can be inspected, and it plays RTP.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use sbcctl_sip::{Message, Request, Response, parse_bytes};
use tokio::net::UdpSocket;

/// One UA on a loopback UDP port.
pub struct Ua {
    pub socket: UdpSocket,
    pub addr: SocketAddr,
    /// Everything received, in order (for the topology-leak check).
    pub seen: Vec<String>,
}

impl Ua {
    pub async fn bind(ip: &str) -> Ua {
        let socket = UdpSocket::bind(format!("{ip}:0")).await.expect("bind UA");
        let addr = socket.local_addr().expect("UA addr");
        Ua {
            socket,
            addr,
            seen: Vec::new(),
        }
    }

    pub async fn send_to(&self, to: SocketAddr, text: &str) {
        self.socket
            .send_to(text.as_bytes(), to)
            .await
            .expect("UA send");
    }

    /// The next SIP message (within five seconds) and where it came from.
    pub async fn recv(&mut self) -> (Message, SocketAddr) {
        self.recv_within(Duration::from_secs(5))
            .await
            .expect("a SIP message in time")
    }

    pub async fn recv_within(&mut self, wait: Duration) -> Option<(Message, SocketAddr)> {
        let mut buf = vec![0u8; 65536];
        let (n, from) = tokio::time::timeout(wait, self.socket.recv_from(&mut buf))
            .await
            .ok()?
            .expect("UA recv");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        self.seen.push(text);
        let msg =
            parse_bytes(bytes::Bytes::copy_from_slice(&buf[..n])).expect("SBC sends valid SIP");
        Some((msg, from))
    }

    /// The next request other than a keepalive OPTIONS (answered 200 on the way); panics on
    /// a response.
    pub async fn recv_request(&mut self) -> (Request, SocketAddr) {
        loop {
            match self.recv().await {
                (Message::Request(r), from) if r.method().as_str() == "OPTIONS" => {
                    let ok = answer(&r, 200, "OK", "ka", self.addr, None);
                    self.send_to(from, &ok).await;
                }
                (Message::Request(r), from) => return (r, from),
                (Message::Response(r), _) => {
                    panic!("expected a request, got {} {:?}", r.code(), r.reason())
                }
            }
        }
    }

    /// The next response with a status other than 100.
    pub async fn recv_response(&mut self) -> Response {
        loop {
            match self.recv().await {
                (Message::Response(r), _) if r.code() == 100 => continue,
                (Message::Response(r), _) => return r,
                (Message::Request(r), _) => panic!("expected a response, got {}", r.method()),
            }
        }
    }
}

/// An SDP offer or answer for PCMU/telephone-event with RTP at `rtp`.
pub fn sdp(rtp: SocketAddr, session: u64, direction: &str) -> String {
    format!(
        "v=0\r\no=- {session} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-16\r\na=ptime:20\r\na={direction}\r\n",
        ip = rtp.ip(),
        port = rtp.port()
    )
}

/// The audio address an SDP body points to (`c=` and the first `m=audio` port).
pub fn sdp_audio_addr(body: &[u8]) -> SocketAddr {
    let text = String::from_utf8_lossy(body);
    let ip = text
        .lines()
        .find_map(|l| l.strip_prefix("c=IN IP4 "))
        .expect("c= line")
        .trim()
        .to_owned();
    let port = text
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|l| l.split_whitespace().next())
        .expect("m=audio line")
        .to_owned();
    format!("{ip}:{port}").parse().expect("audio address")
}

/// A 172-byte PCMU RTP packet.
pub fn rtp_packet(pt: u8, seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, pt & 0x7f];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend(std::iter::repeat_n(0xffu8, 160));
    p
}

/// A response to `req` with `code`, the To tag, a Contact and an optional SDP body.
pub fn answer(
    req: &Request,
    code: u16,
    reason: &str,
    tag: &str,
    contact: SocketAddr,
    body: Option<&str>,
) -> String {
    let mut r = Response::for_request(req, code, reason);
    if code > 100 {
        r.set_to_tag_if_absent(tag);
    }
    if (101..300).contains(&code) {
        r.headers.append("Contact", format!("<sip:uas@{contact}>"));
    }
    if let Some(body) = body {
        r.headers.append("Content-Type", "application/sdp");
        r.set_body(bytes::Bytes::copy_from_slice(body.as_bytes()));
    } else {
        r.set_body(bytes::Bytes::new());
    }
    String::from_utf8_lossy(&r.to_bytes()).into_owned()
}

/// Header value as text.
pub fn header(msg: &Message, name: &str) -> String {
    msg.headers()
        .get(name)
        .and_then(|h| h.value_str().map(|v| v.into_owned()))
        .unwrap_or_default()
}
