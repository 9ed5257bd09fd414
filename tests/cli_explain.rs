//! End-to-end tests of `fimql explain --events`: its answers are `fimql filter`'s selection, on
//! the sample export and on other layouts (a pretty JSON array, gzip, standard input); the JSON
//! shape; `--line`; errors; the example of `--help`.

mod common;

use std::collections::BTreeSet;

use common::{TempDir, code, fimql, gzip, stderr, stdout};
use serde_json::Value;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/events.ndjson");

/// The clock of the relative dates below.
const NOW: &str = "2023-06-01T00:00:00Z";

/// Filters of every kind: NOT, OR, date ranges (absolute and relative), array tokens, integers,
/// booleans, a missing field, wildcards, an exact value.
const FILTERS: &[&str] = &[
    "action:Create",
    "NOT action:Create",
    "action:Create OR action:Delete",
    "profiles.rules.name:*CR_*",
    "NOT profiles.rules.name:*CR_* AND severity>=3",
    "dateTime:['2023-03-01T00:00:00.000Z'..'2023-04-30T23:59:59.999Z']",
    "dateTime>=now-90d OR NOT asset.tags:8543820",
    "file.attribute.hidden:`Added` OR (baseline:true AND NOT actor.userName:SYSTEM)",
    "registry.path:* OR asset.interfaces.hostname:laptop-8*",
];

/// `explain --events FILE --format json` as (line, record object) pairs, with its exit status.
fn explain_json(filter: &str, file: &str, extra: &[&str]) -> (Vec<(u64, Value)>, i32, String) {
    let mut args = vec![
        "explain", filter, "--events", file, "--format", "json", "--now", NOW,
    ];
    args.extend_from_slice(extra);
    let o = fimql(&args, None);
    let records = stdout(&o)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("one JSON object per line");
            (v["line"].as_u64().expect("a line number"), v)
        })
        .collect();
    (records, code(&o), stderr(&o))
}

/// The lines of `file` (NDJSON) that `fimql filter` selects, and its exit status.
fn filter_lines(filter: &str, file: &str, extra: &[&str]) -> (BTreeSet<u64>, i32) {
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut args = vec!["filter", filter, file, "--now", NOW, "-q"];
    args.extend_from_slice(extra);
    let o = fimql(&args, None);
    assert!(code(&o) <= 1, "{filter}: {}", stderr(&o));
    let selected = stdout(&o)
        .lines()
        .map(|out| {
            let mut at = lines.iter().enumerate().filter(|(_, l)| **l == out);
            let (i, _) = at.next().expect("filter prints NDJSON lines unchanged");
            assert!(at.next().is_none(), "the sample's lines are distinct");
            i as u64 + 1
        })
        .collect();
    (selected, code(&o))
}

#[test]
fn matched_is_what_filter_selects_on_every_sample_record() {
    let records = std::fs::read_to_string(SAMPLE).unwrap().lines().count() as u64;
    let (mut some, mut none) = (0, 0);
    for filter in FILTERS {
        let (explained, status, err) = explain_json(filter, SAMPLE, &[]);
        assert!(err.is_empty(), "{filter}: {err}");
        let lines: Vec<u64> = explained.iter().map(|(l, _)| *l).collect();
        assert_eq!(
            lines,
            (1..=records).collect::<Vec<_>>(),
            "{filter}: every record"
        );
        let matched: BTreeSet<u64> = explained
            .iter()
            .filter(|(_, v)| v["matched"].as_bool().expect("matched is a bool"))
            .map(|(l, _)| *l)
            .collect();
        let (selected, filter_status) = filter_lines(filter, SAMPLE, &[]);
        assert_eq!(matched, selected, "{filter}: explain vs filter");
        assert_eq!(status, filter_status, "{filter}: exit status");
        // And what `filter --invert` selects is what explain says did not match.
        let (inverted, _) = filter_lines(filter, SAMPLE, &["--invert"]);
        let unmatched: BTreeSet<u64> = (1..=records).filter(|l| !matched.contains(l)).collect();
        assert_eq!(unmatched, inverted, "{filter}: explain vs filter --invert");
        // The tree's root says the same as `matched`.
        for (line, v) in &explained {
            assert_eq!(v["tree"]["verdict"], v["matched"], "{filter} line {line}");
        }
        if matched.is_empty() || matched.len() as u64 == records {
            none += 1;
        } else {
            some += 1;
        }
    }
    assert!(
        some >= 7,
        "most filters select some records but not all ({none} do not)"
    );
}

