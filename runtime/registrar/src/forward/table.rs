//! The forward-mode table: tokens ↔ (AOR, browser Contact, flow).

use super::entry::{EntryState, ForwardEntry, ForwardMode, Target, UpstreamContact};
use crate::bindings::{ContactSet, FlowRef};
use rand::RngCore;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use thiserror::Error;

/// Settings of a [`ForwardTable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardConfig {
    /// `host[:port]` of the SBC as the upstream reaches it.
    pub sbc_host: String,
    /// A `transport` URI parameter for SBC URIs (`tcp`, `tls`), if needed.
    pub transport: Option<String>,
    /// How long an entry waits for the upstream's 2xx (default 32 s, the
    /// non-INVITE transaction timeout 64·T1 of RFC 3261 §17.1.2.2).
    pub pending_timeout: Duration,
    /// Expiry assumed when the 2xx gives none (RFC 3261 §10.2.1.1: 3600 s).
    pub default_expires: u32,
    /// Entries held at most.
    pub max_entries: usize,
}

impl ForwardConfig {
    /// Defaults for an SBC reachable at `sbc_host`.
    pub fn new(sbc_host: impl Into<String>) -> ForwardConfig {
        ForwardConfig {
            sbc_host: sbc_host.into(),
            transport: None,
            pending_timeout: Duration::from_secs(32),
            default_expires: 3600,
            max_entries: 1_000_000,
        }
    }

    fn sbc_uri(&self, token: &str) -> String {
        let mut s = format!("sip:{token}@{}", self.sbc_host);
        if let Some(t) = &self.transport {
            let _ = write!(s, ";transport={t}");
        }
        s
    }
}

/// A REGISTER from a browser, about to be relayed.
#[derive(Debug, Clone, Copy)]
pub struct ForwardRegister<'a> {
    /// AOR (To).
    pub aor: &'a str,
    /// Call-ID.
    pub call_id: &'a str,
    /// CSeq number.
    pub cseq: u32,
    /// The browser's Contacts.
    pub contacts: &'a ContactSet,
    /// The browser's flow.
    pub flow: Option<FlowRef>,
    /// The browser is reachable only over `flow`.
    pub flow_bound: bool,
    /// The upstream registrar supports Path.
    pub upstream_supports_path: bool,
}

/// One Contact of the relayed REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewrittenContact {
    /// The browser's Contact URI.
    pub original: String,
    /// The URI to put in the relayed REGISTER (keep the other Contact params,
    /// `expires`, `+sip.instance`, `reg-id`, as the browser sent them).
    pub upstream: String,
}

/// What to change in the relayed REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardRewrite {
    /// The mode used.
    pub mode: ForwardMode,
    /// A value to insert as the top `Path` (Path mode, when there are Contacts).
    pub path: Option<String>,
    /// The Contacts, in request order (empty for `*` and fetches).
    pub contacts: Vec<RewrittenContact>,
}

/// What the upstream's 2xx changed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LearnOutcome {
    /// Entries confirmed or refreshed.
    pub confirmed: Vec<ForwardEntry>,
    /// Entries the upstream no longer lists (un-registered or replaced).
    pub removed: Vec<ForwardEntry>,
    /// Contacts for the 2xx relayed to the browser: our entries mapped back to
    /// the browser's URIs, other Contacts of the AOR unchanged.
    pub client_contacts: Vec<UpstreamContact>,
}

/// A REGISTER that cannot be relayed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ForwardError {
    /// The table is full (→ 503).
    #[error("forward table full (limit {max})")]
    Full {
        /// The limit.
        max: usize,
    },
    /// An empty AOR or Contact URI (→ 400).
    #[error("empty address-of-record or contact")]
    Empty,
}

