//! The built binary: exit codes, output formats, colour policy.

use std::path::Path;
use std::process::{Command, Output};

fn sbcctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sbcctl"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env_remove("NO_COLOR")
        .output()
        .expect("binary runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const EXAMPLES: &[&str] = &[
    "examples/quickstart.yaml",
    "examples/webrtc-to-pbx.yaml",
    "examples/click-to-call.yaml",
    "examples/forward-registration.yaml",
];

#[test]
fn examples_validate_with_deny_warnings() {
    let mut args = vec!["validate", "--deny-warnings"];
    args.extend_from_slice(EXAMPLES);
    let o = sbcctl(&args);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn errors_exit_1_and_report_every_problem() {
    let o = sbcctl(&[
        "validate",
        "compiler/tests/fixtures/diagnostics/SBC005.yaml",
        "compiler/tests/fixtures/diagnostics/SBC007.yaml",
    ]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(out.contains("SBC005") && out.contains("SBC007"), "{out}");
    assert!(
        !out.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn warnings_pass_unless_denied() {
    let f = "compiler/tests/fixtures/diagnostics/SBC012.yaml";
    assert_eq!(code(&sbcctl(&["validate", f])), 0);
    assert_eq!(code(&sbcctl(&["validate", "--deny-warnings", f])), 1);
}

#[test]
fn json_format_is_machine_readable() {
    let o = sbcctl(&[
        "validate",
        "--format",
        "json",
        "compiler/tests/fixtures/diagnostics/SBC010.yaml",
    ]);
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON array");
    let first = v.get(0).expect("one diagnostic");
    assert_eq!(first.get("code").and_then(|c| c.as_str()), Some("SBC010"));
    assert!(first.get("line").and_then(|l| l.as_u64()).is_some());
}

#[test]
fn github_format_emits_workflow_commands() {
    let o = sbcctl(&[
        "validate",
        "--format",
        "github",
        "compiler/tests/fixtures/diagnostics/SBC012.yaml",
    ]);
    assert!(
        stdout(&o)
            .starts_with("::warning file=compiler/tests/fixtures/diagnostics/SBC012.yaml,line=3,")
    );
}

#[test]
fn missing_file_and_bad_usage_exit_2() {
    assert_eq!(code(&sbcctl(&["validate", "no/such/spec.yaml"])), 2);
    assert_eq!(code(&sbcctl(&["validate"])), 2);
    assert_eq!(code(&sbcctl(&["frobnicate"])), 2);
    assert_eq!(code(&sbcctl(&["explain", "SBC999"])), 2);
}

#[test]
fn compile_is_byte_identical_and_diff_reads_plans() {
    let dir = std::env::temp_dir().join(format!("sbcctl-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let plan = dir.join("plan.json");
    let plan_s = plan.to_string_lossy().into_owned();
    let o = sbcctl(&["compile", "examples/quickstart.yaml", "-o", &plan_s]);
    assert_eq!(code(&o), 0);
    let first = std::fs::read(&plan).expect("plan written");
    let o = sbcctl(&["compile", "examples/quickstart.yaml"]);
    assert_eq!(o.stdout, first, "stdout and -o give the same bytes");

    let same = sbcctl(&["diff", "--exit-code", "examples/quickstart.yaml", &plan_s]);
    assert_eq!(code(&same), 0, "{}", stdout(&same));
    assert!(stdout(&same).contains("no changes"));
    let other = sbcctl(&[
        "diff",
        "--exit-code",
        &plan_s,
        "examples/webrtc-to-pbx.yaml",
    ]);
    assert_eq!(code(&other), 1);
    assert!(stdout(&other).contains("added"));
    let no_exit_code = sbcctl(&["diff", &plan_s, "examples/webrtc-to-pbx.yaml"]);
    assert_eq!(code(&no_exit_code), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn schema_matches_the_committed_file() {
    let o = sbcctl(&["schema"]);
    assert_eq!(code(&o), 0);
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/sbcctl.schema.json"),
    )
    .expect("committed schema");
    assert_eq!(stdout(&o), committed);
}

#[test]
fn explain_prints_the_doc() {
    let o = sbcctl(&["explain", "sbc017"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("Via, CSeq, Call-ID"));
    let all = sbcctl(&["explain"]);
    assert!(stdout(&all).contains("SBC001") && stdout(&all).contains("SBC022"));
}