/// Checks a node of the JSON tree and its children: kind, verdict, children, and at terms the
/// values seen. Returns the terms seen.
fn check_node(n: &Value, terms: &mut Vec<Value>) {
    let kind = n["kind"].as_str().expect("kind");
    assert!(n["verdict"].is_boolean(), "{n}");
    let children = n["children"].as_array().expect("children");
    match kind {
        "and" | "or" => assert!(children.len() >= 2),
        "not" => assert_eq!(children.len(), 1),
        "term" => {
            assert!(children.is_empty());
            for key in ["term", "token", "type", "path", "rule"] {
                assert!(n[key].is_string(), "{key} in {n}");
            }
            assert!(n["missing"].is_boolean() && n["more_values"].is_u64());
            let values = n["values"].as_array().expect("values");
            for v in values {
                assert!(v.get("value").is_some() && v["passed"].is_boolean(), "{v}");
            }
            assert_eq!(n["missing"], values.is_empty());
            let passed = values.iter().any(|v| v["passed"] == true);
            assert_eq!(n["verdict"], passed, "{n}");
            terms.push(n.clone());
        }
        other => panic!("unknown kind {other}"),
    }
    children.iter().for_each(|c| check_node(c, terms));
}

#[test]
fn json_shape() {
    let filter = "NOT profiles.rules.name:*CR_* AND (action:Create OR registry.path:*)";
    let (explained, _, _) = explain_json(filter, SAMPLE, &[]);
    let mut terms = Vec::new();
    for (line, v) in &explained {
        assert_eq!(v["file"], SAMPLE);
        assert_eq!(v["line"], *line);
        assert!(v["matched"].is_boolean());
        assert_eq!(v["applies_to"], "data");
        check_node(&v["tree"], &mut terms);
    }
    // The array token shows every rule name; a field the sample leaves null shows null.
    let (_, first) = &explained[0];
    let not = &first["tree"]["children"][0];
    assert_eq!(not["kind"], "not");
    let rules = &not["children"][0];
    assert_eq!(rules["path"], "profiles.rules.name");
    assert_eq!(
        rules["values"],
        serde_json::json!([
            {"value": "Registry Run keys", "passed": false},
            {"value": "User temp dirs", "passed": false}
        ])
    );
    let registry = &first["tree"]["children"][1]["children"][1];
    assert_eq!(registry["path"], "registryPath");
    assert_eq!(
        registry["values"],
        serde_json::json!([{"value": null, "passed": false}])
    );
    assert!(terms.len() == 3 * explained.len());
}

