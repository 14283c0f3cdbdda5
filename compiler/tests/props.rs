//! Property tests: the compiler never panics and is deterministic; the compiled route table
//! agrees with a naive in-order scan; diffs are symmetric.

mod common;

use proptest::prelude::*;
use regex::Regex;
use sbcctl_compiler::diag::{Format, render};
use sbcctl_compiler::diff::diff;
use sbcctl_compiler::plan::*;
use sbcctl_compiler::route_table::{RouteQuery, RouteTable};
use sbcctl_compiler::source::SourceFile;
use sbcctl_compiler::{Options, compile};

fn compile_text(text: &str) -> (String, Option<String>) {
    let file = SourceFile::new("prop.yaml", "", text);
    let out = compile(&file, Options { pure: true });
    (
        render(&out.diagnostics, Format::Json),
        out.plan.map(|p| p.to_canonical_json()),
    )
}

const KEYS: &[&str] = &[
    "version",
    "interfaces",
    "tls",
    "media_realms",
    "profiles",
    "peers",
    "routes",
    "manipulations",
    "limits",
    "admin",
    "logging",
    "cdr",
    "transport",
    "listen",
    "websocket",
    "allowed_origins",
    "users",
    "server",
    "echo",
    "interface",
    "realm",
    "profile",
    "registration",
    "local",
    "forward",
    "proxies",
    "address",
    "name",
    "to",
    "from",
    "when",
    "request_user",
    "regex",
    "exact",
    "prefix",
    "peer",
    "registered",
    "reject",
    "code",
    "media",
    "codecs",
    "ports",
    "do",
    "set_header",
    "value",
    "lan",
    "web",
    "x",
];
const VALUES: &[&str] = &[
    "",
    "1",
    "2",
    "udp",
    "wss",
    "127.0.0.1:5060",
    "10.0.0.1",
    "40000-40999",
    "[opus, pcmu]",
    "{ }",
    "[]",
    "lan",
    "web",
    "'^[0-9]+$'",
    "'ab('",
    "\"q\"",
    "- name: a",
    "{ peer: x }",
    "&a x",
    "*a",
    "!!int x",
    "~",
    "30s",
    "rtp",
    "{ exists: true }",
    "\"\\u00e9\"",
    "|",
    ">-",
];

