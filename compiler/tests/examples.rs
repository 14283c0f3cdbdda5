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

#[test]
fn manipulation_table_selects_by_direction_peer_method_and_headers() {
    use sbcctl_compiler::plan::Direction;
    use sbcctl_compiler::route_table::ManipulationTable;

    let plan = common::plan(&path("webrtc-to-pbx"));
    let table = ManipulationTable::build(&plan).expect("table");
    let pbx = plan.peer_by_name("pbx").expect("pbx peer");
    let web = plan.peer_by_name("web-phones").expect("web peer");
    let names = |ids: Vec<sbcctl_compiler::plan::ManipulationId>| -> Vec<String> {
        ids.into_iter()
            .filter_map(|id| plan.manipulation(id).map(|m| m.name.clone()))
            .collect()
    };
    let egress: Vec<_> = table
        .applicable(Direction::Egress, pbx, "INVITE", &[])
        .collect();
    assert_eq!(names(egress), ["e164-for-pbx"]);
    let bye: Vec<_> = table
        .applicable(Direction::Egress, pbx, "BYE", &[])
        .collect();
    assert!(bye.is_empty());
    let to_web: Vec<_> = table
        .applicable(Direction::Egress, web, "INVITE", &[])
        .collect();
    assert!(to_web.is_empty());
    let tagged = [("x-caller-name", "Reception")];
    let ingress: Vec<_> = table
        .applicable(Direction::Ingress, pbx, "INVITE", &tagged)
        .collect();
    assert_eq!(names(ingress.clone()), ["caller-name-from-pbx"]);
    let untagged: Vec<_> = table
        .applicable(Direction::Ingress, pbx, "INVITE", &[])
        .collect();
    assert!(untagged.is_empty());
    let id = ingress.first().copied().expect("one rule");
    let re = table.regex(id, 0).expect("regex_replace pattern compiled");
    assert_eq!(re.replace("0301234", "+49$1"), "+49301234");
}

#[test]
fn route_table_routes_the_quickstart() {
    use sbcctl_compiler::plan::Destination;
    use sbcctl_compiler::route_table::{RouteQuery, RouteTable};

    let plan = common::plan(&path("quickstart"));
    let table = RouteTable::build(&plan).expect("table");
    let web = plan.peer_by_name("web-users");
    let sip = plan.peer_by_name("sip-peer");
    let route = |source, user: &str| {
        let q = RouteQuery {
            source,
            method: "INVITE",
            request_user: user,
            request_host: "127.0.0.1",
            from_user: "alice",
            to_user: user,
            headers: &[],
        };
        table
            .lookup(&q)
            .and_then(|id| plan.route(id))
            .map(|r| r.name.as_str())
    };
    assert_eq!(route(web, "echo"), Some("echo-test"));
    assert_eq!(route(web, "600"), Some("echo-600"));
    assert_eq!(route(web, "+15551234"), Some("web-to-sip-peer"));
    assert_eq!(route(sip, "alice"), Some("sip-peer-to-web"));
    assert_eq!(route(web, "carol"), Some("not-found"));
    let last = plan.routes.last().map(|r| &r.to);
    assert!(matches!(last, Some(Destination::Reject { code: 404, .. })));
}
