//! Validation: the human rendering of each diagnostic code, options, one-pass reporting, the JSON
//! form, and the `--fix` rewrites.

use fimql::catalog::{Catalog, Scope};
use fimql::date::{FilterDate, Instant};
use fimql::validate::{fix_aliases, quote_spaced_values};
use fimql::{Diagnostic, Options, Severity, parse, validate, validate_query, validate_with};
use serde_json::json;

fn at(s: &str) -> Instant {
    FilterDate::parse(s).unwrap().fixed().unwrap()
}

/// Every diagnostic of a filter with these options (the filter must parse).
fn diags_with(filter: &str, opts: &Options) -> Vec<Diagnostic> {
    let q = parse(filter).unwrap_or_else(|e| panic!("{filter:?}: {}", e.render(filter)));
    validate_query(&q, opts)
}

fn diags(filter: &str) -> Vec<Diagnostic> {
    diags_with(filter, &Options::default())
}

fn codes(filter: &str) -> Vec<&'static str> {
    diags(filter).iter().map(|d| d.code.as_str()).collect()
}

/// The rendering of the only diagnostic of a filter.
fn render_one(filter: &str, opts: &Options) -> String {
    let ds = diags_with(filter, opts);
    assert_eq!(ds.len(), 1, "{filter:?}: {ds:?}");
    ds[0].render(filter).to_string()
}

fn render(filter: &str) -> String {
    render_one(filter, &Options::default())
}

#[test]
fn unknown_token_renders_with_the_closest_name() {
    assert_eq!(
        render("actoin:Create"),
        "\
error[unknown-token]: unknown token `actoin` in scope events
 --> 1:1
  |
  | actoin:Create
  | ^^^^^^
  = help: did you mean `action`?
"
    );
}

#[test]
fn unknown_token_of_the_other_scope_says_which_scope() {
    assert_eq!(
        render("status:OPEN"),
        "\
error[unknown-token]: unknown token `status` in scope events
 --> 1:1
  |
  | status:OPEN
  | ^^^^^^
  = help: `status` is an incidents token; use scope incidents
"
    );
    let ds = diags_with(
        "action:Content",
        &Options::default().scope(Scope::Incidents),
    );
    assert_eq!(ds.len(), 1);
    assert_eq!(
        ds[0].help.as_deref(),
        Some("`action` is an events token; use scope events")
    );
}

#[test]
fn unknown_token_help_for_case_and_for_no_close_name() {
    assert_eq!(
        diags("Action:Create")[0].help.as_deref(),
        Some("token names are case-sensitive: did you mean `action`?")
    );
    assert_eq!(
        diags("hidden:Added")[0].help.as_deref(),
        Some("did you mean `file.attribute.hidden`?")
    );
    assert_eq!(
        diags("zzzz:1")[0].help.as_deref(),
        Some(
            "no events token has a similar name (see `fimql tokens`); to read `zzzz` as a raw JSON path, allow unknown tokens"
        )
    );
}

#[test]
fn type_mismatch_renders_integer_fix() {
    assert_eq!(
        render("severity>=4.0"),
        "\
error[type-mismatch]: `severity` takes an integer, found `4.0`
 --> 1:11
  |
  | severity>=4.0
  |           ^^^
  = help: write `severity>=4`
"
    );
}

#[test]
fn type_mismatch_renders_a_range_on_an_enum() {
    assert_eq!(
        render("action:[Create..Delete]"),
        "\
error[type-mismatch]: `action` is an enum token; ranges apply only to integer and date tokens
 --> 1:8
  |
  | action:[Create..Delete]
  |        ^^^^^^^^^^^^^^^^
  = help: to match any of several values use a list: `action:[Create, Delete]`
"
    );
}

