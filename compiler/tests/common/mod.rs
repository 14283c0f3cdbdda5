//! Test support: run from the repository root (so file names in output are repo-relative and
//! stable) and keep insta snapshots in `snapshots/compiler/`.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Once;

use sbcctl_compiler::diag::{Format, render};
use sbcctl_compiler::plan::Plan;
use sbcctl_compiler::{Options, compile_file};

static ROOT: Once = Once::new();

/// Every test in a binary sets the same directory, so the process-wide change is harmless.
pub fn at_repo_root() {
    ROOT.call_once(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        std::env::set_current_dir(root).expect("repository root exists");
    });
}

pub fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../snapshots/compiler"
    ));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

/// Compiles a repo-relative spec path.
pub fn compile(path: &str) -> sbcctl_compiler::Output {
    at_repo_root();
    compile_file(Path::new(path), Options::default()).expect("fixture is readable")
}

pub fn plan(path: &str) -> Plan {
    let out = compile(path);
    assert!(
        out.plan.is_some(),
        "{path} does not compile:\n{}",
        render(&out.diagnostics, Format::Human { color: false })
    );
    out.plan.expect("checked above")
}

pub const EXAMPLES: &[&str] = &[
    "quickstart",
    "webrtc-to-pbx",
    "click-to-call",
    "forward-registration",
];
