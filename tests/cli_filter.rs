//! End-to-end tests of `fimql filter`: input layouts, gzip, several files, output forms, counting,
//! grouping, malformed records, exit statuses, a closed pipe, threads, and agreement with the
//! Python baseline of the benchmark kit.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

mod common;

use common::{TempDir, code, filter, fimql, gzip, path_str, stderr, stdout};

const BIN: &str = env!("CARGO_BIN_EXE_fimql");

/// Waits for a child at most `limit`, reading its stderr meanwhile; kills it and fails on timeout.
fn wait_quietly(mut child: Child, limit: Duration) -> (ExitStatus, String) {
    let mut err = child.stderr.take().expect("stderr");
    let reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("fimql did not finish within {limit:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    (status, reader.join().expect("stderr reader"))
}

/// A small event in the shape of a search-response element.
fn event(n: usize, action: &str, platform: &str) -> String {
    format!(
        r#"{{"sortValues":[{n}],"data":{{"id":"e{n}","action":"{action}","platform":"{platform}","severity":{}}}}}"#,
        n % 5 + 1
    )
}

// ---------------------------------------------------------------------------------------------
// Input layouts

#[test]
fn ndjson_with_blank_lines_keeps_matching_lines_byte_for_byte() {
    let dir = TempDir::new("ndjson");
    let odd = r#"  {  "action" : "Create" ,"n":1 , "s":"a  b"}   "#;
    let input = format!(
        "{odd}\n\n{}\n   \n\t\n{}\n{}\n\n",
        r#"{"action":"Delete","n":2}"#,
        r#"{"data": {"action":"create"},   "n":3}"#,
        r#"{"action":"Content","n":4}"#
    );
    let file = dir.write("events.ndjson", &input);
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("{odd}\n{}\n", r#"{"data": {"action":"create"},   "n":3}"#)
    );
    assert_eq!(stderr(&o), "");
}

#[test]
fn ndjson_with_crlf_line_ends() {
    let dir = TempDir::new("crlf");
    let file = dir.write(
        "events.ndjson",
        "{\"action\":\"Create\",\"n\":1}\r\n\r\n{\"action\":\"Delete\",\"n\":2}\r\n",
    );
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\"action\":\"Create\",\"n\":1}\n");
}

#[test]
fn one_json_array_on_one_line() {
    let dir = TempDir::new("array");
    let input = format!(
        "[{},{}, {} ]",
        event(1, "Create", "WINDOWS"),
        event(2, "Delete", "LINUX"),
        event(3, "Create", "LINUX")
    );
    let file = dir.write("events.json", input);
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "{}\n{}\n",
            event(1, "Create", "WINDOWS"),
            event(3, "Create", "LINUX")
        )
    );
}

#[test]
fn pretty_printed_array_is_written_as_compact_json() {
    let dir = TempDir::new("pretty-array");
    let input = r#"[
  {
    "sortValues": [1, "a"],
    "data": {
      "action": "Create",
      "fullPath": "C:\\Program Files\\a b.txt",
      "quote": "say \"hi  there\" ",
      "tags": [ "x", "y" ]
    }
  },
  {
    "data": { "action": "Delete" }
  },
  {
    "data": {
      "action": "Create"
    }
  }
]
"#;
    let file = dir.write("events.json", input);
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        concat!(
            r#"{"sortValues":[1,"a"],"data":{"action":"Create","fullPath":"C:\\Program Files\\a b.txt","quote":"say \"hi  there\" ","tags":["x","y"]}}"#,
            "\n",
            r#"{"data":{"action":"Create"}}"#,
            "\n"
        )
    );
    // Each output line is the same JSON value as the input element.
    let input: serde_json::Value = serde_json::from_str(input).unwrap();
    let first: serde_json::Value =
        serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert_eq!(first, input[0]);
}

#[test]
fn pretty_printed_objects_one_after_another() {
    let dir = TempDir::new("concatenated");
    let input = "{\n  \"action\": \"Create\",\n  \"x\": [1, 2]\n}\n{\n  \"action\": \"Delete\"\n}\n\n\
                 {\n  \"data\": {\n    \"action\": \"Create\",\n    \"s\": \"a  b\"\n  }\n}{\"action\":\"Create\"}\n";
    let file = dir.write("events.json", input);
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "{\"action\":\"Create\",\"x\":[1,2]}\n{\"data\":{\"action\":\"Create\",\"s\":\"a  b\"}}\n{\"action\":\"Create\"}\n"
    );
}

#[test]
fn several_arrays_one_after_another() {
    let dir = TempDir::new("arrays");
    let input = format!(
        "[{}]\n[\n{},\n{}\n]\n",
        event(1, "Create", "LINUX"),
        event(2, "Create", "LINUX"),
        event(3, "Delete", "LINUX")
    );
    let file = dir.write("pages.json", input);
    let o = filter(&["--count", "action:Create", &file]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "2\n");
}

#[test]
fn empty_input_matches_nothing() {
    let dir = TempDir::new("empty");
    let file = dir.write("empty.ndjson", "");
    let blank = dir.write("blank.ndjson", "\n \n");
    let o = filter(&["action:Create", &file, &blank]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "");
}

// ---------------------------------------------------------------------------------------------
// Standard input, gzip, several files

fn three_events() -> String {
    format!(
        "{}\n{}\n{}\n",
        event(1, "Create", "WINDOWS"),
        event(2, "Delete", "LINUX"),
        event(3, "Create", "LINUX")
    )
}

#[test]
fn reads_standard_input_without_files_or_with_dash() {
    let input = three_events();
    let expected = format!(
        "{}\n{}\n",
        event(1, "Create", "WINDOWS"),
        event(3, "Create", "LINUX")
    );
    let o = fimql(&["filter", "action:Create"], Some(input.as_bytes()));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), expected);
    let o = fimql(&["filter", "action:Create", "-"], Some(input.as_bytes()));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), expected);
}

#[test]
fn reads_the_filter_from_standard_input() {
    let dir = TempDir::new("filter-stdin");
    let file = dir.write("events.ndjson", three_events());
    let o = fimql(
        &["filter", "--count", "-", &file],
        Some(b"platform:LINUX\n"),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "2\n");
    // Both the filter and the events cannot come from standard input.
    let o = fimql(&["filter", "-"], Some(b"platform:LINUX\n"));
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("standard input"), "{}", stderr(&o));
}

#[test]
fn reads_gzip_from_files_and_standard_input() {
    let dir = TempDir::new("gzip");
    let input = three_events();
    let gz = gzip(input.as_bytes());
    let file = dir.write("events.ndjson.gz", &gz);
    // The name does not matter: gzip is recognised by its content.
    let renamed = dir.write("events.data", &gz);
    let expected = format!(
        "{}\n{}\n",
        event(1, "Create", "WINDOWS"),
        event(3, "Create", "LINUX")
    );
    for f in [&file, &renamed] {
        let o = filter(&["action:Create", f]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(stdout(&o), expected);
    }
    let o = fimql(&["filter", "action:Create"], Some(&gz));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), expected);

    // A gzip-compressed pretty array, and two gzip members one after another.
    let array = format!(
        "[\n  {},\n  {}\n]\n",
        event(4, "Create", "LINUX"),
        event(5, "Rename", "LINUX")
    );
    let file = dir.write("array.json.gz", gzip(array.as_bytes()));
    let o = filter(&["action:Create", &file]);
    assert_eq!(stdout(&o), format!("{}\n", event(4, "Create", "LINUX")));
    let mut two = gzip(format!("{}\n", event(6, "Create", "LINUX")).as_bytes());
    two.extend(gzip(
        format!("{}\n", event(7, "Create", "LINUX")).as_bytes(),
    ));
    let file = dir.write("two.ndjson.gz", two);
    let o = filter(&["--count", "action:Create", &file]);
    assert_eq!(stdout(&o), "2\n", "{}", stderr(&o));
}

