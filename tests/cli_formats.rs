//! End-to-end tests of the output forms of `fimql filter`: `--format` (ndjson, json, table, csv,
//! tsv), `--fields`, the table on a terminal and its colour, `--group-by` as rows, and
//! `--histogram` with `--time-field`.

use std::process::Command;

mod common;

use common::{TempDir, code, filter, fimql, stderr, stdout};

const BIN: &str = env!("CARGO_BIN_EXE_fimql");

/// The sample export of the repository.
const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/events.ndjson");

/// Three events: a search-response element with awkward values (a comma, quotes and a line break;
/// two rules), a bare event with a missing path and a string severity, and a second element.
const FIXTURE: &str = concat!(
    r#"{"sortValues":[1],"data":{"dateTime":"2023-01-01T10:00:00.000+0000","processedTime":"2023-02-01T00:00:00Z","action":"Create","severity":5,"asset":{"name":"host, \"one\""},"fullPath":"C:\\a\nb","profiles":[{"rules":[{"name":"r1"},{"name":"r2"}]}]}}"#,
    "\n",
    r#"{"dateTime":"2023-01-03T23:30:00+0000","action":"Delete","severity":"4","asset":{"name":"web1"},"fullPath":null}"#,
    "\n",
    r#"{"sortValues":[3],"data":{"dateTime":"2023-01-03T01:00:00Z","processedTime":"2023-03-15T00:00:00Z","action":"Create","severity":2,"asset":{"name":"db\t2"},"fullPath":"/etc/passwd","profiles":[]}}"#,
    "\n",
);

fn fixture(dir: &TempDir) -> String {
    dir.write("events.ndjson", FIXTURE)
}

/// Runs `fimql ARGS` on a terminal (a pseudo-terminal made by `script` from util-linux) of 40 rows
/// and `cols` columns, with `env` set; returns what the terminal showed, with `\r\n` as `\n`.
fn on_terminal(cols: u16, env: &str, args: &[&str]) -> String {
    on_terminal_sized(40, cols, env, args)
}

/// [`on_terminal`] on a terminal of `rows` rows (0: the terminal does not say).
fn on_terminal_sized(rows: u16, cols: u16, env: &str, args: &[&str]) -> String {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let cmd = format!(
        "stty rows {rows} cols {cols}; env {env} {BIN} {}",
        quoted.join(" ")
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        // A CI service's `CI` turns colour on even where TERM says the terminal has none.
        .env_remove("CI")
        .output()
        .expect("script (util-linux) runs the command on a terminal");
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

const ESC: char = '\u{1b}';

#[test]
fn ndjson_on_a_pipe_is_the_matching_lines_unchanged() {
    let dir = TempDir::new("fmt-ndjson");
    let file = fixture(&dir);
    let lines: Vec<&str> = FIXTURE.lines().collect();
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o), format!("{}\n{}\n", lines[0], lines[2]));
    let explicit = filter(&["--format", "ndjson", "action:Create", &file]);
    assert_eq!(explicit.stdout, o.stdout);
}

