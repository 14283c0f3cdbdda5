//! Typed indices into the plan's vectors. A plan never holds a dangling id: the compiler only
//! emits ids for items it lowered.

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The position in the plan's vector.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

id!(
    /// Index into `Plan::interfaces`.
    InterfaceId,
    /// Index into `Plan::peers`.
    PeerId,
    /// Index into `Plan::media_realms`.
    RealmId,
    /// Index into `Plan::profiles`.
    ProfileId,
    /// Index into `Plan::tls`.
    TlsId,
    /// Index into `Plan::routes`.
    RouteId,
    /// Index into `Plan::manipulations`.
    ManipulationId,
);
