//! `match.json` and `match-incidents.json`: each filter selects exactly the listed events.

mod common;

use chrono::{DateTime, Utc};
use fimql::{Options, Scope, compile};
use serde_json::Value;

fn run(file: &str) -> usize {
    let dir = common::conformance_dir();
    let spec: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
    let events_file = spec["events"].as_str().unwrap();
    let scope: Scope = spec["scope"].as_str().unwrap().parse().unwrap();
    let text = std::fs::read_to_string(dir.join(events_file)).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let events: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let id = |e: &Value| -> String {
        e.get("data")
            .unwrap_or(e)
            .get("id")
            .and_then(Value::as_str)
            .unwrap()
            .to_string()
    };
    let mut failures = Vec::new();
    let cases = spec["cases"].as_array().unwrap();
    for case in cases {
        let filter = case["filter"].as_str().unwrap();
        let mut opts = Options::new(scope);
        if let Some(now) = case["now"].as_str() {
            opts = opts.now(
                DateTime::parse_from_rfc3339(now)
                    .unwrap()
                    .with_timezone(&Utc),
            );
        }
        let compiled = match compile(filter, &opts) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!(
                    "{filter:?} does not compile:\n{}",
                    e.render(filter)
                ));
                continue;
            }
        };
        let mut got: Vec<String> = events
            .iter()
            .filter(|e| compiled.matches(e))
            .map(id)
            .collect();
        // The byte-level fast path gives the same answer on the raw lines.
        let mut matcher = compiled.matcher();
        let mut fast: Vec<String> = lines
            .iter()
            .zip(&events)
            .filter(|(l, _)| matcher.matches_json(l.as_bytes()).unwrap())
            .map(|(_, e)| id(e))
            .collect();
        fast.sort();
        got.sort();
        let mut want: Vec<String> = case["match"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        want.sort();
        if fast != got {
            failures.push(format!(
                "{filter:?}: fast path {fast:?}, value path {got:?}"
            ));
        }
        if got != want {
            failures.push(format!("{filter:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    cases.len()
}

#[test]
fn match_json() {
    assert!(run("match.json") >= 40);
}

#[test]
fn match_incidents_json() {
    assert!(run("match-incidents.json") >= 10);
}