#[test]
fn type_mismatch_cases() {
    // (filter, start, end) of the single type-mismatch.
    for (filter, start, end) in [
        ("severity:high", 9, 13),
        ("severity:+4", 9, 11),
        ("severity:4.0", 9, 12),
        ("severity:'4.5'", 9, 14),
        ("baseline:maybe", 9, 14),
        ("baseline:tru*", 9, 13),
        ("severity:4*", 9, 11),
        ("dateTime:2023*", 9, 14),
        ("action:[Create..Delete]", 7, 23),
        ("file.name:[a..b]", 10, 16),
        ("id:[a..*]", 3, 9),
        ("baseline:[true..false]", 9, 22),
        ("action>Create", 6, 13),
        ("file.name<=x", 9, 12),
        ("severity:[4, high]", 13, 17),
        ("severity:(4 OR x)", 15, 16),
        ("severity:[1..x]", 13, 14),
    ] {
        let ds = diags(filter);
        assert_eq!(ds.len(), 1, "{filter:?}: {ds:?}");
        assert_eq!(ds[0].code.as_str(), "type-mismatch", "{filter:?}");
        assert_eq!(ds[0].severity, Severity::Error, "{filter:?}");
        assert_eq!(
            (ds[0].span.start, ds[0].span.end),
            (start, end),
            "{filter:?}"
        );
        assert!(ds[0].help.is_some(), "{filter:?}");
    }
    assert_eq!(
        diags("severity:+4")[0].help.as_deref(),
        Some("write `severity:4`")
    );
    assert_eq!(
        diags("baseline:maybe")[0].help.as_deref(),
        Some("write `baseline:true` or `baseline:false`")
    );
    assert_eq!(
        diags("severity:99999999999999999999")[0].message,
        "`99999999999999999999` is too large for `severity`"
    );
}

#[test]
fn quoting_does_not_change_integer_boolean_and_date_values() {
    for filter in [
        "severity:'4'",
        "severity:\"-4\"",
        "severity:`4`",
        "baseline:'TRUE'",
        "baseline:`false`",
        "dateTime:`2023-01-01`",
        "dateTime:2023-01-01",
        "dateTime>now-7d",
        "severity:[1..*]",
        "severity:[4, 5]",
        "actor.processID:(1 OR 2)",
        "createdBy.date:1671188983383",
    ] {
        let scope = if filter.starts_with("createdBy") {
            Scope::Incidents
        } else {
            Scope::Events
        };
        let ds = diags_with(filter, &Options::default().scope(scope));
        assert!(ds.is_empty(), "{filter:?}: {ds:?}");
    }
}

#[test]
fn empty_range_renders_with_resolved_now_bounds() {
    let opts = Options::default().now(at("2023-01-10T12:00:00Z"));
    assert_eq!(
        render_one("dateTime:[now..now-1d]", &opts),
        "\
error[empty-range]: this range matches nothing: its lower bound `now` (2023-01-10T12:00:00Z) is after its upper bound `now-1d` (2023-01-09T12:00:00Z)
 --> 1:10
  |
  | dateTime:[now..now-1d]
  |          ^^^^^^^^^^^^^
  = help: swap the bounds: `dateTime:[now-1d..now]`
"
    );
    // Without a clock, relative bounds are not compared.
    assert!(diags("dateTime:[now..now-1d]").is_empty());
    // Fixed bounds and integers are compared without a clock; equal bounds are fine.
    assert_eq!(codes("severity:[5..1]"), ["empty-range"]);
    assert_eq!(
        diags("severity:[5..1]")[0].help.as_deref(),
        Some("swap the bounds: `severity:[1..5]`")
    );
    assert!(diags("severity:[3..3]").is_empty());
    assert_eq!(
        codes("dateTime:['2023-01-02T00:00:00Z'..'2023-01-01T00:00:00Z']"),
        ["empty-range"]
    );
    assert!(diags("dateTime:['2023-01-01T05:00:00+05:00'..'2023-01-01T00:00:00Z']").is_empty());
    // A fixed bound against `now` needs the clock.
    assert!(diags("dateTime:['2030-01-01T00:00:00Z'..now]").is_empty());
    assert_eq!(
        diags_with("dateTime:['2030-01-01T00:00:00Z'..now]", &opts)[0]
            .code
            .as_str(),
        "empty-range"
    );
}

