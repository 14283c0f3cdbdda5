//! Forward mode: rewrite on the way up, learn from the 2xx, route calls back.

use rand::SeedableRng;
use rand::rngs::StdRng;
use sbcctl_registrar::bindings::{ContactInput, ContactSet, FlowRef};
use sbcctl_registrar::forward::{
    EntryState, ForwardConfig, ForwardError, ForwardMode, ForwardRegister, ForwardTable, Target,
    UpstreamContact,
};
use std::time::{Duration, Instant};

const AOR: &str = "sip:alice@example.com";
const WS1: &str = "sip:x1@aaa.invalid;transport=ws";
const WS2: &str = "sip:x2@bbb.invalid;transport=ws";
const INSTANCE: &str = "\"<urn:uuid:00000000-0000-4000-8000-000000000001>\"";

fn table() -> ForwardTable {
    let mut cfg = ForwardConfig::new("198.51.100.7:5060");
    cfg.transport = Some("tcp".into());
    ForwardTable::new(cfg)
}

fn ws_contacts(uri: &str) -> ContactSet {
    ContactSet::List(vec![ContactInput {
        uri: uri.to_owned(),
        instance: Some(INSTANCE.to_owned()),
        reg_id: Some(1),
        invalid_host: true,
        ..ContactInput::default()
    }])
}

fn register<'a>(
    contacts: &'a ContactSet,
    call_id: &'a str,
    cseq: u32,
    flow: u64,
    path: bool,
) -> ForwardRegister<'a> {
    ForwardRegister {
        aor: AOR,
        call_id,
        cseq,
        contacts,
        flow: Some(FlowRef(flow)),
        flow_bound: true,
        upstream_supports_path: path,
    }
}

fn up(uri: &str, expires: u32) -> UpstreamContact {
    UpstreamContact {
        uri: uri.to_owned(),
        expires: Some(expires),
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn contact_rewrite_learn_route_and_unregister() {
    let t0 = Instant::now();
    let mut rng = StdRng::seed_from_u64(1);
    let mut t = table();
    let cs = ws_contacts(WS1);
    let rw = t
        .prepare(t0, &mut rng, &register(&cs, "c1", 1, 7, false))
        .expect("prepare");
    assert_eq!(rw.mode, ForwardMode::ContactRewrite);
    assert_eq!(rw.path, None);
    assert_eq!(rw.contacts.len(), 1);
    assert_eq!(rw.contacts[0].original, WS1);
    let sbc_contact = rw.contacts[0].upstream.clone();
    assert!(sbc_contact.starts_with("sip:"));
    assert!(sbc_contact.ends_with("@198.51.100.7:5060;transport=tcp"));
    let token = sbc_contact["sip:".len()..sbc_contact.find('@').expect("@")].to_owned();
    assert_eq!(token.len(), 16);

    // Pending: not routable yet.
    assert_eq!(t.resolve(t0, &token, None), None);

    // The upstream's 2xx lists our rewritten contact and one from elsewhere.
    let other = up("sip:alice@192.0.2.50", 1800);
    let learned = t.learn(t0, AOR, "c1", &[up(&sbc_contact, 600), other.clone()], None);
    assert_eq!(learned.confirmed.len(), 1);
    assert!(learned.removed.is_empty());
    assert_eq!(learned.client_contacts, vec![up(WS1, 600), other]);
    assert_eq!(
        t.resolve(t0 + secs(1), &token, None),
        Some(Target {
            flow: Some(FlowRef(7)),
            request_uri: Some(WS1.to_owned()),
            aor: AOR.to_owned()
        })
    );
    assert_eq!(t.next_deadline(), Some(t0 + secs(600)));

    // Un-REGISTER: the 2xx no longer lists our contact.
    let mut gone = ws_contacts(WS1);
    if let ContactSet::List(list) = &mut gone {
        list[0].expires_param = Some(0);
    }
    let rw = t
        .prepare(t0 + secs(5), &mut rng, &register(&gone, "c1", 2, 7, false))
        .expect("prepare");
    assert_eq!(rw.contacts[0].upstream, sbc_contact, "token is stable");
    let learned = t.learn(t0 + secs(5), AOR, "c1", &[], None);
    assert_eq!(learned.removed.len(), 1);
    assert!(t.is_empty());
    assert_eq!(t.resolve(t0 + secs(5), &token, None), None);
}

#[test]
fn expires_zero_in_the_2xx_removes_and_entries_expire() {
    let t0 = Instant::now();
    let mut rng = StdRng::seed_from_u64(2);
    let mut t = table();
    let cs = ws_contacts(WS1);
    let rw = t
        .prepare(t0, &mut rng, &register(&cs, "c1", 1, 7, false))
        .expect("prepare");
    let sbc = rw.contacts[0].upstream.clone();
    // Contact without its own expires: the Expires header applies.
    let learned = t.learn(
        t0,
        AOR,
        "c1",
        &[UpstreamContact {
            uri: format!("<{sbc}>"),
            expires: None,
        }],
        Some(120),
    );
    assert_eq!(learned.client_contacts, vec![up(WS1, 120)]);
    assert!(t.expire(t0 + secs(119)).is_empty());
    assert_eq!(t.expire(t0 + secs(120)).len(), 1);
    assert!(t.is_empty());

    let rw = t
        .prepare(t0, &mut rng, &register(&cs, "c2", 1, 7, false))
        .expect("prepare");
    let learned = t.learn(t0, AOR, "c2", &[up(&rw.contacts[0].upstream, 0)], None);
    assert_eq!(learned.removed.len(), 1);
    assert!(learned.client_contacts.is_empty());
    assert!(t.is_empty());
}

#[test]
fn reconnect_keeps_the_token_and_moves_the_flow() {
    let t0 = Instant::now();
    let mut rng = StdRng::seed_from_u64(3);
    let mut t = table();
    let first = ws_contacts(WS1);
    let rw = t
        .prepare(t0, &mut rng, &register(&first, "c1", 1, 7, false))
        .expect("prepare");
    let sbc = rw.contacts[0].upstream.clone();
    t.learn(t0, AOR, "c1", &[up(&sbc, 600)], None);
    let token = t.entries_for(AOR)[0].token.clone();

    // The browser reconnects on flow 8 with a new Contact, same instance.
    let second = ws_contacts(WS2);
    let rw = t
        .prepare(
            t0 + secs(3),
            &mut rng,
            &register(&second, "c2", 1, 8, false),
        )
        .expect("prepare");
    assert_eq!(
        rw.contacts[0].upstream, sbc,
        "same upstream contact: no duplicate"
    );
    assert_eq!(t.len(), 1);
    // Still routable while the refresh is in flight, now over the new flow.
    let target = t.resolve(t0 + secs(3), &token, None).expect("active");
    assert_eq!(target.flow, Some(FlowRef(8)));
    assert_eq!(target.request_uri.as_deref(), Some(WS2));
    // Closing the old flow removes nothing.
    assert!(t.remove_flow(FlowRef(7)).is_empty());
    let learned = t.learn(t0 + secs(3), AOR, "c2", &[up(&sbc, 600)], None);
    assert_eq!(learned.client_contacts, vec![up(WS2, 600)]);
    // Closing the new flow removes the entry and hands it back for an
    // un-REGISTER upstream.
    let gone = t.remove_flow(FlowRef(8));
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].upstream_contact, sbc);
    assert_eq!((gone[0].call_id.as_str(), gone[0].cseq), ("c2", 1));
    assert!(t.is_empty());
}

