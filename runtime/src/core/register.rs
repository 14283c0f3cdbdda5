//! REGISTER for a users peer in local mode: digest authentication, then the bindings.
//!
//! The address of record is the To URI's user part within the peer (each users peer has its own
//! registrar), so `sip:alice@127.0.0.1` and `sip:alice@sbc.example.com` are the same user. A
//! binding received over a connection (WS, WSS, TCP, TLS) or naming a `.invalid` host is tied to
//! that flow: calls reach it only over that connection and it disappears when the connection
//! closes (RFC 7118 §5, RFC 5626).

use std::collections::HashMap;
use std::time::Instant;

use rand::rngs::StdRng;
use sbcctl_compiler::plan::{self, LocalRegistrar};
use sbcctl_registrar::bindings::{
    ContactInput, ContactSet, FlowRef, MemoryStore, RegisterError, RegisterRequest, Registrar,
    RegistrarPolicy, is_invalid_host,
};
use sbcctl_registrar::digest::{Algorithm, AuthOutcome, Challenger, ChallengerConfig, Credential};
use sbcctl_sip::{Contact, Host, Request, Response, SipUri};
use tracing::{debug, info};

use super::dest::Dest;
use super::reply::{add, reply};

/// Registrar state of one users peer.
pub struct UsersRegistrar {
    pub peer_name: String,
    challenger: Challenger,
    users: HashMap<String, Credential>,
    pub bindings: Registrar<MemoryStore>,
}

/// Counts for status and metrics.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct RegisterCounts {
    pub accepted: u64,
    pub challenged: u64,
    pub refused: u64,
}

impl UsersRegistrar {
    pub fn new(
        peer_name: &str,
        local: &LocalRegistrar,
        node: &str,
        secret: [u8; 32],
        now: Instant,
    ) -> Self {
        let mut config = ChallengerConfig::new(local.realm.clone());
        // The plan's order (default SHA-256 then MD5, RFC 8760 §2.4). JsSIP and SIP.js keep only
        // the last WWW-Authenticate they receive and know only MD5, so MD5 goes last for them.
        config.algorithms = local
            .digest_algorithms
            .iter()
            .map(|a| match a {
                plan::DigestAlgorithm::Sha256 => Algorithm::Sha256,
                plan::DigestAlgorithm::Md5 => Algorithm::Md5,
            })
            .collect();
        let users = local
            .users
            .iter()
            .map(|u| {
                let credential = match &u.credential {
                    plan::Credential::Plain(p) => Credential::Plain(p.clone()),
                    plan::Credential::Ha1 { md5, sha256 } => Credential::Ha1 {
                        md5: md5.clone(),
                        sha256: sha256.clone(),
                    },
                };
                (u.name.clone(), credential)
            })
            .collect();
        let policy = RegistrarPolicy {
            min_expires: local.expires.min,
            max_expires: local.expires.max,
            default_expires: local.expires.default,
            ..RegistrarPolicy::default()
        };
        UsersRegistrar {
            peer_name: peer_name.to_owned(),
            challenger: Challenger::new(config, secret, now),
            users,
            bindings: Registrar::new(MemoryStore::new(), policy, node),
        }
    }

