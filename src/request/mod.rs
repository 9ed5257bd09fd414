//! Request bodies of the Qualys FIM API: typed models, and a checker that validates a body and
//! every filter embedded in it.
//!
//! ```
//! use fimql::request::{RequestKind, check_request};
//!
//! let body = r#"{"ruleName": "r1", "filterQuery": "action:Create severity:4",
//!                "reviewers": ["alice"], "approvalType": "MANUAL",
//!                "scheduleType": "DAILY", "startTime": "06:30:00"}"#;
//! let report = check_request(body, None);
//! assert_eq!(report.kind, Some(RequestKind::CorrelationRuleCreate));
//! assert!(report.has_errors());
//! let finding = &report.findings[0];
//! assert_eq!(finding.path, "filterQuery");
//! assert_eq!(finding.diagnostic.code.as_str(), "missing-operator");
//! assert_eq!(finding.source.as_deref(), Some("action:Create severity:4"));
//! println!("{report}"); // the path, then the filter with a caret under the problem
//! ```
//!
//! # Sources
//!
//! The primary sources are two Qualys FIM API release notes (API 3.7.1 and the "Email ID support
//! for reviewers" notes). They show these requests and state these constraints:
//!
//! - approve an incident: `approvalStatus`, `changeType` and `dispositionCategory` are required,
//!   with their allowed values listed;
//! - create a correlation rule, update it, create a manual incident: `reviewers` holds user names
//!   and e-mail addresses, at most 10 entries; manual incidents are of type `DEFAULT` and may
//!   cover at most 100,000 events (which only the server can count);
//! - events search and count: `filter`, `pageSize`, `groupBy` (a list of tokens).
//!
//! Where the release notes are silent, the FIM API user guide fills in, and every such rule says
//! so where it is defined: the lengths of `name` (1–128) and `ruleName` (1–112), `approvalType`
//! and `scheduleType` values, the conditional requirements of correlation rules, the `HH:mm:ss`
//! and `yyyy-MM-dd` formats, `pageNumber`, `sort` and `attributes`. `incidentContext` and
//! `incidentIds` appear in neither; they are accepted as a boolean and a list of ids.
//!
//! # The checker
//!
//! [`check_request`] (and [`check_request_with`] for a catalog, a clock, limits or unknown
//! tokens) takes the JSON text of a body and an optional [`RequestKind`]; without one it detects
//! the kind from the fields ([`RequestKind::detect`]). It reports every problem it finds as a
//! [`Finding`]: the JSON path of the value (`reviewers[3]`, `filters[0]`) and a [`Diagnostic`]
//! with a severity, a stable [`Code`], a message and optional help. A problem inside
//! an embedded filter is the filter's own diagnostic (`unknown-token`, `missing-operator`, ...),
//! with the filter as the finding's `source` so that the one renderer
//! ([`Diagnostic::render`]) draws a caret under it. Invalid JSON is one `invalid-json` finding
//! whose span is the byte where reading stopped, with the body as `source`. Unknown fields are
//! warnings. [`RequestReport::has_errors`] decides the exit code of a command-line check: 0
//! without errors, 1 with.
//!
//! Each kind's fields are listed once, in a table that says for each whether it is required and
//! how its value is checked; the checker walks it, [`RequestKind::fields`] and detection are
//! derived from it, and a test ties it to the serde models below.
//!
//! Filters are validated in the scope their field belongs to: `filter` of events search and count,
//! `filterQuery` of correlation rules and `filters[i]` of manual incidents in the events scope;
//! `filter` of an incident search (a kind that is never detected, since its body looks like an
//! events search) in the incidents scope.
//!
//! # The JSON form of a parsed filter
//!
//! [`Query`](crate::Query) and the rest of the syntax tree, and [`Diagnostic`], serialize with
//! serde (the derives are unconditional), and a query read back is equal to the one written,
//! spans included. The shape follows the Rust types: enums are externally tagged with lower-case
//! tags, spans are `{"start": .., "end": ..}` byte offsets, values keep their form and raw text:
//!
//! ```
//! let q = fimql::parse("action:Create AND severity>=4").unwrap();
//! let json = serde_json::to_value(&q).unwrap();
//! assert_eq!(json, serde_json::json!({"expr": {"kind": {"and": [
//!     {"kind": {"term": {"field": {"name": "action", "span": {"start": 0, "end": 6}},
//!               "predicate": {"value": {"form": "bare", "raw": "Create", "span": {"start": 7, "end": 13}}},
//!               "span": {"start": 0, "end": 13}}},
//!      "span": {"start": 0, "end": 13}},
//!     {"kind": {"term": {"field": {"name": "severity", "span": {"start": 18, "end": 26}},
//!               "predicate": {"compare": ["Ge", {"form": "bare", "raw": "4", "span": {"start": 28, "end": 29}}]},
//!               "span": {"start": 18, "end": 29}}},
//!      "span": {"start": 18, "end": 29}}
//! ]}, "span": {"start": 0, "end": 29}}}));
//! let back: fimql::Query = serde_json::from_value(json).unwrap();
//! assert_eq!(back, q);
//! ```
//!
//! Other predicates are `{"present": span}`, `{"list": [[value, ...], span]}`,
//! `{"group": [[value, ...], span]}` and `{"range": [bound, bound, span]}`, where a bound is
//! `{"open": span}` or `{"value": value}`; comparison operators are `"Gt"`, `"Ge"`, `"Lt"`,
//! `"Le"`; `NOT` is `{"not": expr}`. Parser warnings go in `"warnings"`, an array of diagnostics
//! left out when empty.

