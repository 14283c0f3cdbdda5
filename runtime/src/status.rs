//! A snapshot of what the host is doing, for `sbcctl status`, the admin API and tests.

use serde::Serialize;

use crate::core::Counters;

#[derive(Debug, Clone, Serialize)]
pub struct HostStatus {
    pub plan_hash: String,
    pub interfaces: Vec<InterfaceStatus>,
    pub core: CoreStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct InterfaceStatus {
    pub name: String,
    pub transport: String,
    pub listen: String,
    pub flows: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CoreStatus {
    pub counters: Counters,
    pub client_transactions: usize,
    pub server_transactions: usize,
    pub users: Vec<UsersStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UsersStatus {
    pub peer: String,
    pub aors: usize,
    pub bindings: usize,
}