fn yamlish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            0usize..4,
            prop::sample::select(KEYS),
            prop::sample::select(VALUES),
            any::<bool>(),
        ),
        0..40,
    )
    .prop_map(|lines| {
        lines
            .into_iter()
            .map(|(indent, k, v, dash)| {
                format!(
                    "{}{}{k}: {v}\n",
                    "  ".repeat(indent),
                    if dash { "- " } else { "" }
                )
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        compile_text(&text);
    }

    #[test]
    fn yamlish_text_never_panics_and_is_deterministic(text in yamlish()) {
        let a = compile_text(&text);
        let b = compile_text(&text);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn prefixed_valid_spec_never_panics(cut in 0usize..4000, text in yamlish()) {
        common::at_repo_root();
        let base = std::fs::read_to_string("examples/quickstart.yaml").unwrap_or_default();
        let cut = (0..=cut.min(base.len())).rev().find(|i| base.is_char_boundary(*i)).unwrap_or(0);
        let mixed = format!("{}{text}", &base[..cut]);
        let a = compile_text(&mixed);
        prop_assert_eq!(a, compile_text(&mixed));
    }
}

// ---- route table against a naive scan ----

const ALPHABET: &[&str] = &["", "1", "12", "123", "2", "a", "ab", "b1", "+1"];
const PATTERNS: &[&str] = &["^1", "2$", "^[12]+$", "a|b", "^\\+?1", "^$", "."];

fn string_match() -> impl Strategy<Value = StringMatch> {
    prop_oneof![
        prop::sample::select(ALPHABET).prop_map(|s| StringMatch::Exact(s.into())),
        prop::sample::select(ALPHABET).prop_map(|s| StringMatch::Prefix(s.into())),
        prop::sample::select(PATTERNS).prop_map(|s| StringMatch::Regex(s.into())),
    ]
}

fn header_test() -> impl Strategy<Value = HeaderTest> {
    (
        prop::sample::select(&["x-a", "x-b"][..]),
        prop_oneof![
            Just(HeaderCheck::Exists),
            Just(HeaderCheck::Absent),
            string_match().prop_map(HeaderCheck::Matches),
        ],
    )
        .prop_map(|(n, test)| HeaderTest {
            name: n.into(),
            test,
        })
}

fn route(i: usize) -> impl Strategy<Value = Route> {
    (
        prop::option::of(0u32..3),
        prop::sample::subsequence(&["INVITE", "MESSAGE"][..], 0..=2),
        prop::option::weighted(0.8, string_match()),
        prop::option::weighted(0.2, string_match()),
        prop::option::weighted(0.2, string_match()),
        prop::option::weighted(0.2, string_match()),
        prop::collection::vec(header_test(), 0..2),
    )
        .prop_map(move |(from, methods, ru, rh, fu, tu, headers)| Route {
            name: format!("r{i}"),
            from: from.map(PeerId),
            when: RouteMatch {
                methods: methods.into_iter().map(String::from).collect(),
                request_user: ru,
                request_host: rh,
                from_user: fu,
                to_user: tu,
                headers,
            },
            to: Destination::Reject {
                code: 404,
                reason: "x".into(),
            },
        })
}

fn routes() -> impl Strategy<Value = Vec<Route>> {
    (0usize..40).prop_flat_map(|n| (0..n).map(route).collect::<Vec<_>>())
}

fn naive_match(m: &Option<StringMatch>, v: &str) -> bool {
    m.as_ref().is_none_or(|m| {
        m.matches_with(v, |r, v| {
            Regex::new(r).map(|re| re.is_match(v)).unwrap_or(false)
        })
    })
}

fn naive(plan: &Plan, q: &RouteQuery<'_>) -> Option<RouteId> {
    plan.routes
        .iter()
        .position(|r| {
            (r.from.is_none() || r.from == q.source)
                && (r.when.methods.is_empty() || r.when.methods.iter().any(|m| m == q.method))
                && naive_match(&r.when.request_user, q.request_user)
                && naive_match(&r.when.request_host, q.request_host)
                && naive_match(&r.when.from_user, q.from_user)
                && naive_match(&r.when.to_user, q.to_user)
                && r.when.headers.iter().all(|h| {
                    let vals: Vec<&str> = q
                        .headers
                        .iter()
                        .filter(|(n, _)| n.eq_ignore_ascii_case(&h.name))
                        .map(|(_, v)| *v)
                        .collect();
                    match &h.test {
                        HeaderCheck::Exists => !vals.is_empty(),
                        HeaderCheck::Absent => vals.is_empty(),
                        HeaderCheck::Matches(m) => {
                            vals.iter().any(|v| naive_match(&Some(m.clone()), v))
                        }
                    }
                })
        })
        .map(|i| RouteId(i as u32))
}

fn base_plan() -> Plan {
    common::plan("examples/quickstart.yaml")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn route_table_agrees_with_naive_scan(
        routes in routes(),
        queries in prop::collection::vec((
            prop::option::of(0u32..3),
            prop::sample::select(&["INVITE", "MESSAGE", "OPTIONS"][..]),
            prop::sample::select(ALPHABET),
            prop::sample::select(ALPHABET),
            prop::sample::select(ALPHABET),
            prop::sample::select(ALPHABET),
            prop::option::of(prop::sample::select(ALPHABET)),
        ), 1..20),
    ) {
        let mut plan = base_plan();
        plan.routes = routes;
        let table = RouteTable::build(&plan).expect("patterns compile");
        for (src, method, ru, rh, fu, tu, hv) in queries {
            let headers: Vec<(&str, &str)> = hv.map(|v| ("X-A", v)).into_iter().collect();
            let q = RouteQuery {
                source: src.map(PeerId),
                method,
                request_user: ru,
                request_host: rh,
                from_user: fu,
                to_user: tu,
                headers: &headers,
            };
            prop_assert_eq!(table.lookup(&q), naive(&plan, &q), "query {:?}", q);
        }
    }

    #[test]
    fn diff_is_empty_on_itself_and_symmetric(a in routes(), b in routes()) {
        let mut pa = base_plan();
        pa.routes = a;
        let mut pb = base_plan();
        pb.routes = b;
        prop_assert!(diff(&pa, &pa).is_empty());
        prop_assert_eq!(diff(&pa, &pb).flipped(), diff(&pb, &pa));
    }
}
