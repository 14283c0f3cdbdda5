//! The storage interface behind the registrar.
//!
//! Shaped for a shared store (Redis) as much as for memory: the unit of
//! reading and writing is the whole binding set of one AOR (a Redis hash
//! written in one `MULTI`), plus two indexes the store keeps itself: which
//! AORs have a binding on a given flow of a given instance (so a closing
//! connection finds its bindings without a scan), and the earliest expiry of
//! each AOR (a sorted set, for the expiry timer). Calls are synchronous: a
//! remote store would sit behind a local write-through cache or an async twin
//! of this trait; either way the registrar logic does not change.
//!
//! `Instant` is process-local; a shared store converts it to wall-clock time
//! at its own boundary.

use super::binding::{Binding, FlowRef};
use std::time::Instant;
use thiserror::Error;

/// A store failure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The store cannot be reached (→ 503, retry later).
    #[error("registration store unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back.
    #[error("registration store data is corrupt: {0}")]
    Corrupt(String),
}

/// Where bindings live.
pub trait BindingStore {
    /// All bindings of `aor` (possibly including lapsed ones the expiry timer
    /// has not removed yet).
    fn get(&self, aor: &str) -> Result<Vec<Binding>, StoreError>;

    /// Replaces the bindings of `aor`; an empty list removes the AOR. The
    /// store updates its flow and expiry indexes from the new list.
    fn put(&mut self, aor: &str, bindings: Vec<Binding>) -> Result<(), StoreError>;

    /// AORs holding a binding on `flow` of instance `node`.
    fn aors_on_flow(&self, node: &str, flow: FlowRef) -> Result<Vec<String>, StoreError>;

    /// AORs with at least one binding lapsed at `now`.
    fn expiring(&self, now: Instant) -> Result<Vec<String>, StoreError>;

    /// The earliest expiry of any binding.
    fn next_expiry(&self) -> Option<Instant>;

    /// Number of bindings.
    fn total_bindings(&self) -> usize;

    /// Number of AORs with at least one binding.
    fn aor_count(&self) -> usize;
}
