//! Random REGISTER / flow-close / expiry sequences keep the registrar and its
//! store indexes consistent.

use proptest::prelude::*;
use sbcctl_registrar::bindings::{
    BindingStore, ContactInput, ContactSet, FlowRef, MemoryStore, RegisterRequest, Registrar,
    RegistrarPolicy, is_invalid_host,
};
use std::time::{Duration, Instant};

const AORS: [&str; 2] = ["sip:a@x", "sip:b@x"];
const URIS: [&str; 4] = [
    "sip:1@h.invalid",
    "sip:2@h.invalid",
    "sip:3@10.0.0.1",
    "sip:4@10.0.0.2",
];
const INSTANCES: [&str; 2] = ["<urn:uuid:1>", "<urn:uuid:2>"];

/// (URI index, instance index, reg-id, expires param)
type ContactSpec = (usize, Option<usize>, Option<u32>, Option<u32>);

#[derive(Debug, Clone)]
enum Op {
    Register {
        aor: usize,
        call: u8,
        cseq: u32,
        contacts: Vec<ContactSpec>,
        wildcard: bool,
        header: Option<u32>,
        flow: u64,
        bound: bool,
    },
    CloseFlow(u64),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let expires = prop_oneof![
        Just(None),
        Just(Some(0u32)),
        Just(Some(30)),
        Just(Some(60)),
        Just(Some(120)),
        Just(Some(5000))
    ];
    let contact = (
        0..URIS.len(),
        proptest::option::of(0..INSTANCES.len()),
        proptest::option::of(1u32..3),
        expires.clone(),
    );
    prop_oneof![
        6 => (
            0..AORS.len(),
            0u8..3,
            0u32..6,
            proptest::collection::vec(contact, 0..3),
            proptest::bool::weighted(0.1),
            expires,
            1u64..4,
            any::<bool>(),
        )
            .prop_map(|(aor, call, cseq, contacts, wildcard, header, flow, bound)| {
                Op::Register { aor, call, cseq, contacts, wildcard, header, flow, bound }
            }),
        1 => (1u64..4).prop_map(Op::CloseFlow),
        2 => (0u64..200).prop_map(Op::Advance),
    ]
}

fn check(r: &Registrar, now: Instant, policy: &RegistrarPolicy) {
    let mut total = 0;
    let mut aors = 0;
    let mut earliest: Option<Instant> = None;
    for aor in AORS {
        let all = r.store().get(aor).expect("get");
        total += all.len();
        aors += usize::from(!all.is_empty());
        assert!(all.len() <= policy.max_contacts_per_aor);
        for (i, b) in all.iter().enumerate() {
            assert_eq!(b.aor, aor);
            assert!(b.expires >= policy.min_expires && b.expires <= policy.max_expires);
            earliest = Some(earliest.map_or(b.expires_at, |e| e.min(b.expires_at)));
            for other in &all[i + 1..] {
                assert_ne!(b.contact, other.contact, "duplicate contact");
                if b.instance.is_some() {
                    assert!(
                        !(b.instance == other.instance && b.reg_id == other.reg_id),
                        "duplicate instance/reg-id"
                    );
                }
            }
            if b.flow_bound {
                assert!(b.flow.is_some());
            }
        }
        let live = r.lookup(aor, now).expect("lookup");
        assert!(live.iter().all(|b| b.expires_at > now));
        assert!(live.windows(2).all(|w| w[0].q_value() >= w[1].q_value()));
    }
    assert_eq!(r.total(), total);
    assert_eq!(r.aors(), aors);
    assert_eq!(r.next_expiry(), earliest);
}

proptest! {
    #[test]
    fn registrar_stays_consistent(ops in proptest::collection::vec(op(), 1..40)) {
        let policy = RegistrarPolicy {
            min_expires: 60,
            max_expires: 3600,
            default_expires: 600,
            max_contacts_per_aor: 3,
            max_total_bindings: 5,
        };
        let mut r = Registrar::new(MemoryStore::new(), policy, "n1");
        let mut now = Instant::now();
        for op in ops {
            match op {
                Op::Register { aor, call, cseq, contacts, wildcard, header, flow, bound } => {
                    let list: Vec<ContactInput> = contacts
                        .iter()
                        .map(|&(u, inst, reg_id, expires)| ContactInput {
                            uri: URIS[u].to_owned(),
                            expires_param: expires,
                            q: None,
                            instance: inst.map(|i| INSTANCES[i].to_owned()),
                            reg_id,
                            invalid_host: is_invalid_host(
                                URIS[u].split('@').nth(1).unwrap_or_default(),
                            ),
                        })
                        .collect();
                    let Ok(contacts) = ContactSet::from_parts(wildcard, list) else {
                        continue;
                    };
                    let before: Vec<_> = AORS.iter().map(|a| r.store().get(a).expect("get")).collect();
                    let req = RegisterRequest {
                        aor: AORS[aor].to_owned(),
                        call_id: format!("call-{call}"),
                        cseq,
                        contacts,
                        expires_header: header,
                        flow: Some(FlowRef(flow)),
                        flow_bound: bound,
                        ..RegisterRequest::default()
                    };
                    if r.register(now, &req).is_err() {
                        let after: Vec<_> = AORS.iter().map(|a| r.store().get(a).expect("get")).collect();
                        prop_assert_eq!(before, after, "a refused REGISTER changed state");
                    }
                }
                Op::CloseFlow(f) => {
                    let gone = r.remove_flow(FlowRef(f)).expect("remove");
                    prop_assert!(gone.iter().all(|b| b.flow == Some(FlowRef(f)) && b.flow_bound));
                    for aor in AORS {
                        prop_assert!(r
                            .store()
                            .get(aor)
                            .expect("get")
                            .iter()
                            .all(|b| !(b.flow_bound && b.flow == Some(FlowRef(f)))));
                    }
                }
                Op::Advance(s) => {
                    now += Duration::from_secs(s);
                    let gone = r.expire(now).expect("expire");
                    prop_assert!(gone.iter().all(|b| b.expires_at <= now));
                }
            }
            check(&r, now, &policy);
        }
    }
}

#[test]
fn invalid_host_detection() {
    for host in ["abc.invalid", "ABC.INVALID", "x.y.invalid.", "invalid"] {
        assert!(is_invalid_host(host), "{host}");
    }
    for host in [
        "example.com",
        "invalid.example.com",
        "notinvalid",
        "",
        "10.0.0.1",
    ] {
        assert!(!is_invalid_host(host), "{host}");
    }
}