#[test]
fn line_selects_one_record() {
    let filter = "action:Create AND NOT profiles.rules.name:*CR_*";
    let (all, _, _) = explain_json(filter, SAMPLE, &[]);
    for n in [1u64, 5, 50, 100] {
        let (one, status, err) = explain_json(filter, SAMPLE, &["--line", &n.to_string()]);
        assert!(err.is_empty(), "{err}");
        assert_eq!(one.len(), 1);
        assert_eq!(one[0], all[n as usize - 1]);
        // The status says whether that record matched.
        let matched = one[0].1["matched"].as_bool().unwrap();
        assert_eq!(status, if matched { 0 } else { 1 }, "line {n}");
    }
    // As text: the header, the tree with its marks and values, the answer.
    let o = fimql(
        &["explain", filter, "--events", SAMPLE, "--line", "5"],
        None,
    );
    assert_eq!(code(&o), 1);
    let text = stdout(&o);
    let header = format!("{SAMPLE}:5: not matched\n");
    assert!(text.starts_with(&header), "{text}");
    for want in [
        "✗ false  AND (all of)",
        "├─ ✓ true   action:Create",
        "action: \"Create\" ✓",
        "└─ ✗ false  NOT  ← decides",
        "└─ ✓ true   profiles.rules.name:*CR_*",
        "profiles.rules.name: \"CR_Windows_System32_Changes\" ✓",
        "=> not matched: `fimql filter` does not select this record",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
}

#[test]
fn a_line_with_no_record_is_an_error() {
    let dir = TempDir::new("explain-no-record");
    let pretty = dir.write(
        "pretty.json",
        "[\n  {\n    \"data\": {\"action\": \"Create\"}\n  },\n\n  {\"data\": {}}\n]\n",
    );
    for (file, line, want) in [
        (
            SAMPLE.to_string(),
            "101",
            "no record starts on line 101 (the last record starts on line 100)",
        ),
        (
            SAMPLE.to_string(),
            "0",
            "no record starts on line 0 (the first record starts on line 1)",
        ),
        (
            pretty.clone(),
            "3",
            "no record starts on line 3: it is inside the record that starts on line 2 (give --line 2)",
        ),
        (
            pretty.clone(),
            "5",
            "no record starts on line 5 (records start on lines 2 and 6)",
        ),
    ] {
        let o = fimql(
            &[
                "explain",
                "action:Create",
                "--events",
                &file,
                "--line",
                line,
            ],
            None,
        );
        assert_eq!(code(&o), 2, "{file} {line}");
        assert!(stdout(&o).is_empty());
        assert!(stderr(&o).contains(want), "{want:?} in {}", stderr(&o));
    }
}

#[test]
fn pretty_json_array_and_gzip() {
    let dir = TempDir::new("explain-layouts");
    let events: Vec<Value> = std::fs::read_to_string(SAMPLE)
        .unwrap()
        .lines()
        .take(12)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pretty = serde_json::to_string_pretty(&events).unwrap();
    let file = dir.write("events.json", &pretty);
    let gz = dir.write("events.json.gz", gzip(pretty.as_bytes()));
    // The records start on the lines of their `{` in the pretty text.
    let starts: Vec<u64> = pretty
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "  {")
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(starts.len(), events.len());
    for filter in FILTERS {
        let (explained, status, err) = explain_json(filter, &file, &[]);
        assert!(err.is_empty(), "{err}");
        let lines: Vec<u64> = explained.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, starts, "{filter}");
        // `filter` prints the selected records compactly, in order.
        let o = fimql(&["filter", filter, &file, "--now", NOW, "-q"], None);
        assert_eq!(code(&o), status, "{filter}");
        let selected: Vec<Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let matched: Vec<Value> = explained
            .iter()
            .zip(&events)
            .filter(|((_, v), _)| v["matched"] == true)
            .map(|(_, e)| e.clone())
            .collect();
        assert_eq!(matched, selected, "{filter}");
        // The gzip file gives the same explanations, on the same lines.
        let (zipped, zstatus, _) = explain_json(filter, &gz, &[]);
        assert_eq!(zstatus, status);
        for ((l1, mut a), (l2, mut b)) in explained.into_iter().zip(zipped) {
            assert_eq!(l1, l2);
            a["file"] = Value::Null;
            b["file"] = Value::Null;
            assert_eq!(a, b, "{filter}");
        }
    }
    // --line with a pretty file: the line `filter` would name.
    let (one, _, _) = explain_json("action:*", &gz, &["--line", &starts[3].to_string()]);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].0, starts[3]);
}

#[test]
fn malformed_records_are_reported_with_their_line() {
    let dir = TempDir::new("explain-malformed");
    let file = dir.write(
        "bad.ndjson",
        "{\"data\":{\"action\":\"Create\"}}\n{\"data\": nope}\n\n{\"action\":\"Delete\"}\n",
    );
    let (explained, status, err) = explain_json("action:Create", &file, &[]);
    assert_eq!(status, 2, "a malformed record is an error");
    assert!(err.contains(&format!("{file}:2: ")), "{err}");
    // The others are explained; the record without `data` is read as the event itself.
    let lines: Vec<u64> = explained.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [1, 4]);
    assert_eq!(explained[1].1["applies_to"], "event");
    assert_eq!(explained[1].1["matched"], false);
    // `filter` reports the same line.
    let o = fimql(&["filter", "action:Create", &file, "-q"], None);
    assert!(stderr(&o).contains(&format!("{file}:2: ")));
    // Asked for alone, the malformed record is an error too.
    let (none, status, err) = explain_json("action:Create", &file, &["--line", "2"]);
    assert!(none.is_empty());
    assert_eq!(status, 2);
    assert!(err.contains(&format!("{file}:2: ")), "{err}");
}

