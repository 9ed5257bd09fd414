//! One `Options` reaches every stage: a limit set once is enforced by parse, validate, compile,
//! translate and request check alike, and so are the scope, the catalog and the switches.

use fimql::catalog::{TokenDef, TokenType};
use fimql::translate::Engine;
use fimql::{
    Catalog, Code, Options, Scope, check_request_with, compile, parse_with, translate,
    validate_with,
};

/// The codes every stage reports for `filter` with `opts` (empty when it accepts it).
fn codes_by_stage(filter: &str, opts: &Options) -> Vec<(&'static str, Vec<Code>)> {
    let codes = |r: Result<(), fimql::Diagnostics>| match r {
        Ok(()) => Vec::new(),
        Err(e) => e.diagnostics().iter().map(|d| d.code).collect(),
    };
    let body = serde_json::json!({ "filter": filter }).to_string();
    let report = check_request_with(&body, None, opts);
    vec![
        ("parse", codes(parse_with(filter, opts).map(drop))),
        ("validate", codes(validate_with(filter, opts).map(drop))),
        ("compile", codes(compile(filter, opts).map(drop))),
        (
            "translate",
            codes(translate(filter, Engine::DuckDb, opts).map(drop)),
        ),
        (
            "request check",
            report
                .findings
                .iter()
                .filter(|f| f.is_error())
                .map(|f| f.diagnostic.code)
                .collect(),
        ),
    ]
}

#[test]
fn a_depth_limit_set_once_is_enforced_by_every_stage() {
    let opts = Options::new(Scope::Events).max_depth(2);
    for (stage, codes) in codes_by_stage("((action:Create))", &opts) {
        assert!(
            codes.is_empty(),
            "{stage} refuses depth 2 under a limit of 2: {codes:?}"
        );
    }
    for (stage, codes) in codes_by_stage("(((action:Create)))", &opts) {
        assert_eq!(codes, [Code::TooDeep], "{stage}");
    }
}

#[test]
fn a_length_limit_set_once_is_enforced_by_every_stage() {
    let opts = Options::new(Scope::Events).max_len(12);
    for (stage, codes) in codes_by_stage("action:Create", &opts) {
        assert_eq!(codes, [Code::TooLong], "{stage}");
    }
    for (stage, codes) in codes_by_stage("severity:4", &opts) {
        assert!(codes.is_empty(), "{stage}: {codes:?}");
    }
}

#[test]
fn the_catalog_scope_and_switches_reach_every_stage() {
    let mut catalog = Catalog::builtin();
    catalog.add(
        Scope::Events,
        TokenDef::new("file.owner", TokenType::Text, "owner"),
    );
    let with_owner = Options::new(Scope::Events).catalog(catalog);
    for (stage, codes) in codes_by_stage("file.owner:root", &with_owner) {
        if stage != "parse" {
            assert!(
                codes.is_empty(),
                "{stage} does not see the added token: {codes:?}"
            );
        }
    }
    for (stage, codes) in codes_by_stage("file.owner:root", &Options::default()) {
        if stage != "parse" {
            assert_eq!(codes, [Code::UnknownToken], "{stage}");
        }
    }
    // Warnings as errors: an unknown enum value stops every stage that validates.
    let strict = Options::default().deny_warnings(true);
    for (stage, codes) in codes_by_stage("action:Creat", &strict) {
        if stage != "parse" {
            assert_eq!(codes, [Code::UnknownValue], "{stage}");
        }
    }
    // The scope: `status` is an incidents token.
    let incidents = Options::new(Scope::Incidents);
    assert!(validate_with("status:OPEN", &incidents).is_ok());
    assert!(compile("status:OPEN", &incidents).is_ok());
    assert!(validate_with("status:OPEN", &Options::default()).is_err());
}