#[test]
fn invalid_date_renders_the_position() {
    assert_eq!(
        render("dateTime:'2023-02-30'"),
        "\
error[invalid-date]: `dateTime` takes a date; `2023-02-30` is not one: 2023-02-30 is not a date (day 30 out of range) at character 9
 --> 1:10
  |
  | dateTime:'2023-02-30'
  |          ^^^^^^^^^^^^
  |                   - here
  = help: write a date as `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS.fffZ`, as epoch milliseconds, or relative as `now-7d`
"
    );
}

#[test]
fn invalid_date_with_a_line_break_from_a_pdf() {
    let filter = "dateTime:['2022-12-\n16T09:29:59.999Z'..'2022-12-17T00:00:00Z']";
    assert_eq!(
        render(filter),
        "\
error[invalid-date]: `dateTime` takes a date; `2022-12-\\n16T09:29:59.999Z` is not one: expected a day (YYYY-MM-DD), found a line break at character 9
 --> 1:11
  |
1 | dateTime:['2022-12-
  |           ^^^^^^^^^
2 | 16T09:29:59.999Z'..'2022-12-17T00:00:00Z']
  | ^^^^^^^^^^^^^^^^^
1 | dateTime:['2022-12-
  |                    - here
  = help: remove the line break (copied from a PDF?): `'2022-12-16T09:29:59.999Z'`
"
    );
    let d = &diags(filter)[0];
    // The label sits on the line break itself.
    assert_eq!(d.labels[0].span.start, filter.find('\n').unwrap());
}

#[test]
fn invalid_date_cases() {
    for (filter, start, end) in [
        ("dateTime:'yesterday'", 9, 20),
        ("dateTime:['2022-13-01'..'2022-12-17T00:00:00Z']", 10, 22),
        ("dateTime>now-7", 9, 14),
        ("processedTime:'2023-01-01 10:00'", 14, 32),
        ("dateTime:[2023-01-01, nope]", 22, 26),
    ] {
        let ds = diags(filter);
        assert_eq!(ds.len(), 1, "{filter:?}: {ds:?}");
        assert_eq!(ds[0].code.as_str(), "invalid-date", "{filter:?}");
        assert_eq!(
            (ds[0].span.start, ds[0].span.end),
            (start, end),
            "{filter:?}"
        );
    }
    assert_eq!(
        diags("dateTime:'yesterday'")[0].help.as_deref(),
        Some("relative dates count from `now`, e.g. `now-1d` for one day ago")
    );
    assert!(
        diags("dateTime:'2022-13-01'")[0]
            .message
            .contains("month 13")
    );
}

#[test]
fn unknown_value_renders_the_known_values() {
    assert_eq!(
        render("file.attribute.hidden:Maybe"),
        "\
warning[unknown-value]: `Maybe` is not a known value of `file.attribute.hidden`
 --> 1:23
  |
  | file.attribute.hidden:Maybe
  |                       ^^^^^
  = help: known values: Added, Removed
"
    );
}

#[test]
fn unknown_value_is_case_insensitive_and_understands_wildcards() {
    for filter in [
        "action:create",
        "action:CREATE",
        "action:`create`",
        "action:'Content'",
        "platform:linux",
        "action:Cr*",
        "action:*te",
        "action:?reate",
        "profiles.rules.type:DIRECTORY",
        "action:[Create, delete]",
    ] {
        assert!(diags(filter).is_empty(), "{filter:?}: {:?}", diags(filter));
    }
    for (filter, help) in [
        ("action:Creat", "did you mean `Create`?"),
        ("platform:'win'", "did you mean `WINDOWS`?"),
        (
            "action:Zz*",
            "known values: Create, Delete, Content, Rename, Attributes, Security",
        ),
        // Quoted, the star is literal.
        (
            "action:'Cr*'",
            "known values: Create, Delete, Content, Rename, Attributes, Security",
        ),
        ("action:[Create, Delte]", "did you mean `Delete`?"),
    ] {
        let ds = diags(filter);
        assert_eq!(ds.len(), 1, "{filter:?}: {ds:?}");
        assert_eq!(ds[0].code.as_str(), "unknown-value");
        assert_eq!(ds[0].severity, Severity::Warning);
        assert_eq!(ds[0].help.as_deref(), Some(help), "{filter:?}");
    }
    let ds = diags_with(
        "dispositionCategory:MALWAR",
        &Options::default().scope(Scope::Incidents),
    );
    assert_eq!(ds[0].help.as_deref(), Some("did you mean `MALWARE`?"));
}

#[test]
fn date_before_2017_renders() {
    assert_eq!(
        render("dateTime>='2016-12-31'"),
        "\
warning[date-before-2017]: `2016-12-31` is before 2017-01-01; the FIM API rejects earlier dates
 --> 1:11
  |
  | dateTime>='2016-12-31'
  |           ^^^^^^^^^^^^
  = help: use a date on or after 2017-01-01 for `dateTime`
"
    );
    assert!(diags("dateTime>='2017-01-01'").is_empty());
    assert_eq!(
        codes("dateTime:'2016-06-01T00:00:00Z'"),
        ["date-before-2017"]
    );
    // Relative dates only with a clock.
    assert!(diags("dateTime>now-10y").is_empty());
    let opts = Options::default().now(at("2023-01-10T12:00:00Z"));
    let ds = diags_with("dateTime>now-10y", &opts);
    assert_eq!(ds.len(), 1);
    assert_eq!(
        ds[0].message,
        "`now-10y` is 2013-01-10T12:00:00Z, before 2017-01-01; the FIM API rejects earlier dates"
    );
}

#[test]
fn date_only_upper_bound_renders() {
    assert_eq!(
        render("dateTime<='2023-01-31'"),
        "\
warning[date-only-upper-bound]: `<=` with the date-only `2023-01-31` means up to 2023-01-31T00:00:00Z and leaves out the rest of that day
 --> 1:11
  |
  | dateTime<='2023-01-31'
  |           ^^^^^^^^^^^^
  = help: to include all of 2023-01-31 write `dateTime<'2023-02-01'`
"
    );
    assert_eq!(
        render("dateTime:['2023-01-01'..'2023-01-31']"),
        "\
warning[date-only-upper-bound]: the date-only upper bound `2023-01-31` means 2023-01-31T00:00:00Z and leaves out the rest of that day
 --> 1:25
  |
  | dateTime:['2023-01-01'..'2023-01-31']
  |                         ^^^^^^^^^^^^
  = help: to include all of 2023-01-31 end the range with `'2023-01-31T23:59:59.999Z'`
"
    );
    for quiet in [
        "dateTime<'2023-01-31'",
        "dateTime>='2023-01-31'",
        "dateTime:'2023-01-31'",
        "dateTime:['2023-01-31'..*]",
        "dateTime:['2023-01-01'..'2023-01-31T23:59:59.999Z']",
    ] {
        assert!(diags(quiet).is_empty(), "{quiet:?}: {:?}", diags(quiet));
    }
}

#[test]
fn unquoted_spaces_renders_the_quoted_form() {
    assert_eq!(
        render("profiles.name: Windows Profile - PCI(NJJ)"),
        "\
warning[unquoted-spaces]: the value `Windows Profile - PCI(NJJ)` has spaces but no quotes
 --> 1:16
  |
  | profiles.name: Windows Profile - PCI(NJJ)
  |                ^^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: quote it: `profiles.name:'Windows Profile - PCI(NJJ)'` (quoted, it is a phrase: it matches any value that contains it); to keep the whole-value match, escape the spaces: `profiles.name:Windows\\ Profile\\ -\\ PCI(NJJ)`
"
    );
    let ds = diags("profiles.name: windows profile*");
    assert_eq!(
        ds[0].help.as_deref(),
        Some(
            "quotes would make `*` and `?` literal; to keep the wildcards escape the spaces: `profiles.name:windows\\ profile*`"
        )
    );
    // An escaped space is meant.
    assert!(diags("file.name:a\\ b").is_empty());
}

#[test]
fn mixed_and_or_is_copied_from_the_parser() {
    assert_eq!(
        render("action:Create OR action:Delete AND platform:LINUX"),
        "\
warning[mixed-and-or]: AND and OR are mixed without parentheses
 --> 1:1
  |
  | action:Create OR action:Delete AND platform:LINUX
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: AND binds tighter than OR here, but Qualys does not document precedence; say what you mean with parentheses: `action:Create OR (action:Delete AND platform:LINUX)`
"
    );
    assert!(diags("(action:Create OR action:Delete) AND platform:LINUX").is_empty());
}

#[test]
fn deny_warnings_makes_every_warning_an_error_with_the_same_code() {
    let strict = Options::default().deny_warnings(true);
    assert_eq!(
        render_one("action:Creat", &strict),
        "\
error[unknown-value]: `Creat` is not a known value of `action`
 --> 1:8
  |
  | action:Creat
  |        ^^^^^
  = help: did you mean `Create`?
"
    );
    let filter = "action:Creat OR action:Delete AND dateTime<='2016-01-01'";
    let ds = diags_with(filter, &strict);
    let got: Vec<_> = ds.iter().map(|d| (d.code.as_str(), d.severity)).collect();
    assert_eq!(
        got,
        [
            ("mixed-and-or", Severity::Error),
            ("unknown-value", Severity::Error),
            ("date-before-2017", Severity::Error),
            ("date-only-upper-bound", Severity::Error),
        ]
    );
    // The one-call API rejects it, and accepts it without the option.
    let err = validate_with(filter, &strict).unwrap_err();
    assert_eq!(err.diagnostics(), ds.as_slice());
    let ok = validate(filter, Scope::Events).unwrap();
    assert_eq!(ok.warnings.len(), 4);
    assert!(ok.warnings.iter().all(|d| d.severity == Severity::Warning));
}

#[test]
fn allow_unknown_accepts_unknown_tokens_as_text() {
    let loose = Options::default().allow_unknown(true);
    for filter in ["data.custom.flag:yes", "foo:*", "sortValues:'x y'"] {
        assert!(
            diags_with(filter, &loose).is_empty(),
            "{filter:?}: {:?}",
            diags_with(filter, &loose)
        );
        assert_eq!(codes(filter), ["unknown-token"], "{filter:?}");
    }
    // Typed as text: a range is a type mismatch, spaces still warn, known tokens still checked.
    let ds = diags_with("foo:[1..2] AND bar: a b AND severity:x", &loose);
    let got: Vec<_> = ds.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(got, ["type-mismatch", "unquoted-spaces", "type-mismatch"]);
    assert_eq!(
        ds[0].message,
        "`foo` is a text token; ranges apply only to integer and date tokens"
    );
    assert!(validate_with("x.y:1", &loose).is_ok());
}

#[test]
fn all_problems_are_reported_in_one_pass_sorted() {
    let filter = "actoin:Create AND severity:high AND dateTime:'2023-02-30'";
    let err = validate(filter, Scope::Events).unwrap_err();
    let got: Vec<_> = err
        .diagnostics()
        .iter()
        .map(|d| (d.code.as_str(), d.span.start, d.span.end))
        .collect();
    assert_eq!(
        got,
        [
            ("unknown-token", 0, 6),
            ("type-mismatch", 27, 31),
            ("invalid-date", 45, 57),
        ]
    );

    // Errors and warnings together, in span order; Err carries the warnings too.
    let filter = "action:Creat OR severity:[5..1] AND file.attribute.hidden:Maybe";
    let err = validate(filter, Scope::Events).unwrap_err();
    let got: Vec<_> = err
        .diagnostics()
        .iter()
        .map(|d| (d.code.as_str(), d.severity))
        .collect();
    assert_eq!(
        got,
        [
            ("mixed-and-or", Severity::Warning),
            ("unknown-value", Severity::Warning),
            ("empty-range", Severity::Error),
            ("unknown-value", Severity::Warning),
        ]
    );
    let text = err.render(filter);
    let heads = text
        .lines()
        .filter(|l| l.starts_with("error[") || l.starts_with("warning["))
        .count();
    assert_eq!(heads, 4, "{text}");
}

#[test]
fn syntax_errors_come_through_the_one_call_api() {
    let err = validate("(action:Create", Scope::Events).unwrap_err();
    assert_eq!(err.diagnostics()[0].code.as_str(), "unclosed-paren");
    let err = validate("", Scope::Incidents).unwrap_err();
    assert_eq!(err.diagnostics()[0].code.as_str(), "empty-filter");
}

#[test]
fn validated_holds_the_query_and_warnings() {
    let ok = validate("asset.tagNames: cloud agent", Scope::Events).unwrap();
    assert_eq!(ok.warnings.len(), 1);
    assert_eq!(ok.warnings[0].code.as_str(), "unquoted-spaces");
    assert_eq!(ok.query.to_string(), "asset.tagNames:cloud agent");
    let clean = validate("status:CLOSED", Scope::Incidents).unwrap();
    assert!(clean.warnings.is_empty());
    assert_eq!(clean.into_query().to_string(), "status:CLOSED");
}

#[test]
fn options_default_and_builder() {
    let d = Options::default();
    assert_eq!(d.scope, Scope::Events);
    assert_eq!(d.now, None);
    assert!(!d.deny_warnings && !d.allow_unknown);
    let now = at("2023-01-10T12:00:00Z");
    let o = Options::default()
        .scope(Scope::Incidents)
        .now(now)
        .deny_warnings(true)
        .allow_unknown(true);
    assert_eq!(
        (o.scope, o.now, o.deny_warnings, o.allow_unknown),
        (Scope::Incidents, Some(now), true, true)
    );
}

#[test]
fn diagnostics_serialize_to_json() {
    let filter = "dateTime:'2023-02-30' AND platform:'win'";
    let err = validate(filter, Scope::Events).unwrap_err();
    let ds = err.diagnostics();
    assert_eq!(
        serde_json::to_value(&ds[0]).unwrap(),
        json!({
            "severity": "error",
            "code": "invalid-date",
            "message": "`dateTime` takes a date; `2023-02-30` is not one: 2023-02-30 is not a date (day 30 out of range) at character 9",
            "span": {"start": 9, "end": 21},
            "help": "write a date as `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS.fffZ`, as epoch milliseconds, or relative as `now-7d`",
            "labels": [{"span": {"start": 18, "end": 19}, "message": "here"}]
        })
    );
    assert_eq!(
        serde_json::to_value(&ds[1]).unwrap(),
        json!({
            "severity": "warning",
            "code": "unknown-value",
            "message": "`win` is not a known value of `platform`",
            "span": {"start": 35, "end": 40},
            "help": "did you mean `WINDOWS`?"
        })
    );
    // With line and column, as one array.
    let all = err.to_json(filter);
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[1]["line"], 1);
    assert_eq!(all[1]["column"], 36);
    // Round trip.
    let text = serde_json::to_string(ds).unwrap();
    let back: Vec<Diagnostic> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, ds);
    // Codes serialize as their stable names.
    for d in ds {
        assert_eq!(serde_json::to_value(d.code).unwrap(), d.code.as_str());
    }
}

