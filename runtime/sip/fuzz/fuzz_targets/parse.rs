#![no_main]

#[path = "../check_parse.rs"]
mod check_parse;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    check_parse::check_parse(data);
});
