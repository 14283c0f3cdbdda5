//! The manipulations applier: one test per action, the conditions, the order, the refusals, and a
//! snapshot of a full INVITE before and after a realistic rule set.

use std::path::Path;
use std::sync::Arc;

use sbcctl_compiler::plan::{Action, Direction, Manipulation, ManipulationMatch, PeerId, Plan};
use sbcctl_compiler::source::SourceFile;
use sbcctl_compiler::{Options, compile};
use sbcctl_runtime::manipulate::Manipulator;
use sbcctl_sip::{Message, Request, parse};

/// Interfaces and peers every test shares; each test appends its `manipulations:` section.
const BASE: &str = r#"
version: 1
interfaces:
  browsers: { transport: ws, listen: 127.0.0.1:0, websocket: { path: / } }
  lan: { transport: udp, listen: 127.0.0.1:0 }
media_realms:
  web: { listen: 127.0.0.1, ports: 40000-40099 }
  lan: { listen: 127.0.0.1, ports: 41000-41099 }
profiles:
  webrtc: { media: webrtc, codecs: [opus, pcmu] }
  sip: { media: rtp, codecs: [pcmu, pcma] }
peers:
  web:
    users:
      interface: browsers
      realm: web
      profile: webrtc
      registration: { local: { realm: test.local, users: [{ name: alice, password: pw }] } }
  pbx:
    server: { interface: lan, realm: lan, profile: sip, proxies: [{ address: 127.0.0.1:5090 }] }
  carrier:
    server: { interface: lan, realm: lan, profile: sip, proxies: [{ address: 127.0.0.2:5060 }] }
routes:
  - name: out
    from: web
    to: { peer: pbx }
"#;

fn plan(manipulations: &str) -> Plan {
    let yaml = format!("{BASE}manipulations:\n{manipulations}");
    let out = compile(
        &SourceFile::new("test.yaml", Path::new("."), &yaml),
        Options { pure: true },
    );
    let messages: Vec<&str> = out.diagnostics.iter().map(|d| d.message.as_str()).collect();
    out.plan
        .unwrap_or_else(|| panic!("test spec does not compile: {messages:?}"))
}

fn manipulator(manipulations: &str) -> (Manipulator, Arc<Plan>) {
    let plan = Arc::new(plan(manipulations));
    let m = Manipulator::new(plan.clone()).unwrap_or_else(|e| panic!("{e}"));
    (m, plan)
}

fn peer(plan: &Plan, name: &str) -> PeerId {
    plan.peer_by_name(name)
        .unwrap_or_else(|| panic!("no peer {name}"))
}

const INVITE: &str = "INVITE sip:+4930123456@sbc.example.com;user=phone SIP/2.0\r\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7\r\n\
Max-Forwards: 70\r\n\
From: \"Alice\" <sip:+4930111222@sbc.example.com>;tag=9fxced76sl\r\n\
To: <sip:+4930123456@sbc.example.com;user=phone>\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: 2 INVITE\r\n\
Contact: <sip:k2j3@df7jal23ls0d.invalid;transport=ws;ob>\r\n\
User-Agent: JsSIP 3.10.1\r\n\
Subject: hello\r\n\
X-Tenant: acme-42\r\n\
Content-Length: 0\r\n\r\n";

fn request(text: &str) -> Request {
    match parse(text.as_bytes()) {
        Ok(Message::Request(r)) => r,
        other => panic!("not a request: {other:?}"),
    }
}

fn invite() -> Request {
    request(INVITE)
}

fn text(req: &Request) -> String {
    String::from_utf8_lossy(&req.to_bytes()).into_owned()
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers
        .get(name)
        .and_then(|h| h.value_str())
        .map(|v| v.into_owned())
}

fn all(req: &Request, name: &str) -> Vec<String> {
    req.headers
        .get_all(name)
        .filter_map(|h| h.value_str().map(|v| v.into_owned()))
        .collect()
}

/// Applies the rules egress toward `pbx` and returns the edited INVITE and the rule names.
fn egress_pbx(manipulations: &str, req: Request) -> (Request, Vec<String>) {
    let (m, plan) = manipulator(manipulations);
    let mut req = req;
    let applied = m.apply(Direction::Egress, peer(&plan, "pbx"), &mut req);
    (req, applied)
}