#[test]
fn fix_aliases_rewrites_to_canonical_names() {
    let src = "file.attribute.readOnly:`Removed` AND asset.tag.name:'Windows Workstations' \
               AND profile.rule.id:x AND (profile.name:\"pci\" OR unknown.thing:1)";
    let mut q = parse(src).unwrap();
    let catalog = Catalog::builtin();
    assert_eq!(fix_aliases(&mut q, &catalog, Scope::Events), 4);
    let fixed = q.to_string();
    assert_eq!(
        fixed,
        "file.attribute.readonly:`Removed` AND asset.tagNames:'Windows Workstations' \
         AND profiles.rules.id:x AND (profiles.name:\"pci\" OR unknown.thing:1)"
    );
    // Idempotent, and the fixed filter means the same to validation.
    assert_eq!(fix_aliases(&mut q, &catalog, Scope::Events), 0);
    let codes: Vec<_> = validate(&fixed, Scope::Events)
        .unwrap_err()
        .diagnostics()
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, ["unknown-token"]);
    // Aliases are per scope: the incidents scope has none of these.
    let mut q = parse("file.attribute.readOnly:`Removed`").unwrap();
    assert_eq!(fix_aliases(&mut q, &catalog, Scope::Incidents), 0);
    assert_eq!(q.to_string(), "file.attribute.readOnly:`Removed`");
}