    /// Answers one REGISTER.
    pub fn handle(
        &mut self,
        now: Instant,
        req: &Request,
        from: &Dest,
        rng: &mut StdRng,
        counts: &mut RegisterCounts,
    ) -> Response {
        let to = match req.headers.to() {
            Ok(to) => to,
            Err(e) => return reply(req, 400, &format!("Bad Request ({e})"), rng),
        };
        let Some(aor) = to.uri.user.clone() else {
            return reply(req, 404, "Not Found (no user in the To URI)", rng);
        };

        let authorization: Vec<String> = req
            .headers
            .get_all("Authorization")
            .filter_map(|h| h.value_str().map(|v| v.into_owned()))
            .collect();
        let values: Vec<&str> = authorization.iter().map(String::as_str).collect();
        match self
            .challenger
            .verify(now, "REGISTER", &values, &self.users)
        {
            AuthOutcome::Ok { user, uri, .. } => {
                if user != aor {
                    counts.refused += 1;
                    info!(peer = %self.peer_name, %user, %aor, remote = %from.remote, "REGISTER refused: user may not register this AOR");
                    return reply(
                        req,
                        403,
                        "Forbidden (user may not register this address)",
                        rng,
                    );
                }
                if !same_uri(&uri, req) {
                    counts.refused += 1;
                    return reply(
                        req,
                        400,
                        "Bad Request (digest uri does not match the Request-URI)",
                        rng,
                    );
                }
            }
            AuthOutcome::Challenge { stale, cause } => {
                counts.challenged += 1;
                debug!(peer = %self.peer_name, %aor, ?cause, stale, "REGISTER challenged");
                let mut resp = reply(req, 401, "Unauthorized", rng);
                for challenge in self.challenger.challenges(now, stale) {
                    add(&mut resp, "WWW-Authenticate", challenge);
                }
                return resp;
            }
            AuthOutcome::Forbidden { reason } => {
                counts.refused += 1;
                info!(peer = %self.peer_name, %aor, remote = %from.remote, reason = reason.as_str(), "REGISTER refused");
                return reply(req, 403, &format!("Forbidden ({})", reason.as_str()), rng);
            }
            AuthOutcome::Malformed(e) => {
                counts.refused += 1;
                return reply(req, 400, &format!("Bad Request (Authorization: {e})"), rng);
            }
        }

        let request = match register_request(req, &aor, from) {
            Ok(r) => r,
            Err(resp_reason) => return reply(req, 400, &resp_reason, rng),
        };
        match self.bindings.register(now, &request) {
            Ok(ok) => {
                counts.accepted += 1;
                let mut resp = reply(req, 200, "OK", rng);
                for b in &ok.bindings {
                    let mut contact = format!("<{}>;expires={}", b.contact, b.remaining_secs(now));
                    if let Some(instance) = &b.instance {
                        contact.push_str(";+sip.instance=");
                        contact.push_str(instance);
                    }
                    if let Some(reg_id) = b.reg_id {
                        contact.push_str(&format!(";reg-id={reg_id}"));
                    }
                    add(&mut resp, "Contact", contact);
                }
                let outbound = request_uses_outbound(req, &request.contacts);
                if outbound {
                    // RFC 5626 §6: the registrar honoured reg-id.
                    add(&mut resp, "Require", "outbound");
                }
                if !request.path.is_empty() {
                    add(&mut resp, "Path", request.path.join(", "));
                }
                debug!(peer = %self.peer_name, %aor, bindings = ok.bindings.len(), "REGISTER accepted");
                resp
            }
            Err(RegisterError::IntervalTooBrief { min }) => {
                counts.refused += 1;
                let mut resp = reply(req, 423, "Interval Too Brief", rng);
                add(&mut resp, "Min-Expires", min.to_string());
                resp
            }
            Err(e) => {
                counts.refused += 1;
                reply(req, e.status(), e.reason(), rng)
            }
        }
    }

    /// Authenticates a call from one of this peer's users (RFC 3261 §22.3: 407 with
    /// Proxy-Authenticate). `Ok` carries the user name; `Err` the answer to send instead.
    pub fn authenticate_call(
        &mut self,
        now: Instant,
        req: &Request,
        rng: &mut StdRng,
    ) -> Result<String, Response> {
        let credentials: Vec<String> = req
            .headers
            .get_all("Proxy-Authorization")
            .filter_map(|h| h.value_str().map(|v| v.into_owned()))
            .collect();
        let values: Vec<&str> = credentials.iter().map(String::as_str).collect();
        let method = req.method().as_str().to_owned();
        match self.challenger.verify(now, &method, &values, &self.users) {
            AuthOutcome::Ok { user, .. } => Ok(user),
            AuthOutcome::Challenge { stale, .. } => {
                let mut resp = reply(req, 407, "Proxy Authentication Required", rng);
                for challenge in self.challenger.challenges(now, stale) {
                    add(&mut resp, "Proxy-Authenticate", challenge);
                }
                Err(resp)
            }
            AuthOutcome::Forbidden { reason } => {
                info!(peer = %self.peer_name, reason = reason.as_str(), "call refused");
                Err(reply(
                    req,
                    403,
                    &format!("Forbidden ({})", reason.as_str()),
                    rng,
                ))
            }
            AuthOutcome::Malformed(e) => Err(reply(
                req,
                400,
                &format!("Bad Request (Proxy-Authorization: {e})"),
                rng,
            )),
        }
    }

