//! Every diagnostic code names an input that triggers it (`Code::example`), and that exact input,
//! given to the code's stage, is reported with that code.

use fimql::error::Stage;
use fimql::translate::Engine;
use fimql::{Code, Options, RequestKind, Scope, check_request, translate, validate_with};

/// The settings the docs of `Code` state for filter examples.
fn filter_options() -> Options {
    let now = fimql::date::parse_event_date("2023-01-10T12:00:00Z").unwrap();
    Options::new(Scope::Events)
        .max_depth(4)
        .max_len(64)
        .now(now)
}

/// The codes reported for `example` at `stage`.
fn codes_at(stage: Stage, example: &str) -> Vec<Code> {
    match stage {
        Stage::Parse | Stage::Validate => match validate_with(example, &filter_options()) {
            Ok(v) => v.warnings.iter().map(|d| d.code).collect(),
            Err(e) => e.diagnostics().iter().map(|d| d.code).collect(),
        },
        Stage::Translate => match translate(example, Engine::DuckDb, &filter_options()) {
            Ok(_) => Vec::new(),
            Err(e) => e.diagnostics().iter().map(|d| d.code).collect(),
        },
        Stage::Request => check_request(example, None)
            .findings
            .iter()
            .map(|f| f.diagnostic.code)
            .collect(),
        Stage::Record => {
            let filter = fimql::compile("action:Create", &filter_options()).unwrap();
            match filter.matcher().matches_json(example.as_bytes()) {
                Ok(_) => Vec::new(),
                Err(e) => vec![e.diagnostic().code],
            }
        }
        Stage::Name => {
            let mut out = Vec::new();
            out.extend(example.parse::<Scope>().err().map(|d| d.code));
            out.extend(example.parse::<Engine>().err().map(|d| d.code));
            out.extend(example.parse::<RequestKind>().err().map(|d| d.code));
            out
        }
        _ => unreachable!("a stage this test does not know"),
    }
}

#[test]
fn every_code_is_reported_for_its_example() {
    let mut wrong = Vec::new();
    for &code in Code::ALL {
        if code == Code::RecordTooLong {
            continue; // Read by the stream reader with a small cap: see the next test.
        }
        let got = codes_at(code.stage(), code.example());
        if !got.contains(&code) {
            wrong.push(format!(
                "{code} ({:?}): example {:?} gives {got:?}",
                code.stage(),
                code.example()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The codes of the errors the stream reader reports for NDJSON `input` with a record cap of 32
/// bytes, with their lines, and the number of records read.
fn stream_errors(input: &[u8]) -> (Vec<(u64, Code)>, usize) {
    use fimql::stream::{Item, Layout, RecordReader};
    let mut reader = RecordReader::with_layout(input, Layout::Ndjson).with_max_record(32);
    let (mut errors, mut records) = (Vec::new(), 0);
    while let Some(batch) = reader.next_batch().unwrap() {
        for item in &batch.items {
            match item {
                Item::Error { line, diagnostic } => errors.push((*line, diagnostic.code)),
                Item::Record { .. } => records += 1,
            }
        }
    }
    (errors, records)
}

#[test]
fn a_record_over_the_cap_is_record_too_long_and_the_next_is_read() {
    let example = Code::RecordTooLong.example();
    assert!(example.len() > 32);
    let input = format!("{example}\n{{\"action\":\"Create\"}}\n");
    let (errors, records) = stream_errors(input.as_bytes());
    assert_eq!(errors, [(1, Code::RecordTooLong)]);
    assert_eq!(records, 1, "the record after the long one is still read");
}

#[test]
fn every_code_documents_its_example() {
    // The example is part of each variant's rustdoc (built by the `codes!` table); here, each
    // code has one, and the names are unique.
    let mut names = std::collections::BTreeSet::new();
    for &code in Code::ALL {
        assert!(names.insert(code.as_str()), "{code} twice");
        assert_eq!(Code::from_name(code.as_str()), Some(code));
        if code != Code::EmptyFilter {
            assert!(!code.example().is_empty(), "{code} has no example");
        }
    }
}
