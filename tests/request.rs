//! Request checking: the release notes' sample bodies pass, broken bodies are reported with the
//! JSON path and, for filters, the filter's own diagnostic.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use fimql::error::Stage;
use fimql::request::Finding;
use fimql::request::{
    ApprovalStatus, ChangeType, ClockTime, CorrelationRule, CountResponse, DispositionCategory,
    EventHit, Incident, IncidentStatus, Request, RequestKind, RequestReport, check_request,
    check_request_with,
};
use fimql::{Catalog, Scope};
use fimql::{Code, Options, Severity};

fn data(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/requests")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// The samples are from mid 2023; fix the clock there so that `fixDate` is not in the past.
fn opts() -> Options {
    let now: DateTime<Utc> = "2023-06-01T00:00:00Z".parse().unwrap();
    Options::default().now(now)
}

fn check(json: &str, kind: Option<RequestKind>) -> RequestReport {
    check_request_with(json, kind, &opts())
}

fn codes(r: &RequestReport) -> Vec<(Severity, Code, String)> {
    r.findings
        .iter()
        .map(|f| (f.diagnostic.severity, f.diagnostic.code, f.path.clone()))
        .collect()
}

/// The line, the column and the text of the line where a finding's span starts in its source.
fn location(f: &Finding) -> (usize, usize, &str) {
    let src = f.source.as_deref().expect("the finding points into text");
    let (line, column) = f.diagnostic.span.line_col(src);
    let text = src.split('\n').nth(line - 1).unwrap_or("");
    (line, column, text.trim_end_matches('\r'))
}

/// The only error of a report.
fn only_error(r: &RequestReport) -> &Finding {
    let errors: Vec<_> = r.findings.iter().filter(|f| f.is_error()).collect();
    assert_eq!(errors.len(), 1, "{}", r.render());
    errors[0]
}

/// (file, kind it is detected as, kind of the endpoint the release notes send it to)
const SEEDS: &[(&str, RequestKind, RequestKind)] = &[
    (
        "incident-approve.json",
        RequestKind::IncidentApprove,
        RequestKind::IncidentApprove,
    ),
    (
        "correlation-rule-create.json",
        RequestKind::CorrelationRuleCreate,
        RequestKind::CorrelationRuleCreate,
    ),
    (
        "correlation-rule-update.json",
        RequestKind::CorrelationRuleUpdate,
        RequestKind::CorrelationRuleUpdate,
    ),
    (
        "incident-create.json",
        RequestKind::IncidentCreate,
        RequestKind::IncidentCreate,
    ),
    (
        "event-search.json",
        RequestKind::EventSearch,
        RequestKind::EventSearch,
    ),
    (
        "event-ignore-search.json",
        RequestKind::EventSearch,
        RequestKind::EventSearch,
    ),
    (
        "event-count.json",
        RequestKind::EventCount,
        RequestKind::EventCount,
    ),
    (
        "event-ignore-count.json",
        RequestKind::EventSearch,
        RequestKind::EventCount,
    ),
    (
        "incident-event-count.json",
        RequestKind::EventSearch,
        RequestKind::EventCount,
    ),
    (
        "incident-event-search.json",
        RequestKind::EventSearch,
        RequestKind::EventSearch,
    ),
];

#[test]
fn every_seed_sample_passes_detected_and_given() {
    for &(file, detected, endpoint) in SEEDS {
        let json = data(&format!("seed/{file}"));
        let r = check(&json, None);
        assert_eq!(r.kind, Some(detected), "{file}");
        assert!(r.kind_detected, "{file}");
        assert!(r.findings.is_empty(), "{file}:\n{}", r.render());
        assert_eq!(r.request.as_ref().map(Request::kind), Some(detected));

        let r = check(&json, Some(endpoint));
        assert!(!r.kind_detected);
        assert!(
            r.findings.is_empty(),
            "{file} as {endpoint}:\n{}",
            r.render()
        );
        assert!(!r.has_errors());
    }
}

#[test]
fn seed_samples_read_into_the_typed_models() {
    let r = check(&data("seed/correlation-rule-create.json"), None);
    let Some(Request::CorrelationRuleCreate(rule)) = r.request else {
        panic!("{}", r.render())
    };
    assert_eq!(rule.rule_name, "Testing_reviwerField");
    assert_eq!(rule.approval_status, Some(ApprovalStatus::Pending));
    assert_eq!(rule.change_type, Some(ChangeType::NormalChange));
    assert_eq!(
        rule.disposition_category,
        Some(DispositionCategory::DisregardOfOrganizationalPolicy)
    );
    assert_eq!(rule.start_time, ClockTime::new(12, 0, 0).unwrap());
    assert_eq!(rule.fix_date.unwrap().to_string(), "2023-06-04");
    assert_eq!(
        rule.reviewers,
        ["Patrick williams", "user_patrick@qualys.com"]
    );

    // Serializing gives back the body (same members and values).
    let original: serde_json::Value =
        serde_json::from_str(&data("seed/correlation-rule-create.json")).unwrap();
    let again = serde_json::to_value(Request::CorrelationRuleCreate(rule)).unwrap();
    assert_eq!(again, original);

    let r = check(&data("seed/incident-create.json"), None);
    let Some(req) = r.request else { panic!() };
    assert_eq!(
        req.filters(),
        vec![(
            "filters[0]".to_string(),
            "dateTime: ['2020-01-14T18:30:00.000Z'..'2022-12-16T09:29:59.999Z'] and action:`Create`",
            Scope::Events
        )]
    );
}

#[test]
fn the_update_sample_as_printed_is_invalid_json_at_the_double_brace() {
    let r = check(&data("as-printed/correlation-rule-update.json"), None);
    let f = only_error(&r);
    assert_eq!(f.diagnostic.code, Code::InvalidJson);
    assert_eq!(f.path, "");
    // The span is the byte where reading stopped, in the body.
    assert_eq!(
        f.source.as_deref(),
        Some(&*data("as-printed/correlation-rule-update.json"))
    );
    assert_eq!(f.diagnostic.span.start, 5);
    assert_eq!(location(f), (1, 6, "    {{"));
    assert!(
        r.render().starts_with(
            "request: kind unknown\n\
             \n\
             in the request body:\n\
             error[invalid-json]: the request is not valid JSON: key must be a string\n \
             --> 1:6\n  \
             |\n\
             1 |     {{\n  \
             |      ^\n"
        ),
        "{}",
        r.render()
    );
    let j = r.to_json();
    assert_eq!(j["findings"][0]["code"], "invalid-json");
    assert_eq!(j["findings"][0]["path"], "");
    assert_eq!(j["findings"][0]["line"], 1);
    assert_eq!(j["findings"][0]["column"], 6);
    assert_eq!(j["findings"][0]["span"]["start"], 5);
    assert_eq!(j["kind"], serde_json::Value::Null);
}

#[test]
fn the_incident_sample_as_printed_breaks_a_string_with_a_line_break() {
    let json = data("as-printed/incident-create.json");
    let r = check(&json, None);
    let f = only_error(&r);
    assert_eq!(f.diagnostic.code, Code::InvalidJson);
    // The line break right after `'2022-12-` on line 7.
    let (line, column, text) = location(f);
    assert_eq!(line, 7);
    assert_eq!(
        text,
        "    \"dateTime: ['2020-01-14T18:30:00.000Z'..'2022-12-"
    );
    assert_eq!(column, text.chars().count() + 1);
    assert!(f.diagnostic.help.as_deref().unwrap().contains("\\n"));
    // The caret stands after the last character of line 7, and the help follows.
    let rendered = f.render();
    let caret = format!("   | {}^\n", " ".repeat(text.chars().count()));
    assert!(
        rendered.contains(&format!("  --> 7:{column}\n")),
        "{rendered}"
    );
    assert!(
        rendered.contains(&format!(" 7 | {text}\n{caret}")),
        "{rendered}"
    );
    assert!(rendered.ends_with("   = help: a line break inside a JSON string must be written \\n; text copied from a PDF often carries one\n"), "{rendered}");
}

#[test]
fn a_line_break_escaped_in_json_is_an_invalid_date_inside_the_filter() {
    // The same sample with the break written `\n`: valid JSON, but the filter's date is broken.
    let json = data("seed/incident-create.json").replace("'2022-12-16T", "'2022-12-\\n16T");
    let r = check(&json, None);
    let f = only_error(&r);
    assert_eq!(f.path, "filters[0]");
    assert_eq!(f.scope, Some(Scope::Events));
    let text = f.source.as_deref().unwrap();
    assert!(text.contains("2022-12-\n16T"));
    assert_eq!(f.diagnostic.code, Code::InvalidDate);
    let start = text.find("'2022-12-").unwrap();
    assert_eq!(f.diagnostic.span.start, start);
    let rendered = f.render();
    assert!(
        rendered.starts_with("in `filters[0]`:\nerror[invalid-date]"),
        "{rendered}"
    );
}

#[test]
fn eleven_reviewers() {
    let r = check(&data("invalid/eleven-reviewers.json"), None);
    let f = only_error(&r);
    assert_eq!(
        (f.diagnostic.code, f.path.as_str()),
        (Code::TooMany, "reviewers")
    );
    assert!(
        f.diagnostic.message.contains("11"),
        "{}",
        f.diagnostic.message
    );
    assert_eq!(f.diagnostic.help.as_deref(), Some("remove 1"));
    assert!(r.has_errors());
    assert!(r.request.is_none());
}

#[test]
fn a_bad_email() {
    let r = check(&data("invalid/bad-email.json"), None);
    let f = only_error(&r);
    assert_eq!(
        (f.diagnostic.code, f.path.as_str()),
        (Code::InvalidEmail, "reviewers[1]")
    );
    assert_eq!(
        f.diagnostic.message,
        "\"testUser@@qualys.com\" is not an e-mail address: it has more than one `@`"
    );
}

#[test]
fn a_name_of_129_characters() {
    let r = check(&data("invalid/name-129-characters.json"), None);
    let f = only_error(&r);
    assert_eq!(
        (f.diagnostic.code, f.path.as_str()),
        (Code::TooLong, "name")
    );
    assert_eq!(
        f.diagnostic.message,
        "`name` is 129 characters long; it must be 1 to 128 characters long"
    );
}

#[test]
fn approval_status_done() {
    let r = check(&data("invalid/approval-status-done.json"), None);
    assert_eq!(r.kind, Some(RequestKind::IncidentApprove));
    let f = only_error(&r);
    assert_eq!(
        (f.diagnostic.code, f.path.as_str()),
        (Code::InvalidValue, "approvalStatus")
    );
    assert_eq!(
        f.diagnostic.message,
        "`DONE` is not a valid approval status; allowed: APPROVED, POLICY_VIOLATION, UNAPPROVED, PENDING"
    );
}

#[test]
fn a_syntax_error_in_filter_query() {
    let r = check(&data("invalid/filter-query-syntax-error.json"), None);
    let f = only_error(&r);
    assert_eq!(
        (f.diagnostic.code, f.path.as_str()),
        (Code::MissingOperator, "filterQuery")
    );
    assert_eq!(f.scope, Some(Scope::Events));
    assert_eq!(f.source.as_deref(), Some("action:Create severity:4"));
    assert_eq!((f.diagnostic.span.start, f.diagnostic.span.end), (14, 24));

    // Human form: the path, then the filter with a caret under `severity:4`.
    let text = r.render();
    assert!(
        text.contains(
            "in `filterQuery`:\nerror[missing-operator]: expected `AND` or `OR` between terms\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  | action:Create severity:4\n  |               ^^^^^^^^^^"),
        "{text}"
    );
    assert!(text.ends_with("1 error, 0 warnings\n"), "{text}");

    // JSON form: the path and the filter diagnostic with its span, line and column.
    let j = r.to_json();
    assert_eq!(j["kind"], "correlation-rule-create");
    assert_eq!(j["kind_detected"], true);
    assert_eq!(j["errors"], 1);
    let fj = &j["findings"][0];
    assert_eq!(fj["severity"], "error");
    assert_eq!(fj["code"], "missing-operator");
    assert_eq!(fj["path"], "filterQuery");
    assert_eq!(fj["filter"], "action:Create severity:4");
    assert_eq!(fj["scope"], "events");
    assert_eq!(fj["span"]["start"], 14);
    assert_eq!((&fj["line"], &fj["column"]), (&1.into(), &15.into()));
}

#[test]
fn the_report_round_trips_through_serde() {
    let r = check(&data("invalid/filter-query-syntax-error.json"), None);
    let json = serde_json::to_string(&r).unwrap();
    let back: RequestReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn unknown_fields_are_warnings_with_suggestions() {
    let json = r#"{"name": "n", "filter": "action:Create", "Comment": "x", "filters": ["action:Create"], "zzz": 1}"#;
    let r = check(json, None);
    assert!(!r.has_errors(), "{}", r.render());
    let warns: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.diagnostic.severity,
                f.diagnostic.code,
                f.path.as_str(),
                f.diagnostic.help.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        warns,
        vec![
            (
                Severity::Warning,
                Code::UnknownField,
                "Comment",
                Some("field names are case-sensitive: `comment`")
            ),
            (
                Severity::Warning,
                Code::UnknownField,
                "filter",
                Some("did you mean `filters`?")
            ),
            (Severity::Warning, Code::UnknownField, "zzz", None),
        ]
    );
    // Warnings alone: exit code 0, and the typed body is there.
    assert!(r.request.is_some());
}

#[test]
fn missing_and_conditionally_required_fields() {
    let r = check(r#"{"ruleName": "r"}"#, None);
    let missing: Vec<_> = r
        .with_code(Code::MissingField)
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        missing,
        [
            "filterQuery",
            "reviewers",
            "approvalType",
            "scheduleType",
            "startTime"
        ]
    );

    let r = check(
        r#"{"ruleName": "r", "filterQuery": "action:Create", "reviewers": ["a"],
            "approvalType": "AUTOMATED", "scheduleType": "ONETIME", "startTime": "10:00:00"}"#,
        None,
    );
    let missing: Vec<_> = r
        .with_code(Code::MissingField)
        .map(|f| (f.path.as_str(), f.diagnostic.message.as_str()))
        .collect();
    assert_eq!(
        missing,
        [
            (
                "approvalStatus",
                "`approvalStatus` is missing; it is required when `approvalType` is AUTOMATED"
            ),
            (
                "changeType",
                "`changeType` is missing; it is required when `approvalType` is AUTOMATED"
            ),
            (
                "comment",
                "`comment` is missing; it is required when `approvalType` is AUTOMATED"
            ),
            (
                "dispositionCategory",
                "`dispositionCategory` is missing; it is required when `approvalType` is AUTOMATED"
            ),
            (
                "endTime",
                "`endTime` is missing; it is required when `scheduleType` is ONETIME"
            ),
            (
                "fixDate",
                "`fixDate` is missing; it is required when `scheduleType` is ONETIME"
            ),
        ]
    );

    // An update without reviewers: a warning only (the sources disagree).
    let r = check(r#"{"description": "d"}"#, None);
    assert_eq!(r.kind, Some(RequestKind::CorrelationRuleUpdate));
    assert_eq!(
        codes(&r),
        [(
            Severity::Warning,
            Code::MissingField,
            "reviewers".to_string()
        )]
    );

    // Null counts as missing.
    let r = check(
        r#"{"approvalStatus": null, "changeType": "OTHER", "dispositionCategory": "OTHER"}"#,
        Some(RequestKind::IncidentApprove),
    );
    assert_eq!(
        only_error(&r).diagnostic.message,
        "`approvalStatus` is null; it is required"
    );
}

#[test]
fn enumerations() {
    let approve = |status: &str| {
        check(
            &format!(
                r#"{{"approvalStatus": "{status}", "changeType": "OTHER", "dispositionCategory": "MALWARE"}}"#
            ),
            None,
        )
    };
    for ok in ["APPROVED", "POLICY_VIOLATION", "UNAPPROVED", "PENDING"] {
        assert!(approve(ok).findings.is_empty(), "{ok}");
    }
    // `NA` is a correlation-rule value only.
    let r = approve("NA");
    assert_eq!(
        only_error(&r).diagnostic.message,
        "approval status `NA` is not allowed in this request; allowed: APPROVED, POLICY_VIOLATION, UNAPPROVED, PENDING"
    );
    assert_eq!(
        approve("pending").findings[0].diagnostic.help.as_deref(),
        Some("values are case-sensitive: write `PENDING`")
    );
    assert_eq!(
        approve("APROVED").findings[0].diagnostic.help.as_deref(),
        Some("did you mean `APPROVED`?")
    );

    // Every documented value of each enumeration reads back through serde.
    for v in ChangeType::ALL {
        let s = serde_json::to_string(v).unwrap();
        assert_eq!(s, format!("\"{}\"", v.as_str()));
        assert_eq!(serde_json::from_str::<ChangeType>(&s).unwrap(), *v);
        assert_eq!(v.as_str().parse::<ChangeType>().unwrap(), *v);
    }
    assert_eq!(DispositionCategory::ALL.len(), 16);
    assert_eq!(ChangeType::ALL.len(), 7);
    assert!("DONE".parse::<ApprovalStatus>().is_err());

    // A manual incident is always DEFAULT.
    let r = check(
        r#"{"name": "n", "filters": ["action:Create"], "type": "AUTOMATED"}"#,
        None,
    );
    let f = only_error(&r);
    assert_eq!(
        (f.diagnostic.code, f.path.as_str()),
        (Code::InvalidValue, "type")
    );
}

#[test]
fn reviewers() {
    let create = |reviewers: &str| {
        check(
            &format!(r#"{{"name": "n", "filters": ["action:Create"], "reviewers": {reviewers}}}"#),
            None,
        )
    };
    assert!(
        create(r#"["a", "b@c.de", "Patrick williams"]"#)
            .findings
            .is_empty()
    );
    assert!(create("[]").findings.is_empty());

    let r = create(r#""alice, bob@x.com""#);
    let f = only_error(&r);
    assert_eq!(
        (f.diagnostic.code, f.path.as_str()),
        (Code::WrongType, "reviewers")
    );
    assert_eq!(
        f.diagnostic.help.as_deref(),
        Some(r#"send one entry per element: "reviewers": ["alice","bob@x.com"]"#)
    );

    let r = create(r#"["a@b", " bob ", "x@y.com", "X@Y.com", "alice,bob", 7, ""]"#);
    assert_eq!(
        codes(&r),
        [
            (Severity::Error, Code::InvalidEmail, "reviewers[0]".into()),
            (
                Severity::Warning,
                Code::SurroundingWhitespace,
                "reviewers[1]".into()
            ),
            (Severity::Warning, Code::Duplicate, "reviewers[3]".into()),
            (
                Severity::Error,
                Code::InvalidUserName,
                "reviewers[4]".into()
            ),
            (Severity::Error, Code::WrongType, "reviewers[5]".into()),
            (
                Severity::Error,
                Code::InvalidUserName,
                "reviewers[6]".into()
            ),
        ]
    );

    // Ten is fine, for every request that takes reviewers.
    let ten = serde_json::to_string(&(0..10).map(|i| format!("u{i}")).collect::<Vec<_>>()).unwrap();
    assert!(create(&ten).findings.is_empty());
}

#[test]
fn names_and_lengths() {
    let rule = |name: &str| {
        check(
            &format!(
                r#"{{"ruleName": {}, "filterQuery": "action:Create", "reviewers": ["a"],
                    "approvalType": "MANUAL", "scheduleType": "DAILY", "startTime": "01:00:00"}}"#,
                serde_json::Value::String(name.into())
            ),
            None,
        )
    };
    assert!(
        rule(&"é".repeat(112)).findings.is_empty(),
        "counted in characters"
    );
    let r = rule(&"x".repeat(113));
    assert_eq!(only_error(&r).diagnostic.code, Code::TooLong);
    let r = rule("");
    assert_eq!(
        only_error(&r).diagnostic.message,
        "`ruleName` is empty; it must be 1 to 112 characters long"
    );
    assert_eq!(
        codes(&rule("   ")),
        [(Severity::Warning, Code::Blank, "ruleName".into())]
    );
}

#[test]
fn times_dates_and_numbers() {
    let rule = |extra: &str| {
        check(
            &format!(
                r#"{{"ruleName": "r", "filterQuery": "action:Create", "reviewers": ["a"],
                    "approvalType": "MANUAL", "scheduleType": "ONETIME", {extra}}}"#
            ),
            None,
        )
    };
    let r = rule(r#""startTime": "9:00", "endTime": "24:00:00", "fixDate": "2023-02-30""#);
    assert_eq!(
        codes(&r),
        [
            (Severity::Error, Code::InvalidTime, "startTime".into()),
            (Severity::Error, Code::InvalidTime, "endTime".into()),
            (Severity::Error, Code::InvalidDate, "fixDate".into()),
        ]
    );
    assert!(
        r.findings[1]
            .diagnostic
            .message
            .contains("hour 24 is out of range")
    );

    // A past fixDate is a warning against the clock.
    let r = rule(r#""startTime": "09:00:00", "endTime": "10:00:00", "fixDate": "2023-05-31""#);
    assert_eq!(
        codes(&r),
        [(Severity::Warning, Code::PastDate, "fixDate".into())]
    );

    let r = rule(
        r#""startTime": "09:00:00", "endTime": "10:00:00", "fixDate": "2023-06-01", "dayOfMonth": 32, "days": "MONDAY""#,
    );
    assert_eq!(
        codes(&r),
        [
            (Severity::Error, Code::WrongType, "days".into()),
            (Severity::Error, Code::OutOfRange, "dayOfMonth".into()),
        ]
    );

    let search = |body: &str| check(body, Some(RequestKind::EventSearch));
    assert!(
        search(r#"{"pageNumber": 0, "pageSize": "25"}"#)
            .findings
            .is_empty()
    );
    let r = search(
        r#"{"pageNumber": -1, "pageSize": 0, "incidentContext": "yes", "incidentIds": ["", 3]}"#,
    );
    assert_eq!(
        codes(&r),
        [
            (Severity::Error, Code::OutOfRange, "pageNumber".into()),
            (Severity::Error, Code::OutOfRange, "pageSize".into()),
            (Severity::Error, Code::WrongType, "incidentContext".into()),
            (Severity::Error, Code::Blank, "incidentIds[0]".into()),
            (Severity::Error, Code::WrongType, "incidentIds[1]".into()),
        ]
    );
    let r = search(r#"{"pageSize": 2.5}"#);
    assert_eq!(
        only_error(&r).diagnostic.message,
        "`pageSize` must be a whole number, not a fraction"
    );
    // The lenient page fields read into the typed model.
    let r = search(r#"{"pageSize": "25", "filter": "action:Create"}"#);
    let Some(Request::EventSearch(s)) = r.request else {
        panic!()
    };
    assert_eq!(s.page_size, Some(25));
}

#[test]
fn sort_and_group_by() {
    let search = |body: &str| check(body, None);
    assert!(
        search(r#"{"sort": "[{\"dateTime\":\"desc\"}]"}"#)
            .findings
            .is_empty()
    );
    let r = search(r#"{"sort": [{"dateTime": "desc"}]}"#);
    let f = only_error(&r);
    assert_eq!(
        (f.diagnostic.code, f.path.as_str()),
        (Code::WrongType, "sort")
    );
    assert_eq!(
        f.diagnostic.help.as_deref(),
        Some(r#"send the array as a string: "sort": "[{\"dateTime\":\"desc\"}]""#)
    );
    let r = search(r#"{"sort": "[{\"dateTime\":\"down\"}, {\"actoin\":\"asc\"}, 3]"}"#);
    assert_eq!(
        codes(&r),
        [
            (Severity::Error, Code::InvalidSort, "sort".into()),
            (Severity::Warning, Code::UnknownToken, "sort".into()),
            (Severity::Error, Code::InvalidSort, "sort".into()),
        ]
    );
    assert_eq!(
        r.findings[1].diagnostic.help.as_deref(),
        Some("did you mean `action`?")
    );
    let r = search(r#"{"sort": "[{\"dateTime\":"}"#);
    assert_eq!(only_error(&r).diagnostic.code, Code::InvalidSort);

    let r =
        search(r#"{"groupBy": ["file.attribute.readOnly", "file.attribute.readonly", "actoin"]}"#);
    assert_eq!(
        codes(&r),
        [
            (Severity::Warning, Code::Duplicate, "groupBy[1]".into()),
            (Severity::Error, Code::UnknownToken, "groupBy[2]".into()),
        ]
    );
    let allow = Options::default().allow_unknown(true);
    let r = check_request_with(r#"{"groupBy": ["x.y"]}"#, None, &allow);
    assert!(r.findings.is_empty());
}

#[test]
fn filters_are_checked_in_their_scope() {
    // `status` is an incident token: unknown in the events scope, fine in an incident search.
    let body = r#"{"filter": "status:CLOSED"}"#;
    let r = check(body, None);
    assert_eq!(r.kind, Some(RequestKind::EventSearch));
    let f = only_error(&r);
    assert_eq!(f.diagnostic.code, Code::UnknownToken);
    assert_eq!(f.scope, Some(Scope::Events));
    assert!(
        check(body, Some(RequestKind::IncidentSearch))
            .findings
            .is_empty()
    );

    // A custom catalog and unknown tokens reach the filters too.
    let allow = Options::default().allow_unknown(true);
    assert!(check_request_with(body, None, &allow).findings.is_empty());
    let empty = Options::default().catalog(Catalog::empty());
    assert!(check_request_with(r#"{"filter": "action:Create"}"#, None, &empty).has_errors());

    // Every filter of a manual incident, each with its index.
    let r = check(
        r#"{"name": "n", "filters": ["action:Create", "actoin:Create", 5, "action:(Create"]}"#,
        None,
    );
    let got: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.path.as_str(),
                f.scope.is_some().then_some(f.diagnostic.code.as_str()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("filters[1]", Some("unknown-token")),
            ("filters[2]", None),
            ("filters[3]", Some("unclosed-paren")),
        ]
    );

    // An empty search filter means no filter: a warning.
    let r = check(r#"{"filter": "  ", "pageSize": 5}"#, None);
    assert_eq!(
        codes(&r),
        [(Severity::Warning, Code::Blank, "filter".into())]
    );
    // An empty incident filter list is an error.
    let r = check(r#"{"name": "n", "filters": []}"#, None);
    assert_eq!(only_error(&r).diagnostic.code, Code::EmptyList);
}

#[test]
fn user_info() {
    let create = |info: &str| {
        check(
            &format!(r#"{{"name": "n", "filters": ["action:Create"], "userInfo": {info}}}"#),
            None,
        )
    };
    assert!(
        create(r#"{"user": {"name": "u", "id": "i"}, "date": 1671188983383}"#)
            .findings
            .is_empty()
    );
    let r = create(r#"{"user": {"name": 1, "role": "x"}, "when": 2}"#);
    assert_eq!(
        codes(&r),
        [
            (
                Severity::Error,
                Code::WrongType,
                "userInfo.user.name".into()
            ),
            (
                Severity::Warning,
                Code::UnknownField,
                "userInfo.user.role".into()
            ),
            (
                Severity::Warning,
                Code::UnknownField,
                "userInfo.when".into()
            ),
        ]
    );
    assert_eq!(only_error(&create("[]")).path, "userInfo");
}

#[test]
fn bodies_that_say_nothing() {
    let r = check_request("[1, 2]", None);
    assert_eq!(only_error(&r).diagnostic.code, Code::NotAnObject);
    let r = check_request("{}", None);
    let f = only_error(&r);
    assert_eq!(f.diagnostic.code, Code::UnknownKind);
    assert!(
        f.diagnostic
            .help
            .as_deref()
            .unwrap()
            .contains("correlation-rule-update")
    );
    assert_eq!(r.kind, None);
    assert!(r.render().starts_with("request: kind unknown\n"));
    let r = check_request("", None);
    let f = only_error(&r);
    assert_eq!(f.diagnostic.code, Code::InvalidJson);
    assert_eq!(location(f), (1, 1, ""));
    let r = check_request("\u{feff}{}", None);
    assert_eq!(
        only_error(&r).diagnostic.help.as_deref(),
        Some("remove the byte order mark at the start of the file")
    );
    // Columns count characters, not bytes.
    let r = check_request("{\"é\": 1 x}", None);
    let f = only_error(&r);
    assert_eq!(location(f).1, 9);
    assert_eq!(f.diagnostic.span.start, 9, "the span is a byte offset");
    // A given kind is used as is, even for an empty body.
    let r = check_request("{}", Some(RequestKind::IncidentApprove));
    assert_eq!(r.with_code(Code::MissingField).count(), 3);
}

/// Every request code's example (`Code::example`) is a body that gets a finding with that code,
/// checked as `Code::example` says: with the default options and the kind detected.
#[test]
fn every_request_code_example_reports_its_code() {
    let request_codes: Vec<Code> = Code::ALL
        .iter()
        .copied()
        .filter(|c| c.stage() == Stage::Request)
        .collect();
    assert!(request_codes.len() >= 19, "{request_codes:?}");
    let mut wrong = String::new();
    for code in request_codes {
        let body = code.example();
        let r = check_request(body, None);
        if r.with_code(code).next().is_none() {
            wrong += &format!("{code}: the example {body} reports\n{}\n", r.render());
        }
    }
    assert!(wrong.is_empty(), "{wrong}");
}

/// `Options::deny_warnings` turns the warnings of the body into errors, as it does in filters.
#[test]
fn deny_warnings_applies_to_the_whole_body() {
    let body = r#"{"filter": "action:Create OR action:Delete AND severity:4", "colour": 1}"#;
    let r = check(body, None);
    assert_eq!(
        codes(&r),
        [
            (Severity::Warning, Code::MixedAndOr, "filter".into()),
            (Severity::Warning, Code::UnknownField, "colour".into()),
        ]
    );
    let r = check_request_with(body, None, &opts().deny_warnings(true));
    assert_eq!(
        codes(&r),
        [
            (Severity::Error, Code::MixedAndOr, "filter".into()),
            (Severity::Error, Code::UnknownField, "colour".into()),
        ]
    );
}

#[test]
fn kinds_by_name() {
    for k in RequestKind::ALL {
        assert_eq!(k.as_str().parse::<RequestKind>().unwrap(), k);
        assert!(!k.endpoints().is_empty());
        assert_eq!(
            serde_json::to_value(k).unwrap(),
            serde_json::Value::String(k.as_str().into())
        );
    }
    assert!(
        "approve"
            .parse::<RequestKind>()
            .unwrap_err()
            .message
            .contains("incident-approve")
    );
    assert_eq!(RequestKind::IncidentSearch.filter_scope(), Scope::Incidents);
}

#[test]
fn rendering_has_the_kind_each_path_and_a_count() {
    let r = check(
        r#"{"name": "", "filters": ["action:Create"], "reviewers": ["a@b"], "x": 1}"#,
        None,
    );
    assert_eq!(
        r.render(),
        "request: incident-create (detected from its fields)\n\
         \n\
         in `name`:\n\
         error[too-short]: `name` is empty; it must be 1 to 128 characters long\n\
         \n\
         in `reviewers[0]`:\n\
         error[invalid-email]: \"a@b\" is not an e-mail address: the domain `b` has no `.`\n\
         \n\
         in `x`:\n\
         warning[unknown-field]: unknown field `x`: incident-create requests do not have it; the API may ignore or reject it\n\
         \n\
         2 errors, 1 warning\n"
    );
    assert_eq!(r.to_string(), r.render());
}

// --- responses ---------------------------------------------------------------------------------

/// The approve response of the release notes, with the line break the PDF put inside the filter
/// removed.
const APPROVE_RESPONSE: &str = r#"{
    "customerId": "ededf456-70f0-5906-82a1-8255e5a2a7ee",
    "type": "DEFAULT",
    "id": "670c4098-7fd5-42b8-a0ed-cecb3358a862",
    "filterFromDate": "2022-11-15T16:07:00.000+0000",
    "filterToDate": "2022-12-15T16:07:00.000+0000",
    "name": "TEST WITH SPECIAL CHARS",
    "filters": [
        "dateTime:['2022-11-15T16:07:00.000Z'..'2022-12-15T16:07:00.000Z'] AND (action:Content)"
    ],
    "status": "CLOSED",
    "reviewers": [
        "quays_wk29"
    ],
    "comment": "With additional approval values",
    "assignDate": "2022-12-15T16:08:19.560+0000",
    "approvalDate": "2022-12-16T06:33:19.224+0000",
    "approvalStatus": "PENDING",
    "dispositionCategory": "DISREGARD_OF_ORGANIZATIONAL_POLICY",
    "changeType": "NORMAL_CHANGE",
    "approvalType": "MANUAL",
    "createdById": "f0bbece3-xxxx-xxxx-xxxx-aed67c7f0b9b",
    "createdByName": "Patrick",
    "createdDate": "2022-12-15T16:08:19.560+0000",
     "lastUpdatedById": "f0bbece3-xxxx-xxxx-xxxx-aed67c7f0b9b",
    "lastUpdatedByName": "Patrick",
    "lastUpdatedDate": "2022-12-16T06:17:36.953+0000",
    "filterUpdatedDate": "2022-12-15T16:08:19.560+0000",
    "deleted": false,
    "marked": true,
    "moved": null,
    "markupStatus": "COMPLETED",
    "ruleId": null,
    "ruleName": null
}"#;

/// The correlation rule create response of the release notes, verbatim.
const RULE_CREATE_RESPONSE: &str = r#"{
    "customerId": "ededf456-xxxx-xxxx-xxxx-8255e5a2a7ee",
    "id": "fda86fde-xxxx-xxxx-xxxx-9099d44ab18b",
    "ruleName": "Testing_reviwerField",
    "filterQuery": "action:Create",
    "description": "test reviewer",
    "startTime": "12:00:00",
    "endTime": "23:59:00",
    "scheduleType": "ONETIME",
    "days": [],
    "fixDate": "2023-06-04",
    "changeType": "NORMAL_CHANGE",
    "dispositionCategory": "DISREGARD_OF_ORGANIZATIONAL_POLICY",
    "approvalType": "AUTOMATED",
    "approvalStatus": "PENDING",
    "reviewers": [
        "Patrick williams",
        "user_patrick@qualys.com"
    ],
    "comment": "some comment ",
    "createdBy": {
        "user": {
            "id": "f0bbece3-xxxx-xxxx-xxxx-aed67c7f0b9b",
            "name": "john Doe"
        },
        "date": 1671187879859
    },
    "updatedBy": {
        "user": {
            "id": "f0bbece3-xxxx-xxxx-xxxx-aed67c7f0b9b",
            "name": "john Doe"
        },
        "date": 1671187879859
    }
}"#;

/// The correlation rule update response, with the interleaved table of the PDF removed.
const RULE_UPDATE_RESPONSE: &str = r#"{
    "customerId": "ededf456-xxxx-xxxx-xxxx-8255e5a2a7ee",
    "id": "fda86fde-xxxx-xxxx-xxxx-9099d44ab18b",
    "ruleName": "Testing_reviwerField",
     "filterQuery": "action:Create",
    "description": "update description",
    "startTime": "06:30:00",
    "endTime": "13:00:00",
    "scheduleType": "ONETIME",
    "days": null,
    "fixDate": "2023-06-09",
    "changeType": "NORMAL_CHANGE",
    "dispositionCategory": "DISREGARD_OF_ORGANIZATIONAL_POLICY",
    "approvalType": "AUTOMATED",
    "approvalStatus": "PENDING",
    "reviewers": [
        "updated_reviewer",
        "test@quays.com"
    ],
    "deleted": false,
    "status": "ACTIVATED",
    "dayOfMonth": null,
    "comment": "some comment ",
    "createdById": "f0bbece3-a15d-f536-83c4-aed67c7f0b9b",
    "createdByName": "John Joe",
    "createdDate": "2022-12-16T10:51:19.859+0000",
    "updatedById": "f0bbece3-xxxx-xxxx-xxxx-aed67c7f0b9b",
    "updatedByName": "John Joe",
    "updatedDate": "2022-12-16T10:58:29.096+0000",
    "deletedById": null,
    "deletedByName": null,
    "deletedDate": null
}"#;

/// The manual incident create response, with the PDF's line break inside the filter removed.
const INCIDENT_CREATE_RESPONSE: &str = r#"{
    "comment": "comment for an incident",
    "approvalType": "MANUAL",
    "type": "DEFAULT",
    "id": "744166e0-xxxx-xxxx-xxxx-5c3d92c273fa",
    "userInfo": {
        "date": 1671188983383
    },
    "customerId": "25a14e60-xxxx-xxxx-xxxx-6653a4e2b094",
    "name": "IncidentForDocument",
    "filters": [
        "dateTime: ['2020-01-14T18:30:00.000Z'..'2022-12-16T09:29:59.999Z'] and action:`Create`"
    ],
    "reviewers": [
        "user@qualys.com",
         "testUser"    ]
}"#;

#[test]
fn seed_responses_read_into_the_response_models() {
    let i: Incident = serde_json::from_str(APPROVE_RESPONSE).unwrap();
    assert_eq!(i.status, Some(IncidentStatus::Closed));
    assert_eq!(i.approval_status, Some(ApprovalStatus::Pending));
    assert_eq!(i.rule_id, None);
    let filter = &i.filters.as_ref().unwrap()[0];
    assert!(fimql::compile(filter, &fimql::Options::new(Scope::Events)).is_ok());

    let i: Incident = serde_json::from_str(INCIDENT_CREATE_RESPONSE).unwrap();
    assert_eq!(i.user_info.unwrap().date, Some(1_671_188_983_383));
    assert_eq!(i.reviewers.unwrap(), ["user@qualys.com", "testUser"]);

    let r: CorrelationRule = serde_json::from_str(RULE_CREATE_RESPONSE).unwrap();
    assert_eq!(
        r.created_by.unwrap().user.unwrap().name.as_deref(),
        Some("john Doe")
    );
    assert_eq!(r.days, Some(vec![]));
    assert_eq!(r.end_time.unwrap().to_string(), "23:59:00");

    let r: CorrelationRule = serde_json::from_str(RULE_UPDATE_RESPONSE).unwrap();
    assert_eq!(r.status.as_deref(), Some("ACTIVATED"));
    assert_eq!(r.day_of_month, None);
    assert_eq!(r.fix_date.unwrap().to_string(), "2023-06-09");

    let grouped: CountResponse = serde_json::from_str(r#"{"Added": 13, "Removed": 3}"#).unwrap();
    assert_eq!(grouped["Added"], 13);
    let total: CountResponse = serde_json::from_str(r#"{"count": 10}"#).unwrap();
    assert_eq!(total["count"], 10);

    let hit: EventHit = serde_json::from_str(
        r#"{"sortValues": [], "data": {"action": "Attributes", "fileAttribute": {"hidden": "Added"}}}"#,
    )
    .unwrap();
    let f = fimql::compile(
        "file.attribute.hidden:`Added`",
        &fimql::Options::new(Scope::Events),
    )
    .unwrap();
    assert!(f.matches(&serde_json::Value::Object(hit.data)));
}
