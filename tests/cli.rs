//! End-to-end tests of the `fimql` binary: `fmt`, `check`, `explain`, `tokens` and the help text.

use std::process::Output;

use common::{code, fimql, stderr, stdout};
use serde_json::Value;

mod common;

/// Asserts that `rendered` shows `src` with a run of `len` carets starting under byte `start`.
fn assert_caret(rendered: &str, src: &str, start: usize, len: usize) {
    let lines: Vec<&str> = rendered.lines().collect();
    let found = lines.windows(2).any(|w| {
        let Some(at) = w[0].find(src) else {
            return false;
        };
        if !w[0].ends_with(src) {
            return false;
        }
        let Some(caret) = w[1].find('^') else {
            return false;
        };
        let run = w[1][caret..].chars().take_while(|&c| c == '^').count();
        caret == at + start && run == len
    });
    assert!(
        found,
        "no caret run of {len} under byte {start} of `{src}` in:\n{rendered}"
    );
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", stdout(o)))
}

// ---------------------------------------------------------------------------------------------
// fmt

#[test]
fn fmt_prints_the_canonical_form() {
    let o = fimql(
        &[
            "fmt",
            "dateTime : [ * .. \"2023-01-01\" ] and (action:Content) or  severity >= 4",
        ],
        None,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "(dateTime:[*..\"2023-01-01\"] AND action:Content) OR severity>=4\n"
    );
    assert_eq!(stderr(&o), "");
}

#[test]
fn fmt_output_is_a_fixed_point() {
    let first = fimql(
        &[
            "fmt",
            "action : ( Create OR Delete ) and NOT type:Directory",
        ],
        None,
    );
    assert_eq!(code(&first), 0);
    let printed = stdout(&first);
    let again = fimql(&["fmt", printed.trim_end()], None);
    assert_eq!(code(&again), 0);
    assert_eq!(stdout(&again), printed);
}

const LONG: &str = "((severity>=4 AND platform:WINDOWS AND profiles.rules.name:*CR_*) OR \
    (asset.tags:8543820 AND file.fullPath:\"\\\\windows\\\\\" AND NOT action:Delete)) AND NOT \
    (platform:LINUX AND type:Directory) AND (action:Content OR NOT actor.userName:SYSTEM)";

#[test]
fn fmt_pretty_breaks_a_long_filter_over_indented_lines() {
    let o = fimql(&["fmt", "--pretty", LONG], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "(\n\
         \x20 (severity>=4 AND platform:WINDOWS AND profiles.rules.name:*CR_*)\n\
         \x20 OR (asset.tags:8543820 AND file.fullPath:\"\\\\windows\\\\\" AND NOT action:Delete)\n\
         )\n\
         AND NOT (platform:LINUX AND type:Directory)\n\
         AND (action:Content OR NOT actor.userName:SYSTEM)\n"
    );
    // The pretty form means the same filter: formatting it again gives the one-line form.
    let flat = fimql(&["fmt", LONG], None);
    let again = fimql(&["fmt", &stdout(&o)], None);
    assert_eq!(code(&again), 0);
    assert_eq!(stdout(&again), stdout(&flat));
    assert_eq!(stdout(&flat).lines().count(), 1);
}

#[test]
fn fmt_pretty_keeps_a_short_filter_on_one_line() {
    let o = fimql(&["fmt", "--pretty", "action:Create AND severity>=4"], None);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o), "action:Create AND severity>=4\n");
}

#[test]
fn fmt_fix_rewrites_aliases_and_quotes_multi_word_values() {
    let src = "file.attribute.readOnly: `Removed` and profile.name: Windows Profile - PCI(NJJ)";
    let o = fimql(&["fmt", "--fix", src], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "file.attribute.readonly:`Removed` AND profiles.name:'Windows Profile - PCI(NJJ)'\n"
    );
    // Without --fix the aliases and the bare words stay as written.
    let plain = fimql(&["fmt", src], None);
    assert_eq!(
        stdout(&plain),
        "file.attribute.readOnly:`Removed` AND profile.name:Windows Profile - PCI(NJJ)\n"
    );
}

