//! Helpers shared by the runtime's end-to-end tests.
#![allow(dead_code)] // each test binary uses its own subset

pub mod ua;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sbcctl_compiler::plan::Plan;
use sbcctl_compiler::source::SourceFile;
use sbcctl_compiler::{Options, compile};
use sbcctl_load::ws::{self, Socket, Target};
use sbcctl_runtime::{Host, HostOptions};

/// Compiles a spec held in the test, failing with the diagnostics' messages.
pub fn plan(yaml: &str, dir: &Path, pure: bool) -> Plan {
    let output = compile(&SourceFile::new("test.yaml", dir, yaml), Options { pure });
    let messages: Vec<&str> = output
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    output
        .plan
        .unwrap_or_else(|| panic!("test spec does not compile: {messages:?}"))
}

/// A host on the spec's (ephemeral) ports.
pub async fn start(yaml: &str) -> Host {
    start_with(yaml, HostOptions::default()).await
}

pub async fn start_with(yaml: &str, options: HostOptions) -> Host {
    Host::start(Arc::new(plan(yaml, Path::new("."), true)), options)
        .await
        .expect("host starts")
}

/// `ws://` to an interface of the host.
pub fn ws_target(host: &Host, interface: &str, origin: Option<&str>) -> Target {
    let addr = host.local_addr(interface).expect("interface is bound");
    Target::parse(&format!("ws://{addr}/"), origin.map(str::to_owned)).expect("url")
}

/// The next SIP message on a WebSocket, within five seconds.
pub async fn next_message(socket: &mut Socket) -> Vec<u8> {
    tokio::time::timeout(Duration::from_secs(5), ws::recv(socket))
        .await
        .expect("an answer in time")
        .expect("a frame")
}

/// Sends a message and returns the next one.
pub async fn exchange(socket: &mut Socket, message: &str) -> Vec<u8> {
    ws::send(socket, message).await.expect("send");
    next_message(socket).await
}

/// Bindings (or forward-mode entries) the host holds for a users peer.
pub async fn bindings(host: &Host, peer: &str) -> usize {
    let status = host.status().await.expect("status");
    status
        .core
        .users
        .iter()
        .find(|u| u.peer == peer)
        .map(|u| u.bindings)
        .expect("peer in status")
}

/// Waits up to two seconds for a users peer's bindings to reach `want`; returns the last count.
pub async fn wait_bindings(host: &Host, peer: &str, want: usize) -> usize {
    let mut last = bindings(host, peer).await;
    for _ in 0..100 {
        if last == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        last = bindings(host, peer).await;
    }
    last
}