#[test]
fn csv_quotes_commas_quotes_and_line_breaks_joins_arrays_and_leaves_missing_empty() {
    let dir = TempDir::new("fmt-csv");
    let file = fixture(&dir);
    let o = filter(&[
        "--format",
        "csv",
        "--fields",
        "dateTime,asset.name,file.fullPath,profiles.rules.name,severity",
        "action:*",
        &file,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "dateTime,asset.name,file.fullPath,profiles.rules.name,severity\n\
         2023-01-01T10:00:00.000+0000,\"host, \"\"one\"\"\",\"C:\\a\nb\",r1; r2,5\n\
         2023-01-03T23:30:00+0000,web1,,,4\n\
         2023-01-03T01:00:00Z,db\t2,/etc/passwd,,2\n"
    );
}

#[test]
fn csv_header_keeps_the_names_as_given_and_defaults_to_the_scope_fields() {
    let dir = TempDir::new("fmt-csv-names");
    let file = fixture(&dir);
    // An alias stays as written in the header.
    let o = filter(&[
        "--format",
        "csv",
        "--fields",
        "profile.name",
        "--fields",
        "action",
        "severity:5",
        &file,
    ]);
    assert_eq!(stdout(&o), "profile.name,action\n,Create\n");
    let o = filter(&["--format", "csv", "severity:2", &file]);
    assert_eq!(
        stdout(&o),
        "dateTime,action,severity,asset.name,file.fullPath\n\
         2023-01-03T01:00:00Z,Create,2,db\t2,/etc/passwd\n"
    );
    // Nothing matched: the header alone, exit status 1.
    let o = filter(&["--format", "csv", "--fields", "action", "severity:1", &file]);
    assert_eq!((code(&o), stdout(&o)), (1, "action\n".to_string()));
}

#[test]
fn tsv_escapes_tabs_line_breaks_and_backslashes() {
    let dir = TempDir::new("fmt-tsv");
    let file = fixture(&dir);
    let o = filter(&[
        "--format",
        "tsv",
        "--fields",
        "asset.name,file.fullPath,profiles.rules.name",
        "action:*",
        &file,
    ]);
    assert_eq!(
        stdout(&o),
        "asset.name\tfile.fullPath\tprofiles.rules.name\n\
         host, \"one\"\tC:\\\\a\\nb\tr1; r2\n\
         web1\t\t\n\
         db\\t2\t/etc/passwd\t\n"
    );
}

#[test]
fn a_tsv_column_alone_leaves_empty_and_missing_values_empty() {
    // One column: an empty or missing value is an empty line, not `""` (TSV has no quoting, so
    // `""` is the text of two quotes, which the second event holds).
    let dir = TempDir::new("fmt-tsv-one");
    let file = dir.write(
        "events.ndjson",
        "{\"asset\":{\"name\":\"\"}}\n{\"asset\":{\"name\":\"\\\"\\\"\"}}\n{\"action\":\"Create\"}\n",
    );
    let o = filter(&[
        "--format",
        "tsv",
        "--fields",
        "asset.name",
        "NOT action:x",
        &file,
    ]);
    assert_eq!(stdout(&o), "asset.name\n\n\"\"\n\n");
    let o = filter(&[
        "--format",
        "csv",
        "--fields",
        "asset.name",
        "NOT action:x",
        &file,
    ]);
    assert_eq!(stdout(&o), "asset.name\n\"\"\n\"\"\"\"\"\"\n\"\"\n");
}

#[test]
fn json_is_one_array_of_the_events_or_of_the_fields() {
    let dir = TempDir::new("fmt-json");
    let file = fixture(&dir);
    let o = filter(&["--format", "json", "action:*", &file]);
    assert_eq!(code(&o), 0);
    let all: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    let want: Vec<serde_json::Value> = FIXTURE
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(all, serde_json::Value::Array(want));

    let o = filter(&[
        "--format",
        "json",
        "--fields",
        "severity,profiles.rules.name,file.fullPath",
        "action:Create",
        &file,
    ]);
    assert_eq!(
        stdout(&o),
        "[\n{\"severity\":5,\"profiles.rules.name\":[\"r1\",\"r2\"],\"file.fullPath\":\"C:\\\\a\\nb\"},\n\
         {\"severity\":2,\"profiles.rules.name\":null,\"file.fullPath\":\"/etc/passwd\"}\n]\n"
    );

    // No match: an empty array, exit status 1.
    let o = filter(&["--format", "json", "action:Rename", &file]);
    assert_eq!((code(&o), stdout(&o)), (1, "[]\n".to_string()));

    // The sample export, as one array: as many events as --count finds.
    let o = filter(&["--format", "json", "severity>=4", SAMPLE]);
    let n = filter(&["--count", "severity>=4", SAMPLE]);
    let parsed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        parsed.as_array().unwrap().len().to_string() + "\n",
        stdout(&n)
    );
}

#[test]
fn ndjson_with_fields_is_one_object_per_line() {
    let dir = TempDir::new("fmt-ndjson-fields");
    let file = fixture(&dir);
    let o = filter(&["--fields", "action, asset.name", "severity>=4", &file]);
    assert_eq!(
        stdout(&o),
        "{\"action\":\"Create\",\"asset.name\":\"host, \\\"one\\\"\"}\n\
         {\"action\":\"Delete\",\"asset.name\":\"web1\"}\n"
    );
}

#[test]
fn raw_paths_need_allow_unknown() {
    let dir = TempDir::new("fmt-raw");
    let file = fixture(&dir);
    let o = filter(&[
        "--format",
        "csv",
        "--fields",
        "sortValues",
        "action:*",
        &file,
    ]);
    assert_eq!(code(&o), 2);
    let o = filter(&[
        "--allow-unknown",
        "--format",
        "csv",
        "--fields",
        "action,processedTime,profiles",
        "action:*",
        &file,
    ]);
    assert_eq!(
        stdout(&o),
        "action,processedTime,profiles\n\
         Create,2023-02-01T00:00:00Z,\"{\"\"rules\"\":[{\"\"name\"\":\"\"r1\"\"},{\"\"name\"\":\"\"r2\"\"}]}\"\n\
         Delete,,\n\
         Create,2023-03-15T00:00:00Z,\n"
    );
}