#[test]
fn standard_input_missing_fields_and_errors() {
    let o = fimql(
        &["explain", "NOT actor.userName:SYSTEM", "--events", "-"],
        Some(b"{\"data\":{\"action\":\"Create\"}}\n"),
    );
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    assert!(text.starts_with("<stdin>:1: matched\n"), "{text}");
    assert!(text.contains("actor.userName: missing"), "{text}");

    // A bad filter: the diagnostic, status 2 (1 would mean "no record matched").
    let o = fimql(&["explain", "actoin:Create", "--events", SAMPLE], None);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("did you mean `action`?"));
    // An unreadable file.
    let o = fimql(
        &["explain", "action:Create", "--events", "no/such/file"],
        None,
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no/such/file"));
    // --line and --format need --events.
    for args in [["--line", "3"], ["--format", "json"]] {
        let o = fimql(&["explain", "action:Create", args[0], args[1]], None);
        assert_eq!(code(&o), 2);
        assert!(stderr(&o).contains("--events"));
    }
    // Unknown tokens are refused unless allowed.
    let o = fimql(
        &["explain", "extra.note:x", "--events", "-"],
        Some(b"{\"extra\":{\"note\":\"X\"}}"),
    );
    assert_eq!(code(&o), 2);
    let o = fimql(
        &[
            "explain",
            "extra.note:x",
            "--events",
            "-",
            "--allow-unknown",
            "--format",
            "json",
        ],
        Some(b"{\"extra\":{\"note\":\"X\"}}"),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["tree"]["path"], "extra.note");
    assert_eq!(v["applies_to"], "event");
}

#[test]
fn help_shows_real_output() {
    let help = stdout(&fimql(&["explain", "--help"], None));
    let o = fimql(
        &[
            "explain",
            "action:Create AND NOT profiles.rules.name:*CR_*",
            "--events",
            "examples/events.ndjson",
            "--line",
            "5",
        ],
        None,
    );
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(out.lines().count() > 5);
    for line in out.lines().filter(|l| !l.is_empty()) {
        assert!(
            help.contains(&format!("  {line}\n")),
            "{line:?} is not in --help:\n{help}"
        );
    }
    assert!(help.contains("Exit status:"));
}

#[test]
fn readme_shows_real_output() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let filter = "severity>=4 AND (action:Create OR file.attribute.hidden:`Added`) AND NOT profiles.rules.name:*CR_*";
    let o = fimql(
        &[
            "explain",
            filter,
            "--events",
            "examples/events.ndjson",
            "--line",
            "2",
        ],
        None,
    );
    let out = stdout(&o);
    let block = format!(
        "```text\n{}```",
        out.trim_end_matches('\n').to_string() + "\n"
    );
    assert!(readme.contains(&block), "README.md lacks:\n{block}");
    assert!(readme.contains(filter));
    let o = fimql(
        &[
            "explain",
            "action:Create",
            "--events",
            "examples/events.ndjson",
            "--line",
            "2",
            "--format",
            "json",
        ],
        None,
    );
    assert!(readme.contains(&format!("```text\n{}```", stdout(&o))));
    // The two counts of the README.
    let (explained, _, _) = explain_json(filter, SAMPLE, &[]);
    let matched = explained
        .iter()
        .filter(|(_, v)| v["matched"] == true)
        .count();
    let o = fimql(&["filter", "--count", filter, SAMPLE, "-q"], None);
    assert_eq!(stdout(&o).trim(), matched.to_string());
    assert!(readme.contains(&format!("| grep -c '\"matched\":true'   # {matched}")));
}