// ---- one test per action ----

#[test]
fn add_header_appends_after_existing_ones() {
    let (req, applied) = egress_pbx(
        "  - name: tag\n    do:\n      - add_header: { name: X-Tenant, value: second }\n      - add_header: { name: P-Early-Media, value: supported }\n",
        invite(),
    );
    assert_eq!(applied, vec!["tag"]);
    assert_eq!(all(&req, "X-Tenant"), vec!["acme-42", "second"]);
    assert_eq!(header(&req, "P-Early-Media").as_deref(), Some("supported"));
    let names: Vec<String> = req
        .headers
        .iter()
        .map(|h| String::from_utf8_lossy(h.name()).into_owned())
        .collect();
    // Appended after the other headers, but before Content-Length, which by habit closes the
    // header block.
    assert_eq!(
        names
            .iter()
            .rev()
            .take(2)
            .map(String::as_str)
            .collect::<Vec<_>>(),
        vec!["Content-Length", "P-Early-Media"]
    );
}

#[test]
fn set_header_replaces_every_copy_in_place_or_appends() {
    let req = request(&INVITE.replace(
        "Subject: hello\r\n",
        "X-Tenant: other\r\nSubject: hello\r\n",
    ));
    let (req, _) = egress_pbx(
        "  - name: s\n    do:\n      - set_header: { name: x-tenant, value: fixed }\n      - set_header: { name: X-New, value: one }\n",
        req,
    );
    assert_eq!(all(&req, "X-Tenant"), vec!["fixed"]);
    assert_eq!(header(&req, "X-New").as_deref(), Some("one"));
    // The replacement sits where the first X-Tenant was (before Subject); a new header goes
    // before Content-Length.
    let t = text(&req);
    let pos = |s: &str| t.find(s).unwrap_or_else(|| panic!("{s} in {t}"));
    assert!(pos("User-Agent") < pos("x-tenant: fixed"));
    assert!(pos("x-tenant: fixed") < pos("Subject: hello"));
    assert!(pos("Subject: hello") < pos("X-New: one"));
    assert!(pos("X-New: one") < pos("Content-Length"));
}

#[test]
fn remove_header_removes_every_copy_and_compact_forms() {
    let req = request(&INVITE.replace("Subject: hello\r\n", "s: compact\r\nSubject: hello\r\n"));
    let (req, _) = egress_pbx(
        "  - name: r\n    do:\n      - remove_header: { name: subject }\n      - remove_header: { name: User-Agent }\n      - remove_header: { name: X-Not-There }\n",
        req,
    );
    assert_eq!(req.headers.count("Subject"), 0);
    assert_eq!(req.headers.count("User-Agent"), 0);
    assert_eq!(header(&req, "X-Tenant").as_deref(), Some("acme-42"));
}

#[test]
fn add_prefix_on_the_request_uri_keeps_its_parameters() {
    let (req, _) = egress_pbx(
        "  - name: p\n    do:\n      - strip_prefix: { field: request_user, prefix: \"+49\" }\n      - add_prefix: { field: request_user, prefix: \"0\" }\n",
        invite(),
    );
    assert_eq!(
        req.uri_bytes().as_ref(),
        b"sip:030123456@sbc.example.com;user=phone"
    );
}

#[test]
fn add_prefix_on_a_tel_request_uri() {
    let req = request(&INVITE.replace(
        "INVITE sip:+4930123456@sbc.example.com;user=phone SIP/2.0",
        "INVITE tel:30123456;phone-context=+49 SIP/2.0",
    ));
    let (req, _) = egress_pbx(
        "  - name: p\n    do:\n      - add_prefix: { field: request_user, prefix: \"0\" }\n",
        req,
    );
    assert_eq!(req.uri_bytes().as_ref(), b"tel:030123456;phone-context=+49");
}