#[test]
fn an_unknown_field_is_a_usage_error_with_a_suggestion() {
    let dir = TempDir::new("fmt-unknown");
    let file = fixture(&dir);
    let o = filter(&[
        "--format",
        "csv",
        "--fields",
        "dateTime,asset.nmae",
        "action:*",
        &file,
    ]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(
        err.contains("error[unknown-token]: unknown field `asset.nmae`"),
        "{err}"
    );
    assert!(
        err.contains("dateTime,asset.nmae\n  |          ^^^^^^^^^^"),
        "{err}"
    );
    assert!(err.contains("did you mean `asset.name`?"), "{err}");
    // A token of the other scope says so.
    let o = filter(&["--fields", "status", "action:*", &file]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`status` is an incidents token"),
        "{}",
        stderr(&o)
    );
    // --fields only goes with event output.
    let o = filter(&["--count", "--fields", "action", "action:*", &file]);
    assert_eq!(code(&o), 2);
}

#[test]
fn table_pads_columns_and_fits_them_to_columns() {
    let dir = TempDir::new("fmt-table");
    let file = fixture(&dir);
    let o = filter(&[
        "--format",
        "table",
        "--fields",
        "action,severity,file.fullPath",
        "action:*",
        &file,
    ]);
    assert_eq!(
        stdout(&o),
        "action  severity  file.fullPath\n\
         Create  5         C:\\a b\n\
         Delete  4\n\
         Create  2         /etc/passwd\n"
    );
    // Fitted to COLUMNS when not on a terminal: the text column shrinks, cut with `…`.
    let o = Command::new(BIN)
        .args(["filter", "--format", "table", "severity:5", SAMPLE])
        .env("COLUMNS", "70")
        .output()
        .unwrap();
    let text = stdout(&o);
    assert!(text.lines().count() > 3, "{text}");
    assert!(text.starts_with("dateTime "), "{text}");
    for line in text.lines() {
        assert!(line.chars().count() <= 70, "{line:?} is wider than 70");
    }
    assert!(text.contains('…'), "{text}");
    // The date column is not cut while the text columns can make room.
    assert!(text.lines().nth(1).unwrap().starts_with("2023-"), "{text}");
    assert!(
        text.lines().skip(1).all(|l| l.as_bytes()[28] == b' '),
        "{text}"
    );
}

#[test]
fn a_terminal_gets_a_coloured_table_by_default() {
    let shown = on_terminal(
        100,
        "TERM=xterm-256color",
        &["filter", "action:Create AND severity>=4", SAMPLE],
    );
    let plain = on_terminal(
        100,
        "TERM=xterm-256color NO_COLOR=1",
        &["filter", "action:Create AND severity>=4", SAMPLE],
    );
    let count = stdout(&filter(&[
        "--count",
        "action:Create AND severity>=4",
        SAMPLE,
    ]));
    let count: usize = count.trim().parse().unwrap();
    // A header and one row per event, fitted to the 100 columns.
    assert!(
        plain.starts_with("dateTime                      action  severity  asset.name"),
        "{plain:?}"
    );
    assert_eq!(plain.lines().count(), count + 1, "{plain}");
    assert!(plain.lines().all(|l| l.chars().count() <= 100), "{plain}");
    assert!(!plain.contains(ESC), "NO_COLOR is honoured: {plain:?}");
    // With colour: the same text, with escape sequences (bold header, red high severities).
    assert!(shown.contains("\u{1b}[1mdateTime\u{1b}[0m"), "{shown:?}");
    assert!(shown.contains("\u{1b}[31m5\u{1b}[0m"), "{shown:?}");
    let never = on_terminal(
        100,
        "TERM=xterm-256color",
        &[
            "filter",
            "--color",
            "never",
            "action:Create AND severity>=4",
            SAMPLE,
        ],
    );
    assert_eq!(never, plain);
    // On a terminal, an explicit --format still wins.
    let ndjson = on_terminal(
        100,
        "TERM=xterm-256color",
        &[
            "filter",
            "--format",
            "ndjson",
            "-n",
            "1",
            "action:Create",
            SAMPLE,
        ],
    );
    assert!(ndjson.starts_with("{\"sortValues\""), "{ndjson:?}");
}

#[test]
fn colour_only_when_asked_off_a_terminal() {
    let dir = TempDir::new("fmt-colour");
    let file = fixture(&dir);
    let args = [
        "filter", "--format", "table", "--color", "always", "action:*", &file,
    ];
    let o = Command::new(BIN).args(args).output().unwrap();
    assert!(
        stdout(&o).contains("\u{1b}[1maction\u{1b}[0m"),
        "{}",
        stdout(&o)
    );
    // `always` wins over NO_COLOR; `auto` on a pipe has none.
    let o = Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(stdout(&o).contains(ESC));
    let o = filter(&["--format", "table", "action:*", &file]);
    assert!(!stdout(&o).contains(ESC));
}

#[test]
fn group_by_keeps_its_json_on_a_pipe_and_is_rows_as_a_table_or_csv() {
    let dir = TempDir::new("fmt-group");
    let file = fixture(&dir);
    let o = filter(&["--group-by", "action", "action:*", &file]);
    assert_eq!(stdout(&o), "{\"Create\":2,\"Delete\":1}\n");
    let o = filter(&[
        "--group-by",
        "action",
        "--group-by",
        "severity",
        "--format",
        "csv",
        "action:*",
        &file,
    ]);
    assert_eq!(
        stdout(&o),
        "action,severity,count\nCreate,2,1\nCreate,5,1\nDelete,4,1\n"
    );
    let o = filter(&[
        "--group-by",
        "action",
        "--format",
        "table",
        "action:*",
        &file,
    ]);
    assert_eq!(stdout(&o), "action  count\nCreate      2\nDelete      1\n");
    let shown = on_terminal(
        80,
        "TERM=dumb",
        &["filter", "--group-by", "action", "action:*", &file],
    );
    assert_eq!(shown, "action  count\nCreate      2\nDelete      1\n");
    // --count is the number, whatever the format.
    let o = filter(&["--count", "--format", "csv", "action:*", &file]);
    assert_eq!(stdout(&o), "3\n");
}

/// The histogram's JSON object, as (key, count) pairs in the order written.
fn histogram_pairs(args: &[&str]) -> Vec<(String, u64)> {
    let o = filter(args);
    assert!(code(&o) == 0 || code(&o) == 1, "{}", stderr(&o));
    let text = stdout(&o);
    let body = text.trim().trim_start_matches('{').trim_end_matches('}');
    if body.is_empty() {
        return Vec::new();
    }
    // The keys' order is checked, so read the pairs in order (a map would sort them).
    body.split(',')
        .map(|pair| {
            let (k, v) = pair.rsplit_once(':').unwrap();
            (k.trim_matches('"').to_string(), v.parse().unwrap())
        })
        .collect()
}

#[test]
fn histogram_sums_to_the_count_on_the_sample_export() {
    for filter_text in [
        "action:Create AND severity>=4",
        "severity>=1",
        "platform:LINUX",
    ] {
        let count: u64 = stdout(&filter(&["--count", filter_text, SAMPLE]))
            .trim()
            .parse()
            .unwrap();
        for bucket in ["hour", "day", "month"] {
            let pairs = histogram_pairs(&[
                "--histogram",
                bucket,
                "--format",
                "json",
                filter_text,
                SAMPLE,
            ]);
            let sum: u64 = pairs.iter().map(|p| p.1).sum();
            assert_eq!(sum, count, "{filter_text} by {bucket}");
            // Keys are bucket starts in time order, one bucket after another.
            let keys: Vec<&str> = pairs.iter().map(|p| p.0.as_str()).collect();
            let mut sorted = keys.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(keys, sorted, "{bucket}");
            for k in &keys {
                match bucket {
                    "month" => assert!(k.ends_with("-01T00:00:00Z"), "{k}"),
                    "day" => assert!(k.ends_with("T00:00:00Z"), "{k}"),
                    _ => assert!(k.ends_with(":00:00Z"), "{k}"),
                }
            }
            // The sample spans a year: every day of it is listed, the empty ones too.
            if bucket == "day" && filter_text == "severity>=1" {
                assert_eq!(keys.first(), Some(&"2023-01-10T00:00:00Z"));
                assert_eq!(keys.last(), Some(&"2023-12-30T00:00:00Z"));
                assert_eq!(keys.len(), 355);
                assert!(pairs.iter().any(|p| p.1 == 0));
            }
        }
    }
}

#[test]
fn histogram_lists_empty_buckets_in_every_format() {
    let dir = TempDir::new("fmt-hist");
    let file = fixture(&dir);
    let pairs = histogram_pairs(&["--histogram", "day", "action:*", &file]);
    assert_eq!(
        pairs,
        [
            ("2023-01-01T00:00:00Z".to_string(), 1),
            ("2023-01-02T00:00:00Z".to_string(), 0),
            ("2023-01-03T00:00:00Z".to_string(), 2),
        ]
    );
    let o = filter(&["--histogram", "day", "--format", "csv", "action:*", &file]);
    assert_eq!(
        stdout(&o),
        "start,count\n2023-01-01T00:00:00Z,1\n2023-01-02T00:00:00Z,0\n2023-01-03T00:00:00Z,2\n"
    );
    let o = filter(&["--histogram", "day", "--format", "table", "action:*", &file]);
    let bars = format!(
        "2023-01-01 1  {}\n2023-01-02 0\n2023-01-03 2  {}\n3 events by day of dateTime (UTC)\n",
        "█".repeat(33),
        "█".repeat(66)
    );
    assert_eq!(stdout(&o), bars);
    // No match: an empty object.
    let o = filter(&["--histogram", "day", "action:Rename", &file]);
    assert_eq!((code(&o), stdout(&o)), (1, "{}\n".to_string()));
}

#[test]
fn histogram_on_a_terminal_is_a_bar_chart_fitted_to_the_width() {
    let shown = on_terminal(
        60,
        "TERM=dumb",
        &["filter", "--histogram", "month", "action:Create", SAMPLE],
    );
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().take(2).collect::<Vec<_>>(),
        ["2023-01", "3"]
    );
    assert_eq!(lines[1], "2023-02 0");
    assert!(lines.iter().all(|l| l.chars().count() <= 60), "{shown}");
    // The largest bucket's bar fills the width.
    assert!(lines.iter().any(|l| l.chars().count() == 60), "{shown}");
    assert_eq!(lines.last(), Some(&"19 events by month of dateTime (UTC)"));
}