#[test]
fn path_mode_keeps_the_contact_and_routes_by_flow_token() {
    let t0 = Instant::now();
    let mut rng = StdRng::seed_from_u64(4);
    let mut t = table();
    let cs = ws_contacts(WS1);
    let rw = t
        .prepare(t0, &mut rng, &register(&cs, "c1", 1, 7, true))
        .expect("prepare");
    assert_eq!(rw.mode, ForwardMode::Path);
    assert_eq!(rw.contacts[0].upstream, WS1, "contact unchanged");
    let path = rw.path.clone().expect("path");
    assert!(path.starts_with("<sip:"));
    assert!(path.ends_with("@198.51.100.7:5060;transport=tcp;lr>"));
    let path_token = path["<sip:".len()..path.find('@').expect("@")].to_owned();

    let learned = t.learn(t0, AOR, "c1", &[up(WS1, 300)], None);
    assert_eq!(learned.client_contacts, vec![up(WS1, 300)]);
    assert_eq!(
        t.resolve(t0, &path_token, Some(WS1)),
        Some(Target {
            flow: Some(FlowRef(7)),
            request_uri: None,
            aor: AOR.to_owned()
        })
    );
    assert_eq!(t.resolve(t0, &path_token, Some(WS2)), None);
    assert_eq!(t.resolve(t0, "unknown", None), None);
    // Same flow, another REGISTER: the same Path token.
    let again = t
        .prepare(t0, &mut rng, &register(&cs, "c1", 2, 7, true))
        .expect("prepare");
    assert_eq!(again.path.as_deref(), Some(path.as_str()));
    let gone = t.remove_flow(FlowRef(7));
    assert_eq!(gone.len(), 1);
    assert_eq!(t.resolve(t0, &path_token, None), None);
}