    /// A connection closed: its bindings are gone.
    /// The live bindings of a user (the AOR is the user part, as for REGISTER).
    pub fn lookup(&self, user: &str, now: Instant) -> Vec<sbcctl_registrar::bindings::Binding> {
        self.bindings.lookup(user, now).unwrap_or_default()
    }

    pub fn flow_closed(&mut self, flow: FlowRef) -> usize {
        self.bindings
            .remove_flow(flow)
            .map(|b| b.len())
            .unwrap_or(0)
    }
}

/// Maps the REGISTER onto the registrar's input (RFC 3261 §10.3).
fn register_request(req: &Request, aor: &str, from: &Dest) -> Result<RegisterRequest, String> {
    let bad = |e: sbcctl_sip::HeaderError| format!("Bad Request ({e})");
    let call_id = req.headers.call_id().map_err(bad)?;
    let cseq = req.headers.cseq().map_err(bad)?;
    let contacts = contact_set(req)?;
    let expires_header = req.headers.expires().map_err(bad)?;
    let path = req
        .headers
        .get_all("Path")
        .filter_map(|h| h.value_str().map(|v| v.into_owned()))
        .collect();
    Ok(RegisterRequest {
        aor: aor.to_owned(),
        call_id,
        cseq: cseq.seq,
        contacts,
        expires_header,
        flow: from.flow.map(|f| FlowRef(f.0)),
        flow_bound: from.kind.is_reliable(),
        received: Some(from.remote),
        user_agent: req
            .headers
            .get("User-Agent")
            .and_then(|h| h.value_str())
            .map(|v| v.into_owned()),
        path,
    })
}

/// The Contact header values as the registrar's input (`*` alone, or a list).
pub(super) fn contact_set(req: &Request) -> Result<ContactSet, String> {
    let contacts = req
        .headers
        .contacts()
        .map_err(|e| format!("Bad Request ({e})"))?;
    let mut star = false;
    let mut list = Vec::with_capacity(contacts.len());
    for c in contacts {
        match c {
            Contact::Star => star = true,
            Contact::Addr(a) => list.push(ContactInput {
                uri: a.uri.to_string(),
                expires_param: a.expires(),
                q: a.q().map(|m| f32::from(m) / 1000.0),
                instance: a.params.get("+sip.instance").flatten().map(str::to_owned),
                reg_id: a.reg_id(),
                invalid_host: matches!(&a.uri.host, Some(Host::Domain(d)) if is_invalid_host(d)),
            }),
        }
    }
    ContactSet::from_parts(star, list).map_err(|e| e.reason().to_owned())
}

/// RFC 7616 §3.4.6: the digest `uri` names the Request-URI (compared as parsed URIs, so
/// `sip:Example.com` and `sip:example.com` agree).
fn same_uri(digest_uri: &str, req: &Request) -> bool {
    let request_uri = String::from_utf8_lossy(req.uri_bytes());
    if digest_uri == request_uri {
        return true;
    }
    match (SipUri::parse(digest_uri), SipUri::parse(&request_uri)) {
        (Ok(a), Ok(b)) => {
            a.scheme == b.scheme && a.user == b.user && a.host == b.host && a.port == b.port
        }
        _ => false,
    }
}

/// RFC 5626 §6: the client supports outbound and a Contact carries `reg-id` (the contacts
/// parsed once for the registrar are reused).
fn request_uses_outbound(req: &Request, contacts: &ContactSet) -> bool {
    let with_reg_id =
        matches!(contacts, ContactSet::List(list) if list.iter().any(|c| c.reg_id.is_some()));
    with_reg_id
        && req
            .headers
            .supported()
            .unwrap_or_default()
            .iter()
            .any(|t| t.eq_ignore_ascii_case("outbound"))
}