#[test]
fn fmt_reads_the_filter_from_stdin() {
    let o = fimql(&["fmt", "-"], Some(b"action : Create  and severity>= 4\n"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "action:Create AND severity>=4\n");
}

#[test]
fn fmt_syntax_error_exits_1_with_a_caret() {
    let src = "action:Create severity:4";
    let o = fimql(&["fmt", src], None);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(err.contains("error[missing-operator]"), "{err}");
    assert!(err.contains("--> 1:15"), "{err}");
    assert_caret(&err, src, 14, "severity:4".len());
    assert!(err.contains("help: insert `AND`"), "{err}");
}

#[test]
fn fmt_usage_errors_exit_2() {
    assert_eq!(code(&fimql(&["fmt"], None)), 2);
    assert_eq!(code(&fimql(&["fmt", "--bogus", "action:Create"], None)), 2);
    assert_eq!(
        code(&fimql(&["fmt", "--scope", "nope", "action:Create"], None)),
        2
    );
}

// ---------------------------------------------------------------------------------------------
// check

#[test]
fn check_valid_filter_exits_0_silently() {
    let o = fimql(&["check", "action:Create AND severity>=4"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "");
}

#[test]
fn check_warning_only_exits_0_and_shows_the_warning() {
    let src = "action:Creat";
    let o = fimql(&["check", src], None);
    assert_eq!(code(&o), 0);
    let err = stderr(&o);
    assert!(err.contains("warning[unknown-value]"), "{err}");
    assert!(err.contains("did you mean `Create`?"), "{err}");
    assert_caret(&err, src, 7, 5);
    assert!(err.contains("valid: 0 errors, 1 warning"), "{err}");
}

#[test]
fn check_deny_warnings_turns_a_warning_into_exit_1() {
    let o = fimql(&["check", "--deny-warnings", "action:Creat"], None);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(err.contains("error[unknown-value]"), "{err}");
    assert!(err.contains("invalid: 1 error, 0 warnings"), "{err}");
}

#[test]
fn check_invalid_filter_exits_1_with_every_problem() {
    let src = "actoin:Create AND severity:high";
    let o = fimql(&["check", src], None);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(err.contains("error[unknown-token]"), "{err}");
    assert!(err.contains("did you mean `action`?"), "{err}");
    assert!(err.contains("error[type-mismatch]"), "{err}");
    assert_caret(&err, src, 0, "actoin".len());
    assert_caret(&err, src, 27, "high".len());
    assert!(err.contains("invalid: 2 errors, 0 warnings"), "{err}");
}

#[test]
fn check_usage_errors_exit_2() {
    let o = fimql(&["check", "--bogus", "action:Create"], None);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--bogus"), "{}", stderr(&o));
    assert_eq!(code(&fimql(&["check"], None)), 2);
    assert_eq!(
        code(&fimql(&["check", "--format", "xml", "action:Create"], None)),
        2
    );
}

#[test]
fn check_json_reports_code_span_position_and_help() {
    let o = fimql(&["check", "--format", "json", "actoin:Create"], None);
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(v["valid"], false);
    assert_eq!(v["filter"], "actoin:Create");
    assert_eq!(v["scope"], "events");
    let diags = v["diagnostics"].as_array().expect("diagnostics array");
    assert_eq!(diags.len(), 1, "{v}");
    let d = &diags[0];
    assert_eq!(d["code"], "unknown-token");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["span"]["start"], 0);
    assert_eq!(d["span"]["end"], 6);
    assert_eq!(d["line"], 1);
    assert_eq!(d["column"], 1);
    assert_eq!(d["help"], "did you mean `action`?");
    assert!(d["message"].as_str().unwrap().contains("actoin"), "{d}");
}

#[test]
fn check_json_locates_a_syntax_error_on_a_later_line() {
    let src = "action:Create AND\n  (severity:4";
    let o = fimql(&["check", "--format", "json", src], None);
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(v["valid"], false);
    assert_eq!(v["filter"], src);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "unclosed-paren");
    assert_eq!(d["span"]["start"], 20);
    assert_eq!(d["span"]["end"], 21);
    assert_eq!(d["line"], 2);
    assert_eq!(d["column"], 3);
}

#[test]
fn check_json_of_a_valid_filter_with_a_warning() {
    let o = fimql(&["check", "--format", "json", "action:Creat"], None);
    assert_eq!(code(&o), 0);
    let v = json(&o);
    assert_eq!(v["valid"], true);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "unknown-value");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["span"]["start"], 7);
    assert_eq!(d["span"]["end"], 12);
    assert_eq!(d["column"], 8);
    assert_eq!(d["help"], "did you mean `Create`?");

    let denied = fimql(
        &[
            "check",
            "--format",
            "json",
            "--deny-warnings",
            "action:Creat",
        ],
        None,
    );
    assert_eq!(code(&denied), 1);
    let v = json(&denied);
    assert_eq!(v["valid"], false);
    assert_eq!(v["diagnostics"][0]["severity"], "error");
}

