//! Every example compiles without diagnostics; snapshots of their plans and of diffs between
//! them; plans are deterministic, hashed and round-trip through JSON.

mod common;

use sbcctl_compiler::diff::diff;
use sbcctl_compiler::plan::Plan;

fn path(name: &str) -> String {
    format!("examples/{name}.yaml")
}

#[test]
fn examples_have_no_diagnostics() {
    for name in common::EXAMPLES {
        let out = common::compile(&path(name));
        let codes: Vec<_> = out.diagnostics.iter().map(|d| d.code).collect();
        assert!(codes.is_empty(), "{name}: {codes:?}");
        assert!(out.plan.is_some(), "{name} has no plan");
    }
}

#[test]
fn examples_start_with_the_schema_comment() {
    common::at_repo_root();
    for name in common::EXAMPLES {
        let text = std::fs::read_to_string(path(name)).expect("example exists");
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schemas/sbcctl.schema.json\n"),
            "{name} lacks the $schema comment"
        );
    }
}

#[test]
fn example_plans() {
    for name in common::EXAMPLES {
        let plan = common::plan(&path(name));
        common::settings().bind(|| {
            insta::assert_snapshot!(format!("plan-{name}"), plan.to_canonical_json());
        });
    }
}

#[test]
fn plans_are_deterministic_and_sealed() {
    for name in common::EXAMPLES {
        let a = common::plan(&path(name));
        let b = common::plan(&path(name));
        assert_eq!(a.to_canonical_json(), b.to_canonical_json(), "{name}");
        assert_eq!(a.hash, a.content_hash(), "{name}");
        assert_eq!(a.hash.len(), 64);
        let back = Plan::from_json(&a.to_canonical_json()).expect("round trip");
        assert_eq!(back, a);
    }
}

#[test]
fn tampered_plan_is_refused() {
    let plan = common::plan(&path("quickstart"));
    let json = plan
        .to_canonical_json()
        .replace("127.0.0.1:5090", "127.0.0.1:5091");
    assert!(Plan::from_json(&json).is_err());
}

#[test]
fn quickstart_shape() {
    let plan = common::plan(&path("quickstart"));
    let browsers = plan.interfaces.first().expect("browsers interface");
    let ws = browsers.websocket.as_ref().expect("websocket settings");
    assert!(
        ws.allowed_origins
            .contains(&"http://localhost:8080".to_string())
    );
    assert_eq!(ws.static_dir.as_deref(), Some("examples/web/dist"));
    assert_eq!(plan.limits.max_message_bytes, 65535);
}

#[test]
fn example_diffs() {
    let pairs = [
        ("quickstart", "webrtc-to-pbx"),
        ("webrtc-to-pbx", "forward-registration"),
        ("forward-registration", "click-to-call"),
    ];
    for (a, b) in pairs {
        let (pa, pb) = (common::plan(&path(a)), common::plan(&path(b)));
        let d = diff(&pa, &pb);
        assert_eq!(d.flipped(), diff(&pb, &pa), "{a} vs {b}");
        common::settings().bind(|| {
            insta::assert_snapshot!(format!("diff-{a}-to-{b}"), d.render());
        });
    }
    for name in common::EXAMPLES {
        let p = common::plan(&path(name));
        assert!(diff(&p, &p).is_empty(), "{name}");
    }
}