#[test]
fn gzip_members_cut_anywhere_read_as_one_stream_over_many_batches() {
    let dir = TempDir::new("gzip-members");
    // About 4 MB: several of the reader's 1 MiB batches. Line 30,001 is malformed.
    let mut input = String::new();
    for n in 0..40_000 {
        if n == 30_000 {
            input.push_str("{\"data\": not json}\n");
        }
        let action = ["Create", "Delete", "Content"][n % 3];
        input.push_str(&event(n, action, "LINUX"));
        input.push('\n');
    }
    let bytes = input.as_bytes();
    // Gzip members cut inside records, one of them empty and the last a single byte (the final
    // newline): their decompressed bytes one after another are the input.
    let cuts = [
        0,
        1_000_003,
        1_000_004,
        1_000_004,
        2_500_017,
        bytes.len() - 1,
        bytes.len(),
    ];
    let mut gz = Vec::new();
    for pair in cuts.windows(2) {
        gz.extend(gzip(&bytes[pair[0]..pair[1]]));
    }
    let plain = dir.write("events.ndjson", bytes);
    let members = dir.write("events.ndjson.gz", &gz);
    let want = filter(&["action:Create", &plain]);
    assert_eq!(code(&want), 2, "{}", stderr(&want));
    assert_eq!(stdout(&want).lines().count(), 13_334);
    for jobs in ["1", "2"] {
        let o = filter(&["--jobs", jobs, "action:Create", &members]);
        assert_eq!(code(&o), 2, "--jobs {jobs}: {}", stderr(&o));
        assert!(
            stdout(&o) == stdout(&want),
            "--jobs {jobs}: the outputs differ"
        );
        // The malformed record is named at its line, across the member boundaries.
        let err = stderr(&o);
        assert!(
            err.starts_with(&format!("{members}:30001: ")),
            "--jobs {jobs}: {err}"
        );
        assert!(err.contains("1 of 40001 records skipped"), "{err}");
    }
}

#[test]
fn several_files_in_order_with_layouts_detected_per_file() {
    let dir = TempDir::new("several");
    let a = dir.write(
        "a.ndjson",
        format!(
            "{}\n{}\n",
            event(1, "Create", "LINUX"),
            event(2, "Create", "WINDOWS")
        ),
    );
    let b = dir.write(
        "b.json",
        format!(
            "[\n {},\n {}\n]",
            event(3, "Create", "LINUX"),
            event(4, "Delete", "LINUX")
        ),
    );
    let c = dir.write(
        "c.ndjson.gz",
        gzip(format!("{}\n", event(5, "Create", "LINUX")).as_bytes()),
    );
    let stdin = format!("{}\n", event(6, "Create", "LINUX"));
    let o = fimql(
        &["filter", "action:Create", &c, &a, "-", &b],
        Some(stdin.as_bytes()),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let ids: Vec<u64> = stdout(&o)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["sortValues"][0].as_u64().unwrap()
        })
        .collect();
    assert_eq!(ids, [5, 1, 2, 6, 3]);
}

// ---------------------------------------------------------------------------------------------
// Output modes

fn grouping_input(dir: &TempDir) -> String {
    let lines = [
        r#"{"data":{"action":"Create","platform":"WINDOWS","asset":{"tags":["1","2"]}}}"#,
        r#"{"data":{"action":"Delete","platform":"LINUX","asset":{"tags":["2"]}}}"#,
        r#"{"data":{"action":"Create","platform":"LINUX"}}"#,
        r#"{"data":{"action":"Create","platform":"WINDOWS","asset":{"tags":["2","2"]}}}"#,
        r#"{"data":{"platform":"WINDOWS","severity":5}}"#,
        r#"{"data":{"action":"Rename","platform":"MAC"}}"#,
    ];
    dir.write("group.ndjson", lines.join("\n") + "\n")
}

#[test]
fn count_prints_the_number_of_matches() {
    let dir = TempDir::new("count");
    let file = grouping_input(&dir);
    let o = filter(&["--count", "platform:WINDOWS", &file]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "3\n");
    let o = filter(&["-c", "action:Create", &file, &file]);
    assert_eq!(stdout(&o), "6\n");
    let o = filter(&["--count", "action:Ownership", &file]);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "0\n");
}

#[test]
fn group_by_one_key() {
    let dir = TempDir::new("group1");
    let file = grouping_input(&dir);
    let o = filter(&["--group-by", "action", "platform:(WINDOWS OR LINUX)", &file]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\"(missing)\":1,\"Create\":3,\"Delete\":1}\n");
    // An array field counts each distinct element once per event.
    let o = filter(&["--group-by", "asset.tags", "platform:*", &file]);
    assert_eq!(stdout(&o), "{\"(missing)\":3,\"1\":1,\"2\":3}\n");
}

#[test]
fn group_by_two_keys_nests() {
    let dir = TempDir::new("group2");
    let file = grouping_input(&dir);
    let o = filter(&[
        "--group-by",
        "platform",
        "--group-by",
        "action",
        "platform:*",
        &file,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        concat!(
            r#"{"LINUX":{"Create":1,"Delete":1},"MAC":{"Rename":1},"#,
            r#""WINDOWS":{"(missing)":1,"Create":2}}"#,
            "\n"
        )
    );
}

#[test]
fn group_by_with_no_match_prints_an_empty_object_and_exits_1() {
    let dir = TempDir::new("group0");
    let file = grouping_input(&dir);
    let o = filter(&["--group-by", "action", "platform:SOLARIS", &file]);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "{}\n");
}

#[test]
fn group_by_an_unknown_token_is_an_error() {
    let dir = TempDir::new("group-unknown");
    let file = grouping_input(&dir);
    let o = filter(&["--group-by", "actoin", "platform:*", &file]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("actoin"), "{}", stderr(&o));
}

#[test]
fn invert_selects_the_events_that_do_not_match() {
    let input = three_events();
    let o = fimql(
        &["filter", "--invert", "action:Create"],
        Some(input.as_bytes()),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{}\n", event(2, "Delete", "LINUX")));
    let o = fimql(&["filter", "-v", "-c", "action:*"], Some(input.as_bytes()));
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "0\n");
}

#[test]
fn limit_stops_after_n_matches() {
    let dir = TempDir::new("limit");
    let lines: Vec<String> = (1..=50).map(|n| event(n, "Create", "LINUX")).collect();
    let a = dir.write("a.ndjson", lines[..30].join("\n") + "\n");
    let b = dir.write("b.ndjson", lines[30..].join("\n") + "\n");
    let o = filter(&["--limit", "3", "action:Create", &a, &b]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), lines[..3].join("\n") + "\n");
    // The limit carries across files.
    let o = filter(&["-n", "32", "--count", "action:Create", &a, &b]);
    assert_eq!(stdout(&o), "32\n");
    let o = filter(&["-n", "32", "action:Create", &a, &b]);
    assert_eq!(stdout(&o), lines[..32].join("\n") + "\n");
}

// ---------------------------------------------------------------------------------------------
// Malformed records

#[test]
fn malformed_ndjson_lines_are_reported_and_skipped() {
    let dir = TempDir::new("bad-ndjson");
    let input = [
        r#"{"action":"Create","n":1}"#,
        r#"{"action":"Create","#,
        "",
        r#"{"action":"Create","n":4}"#,
        r#"{"action" "Create"}"#,
        r#"{"action":"Delete","n":6}"#,
        r#"{"action":"Create","n":7} trailing"#,
        r#"{"action":"Create","n":8}"#,
    ]
    .join("\n")
        + "\n";
    let file = dir.write("events.ndjson", input);
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        stdout(&o),
        "{\"action\":\"Create\",\"n\":1}\n{\"action\":\"Create\",\"n\":4}\n{\"action\":\"Create\",\"n\":8}\n"
    );
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(lines[0].starts_with(&format!("{file}:2: ")), "{err}");
    assert!(lines[1].starts_with(&format!("{file}:5: ")), "{err}");
    assert!(lines[2].starts_with(&format!("{file}:7: ")), "{err}");
    assert_eq!(
        lines[3],
        "fimql: 3 of 7 records skipped because they are malformed (see above)"
    );
}

#[test]
fn malformed_array_elements_are_reported_at_their_first_line() {
    let dir = TempDir::new("bad-array");
    let input = "[\n  {\"action\": \"Create\", \"n\": 1},\n  {\n    \"action\": \"Create\",\n    \"n\": 2,,\n    \"m\": 0\n  },\n  {\"action\": \"Create\", \"n\": 3},\n  7,\n  {\"action\": \"Create\", \"n\": 5}\n]\n";
    let file = dir.write("events.json", input);
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        stdout(&o),
        "{\"action\":\"Create\",\"n\":1}\n{\"action\":\"Create\",\"n\":3}\n{\"action\":\"Create\",\"n\":5}\n"
    );
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    // The broken element starts on line 3; its error is on line 3 of the element (file line 5).
    assert!(lines[0].starts_with(&format!("{file}:3: ")), "{err}");
    assert!(
        lines[0].ends_with("at line 3 column 12 of the record"),
        "{err}"
    );
    assert!(lines[1].starts_with(&format!("{file}:9: ")), "{err}");
    assert!(lines[1].contains("expected a JSON object"), "{err}");
    assert!(lines[2].contains("2 of 5 records skipped"), "{err}");
}

