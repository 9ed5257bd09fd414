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
    // Quoting made the value a phrase (a wider match): a note says so, the status is unchanged.
    let note = stderr(&o);
    assert!(
        note.contains("`Windows Profile - PCI(NJJ)`")
            && note.contains("phrase")
            && note.contains(r"profiles.name:Windows\ Profile\ -\ PCI(NJJ)"),
        "{note}"
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
fn check_valid_filter_exits_0_with_only_the_summary_line() {
    // The same summary line with or without warnings (and whether stderr is a terminal or not).
    let o = fimql(&["check", "action:Create AND severity>=4"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "valid: 0 errors, 0 warnings\n");
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

// ---------------------------------------------------------------------------------------------
// multi-word values, long lines, wide characters, hints

#[test]
fn fmt_fix_notes_only_the_values_whose_match_it_changes() {
    // A text token: the quoted value is a phrase, so `--fix` says so on stderr.
    let o = fimql(&["fmt", "--fix", "profiles.name:Windows Profile"], None);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o), "profiles.name:'Windows Profile'\n");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("note: "), "{err}");
    assert!(err.contains(r"`profiles.name:Windows\ Profile`"), "{err}");
    // The escaped form is left alone and needs no note; it keeps the whole-value match.
    let o = fimql(&["fmt", "--fix", r"profiles.name:Windows\ Profile"], None);
    assert_eq!(stdout(&o), "profiles.name:Windows\\ Profile\n");
    assert_eq!(stderr(&o), "");
    // A wildcard value has its spaces escaped (it stays bare): no change of meaning, no note.
    let o = fimql(&["fmt", "--fix", "profiles.name:windows profile*"], None);
    assert_eq!(stdout(&o), "profiles.name:windows\\ profile*\n");
    assert_eq!(stderr(&o), "");
    // On an enum token quotes mean equality, as the bare value does: no note.
    let o = fimql(&["fmt", "--fix", "platform:Windows Server"], None);
    assert_eq!(stdout(&o), "platform:'Windows Server'\n");
    assert_eq!(stderr(&o), "");
}

#[test]
fn check_unquoted_spaces_help_says_quoting_makes_a_phrase() {
    let o = fimql(&["check", "profiles.name:Windows Profile"], None);
    assert_eq!(code(&o), 0);
    let err = stderr(&o);
    assert!(err.contains("warning[unquoted-spaces]"), "{err}");
    assert!(
        err.contains(
            "help: quote it: `profiles.name:'Windows Profile'` (quoted, it is a phrase: it matches \
             any value that contains it); to keep the whole-value match, escape the spaces: \
             `profiles.name:Windows\\ Profile`"
        ),
        "{err}"
    );
}

