//! Bindings of the local-mode registrar: RFC 3261 §10.3, with RFC 5626
//! instance/reg-id replacement and RFC 7118 flow-bound WebSocket contacts.

mod binding;
mod error;
mod memory;
mod registrar;
mod request;
mod store;

pub use binding::{Binding, FlowRef};
pub use error::RegisterError;
pub use memory::MemoryStore;
pub use registrar::Registrar;
pub use request::{
    ContactInput, ContactSet, RegisterRequest, RegisterResponse, RegistrarPolicy, is_invalid_host,
};
pub use store::{BindingStore, StoreError};