#[test]
fn a_malformed_array_element_costs_only_itself() {
    // A wrong closer, a string left open, a `}` missing: each element is reported on its line
    // and every element after it is still read.
    for bad in [
        "{\"action\": \"Create\", \"x\": [1, 2},",
        "{\"action\": \"Create\", \"x\": \"oops},",
        "{\"action\": \"Create\", \"x\": 1\n,",
    ] {
        let dir = TempDir::new("bad-element");
        let input = format!(
            "[\n{{\"action\": \"Create\", \"n\": 1}},\n{bad}\n{{\"action\": \"Create\", \"n\": 2}},\n{{\"action\": \"Create\", \"n\": 3}}\n]\n"
        );
        let file = dir.write("events.json", &input);
        for jobs in ["1", "2"] {
            let o = filter(&["--jobs", jobs, "action:Create", &file]);
            assert_eq!(code(&o), 2, "{input}");
            assert_eq!(
                stdout(&o),
                "{\"action\":\"Create\",\"n\":1}\n{\"action\":\"Create\",\"n\":2}\n{\"action\":\"Create\",\"n\":3}\n",
                "{input}"
            );
            let err = stderr(&o);
            assert!(err.starts_with(&format!("{file}:3: ")), "{input}\n{err}");
            assert!(
                err.ends_with(
                    "fimql: 1 of 4 records skipped because they are malformed (see above)\n"
                ),
                "{input}\n{err}"
            );
        }
    }
}

#[test]
fn a_malformed_element_of_an_array_on_one_line_costs_only_itself() {
    // An API response saved as it came: the whole array on one line. A wrong closer in one
    // element (`[3}`) costs that element; the elements after it on the line are still read.
    let dir = TempDir::new("one-line-array");
    let elements: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                "{{\"data\":{{\"action\":\"Delete\",\"severity\":{}}}}}",
                i % 6
            )
        })
        .collect();
    let mut broken = elements.clone();
    broken[3] = "{\"data\":{\"action\":\"Delete\",\"severity\":[3}}".to_string();
    let file = dir.write("events.json", format!("[{}]", broken.join(",")));
    for jobs in ["1", "2"] {
        let o = filter(&["--jobs", jobs, "--count", "action:Delete", &file]);
        assert_eq!((code(&o), stdout(&o).trim()), (2, "999"), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("1 of 1000 records skipped"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn an_array_cut_off_between_elements_is_reported() {
    // A download cut at an element boundary: every element read is whole, the `]` is missing.
    let dir = TempDir::new("cut-array");
    let input = "[\n  {\"action\": \"Create\", \"n\": 1},\n  {\"action\": \"Create\", \"n\": 2},\n";
    let file = dir.write("events.json", input);
    for jobs in ["1", "2"] {
        let o = filter(&["--jobs", jobs, "action:Create", &file]);
        assert_eq!(code(&o), 2, "{}", stderr(&o));
        assert_eq!(
            stdout(&o),
            "{\"action\":\"Create\",\"n\":1}\n{\"action\":\"Create\",\"n\":2}\n"
        );
        let err = stderr(&o);
        assert_eq!(
            err.trim_end(),
            format!(
                "{file}:4: the array of events ends without `]`: the input may be cut off after \
                 its last complete element"
            ),
            "no record was skipped, so no count of skipped records"
        );
        let o = filter(&["--jobs", jobs, "--count", "action:Create", &file]);
        assert_eq!((code(&o), stdout(&o).trim()), (2, "2"));
    }
    // Closed, it is fine.
    let closed = format!("{}\n]\n", input.trim_end().trim_end_matches(','));
    let file = dir.write("closed.json", closed);
    let o = filter(&["action:Create", &file]);
    assert_eq!((code(&o), stderr(&o)), (0, String::new()));
}

#[test]
fn a_byte_order_mark_inside_the_input_is_named() {
    // Two files that each start with a byte order mark, joined: the second mark is a record's
    // first character, which serde_json only calls an unexpected value.
    let dir = TempDir::new("inner-bom");
    let one = "\u{feff}{\"action\":\"Create\"}\n";
    let file = dir.write("joined.ndjson", format!("{one}{one}"));
    let o = filter(&["--count", "action:Create", &file]);
    assert_eq!((code(&o), stdout(&o).trim()), (2, "1"));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "{file}:2: the record starts with a byte order mark (U+FEFF)"
        )),
        "{err}"
    );
}

#[test]
fn two_values_on_a_line_point_to_the_json_input_format() {
    let dir = TempDir::new("two-on-a-line");
    let file = dir.write(
        "two.ndjson",
        "{\"action\":\"Create\"}{\"action\":\"Create\"}\n{\"action\":\"Create\"}x\n",
    );
    let o = filter(&["--count", "action:Create", &file]);
    assert_eq!((code(&o), stdout(&o).trim()), (2, "0"));
    assert_eq!(
        stderr(&o),
        format!(
            "{file}:1: another JSON value follows the record, which is one value (the `json` \
             input format reads values one after another) at line 1 column 20 of the record\n\
             {file}:2: trailing characters at line 1 column 20 of the record\n\
             fimql: 2 of 2 records skipped because they are malformed (see above)\n"
        )
    );
    // As the message says: read as values one after another, the first two are events (and so
    // is the third, with the `x` after it reported).
    let o = filter(&["--count", "--input-format", "json", "action:Create", &file]);
    assert_eq!((code(&o), stdout(&o).trim()), (2, "3"));
}

#[test]
fn a_file_given_where_the_filter_goes_is_named() {
    let dir = TempDir::new("swapped");
    let file = dir.write("events.ndjson", "{\"action\":\"Create\"}\n");
    let o = filter(&[&file, "action:Create"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.ends_with(&format!(
            "note: `{file}` is a file: the filter comes first (fimql filter FILTER FILE...); \
             to read the filter from a file, give `-` for it (fimql filter - FILE... < \
             FILTER-FILE)\n"
        )),
        "{err}"
    );
    // Not for a filter that is no file.
    let o = filter(&["no-such-file.ndjson", &file]);
    assert_eq!(code(&o), 2);
    assert!(!stderr(&o).contains("note:"), "{}", stderr(&o));
}

#[test]
fn events_wrapped_in_an_object_are_warned_of() {
    let dir = TempDir::new("wrapped");
    let event = "{\"action\":\"Create\"}";
    let wrapped = dir.write(
        "wrapped.json",
        format!("{{\"count\":3,\"data\":[{event},{event},{event}]}}\n"),
    );
    let o = filter(&["--count", "action:Create", &wrapped]);
    assert_eq!((code(&o), stdout(&o).trim()), (1, "0"));
    assert_eq!(
        stderr(&o),
        format!(
            "fimql: {wrapped}:1: warning: the record's `data` is an array of 3 objects; each \
             record is read as one event, so they are not events here: take them out first \
             (`jq -c '.data[]' FILE | fimql filter FILTER`)\n"
        )
    );
    // Pretty-printed: the first record is looked at in every layout.
    let pretty = dir.write(
        "pretty.json",
        format!("{{\n  \"data\": [\n    {event}\n  ]\n}}\n"),
    );
    let o = filter(&["--count", "action:Create", &pretty]);
    assert!(
        stderr(&o).contains("`data` is an array of 1 object;"),
        "{}",
        stderr(&o)
    );
    // In an array, the path to the events says so.
    let array = dir.write("array.json", format!("[{{\"data\":[{event},{event}]}}]\n"));
    let o = filter(&["--count", "action:Create", &array]);
    assert!(
        stderr(&o).contains("(`jq -c '.[].data[]' FILE"),
        "{}",
        stderr(&o)
    );
    // A search-response element (its `data` an object), an array of scalars or of mixed
    // values, and an event's own arrays of objects: no warning.
    for (i, record) in [
        format!("{{\"sortValues\":[1],\"data\":{event}}}"),
        "{\"data\":[1,2]}".to_string(),
        format!("{{\"data\":[{event},1]}}"),
        "{\"data\":[]}".to_string(),
        "{\"profiles\":[{\"rules\":[]}],\"action\":\"Create\"}".to_string(),
    ]
    .iter()
    .enumerate()
    {
        let file = dir.write(&format!("plain{i}.ndjson"), format!("{record}\n{event}\n"));
        let o = filter(&["--count", "action:Create", &file]);
        assert_eq!(stderr(&o), "", "{record}");
    }
}

#[test]
fn control_characters_in_file_names_are_escaped_in_messages() {
    let dir = TempDir::new("odd-names");
    let escape = dir.write("bad\u{1b}[31mname.ndjson", "{\"a\":\n");
    let bidi = dir.write("x\u{202e}y.ndjson", "{\"a\":\n");
    let missing = format!("{escape}.missing");
    let o = filter(&["--count", "action:Create", &escape, &bidi, &missing]);
    let shown = |name: &str| {
        name.replace('\u{1b}', "\\u{1b}")
            .replace('\u{202e}', "\\u{202e}")
    };
    let err = stderr(&o);
    assert!(
        !err.contains('\u{1b}') && !err.contains('\u{202e}'),
        "{err}"
    );
    for line in [
        format!("{}:1: EOF while parsing", shown(&escape)),
        format!("{}:1: EOF while parsing", shown(&bidi)),
        format!("fimql: {}: ", shown(&missing)),
    ] {
        assert!(err.contains(&line), "{line} in {err}");
    }
}

#[test]
fn a_text_file_that_is_not_json_is_one_error() {
    // CSV (as `--format csv` writes): one message for the file, not one for each word.
    let dir = TempDir::new("not-json");
    let csv = dir.write(
        "m.csv",
        "dateTime,action\n2023-01-01T00:00:00Z,Create\n2023-01-02T00:00:00Z,Delete\n",
    );
    let good = dir.write("good.ndjson", "{\"action\":\"Create\"}\n");
    let o = filter(&["--count", "action:Create", &csv, &good]);
    assert_eq!((code(&o), stdout(&o).trim()), (2, "1"));
    assert_eq!(
        stderr(&o),
        format!(
            "fimql: {csv}: not JSON events: no `{{` in the first lines, which start \
             `dateTime,action`; events are read as NDJSON, a JSON array or JSON objects one \
             after another\n"
        )
    );
}

#[test]
fn utf16_input_says_how_to_convert_it() {
    let dir = TempDir::new("utf16");
    let text = "{\"action\":\"Create\"}\n";
    let bytes: Vec<u8> = "\u{feff}"
        .chars()
        .chain(text.chars())
        .collect::<String>()
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let file = dir.write("u16.json", bytes);
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        format!(
            "fimql: {file}: UTF-16 text (little-endian), not UTF-8: JSON text is read as UTF-8; \
             convert it first (`iconv -f UTF-16 -t UTF-8`)\n"
        )
    );
}