#[test]
fn time_field_picks_another_date_token() {
    let dir = TempDir::new("fmt-time-field");
    let file = fixture(&dir);
    let pairs = histogram_pairs(&[
        "--histogram",
        "month",
        "--time-field",
        "processedTime",
        "action:*",
        &file,
    ]);
    assert_eq!(
        pairs,
        [
            ("2023-02-01T00:00:00Z".to_string(), 1),
            ("2023-03-01T00:00:00Z".to_string(), 1),
        ]
    );
    // The event without a processedTime is not counted, and stderr says so.
    let o = filter(&[
        "--histogram",
        "month",
        "--time-field",
        "processedTime",
        "action:*",
        &file,
    ]);
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o).contains("1 matching event without a readable `processedTime` is not counted"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_time_field_that_is_not_a_date_token_is_a_usage_error() {
    let dir = TempDir::new("fmt-bad-time-field");
    let file = fixture(&dir);
    let o = filter(&[
        "--histogram",
        "day",
        "--time-field",
        "severity",
        "action:*",
        &file,
    ]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(
        err.contains("error[type-mismatch]: `severity` is an integer token, not a date"),
        "{err}"
    );
    assert!(err.contains("`dateTime`, `processedTime`"), "{err}");
    let o = filter(&[
        "--histogram",
        "day",
        "--time-field",
        "procesedTime",
        "action:*",
        &file,
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("did you mean `processedTime`?"),
        "{}",
        stderr(&o)
    );
    // --time-field without --histogram, and a bucket clap does not know: usage errors.
    assert_eq!(
        code(&filter(&["--time-field", "dateTime", "action:*", &file])),
        2
    );
    assert_eq!(
        code(&filter(&["--histogram", "week", "action:*", &file])),
        2
    );
}

#[test]
fn a_histogram_too_long_to_list_is_an_error() {
    let dir = TempDir::new("fmt-hist-long");
    let file = dir.write(
        "far.ndjson",
        "{\"dateTime\":\"1990-01-01\"}\n{\"dateTime\":\"2030-01-01\"}\n",
    );
    let o = filter(&["--histogram", "hour", "dateTime:*", &file]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("the histogram would have 350641 hour buckets"),
        "{}",
        stderr(&o)
    );
    let o = filter(&["--histogram", "month", "dateTime:*", &file]);
    assert_eq!(code(&o), 0);
    assert_eq!(
        histogram_pairs(&["--histogram", "month", "dateTime:*", &file]).len(),
        481
    );
}

/// The writers parse a matched record only as far as its fields need: on every event of the
/// sample export, that gives the cells and JSON values of the whole event, for every token.
#[test]
fn projection_agrees_with_the_whole_event_on_the_sample() {
    use fimql::fields::{Field, Projection};
    use fimql::{Options, Scope};
    let opts = Options::new(Scope::Events);
    let fields: Vec<Field> = opts
        .catalog
        .tokens(Scope::Events)
        .iter()
        .map(|t| Field::resolve(&t.name, &opts).unwrap())
        .collect();
    let text = std::fs::read_to_string(SAMPLE).unwrap();
    for line in text.lines() {
        let whole: serde_json::Value = serde_json::from_str(line).unwrap();
        for f in &fields {
            let part = Projection::new([f]).parse(line.as_bytes()).unwrap();
            assert_eq!(f.cell(&part), f.cell(&whole), "{}", f.name());
            assert_eq!(f.json(&part), f.json(&whole), "{}", f.name());
        }
        let all = Projection::new(&fields).parse(line.as_bytes()).unwrap();
        assert!(fields.iter().all(|f| f.cell(&all) == f.cell(&whole)));
    }
}

/// The examples of `fimql filter --help` show the real output of their commands.
#[test]
fn help_examples_are_real_output() {
    let help = stdout(&common::fimql(&["filter", "--help"], None));
    let (_, examples) = help.split_once("Examples, ").expect("an examples section");
    let mut lines = examples.lines().peekable();
    let mut checked = 0;
    while let Some(line) = lines.next() {
        let Some(first) = line.strip_prefix("  $ fimql ") else {
            continue;
        };
        let mut cmd = first.to_string();
        while let Some(head) = cmd.strip_suffix('\\') {
            cmd = format!("{head} {}", lines.next().unwrap().trim());
        }
        let mut expected = String::new();
        while let Some(l) = lines.next_if(|l| !l.is_empty()) {
            expected.push_str(l.strip_prefix("  ").unwrap_or(l));
            expected.push('\n');
        }
        let o = Command::new(BIN)
            .args(cmd.split_whitespace())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("COLUMNS")
            .output()
            .unwrap();
        assert_eq!(stdout(&o), expected, "fimql {cmd}");
        checked += 1;
    }
    assert_eq!(checked, 4);
}

/// Rows are the same whichever way the records were read: one thread or several (where the
/// workers parse the matched records' fields), plain or gzip, several files in order.
#[test]
fn rows_do_not_depend_on_threads_or_compression() {
    let dir = TempDir::new("fmt-threads");
    let plain = fixture(&dir);
    let gz = dir.write("events.ndjson.gz", common::gzip(FIXTURE.as_bytes()));
    let args = |jobs: &'static str, files: Vec<String>| {
        let mut a: Vec<String> = ["--jobs", jobs, "--format", "csv", "action:*"]
            .map(String::from)
            .to_vec();
        a.extend(files);
        a
    };
    let run = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        stdout(&filter(&refs))
    };
    let one = run(args("1", vec![plain.clone()]));
    let (header, rows) = one.split_once('\n').unwrap();
    assert!(
        rows.starts_with("2023-01-01T10:00:00.000+0000,Create"),
        "{one}"
    );
    for jobs in ["1", "2", "3"] {
        assert_eq!(
            run(args(jobs, vec![gz.clone()])),
            one,
            "gzip, --jobs {jobs}"
        );
        let two = run(args(jobs, vec![plain.clone(), gz.clone()]));
        assert_eq!(
            two,
            format!("{header}\n{rows}{rows}"),
            "two files, --jobs {jobs}"
        );
    }
}

/// Incidents have their own default fields, and their own date tokens for --time-field (epoch
/// milliseconds too).
#[test]
fn incidents_have_their_own_fields_and_dates() {
    let incidents = common::conformance_dir().join("incidents.ndjson");
    let file = common::path_str(&incidents);
    let o = filter(&["--scope", "incidents", "--format", "csv", "id:*", &file]);
    assert_eq!(
        stdout(&o),
        "createdDate,name,status,approvalStatus,type\n\
         2022-12-15T16:08:19.560+0000,TEST WITH SPECIAL CHARS,CLOSED,PENDING,DEFAULT\n\
         ,IncidentForDocument,OPEN,,DEFAULT\n\
         ,,OPEN,APPROVED,AUTOMATED\n"
    );
    // `createdBy.date` holds epoch milliseconds: 1671188983383 is 2022-12-16, 1688000000000
    // 2023-06-29.
    let pairs = histogram_pairs(&[
        "--scope",
        "incidents",
        "--histogram",
        "month",
        "--time-field",
        "createdBy.date",
        "id:*",
        &file,
    ]);
    assert_eq!(pairs.len(), 7);
    assert_eq!(pairs[0], ("2022-12-01T00:00:00Z".to_string(), 1));
    assert_eq!(pairs[6], ("2023-06-01T00:00:00Z".to_string(), 1));
    assert_eq!(pairs.iter().map(|p| p.1).sum::<u64>(), 2);
    // By default, incidents count by createdDate, the date their table shows (only the first
    // has one), not by dateTime (`filterFromDate` in this scope).
    let pairs = histogram_pairs(&[
        "--scope",
        "incidents",
        "--histogram",
        "month",
        "id:*",
        &file,
    ]);
    assert_eq!(pairs, [("2022-12-01T00:00:00Z".to_string(), 1)]);
    let help = stdout(&fimql(&["filter", "--help"], None));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("[default: dateTime for events, createdDate for incidents"),
        "{help}"
    );
    // An events token is not an incidents field.
    let o = filter(&[
        "--scope",
        "incidents",
        "--fields",
        "asset.name",
        "id:*",
        &file,
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`asset.name` is an events token; use scope events"),
        "{}",
        stderr(&o)
    );
}

/// On slow input (a stream that is not closed), a table does not wait for its 200 rows: the rows
/// that came within half a second decide the widths, and rows show batch by batch, before the
/// input ends.
#[test]
fn a_table_on_slow_input_shows_before_the_input_ends() {
    use std::io::{Read, Write};
    use std::process::Stdio;
    use std::sync::mpsc::channel;
    use std::time::Duration;

    // About 1.2 MB of events that do not match: more than one batch of input.
    let pad = format!(
        "{{\"action\":\"Delete\",\"pad\":\"{}\"}}\n",
        "x".repeat(2000)
    )
    .repeat(600);
    let mut child = Command::new(BIN)
        .args([
            "filter",
            "--jobs",
            "1",
            "--format",
            "table",
            "--allow-unknown",
            "--fields",
            "action,n",
        ])
        .arg("action:Create")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = output.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    input
        .write_all(format!("{{\"action\":\"Create\",\"n\":1}}\n{pad}").as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    input
        .write_all(format!("{{\"action\":\"Create\",\"n\":2}}\n{pad}").as_bytes())
        .unwrap();
    input.flush().unwrap();
    let mut shown = Vec::new();
    while !String::from_utf8_lossy(&shown).contains("Create  2\n") {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(bytes) => shown.extend(bytes),
            Err(_) => panic!(
                "no table while the input is open: {:?}",
                String::from_utf8_lossy(&shown)
            ),
        }
    }
    assert_eq!(
        String::from_utf8_lossy(&shown),
        "action  n\nCreate  1\nCreate  2\n"
    );
    drop(input);
    assert!(child.wait().unwrap().success());
}

/// Records of a JSON array or of pretty-printed JSON go into the rows and into the JSON array
/// like NDJSON lines do (the JSON array holds them compact).
#[test]
fn other_input_layouts_give_the_same_rows() {
    let dir = TempDir::new("fmt-layouts");
    let events: Vec<serde_json::Value> = FIXTURE
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let array = dir.write(
        "events.json",
        serde_json::to_string_pretty(&events).unwrap(),
    );
    let pretty: String = events
        .iter()
        .map(|e| serde_json::to_string_pretty(e).unwrap() + "\n")
        .collect();
    let pretty = dir.write("pretty.json", pretty);
    let plain = fixture(&dir);
    let csv = |file: &str| stdout(&filter(&["--format", "csv", "action:*", file]));
    assert_eq!(csv(&array), csv(&plain));
    assert_eq!(csv(&pretty), csv(&plain));
    for file in [&array, &pretty] {
        let o = filter(&["--format", "json", "action:*", file]);
        let text = stdout(&o);
        // One compact event per line between the brackets.
        assert_eq!(text.lines().count(), 5, "{text}");
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, serde_json::Value::Array(events.clone()));
    }
}

