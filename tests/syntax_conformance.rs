//! The syntax-level conformance cases: `format.json`, the syntax codes of `errors.json`, and every
//! filter quoted in `language.md`.

mod common;

use common::{SYNTAX_CODES, cases, language_md};

#[test]
fn format_json_cases_print_canonically() {
    let cases = cases("format.json");
    assert!(!cases.is_empty());
    for case in cases {
        let input = case["input"].as_str().unwrap();
        let canonical = case["canonical"].as_str().unwrap();
        let q = fimql::parse(input).unwrap_or_else(|e| panic!("{input:?}: {}", e.render(input)));
        assert_eq!(q.to_string(), canonical, "input {input:?}");
        // Printing is idempotent and the canonical form parses to the same tree.
        let again = fimql::parse(canonical).unwrap();
        assert!(again.eq_ignoring_spans(&q), "{input:?}");
        assert_eq!(again.to_string(), canonical);
    }
}

#[test]
fn errors_json_syntax_cases_are_rejected_with_their_code_and_span() {
    let mut seen = 0;
    for case in cases("errors.json") {
        let code = case["code"].as_str().unwrap();
        if !SYNTAX_CODES.contains(&code) {
            continue;
        }
        seen += 1;
        let filter = case["filter"].as_str().unwrap();
        let err = match fimql::parse(filter) {
            Ok(q) => panic!("{filter:?} parsed as {q}, expected {code}"),
            Err(e) => e,
        };
        let d = err
            .diagnostics()
            .iter()
            .find(|d| d.code.as_str() == code)
            .unwrap_or_else(|| panic!("{filter:?}: no {code} in {:?}", err.diagnostics()));
        if let Some(at) = case["at"].as_u64() {
            let at = at as usize;
            let in_label = d.labels.iter().any(|l| l.span.contains(at));
            assert!(
                d.span.contains(at) || in_label,
                "{filter:?}: {code} span {:?} does not contain {at}",
                d.span
            );
        }
    }
    assert!(seen >= 15, "only {seen} syntax cases found");
}

/// Every filter in the fenced block of `language.md` that lists the Qualys examples, and every
/// inline filter example in backticks that looks like a term, parses.
#[test]
fn filters_quoted_in_language_md_parse() {
    let md = language_md();
    let block = md
        .split("```")
        .nth(1)
        .expect("language.md has a fenced block of filters");
    let mut n = 0;
    for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
        fimql::parse(line).unwrap_or_else(|e| panic!("{line:?}: {}", e.render(line)));
        n += 1;
    }
    assert!(n >= 12, "only {n} filters in the block");
}

#[test]
fn mixed_and_or_is_noted_by_the_parser_only_without_parentheses() {
    let q = fimql::parse("action:Create OR action:Delete AND platform:LINUX").unwrap();
    assert_eq!(q.warnings.len(), 1);
    assert_eq!(q.warnings[0].code.as_str(), "mixed-and-or");
    assert_eq!(q.warnings[0].span, fimql::Span::new(0, 49));
    for clean in [
        "action:Create OR (action:Delete AND platform:LINUX)",
        "(action:Create OR action:Delete) AND platform:LINUX",
        "a:1 OR b:2 OR c:3",
        "a:1 AND b:2",
    ] {
        assert!(fimql::parse(clean).unwrap().warnings.is_empty(), "{clean}");
    }
}
