//! Validate + compile a generated spec with 10,000 routes and 1,000 manipulation rules, and
//! look one request up in the compiled route table of that plan.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sbcctl_compiler::plan::PeerId;
use sbcctl_compiler::route_table::{RouteQuery, RouteTable};
use sbcctl_compiler::source::SourceFile;
use sbcctl_compiler::{Options, compile};

const ROUTES: usize = 10_000;
const MANIPULATIONS: usize = 1_000;

/// A realistic large spec: per-number routes (exact), per-prefix routes, some regexes, and
/// a catch-all at the end; manipulations spread over peers and methods.
fn big_spec() -> String {
    let mut s = String::from(
        "version: 1
interfaces:
  browsers: { transport: ws, listen: 127.0.0.1:8080, websocket: { allowed_origins: [http://localhost:8080] } }
  lan: { transport: udp, listen: 127.0.0.1:5060 }
media_realms:
  web: { listen: 127.0.0.1, ports: 40000-40999 }
  lan: { listen: 127.0.0.1, ports: 41000-41999 }
profiles:
  webrtc: { media: webrtc, codecs: [opus, pcmu] }
  sip: { media: rtp, codecs: [pcmu, pcma] }
peers:
  web-users:
    users: { interface: browsers, realm: web, profile: webrtc, registration: { local: { users: [{ name: alice, password: x }] } } }
  pbx:
    server: { interface: lan, realm: lan, profile: sip, proxies: [{ address: 127.0.0.1:5090 }] }
routes:
",
    );
    for i in 0..ROUTES - 2 {
        let m = match i % 10 {
            0..=5 => format!(
                "request_user: {{ exact: \"{}\" }}",
                4_900_000_000u64 + i as u64
            ),
            6..=8 => format!("request_user: {{ prefix: \"{}\" }}", 10_000 + i),
            _ => format!("request_user: {{ regex: '^\\+?{}[0-9]{{4}}$' }}", 100 + i),
        };
        let from = if i % 2 == 0 { "web-users" } else { "pbx" };
        let to = if i % 2 == 0 {
            "{ peer: pbx }"
        } else {
            "{ registered: web-users }"
        };
        let _ = writeln!(
            s,
            "  - {{ name: r{i}, from: {from}, when: {{ methods: [INVITE], {m} }}, to: {to} }}"
        );
    }
    s.push_str("  - { name: pbx-to-web, from: pbx, to: { registered: web-users } }\n");
    s.push_str("  - { name: rest, to: { reject: { code: 404 } } }\n");
    s.push_str("manipulations:\n");
    for i in 0..MANIPULATIONS {
        let (dir, peer) = if i % 2 == 0 {
            ("egress", "pbx")
        } else {
            ("ingress", "web-users")
        };
        let _ = writeln!(
            s,
            "  - {{ name: m{i}, when: {{ direction: {dir}, peer: {peer}, methods: [INVITE], headers: [{{ name: X-Tag-{i}, exists: true }}] }}, do: [ {{ set_header: {{ name: X-Seen-{i}, value: yes }} }}, {{ regex_replace: {{ field: request_user, pattern: '^00([0-9]+)$', replacement: '+$1' }} }} ] }}"
        );
    }
    s
}

fn benches(c: &mut Criterion) {
    let text = big_spec();
    let file = SourceFile::new("big.yaml", "", text);
    let out = compile(&file, Options { pure: true });
    assert!(
        out.diagnostics.is_empty(),
        "{:?}",
        out.diagnostics.first().map(|d| &d.message)
    );
    let plan = out.plan.expect("plan");

    let mut g = c.benchmark_group("compile");
    g.sample_size(10);
    g.bench_function("validate+compile 10k routes 1k manipulations", |b| {
        b.iter(|| black_box(compile(black_box(&file), Options { pure: true })))
    });
    g.bench_function("RouteTable::build 10k routes", |b| {
        b.iter(|| black_box(RouteTable::build(black_box(&plan)).expect("table")))
    });
    g.finish();

    let table = RouteTable::build(&plan).expect("table");
    let web = PeerId(0);
    let headers = [("Via", "SIP/2.0/WSS x;branch=z9hG4bK1"), ("X-Tag", "1")];
    // An exact number near the end of the list, a regex-only hit, and a miss that falls to
    // the final reject.
    let exact = (4_900_000_000u64 + 9_990).to_string();
    let cases = [
        ("exact", web, exact.as_str()),
        ("regex", PeerId(1), "+10991234"),
        ("fallthrough", web, "no-such-user"),
    ];
    for (label, source, user) in cases {
        let q = RouteQuery {
            source: Some(source),
            method: "INVITE",
            request_user: user,
            request_host: "sbc.example.com",
            from_user: "alice",
            to_user: user,
            headers: &headers,
        };
        let hit = table
            .lookup(&q)
            .and_then(|id| plan.route(id))
            .map(|r| r.name.clone());
        eprintln!("{label}: {user} -> {hit:?}");
        c.bench_function(&format!("route lookup ({label}) in 10k routes"), |b| {
            b.iter(|| black_box(table.lookup(black_box(&q))))
        });
    }
}

criterion_group!(compile_benches, benches);
criterion_main!(compile_benches);