#[test]
fn strip_prefix_on_from_keeps_display_tag_and_params() {
    let req = request(&INVITE.replace(
        "From: \"Alice\" <sip:+4930111222@sbc.example.com>;tag=9fxced76sl",
        "f: \"Alice\" <sip:+4930111222@sbc.example.com;user=phone>;tag=9fxced76sl;x-p=1",
    ));
    let (req, _) = egress_pbx(
        "  - name: s\n    do:\n      - strip_prefix: { field: from_user, prefix: \"+49\" }\n",
        req,
    );
    assert_eq!(
        header(&req, "From").as_deref(),
        Some("\"Alice\" <sip:30111222@sbc.example.com;user=phone>;tag=9fxced76sl;x-p=1")
    );
}

#[test]
fn strip_prefix_that_does_not_match_leaves_the_bytes_alone() {
    let original = invite();
    let (req, applied) = egress_pbx(
        "  - name: s\n    do:\n      - strip_prefix: { field: to_user, prefix: \"+33\" }\n      - strip_prefix: { field: request_user, prefix: \"+33\" }\n",
        original.clone(),
    );
    assert_eq!(applied, vec!["s"]);
    assert_eq!(req.to_bytes(), original.to_bytes());
}

#[test]
fn strip_prefix_sees_through_percent_escapes() {
    let req = request(&INVITE.replace("INVITE sip:+4930123456@", "INVITE sip:%2B4930123456@"));
    let (req, _) = egress_pbx(
        "  - name: s\n    do:\n      - strip_prefix: { field: request_user, prefix: \"+49\" }\n",
        req,
    );
    assert_eq!(
        req.uri_bytes().as_ref(),
        b"sip:30123456@sbc.example.com;user=phone"
    );
}

#[test]
fn regex_replace_with_numbered_and_named_groups() {
    let (req, _) = egress_pbx(
        r#"  - name: r
    do:
      - regex_replace: { field: to_user, pattern: '^\+49(\d+)$', replacement: "0$1" }
      - regex_replace: { field: from_user, pattern: '^\+(?<cc>\d\d)(?<rest>\d+)$', replacement: "00${cc}-${rest}" }
      - regex_replace: { field: request_user, pattern: '^\+1', replacement: "no-match" }
"#,
        invite(),
    );
    assert_eq!(
        header(&req, "To").as_deref(),
        Some("<sip:030123456@sbc.example.com;user=phone>")
    );
    assert_eq!(
        header(&req, "From").as_deref(),
        Some("\"Alice\" <sip:0049-30111222@sbc.example.com>;tag=9fxced76sl")
    );
    assert_eq!(
        req.uri_bytes().as_ref(),
        b"sip:+4930123456@sbc.example.com;user=phone"
    );
}

#[test]
fn regex_replace_escapes_what_a_user_part_cannot_hold() {
    let (req, _) = egress_pbx(
        "  - name: r\n    do:\n      - regex_replace: { field: request_user, pattern: '^\\+49(\\d+)$', replacement: \"*31#$1\" }\n",
        invite(),
    );
    assert_eq!(
        req.uri_bytes().as_ref(),
        b"sip:*31%2330123456@sbc.example.com;user=phone"
    );
}