#[test]
fn check_json_of_a_clean_filter_has_no_diagnostics() {
    let o = fimql(&["check", "--format", "json", "action:Create"], None);
    assert_eq!(code(&o), 0);
    let v = json(&o);
    assert_eq!(v["valid"], true);
    assert_eq!(v["diagnostics"], serde_json::json!([]));
}

#[test]
fn check_scope_incidents() {
    let o = fimql(
        &[
            "check",
            "--scope",
            "incidents",
            "--format",
            "json",
            "status:CLOSED",
        ],
        None,
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let v = json(&o);
    assert_eq!(v["scope"], "incidents");
    assert_eq!(v["valid"], true);

    // The same token is not an events token, and the help says which scope has it.
    let o = fimql(&["check", "--format", "json", "status:CLOSED"], None);
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(v["scope"], "events");
    assert_eq!(v["diagnostics"][0]["code"], "unknown-token");
    assert!(
        v["diagnostics"][0]["help"]
            .as_str()
            .unwrap()
            .contains("incidents"),
        "{v}"
    );
}

#[test]
fn check_reads_the_filter_from_stdin() {
    let ok = fimql(&["check", "-"], Some(b"action:Create\n"));
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));
    let bad = fimql(
        &["check", "--format", "json", "-"],
        Some(b"actoin:Create\r\n"),
    );
    assert_eq!(code(&bad), 1);
    let v = json(&bad);
    // One trailing line break is not part of the filter.
    assert_eq!(v["filter"], "actoin:Create");
    assert_eq!(v["diagnostics"][0]["code"], "unknown-token");
}

