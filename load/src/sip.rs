//! The few SIP messages a registration load needs: REGISTER requests and a response reader.

use std::fmt::Write as _;

use crate::digest::{self, Algorithm, Challenge};

/// One virtual user agent's registration dialog: same Call-ID, increasing CSeq (RFC 3261 §10.2.4).
pub struct Registration {
    pub user: String,
    password: String,
    domain: String,
    transport: &'static str,
    via_host: String,
    call_id: String,
    from_tag: String,
    contact: String,
    cseq: u32,
    nc: u32,
    expires: u32,
    prefer: Option<Algorithm>,
}

impl Registration {
    /// `via_host` is the sent-by (`host:port`, or a random `*.invalid` name for WebSocket, as browsers do).
    pub fn new(
        user: String,
        password: &str,
        domain: &str,
        transport: &'static str,
        via_host: String,
        expires: u32,
    ) -> Self {
        let token = random_token();
        let contact = if transport.starts_with("WS") {
            format!(
                "<sip:{token}@{via_host};transport=ws>;+sip.instance=\"<urn:uuid:{}>\";reg-id=1",
                uuid_like()
            )
        } else {
            format!("<sip:{user}@{via_host}>")
        };
        Registration {
            password: password.to_string(),
            domain: domain.to_string(),
            transport,
            via_host,
            call_id: format!("{}@sipload", random_token()),
            from_tag: random_token(),
            contact,
            cseq: 0,
            nc: 0,
            expires,
            prefer: None,
            user,
        }
    }

    /// Prefer this digest algorithm when the server offers several.
    pub fn prefer(&mut self, algorithm: Option<Algorithm>) {
        self.prefer = algorithm;
    }

    /// The next REGISTER; with `challenge`, it carries credentials answering it.
    pub fn request(&mut self, challenge: Option<&Challenge>) -> String {
        self.cseq += 1;
        let uri = format!("sip:{}", self.domain);
        let mut msg = String::with_capacity(640);
        let _ = write!(
            msg,
            "REGISTER {uri} SIP/2.0\r\n\
             Via: SIP/2.0/{} {};branch=z9hG4bK{};rport\r\n\
             Max-Forwards: 70\r\n\
             To: <sip:{user}@{domain}>\r\n\
             From: <sip:{user}@{domain}>;tag={}\r\n\
             Call-ID: {}\r\n\
             CSeq: {} REGISTER\r\n\
             Contact: {};expires={}\r\n\
             Expires: {}\r\n\
             Allow: INVITE,ACK,CANCEL,BYE,OPTIONS\r\n\
             Supported: path, outbound, gruu\r\n\
             User-Agent: sipload\r\n",
            self.transport,
            self.via_host,
            random_token(),
            self.from_tag,
            self.call_id,
            self.cseq,
            self.contact,
            self.expires,
            self.expires,
            user = self.user,
            domain = self.domain,
        );
        if let Some(challenge) = challenge {
            self.nc += 1;
            let auth = digest::authorization(
                challenge,
                &self.user,
                &self.password,
                "REGISTER",
                &uri,
                self.nc,
                &random_token(),
            );
            let _ = write!(msg, "Authorization: {auth}\r\n");
        }
        msg.push_str("Content-Length: 0\r\n\r\n");
        msg
    }

    /// Picks the challenge to answer among the response's `WWW-Authenticate` values.
    pub fn choose(&mut self, response: &Response<'_>) -> Option<Challenge> {
        let offered: Vec<Challenge> = response
            .headers("www-authenticate")
            .filter_map(digest::parse_challenge)
            .collect();
        let chosen = match self.prefer {
            Some(want) => offered
                .iter()
                .find(|c| c.algorithm == want)
                .or(offered.first()),
            None => offered.first(),
        }?;
        self.nc = 0;
        Some(chosen.clone())
    }
}

/// A received response, read just enough for a load run.
pub struct Response<'a> {
    pub status: u16,
    head: &'a str,
}

impl<'a> Response<'a> {
    pub fn parse(bytes: &'a [u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        let head = text.split("\r\n\r\n").next()?;
        let status_line = head.lines().next()?;
        let mut parts = status_line.split_whitespace();
        if parts.next()? != "SIP/2.0" {
            return None;
        }
        let status = parts.next()?.parse().ok()?;
        Some(Response { status, head })
    }

    /// Values of every header with this (lower-case, long-form) name.
    pub fn headers(&self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.head.lines().skip(1).filter_map(move |line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }
}

fn random_token() -> String {
    format!("{:016x}", rand::random::<u64>())
}

fn uuid_like() -> String {
    let r: u128 = rand::random();
    let h = format!("{r:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
