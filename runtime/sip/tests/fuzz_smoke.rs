//! Runs the fuzz target's check on stable: the torture set, byte-level
//! mutations of it, and random inputs.

mod common;

#[path = "../fuzz/check_parse.rs"]
mod check_parse;

use proptest::prelude::*;

#[test]
fn torture_set_passes_the_fuzz_check() {
    for name in common::torture_names() {
        check_parse::check_parse(&common::torture(&name));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mutated_torture_messages(idx in 0usize..64, edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let names = common::torture_names();
        let name = &names[idx % names.len()];
        let mut bytes = common::torture(name);
        for (at, b) in edits {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
        }
        check_parse::check_parse(&bytes);
    }

    #[test]
    fn truncated_torture_messages(idx in 0usize..64, cut in any::<prop::sample::Index>()) {
        let names = common::torture_names();
        let bytes = common::torture(&names[idx % names.len()]);
        check_parse::check_parse(&bytes[..cut.index(bytes.len() + 1)]);
    }
}
