#![no_main]
//! A generated (valid, normalized) tree prints and parses back to itself; see
//! `fimql::testing::fuzzing::check_roundtrip`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|q: fimql::Query| fimql::testing::fuzzing::check_roundtrip(&q));
