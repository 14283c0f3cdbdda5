//! The plan: the immutable, fully resolved form of a spec that the runtime reads.
//!
//! Every reference is an index into one of the plan's vectors (see [`ids`]); every item keeps
//! its spec name for logs, metrics and `sbcctl diff`. Defaults are filled in, so the runtime
//! never has to know what the spec left out. The JSON form is canonical: vectors keep spec
//! order, maps are `BTreeMap`s, and [`Plan::content_hash`] is the sha256 of that JSON with the
//! `hash` field empty, so byte-identical input gives byte-identical output.

mod ids;
mod items;
mod matching;
mod settings;

pub use ids::*;
pub use items::*;
pub use matching::*;
pub use settings::*;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bumped whenever a change to these types would make an older runtime misread a plan.
pub const FORMAT_VERSION: u32 = 1;

/// The compiled, immutable configuration of one sbcctl instance.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// [`FORMAT_VERSION`] of the compiler that wrote this plan.
    pub format_version: u32,
    /// Lower-case hex sha256 over the canonical JSON of this plan with `hash` set to `""`.
    pub hash: String,
    pub tls: Vec<Tls>,
    pub interfaces: Vec<Interface>,
    pub media_realms: Vec<MediaRealm>,
    pub profiles: Vec<Profile>,
    pub peers: Vec<Peer>,
    pub routes: Vec<Route>,
    pub manipulations: Vec<Manipulation>,
    pub limits: Limits,
    pub admin: Option<Admin>,
    pub logging: Logging,
    pub cdr: Cdr,
}

/// Errors reading a plan file.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("not a valid plan: {0}")]
    Json(#[from] serde_json::Error),
    #[error("plan format_version {found} is not supported (this build reads {FORMAT_VERSION})")]
    Version { found: u32 },
    #[error("plan hash mismatch: the file says {stored}, the content hashes to {computed}")]
    Hash { stored: String, computed: String },
}

impl Plan {
    /// Canonical JSON (pretty, two-space indent, trailing newline): the on-disk form.
    pub fn to_canonical_json(&self) -> String {
        // Serialising plain structs, Vecs and BTreeMaps cannot fail.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// sha256 (hex) of the canonical JSON with `hash` blanked.
    pub fn content_hash(&self) -> String {
        let mut copy = self.clone();
        copy.seal();
        copy.hash
    }

    /// Sets `hash` from the content; called once by the compiler after lowering. Streams the
    /// canonical JSON into the hasher instead of building the string.
    pub fn seal(&mut self) {
        self.hash.clear();
        let mut w = HashWriter(Sha256::new());
        // Writing plain data into a hasher cannot fail.
        let _ = serde_json::to_writer_pretty(&mut w, &*self);
        w.0.update(b"\n");
        self.hash = hex::encode(w.0.finalize());
    }

    /// Parses a plan file and checks its version and hash.
    pub fn from_json(text: &str) -> Result<Plan, PlanError> {
        let plan: Plan = serde_json::from_str(text)?;
        if plan.format_version != FORMAT_VERSION {
            return Err(PlanError::Version {
                found: plan.format_version,
            });
        }
        let computed = plan.content_hash();
        if computed != plan.hash {
            return Err(PlanError::Hash {
                stored: plan.hash,
                computed,
            });
        }
        Ok(plan)
    }

    pub fn interface(&self, id: InterfaceId) -> Option<&Interface> {
        self.interfaces.get(id.index())
    }
    pub fn peer(&self, id: PeerId) -> Option<&Peer> {
        self.peers.get(id.index())
    }
    pub fn realm(&self, id: RealmId) -> Option<&MediaRealm> {
        self.media_realms.get(id.index())
    }
    pub fn profile(&self, id: ProfileId) -> Option<&Profile> {
        self.profiles.get(id.index())
    }
    pub fn tls_config(&self, id: TlsId) -> Option<&Tls> {
        self.tls.get(id.index())
    }
    pub fn route(&self, id: RouteId) -> Option<&Route> {
        self.routes.get(id.index())
    }
    pub fn manipulation(&self, id: ManipulationId) -> Option<&Manipulation> {
        self.manipulations.get(id.index())
    }
    /// Looks a peer up by its spec name (linear; for the CLI and admin, not the hot path).
    pub fn peer_by_name(&self, name: &str) -> Option<PeerId> {
        self.peers
            .iter()
            .position(|p| p.name == name)
            .map(|i| PeerId(i as u32))
    }
}

/// `io::Write` into a sha256 state.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