/// Removes the escape sequences of a terminal (`ESC [ ... letter`) from `s`.
fn strip_escapes(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == ESC {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_progress_bar_is_never_mixed_into_the_rows_on_a_terminal() {
    // Over 4 MiB, so that the progress bar shows on the terminal (stderr), which is also the
    // terminal of the rows (stdout).
    let dir = TempDir::new("fmt-progress");
    let mut big = String::new();
    let mut i = 0;
    while big.len() < 6 << 20 {
        big.push_str(&format!(
            r#"{{"dateTime":"2023-01-01T00:00:00Z","action":"Create","severity":1,"asset":{{"name":"host-{i}"}},"fullPath":"/var/lib/{}"}}"#,
            "x".repeat(300)
        ));
        big.push('\n');
        i += 1;
    }
    let file = dir.write("big.ndjson", &big);
    let shown = on_terminal(
        120,
        "",
        &["filter", "--color", "never", "-j1", "severity:1", &file],
    );
    // What each line of the terminal shows in the end: the text after its last carriage return.
    let lines: Vec<String> = shown
        .lines()
        .map(|l| strip_escapes(l.rsplit('\r').next().unwrap_or("")))
        .collect();
    assert!(
        shown.contains("MiB"),
        "the bar is drawn: {:?}",
        &shown[..200]
    );
    let rows = lines.iter().filter(|l| l.contains("host-")).count();
    assert_eq!(rows, i, "every event has its row");
    for l in &lines {
        assert!(!l.contains("MiB"), "a bar left on a line of rows: {l:?}");
        assert!(
            l.is_empty() || l.starts_with("2023-01-01T00:00:00Z") || l.starts_with("dateTime"),
            "{l:?}"
        );
    }
}

#[test]
fn a_table_not_fitted_to_a_width_cuts_no_value() {
    let dir = TempDir::new("fmt-late");
    let mut events = String::new();
    for i in 0..260 {
        let long = if i == 250 {
            "-very-long-host-name".repeat(3)
        } else {
            String::new()
        };
        events.push_str(&format!(
            r#"{{"dateTime":"2023-01-01T00:00:00Z","action":"Create","severity":1,"asset":{{"name":"h{i}{long}"}}}}"#
        ));
        events.push('\n');
    }
    let file = dir.write("late.ndjson", &events);
    let o = fimql(&["filter", "--format", "table", "severity:1", &file], None);
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    let row = text.lines().nth(251).unwrap();
    assert!(
        row.contains(&format!("h250{}", "-very-long-host-name".repeat(3))),
        "{row:?}"
    );
    assert!(!text.contains('…'), "{text}");
    // With a width to fit (COLUMNS), long values are cut as before.
    let o = Command::new(BIN)
        .args(["filter", "--format", "table", "severity:1", &file])
        .env("COLUMNS", "60")
        .output()
        .unwrap();
    assert!(stdout(&o).lines().nth(251).unwrap().ends_with('…'));
}

#[test]
fn numbers_are_shown_as_written_in_the_record() {
    let dir = TempDir::new("fmt-numbers");
    let file = dir.write(
        "n.ndjson",
        "{\"severity\":99999999999999999999999}\n{\"severity\":-9223372036854775809}\n{\"severity\":1E2}\n{\"severity\":-0,\"asset\":{\"tags\":[1.50,2]}}\n",
    );
    let written = [
        "99999999999999999999999",
        "-9223372036854775809",
        "1E2",
        "-0",
    ];
    for format in ["csv", "tsv", "table"] {
        let o = filter(&[
            "--format",
            format,
            "--fields",
            "severity",
            "severity:*",
            &file,
        ]);
        let text = stdout(&o);
        let cells: Vec<&str> = text.lines().skip(1).map(str::trim_end).collect();
        assert_eq!(cells, written, "{format}");
    }
    let o = filter(&["--fields", "severity,asset.tags", "severity:*", &file]);
    assert_eq!(
        stdout(&o),
        "{\"severity\":99999999999999999999999,\"asset.tags\":null}\n\
         {\"severity\":-9223372036854775809,\"asset.tags\":null}\n\
         {\"severity\":1E2,\"asset.tags\":null}\n\
         {\"severity\":-0,\"asset.tags\":[1.50,2]}\n"
    );
    let o = filter(&[
        "--format",
        "json",
        "--fields",
        "severity",
        "severity:*",
        &file,
    ]);
    let text = stdout(&o);
    assert!(text.contains("{\"severity\":1E2}"), "{text}");
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 4);
    // As --group-by keys, in the count API's JSON and as rows.
    let o = filter(&["--group-by", "severity", "severity:*", &file]);
    assert_eq!(
        stdout(&o).trim(),
        r#"{"-0":1,"-9223372036854775809":1,"1E2":1,"99999999999999999999999":1}"#
    );
    let o = filter(&[
        "--group-by",
        "severity",
        "--format",
        "csv",
        "severity:*",
        &file,
    ]);
    assert!(stdout(&o).contains("\n1E2,1\n"), "{}", stdout(&o));
}

#[test]
fn a_terminal_that_reports_no_rows_still_gives_its_width() {
    let dir = TempDir::new("fmt-rows0");
    let long = "x".repeat(5000);
    let file = dir.write(
        "odd.ndjson",
        format!("{{\"dateTime\":\"2023-01-01T00:00:00Z\",\"severity\":1,\"asset\":{{\"name\":\"{long}\"}}}}\n"),
    );
    let args = [
        "filter",
        "--fields",
        "dateTime,asset.name",
        "severity>=0",
        &file,
    ];
    for rows in [0, 24] {
        let shown = on_terminal_sized(rows, 60, "", &args);
        assert!(
            shown
                .lines()
                .all(|l| strip_escapes(l).chars().count() <= 60),
            "{rows} rows: {shown:?}"
        );
        assert!(shown.contains('…'), "{shown:?}");
    }
}

#[test]
fn group_by_names_a_bad_token_like_fields_does() {
    let dir = TempDir::new("fmt-groupby-typo");
    let file = fixture(&dir);
    let o = filter(&["--group-by", "actoin", "severity>=0", &file]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.starts_with("fimql: --group-by: error[unknown-token]"),
        "{err}"
    );
    assert!(err.contains("^^^^^^"), "{err}");
    assert!(err.contains("did you mean `action`?"), "{err}");
    // --fields and --time-field say `fimql:` first too.
    let o = filter(&["--fields", "actoin", "severity>=0", &file]);
    assert!(
        stderr(&o).starts_with("fimql: --fields: error[unknown-token]"),
        "{}",
        stderr(&o)
    );
    let o = filter(&[
        "--histogram",
        "day",
        "--time-field",
        "dateTme",
        "severity>=0",
        &file,
    ]);
    assert!(
        stderr(&o).starts_with("fimql: --time-field: error[unknown-token]"),
        "{}",
        stderr(&o)
    );
    // Raw paths: grouped like fields, an empty key refused.
    let o = filter(&[
        "--allow-unknown",
        "--group-by",
        "asset.name",
        "--format",
        "csv",
        "severity>=0",
        &file,
    ]);
    assert_eq!(code(&o), 0);
    let o = filter(&[
        "--allow-unknown",
        "--group-by",
        "asset..name",
        "severity>=0",
        &file,
    ]);
    assert_eq!(code(&o), 2);
}

#[test]
fn raw_field_paths_with_an_empty_key_are_refused() {
    let dir = TempDir::new("fmt-empty-key");
    let file = fixture(&dir);
    for bad in ["a..b", ".x", "x."] {
        let o = filter(&["--allow-unknown", "--fields", bad, "severity>=0", &file]);
        assert_eq!(code(&o), 2, "{bad}");
        let err = stderr(&o);
        assert!(err.contains("has an empty key"), "{err}");
        assert!(err.contains('^'), "{err}");
        assert!(stdout(&o).is_empty());
    }
}

#[test]
fn a_table_with_no_match_is_its_header() {
    let dir = TempDir::new("fmt-empty-table");
    let file = fixture(&dir);
    let o = filter(&[
        "--format",
        "table",
        "--fields",
        "action,severity",
        "severity:9",
        &file,
    ]);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "action  severity\n");
    let o = filter(&[
        "--format",
        "csv",
        "--fields",
        "action,severity",
        "severity:9",
        &file,
    ]);
    assert_eq!(stdout(&o), "action,severity\n");
}

