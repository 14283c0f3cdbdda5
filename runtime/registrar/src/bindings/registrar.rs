//! REGISTER processing (RFC 3261 §10.3) over a [`BindingStore`].

use super::binding::{Binding, FlowRef};
use super::error::RegisterError;
use super::memory::MemoryStore;
use super::request::{
    ContactInput, ContactSet, RegisterRequest, RegisterResponse, RegistrarPolicy,
};
use super::store::{BindingStore, StoreError};
use std::time::{Duration, Instant};

/// The bindings of a users peer.
///
/// Pure: every call takes `now`; the caller runs a timer on
/// [`Registrar::next_expiry`] and calls [`Registrar::expire`], and calls
/// [`Registrar::remove_flow`] when a connection closes.
#[derive(Debug)]
pub struct Registrar<S = MemoryStore> {
    store: S,
    policy: RegistrarPolicy,
    node: String,
}

impl<S: BindingStore> Registrar<S> {
    /// A registrar on `store` for the sbcctl instance `node` (stamped on each
    /// binding as [`Binding::instance_node`]).
    pub fn new(store: S, policy: RegistrarPolicy, node: impl Into<String>) -> Registrar<S> {
        Registrar {
            store,
            policy,
            node: node.into(),
        }
    }

    /// The limits in force.
    pub fn policy(&self) -> &RegistrarPolicy {
        &self.policy
    }

    /// Applies new limits (a plan reload); existing bindings keep their expiry.
    pub fn set_policy(&mut self, policy: RegistrarPolicy) {
        self.policy = policy;
    }

    /// This instance's node name.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Processes a REGISTER that passed authentication.
    ///
    /// The whole request is validated before anything changes, so a refused
    /// REGISTER leaves the bindings as they were (RFC 3261 §10.3 step 6–7:
    /// "the update MUST be aborted").
    ///
    /// Call-ID/CSeq ordering: a Contact matching a binding with the same
    /// Call-ID and a CSeq that is not higher aborts the request with
    /// [`RegisterError::OutOfOrder`] (→ 500). A different Call-ID simply
    /// replaces the binding (a UA that restarted).
    pub fn register(
        &mut self,
        now: Instant,
        req: &RegisterRequest,
    ) -> Result<RegisterResponse, RegisterError> {
        if req.aor.is_empty() {
            return Err(RegisterError::Empty);
        }
        let stored = self.store.get(&req.aor)?;
        // Lapsed bindings the timer has not swept yet no longer exist.
        let mut old: Vec<Binding> = stored
            .iter()
            .filter(|b| !b.is_expired(now))
            .cloned()
            .collect();
        let mut fresh: Vec<Binding> = Vec::new();

        match &req.contacts {
            ContactSet::None => {}
            ContactSet::Wildcard => {
                if req.expires_header != Some(0) {
                    return Err(RegisterError::WildcardNeedsExpiresZero);
                }
                for b in &old {
                    check_order(b, req)?;
                }
                old.clear();
            }
            ContactSet::List(contacts) => {
                for contact in contacts {
                    let granted = self.validate(contact, req)?;
                    // Earlier bindings this contact designates: check the
                    // ordering, then drop them (refreshed, replaced or removed).
                    for b in old.iter().filter(|b| designates(b, contact)) {
                        check_order(b, req)?;
                    }
                    old.retain(|b| !designates(b, contact));
                    fresh.retain(|b| !designates(b, contact));
                    if granted > 0 {
                        fresh.push(self.new_binding(now, req, contact, granted));
                    }
                }
            }
        }

        let mut current = old;
        current.append(&mut fresh);
        self.check_caps(&stored, &current)?;

        let removed: Vec<Binding> = stored
            .iter()
            .filter(|s| !current.iter().any(|c| c.contact == s.contact))
            .cloned()
            .collect();
        let unchanged = matches!(req.contacts, ContactSet::None) && removed.is_empty();
        if !unchanged {
            self.store.put(&req.aor, current.clone())?;
        }
        sort_for_lookup(&mut current);
        Ok(RegisterResponse {
            bindings: current,
            removed,
        })
    }

    /// The expiry granted to one Contact, after checking it.
    fn validate(&self, c: &ContactInput, req: &RegisterRequest) -> Result<u32, RegisterError> {
        if c.uri.is_empty() {
            return Err(RegisterError::Empty);
        }
        if c.q.is_some_and(|q| !(0.0..=1.0).contains(&q)) {
            return Err(RegisterError::InvalidQ);
        }
        let requested = c
            .expires_param
            .or(req.expires_header)
            .unwrap_or_else(|| self.policy.effective_default());
        let granted = self
            .policy
            .grant(requested)
            .ok_or(RegisterError::IntervalTooBrief {
                min: self.policy.min_expires,
            })?;
        if granted > 0 && (req.flow_bound || c.invalid_host) && req.flow.is_none() {
            return Err(RegisterError::FlowRequired);
        }
        Ok(granted)
    }

