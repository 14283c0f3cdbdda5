//! Random input sequences against the transaction layer: no panic, no
//! deadline left in the past after handling it, and no transaction left
//! behind once the TU has answered everything and time has run on.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use sbcctl_sip::{Event, Message, Response, TransactionLayer, TxnConfig, TxnId, parse};

#[derive(Clone, Debug)]
enum Op {
    Incoming {
        method: usize,
        branch: u8,
        reliable: bool,
    },
    IncomingResponse {
        method: usize,
        branch: u8,
        code: u16,
    },
    Send {
        method: usize,
        branch: u8,
        reliable: bool,
    },
    Answer {
        pick: usize,
        code: u16,
    },
    TransportError {
        pick: usize,
    },
    Advance {
        ms: u64,
    },
}

const METHODS: [&str; 5] = ["INVITE", "ACK", "OPTIONS", "CANCEL", "BYE"];
const CODES: [u16; 6] = [100, 180, 200, 404, 487, 603];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..5usize, 0..4u8, any::<bool>()).prop_map(|(method, branch, reliable)| Op::Incoming {
            method,
            branch,
            reliable
        }),
        (0..5usize, 0..4u8, 0..6usize).prop_map(|(method, branch, c)| Op::IncomingResponse {
            method,
            branch,
            code: CODES[c]
        }),
        (0..5usize, 0..4u8, any::<bool>()).prop_map(|(method, branch, reliable)| Op::Send {
            method,
            branch,
            reliable
        }),
        (any::<usize>(), 0..6usize).prop_map(|(pick, c)| Op::Answer {
            pick,
            code: CODES[c]
        }),
        any::<usize>().prop_map(|pick| Op::TransportError { pick }),
        (0..40_000u64).prop_map(|ms| Op::Advance { ms }),
    ]
}

fn message(first_line: &str, method: &str, branch: u8) -> Message {
    // Branch 0 is RFC 2543 style (no magic cookie).
    let branch = if branch == 0 {
        "old".to_owned()
    } else {
        format!("z9hG4bK{branch}")
    };
    let text = format!(
        "{first_line}\r\nVia: SIP/2.0/UDP 192.0.2.1;branch={branch}\r\nFrom: <sip:a@b>;tag=f\r\nTo: <sip:c@d>\r\nCall-ID: c\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
    );
    match parse(text.as_bytes()) {
        Ok(m) => m,
        Err(e) => panic!("{e}: {text}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_operations(ops in prop::collection::vec(op(), 1..60)) {
        let t0 = Instant::now();
        let mut now = t0;
        let mut layer: TransactionLayer<u8> = TransactionLayer::new(TxnConfig::default());
        let mut server_txns: Vec<(TxnId, sbcctl_sip::Request)> = Vec::new();
        let mut client_txns: Vec<TxnId> = Vec::new();
        for op in ops {
            match op {
                Op::Incoming { method, branch, reliable } => {
                    let m = METHODS[method];
                    layer.handle_incoming(now, message(&format!("{m} sip:x@y SIP/2.0"), m, branch), 1, reliable);
                }
                Op::IncomingResponse { method, branch, code } => {
                    let m = METHODS[method];
                    layer.handle_incoming(now, message(&format!("SIP/2.0 {code} X"), m, branch), 1, false);
                }
                Op::Send { method, branch, reliable } => {
                    let m = METHODS[method];
                    if let Message::Request(r) = message(&format!("{m} sip:x@y SIP/2.0"), m, branch)
                        && let Ok(id) = layer.send_request(now, r, 2, reliable) {
                            client_txns.push(id);
                        }
                }
                Op::Answer { pick, code } => {
                    if !server_txns.is_empty() {
                        let (id, req) = &server_txns[pick % server_txns.len()];
                        let _ = layer.send_response(now, *id, &Response::for_request(req, code, "X"));
                    }
                }
                Op::TransportError { pick } => {
                    let all: Vec<TxnId> = server_txns.iter().map(|s| s.0).chain(client_txns.iter().copied()).collect();
                    if !all.is_empty() {
                        layer.handle_transport_error(all[pick % all.len()]);
                    }
                }
                Op::Advance { ms } => {
                    now += Duration::from_millis(ms);
                    layer.handle_timeout(now);
                }
            }
            while let Some(e) = layer.poll_event() {
                if let Event::Request { txn, request, .. } = e {
                    server_txns.push((txn, request));
                }
            }
            while layer.poll_transmit().is_some() {}
        }
        // The TU answers everything still open, then time runs on.
        for (id, req) in &server_txns {
            let _ = layer.send_response(now, *id, &Response::for_request(req, 500, "X"));
        }
        let mut steps = 0;
        while let Some(t) = layer.poll_timeout() {
            now = now.max(t);
            layer.handle_timeout(now);
            while layer.poll_event().is_some() {}
            while layer.poll_transmit().is_some() {}
            steps += 1;
            prop_assert!(steps < 10_000, "timers never settle");
        }
        prop_assert_eq!(layer.counts(), (0, 0));
    }
}