#[test]
fn the_help_says_what_piped_ndjson_drops_and_where_fields_are_read() {
    let help = stdout(&fimql(&["filter", "--help"], None));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        "they are read inside `data` for a record of a search response",
        "an NDJSON line less a carriage return at its end and a byte order mark at the start of a file",
        "starts with `=`, `+`, `-` or `@` as a formula",
        "otherwise the widths are those of the first 200 rows",
    ] {
        assert!(
            help.to_lowercase().contains(&said.to_lowercase()),
            "{said}: {help}"
        );
    }
    // What it says is what it does: the carriage returns and the mark are dropped.
    let dir = TempDir::new("fmt-crlf");
    let file = dir.write(
        "crlf.ndjson",
        "\u{feff}{\"action\":\"Create\"}\r\n{\"action\":\"Create\", \"x\": 1}\r\n",
    );
    let o = filter(&["action:Create", &file]);
    assert_eq!(
        stdout(&o),
        "{\"action\":\"Create\"}\n{\"action\":\"Create\", \"x\": 1}\n"
    );
    // And the fields of a search-response record are those of its `data`.
    let file = dir.write(
        "sr.ndjson",
        "{\"sortValues\":[1],\"data\":{\"action\":\"Create\",\"severity\":3}}\n",
    );
    let o = filter(&[
        "--format",
        "csv",
        "--fields",
        "action,severity",
        "action:Create",
        &file,
    ]);
    assert_eq!(stdout(&o), "action,severity\nCreate,3\n");
}

