#![no_main]
//! A generated (valid, normalized) tree prints and parses back to itself; see
//! `fimql::fuzzing::check_roundtrip`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|q: fimql::Query| fimql::fuzzing::check_roundtrip(&q));