#[test]
fn pending_entries_time_out_or_are_abandoned() {
    let t0 = Instant::now();
    let mut rng = StdRng::seed_from_u64(5);
    let mut t = table();
    let cs = ws_contacts(WS1);
    t.prepare(t0, &mut rng, &register(&cs, "c1", 1, 7, false))
        .expect("prepare");
    assert!(matches!(
        t.entries_for(AOR)[0].state,
        EntryState::Pending { .. }
    ));
    // A 401 from upstream: the retry with the same Call-ID reuses the entry.
    let a = t
        .prepare(t0, &mut rng, &register(&cs, "c1", 2, 7, false))
        .expect("prepare");
    assert_eq!(t.len(), 1);
    assert_eq!(t.next_deadline(), Some(t0 + secs(32)));
    assert_eq!(t.expire(t0 + secs(32)).len(), 1);
    assert!(t.is_empty());

    let b = t
        .prepare(t0, &mut rng, &register(&cs, "c1", 3, 7, false))
        .expect("prepare");
    assert_ne!(a.contacts[0].upstream, b.contacts[0].upstream);
    assert_eq!(t.abandon(AOR, "other-call").len(), 0);
    assert_eq!(t.abandon(AOR, "c1").len(), 1);
    assert!(t.is_empty());
}

#[test]
fn learn_leaves_other_in_flight_registrations_alone() {
    let t0 = Instant::now();
    let mut rng = StdRng::seed_from_u64(6);
    let mut t = table();
    let one = ContactSet::List(vec![ContactInput {
        uri: "sip:d1@h1.invalid".into(),
        invalid_host: true,
        ..ContactInput::default()
    }]);
    let two = ContactSet::List(vec![ContactInput {
        uri: "sip:d2@h2.invalid".into(),
        invalid_host: true,
        ..ContactInput::default()
    }]);
    let rw1 = t
        .prepare(t0, &mut rng, &register(&one, "c1", 1, 1, false))
        .expect("prepare");
    t.prepare(t0, &mut rng, &register(&two, "c2", 1, 2, false))
        .expect("prepare");
    let learned = t.learn(t0, AOR, "c1", &[up(&rw1.contacts[0].upstream, 600)], None);
    assert!(learned.removed.is_empty());
    assert_eq!(t.len(), 2);
}

#[test]
fn limits_and_bad_input() {
    let t0 = Instant::now();
    let mut rng = StdRng::seed_from_u64(7);
    let mut cfg = ForwardConfig::new("sbc.example.net");
    cfg.max_entries = 1;
    let mut t = ForwardTable::new(cfg);
    let cs = ws_contacts(WS1);
    t.prepare(t0, &mut rng, &register(&cs, "c1", 1, 7, false))
        .expect("prepare");
    let more = ws_contacts(WS2);
    let mut other = register(&more, "c2", 1, 8, false);
    other.aor = "sip:bob@example.com";
    assert_eq!(
        t.prepare(t0, &mut rng, &other),
        Err(ForwardError::Full { max: 1 })
    );
    let empty = ContactSet::List(vec![ContactInput::default()]);
    assert_eq!(
        t.prepare(t0, &mut rng, &register(&empty, "c3", 1, 7, false)),
        Err(ForwardError::Empty)
    );
    // `*` and fetches pass through untouched.
    let star = ContactSet::Wildcard;
    let rw = t
        .prepare(t0, &mut rng, &register(&star, "c1", 2, 7, false))
        .expect("wildcard");
    assert!(rw.contacts.is_empty() && rw.path.is_none());
    let learned = t.learn(t0, AOR, "c1", &[], None);
    assert_eq!(learned.removed.len(), 1);
}

#[test]
fn closing_a_flow_keeps_routable_contacts() {
    let t0 = Instant::now();
    let mut rng = StdRng::seed_from_u64(8);
    let mut t = table();
    let desk = ContactSet::List(vec![ContactInput {
        uri: "sip:desk@192.0.2.10:5060;transport=tcp".into(),
        ..ContactInput::default()
    }]);
    let mut rq = register(&desk, "c1", 1, 9, false);
    rq.flow_bound = false;
    let rw = t.prepare(t0, &mut rng, &rq).expect("prepare");
    t.learn(t0, AOR, "c1", &[up(&rw.contacts[0].upstream, 600)], None);
    assert!(t.remove_flow(FlowRef(9)).is_empty());
    let token = t.entries_for(AOR)[0].token.clone();
    let target = t.resolve(t0, &token, None).expect("still routable");
    assert_eq!(target.flow, None);
    assert_eq!(
        target.request_uri.as_deref(),
        Some("sip:desk@192.0.2.10:5060;transport=tcp")
    );
}
