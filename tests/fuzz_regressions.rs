//! Replays every input under `fuzz/regressions/<target>/` through the check that target runs.

use std::path::PathBuf;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_file() {
            let data = std::fs::read(&path).unwrap();
            check(&data);
            n += 1;
        }
    }
    n
}

#[test]
fn parse_regressions() {
    assert!(replay("parse", fimql::testing::fuzzing::check_parse) > 0);
}

#[test]
fn validate_regressions() {
    assert!(replay("validate", fimql::testing::fuzzing::check_validate) > 0);
}

#[test]
fn eval_regressions() {
    assert!(replay("eval", fimql::testing::fuzzing::check_eval) > 0);
}

#[test]
fn filter_stream_regressions() {
    assert!(replay("filter_stream", fimql::testing::fuzzing::check_stream) > 0);
}