#[test]
fn check_shows_a_window_of_a_long_line() {
    // One error at the end of a 200 KB line: a window around it, not the whole line.
    let long = (0..10_000)
        .map(|i| format!("action:v{i}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let src = format!("{long} OR actoin:x");
    let o = fimql(&["check", "-"], Some(src.as_bytes()));
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(err.len() < 40_000, "{} bytes of stderr", err.len());
    let lines: Vec<&str> = err.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("error[unknown-token]"))
        .expect("the error");
    let shown = lines[at + 3];
    assert!(
        shown.contains("…") && shown.ends_with("actoin:x"),
        "{shown}"
    );
    assert!(shown.chars().count() <= 110, "{shown}");
    // The carets sit under `actoin`, and the caret line ends with them.
    let caret = lines[at + 4];
    assert_eq!(caret.trim_end(), caret);
    assert!(caret.ends_with("^^^^^^"), "{caret}");
    let col = |s: &str, byte: usize| s[..byte].chars().count();
    assert_eq!(
        col(caret, caret.find('^').unwrap()),
        col(shown, shown.find("actoin").unwrap())
    );
}

#[test]
fn check_caps_the_rendered_warnings_and_json_keeps_them_all() {
    let src = (0..5_000)
        .map(|i| format!("action:v{i}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let o = fimql(&["check", "-"], Some(src.as_bytes()));
    assert_eq!(code(&o), 0);
    let err = stderr(&o);
    assert_eq!(err.matches("warning[unknown-value]").count(), 100);
    assert!(
        err.contains("… and 4900 more (0 errors, 4900 warnings) not shown"),
        "{}",
        &err[err.len().saturating_sub(300)..]
    );
    assert!(err.ends_with("valid: 0 errors, 5000 warnings\n"));
    assert!(err.len() < 200_000, "{} bytes of stderr", err.len());
    let o = fimql(&["check", "--format", "json", "-"], Some(src.as_bytes()));
    assert_eq!(json(&o)["diagnostics"].as_array().unwrap().len(), 5_000);
}

#[test]
fn check_aligns_carets_under_wide_characters() {
    for src in [
        "file.name:'日本語' AND actoin:x",
        "file.name:'😀😀' AND actoin:x",
    ] {
        let o = fimql(&["check", src], None);
        let err = stderr(&o);
        let lines: Vec<&str> = err.lines().collect();
        let shown = lines
            .iter()
            .position(|l| l.ends_with(src))
            .expect("the line");
        let width =
            |s: &str| -> usize { s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum() };
        let line = lines[shown];
        let caret = lines[shown + 1];
        let under = width(&line[..line.find("actoin").unwrap()]);
        assert_eq!(caret.find('^'), Some(under), "{err}");
    }
    // JSON: the span in bytes, the column in characters.
    let o = fimql(
        &[
            "check",
            "--format",
            "json",
            "file.name:'日本語' AND actoin:x",
        ],
        None,
    );
    let d = &json(&o)["diagnostics"][0];
    assert_eq!(
        (d["span"]["start"].as_u64(), d["column"].as_u64()),
        (Some(26), Some(21))
    );
    let help = stdout(&fimql(&["check", "--help"], None));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("byte offsets") && help.contains("counted in characters"),
        "{help}"
    );
}

#[test]
fn check_hints_to_quote_timestamps_in_the_form_used() {
    for (src, fixed) in [
        (
            "dateTime:[2022-11-15T16:07:00.000Z..2022-12-15T16:07:00.000Z]",
            "`dateTime:['2022-11-15T16:07:00.000Z'..'2022-12-15T16:07:00.000Z']`",
        ),
        (
            "dateTime:['2022-11-15'..2022-12-15T16:07:00Z]",
            "`dateTime:['2022-11-15'..'2022-12-15T16:07:00Z']`",
        ),
        (
            "dateTime>2023-01-01T10:00:00Z",
            "`dateTime>'2023-01-01T10:00:00Z'`",
        ),
        (
            "action:Create AND dateTime<=2023-01-01T10:00",
            "`dateTime<='2023-01-01T10:00'`",
        ),
        (
            "dateTime:2023-01-01T10:00:00Z",
            "`dateTime:'2023-01-01T10:00:00Z'`",
        ),
    ] {
        let o = fimql(&["check", src], None);
        assert_eq!(code(&o), 1);
        let err = stderr(&o);
        assert!(
            err.contains(&format!("quote timestamps with a time: {fixed}"))
                || err.contains(&format!("quote a timestamp with a time: {fixed}")),
            "{src}: {err}"
        );
        // The suggestion is itself valid.
        let suggestion = fixed.trim_matches('`');
        let whole = if src.starts_with("action") {
            format!("action:Create AND {suggestion}")
        } else {
            suggestion.to_string()
        };
        assert_eq!(code(&fimql(&["check", &whole], None)), 0, "{whole}");
    }
}

#[test]
fn unknown_token_hints_name_the_switch_of_the_command() {
    // check has --allow-unknown: the help names it.
    let o = fimql(&["check", "zzzz:1"], None);
    let err = stderr(&o);
    assert!(
        err.contains("as a raw JSON path, pass `--allow-unknown`"),
        "{err}"
    );
    assert!(!err.contains("allow unknown tokens"), "{err}");
    let o = fimql(&["check", "--format", "json", "zzzz:1"], None);
    let help = json(&o)["diagnostics"][0]["help"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(help.ends_with("pass `--allow-unknown`"), "{help}");
    // translate cannot translate raw paths (they have no column): no switch to suggest.
    let o = fimql(&["translate", "--to", "duckdb", "zzzz:1"], None);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(err.contains("error[unknown-token]"), "{err}");
    assert!(!err.contains("allow"), "{err}");
    let o = fimql(
        &["translate", "--to", "duckdb", "--allow-unknown", "zzzz:1"],
        None,
    );
    assert_eq!(code(&o), 2);
    // filter: --group-by and --fields name the switch too.
    for args in [
        &["filter", "--group-by", "zzzz", "action:Create", "-"][..],
        &[
            "filter",
            "--format",
            "csv",
            "--fields",
            "zzzz",
            "action:Create",
            "-",
        ][..],
        &["filter", "zzzz:1", "-"][..],
    ] {
        let o = fimql(args, Some(b"{\"action\":\"Create\"}\n"));
        assert_eq!(code(&o), 2, "{args:?}");
        let err = stderr(&o);
        assert!(err.contains("pass `--allow-unknown`"), "{args:?}: {err}");
    }
}