#[test]
fn set_display_name_on_from_and_to() {
    let (req, _) = egress_pbx(
        "  - name: d\n    do:\n      - set_display_name: { field: from, value: 'Web \"visitor\"' }\n      - set_display_name: { field: to, value: Sales }\n",
        invite(),
    );
    assert_eq!(
        header(&req, "From").as_deref(),
        Some(r#""Web \"visitor\"" <sip:+4930111222@sbc.example.com>;tag=9fxced76sl"#)
    );
    assert_eq!(
        header(&req, "To").as_deref(),
        Some("\"Sales\" <sip:+4930123456@sbc.example.com;user=phone>")
    );
    let (req, _) = egress_pbx(
        "  - name: d\n    do:\n      - set_display_name: { field: from, value: '' }\n",
        invite(),
    );
    assert_eq!(
        header(&req, "From").as_deref(),
        Some("<sip:+4930111222@sbc.example.com>;tag=9fxced76sl")
    );
}

// ---- conditions ----

const TAG_RULE: &str = "    do:\n      - add_header: { name: X-Hit, value: yes }\n";

fn hits(m: &Manipulator, dir: Direction, peer: PeerId, req: &Request) -> bool {
    let mut req = req.clone();
    let applied = m.apply(dir, peer, &mut req);
    let hit = req.headers.get("X-Hit").is_some();
    assert_eq!(
        hit,
        !applied.is_empty(),
        "the returned names match the edits"
    );
    hit
}

#[test]
fn direction_condition() {
    let (m, plan) = manipulator(&format!(
        "  - name: d\n    when: {{ direction: ingress }}\n{TAG_RULE}"
    ));
    let pbx = peer(&plan, "pbx");
    assert!(hits(&m, Direction::Ingress, pbx, &invite()));
    assert!(!hits(&m, Direction::Egress, pbx, &invite()));
    let (both, plan) = manipulator(&format!("  - name: d\n{TAG_RULE}"));
    let pbx = peer(&plan, "pbx");
    assert!(hits(&both, Direction::Ingress, pbx, &invite()));
    assert!(hits(&both, Direction::Egress, pbx, &invite()));
}

#[test]
fn peer_condition() {
    let (m, plan) = manipulator(&format!(
        "  - name: p\n    when: {{ peer: carrier }}\n{TAG_RULE}"
    ));
    assert!(hits(
        &m,
        Direction::Egress,
        peer(&plan, "carrier"),
        &invite()
    ));
    assert!(!hits(&m, Direction::Egress, peer(&plan, "pbx"), &invite()));
    assert!(!hits(&m, Direction::Ingress, peer(&plan, "web"), &invite()));
}

#[test]
fn method_condition() {
    let (m, plan) = manipulator(&format!(
        "  - name: m\n    when: {{ methods: [INVITE, MESSAGE] }}\n{TAG_RULE}"
    ));
    let pbx = peer(&plan, "pbx");
    assert!(hits(&m, Direction::Egress, pbx, &invite()));
    let message = INVITE
        .replace("INVITE sip:", "MESSAGE sip:")
        .replace("CSeq: 2 INVITE", "CSeq: 2 MESSAGE");
    assert!(hits(&m, Direction::Egress, pbx, &request(&message)));
    let options = INVITE
        .replace("INVITE sip:", "OPTIONS sip:")
        .replace("CSeq: 2 INVITE", "CSeq: 2 OPTIONS");
    assert!(!hits(&m, Direction::Egress, pbx, &request(&options)));
}

#[test]
fn header_exists_and_absent_conditions() {
    let (m, plan) = manipulator(&format!(
        "  - name: e\n    when: {{ headers: [{{ name: user-agent, exists: true }}, {{ name: X-Skip, absent: true }}] }}\n{TAG_RULE}"
    ));
    let pbx = peer(&plan, "pbx");
    assert!(hits(&m, Direction::Egress, pbx, &invite()));
    let no_ua = request(&INVITE.replace("User-Agent: JsSIP 3.10.1\r\n", ""));
    assert!(!hits(&m, Direction::Egress, pbx, &no_ua));
    let skip = request(&INVITE.replace("Subject: hello\r\n", "x-skip: 1\r\n"));
    assert!(!hits(&m, Direction::Egress, pbx, &skip));
}

#[test]
fn header_exists_sees_compact_forms() {
    let (m, plan) = manipulator(&format!(
        "  - name: e\n    when: {{ headers: [{{ name: Subject, exists: true }}] }}\n{TAG_RULE}"
    ));
    let pbx = peer(&plan, "pbx");
    let compact = request(&INVITE.replace("Subject: hello\r\n", "s: hello\r\n"));
    assert!(hits(&m, Direction::Egress, pbx, &compact));
}

#[test]
fn header_matches_conditions() {
    let (m, plan) = manipulator(&format!(
        "  - name: eq\n    when: {{ headers: [{{ name: X-Tenant, equals: acme-42 }}] }}\n{TAG_RULE}"
    ));
    let pbx = peer(&plan, "pbx");
    assert!(hits(&m, Direction::Egress, pbx, &invite()));
    let other = request(&INVITE.replace("acme-42", "acme-420"));
    assert!(!hits(&m, Direction::Egress, pbx, &other));

    let (m, plan) = manipulator(&format!(
        "  - name: pre\n    when: {{ headers: [{{ name: User-Agent, prefix: JsSIP }}] }}\n{TAG_RULE}"
    ));
    let pbx = peer(&plan, "pbx");
    assert!(hits(&m, Direction::Egress, pbx, &invite()));
    let sipjs = request(&INVITE.replace("JsSIP 3.10.1", "SIP.js/0.21"));
    assert!(!hits(&m, Direction::Egress, pbx, &sipjs));

    let (m, plan) = manipulator(&format!(
        "  - name: re\n    when: {{ headers: [{{ name: X-Tenant, regex: '^acme-\\d+$' }}] }}\n{TAG_RULE}"
    ));
    let pbx = peer(&plan, "pbx");
    assert!(hits(&m, Direction::Egress, pbx, &invite()));
    let letters = request(&INVITE.replace("acme-42", "acme-x"));
    assert!(!hits(&m, Direction::Egress, pbx, &letters));
}

// ---- order ----

#[test]
fn rules_run_in_plan_order_each_seeing_the_previous_edits() {
    let (req, applied) = egress_pbx(
        r#"  - name: national
    do:
      - strip_prefix: { field: request_user, prefix: "+49" }
  - name: trunk-prefix
    when: { peer: pbx }
    do:
      - add_prefix: { field: request_user, prefix: "0" }
  - name: last
    do:
      - regex_replace: { field: request_user, pattern: '^0', replacement: "9" }
"#,
        invite(),
    );
    assert_eq!(applied, vec!["national", "trunk-prefix", "last"]);
    assert_eq!(
        req.uri_bytes().as_ref(),
        b"sip:930123456@sbc.example.com;user=phone"
    );
}

#[test]
fn conditions_are_evaluated_on_the_request_before_any_rule_ran() {
    let (req, applied) = egress_pbx(
        r#"  - name: first
    do:
      - remove_header: { name: X-Tenant }
      - add_header: { name: X-Added, value: "1" }
  - name: needs-tenant
    when: { headers: [{ name: X-Tenant, exists: true }] }
    do:
      - add_header: { name: X-Second, value: "1" }
  - name: needs-no-added
    when: { headers: [{ name: X-Added, absent: true }] }
    do:
      - add_header: { name: X-Third, value: "1" }
  - name: never
    when: { headers: [{ name: X-Added, exists: true }] }
    do:
      - add_header: { name: X-Never, value: "1" }
"#,
        invite(),
    );
    assert_eq!(applied, vec!["first", "needs-tenant", "needs-no-added"]);
    assert!(req.headers.get("X-Second").is_some());
    assert!(req.headers.get("X-Third").is_some());
    assert!(req.headers.get("X-Never").is_none());
    assert!(req.headers.get("X-Tenant").is_none());
}

// ---- defences ----

/// A plan edited by hand can hold what the compiler refuses.
fn hand_edited(actions: Vec<Action>) -> (Manipulator, Arc<Plan>) {
    let mut plan = plan("  []\n");
    plan.manipulations.push(Manipulation {
        name: "hand".into(),
        when: ManipulationMatch::default(),
        actions,
    });
    let plan = Arc::new(plan);
    let m = Manipulator::new(plan.clone()).unwrap_or_else(|e| panic!("{e}"));
    (m, plan)
}

#[test]
fn transaction_headers_are_never_touched() {
    let mut actions = Vec::new();
    for name in [
        "Via",
        "v",
        "CSeq",
        "Call-ID",
        "i",
        "Max-Forwards",
        "Content-Length",
        "l",
        "Route",
        "Record-Route",
    ] {
        actions.push(Action::RemoveHeader { name: name.into() });
        actions.push(Action::SetHeader {
            name: name.into(),
            value: "x".into(),
        });
        actions.push(Action::AddHeader {
            name: name.into(),
            value: "x".into(),
        });
    }
    let (m, plan) = hand_edited(actions);
    let mut req = invite();
    let applied = m.apply(Direction::Egress, peer(&plan, "pbx"), &mut req);
    assert_eq!(applied, vec!["hand"]);
    assert_eq!(req.to_bytes(), invite().to_bytes());
}

#[test]
fn from_and_to_keep_their_tags_and_are_never_removed() {
    let (m, plan) = hand_edited(vec![
        Action::RemoveHeader {
            name: "From".into(),
        },
        Action::RemoveHeader { name: "t".into() },
        Action::AddHeader {
            name: "To".into(),
            value: "<sip:x@y>".into(),
        },
        Action::SetHeader {
            name: "From".into(),
            value: "\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=forged".into(),
        },
        Action::SetHeader {
            name: "To".into(),
            value: "<sip:other@example.com>;tag=invented".into(),
        },
    ]);
    let mut req = invite();
    m.apply(Direction::Egress, peer(&plan, "pbx"), &mut req);
    assert_eq!(
        all(&req, "From"),
        vec!["\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=9fxced76sl"]
    );
    assert_eq!(all(&req, "To"), vec!["<sip:other@example.com>"]);
}

#[test]
fn values_that_would_split_a_header_are_refused() {
    let (m, plan) = hand_edited(vec![
        Action::AddHeader {
            name: "X-A".into(),
            value: "1\r\nVia: SIP/2.0/UDP evil".into(),
        },
        Action::SetHeader {
            name: "Bad Name".into(),
            value: "1".into(),
        },
        Action::SetDisplayName {
            field: sbcctl_compiler::plan::DisplayField::From,
            value: "a\nb".into(),
        },
    ]);
    let mut req = invite();
    m.apply(Direction::Egress, peer(&plan, "pbx"), &mut req);
    assert_eq!(req.to_bytes(), invite().to_bytes());
}

#[test]
fn user_edits_that_cannot_apply_are_skipped() {
    let (m, plan) = hand_edited(vec![
        // Would leave `sip:@host`.
        Action::StripPrefix {
            field: sbcctl_compiler::plan::UserField::RequestUser,
            prefix: "+4930123456".into(),
        },
        // The To URI below has no user.
        Action::AddPrefix {
            field: sbcctl_compiler::plan::UserField::ToUser,
            prefix: "0".into(),
        },
    ]);
    let original = request(&INVITE.replace(
        "To: <sip:+4930123456@sbc.example.com;user=phone>",
        "To: <sip:sbc.example.com>",
    ));
    let mut req = original.clone();
    m.apply(Direction::Egress, peer(&plan, "pbx"), &mut req);
    assert_eq!(req.to_bytes(), original.to_bytes());
}

#[test]
fn no_rules_for_the_peer_leaves_the_request_untouched() {
    let (m, plan) = manipulator(&format!(
        "  - name: c\n    when: {{ peer: carrier }}\n{TAG_RULE}"
    ));
    let mut req = invite();
    let applied = m.apply(Direction::Egress, peer(&plan, "pbx"), &mut req);
    assert!(applied.is_empty());
    assert_eq!(req.to_bytes(), invite().to_bytes());
}

// ---- a realistic set, end to end ----

#[test]
fn realistic_rule_set_snapshot() {
    let (m, plan) = manipulator(
        r#"  - name: national-numbers
    when: { direction: egress, peer: pbx, methods: [INVITE] }
    do:
      - strip_prefix: { field: request_user, prefix: "+49" }
      - add_prefix: { field: request_user, prefix: "0" }
      - regex_replace: { field: to_user, pattern: '^\+49(\d+)$', replacement: "0$1" }
      - regex_replace: { field: from_user, pattern: '^\+49(?<n>\d+)$', replacement: "0${n}" }
  - name: identity
    when: { direction: egress, peer: pbx, headers: [{ name: X-Tenant, regex: '^acme-' }] }
    do:
      - set_header: { name: P-Asserted-Identity, value: '"ACME Reception" <sip:+493055555@acme.example.com>' }
      - remove_header: { name: User-Agent }
      - remove_header: { name: X-Tenant }
      - set_display_name: { field: from, value: ACME Web }
  - name: not-for-the-pbx
    when: { direction: egress, peer: carrier }
    do:
      - add_header: { name: X-Carrier, value: "1" }
"#,
    );
    let before = invite();
    let mut after = before.clone();
    let applied = m.apply(Direction::Egress, peer(&plan, "pbx"), &mut after);
    assert_eq!(applied, vec!["national-numbers", "identity"]);
    let shown = format!(
        "rules applied: {applied:?}\n\n--- before ---\n{}\n--- after ---\n{}",
        text(&before),
        text(&after)
    )
    .replace("\r\n", "\n");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots/runtime"));
    settings.bind(|| insta::assert_snapshot!("manipulated_invite", shown));
}
