//! Shared test helpers: the RFC 4475 message set and the snapshot location.
#![allow(dead_code)]

use std::path::PathBuf;

/// The RFC 4475 torture messages live in the team's shared directory, a
/// sibling of the repository root. They are read in place, never copied.
pub fn torture_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/rfc4475"
    ));
    assert!(
        dir.join("README.md").is_file(),
        "RFC 4475 torture messages not found at {} (expected `shared/rfc4475` beside the repository root)",
        dir.display()
    );
    dir
}

/// One torture message by name (`wsinv` → `wsinv.dat`).
pub fn torture(name: &str) -> Vec<u8> {
    let path = torture_dir().join(format!("{name}.dat"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Every torture message name in the directory, sorted.
pub fn torture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(torture_dir())
        .unwrap_or_else(|e| panic!("listing the torture directory: {e}"))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".dat").map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// insta settings writing to the repository's `snapshots/sip`.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../snapshots/sip"));
    s.set_prepend_module_to_snapshot(false);
    s
}
pub mod txn_harness;