#[test]
fn help_says_how_a_null_is_shown_and_it_is_shown_so() {
    let help = stdout(&fimql(&["explain", "--help"], None));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("A JSON null is a value found: it shows as `null ✗`"),
        "{help}"
    );
    assert!(
        help.contains(
            "a JSON null found there is one of its `values` (with `passed` false), not missing"
        ),
        "{help}"
    );
    let dir = TempDir::new("explain-null");
    let file = dir.write("e.ndjson", "{\"registryPath\":null}\n{}\n");
    let o = fimql(&["explain", "registry.path:*", "--events", &file], None);
    let out = stdout(&o);
    assert!(out.contains("registryPath: null ✗"), "{out}");
    assert!(out.contains("registryPath: missing"), "{out}");
    let (explained, _, _) = explain_json("registry.path:*", &file, &[]);
    assert_eq!(explained[0].1["tree"]["missing"], false);
    assert_eq!(
        explained[0].1["tree"]["values"],
        serde_json::json!([{"value": null, "passed": false}])
    );
    assert_eq!(explained[1].1["tree"]["missing"], true);
}

#[test]
fn help_says_numbers_show_as_the_filter_reads_them() {
    let help = stdout(&fimql(&["explain", "--help"], None));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("`1E2` as `100.0`"), "{help}");
    let dir = TempDir::new("explain-number");
    let file = dir.write("e.ndjson", "{\"severity\":1E2}\n");
    let o = fimql(&["explain", "severity>1", "--events", &file], None);
    assert!(stdout(&o).contains("severity: 100.0 ✗"), "{}", stdout(&o));
}

/// `tail -f export.ndjson | fimql explain FILTER --events -`: each record is explained as soon as
/// it has come, while the input is still open.
#[test]
fn records_on_a_slow_pipe_are_explained_as_they_arrive() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    use std::time::Duration;
    let mut child = Command::new(env!("CARGO_BIN_EXE_fimql"))
        .args([
            "explain",
            "action:Create",
            "--events",
            "-",
            "--format",
            "json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = output.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut shown = Vec::new();
    for (line, record) in [(1, r#"{"action":"Create"}"#), (2, r#"{"action":"Delete"}"#)] {
        writeln!(input, "{record}").unwrap();
        input.flush().unwrap();
        let lines = |shown: &[u8]| String::from_utf8_lossy(shown).lines().count();
        while lines(&shown) < line {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(bytes) => shown.extend(bytes),
                Err(_) => panic!(
                    "record {line} not explained while the input is open: {:?}",
                    String::from_utf8_lossy(&shown)
                ),
            }
        }
    }
    drop(input);
    assert!(child.wait().unwrap().success());
    let text = String::from_utf8_lossy(&shown);
    let matched: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["matched"].clone())
        .collect();
    assert_eq!(matched, [Value::Bool(true), Value::Bool(false)], "{text}");
}

#[test]
fn an_unknown_token_names_the_switch_of_explain() {
    for args in [
        &["explain", "foo:1"][..],
        &["explain", "foo:1", "--events", SAMPLE],
    ] {
        let o = fimql(args, None);
        assert!(
            stderr(&o).contains("as a raw JSON path, pass `--allow-unknown`"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    let o = fimql(
        &["explain", "--allow-unknown", "foo:1", "--events", SAMPLE],
        None,
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
}

#[test]
fn a_bidirectional_format_character_in_a_value_is_escaped() {
    let dir = TempDir::new("explain-bidi");
    let file = dir.write("e.ndjson", "{\"action\":\"\u{202e}Create\"}\n");
    let o = fimql(&["explain", "--events", &file, "action:*"], None);
    let out = stdout(&o);
    assert!(!out.contains('\u{202e}'), "{out}");
    assert!(out.contains("\"\\u202eCreate\""), "{out}");
}

#[test]
fn an_input_with_no_record_says_so() {
    let dir = TempDir::new("explain-empty");
    for (name, text) in [
        ("empty.ndjson", ""),
        ("blank.ndjson", "\n  \n"),
        ("empty.json", "[]\n"),
    ] {
        let file = dir.write(name, text);
        let o = fimql(&["explain", "action:Create", "--events", &file], None);
        assert_eq!((code(&o), stdout(&o)), (1, String::new()));
        assert_eq!(stderr(&o), format!("fimql: {file}: no records\n"));
    }
}
