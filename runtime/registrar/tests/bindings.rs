//! REGISTER processing on a virtual clock.

use sbcctl_registrar::bindings::{
    Binding, BindingStore, ContactInput, ContactSet, FlowRef, MemoryStore, RegisterError,
    RegisterRequest, Registrar, RegistrarPolicy,
};
use std::time::{Duration, Instant};

const AOR: &str = "sip:alice@example.com";

fn registrar() -> Registrar {
    Registrar::new(MemoryStore::new(), RegistrarPolicy::default(), "node-a")
}

fn contact(uri: &str) -> ContactInput {
    ContactInput {
        uri: uri.to_owned(),
        ..ContactInput::default()
    }
}

fn req(call_id: &str, cseq: u32, contacts: Vec<ContactInput>) -> RegisterRequest {
    RegisterRequest {
        aor: AOR.to_owned(),
        call_id: call_id.to_owned(),
        cseq,
        contacts: ContactSet::List(contacts),
        ..RegisterRequest::default()
    }
}

fn uris(bindings: &[Binding]) -> Vec<&str> {
    bindings.iter().map(|b| b.contact.as_str()).collect()
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn expires_negotiation_default_clamp_and_423() {
    let t0 = Instant::now();
    let mut r = registrar();
    // No expires anywhere: the default (600).
    let got = r
        .register(t0, &req("c1", 1, vec![contact("sip:a@10.0.0.1")]))
        .expect("ok");
    assert_eq!(got.bindings[0].expires, 600);
    assert_eq!(got.bindings[0].remaining_secs(t0), 600);
    // Header applies when the Contact has no param; param wins over header.
    let mut rq = req("c1", 2, vec![contact("sip:a@10.0.0.1")]);
    rq.expires_header = Some(120);
    let got = r.register(t0, &rq).expect("ok");
    assert_eq!(got.bindings[0].expires, 120);
    let mut c = contact("sip:a@10.0.0.1");
    c.expires_param = Some(300);
    rq = req("c1", 3, vec![c]);
    rq.expires_header = Some(120);
    assert_eq!(r.register(t0, &rq).expect("ok").bindings[0].expires, 300);
    // Above max: clamped.
    let mut c = contact("sip:a@10.0.0.1");
    c.expires_param = Some(86_400);
    assert_eq!(
        r.register(t0, &req("c1", 4, vec![c])).expect("ok").bindings[0].expires,
        3600
    );
    // Below min and not zero: 423 with Min-Expires, nothing changed.
    let mut c = contact("sip:b@10.0.0.2");
    c.expires_param = Some(59);
    let err = r.register(t0, &req("c1", 5, vec![c])).expect_err("423");
    assert_eq!(err, RegisterError::IntervalTooBrief { min: 60 });
    assert_eq!(err.status(), 423);
    assert_eq!(
        uris(&r.lookup(AOR, t0).expect("lookup")),
        ["sip:a@10.0.0.1"]
    );
}

#[test]
fn bindings_expire_on_the_virtual_clock() {
    let t0 = Instant::now();
    let mut r = registrar();
    let mut short = contact("sip:short@10.0.0.1");
    short.expires_param = Some(60);
    let mut long = contact("sip:long@10.0.0.2");
    long.expires_param = Some(120);
    r.register(t0, &req("c1", 1, vec![short, long]))
        .expect("ok");
    assert_eq!(r.next_expiry(), Some(t0 + secs(60)));
    assert!(r.expire(t0 + secs(59)).expect("expire").is_empty());
    // Lookup hides a lapsed binding even before the timer sweeps it.
    assert_eq!(
        uris(&r.lookup(AOR, t0 + secs(60)).expect("lookup")),
        ["sip:long@10.0.0.2"]
    );
    let gone = r.expire(t0 + secs(60)).expect("expire");
    assert_eq!(uris(&gone), ["sip:short@10.0.0.1"]);
    assert_eq!(r.total(), 1);
    assert_eq!(r.next_expiry(), Some(t0 + secs(120)));
    // A refresh moves the expiry.
    let mut long = contact("sip:long@10.0.0.2");
    long.expires_param = Some(120);
    r.register(t0 + secs(100), &req("c1", 2, vec![long]))
        .expect("ok");
    assert_eq!(r.next_expiry(), Some(t0 + secs(220)));
    assert!(r.expire(t0 + secs(150)).expect("expire").is_empty());
    assert_eq!(r.expire(t0 + secs(220)).expect("expire").len(), 1);
    assert_eq!((r.total(), r.aors(), r.next_expiry()), (0, 0, None));
}

#[test]
fn several_contacts_and_unregister_one() {
    let t0 = Instant::now();
    let mut r = registrar();
    r.register(
        t0,
        &req("c1", 1, vec![contact("sip:a@h1"), contact("sip:b@h2")]),
    )
    .expect("ok");
    r.register(t0, &req("c2", 1, vec![contact("sip:c@h3")]))
        .expect("ok");
    assert_eq!(r.count(AOR).expect("count"), 3);
    let mut gone = contact("sip:b@h2");
    gone.expires_param = Some(0);
    let resp = r.register(t0, &req("c1", 2, vec![gone])).expect("ok");
    assert_eq!(uris(&resp.removed), ["sip:b@h2"]);
    let mut left = uris(&resp.bindings);
    left.sort();
    assert_eq!(left, ["sip:a@h1", "sip:c@h3"]);
    // Expires: 0 in the header un-registers the listed contact too.
    let mut rq = req("c2", 2, vec![contact("sip:c@h3")]);
    rq.expires_header = Some(0);
    assert_eq!(
        uris(&r.register(t0, &rq).expect("ok").bindings),
        ["sip:a@h1"]
    );
}

#[test]
fn wildcard_removes_everything_only_with_expires_zero() {
    let t0 = Instant::now();
    let mut r = registrar();
    r.register(
        t0,
        &req("c1", 1, vec![contact("sip:a@h1"), contact("sip:b@h2")]),
    )
    .expect("ok");
    let mut star = RegisterRequest {
        aor: AOR.to_owned(),
        call_id: "c9".into(),
        cseq: 1,
        contacts: ContactSet::Wildcard,
        ..RegisterRequest::default()
    };
    let err = r.register(t0, &star).expect_err("needs Expires: 0");
    assert_eq!(err, RegisterError::WildcardNeedsExpiresZero);
    assert_eq!(err.status(), 400);
    star.expires_header = Some(0);
    let resp = r.register(t0, &star).expect("ok");
    assert!(resp.bindings.is_empty());
    assert_eq!(resp.removed.len(), 2);
    assert_eq!((r.total(), r.aors()), (0, 0));
    assert_eq!(
        ContactSet::from_parts(true, vec![contact("sip:a@h1")]),
        Err(RegisterError::WildcardNotAlone)
    );
    assert_eq!(
        ContactSet::from_parts(true, vec![]),
        Ok(ContactSet::Wildcard)
    );
    assert_eq!(ContactSet::from_parts(false, vec![]), Ok(ContactSet::None));
}

#[test]
fn wildcard_respects_cseq_ordering() {
    let t0 = Instant::now();
    let mut r = registrar();
    r.register(t0, &req("c1", 5, vec![contact("sip:a@h1")]))
        .expect("ok");
    let star = RegisterRequest {
        aor: AOR.to_owned(),
        call_id: "c1".into(),
        cseq: 5,
        contacts: ContactSet::Wildcard,
        expires_header: Some(0),
        ..RegisterRequest::default()
    };
    assert!(matches!(
        r.register(t0, &star),
        Err(RegisterError::OutOfOrder { cseq: 5, stored: 5 })
    ));
    assert_eq!(r.total(), 1);
}

#[test]
fn fetch_lists_without_changing() {
    let t0 = Instant::now();
    let mut r = registrar();
    r.register(t0, &req("c1", 1, vec![contact("sip:a@h1")]))
        .expect("ok");
    let fetch = RegisterRequest {
        aor: AOR.to_owned(),
        call_id: "c1".into(),
        cseq: 1,
        ..RegisterRequest::default()
    };
    let resp = r.register(t0 + secs(10), &fetch).expect("fetch");
    assert_eq!(uris(&resp.bindings), ["sip:a@h1"]);
    assert_eq!(resp.bindings[0].remaining_secs(t0 + secs(10)), 590);
    assert_eq!(resp.bindings[0].cseq, 1);
}

#[test]
fn out_of_order_cseq_is_refused_and_changes_nothing() {
    let t0 = Instant::now();
    let mut r = registrar();
    r.register(t0, &req("c1", 10, vec![contact("sip:a@h1")]))
        .expect("ok");
    for cseq in [9, 10] {
        let mut gone = contact("sip:a@h1");
        gone.expires_param = Some(0);
        let err = r
            .register(t0, &req("c1", cseq, vec![contact("sip:new@h9"), gone]))
            .expect_err("out of order");
        assert_eq!(err, RegisterError::OutOfOrder { cseq, stored: 10 });
        assert_eq!(err.status(), 500);
    }
    assert_eq!(uris(&r.lookup(AOR, t0).expect("lookup")), ["sip:a@h1"]);
    // A new Call-ID (the UA restarted) may use any CSeq.
    r.register(t0, &req("c2", 1, vec![contact("sip:a@h1")]))
        .expect("new call-id");
    let b = &r.lookup(AOR, t0).expect("lookup")[0];
    assert_eq!((b.call_id.as_str(), b.cseq), ("c2", 1));
}

fn ws_contact(uri: &str, instance: &str, reg_id: Option<u32>) -> ContactInput {
    ContactInput {
        uri: uri.to_owned(),
        instance: Some(instance.to_owned()),
        reg_id,
        invalid_host: true,
        ..ContactInput::default()
    }
}

fn ws_req(call_id: &str, cseq: u32, flow: u64, contacts: Vec<ContactInput>) -> RegisterRequest {
    RegisterRequest {
        flow: Some(FlowRef(flow)),
        flow_bound: true,
        ..req(call_id, cseq, contacts)
    }
}

const INSTANCE: &str = "\"<urn:uuid:00000000-0000-4000-8000-000000000001>\"";

#[test]
fn reconnect_with_same_instance_replaces_the_binding() {
    let t0 = Instant::now();
    let mut r = registrar();
    let first = ws_contact("sip:x1@aaa.invalid;transport=ws", INSTANCE, Some(1));
    r.register(t0, &ws_req("c1", 1, 7, vec![first]))
        .expect("ok");
    // Page reload: new connection, new Contact, new Call-ID, same instance.
    let second = ws_contact("sip:x2@bbb.invalid;transport=ws", INSTANCE, Some(1));
    let resp = r
        .register(t0 + secs(5), &ws_req("c2", 1, 8, vec![second]))
        .expect("ok");
    assert_eq!(uris(&resp.bindings), ["sip:x2@bbb.invalid;transport=ws"]);
    assert_eq!(uris(&resp.removed), ["sip:x1@aaa.invalid;transport=ws"]);
    assert_eq!(resp.bindings[0].flow, Some(FlowRef(8)));
    assert_eq!(r.total(), 1);
    // The old flow closing later must not take the new binding with it.
    assert!(r.remove_flow(FlowRef(7)).expect("remove").is_empty());
    assert_eq!(r.total(), 1);
    // A different reg-id of the same instance is a second flow (RFC 5626).
    let other = ws_contact("sip:x3@ccc.invalid;transport=ws", INSTANCE, Some(2));
    r.register(t0 + secs(6), &ws_req("c3", 1, 9, vec![other]))
        .expect("ok");
    assert_eq!(r.total(), 2);
}

#[test]
fn flow_bound_bindings_go_with_their_flow() {
    let t0 = Instant::now();
    let mut r = registrar();
    let ws = ws_contact("sip:x1@aaa.invalid;transport=ws", INSTANCE, None);
    r.register(t0, &ws_req("c1", 1, 7, vec![ws])).expect("ok");
    // A routable TCP contact arriving on flow 7 but not bound to it.
    let mut tcp = req("c2", 1, vec![contact("sip:desk@192.0.2.1;transport=tcp")]);
    tcp.flow = Some(FlowRef(7));
    r.register(t0, &tcp).expect("ok");
    // Another AOR on another flow is untouched.
    let mut bob = ws_req(
        "c3",
        1,
        8,
        vec![ws_contact("sip:y@b.invalid", INSTANCE, None)],
    );
    bob.aor = "sip:bob@example.com".into();
    r.register(t0, &bob).expect("ok");
    assert_eq!(r.total(), 3);

    let gone = r.remove_flow(FlowRef(7)).expect("remove");
    assert_eq!(uris(&gone), ["sip:x1@aaa.invalid;transport=ws"]);
    let left = r.lookup(AOR, t0).expect("lookup");
    assert_eq!(uris(&left), ["sip:desk@192.0.2.1;transport=tcp"]);
    assert_eq!(left[0].flow, None);
    assert_eq!(r.count("sip:bob@example.com").expect("count"), 1);
    assert!(r.remove_flow(FlowRef(7)).expect("again").is_empty());
}

#[test]
fn invalid_host_contact_needs_a_flow() {
    let t0 = Instant::now();
    let mut r = registrar();
    let mut c = contact("sip:x@abc.invalid;transport=ws");
    c.invalid_host = true;
    let err = r
        .register(t0, &req("c1", 1, vec![c.clone()]))
        .expect_err("no flow");
    assert_eq!(err, RegisterError::FlowRequired);
    let mut rq = req("c1", 1, vec![c]);
    rq.flow = Some(FlowRef(3));
    let b = r.register(t0, &rq).expect("ok").bindings;
    assert!(b[0].flow_bound);
    assert_eq!(b[0].instance_node, "node-a");
}

#[test]
fn caps_per_aor_and_total() {
    let t0 = Instant::now();
    let policy = RegistrarPolicy {
        max_contacts_per_aor: 2,
        max_total_bindings: 3,
        ..RegistrarPolicy::default()
    };
    let mut r = Registrar::new(MemoryStore::new(), policy, "n");
    r.register(
        t0,
        &req("c1", 1, vec![contact("sip:a@h"), contact("sip:b@h")]),
    )
    .expect("ok");
    let err = r
        .register(t0, &req("c1", 2, vec![contact("sip:c@h")]))
        .expect_err("cap");
    assert_eq!(err, RegisterError::TooManyContacts { max: 2 });
    assert_eq!(err.status(), 403);
    // Refreshing within the cap still works.
    r.register(t0, &req("c1", 3, vec![contact("sip:a@h")]))
        .expect("refresh");
    let mut bob = req("b1", 1, vec![contact("sip:x@h")]);
    bob.aor = "sip:bob@example.com".into();
    r.register(t0, &bob).expect("third binding");
    let mut carol = req("k1", 1, vec![contact("sip:y@h")]);
    carol.aor = "sip:carol@example.com".into();
    let err = r.register(t0, &carol).expect_err("full");
    assert_eq!(err, RegisterError::RegistrarFull { max: 3 });
    assert_eq!(err.status(), 503);
    assert_eq!((r.total(), r.aors()), (3, 2));
}

#[test]
fn lookup_orders_by_q_then_most_recent() {
    let t0 = Instant::now();
    let mut r = registrar();
    let with_q = |uri: &str, q: Option<f32>| ContactInput { q, ..contact(uri) };
    r.register(t0, &req("c1", 1, vec![with_q("sip:low@h", Some(0.1))]))
        .expect("ok");
    r.register(t0 + secs(1), &req("c2", 1, vec![with_q("sip:old@h", None)]))
        .expect("ok");
    r.register(
        t0 + secs(2),
        &req("c3", 1, vec![with_q("sip:mid@h", Some(0.5))]),
    )
    .expect("ok");
    r.register(
        t0 + secs(3),
        &req("c4", 1, vec![with_q("sip:new@h", Some(1.0))]),
    )
    .expect("ok");
    assert_eq!(
        uris(&r.lookup(AOR, t0 + secs(3)).expect("lookup")),
        ["sip:new@h", "sip:old@h", "sip:mid@h", "sip:low@h"]
    );
    let err = r
        .register(t0, &req("c5", 1, vec![with_q("sip:bad@h", Some(1.5))]))
        .expect_err("bad q");
    assert_eq!(err, RegisterError::InvalidQ);
    let err = r
        .register(t0, &req("c5", 1, vec![with_q("sip:bad@h", Some(f32::NAN))]))
        .expect_err("bad q");
    assert_eq!(err, RegisterError::InvalidQ);
}

#[test]
fn store_indexes_stay_consistent() {
    let t0 = Instant::now();
    let mut r = registrar();
    r.register(
        t0,
        &ws_req(
            "c1",
            1,
            4,
            vec![ws_contact("sip:a@x.invalid", INSTANCE, None)],
        ),
    )
    .expect("ok");
    assert_eq!(
        r.store().aors_on_flow("node-a", FlowRef(4)).expect("index"),
        [AOR]
    );
    // Same flow id on another node is a different flow.
    assert!(
        r.store()
            .aors_on_flow("node-b", FlowRef(4))
            .expect("index")
            .is_empty()
    );
    r.remove_flow(FlowRef(4)).expect("remove");
    assert!(
        r.store()
            .aors_on_flow("node-a", FlowRef(4))
            .expect("index")
            .is_empty()
    );
    assert_eq!(r.next_expiry(), None);
}