#[test]
fn quote_spaced_values_quotes_multi_word_values() {
    let src = "profiles.name: Windows Profile - PCI(NJJ) AND asset.tagNames: cloud agent \
               AND file.name:'a b' AND action:Create";
    let mut q = parse(src).unwrap();
    assert_eq!(quote_spaced_values(&mut q), 2);
    let fixed = q.to_string();
    assert_eq!(
        fixed,
        "profiles.name:'Windows Profile - PCI(NJJ)' AND asset.tagNames:'cloud agent' \
         AND file.name:'a b' AND action:Create"
    );
    assert!(validate(&fixed, Scope::Events).unwrap().warnings.is_empty());
    assert_eq!(quote_spaced_values(&mut q), 0);

    // Escapes survive: the quoted value means the same text.
    let mut q = parse(r"profiles.name: O\'Brien group").unwrap();
    assert_eq!(quote_spaced_values(&mut q), 1);
    assert_eq!(q.to_string(), r"profiles.name:'O\'Brien group'");
    let again = parse(&q.to_string()).unwrap();
    let fimql::ast::ExprKind::Term(t) = &again.expr.kind else {
        panic!()
    };
    assert_eq!(t.predicate.values()[0].text(), "O'Brien group");

    // Wildcards are kept by escaping the spaces instead of quoting.
    let mut q = parse("(profiles.name: windows profile* OR action:Rename)").unwrap();
    assert_eq!(quote_spaced_values(&mut q), 1);
    let fixed = q.to_string();
    assert_eq!(fixed, r"profiles.name:windows\ profile* OR action:Rename");
    let again = parse(&fixed).unwrap();
    let fimql::ast::ExprKind::Or(xs) = &again.expr.kind else {
        panic!()
    };
    let fimql::ast::ExprKind::Term(t) = &xs[0].kind else {
        panic!()
    };
    let v = t.predicate.values()[0];
    assert!(v.has_wildcards());
    assert_eq!(v.text(), "windows profile*");
    assert!(validate(&fixed, Scope::Events).unwrap().warnings.is_empty());
}

#[test]
fn a_long_unknown_token_is_cut_in_its_message() {
    let name = "a".repeat(100_000);
    let d = diags(&format!("{name}:x"))
        .into_iter()
        .find(|d| d.code == fimql::Code::UnknownToken)
        .expect("unknown-token");
    assert_eq!(
        d.message,
        format!("unknown token `{}…` in scope events", "a".repeat(60))
    );
    assert!(
        d.help.as_deref().is_some_and(|h| h.len() < 300),
        "{:?}",
        d.help
    );
    // The span still covers the whole name.
    assert_eq!((d.span.start, d.span.end), (0, 100_000));
}