#[test]
fn check_allow_unknown_accepts_raw_paths() {
    assert_eq!(code(&fimql(&["check", "data.custom:x"], None)), 1);
    let o = fimql(&["check", "--allow-unknown", "data.custom:x"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// explain

fn match_line(out: &str) -> &str {
    out.lines()
        .find(|l| l.contains("matches when"))
        .unwrap_or_else(|| panic!("no `matches when` line in:\n{out}"))
}

#[test]
fn explain_says_whether_a_match_ignores_case() {
    let bare = fimql(&["explain", "action:create"], None);
    assert_eq!(code(&bare), 0, "{}", stderr(&bare));
    let out = stdout(&bare);
    assert!(out.contains("token action: enum"), "{out}");
    let line = match_line(&out);
    assert!(line.contains("\"create\""), "{line}");
    assert!(line.contains("ignoring case"), "{line}");
    assert!(!line.contains("case-sensitive"), "{line}");

    let exact = fimql(&["explain", "action:`create`"], None);
    assert_eq!(code(&exact), 0, "{}", stderr(&exact));
    let out = stdout(&exact);
    let line = match_line(&out);
    assert!(line.contains("\"create\""), "{line}");
    assert!(line.contains("exactly (case-sensitive)"), "{line}");
    assert!(!line.contains("ignoring case"), "{line}");
}

#[test]
fn explain_uses_the_given_clock() {
    let o = fimql(
        &[
            "explain",
            "--now",
            "2023-01-10T12:00:00Z",
            "action:Create AND dateTime>now-1d",
        ],
        None,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("AND"), "{out}");
    assert!(out.contains("2023-01-09T12:00:00"), "{out}");
}

#[test]
fn explain_syntax_error_exits_1() {
    let src = "action:(Create";
    let o = fimql(&["explain", src], None);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(err.contains("error[unclosed-paren]"), "{err}");
    assert_caret(&err, src, 7, 1);
}

// ---------------------------------------------------------------------------------------------
// tokens

#[test]
fn tokens_json_lists_both_scopes_with_aliases() {
    let o = fimql(&["tokens", "--format", "json"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    let obj = v.as_object().expect("object");
    let mut scopes: Vec<&str> = obj.keys().map(String::as_str).collect();
    scopes.sort_unstable();
    assert_eq!(scopes, ["events", "incidents"]);

    let find = |scope: &str, name: &str| -> Value {
        v[scope]
            .as_array()
            .expect("token array")
            .iter()
            .find(|t| t["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {scope} token {name}"))
    };
    let readonly = find("events", "file.attribute.readonly");
    assert_eq!(readonly["type"], "enum");
    assert_eq!(readonly["path"], "fileAttribute.readonly");
    let aliases = readonly["aliases"].as_array().expect("aliases");
    assert!(
        aliases.contains(&Value::from("file.attribute.readOnly")),
        "{readonly}"
    );
    let values = readonly["values"].as_array().expect("values");
    assert!(values.contains(&Value::from("Added")), "{readonly}");

    assert_eq!(find("events", "action")["type"], "enum");
    assert_eq!(find("events", "dateTime")["type"], "date");
    assert_eq!(find("events", "severity")["type"], "integer");
    find("incidents", "status");
    assert!(
        v["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["name"] != "file.attribute.readonly"),
        "file.attribute.readonly is not an incidents token"
    );
}

#[test]
fn tokens_json_for_one_scope() {
    let o = fimql(
        &["tokens", "--scope", "incidents", "--format", "json"],
        None,
    );
    assert_eq!(code(&o), 0);
    let v = json(&o);
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["incidents"]);
}

#[test]
fn tokens_human_lists_aliases() {
    let o = fimql(&["tokens", "--scope", "events"], None);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("file.attribute.readonly "))
        .unwrap_or_else(|| panic!("no file.attribute.readonly line in:\n{out}"));
    assert!(line.contains("aliases: file.attribute.readOnly"), "{line}");
    assert!(!out.contains("scope incidents"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// help

#[test]
fn help_of_each_command_mentions_exit_statuses() {
    for cmd in ["fmt", "check", "explain", "filter"] {
        let o = fimql(&[cmd, "--help"], None);
        assert_eq!(code(&o), 0, "{cmd} --help");
        let out = stdout(&o);
        assert!(out.contains("Exit status"), "{cmd} --help:\n{out}");
    }
    let filter = stdout(&fimql(&["filter", "--help"], None));
    assert!(filter.contains("0 some event matched"), "{filter}");
    assert!(filter.contains("1 none did"), "{filter}");
    assert!(filter.contains("2 an error occurred"), "{filter}");
    let check = stdout(&fimql(&["check", "--help"], None));
    assert!(
        check.contains("0 no errors (warnings allowed), 1 errors, 2 usage error"),
        "{check}"
    );
}

#[test]
fn top_level_help_lists_the_commands() {
    let o = fimql(&["--help"], None);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    for cmd in ["fmt", "check", "explain", "tokens", "filter"] {
        assert!(out.contains(cmd), "{out}");
    }
    assert_eq!(code(&fimql(&[], None)), 2);
    assert_eq!(code(&fimql(&["bogus"], None)), 2);
}

#[test]
fn parse_prints_the_tree_as_json_that_deserializes_to_the_same_query() {
    let src = "dateTime:['2023-01-01'..*] AND NOT (action:`Create` OR file.name:'a\\'b')";
    let o = fimql(&["parse", src], None);
    assert_eq!(code(&o), 0);
    let q: fimql::Query = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(q, fimql::parse(src).unwrap());
    let bad = fimql(&["parse", "action:"], None);
    assert_eq!(code(&bad), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&bad)).unwrap();
    assert_eq!(v["diagnostics"][0]["code"], "expected-value");
    assert_eq!(v["diagnostics"][0]["span"]["start"], 7);
}

#[test]
fn the_exit_status_in_the_top_level_help_is_true() {
    let help = stdout(&fimql(&["--help"], None));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    // explain and fmt print a filter with an unknown token and exit 0; check exits 1.
    assert!(
        help.contains("fmt and explain give 0 when they printed the filter"),
        "{help}"
    );
    assert!(!help.contains("check, fmt, explain"), "{help}");
    for (command, status) in [("explain", 0), ("fmt", 0), ("check", 1)] {
        let o = fimql(&[command, "actoin:Create"], None);
        assert_eq!(code(&o), status, "{command}");
    }
    assert_eq!(code(&fimql(&["explain", "action:("], None)), 1);
}

#[test]
fn explain_words_unknown_tokens_and_impossible_values_plainly() {
    let o = fimql(&["explain", "actoin:Create"], None);
    let out = stdout(&o);
    assert!(
        out.contains("not a token of scope events (an error, see below; with unknown tokens allowed, read as the raw JSON path actoin, its values as text)"),
        "{out}"
    );
    assert!(!out.contains("typed text: text"), "{out}");
    let o = fimql(&["explain", "--allow-unknown", "actoin:Create"], None);
    let out = stdout(&o);
    assert!(
        out.contains(
            "not a token of scope events: read as the raw JSON path actoin, its values as text"
        ),
        "{out}"
    );
    let o = fimql(&["explain", "severity:abc AND severity:(1 OR x)"], None);
    let out = stdout(&o);
    assert!(
        out.contains("matches nothing: `abc` is not an integer"),
        "{out}"
    );
    assert!(
        out.contains("is the integer 1 (a JSON integer or a string of digits); never matches, as `x` is not an integer"),
        "{out}"
    );
    assert!(!out.contains("element) (`"), "{out}");
}