mod check;
mod finding;
mod kind;
mod model;

use std::fmt;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

pub use finding::Finding;
pub use kind::RequestKind;
pub use model::{
    ApprovalStatus, ApprovalType, ChangeType, ClockTime, CorrelationRule, CorrelationRuleCreate,
    CorrelationRuleUpdate, CountResponse, DispositionCategory, EventCount, EventHit, EventSearch,
    INCIDENT_NAME_LEN, Incident, IncidentApprove, IncidentCreate, IncidentSearch, IncidentStatus,
    IncidentType, MAX_REVIEWERS, ParseEnumError, RULE_NAME_LEN, Request, ScheduleType, UserRef,
    UserStamp,
};

#[cfg(doc)]
use crate::error::Diagnostic;
use crate::error::{Code, Severity};
use crate::options::Options;

/// Checks a request body (JSON text) with the default options; see [`check_request_with`].
pub fn check_request(json: &str, kind: Option<RequestKind>) -> RequestReport {
    check_request_with(json, kind, &Options::default())
}

/// Checks a request body: JSON syntax, the kind (detected when not given), every field (type,
/// length, enumeration values, reviewer shape, time and date formats, counts, conditional
/// requirements), every embedded filter in its scope, and unknown fields (warnings). When there
/// are no errors the report also holds the typed [`Request`].
pub fn check_request_with(json: &str, kind: Option<RequestKind>, opts: &Options) -> RequestReport {
    let mut report = RequestReport {
        kind,
        kind_detected: false,
        findings: Vec::new(),
        request: None,
    };
    let value: Json = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            report.findings.push(check::invalid_json(json, &e));
            return report;
        }
    };
    let Json::Object(body) = &value else {
        report.findings.push(
            Finding::error(
                Code::NotAnObject,
                "",
                format!(
                    "the request body is {}, not a JSON object",
                    check::type_name(&value)
                ),
            )
            .help("a request body is an object, e.g. {\"filter\": \"action:Create\"}"),
        );
        return report;
    };
    let kind = match kind.or_else(|| RequestKind::detect(body)) {
        Some(k) => k,
        None => {
            let names: Vec<_> = RequestKind::ALL.iter().map(|k| k.as_str()).collect();
            report.findings.push(
                Finding::error(
                    Code::UnknownKind,
                    "",
                    "cannot tell which request this is from its fields",
                )
                .help(format!("give the kind: one of {}", names.join(", "))),
            );
            return report;
        }
    };
    report.kind_detected = report.kind.is_none();
    report.kind = Some(kind);

    report.findings = check::check_body(body, kind, opts, opts.now.unwrap_or_else(Utc::now));
    if opts.deny_warnings {
        for f in &mut report.findings {
            f.diagnostic.severity = Severity::Error;
        }
    }

    if !report.has_errors() {
        match Request::from_value(kind, value) {
            Ok(r) => report.request = Some(r),
            Err(e) => report.findings.push(Finding::error(
                Code::WrongType,
                "",
                format!("the body does not fit the {kind} model: {e}"),
            )),
        }
    }
    report
}

/// The result of [`check_request`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RequestReport {
    /// The kind the body was checked as (`None` when it is not JSON, not an object, or its kind
    /// could not be detected).
    pub kind: Option<RequestKind>,
    /// Whether the kind was detected from the fields rather than given.
    pub kind_detected: bool,
    /// Every problem, in the order found: the body, then fields in the order of the request's
    /// documentation, then unknown fields.
    pub findings: Vec<Finding>,
    /// The typed body, when there are no errors.
    #[serde(skip)]
    pub request: Option<Request>,
}

impl RequestReport {
    /// Whether any finding is an error. A command-line check exits with 1 if so, 0 otherwise.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// The number of errors.
    pub fn error_count(&self) -> usize {
        self.findings.iter().filter(|f| f.is_error()).count()
    }

    /// The number of warnings.
    pub fn warning_count(&self) -> usize {
        self.findings.len() - self.error_count()
    }

    /// The findings with a given code (a filter's own codes included).
    pub fn with_code(&self, code: Code) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(move |f| f.diagnostic.code == code)
    }

    /// The human form: the kind, each finding ([`Finding::render`]) separated by blank lines,
    /// and a count.
    pub fn render(&self) -> String {
        let mut out = match self.kind {
            Some(k) if self.kind_detected => format!("request: {k} (detected from its fields)\n"),
            Some(k) => format!("request: {k}\n"),
            None => "request: kind unknown\n".to_string(),
        };
        for f in &self.findings {
            out.push('\n');
            out.push_str(&f.render());
        }
        let (e, w) = (self.error_count(), self.warning_count());
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        out.push('\n');
        out.push_str(&format!(
            "{}, {}\n",
            plural(e, "error"),
            plural(w, "warning")
        ));
        out
    }

    /// The JSON form: `kind` (or null), `kind_detected`, `errors`, `warnings` (counts) and
    /// `findings` ([`Finding::to_json`]).
    pub fn to_json(&self) -> Json {
        let mut o = Map::new();
        o.insert(
            "kind".into(),
            self.kind.map_or(Json::Null, |k| k.as_str().into()),
        );
        o.insert("kind_detected".into(), self.kind_detected.into());
        o.insert("errors".into(), self.error_count().into());
        o.insert("warnings".into(), self.warning_count().into());
        o.insert(
            "findings".into(),
            Json::Array(self.findings.iter().map(Finding::to_json).collect()),
        );
        Json::Object(o)
    }
}

impl fmt::Display for RequestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}
