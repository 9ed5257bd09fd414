//! The validation conformance cases: every case of `errors.json` and `warnings.json`, and every
//! filter of `match.json` and `match-incidents.json`, read at test time from the shared
//! specification.

mod common;

use common::{cases, conformance_dir, language_md};
use fimql::catalog::Scope;
use fimql::date::FilterDate;
use fimql::{Diagnostic, Options, Severity, validate, validate_with};
use serde_json::Value;

fn scope_of(case: &Value, default: Scope) -> Scope {
    case["scope"]
        .as_str()
        .map_or(default, |s| s.parse().expect("a known scope"))
}

fn list(diags: &[Diagnostic], filter: &str) -> String {
    diags
        .iter()
        .map(|d| d.render(filter).to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn conformance_files_are_read_from_the_shared_spec() {
    let dir = conformance_dir();
    assert_eq!(
        dir,
        std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/spec/conformance"
        ))
    );
    assert!(dir.join("errors.json").is_file());
}

#[test]
fn every_errors_json_case_is_rejected_with_its_code_and_span() {
    let all = cases("errors.json");
    assert!(all.len() >= 29, "only {} cases", all.len());
    let mut codes = std::collections::BTreeSet::new();
    for case in &all {
        let filter = case["filter"].as_str().unwrap();
        let code = case["code"].as_str().unwrap();
        let scope = scope_of(case, Scope::Events);
        codes.insert(code);
        let err = match validate(filter, scope) {
            Ok(v) => panic!(
                "{filter:?} ({scope}) validated (warnings {:?}), expected {code}",
                v.warnings
            ),
            Err(e) => e,
        };
        assert!(err.has_errors(), "{filter:?}: Err without an error");
        let d = err
            .diagnostics()
            .iter()
            .find(|d| d.code.as_str() == code)
            .unwrap_or_else(|| {
                panic!(
                    "{filter:?} ({scope}): no {code} among\n{}",
                    list(err.diagnostics(), filter)
                )
            });
        assert_eq!(
            d.severity,
            Severity::Error,
            "{filter:?}: {code} is not an error"
        );
        assert!(!d.message.is_empty(), "{filter:?}: empty message");
        if let Some(at) = case["at"].as_u64() {
            let at = at as usize;
            assert!(
                d.span.contains(at) || d.labels.iter().any(|l| l.span.contains(at)),
                "{filter:?}: {code} at {:?} (labels {:?}) does not contain {at}",
                d.span,
                d.labels
            );
        }
        // The diagnostics come sorted by where they start.
        let starts: Vec<usize> = err.diagnostics().iter().map(|d| d.span.start).collect();
        assert!(starts.is_sorted(), "{filter:?}: unsorted {starts:?}");
    }
    // Both syntax and validation codes are covered.
    for code in [
        "empty-filter",
        "expected-value",
        "unknown-token",
        "type-mismatch",
        "empty-range",
        "invalid-date",
    ] {
        assert!(codes.contains(code), "no errors.json case for {code}");
    }
}

/// The cases whose `why` names a help line: the help says it.
#[test]
fn errors_json_helps_say_what_the_cases_promise() {
    let expect = [
        ("actoin:Create", "`action`"),
        ("file.attribute.hiden:`Added`", "`file.attribute.hidden`"),
        ("status:OPEN", "incidents"),
        ("action:Create severity:4", "AND"),
        ("action:Create (severity:4)", "AND"),
        ("file.fullPath:\"C:\\temp\\\"", "\\\\"),
    ];
    for case in cases("errors.json") {
        let filter = case["filter"].as_str().unwrap();
        let Some(&(_, needle)) = expect.iter().find(|(f, _)| *f == filter) else {
            continue;
        };
        let code = case["code"].as_str().unwrap();
        let err = validate(filter, scope_of(&case, Scope::Events)).unwrap_err();
        let d = err
            .diagnostics()
            .iter()
            .find(|d| d.code.as_str() == code)
            .unwrap();
        let help = d.help.as_deref().unwrap_or_default();
        assert!(help.contains(needle), "{filter:?}: help {help:?}");
    }
    let err = validate("action:Content", Scope::Incidents).unwrap_err();
    assert_eq!(
        err.diagnostics()[0].help.as_deref(),
        Some("`action` is an events token; use scope events")
    );
}

