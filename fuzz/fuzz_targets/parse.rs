#![no_main]
//! See `fimql::testing::fuzzing::check_parse` for what this target asserts.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fimql::testing::fuzzing::check_parse(data));