    fn new_binding(
        &self,
        now: Instant,
        req: &RegisterRequest,
        c: &ContactInput,
        granted: u32,
    ) -> Binding {
        Binding {
            aor: req.aor.clone(),
            contact: c.uri.clone(),
            q: c.q,
            instance: c.instance.clone(),
            reg_id: c.reg_id,
            expires: granted,
            expires_at: now + Duration::from_secs(u64::from(granted)),
            registered_at: now,
            call_id: req.call_id.clone(),
            cseq: req.cseq,
            flow: req.flow,
            flow_bound: req.flow_bound || c.invalid_host,
            instance_node: self.node.clone(),
            path: req.path.clone(),
            received: req.received,
            user_agent: req.user_agent.clone(),
        }
    }

    /// Caps apply only when a request grows the set, so an AOR already over a
    /// lowered limit can still refresh or shrink.
    fn check_caps(&self, stored: &[Binding], current: &[Binding]) -> Result<(), RegisterError> {
        if current.len() <= stored.len() {
            return Ok(());
        }
        if current.len() > self.policy.max_contacts_per_aor {
            return Err(RegisterError::TooManyContacts {
                max: self.policy.max_contacts_per_aor,
            });
        }
        let total = self.store.total_bindings() - stored.len().min(self.store.total_bindings())
            + current.len();
        if total > self.policy.max_total_bindings {
            return Err(RegisterError::RegistrarFull {
                max: self.policy.max_total_bindings,
            });
        }
        Ok(())
    }

    /// Live bindings of `aor`, best first: `q` descending, then the most
    /// recently refreshed (the order to fork or try them in).
    pub fn lookup(&self, aor: &str, now: Instant) -> Result<Vec<Binding>, StoreError> {
        let mut out: Vec<Binding> = self
            .store
            .get(aor)?
            .into_iter()
            .filter(|b| !b.is_expired(now))
            .collect();
        sort_for_lookup(&mut out);
        Ok(out)
    }

    /// A connection closed: its flow-bound bindings are removed at once and
    /// returned; other bindings that arrived on it keep their Contact but
    /// forget the flow.
    pub fn remove_flow(&mut self, flow: FlowRef) -> Result<Vec<Binding>, StoreError> {
        let mut gone = Vec::new();
        for aor in self.store.aors_on_flow(&self.node, flow)? {
            let mut kept = Vec::new();
            for mut b in self.store.get(&aor)? {
                let on_flow = b.flow == Some(flow) && b.instance_node == self.node;
                if on_flow && b.flow_bound {
                    gone.push(b);
                } else {
                    if on_flow {
                        b.flow = None;
                    }
                    kept.push(b);
                }
            }
            self.store.put(&aor, kept)?;
        }
        Ok(gone)
    }

    /// Removes and returns every binding lapsed at `now`.
    pub fn expire(&mut self, now: Instant) -> Result<Vec<Binding>, StoreError> {
        let mut gone = Vec::new();
        for aor in self.store.expiring(now)? {
            let (lapsed, kept): (Vec<Binding>, Vec<Binding>) = self
                .store
                .get(&aor)?
                .into_iter()
                .partition(|b| b.is_expired(now));
            self.store.put(&aor, kept)?;
            gone.extend(lapsed);
        }
        Ok(gone)
    }

    /// When [`Registrar::expire`] next has work.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.store.next_expiry()
    }

    /// Bindings stored for `aor` (lapsed ones included until swept).
    pub fn count(&self, aor: &str) -> Result<usize, StoreError> {
        Ok(self.store.get(aor)?.len())
    }

    /// Bindings in total (a metric).
    pub fn total(&self) -> usize {
        self.store.total_bindings()
    }

    /// AORs with bindings (a metric).
    pub fn aors(&self) -> usize {
        self.store.aor_count()
    }
}

fn designates(b: &Binding, c: &ContactInput) -> bool {
    b.matches(&c.uri, c.instance.as_deref(), c.reg_id)
}

/// RFC 3261 §10.3 step 7.
fn check_order(b: &Binding, req: &RegisterRequest) -> Result<(), RegisterError> {
    if b.call_id == req.call_id && req.cseq <= b.cseq {
        return Err(RegisterError::OutOfOrder {
            cseq: req.cseq,
            stored: b.cseq,
        });
    }
    Ok(())
}

fn sort_for_lookup(bindings: &mut [Binding]) {
    bindings.sort_by(|a, b| {
        b.q_value()
            .total_cmp(&a.q_value())
            .then_with(|| b.registered_at.cmp(&a.registered_at))
    });
}