#[test]
fn every_warnings_json_case_is_valid_with_its_warning() {
    let all = cases("warnings.json");
    assert!(all.len() >= 9, "only {} cases", all.len());
    for case in &all {
        let filter = case["filter"].as_str().unwrap();
        let code = case["code"].as_str().unwrap();
        let scope = scope_of(case, Scope::Events);
        let ok = validate(filter, scope).unwrap_or_else(|e| {
            panic!(
                "{filter:?} ({scope}) rejected:\n{}",
                list(e.diagnostics(), filter)
            )
        });
        let w = ok
            .warnings
            .iter()
            .find(|d| d.code.as_str() == code)
            .unwrap_or_else(|| panic!("{filter:?}: no {code} among {:?}", ok.warnings));
        assert_eq!(w.severity, Severity::Warning);
        assert!(w.help.is_some(), "{filter:?}: {code} without help");
        assert!(
            ok.warnings.iter().all(|d| d.severity == Severity::Warning),
            "{filter:?}"
        );

        // With warnings denied, the same case is rejected with that code as an error.
        let strict = Options::default().scope(scope).deny_warnings(true);
        let err = validate_with(filter, &strict).unwrap_err();
        assert!(
            err.diagnostics()
                .iter()
                .any(|d| d.code.as_str() == code && d.severity == Severity::Error),
            "{filter:?}: deny_warnings"
        );
    }
}

/// The cases whose `why` names a help line: the help says it.
#[test]
fn warnings_json_helps_say_what_the_cases_promise() {
    let expect = [
        ("file.attribute.hidden:Maybe", "Added, Removed"),
        ("action:Creat", "`Create`"),
        (
            "profiles.name: Windows Profile - PCI(NJJ)",
            "`profiles.name:'Windows Profile - PCI(NJJ)'`",
        ),
    ];
    for (filter, needle) in expect {
        let ok = validate(filter, Scope::Events).unwrap();
        let help = ok.warnings[0].help.as_deref().unwrap();
        assert!(help.contains(needle), "{filter:?}: help {help:?}");
    }
}

fn check_match_file(file: &str) -> usize {
    let path = conformance_dir().join(file);
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let default = scope_of(&root, Scope::Events);

    let mut n = 0;
    for case in cases(file) {
        let filter = case["filter"].as_str().unwrap();
        let mut opts = Options::default().scope(scope_of(&case, default));
        if let Some(now) = case["now"].as_str() {
            opts = opts.now(FilterDate::parse(now).unwrap().fixed().unwrap());
        }
        let ok = validate_with(filter, &opts).unwrap_or_else(|e| {
            panic!(
                "{file}: {filter:?} rejected:\n{}",
                list(e.diagnostics(), filter)
            )
        });
        assert!(ok.warnings.iter().all(|d| !d.is_error()));
        n += 1;
    }
    n
}

#[test]
fn every_match_json_filter_validates_in_its_scope() {
    assert!(check_match_file("match.json") >= 80);
}

#[test]
fn every_match_incidents_json_filter_validates_in_its_scope() {
    assert!(check_match_file("match-incidents.json") >= 10);
}

/// The filters seen in the Qualys documents, listed at the top of `language.md`, validate
/// (`status` and `filterToDate` in the incidents scope, the rest in the events scope).
#[test]
fn qualys_example_filters_validate() {
    let md = language_md();
    let block = md.split("```").nth(1).unwrap();
    let mut n = 0;
    for filter in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let scope = if filter.starts_with("status") || filter.starts_with("filterToDate") {
            Scope::Incidents
        } else {
            Scope::Events
        };
        validate(filter, scope)
            .unwrap_or_else(|e| panic!("{filter:?} ({scope}):\n{}", list(e.diagnostics(), filter)));
        n += 1;
    }
    assert!(n >= 12);
}

/// Match cases that the spec says warn do warn (and only with warnings).
#[test]
fn match_cases_that_the_spec_says_warn_do() {
    for (filter, code) in [
        ("platform:'win'", "unknown-value"),
        (
            "action:Create OR action:Delete AND platform:LINUX",
            "mixed-and-or",
        ),
        (
            "dateTime:['2022-12-01'..'2022-12-16']",
            "date-only-upper-bound",
        ),
        ("asset.tagNames: cloud agent", "unquoted-spaces"),
        (
            "(profiles.name: windows profile* OR action:Rename)",
            "unquoted-spaces",
        ),
    ] {
        let ok = validate(filter, Scope::Events).unwrap();
        assert!(
            ok.warnings.iter().any(|d| d.code.as_str() == code),
            "{filter:?}: {:?}",
            ok.warnings
        );
    }
    // A wildcard value that matches a known value does not warn.
    assert!(
        validate("action:Cr*", Scope::Events)
            .unwrap()
            .warnings
            .is_empty()
    );
}
