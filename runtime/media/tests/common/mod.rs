//! Shared code for the integration tests: snapshot location, fixtures, redaction.
#![allow(dead_code)]

use std::net::IpAddr;

/// Runs `f` with insta writing to the top-level `snapshots/media/`.
pub fn with_snapshots(f: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../snapshots/media"
    ));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(f);
}

/// Reads a fixture from `tests/fixtures/`.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

/// The realm address used by all fixtures.
pub fn realm_ip() -> IpAddr {
    "192.0.2.1".parse().unwrap()
}

/// Replaces values that are random per run (ICE credentials, fingerprints,
/// session ids, SSRCs, msid/cname tokens, and mids str0m draws for its own
/// offers) with placeholders, so snapshots of str0m-written SDP are stable.
pub fn redact(sdp: &str) -> String {
    let random_mids: Vec<String> = sdp
        .lines()
        .filter_map(|l| l.strip_prefix("a=mid:"))
        // Fixture mids are "0", "1"; str0m draws three-character ones, which can be all
        // digits ("958"), so length decides, not numeric-ness.
        .filter(|m| m.len() > 2 || m.parse::<u32>().is_err())
        .map(str::to_owned)
        .collect();
    let mut text = sdp.to_owned();
    for (i, m) in random_mids.iter().enumerate() {
        text = text.replace(&format!("a=mid:{m}"), &format!("a=mid:<mid{i}>"));
        text = text.replace(&format!("BUNDLE {m}"), &format!("BUNDLE <mid{i}>"));
    }
    text.lines()
        .map(|l| {
            let keep = |prefix: &str, l: &str| {
                l.split_once(prefix)
                    .map(|(a, _)| format!("{a}{prefix}<redacted>"))
            };
            if let Some(rest) = l.strip_prefix("o=") {
                let f: Vec<&str> = rest.split(' ').collect();
                return format!(
                    "o={} <id> <version> {}",
                    f.first().unwrap_or(&""),
                    f.get(3..).map(|s| s.join(" ")).unwrap_or_default()
                );
            }
            if l.starts_with("a=candidate:")
                && let Some((head, _)) = l.split_once(" ufrag ")
            {
                return format!("{head} ufrag <redacted>");
            }
            for p in [
                "a=ice-ufrag:",
                "a=ice-pwd:",
                "a=fingerprint:sha-256 ",
                "a=msid:",
                "a=ssrc:",
                "a=msid-semantic:",
            ] {
                if let Some(r) = keep(p, l) {
                    return r;
                }
            }
            l.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