#[test]
fn gzip_data_followed_by_other_bytes_is_read_and_reported() {
    let dir = TempDir::new("gzip-trailing");
    let text = "{\"action\":\"Create\"}\n{\"action\":\"Delete\"}\n";
    let mut bytes = gzip(text.as_bytes());
    bytes.extend(b"these bytes are not gzip\n");
    let file = dir.write("trailing.json.gz", bytes);
    let o = filter(&["action:Create", &file]);
    assert_eq!(
        (code(&o), stdout(&o), stderr(&o)),
        (
            2,
            "{\"action\":\"Create\"}\n".to_string(),
            format!(
                "fimql: {file}: the file goes on after the end of its gzip data with bytes that \
                 are not gzip; the 40 bytes decompressed before them were read\n"
            )
        )
    );
}

#[test]
fn truncated_last_line_is_reported() {
    let dir = TempDir::new("truncated");
    let input = format!(
        "{}\n{}\n{{\"data\":{{\"action\":\"Crea",
        event(1, "Create", "LINUX"),
        event(2, "Create", "LINUX")
    );
    let file = dir.write("events.ndjson", input);
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o).lines().count(), 2);
    let err = stderr(&o);
    assert!(err.starts_with(&format!("{file}:3: ")), "{err}");
    assert!(err.contains("1 of 3 records skipped"), "{err}");

    // The same at the end of a pretty array.
    let input = format!(
        "[\n{},\n{},\n{{\"data\":{{\"action\":\"Crea",
        event(1, "Create", "LINUX"),
        event(2, "Create", "LINUX")
    );
    let file = dir.write("events.json", input);
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o).lines().count(), 2);
    let err = stderr(&o);
    assert!(err.starts_with(&format!("{file}:4: ")), "{err}");
}

#[test]
fn records_that_are_json_but_not_objects() {
    let dir = TempDir::new("not-object");
    let input = format!(
        "{}\n5\n\"text\"\n[{}]\nnull\n{}\n",
        event(1, "Create", "LINUX"),
        event(2, "Create", "LINUX"),
        event(3, "Create", "LINUX")
    );
    let file = dir.write("events.ndjson", input);
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        stdout(&o),
        format!(
            "{}\n{}\n",
            event(1, "Create", "LINUX"),
            event(3, "Create", "LINUX")
        )
    );
    let err = stderr(&o);
    for line in 2..=5 {
        let prefix = format!("{file}:{line}: ");
        let l = err
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no error for line {line}:\n{err}"));
        assert!(l.contains("expected a JSON object"), "{l}");
    }
    assert!(err.contains("4 of 6 records skipped"), "{err}");
}

#[test]
fn invalid_utf8_is_a_malformed_record() {
    let dir = TempDir::new("utf8");
    let mut input = Vec::new();
    input.extend_from_slice(event(1, "Create", "LINUX").as_bytes());
    input.extend_from_slice(b"\n{\"action\":\"Create\",\"s\":\"\xff\xfe\"}\n");
    input.extend_from_slice(event(3, "Create", "LINUX").as_bytes());
    input.push(b'\n');
    let file = dir.write("events.ndjson", &input);
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o).lines().count(), 2);
    let err = stderr(&o);
    assert!(err.starts_with(&format!("{file}:2: ")), "{err}");
    assert!(err.contains("UTF-8"), "{err}");
}

#[test]
fn malformed_record_from_standard_input_names_stdin() {
    let input = format!("{}\n{{oops}}\n", event(1, "Create", "LINUX"));
    let o = fimql(&["filter", "action:Create"], Some(input.as_bytes()));
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).starts_with("<stdin>:2: "), "{}", stderr(&o));
}

#[test]
fn a_missing_file_is_named_and_the_others_are_read() {
    let dir = TempDir::new("missing");
    let file = dir.write("events.ndjson", three_events());
    let missing = dir.path("no-such-file.ndjson");
    let o = filter(&["action:Create", &missing, &file]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o).lines().count(), 2);
    let err = stderr(&o);
    assert!(err.contains(&missing), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // A directory is not an input either.
    let o = filter(&["action:Create", &path_str(&dir.0)]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains(&path_str(&dir.0)), "{}", stderr(&o));
}