/// The forward-mode mapping of one users peer.
#[derive(Debug)]
pub struct ForwardTable {
    config: ForwardConfig,
    entries: HashMap<String, ForwardEntry>,
    by_aor: HashMap<String, BTreeSet<String>>,
    by_flow: HashMap<FlowRef, BTreeSet<String>>,
    by_path: HashMap<String, BTreeSet<String>>,
    flow_tokens: HashMap<Option<FlowRef>, String>,
    deadlines: BTreeSet<(Instant, String)>,
}

impl ForwardTable {
    /// An empty table.
    pub fn new(config: ForwardConfig) -> ForwardTable {
        ForwardTable {
            config,
            entries: HashMap::new(),
            by_aor: HashMap::new(),
            by_flow: HashMap::new(),
            by_path: HashMap::new(),
            flow_tokens: HashMap::new(),
            deadlines: BTreeSet::new(),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry with `token`.
    pub fn get(&self, token: &str) -> Option<&ForwardEntry> {
        self.entries.get(token)
    }

    /// The entries of `aor`.
    pub fn entries_for(&self, aor: &str) -> Vec<&ForwardEntry> {
        self.tokens_of(aor)
            .iter()
            .filter_map(|t| self.entries.get(t))
            .collect()
    }

    fn tokens_of(&self, aor: &str) -> Vec<String> {
        self.by_aor
            .get(aor)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn insert(&mut self, e: ForwardEntry) {
        self.by_aor
            .entry(e.aor.clone())
            .or_default()
            .insert(e.token.clone());
        if let Some(flow) = e.flow {
            self.by_flow
                .entry(flow)
                .or_default()
                .insert(e.token.clone());
        }
        if let Some(p) = &e.path_token {
            self.by_path
                .entry(p.clone())
                .or_default()
                .insert(e.token.clone());
        }
        self.deadlines.insert((e.deadline(), e.token.clone()));
        self.entries.insert(e.token.clone(), e);
    }

    fn remove(&mut self, token: &str) -> Option<ForwardEntry> {
        let e = self.entries.remove(token)?;
        unindex(&mut self.by_aor, &e.aor, token);
        if let Some(flow) = e.flow {
            unindex(&mut self.by_flow, &flow, token);
        }
        if let Some(p) = &e.path_token {
            unindex(&mut self.by_path, p, token);
        }
        self.deadlines.remove(&(e.deadline(), e.token.clone()));
        Some(e)
    }

    fn fresh_token<R: RngCore + ?Sized>(&self, rng: &mut R) -> String {
        loop {
            let mut raw = [0u8; 8];
            rng.fill_bytes(&mut raw);
            let token = hex::encode(raw);
            if !self.entries.contains_key(&token) && !self.by_path.contains_key(&token) {
                return token;
            }
        }
    }

    fn path_token<R: RngCore + ?Sized>(&mut self, flow: Option<FlowRef>, rng: &mut R) -> String {
        if let Some(t) = self.flow_tokens.get(&flow) {
            return t.clone();
        }
        let t = self.fresh_token(rng);
        self.flow_tokens.insert(flow, t.clone());
        t
    }

    /// Records a browser REGISTER about to be relayed and says how to rewrite
    /// it. A Contact already known for the AOR (same URI, or same
    /// `+sip.instance` and `reg-id` after a reconnect) keeps its token, so the
    /// upstream refreshes one binding instead of adding another.
    pub fn prepare<R: RngCore + ?Sized>(
        &mut self,
        now: Instant,
        rng: &mut R,
        req: &ForwardRegister<'_>,
    ) -> Result<ForwardRewrite, ForwardError> {
        let mode = ForwardMode::choose(req.upstream_supports_path);
        let ContactSet::List(contacts) = req.contacts else {
            return Ok(ForwardRewrite {
                mode,
                path: None,
                contacts: Vec::new(),
            });
        };
        if req.aor.is_empty() || contacts.iter().any(|c| c.uri.is_empty()) {
            return Err(ForwardError::Empty);
        }
        let known: Vec<Option<String>> = contacts
            .iter()
            .map(|c| {
                self.entries_for(req.aor)
                    .into_iter()
                    .find(|e| {
                        e.contact == c.uri
                            || (c.instance.is_some()
                                && e.instance == c.instance
                                && e.reg_id == c.reg_id)
                    })
                    .map(|e| e.token.clone())
            })
            .collect();
        let new = known.iter().filter(|k| k.is_none()).count();
        if self.entries.len() + new > self.config.max_entries {
            return Err(ForwardError::Full {
                max: self.config.max_entries,
            });
        }
        let path_token = match mode {
            ForwardMode::Path => Some(self.path_token(req.flow, rng)),
            ForwardMode::ContactRewrite => None,
        };
        let until = now + self.config.pending_timeout;
        let mut out = Vec::with_capacity(contacts.len());
        for (c, known) in contacts.iter().zip(known) {
            let previous = known.and_then(|t| self.remove(&t));
            let token = match &previous {
                Some(p) => p.token.clone(),
                None => self.fresh_token(rng),
            };
            let upstream_contact = match mode {
                ForwardMode::Path => c.uri.clone(),
                ForwardMode::ContactRewrite => self.config.sbc_uri(&token),
            };
            // A confirmed entry keeps routing while its refresh is in flight.
            let state = match previous.map(|p| p.state) {
                Some(active @ EntryState::Active { .. }) => active,
                _ => EntryState::Pending { until },
            };
            out.push(RewrittenContact {
                original: c.uri.clone(),
                upstream: upstream_contact.clone(),
            });
            self.insert(ForwardEntry {
                token,
                path_token: path_token.clone(),
                aor: req.aor.to_owned(),
                contact: c.uri.clone(),
                upstream_contact,
                instance: c.instance.clone(),
                reg_id: c.reg_id,
                flow: req.flow,
                flow_bound: req.flow_bound || c.invalid_host,
                mode,
                call_id: req.call_id.to_owned(),
                cseq: req.cseq,
                state,
            });
        }
        let path = path_token.map(|t| {
            let mut p = format!("<{}", self.config.sbc_uri(&t));
            p.push_str(";lr>");
            p
        });
        Ok(ForwardRewrite {
            mode,
            path,
            contacts: out,
        })
    }

    /// Learns from the upstream's 2xx to the REGISTER with `call_id`: it lists
    /// every binding of the AOR (RFC 3261 §10.3 step 8). Our entries it lists
    /// become active (or go, with `expires=0`); our entries it omits are gone,
    /// except pending ones of another REGISTER still in flight.
    pub fn learn(
        &mut self,
        now: Instant,
        aor: &str,
        call_id: &str,
        contacts: &[UpstreamContact],
        expires_header: Option<u32>,
    ) -> LearnOutcome {
        let mut out = LearnOutcome::default();
        let mut seen = BTreeSet::new();
        for c in contacts {
            let hit = self.tokens_of(aor).into_iter().find(|t| {
                self.entries.get(t).is_some_and(|e| match e.mode {
                    ForwardMode::ContactRewrite => user_part(&c.uri) == Some(e.token.as_str()),
                    ForwardMode::Path => e.contact == c.uri,
                })
            });
            let Some(token) = hit else {
                out.client_contacts.push(c.clone());
                continue;
            };
            let expires = c
                .expires
                .or(expires_header)
                .unwrap_or(self.config.default_expires);
            let Some(mut e) = self.remove(&token) else {
                continue;
            };
            seen.insert(token);
            if expires == 0 {
                out.removed.push(e);
                continue;
            }
            e.state = EntryState::Active {
                expires_at: now + Duration::from_secs(u64::from(expires)),
            };
            out.client_contacts.push(UpstreamContact {
                uri: e.contact.clone(),
                expires: Some(expires),
            });
            out.confirmed.push(e.clone());
            self.insert(e);
        }
        for token in self.tokens_of(aor) {
            if seen.contains(&token) {
                continue;
            }
            let drop = self.entries.get(&token).is_some_and(|e| match e.state {
                EntryState::Active { .. } => true,
                EntryState::Pending { .. } => e.call_id == call_id,
            });
            if drop && let Some(e) = self.remove(&token) {
                out.removed.push(e);
            }
        }
        out
    }

    /// The REGISTER with `call_id` failed for good (a final non-2xx other than
    /// a challenge): its still-pending entries are dropped; confirmed entries
    /// run until they expire.
    pub fn abandon(&mut self, aor: &str, call_id: &str) -> Vec<ForwardEntry> {
        let doomed: Vec<String> = self
            .entries_for(aor)
            .into_iter()
            .filter(|e| matches!(e.state, EntryState::Pending { .. }) && e.call_id == call_id)
            .map(|e| e.token.clone())
            .collect();
        doomed.iter().filter_map(|t| self.remove(t)).collect()
    }

    /// Where a request from the upstream goes. `user` is the user part of the
    /// Request-URI (contact rewriting) or of the top Route (Path);
    /// `request_uri` is the full Request-URI, used to pick the binding when a
    /// Path token covers several.
    pub fn resolve(&self, now: Instant, user: &str, request_uri: Option<&str>) -> Option<Target> {
        if let Some(e) = self.entries.get(user) {
            return e.is_active(now).then(|| Target {
                flow: e.flow,
                request_uri: Some(e.contact.clone()),
                aor: e.aor.clone(),
            });
        }
        let tokens = self.by_path.get(user)?;
        let mut active = tokens
            .iter()
            .filter_map(|t| self.entries.get(t))
            .filter(|e| e.is_active(now));
        let e = match request_uri {
            Some(uri) => active.find(|e| e.contact == uri)?,
            None => active.next()?,
        };
        Some(Target {
            flow: e.flow,
            request_uri: None,
            aor: e.aor.clone(),
        })
    }

    /// The browser's flow closed: its flow-bound entries are removed and
    /// returned (un-REGISTER them upstream), other entries forget the flow,
    /// and the flow's Path token is retired.
    pub fn remove_flow(&mut self, flow: FlowRef) -> Vec<ForwardEntry> {
        let tokens: Vec<String> = self
            .by_flow
            .get(&flow)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        let mut gone = Vec::new();
        for t in tokens {
            let Some(mut e) = self.remove(&t) else {
                continue;
            };
            if e.flow_bound {
                gone.push(e);
            } else {
                // Reachable by its Contact: keep it, forget the dead flow.
                e.flow = None;
                self.insert(e);
            }
        }
        self.flow_tokens.remove(&Some(flow));
        gone
    }

    /// Removes entries whose upstream binding lapsed or whose REGISTER never
    /// got a 2xx.
    pub fn expire(&mut self, now: Instant) -> Vec<ForwardEntry> {
        let due: Vec<String> = self
            .deadlines
            .iter()
            .take_while(|(t, _)| *t <= now)
            .map(|(_, token)| token.clone())
            .collect();
        due.iter().filter_map(|t| self.remove(t)).collect()
    }

    /// When [`ForwardTable::expire`] next has work.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(t, _)| *t)
    }
}

fn unindex<K: std::hash::Hash + Eq + Clone>(
    map: &mut HashMap<K, BTreeSet<String>>,
    key: &K,
    token: &str,
) {
    if let Some(set) = map.get_mut(key) {
        set.remove(token);
        if set.is_empty() {
            map.remove(key);
        }
    }
}

/// The user part of a `sip:`/`sips:` URI, `<>` tolerated.
fn user_part(uri: &str) -> Option<&str> {
    let uri = uri.trim().trim_start_matches('<');
    let rest = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"))
        .or_else(|| uri.strip_prefix("SIP:"))
        .or_else(|| uri.strip_prefix("SIPS:"))?;
    let at = rest.find('@')?;
    rest.get(..at)
}
