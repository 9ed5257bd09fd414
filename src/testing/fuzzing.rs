//! The properties the fuzz targets check, as plain functions, so that the normal test suite can
//! replay every input the fuzzers ever found (`fuzz/regressions/`) without a fuzzer.
//!
//! Each function panics when a property fails; that panic is the finding.

use crate::catalog::Scope;
use crate::error::Diagnostic;
use crate::stream::{Item, RecordReader};
use crate::validate::validate_query;
use crate::{Options, Query, compile_query, parse};

/// `parse`: arbitrary bytes. Parsing never panics; what parses prints (plain and pretty) to text
/// that parses to the same tree, and printing is idempotent. Error spans lie in the input.
pub fn check_parse(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    match parse(src) {
        Ok(q) => check_roundtrip(&q),
        Err(e) => {
            assert!(!e.diagnostics().is_empty(), "an error with no diagnostic");
            for d in e.diagnostics() {
                check_span(src, d);
            }
        }
    }
}

/// `roundtrip`: a tree prints to text that parses back to the same tree, plainly and pretty.
pub fn check_roundtrip(q: &Query) {
    let printed = q.to_string();
    let back = parse(&printed).unwrap_or_else(|e| {
        panic!(
            "printed filter does not parse: {printed:?}\n{}",
            e.render(&printed)
        )
    });
    assert!(
        back.eq_ignoring_spans(q),
        "round trip changed the tree: {printed:?}"
    );
    assert_eq!(back.to_string(), printed, "printing is not idempotent");
    let pretty = format!("{:#}", q.expr);
    let back = parse(&pretty).unwrap_or_else(|e| {
        panic!(
            "pretty filter does not parse: {pretty:?}\n{}",
            e.render(&pretty)
        )
    });
    assert!(
        back.eq_ignoring_spans(q),
        "pretty round trip changed the tree: {pretty:?}"
    );
}

fn check_span(src: &str, d: &Diagnostic) {
    for span in std::iter::once(d.span).chain(d.labels.iter().map(|l| l.span)) {
        assert!(
            span.start <= span.end && span.end <= src.len(),
            "span {span:?} outside the input of {} bytes ({})",
            src.len(),
            d.code
        );
        assert!(
            src.is_char_boundary(span.start) && src.is_char_boundary(span.end),
            "span {span:?} not on char boundaries ({})",
            d.code
        );
    }
}

/// `validate`: validation and compilation of arbitrary filters in both scopes never panic, and
/// every diagnostic's span lies within the input, on char boundaries.
pub fn check_validate(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(q) = parse(src) else {
        return;
    };
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    for scope in Scope::ALL {
        for allow_unknown in [false, true] {
            let opts = Options::new(scope).allow_unknown(allow_unknown).now(now);
            for d in validate_query(&q, &opts) {
                check_span(src, &d);
            }
            if let Err(e) = compile_query(&q, &opts) {
                for d in e.diagnostics() {
                    check_span(src, d);
                }
            }
        }
    }
}

/// `eval`: the input is a filter, a NUL byte, then a JSON event. Evaluation never panics, and the
/// byte-level path (with and without the prefilter) gives the answer of the `Value` path, or an
/// error exactly when the event is not one JSON object.
pub fn check_eval(data: &[u8]) {
    let Some(cut) = data.iter().position(|&b| b == 0) else {
        return;
    };
    let (filter, event) = (&data[..cut], &data[cut + 1..]);
    let Ok(src) = std::str::from_utf8(filter) else {
        return;
    };
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let opts = Options::new(Scope::Events).allow_unknown(true).now(now);
    let Ok(f) = crate::compile(src, &opts) else {
        return;
    };
    let value = serde_json::from_slice::<serde_json::Value>(event);
    let fast = f.matcher().matches_json(event);
    match value {
        Ok(v) if v.is_object() => {
            let want = f.matches(&v);
            assert_eq!(fast, Ok(want), "fast path disagrees on {src:?}");
            let pre = f.matcher().with_prefilter(true).matches_json(event);
            assert_eq!(pre, Ok(want), "prefilter changed the answer on {src:?}");
        }
        _ => assert!(
            fast.is_err(),
            "accepted a record that is not one JSON object"
        ),
    }
}

/// `filter_stream`: arbitrary bytes as an input file. Splitting never panics or loops; every
/// record lies within its batch, and each one either matches, does not, or is an error.
pub fn check_stream(data: &[u8]) {
    let f = crate::compile("action:Create OR severity>=4", &Options::new(Scope::Events))
        .expect("a valid filter");
    let mut m = f.matcher();
    let mut reader = RecordReader::new(data);
    let mut batches = 0usize;
    let mut last_line = 0u64;
    loop {
        let batch = match reader.next_batch() {
            Ok(Some(batch)) => batch,
            Ok(None) => break,
            Err(e) => {
                // The one error reading from memory can give: text with no `{` is refused at
                // the start.
                assert!(batches == 0, "an error after a batch: {e}");
                assert!(e.to_string().starts_with("not JSON events"), "{e}");
                assert!(!data.contains(&b'{'), "refused text that has a `{{`");
                return;
            }
        };
        batches += 1;
        assert!(
            batches <= data.len() + 2,
            "the reader does not make progress"
        );
        for item in &batch.items {
            match item {
                Item::Record { start, end, line } => {
                    assert!(
                        start <= end && *end <= batch.bytes.len(),
                        "record outside its batch"
                    );
                    assert!(*line >= last_line, "line numbers go backwards");
                    last_line = *line;
                    // Matched, not matched, or an error: all three are fine; a panic is not.
                    let _ = m.matches_json(&batch.bytes[*start..*end]);
                }
                Item::Error { line, .. } => {
                    assert!(*line >= 1);
                }
            }
        }
    }
}