#[test]
fn a_bad_filter_exits_2_without_reading_input() {
    let src = "action:(Create";
    // Standard input stays open: reading it would block.
    let child = Command::new(BIN)
        .args(["filter", src])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fimql");
    let (status, err) = wait_quietly(child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(2));
    assert!(err.contains("error[unclosed-paren]"), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.ends_with(src))
        .unwrap_or_else(|| panic!("filter not shown:\n{err}"));
    let col = lines[at].len() - src.len();
    assert_eq!(lines[at + 1].find('^'), Some(col + 7), "{err}");

    // Nor does it open files.
    let dir = TempDir::new("bad-filter");
    let missing = dir.path("no-such-file.ndjson");
    let o = filter(&["actoin:Create", &missing]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("error[unknown-token]"), "{err}");
    assert!(!err.contains("no-such-file"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Exit statuses, the pipe, the clock, threads

#[test]
fn exit_status_is_like_grep() {
    let input = three_events();
    let some = fimql(&["filter", "platform:LINUX"], Some(input.as_bytes()));
    assert_eq!(code(&some), 0);
    let none = fimql(
        &["filter", "asset.name:nothing-has-this"],
        Some(input.as_bytes()),
    );
    assert_eq!(code(&none), 1);
    assert_eq!(stdout(&none), "");
    assert_eq!(stderr(&none), "");
    let usage = fimql(
        &["filter", "--bogus", "platform:MAC"],
        Some(input.as_bytes()),
    );
    assert_eq!(code(&usage), 2);
}

#[test]
fn a_closed_stdout_ends_the_program_quietly() {
    let dir = TempDir::new("pipe");
    let mut input = String::new();
    for n in 0..20_000 {
        input.push_str(&event(n, "Create", "LINUX"));
        input.push('\n');
    }
    let file = dir.write("events.ndjson", input);
    let mut child = Command::new(BIN)
        .args(["filter", "action:Create", &file])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fimql");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("read one line");
    assert_eq!(first, format!("{}\n", event(0, "Create", "LINUX")));
    drop(out);
    let (status, err) = wait_quietly(child, Duration::from_secs(60));
    assert_eq!(err, "", "stderr after the pipe closed");
    assert_eq!(status.code(), Some(0), "{status:?}");

    // A malformed record read before the pipe closed still makes the status 2, with the count.
    let file = dir.write(
        "bad.ndjson",
        format!("{{\"bad\"\n{}", std::fs::read_to_string(&file).unwrap()),
    );
    let mut child = Command::new(BIN)
        .args(["filter", "--jobs", "1", "action:Create", &file])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fimql");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("read one line");
    drop(out);
    let (status, err) = wait_quietly(child, Duration::from_secs(60));
    assert!(err.starts_with(&format!("{file}:1: ")), "{err}");
    assert!(
        err.contains("records read skipped because they are malformed"),
        "{err}"
    );
    assert_eq!(status.code(), Some(2), "{status:?}");
}

#[test]
fn now_fixes_the_clock() {
    let dir = TempDir::new("now");
    let file = dir.write(
        "events.ndjson",
        [
            r#"{"dateTime":"2023-01-09T13:00:00.000+0000","n":1}"#,
            r#"{"dateTime":"2023-01-09T11:00:00.000+0000","n":2}"#,
            r#"{"dateTime":"2023-01-10T11:59:59.000+0000","n":3}"#,
            r#"{"dateTime":"2022-12-31T12:00:00.000+0000","n":4}"#,
        ]
        .join("\n"),
    );
    let o = filter(&[
        "--now",
        "2023-01-10T12:00:00Z",
        "dateTime:[now-1d..now]",
        &file,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let ns: Vec<i64> = stdout(&o)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["n"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(ns, [1, 3]);
    let o = filter(&[
        "--now",
        "2023-01-10T12:00:00Z",
        "--count",
        "dateTime>=now-1d",
        &file,
    ]);
    assert_eq!(stdout(&o), "2\n");
    // With the real clock, these 2023 events are long past.
    let o = filter(&["--count", "dateTime>=now-1d", &file]);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "0\n");
    let o = filter(&["--now", "yesterday", "dateTime>=now-1d", &file]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--now"), "{}", stderr(&o));
}

/// A few thousand varied events, about 2.5 MB: more than one batch.
fn many_events() -> String {
    const ACTIONS: [&str; 6] = [
        "Create",
        "Delete",
        "Content",
        "Rename",
        "Attributes",
        "Security",
    ];
    const HOSTS: [&str; 4] = ["DESKTOP-", "desktop-", "WIN-SRV-", "ip-10-0-"];
    let mut out = String::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for n in 0..6000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let action = ACTIONS[(x % 6) as usize];
        let host = HOSTS[((x >> 8) % 4) as usize];
        let platform = if host == "ip-10-0-" {
            "LINUX"
        } else {
            "WINDOWS"
        };
        let severity = (x >> 16) % 5 + 1;
        let tags = if (x >> 20).is_multiple_of(3) {
            r#"["8543820","7"]"#
        } else {
            r#"["7"]"#
        };
        let hidden = match (x >> 24) % 4 {
            0 => r#""Added""#,
            1 => r#""Removed""#,
            _ => "null",
        };
        out.push_str(&format!(
            r#"{{"sortValues":[{n}],"data":{{"dateTime":"2023-{:02}-{:02}T10:00:00.000+0000","action":"{action}","platform":"{platform}","severity":{severity},"fileAttribute":{{"hidden":{hidden}}},"asset":{{"name":"{host}{:05X}","tags":{tags}}},"actor":{{"process":"{}"}},"fullPath":"C:\\Windows\\System32\\f{n}.dll","pad":"{}"}}}}"#,
            (x >> 28) % 12 + 1,
            (x >> 32) % 28 + 1,
            x % 0xfffff,
            if (x >> 36).is_multiple_of(2) { "explorer.exe" } else { "svchost.exe" },
            "p".repeat(((x >> 40) % 200) as usize),
        ));
        out.push('\n');
    }
    out
}

#[test]
fn one_thread_and_two_threads_give_the_same_output() {
    let dir = TempDir::new("jobs");
    let input = many_events();
    assert!(input.len() > 2 << 20, "{} bytes", input.len());
    let file = dir.write("events.ndjson", &input);
    let array = dir.write(
        "events.json",
        format!("[\n{}\n]\n", input.trim_end().replace('\n', ",\n")),
    );
    let runs: [&[&str]; 4] = [
        &["asset.name:DESKTOP* AND NOT actor.process:explorer.exe"],
        &["severity>=4 AND (action:Content OR action:Attributes)"],
        &[
            "--invert",
            "asset.tags:8543820 AND file.attribute.hidden:`Added`",
        ],
        &["--group-by", "action", "asset.tags:8543820"],
    ];
    for input in [&file, &array] {
        for args in runs {
            let run = |jobs: &str| {
                let mut all = vec!["--jobs", jobs];
                all.extend_from_slice(args);
                all.push(input);
                filter(&all)
            };
            let one = run("1");
            let two = run("2");
            assert_eq!(code(&one), 0, "{args:?}: {}", stderr(&one));
            assert_eq!(code(&two), 0, "{args:?}: {}", stderr(&two));
            assert!(one.stdout.len() > 50, "{args:?}: {}", stdout(&one));
            assert!(
                one.stdout == two.stdout,
                "--jobs 1 and --jobs 2 differ for {args:?} on {input}"
            );
        }
    }
}

#[test]
fn threads_report_damaged_lines_with_the_same_line_numbers() {
    // Several threads read one plain file at independent offsets; the line numbers in their
    // reports must still count from the start of the file.
    let dir = TempDir::new("jobs-damaged");
    let mut input = String::new();
    for (i, line) in many_events().lines().enumerate() {
        match i % 701 {
            5 => input.push_str("{\"data\":{\"action\":\n"),
            9 => input.push_str("\n  \n"),
            13 => input.push_str("[1,2]\n"),
            _ => {}
        }
        input.push_str(line);
        input.push_str(if i % 3 == 0 { "\r\n" } else { "\n" });
    }
    input.push_str("{\"data\":{\"action\":\"Create\"}}");
    let file = dir.write("damaged.ndjson", &input);
    // The line of the last `[1,2]`, far into the file.
    let lines: Vec<&str> = input.lines().collect();
    let last = 1 + lines
        .iter()
        .rposition(|l| *l == "[1,2]")
        .expect("a damaged line");
    assert!(input.len() > 2 << 20 && last > 5000, "{last}");
    let last = format!(":{last}: invalid type: an array");
    let runs: [&[&str]; 3] = [
        &["action:Create OR severity>=4"],
        &["--count", "NOT action:Create"],
        &["--limit", "2000", "severity>=2"],
    ];
    for args in runs {
        let run = |jobs: &str| {
            let mut all = vec!["--jobs", jobs];
            all.extend_from_slice(args);
            all.push(&file);
            filter(&all)
        };
        let one = run("1");
        assert_eq!(code(&one), 2, "{args:?}: damaged lines make exit code 2");
        let limited = args.contains(&"--limit");
        assert!(
            limited || stderr(&one).contains(&last),
            "{args:?}: {}",
            stderr(&one)
        );
        for jobs in ["2", "3"] {
            let many = run(jobs);
            assert_eq!(code(&many), 2, "{args:?} --jobs {jobs}");
            assert!(
                one.stdout == many.stdout,
                "{args:?}: --jobs {jobs} output differs"
            );
            assert_eq!(stderr(&one), stderr(&many), "{args:?} --jobs {jobs}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Agreement with the benchmark kit's Python baseline

#[path = "../benches/common/mod.rs"]
mod bench;
use bench::FILTERS as BENCH_FILTERS;

#[test]
fn counts_agree_with_the_python_baseline_on_generated_events() {
    let generator = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/bench/gen_events.py");
    let baseline = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/bench/py_filter.py");
    let dir = TempDir::new("bench");
    let events = dir.path("events.ndjson");
    let generated = Command::new("python3")
        .args([generator, "--count", "20000", "--seed", "7"])
        .stdout(std::fs::File::create(&events).expect("create events file"))
        .status()
        .expect("run python3 gen_events.py");
    assert!(generated.success(), "gen_events.py failed");

    // Run the eight programs side by side.
    let results: Vec<(&str, usize, String)> = thread::scope(|s| {
        let handles: Vec<_> = BENCH_FILTERS
            .iter()
            .map(|&(name, f)| {
                let events = &events;
                let ours = s.spawn(move || filter(&["--count", f, events]));
                let theirs = s.spawn(move || {
                    Command::new("python3")
                        .args([baseline, name, events])
                        .output()
                        .expect("run python3 py_filter.py")
                });
                (name, ours, theirs)
            })
            .collect();
        handles
            .into_iter()
            .map(|(name, ours, theirs)| {
                let ours = ours.join().expect("fimql thread");
                let theirs = theirs.join().expect("python thread");
                assert_eq!(code(&ours), 0, "{name}: {}", stderr(&ours));
                assert!(theirs.status.success(), "py_filter.py {name} failed");
                let expected = theirs.stdout.iter().filter(|&&b| b == b'\n').count();
                (name, expected, stdout(&ours))
            })
            .collect()
    });
    for (name, expected, ours) in results {
        assert!(expected > 0, "{name} matches nothing");
        assert_eq!(ours, format!("{expected}\n"), "{name}");
    }
}

#[test]
fn a_record_over_the_size_cap_is_reported_and_skipped_and_the_records_around_it_are_read() {
    // 65 MB of JSON in one array element; gzip keeps the test file small.
    let dir = TempDir::new("huge");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(format!("[\n{},\n{{\"data\":{{\"s\":\"", event(1, "Create", "LINUX")).as_bytes())
        .unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..65 {
        enc.write_all(&chunk).unwrap();
    }
    enc.write_all(format!("\"}}}},\n{}\n]\n", event(3, "Create", "LINUX")).as_bytes())
        .unwrap();
    let file = dir.write("huge.json.gz", enc.finish().unwrap());
    let o = filter(&["action:Create", &file]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    // The record after the over-long one is read too (it used to be lost).
    assert_eq!(
        stdout(&o),
        format!(
            "{}\n{}\n",
            event(1, "Create", "LINUX"),
            event(3, "Create", "LINUX")
        )
    );
    let err = stderr(&o);
    assert!(err.contains("1 of 3 records skipped"), "{err}");
    assert!(
        err.starts_with(&format!("{file}:3: record longer than")),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_truncated_gzip_file_gives_the_records_before_the_cut() {
    let dir = TempDir::new("truncated-gzip");
    let mut input = String::new();
    for n in 0..400 {
        input.push_str(&event(n, "Create", "LINUX"));
        input.push('\n');
    }
    let gz = gzip(input.as_bytes());
    let cut = &gz[..gz.len() * 2 / 3];
    // What a decompressor recovers from the cut file: that many whole lines, then a partial one.
    let mut recovered = Vec::new();
    let err = flate2::read::GzDecoder::new(cut)
        .read_to_end(&mut recovered)
        .expect_err("the cut stream is incomplete");
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    let whole = recovered.iter().filter(|&&b| b == b'\n').count();
    assert!(whole > 100 && whole < 400, "{whole} lines recovered");

    let file = dir.write("events.ndjson.gz", cut);
    let o = filter(&["--count", "action:Create", &file]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), format!("{whole}\n"));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    // The partial record is reported at its line, then the read error, then the summary.
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with(&format!("{file}:{}: ", whole + 1)),
        "{err}"
    );
    assert!(lines[1].starts_with(&format!("fimql: {file}: ")), "{err}");
    assert!(
        lines[2].contains(&format!("1 of {} records skipped", whole + 1)),
        "{err}"
    );
}

#[test]
fn a_byte_order_mark_at_the_start_is_skipped() {
    let dir = TempDir::new("bom");
    let first = r#"{ "action" : "Create", "n": 1 }"#;
    let input = format!("\u{feff}{first}\n{}\n", event(2, "Create", "LINUX"));
    let file = dir.write("events.ndjson", &input);
    let gz = dir.write("events.ndjson.gz", gzip(input.as_bytes()));
    for f in [&file, &gz] {
        let o = filter(&["action:Create", f]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        // Still NDJSON: the lines come out as they are, without the mark.
        assert_eq!(
            stdout(&o),
            format!("{first}\n{}\n", event(2, "Create", "LINUX"))
        );
        assert_eq!(stderr(&o), "");
    }
    let array = dir.write(
        "events.json",
        format!("\u{feff}[\n  {}\n]\n", event(3, "Create", "LINUX")),
    );
    let o = filter(&["--count", "action:Create", &array]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "1\n");
}

#[test]
fn ndjson_with_a_damaged_first_line_keeps_the_other_records() {
    let dir = TempDir::new("damaged-first");
    let lines: Vec<String> = (1..=40).map(|n| event(n, "Create", "LINUX")).collect();
    let whole = lines.join("\n") + "\n";
    // Cut at the front in the middle of the first record, as `tail -c` does.
    let cut = dir.write("tail.ndjson", &whole[30..]);
    let o = filter(&["action:Create", &cut]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), lines[1..].join("\n") + "\n");
    let err = stderr(&o);
    let errs: Vec<&str> = err.lines().collect();
    assert_eq!(errs.len(), 2, "{err}");
    assert!(errs[0].starts_with(&format!("{cut}:1: ")), "{err}");
    assert!(errs[1].contains("1 of 40 records skipped"), "{err}");

    // The first record cut short at its end.
    let input = format!("{}\n{}", &lines[0][..20], lines[1..4].join("\n"));
    let file = dir.write("short.ndjson", input);
    let o = filter(&["--count", "action:Create", &file]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "3\n");
    assert!(
        stderr(&o).starts_with(&format!("{file}:1: ")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn line_numbers_stay_right_across_batches() {
    let dir = TempDir::new("lines");
    let pad = "x".repeat(400);
    let broken_lines = [1234, 4000, 7999];
    let mut ndjson = String::new();
    for n in 1..=8000 {
        if broken_lines.contains(&n) {
            ndjson.push_str("{\"broken\":");
        } else if n % 97 != 0 {
            ndjson.push_str(&format!(r#"{{"action":"Create","n":{n},"pad":"{pad}"}}"#));
        }
        ndjson.push_str(if n % 5 == 0 { "\r\n" } else { "\n" });
    }
    assert!(ndjson.len() > 3 << 20);
    let file = dir.write("events.ndjson", &ndjson);
    let o = filter(&["--count", "action:Create", &file]);
    assert_eq!(code(&o), 2);
    let records = 8000 - 8000 / 97;
    assert_eq!(stdout(&o), format!("{}\n", records - 3));
    let expected: Vec<String> = broken_lines
        .iter()
        .map(|n| format!("{file}:{n}: "))
        .chain([format!(
            "fimql: 3 of {records} records skipped because they are malformed (see above)"
        )])
        .collect();
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{err}");
    for (line, prefix) in lines.iter().zip(&expected) {
        assert!(
            line.starts_with(prefix.as_str()),
            "{line} (expected {prefix})"
        );
    }

    // A pretty-printed array: each element over five lines, two broken ones.
    let mut array = String::from("[\n");
    let mut starts = Vec::new();
    let mut line = 2;
    for n in 1..=3000 {
        if n == 500 || n == 2500 {
            starts.push(line);
            array.push_str("  {\n    \"broken\": ,\n    \"x\": 1,\n    \"y\": 2\n  }");
        } else {
            array.push_str(&format!(
                "  {{\n    \"action\": \"Create\",\n    \"n\": {n},\n    \"pad\": \"{pad}\"\n  }}"
            ));
        }
        array.push_str(if n < 3000 { ",\n" } else { "\n" });
        line += 5;
    }
    array.push_str("]\n");
    assert!(array.len() > 1 << 20);
    let file = dir.write("events.json", &array);
    let o = filter(&["--count", "action:Create", &file]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "2998\n");
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert_eq!(starts, [2497, 12497]);
    assert!(lines[0].starts_with(&format!("{file}:2497: ")), "{err}");
    assert!(lines[1].starts_with(&format!("{file}:12497: ")), "{err}");
}

#[test]
fn input_format_overrides_detection() {
    let dir = TempDir::new("input-format");
    // One object per line, read as concatenated JSON: written out compact.
    let file = dir.write(
        "events.ndjson",
        "{ \"action\": \"Create\" }\n{ \"action\": \"Delete\" }\n",
    );
    let o = filter(&["--input-format", "json", "action:Create", &file]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\"action\":\"Create\"}\n");
    let o = filter(&["action:Create", &file]);
    assert_eq!(stdout(&o), "{ \"action\": \"Create\" }\n");
    let o = filter(&["--input-format", "xml", "action:Create", &file]);
    assert_eq!(code(&o), 2);
}

#[test]
fn incident_scope_and_unknown_tokens() {
    let input = "{\"status\":\"OPEN\",\"custom\":{\"team\":\"blue\"}}\n{\"status\":\"CLOSED\"}\n";
    let o = fimql(
        &["filter", "--scope", "incidents", "status:open"],
        Some(input.as_bytes()),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1);
    // `status` is not an events token.
    let o = fimql(&["filter", "status:open"], Some(input.as_bytes()));
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("unknown-token"), "{}", stderr(&o));
    // Unknown dotted names as raw JSON paths, for filtering and grouping.
    let o = fimql(
        &[
            "filter",
            "--allow-unknown",
            "--group-by",
            "custom.team",
            "custom.team:*",
        ],
        Some(input.as_bytes()),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\"blue\":1}\n");
}

#[cfg(target_os = "linux")]
#[test]
fn a_failing_stdout_is_an_error() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full");
    let o = Command::new(BIN)
        .args(["filter", "action:*"])
        .stdin(Stdio::piped())
        .stdout(full)
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(three_events().as_bytes())?;
            child.wait_with_output()
        })
        .expect("run fimql");
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("cannot write output"), "{}", stderr(&o));
}

#[test]
fn filter_warnings_are_shown_before_running() {
    let input = three_events();
    let o = fimql(&["filter", "platform:MAC"], Some(input.as_bytes()));
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).starts_with("warning[unknown-value]: `MAC` is not a known value of `platform`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn limit_zero_and_time_field_without_histogram_are_usage_errors() {
    let input = three_events();
    let o = fimql(
        &["filter", "--limit", "0", "platform:*"],
        Some(input.as_bytes()),
    );
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("invalid value '0' for '--limit <N>'"),
        "{}",
        stderr(&o)
    );
    let o = fimql(
        &["filter", "--time-field", "dateTime", "platform:*"],
        Some(input.as_bytes()),
    );
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("--histogram <BUCKET>"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn count_and_group_by_together_are_a_usage_error() {
    let o = fimql(
        &["filter", "--count", "--group-by", "action", "action:*"],
        Some(b"{}"),
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
}

#[test]
fn a_relative_date_out_of_range_is_a_clean_error() {
    let input = three_events();
    let o = fimql(
        &[
            "filter",
            "--now",
            "2023-01-01T00:00:00Z",
            "dateTime:[now-99999999999y..now]",
        ],
        Some(input.as_bytes()),
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o)
            .starts_with("error[invalid-date]: `now-99999999999y` is out of the range of dates"),
        "{}",
        stderr(&o)
    );
}

/// On a terminal, a file of more than a few MB shows a progress bar on stderr. `script` (from
/// util-linux) runs the command on a pseudo-terminal; without one, stderr stays quiet.
#[test]
fn progress_bar_on_a_terminal_only() {
    let dir = TempDir::new("progress");
    let line = "{\"sortValues\":[],\"data\":{\"action\":\"Create\",\"pad\":\"".to_string()
        + &"x".repeat(2000)
        + "\"}}\n";
    let file = dir.write("big.ndjson", line.repeat(3000));
    let bin = env!("CARGO_BIN_EXE_fimql");
    let cmd = format!("{bin} filter --jobs 1 --count action:Create {file}");
    let tty = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("script (util-linux) runs the command on a terminal");
    let shown = String::from_utf8_lossy(&tty.stdout);
    assert!(
        shown.contains("events/s"),
        "no progress bar on a terminal: {shown:?}"
    );
    assert!(shown.contains("3000"), "{shown:?}");
    let plain = filter(&["--jobs", "1", "--count", "action:Create", &file]);
    assert_eq!(stdout(&plain), "3000\n");
    assert_eq!(stderr(&plain), "");
    let quiet = Command::new("script")
        .args(["-qec", &format!("{cmd} --quiet"), "/dev/null"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stdout).contains("events/s"));
}

/// `tail -f export.ndjson | fimql filter ...`: each match is written as soon as its line has
/// arrived, while the input is still open, in every output format and with several workers.
#[test]
fn matches_on_a_slow_pipe_are_written_as_they_arrive() {
    for args in [
        &["--jobs", "1"][..],
        &["--jobs", "2"],
        &["--format", "csv", "--fields", "action,severity"],
        &["--format", "json"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fimql"))
            .arg("filter")
            .args(args)
            .arg("action:Create")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        let mut output = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = output.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        // Waits until the output holds `needle`, while the input is still open. (A JSON array's
        // element is written at once, its comma when the next one comes.)
        let mut shown = Vec::new();
        let mut wait_for = |needle: &str| {
            while !String::from_utf8_lossy(&shown).contains(needle) {
                match rx.recv_timeout(Duration::from_secs(20)) {
                    Ok(bytes) => shown.extend(bytes),
                    Err(_) => panic!(
                        "{args:?}: no {needle:?} while the input is open: {:?}",
                        String::from_utf8_lossy(&shown)
                    ),
                }
            }
        };
        for severity in [3, 4] {
            writeln!(input, r#"{{"action":"Delete","severity":1}}"#).unwrap();
            writeln!(input, r#"{{"action":"Create","severity":{severity}}}"#).unwrap();
            input.flush().unwrap();
            wait_for(&format!("{severity}"));
        }
        drop(input);
        let status = child.wait().unwrap();
        assert!(status.success(), "{args:?}: {status}");
    }
}

/// A running `fimql filter ARGS FILTER` reading standard input from a pipe that the test writes
/// to, and what it has written so far.
struct Piped {
    child: Child,
    input: Option<std::process::ChildStdin>,
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
    shown: Vec<u8>,
}

impl Piped {
    fn new(args: &[&str], filter: &str) -> Piped {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fimql"))
            .arg("filter")
            .args(args)
            .arg(filter)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // A terminal's width, as if on one (the table then is fitted to it).
            .env_remove("COLUMNS")
            .spawn()
            .unwrap();
        let input = child.stdin.take();
        let mut output = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = output.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Piped {
            child,
            input,
            rx,
            shown: Vec::new(),
        }
    }

    fn send(&mut self, line: &str) {
        let input = self.input.as_mut().unwrap();
        writeln!(input, "{line}").unwrap();
        input.flush().unwrap();
    }

    /// Waits until the output holds `needle`, while the input is still open.
    fn wait_for(&mut self, needle: &str, what: &str) {
        while !String::from_utf8_lossy(&self.shown).contains(needle) {
            match self.rx.recv_timeout(Duration::from_secs(20)) {
                Ok(bytes) => self.shown.extend(bytes),
                Err(_) => panic!(
                    "{what}: no {needle:?} while the input is open: {:?}",
                    String::from_utf8_lossy(&self.shown)
                ),
            }
        }
    }

    /// Closes the input; the exit status and all the output.
    fn finish(mut self) -> (ExitStatus, String) {
        drop(self.input.take());
        let status = self.child.wait().unwrap();
        while let Ok(bytes) = self.rx.recv_timeout(Duration::from_secs(20)) {
            self.shown.extend(bytes);
        }
        (status, String::from_utf8_lossy(&self.shown).into_owned())
    }
}

/// `(echo CREATE; sleep 4; echo DELETE; sleep 3) | fimql filter --format table action:Create`:
/// the table starts when its half second is up although no more input comes, and a JSON array's
/// element is a whole line at once (tools that read lines get it while the input is open); the
/// next element's line then starts with the comma, and the whole is one JSON array.
#[test]
fn table_and_json_array_show_matches_while_the_input_stalls() {
    for jobs in ["1", "2"] {
        let fields = ["--jobs", jobs, "--allow-unknown", "--fields", "action,n"];
        let mut table = Piped::new(
            &[&fields[..], &["--format", "table"]].concat(),
            "action:Create",
        );
        table.send(r#"{"action":"Create","n":1}"#);
        table.wait_for("action  n\nCreate  1\n", "table");
        table.send(r#"{"action":"Delete","n":2}"#);
        table.send(r#"{"action":"Create","n":3}"#);
        table.wait_for("Create  3\n", "table");
        let (status, text) = table.finish();
        assert!(status.success());
        assert_eq!(text, "action  n\nCreate  1\nCreate  3\n");

        for args in [
            &["--jobs", jobs, "--format", "json"][..],
            &[&fields[..], &["--format", "json"]].concat(),
        ] {
            let mut json = Piped::new(args, "action:Create");
            json.send(r#"{"action":"Create","n":1}"#);
            json.wait_for("\"n\":1}\n", "json");
            json.send(r#"{"action":"Delete","n":2}"#);
            json.send(r#"{"action":"Create","n":3}"#);
            json.wait_for("\"n\":3}\n", "json");
            let (status, text) = json.finish();
            assert!(status.success());
            let parsed: serde_json::Value = serde_json::from_str(&text).expect(&text);
            let ns: Vec<_> = parsed
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["n"].clone())
                .collect();
            assert_eq!(ns, [1, 3], "{text}");
            assert!(text.starts_with("[\n{") && text.contains("}\n,{"), "{text}");
        }
    }
}

/// Input compressed with a codec that is not read, or binary, is one error for its file (with
/// the command to decompress it), not a message for every line; the other files are read.
#[test]
fn input_compressed_otherwise_or_binary_is_one_error() {
    let dir = TempDir::new("codecs");
    let good = dir.write("good.ndjson", "{\"severity\":5}\n{\"severity\":1}\n");
    let noise: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    for (name, magic, hint) in [
        ("ev.xz", &b"\xfd7zXZ\x00"[..], Some("xz -dc")),
        ("ev.bz2", b"BZh91AY&SY", Some("bzip2 -dc")),
        ("ev.zip", b"PK\x03\x04", Some("unzip -p")),
        ("ev.lz4", b"\x04\x22\x4d\x18", Some("lz4 -dc")),
        ("ev.bin", b"\x7fELF\x02", None),
    ] {
        let file = dir.write(name, [magic, &noise[..]].concat());
        let o = filter(&["-c", "severity>=4", &file, &good]);
        assert_eq!(code(&o), 2, "{name}");
        assert_eq!(stdout(&o), "1\n", "{name}");
        let want = match hint {
            Some(command) => format!(
                "fimql: {file}: {}-compressed input is not supported; decompress it first \
                 ({command} {file} | fimql filter ...)\n",
                name.rsplit('.').next().unwrap().replace("bz2", "bzip2")
            ),
            None => format!(
                "fimql: {file}: binary data, not JSON text (events are read as NDJSON, a JSON \
                 array or JSON objects one after another, plain or compressed with gzip or \
                 zstd)\n"
            ),
        };
        assert_eq!(stderr(&o), want, "{name}");
        // From standard input too.
        let o = fimql(
            &["filter", "-c", "severity>=4"],
            Some(&[magic, &noise[..]].concat()),
        );
        assert_eq!(code(&o), 2, "{name}");
        assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    }
}

/// `--input-format` that does not fit a file is one error for the file, which is not read.
#[test]
fn input_format_that_does_not_fit_is_one_error_per_file() {
    let dir = TempDir::new("input-format-misfit");
    let ndjson = dir.write("ev.ndjson", "{\"a\":1}\n{\"a\":2}\n");
    let array = dir.write("ev.json", "[\n  {\n    \"a\": 1\n  },\n  {\"a\": 2}\n]\n");
    let pretty = dir.write("ev.txt", "{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n");
    for (format, file, want) in [
        (
            "array",
            &ndjson,
            "--input-format array does not fit: the input does not start with `[` (it starts \
             with `{`); leave --input-format out to detect the layout",
        ),
        (
            "ndjson",
            &array,
            "--input-format ndjson does not fit: the input is a JSON array; use --input-format \
             array, or leave --input-format out to detect the layout",
        ),
        (
            "json",
            &array,
            "--input-format json does not fit: the input is a JSON array; use --input-format array, or \
             leave --input-format out to detect the layout",
        ),
        (
            "ndjson",
            &pretty,
            "--input-format ndjson does not fit: the first record is not on one line \
             (pretty-printed JSON); use --input-format json, or leave --input-format out to detect \
             the layout",
        ),
    ] {
        let o = filter(&[
            "-c",
            "--allow-unknown",
            "--input-format",
            format,
            "a:*",
            file,
        ]);
        assert_eq!(code(&o), 2, "{format} {file}");
        assert_eq!(stdout(&o), "0\n");
        assert_eq!(stderr(&o), format!("fimql: {file}: {want}\n"));
    }
    // Input that fits is read.
    for (format, file) in [
        ("array", &array),
        ("ndjson", &ndjson),
        ("json", &pretty),
        ("json", &ndjson),
    ] {
        let o = filter(&[
            "-c",
            "--allow-unknown",
            "--input-format",
            format,
            "a:*",
            file,
        ]);
        assert_eq!(
            (code(&o), stdout(&o)),
            (0, "2\n".to_string()),
            "{format} {file}"
        );
    }
}

/// The progress bar of a compressed file counts its compressed bytes against its size, and its
/// line fits the terminal's width.
#[test]
fn progress_bar_of_compressed_input_counts_compressed_bytes_and_fits_the_terminal() {
    let dir = TempDir::new("progress-gz");
    // Hardly compressible pads, so that the compressed file is over 4 MiB.
    let mut text = String::new();
    let mut x = 1u64;
    while text.len() < 12 << 20 {
        text.push_str("{\"action\":\"Create\",\"pad\":\"");
        for _ in 0..64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            text.push_str(&format!("{:x}", x >> 60));
        }
        text.push_str("\"}\n");
    }
    let packed = gzip(text.as_bytes());
    assert!(packed.len() > 4 << 20);
    let file = dir.write("big.ndjson.gz", &packed);
    let bin = env!("CARGO_BIN_EXE_fimql");
    for cols in [60, 100] {
        let cmd = format!("stty cols {cols}; {bin} filter --jobs 1 --count action:Create {file}");
        let tty = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env_remove("CI")
            .output()
            .expect("script (util-linux) runs the command on a terminal");
        let shown = String::from_utf8_lossy(&tty.stdout);
        // The bar and its rate of bytes (the message after it, "N events/s", may be cut to the
        // line's width when N is long, as on a fast machine).
        assert!(
            shown.contains("B/s") && shown.contains(" events"),
            "no progress bar: {shown:?}"
        );
        let mut frames = 0;
        for frame in shown.split(['\r', '\n']) {
            // Without the escape sequences that move the cursor and clear the line.
            let mut plain = String::new();
            let mut chars = frame.chars();
            while let Some(c) = chars.next() {
                if c == '\u{1b}' {
                    for c in chars.by_ref() {
                        if c.is_ascii_alphabetic() {
                            break;
                        }
                    }
                } else {
                    plain.push(c);
                }
            }
            let width = plain.trim_end().chars().count();
            assert!(width <= cols, "{width} columns of {cols}: {plain:?}");
            let Some(bytes) = plain
                .split_whitespace()
                .find(|w| w.contains("B/") && !w.ends_with("/s"))
            else {
                continue;
            };
            // "<n> <unit>/<n> <unit>": the second and third words of the bytes part.
            let words: Vec<&str> = plain.split_whitespace().collect();
            let at = words.iter().position(|w| *w == bytes).unwrap();
            let size = |n: &str, unit: &str| {
                let n: f64 = n.parse().unwrap();
                n * match unit.trim_end_matches('/') {
                    "B" => 1.0,
                    "KiB" => 1024.0,
                    "MiB" => 1024.0 * 1024.0,
                    "GiB" => 1024.0 * 1024.0 * 1024.0,
                    other => panic!("unit {other:?} in {plain:?}"),
                }
            };
            let (unit_done, total) = bytes.split_once('/').unwrap();
            let done = size(words[at - 1], unit_done);
            let total = size(total, words[at + 1]);
            assert!(done <= total, "{plain:?}");
            assert!(
                (total - packed.len() as f64).abs() < 0.01 * total,
                "{plain:?}"
            );
            frames += 1;
        }
        assert!(frames > 0, "{shown:?}");
        assert!(
            shown.contains(&format!("{}", text.lines().count())),
            "{shown:?}"
        );
    }
}

#[test]
fn time_field_without_a_histogram_is_a_usage_error() {
    for extra in [&[][..], &["--count"][..]] {
        let mut args = vec!["--time-field", "processedTime"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["action:Create", "examples/events.ndjson"]);
        let o = filter(&args);
        assert_eq!(code(&o), 2, "{extra:?}");
        assert!(stdout(&o).is_empty(), "{extra:?}");
        assert!(stderr(&o).contains("--histogram"), "{}", stderr(&o));
    }
}

#[test]
fn jobs_is_a_count_from_1_to_256() {
    for bad in ["0", "257", "100000", "two"] {
        let o = filter(&["--jobs", bad, "action:Create", "examples/events.ndjson"]);
        assert_eq!(code(&o), 2, "--jobs {bad}");
        assert!(stdout(&o).is_empty());
        assert!(stderr(&o).contains("'--jobs <N>'"), "{}", stderr(&o));
    }
    let o = fimql(&["serve", "--jobs", "0", "examples/events.ndjson"], None);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("0 is not in 1..=256"), "{}", stderr(&o));
    for good in ["1", "256"] {
        let o = filter(&[
            "--jobs",
            good,
            "--count",
            "action:Create",
            "examples/events.ndjson",
        ]);
        assert_eq!((code(&o), stdout(&o).trim()), (0, "19"), "--jobs {good}");
    }
}