/// On a narrow terminal the columns that do not fit are left out from the right, rather than all
/// cut to uselessness, and no line is wider than the terminal.
#[test]
fn a_narrow_terminal_leaves_out_the_last_columns() {
    let args = ["filter", "action:Create AND severity>=4", SAMPLE];
    let shown = on_terminal(40, "TERM=dumb", &args);
    // Said on standard error (the same terminal), before the table.
    let note = "fimql: 3 of 5 fields left out to fit 40 columns: severity, asset.name, \
                file.fullPath (--format csv shows all)\n";
    let shown = shown
        .strip_prefix(note)
        .unwrap_or_else(|| panic!("{shown}"));
    let first = shown.lines().next().unwrap_or_default();
    assert_eq!(first, "dateTime                      action", "{shown}");
    assert!(
        shown
            .lines()
            .skip(1)
            .all(|l| l.len() == 36 && l.ends_with("Create") && !l.contains('…')),
        "{shown}"
    );
    let shown = on_terminal(20, "TERM=dumb", &args);
    let shown = shown
        .strip_prefix("fimql: 4 of 5 fields left out to fit 20 columns: action, severity, ")
        .and_then(|s| s.split_once("(--format csv shows all)\n"))
        .map(|(_, table)| table)
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(shown.starts_with("dateTime\n2023-"), "{shown}");
    assert!(shown.lines().all(|l| l.chars().count() <= 20), "{shown}");
    assert!(shown.lines().skip(1).all(|l| l.ends_with('…')), "{shown}");
}

#[test]
fn columns_is_another_name_for_fields() {
    let dir = TempDir::new("columns-alias");
    let file = fixture(&dir);
    let fields = filter(&[
        "--format",
        "csv",
        "--fields",
        "action,severity",
        "action:*",
        &file,
    ]);
    let columns = filter(&[
        "--format",
        "csv",
        "--columns",
        "action,severity",
        "action:*",
        &file,
    ]);
    assert_eq!(code(&columns), 0, "{}", stderr(&columns));
    assert!(stdout(&fields).starts_with("action,severity\n"));
    assert_eq!(stdout(&columns), stdout(&fields));
}
