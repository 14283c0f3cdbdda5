//! The in-memory [`BindingStore`].

use super::binding::{Binding, FlowRef};
use super::store::{BindingStore, StoreError};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Instant;

/// Bindings in process memory, with the flow and expiry indexes kept in step.
#[derive(Debug, Default)]
pub struct MemoryStore {
    aors: HashMap<String, Vec<Binding>>,
    /// (instance node, flow) → AORs with a binding on it.
    by_flow: HashMap<(String, FlowRef), HashSet<String>>,
    /// (earliest expiry, AOR), one entry per AOR.
    expiry: BTreeSet<(Instant, String)>,
    total: usize,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn unindex(&mut self, aor: &str, old: &[Binding]) {
        if let Some(t) = earliest(old) {
            self.expiry.remove(&(t, aor.to_owned()));
        }
        for b in old {
            if let Some(flow) = b.flow {
                let key = (b.instance_node.clone(), flow);
                if let Some(set) = self.by_flow.get_mut(&key) {
                    set.remove(aor);
                    if set.is_empty() {
                        self.by_flow.remove(&key);
                    }
                }
            }
        }
        self.total = self.total.saturating_sub(old.len());
    }

    fn index(&mut self, aor: &str, new: &[Binding]) {
        if let Some(t) = earliest(new) {
            self.expiry.insert((t, aor.to_owned()));
        }
        for b in new {
            if let Some(flow) = b.flow {
                self.by_flow
                    .entry((b.instance_node.clone(), flow))
                    .or_default()
                    .insert(aor.to_owned());
            }
        }
        self.total += new.len();
    }
}

fn earliest(bindings: &[Binding]) -> Option<Instant> {
    bindings.iter().map(|b| b.expires_at).min()
}

impl BindingStore for MemoryStore {
    fn get(&self, aor: &str) -> Result<Vec<Binding>, StoreError> {
        Ok(self.aors.get(aor).cloned().unwrap_or_default())
    }

    fn put(&mut self, aor: &str, bindings: Vec<Binding>) -> Result<(), StoreError> {
        if let Some(old) = self.aors.remove(aor) {
            self.unindex(aor, &old);
        }
        if !bindings.is_empty() {
            self.index(aor, &bindings);
            self.aors.insert(aor.to_owned(), bindings);
        }
        Ok(())
    }

    fn aors_on_flow(&self, node: &str, flow: FlowRef) -> Result<Vec<String>, StoreError> {
        let mut out: Vec<String> = self
            .by_flow
            .get(&(node.to_owned(), flow))
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        out.sort();
        Ok(out)
    }

    fn expiring(&self, now: Instant) -> Result<Vec<String>, StoreError> {
        Ok(self
            .expiry
            .iter()
            .take_while(|(t, _)| *t <= now)
            .map(|(_, aor)| aor.clone())
            .collect())
    }

    fn next_expiry(&self) -> Option<Instant> {
        self.expiry.first().map(|(t, _)| *t)
    }

    fn total_bindings(&self) -> usize {
        self.total
    }

    fn aor_count(&self) -> usize {
        self.aors.len()
    }
}
