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
//! let diag = &finding.filter.as_ref().unwrap().diagnostic;
//! assert_eq!(diag.code.as_str(), "missing-operator");
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
//! [`check_request`] (and [`check_request_with`] for a catalog, a clock or unknown tokens)
//! takes the JSON text of a body and an optional [`RequestKind`]; without one it detects the kind
//! from the fields ([`RequestKind::detect`]). It reports every problem it finds as a [`Finding`]
//! with a severity, a stable [`FindingCode`], the JSON path of the value (`reviewers[3]`,
//! `filters[0]`), a message and optional help. A problem inside an embedded filter carries the
//! filter and its own [`Diagnostic`], whose span points into the filter text, so that
//! [`RequestReport::render`] can show a caret under it. Invalid JSON is one finding with the line
//! and column. Unknown fields are warnings. [`RequestReport::has_errors`] decides the exit code
//! of a command-line check: 0 without errors, 1 with.
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

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value as Json};

use crate::catalog::Scope;
use crate::date::Instant;
use crate::error::{Diagnostic, Severity};
use crate::options::Options;

/// The most entries `reviewers` may hold (stated in the release notes for all three requests).
pub const MAX_REVIEWERS: usize = 10;
/// The length limits of a manual incident's `name`, in characters (FIM API user guide).
pub const INCIDENT_NAME_LEN: (usize, usize) = (1, 128);
/// The length limits of a correlation rule's `ruleName`, in characters (FIM API user guide).
pub const RULE_NAME_LEN: (usize, usize) = (1, 112);

// ---------------------------------------------------------------------------------------------
// Enumerations
// ---------------------------------------------------------------------------------------------

/// A string that is not one of an enumeration's values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {what}; expected one of: {}", .allowed.join(", "))]
pub struct ParseEnumError {
    /// What was being parsed, e.g. "approval status".
    pub what: &'static str,
    /// The text given.
    pub value: String,
    /// The valid values.
    pub allowed: Vec<&'static str>,
}

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )*
        }

        impl $name {
            /// Every value, in documented order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];
            /// Every wire spelling, in documented order.
            pub const WIRE: &'static [&'static str] = &[ $( $wire, )* ];

            /// The spelling on the wire, e.g. `"POLICY_VIOLATION"`.
            pub const fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $wire, )* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseEnumError;
            /// Parses the wire spelling (case-sensitive).
            fn from_str(s: &str) -> Result<Self, ParseEnumError> {
                match s {
                    $( $wire => Ok($name::$variant), )*
                    _ => Err(ParseEnumError { what: $what, value: s.to_string(), allowed: $name::WIRE.to_vec() }),
                }
            }
        }
    };
}

wire_enum! {
    /// The approval status of an incident.
    ///
    /// The approve request allows `APPROVED`, `POLICY_VIOLATION`, `UNAPPROVED` and `PENDING`
    /// (release notes; `PENDING` is new there). `NA` comes from the FIM API user guide's
    /// correlation-rule pages, which list `APPROVED`, `POLICY_VIOLATION`, `UNAPPROVED` and `NA`;
    /// the checker accepts it in correlation rules only.
    ApprovalStatus ("approval status") {
        /// `APPROVED`
        Approved = "APPROVED",
        /// `POLICY_VIOLATION`
        PolicyViolation = "POLICY_VIOLATION",
        /// `UNAPPROVED`
        Unapproved = "UNAPPROVED",
        /// `PENDING`
        Pending = "PENDING",
        /// `NA` (correlation rules; FIM API user guide)
        Na = "NA",
    }
}

wire_enum! {
    /// The type of change of an incident: the seven values the release notes list for the approve
    /// request. The correlation-rule sample of the release notes uses `NORMAL_CHANGE`, so rules
    /// take the same list (the older user guide lists only `MANUAL`, `AUTOMATED`, `COMPROMISE`,
    /// `OTHER` there).
    ChangeType ("change type") {
        /// `MANUAL`
        Manual = "MANUAL",
        /// `AUTOMATED`
        Automated = "AUTOMATED",
        /// `COMPROMISE`
        Compromise = "COMPROMISE",
        /// `STANDARD_CHANGE`
        StandardChange = "STANDARD_CHANGE",
        /// `EMERGENCY_CHANGE`
        EmergencyChange = "EMERGENCY_CHANGE",
        /// `NORMAL_CHANGE`
        NormalChange = "NORMAL_CHANGE",
        /// `OTHER`
        Other = "OTHER",
    }
}

wire_enum! {
    /// The disposition category of an incident: the sixteen values the release notes list for the
    /// approve request; correlation rules take the same list (their sample uses
    /// `DISREGARD_OF_ORGANIZATIONAL_POLICY`, which the older user guide does not list).
    DispositionCategory ("disposition category") {
        /// `PATCHING`
        Patching = "PATCHING",
        /// `PRE_APPROVED_CHANGE_CONTROL`
        PreApprovedChangeControl = "PRE_APPROVED_CHANGE_CONTROL",
        /// `CONFIGURATION_CHANGE`
        ConfigurationChange = "CONFIGURATION_CHANGE",
        /// `HUMAN_ERROR`
        HumanError = "HUMAN_ERROR",
        /// `DATA_CORRUPTION`
        DataCorruption = "DATA_CORRUPTION",
        /// `EMERGENCY_CHANGE`
        EmergencyChange = "EMERGENCY_CHANGE",
        /// `CHANGE_CONTROL_VIOLATION`
        ChangeControlViolation = "CHANGE_CONTROL_VIOLATION",
        /// `GENERAL_HACKING`
        GeneralHacking = "GENERAL_HACKING",
        /// `MALWARE`
        Malware = "MALWARE",
        /// `MALICIOUS_INTENT`
        MaliciousIntent = "MALICIOUS_INTENT",
        /// `UNAUTHORIZED_ACCESS`
        UnauthorizedAccess = "UNAUTHORIZED_ACCESS",
        /// `INAPPROPRIATE_USAGE_OR_FRAUD`
        InappropriateUsageOrFraud = "INAPPROPRIATE_USAGE_OR_FRAUD",
        /// `DATA_LOSS_OR_THEFT`
        DataLossOrTheft = "DATA_LOSS_OR_THEFT",
        /// `DISREGARD_OF_ORGANIZATIONAL_POLICY`
        DisregardOfOrganizationalPolicy = "DISREGARD_OF_ORGANIZATIONAL_POLICY",
        /// `FALSE_POSITIVE`
        FalsePositive = "FALSE_POSITIVE",
        /// `OTHER`
        Other = "OTHER",
    }
}

wire_enum! {
    /// How incidents of a correlation rule are approved. The release notes show `AUTOMATED` (rule
    /// sample) and `MANUAL` (incident responses); the user guide lists exactly these two.
    ApprovalType ("approval type") {
        /// `MANUAL`
        Manual = "MANUAL",
        /// `AUTOMATED`
        Automated = "AUTOMATED",
    }
}

wire_enum! {
    /// When a correlation rule runs. The release notes show only `ONETIME`; the user guide lists
    /// these four.
    ScheduleType ("schedule type") {
        /// `ONETIME`
        Onetime = "ONETIME",
        /// `DAILY`
        Daily = "DAILY",
        /// `WEEKLY`
        Weekly = "WEEKLY",
        /// `MONTHLY`
        Monthly = "MONTHLY",
    }
}

wire_enum! {
    /// The type of an incident: `DEFAULT` for manual incidents (the only value the create request
    /// accepts), `AUTOMATED` for incidents made by correlation rules (seen in responses).
    IncidentType ("incident type") {
        /// `DEFAULT`: a manual incident.
        Default = "DEFAULT",
        /// `AUTOMATED`: made by a correlation rule.
        Automated = "AUTOMATED",
    }
}

wire_enum! {
    /// The status of an incident in responses (`CLOSED` in the release notes; `OPEN` in the
    /// user guide's filter examples).
    IncidentStatus ("incident status") {
        /// `OPEN`
        Open = "OPEN",
        /// `CLOSED`
        Closed = "CLOSED",
    }
}

/// The approval statuses the approve request accepts (the release notes' list, without `NA`).
const APPROVE_STATUSES: &[&str] = &["APPROVED", "POLICY_VIOLATION", "UNAPPROVED", "PENDING"];

// ---------------------------------------------------------------------------------------------
// Small value types
// ---------------------------------------------------------------------------------------------

/// A time of day written `HH:MM:SS` (24-hour, two digits each), as correlation rules'
/// `startTime` and `endTime` (UTC, says the user guide).
///
/// ```
/// use fimql::request::ClockTime;
/// let t: ClockTime = "23:59:00".parse().unwrap();
/// assert_eq!((t.hour(), t.minute(), t.second()), (23, 59, 0));
/// assert!("24:00:00".parse::<ClockTime>().is_err());
/// assert!("9:00:00".parse::<ClockTime>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClockTime {
    hour: u8,
    minute: u8,
    second: u8,
}

impl ClockTime {
    /// A time of day, if the parts are in range (hour 0–23, minute and second 0–59).
    pub fn new(hour: u8, minute: u8, second: u8) -> Option<ClockTime> {
        (hour < 24 && minute < 60 && second < 60).then_some(ClockTime {
            hour,
            minute,
            second,
        })
    }

    /// The hour, 0–23.
    pub fn hour(self) -> u8 {
        self.hour
    }

    /// The minute, 0–59.
    pub fn minute(self) -> u8 {
        self.minute
    }

    /// The second, 0–59.
    pub fn second(self) -> u8 {
        self.second
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
    }
}

impl FromStr for ClockTime {
    type Err = String;
    fn from_str(s: &str) -> Result<ClockTime, String> {
        let b = s.as_bytes();
        let shape = b.len() == 8
            && b[2] == b':'
            && b[5] == b':'
            && [0, 1, 3, 4, 6, 7].iter().all(|&i| b[i].is_ascii_digit());
        if !shape {
            return Err("expected HH:MM:SS with two digits each".into());
        }
        let n = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
        let (h, m, sec) = (n(0), n(3), n(6));
        ClockTime::new(h, m, sec).ok_or_else(|| {
            if h >= 24 {
                format!("hour {h} is out of range (00-23)")
            } else if m >= 60 {
                format!("minute {m} is out of range (00-59)")
            } else {
                format!("second {sec} is out of range (00-59)")
            }
        })
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ClockTime, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(D::Error::custom)
    }
}

/// Parses a `yyyy-MM-dd` date strictly (four, two and two digits).
fn parse_ymd(s: &str) -> Result<NaiveDate, String> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err("expected yyyy-MM-dd, e.g. 2023-06-04".into());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "no such day in the calendar".into())
}

/// serde for `Option<NaiveDate>` as `yyyy-MM-dd`.
mod ymd {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.collect_str(&d.format("%Y-%m-%d")),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| parse_ymd(&s).map_err(D::Error::custom))
            .transpose()
    }
}

/// serde for `Option<u32>` that also reads a string of digits (the user guide types `pageNumber`
/// and `pageSize` as strings while its samples send numbers).
mod lenient_u32 {
    use super::*;

    pub fn serialize<S: Serializer>(n: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        n.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        match Option::<Json>::deserialize(d)? {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| D::Error::custom("expected a whole number")),
            Some(Json::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s
                .parse()
                .map(Some)
                .map_err(|_| D::Error::custom("number out of range")),
            Some(_) => Err(D::Error::custom("expected a whole number")),
        }
    }
}

/// A user as responses and `userInfo` show it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    /// The user's id (a UUID in the samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The user's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `{"user": {...}, "date": epoch-ms}`: `userInfo` of a manual incident (the request sends the
/// user, the response carries the date) and `createdBy`/`updatedBy` of a correlation rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserStamp {
    /// Who.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
    /// When, in epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------------------------

/// `POST /fim/v3/incidents/{incidentId}/approve`.
///
/// The three enumerations are required (release notes). The release notes are silent on
/// `comment` (their sample sends one) and do not show `reviewers` here; both are optional.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentApprove {
    /// Required; `NA` is not allowed here.
    pub approval_status: ApprovalStatus,
    /// Required.
    pub change_type: ChangeType,
    /// Required.
    pub disposition_category: DispositionCategory,
    /// Optional free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Optional: at most [`MAX_REVIEWERS`] user names or e-mail addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewers: Option<Vec<String>>,
}

/// `POST /fim/v3/incidents/create`: a manual incident.
///
/// `name` (1–128 characters, user guide) and `filters` (events-scope filters, at least one) are
/// required. `reviewers` holds at most [`MAX_REVIEWERS`] user names or e-mail addresses; the
/// release notes do not say it is required. `type` is always `DEFAULT`. The server rejects an
/// incident that would cover more than 100,000 events, which a static check cannot know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentCreate {
    /// 1–128 characters.
    pub name: String,
    /// Reviewers: user names or e-mail addresses, at most 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewers: Option<Vec<String>>,
    /// Filters in the events scope selecting the incident's events.
    pub filters: Vec<String>,
    /// Optional free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `DEFAULT` (the only value accepted).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub incident_type: Option<IncidentType>,
    /// The creating user, optional (the release notes' sample sends `user.name` and `user.id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_info: Option<UserStamp>,
}

/// `POST /fim/v3/autocorrelation/rules/create`.
///
/// Required (user guide): `ruleName` (1–112 characters), `filterQuery` (an events-scope
/// filter), `reviewers` (1–10 user names or e-mail addresses; "(Required)" in the release notes
/// too), `approvalType`, `scheduleType`, `startTime`. When `approvalType` is `AUTOMATED`,
/// `approvalStatus`, `changeType`, `comment` and `dispositionCategory` are required too; when
/// `scheduleType` is `ONETIME`, `endTime` and `fixDate` are. `fixDate` should not be in the past.
/// `days` and `dayOfMonth` appear only in responses (`[]`, `null`); their values are not
/// documented.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CorrelationRuleCreate {
    /// 1–112 characters.
    pub rule_name: String,
    /// A filter in the events scope.
    pub filter_query: String,
    /// Optional free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// 1–10 user names or e-mail addresses.
    pub reviewers: Vec<String>,
    /// `MANUAL` or `AUTOMATED`.
    pub approval_type: ApprovalType,
    /// Required when `approvalType` is `AUTOMATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_status: Option<ApprovalStatus>,
    /// Required when `approvalType` is `AUTOMATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_type: Option<ChangeType>,
    /// Required when `approvalType` is `AUTOMATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Required when `approvalType` is `AUTOMATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition_category: Option<DispositionCategory>,
    /// When the rule runs.
    pub schedule_type: ScheduleType,
    /// `HH:MM:SS`, UTC.
    pub start_time: ClockTime,
    /// `HH:MM:SS`, UTC; required when `scheduleType` is `ONETIME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<ClockTime>,
    /// `yyyy-MM-dd`; required when `scheduleType` is `ONETIME`.
    #[serde(default, with = "ymd", skip_serializing_if = "Option::is_none")]
    pub fix_date: Option<NaiveDate>,
    /// Days of a weekly rule (values undocumented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<String>>,
    /// Day of a monthly rule, 1–31 (undocumented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_month: Option<u8>,
}

/// `POST /fim/v3/autocorrelation/rules/{autoCorrelationRuleId}/update`.
///
/// Every field is optional; the rules of [`CorrelationRuleCreate`] apply to those present. The
/// release notes mark `reviewers` "(Required)" here as for create, the user guide marks it
/// optional: the checker warns when it is missing. The user guide's table does not list
/// `ruleName` and `filterQuery` for updates; they are accepted (the response echoes them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CorrelationRuleUpdate {
    /// 1–112 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_name: Option<String>,
    /// A filter in the events scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_query: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// 1–10 user names or e-mail addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewers: Option<Vec<String>>,
    /// `MANUAL` or `AUTOMATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_type: Option<ApprovalType>,
    /// Required when `approvalType` is `AUTOMATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_status: Option<ApprovalStatus>,
    /// Required when `approvalType` is `AUTOMATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_type: Option<ChangeType>,
    /// Required when `approvalType` is `AUTOMATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Required when `approvalType` is `AUTOMATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition_category: Option<DispositionCategory>,
    /// When the rule runs (the user guide: a one-time rule cannot become recurring, nor back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_type: Option<ScheduleType>,
    /// `HH:MM:SS`, UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<ClockTime>,
    /// `HH:MM:SS`, UTC; required when `scheduleType` is `ONETIME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<ClockTime>,
    /// `yyyy-MM-dd`; required when `scheduleType` is `ONETIME`.
    #[serde(default, with = "ymd", skip_serializing_if = "Option::is_none")]
    pub fix_date: Option<NaiveDate>,
    /// Days of a weekly rule (values undocumented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<String>>,
    /// Day of a monthly rule, 1–31 (undocumented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_month: Option<u8>,
}

/// `POST /fim/v2/events/search`, `/fim/v2/events/ignore/search` and
/// `/fim/v2/incidents/{incidentId}/events/search`.
///
/// The release notes show `filter` and `pageSize`. The user guide adds `pageNumber` (from 0),
/// `sort` (a string holding JSON, e.g. `[{"dateTime":"desc"}]`) and `attributes` (a
/// comma-separated list), and types the page fields as strings while sending numbers; both are
/// read. `incidentContext` and `incidentIds` are documented in neither source.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventSearch {
    /// A filter in the events scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// The page, from 0.
    #[serde(default, with = "lenient_u32", skip_serializing_if = "Option::is_none")]
    pub page_number: Option<u32>,
    /// Records per page, at least 1 (default 10, says the user guide).
    #[serde(default, with = "lenient_u32", skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// A JSON array of `{"token": "asc"|"desc"}` objects, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// Search within incidents (undocumented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_context: Option<bool>,
    /// The incidents to search within (undocumented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_ids: Option<Vec<String>>,
    /// Attributes to return, comma-separated (user guide).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<String>,
}

/// `POST /fim/v2/events/count`, `/fim/v2/events/ignore/count` and
/// `/fim/v2/incidents/{incidentId}/events/count`.
///
/// The release notes show `filter` and `groupBy` (a list of event tokens; the response then maps
/// each value to its count). `incidentContext` and `incidentIds` are documented nowhere.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventCount {
    /// A filter in the events scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Event tokens to group the counts by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<Vec<String>>,
    /// Count within incidents (undocumented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_context: Option<bool>,
    /// The incidents to count within (undocumented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_ids: Option<Vec<String>>,
}

/// `POST /fim/v3/incidents/search` (user guide; the release notes show no incident search).
/// Like [`EventSearch`], with the filter in the incidents scope.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentSearch {
    /// A filter in the incidents scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// The page, from 0.
    #[serde(default, with = "lenient_u32", skip_serializing_if = "Option::is_none")]
    pub page_number: Option<u32>,
    /// Records per page, at least 1.
    #[serde(default, with = "lenient_u32", skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// A JSON array of `{"token": "asc"|"desc"}` objects, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// Attributes to return, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<String>,
}

/// A request body of any kind. Serializes as the bare body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Request {
    /// See [`IncidentApprove`].
    IncidentApprove(IncidentApprove),
    /// See [`IncidentCreate`].
    IncidentCreate(IncidentCreate),
    /// See [`CorrelationRuleCreate`].
    CorrelationRuleCreate(CorrelationRuleCreate),
    /// See [`CorrelationRuleUpdate`].
    CorrelationRuleUpdate(CorrelationRuleUpdate),
    /// See [`EventSearch`].
    EventSearch(EventSearch),
    /// See [`EventCount`].
    EventCount(EventCount),
    /// See [`IncidentSearch`].
    IncidentSearch(IncidentSearch),
}

impl Request {
    /// The kind of request.
    pub fn kind(&self) -> RequestKind {
        match self {
            Request::IncidentApprove(_) => RequestKind::IncidentApprove,
            Request::IncidentCreate(_) => RequestKind::IncidentCreate,
            Request::CorrelationRuleCreate(_) => RequestKind::CorrelationRuleCreate,
            Request::CorrelationRuleUpdate(_) => RequestKind::CorrelationRuleUpdate,
            Request::EventSearch(_) => RequestKind::EventSearch,
            Request::EventCount(_) => RequestKind::EventCount,
            Request::IncidentSearch(_) => RequestKind::IncidentSearch,
        }
    }

    /// Reads a body of the given kind with serde alone (types only; use [`check_request`] for the
    /// documented constraints and the filters).
    pub fn from_value(kind: RequestKind, body: Json) -> serde_json::Result<Request> {
        use serde_json::from_value as v;
        Ok(match kind {
            RequestKind::IncidentApprove => Request::IncidentApprove(v(body)?),
            RequestKind::IncidentCreate => Request::IncidentCreate(v(body)?),
            RequestKind::CorrelationRuleCreate => Request::CorrelationRuleCreate(v(body)?),
            RequestKind::CorrelationRuleUpdate => Request::CorrelationRuleUpdate(v(body)?),
            RequestKind::EventSearch => Request::EventSearch(v(body)?),
            RequestKind::EventCount => Request::EventCount(v(body)?),
            RequestKind::IncidentSearch => Request::IncidentSearch(v(body)?),
        })
    }

    /// The embedded filters with their JSON paths and scopes.
    pub fn filters(&self) -> Vec<(String, &str, Scope)> {
        fn one<'r>(
            path: &str,
            f: &'r Option<String>,
            scope: Scope,
        ) -> Vec<(String, &'r str, Scope)> {
            f.as_deref()
                .map(|f| (path.to_string(), f, scope))
                .into_iter()
                .collect()
        }
        match self {
            Request::IncidentApprove(_) => Vec::new(),
            Request::IncidentCreate(r) => r
                .filters
                .iter()
                .enumerate()
                .map(|(i, f)| (format!("filters[{i}]"), f.as_str(), Scope::Events))
                .collect(),
            Request::CorrelationRuleCreate(r) => {
                vec![("filterQuery".into(), r.filter_query.as_str(), Scope::Events)]
            }
            Request::CorrelationRuleUpdate(r) => one("filterQuery", &r.filter_query, Scope::Events),
            Request::EventSearch(r) => one("filter", &r.filter, Scope::Events),
            Request::EventCount(r) => one("filter", &r.filter, Scope::Events),
            Request::IncidentSearch(r) => one("filter", &r.filter, Scope::Incidents),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Response bodies
// ---------------------------------------------------------------------------------------------

/// An incident, as the approve and create responses return it. Every field is optional because
/// the responses differ (the create response carries only some). Dates are kept as sent
/// (`2022-12-15T16:08:19.560+0000`); [`crate::date::parse_event_date`] reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Incident {
    pub customer_id: Option<String>,
    #[serde(rename = "type")]
    pub incident_type: Option<IncidentType>,
    pub id: Option<String>,
    pub filter_from_date: Option<String>,
    pub filter_to_date: Option<String>,
    pub name: Option<String>,
    pub filters: Option<Vec<String>>,
    pub status: Option<IncidentStatus>,
    pub reviewers: Option<Vec<String>>,
    pub comment: Option<String>,
    pub assign_date: Option<String>,
    pub approval_date: Option<String>,
    pub approval_status: Option<ApprovalStatus>,
    pub disposition_category: Option<DispositionCategory>,
    pub change_type: Option<ChangeType>,
    pub approval_type: Option<ApprovalType>,
    pub created_by_id: Option<String>,
    pub created_by_name: Option<String>,
    pub created_date: Option<String>,
    pub last_updated_by_id: Option<String>,
    pub last_updated_by_name: Option<String>,
    pub last_updated_date: Option<String>,
    pub filter_updated_date: Option<String>,
    pub deleted: Option<bool>,
    pub marked: Option<bool>,
    /// `null` in the only sample; its type is unknown.
    pub moved: Option<Json>,
    /// `COMPLETED` in the samples.
    pub markup_status: Option<String>,
    pub rule_id: Option<String>,
    pub rule_name: Option<String>,
    pub user_info: Option<UserStamp>,
}

/// A correlation rule, as the create and update responses return it (they differ: create
/// carries `createdBy`/`updatedBy` stamps, update the `createdById`… fields).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct CorrelationRule {
    pub customer_id: Option<String>,
    pub id: Option<String>,
    pub rule_name: Option<String>,
    pub filter_query: Option<String>,
    pub description: Option<String>,
    pub start_time: Option<ClockTime>,
    pub end_time: Option<ClockTime>,
    pub schedule_type: Option<ScheduleType>,
    pub days: Option<Vec<String>>,
    #[serde(default, with = "ymd")]
    pub fix_date: Option<NaiveDate>,
    pub change_type: Option<ChangeType>,
    pub disposition_category: Option<DispositionCategory>,
    pub approval_type: Option<ApprovalType>,
    pub approval_status: Option<ApprovalStatus>,
    pub reviewers: Option<Vec<String>>,
    pub comment: Option<String>,
    pub created_by: Option<UserStamp>,
    pub updated_by: Option<UserStamp>,
    pub deleted: Option<bool>,
    /// `ACTIVATED` in the sample; other values are undocumented.
    pub status: Option<String>,
    pub day_of_month: Option<u8>,
    pub created_by_id: Option<String>,
    pub created_by_name: Option<String>,
    pub created_date: Option<String>,
    pub updated_by_id: Option<String>,
    pub updated_by_name: Option<String>,
    pub updated_date: Option<String>,
    pub deleted_by_id: Option<String>,
    pub deleted_by_name: Option<String>,
    pub deleted_date: Option<String>,
}

/// One element of an events search response: `{"sortValues": [...], "data": {event}}`. The event
/// stays JSON, the form [`crate::Filter::matches`] evaluates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventHit {
    /// The values the results are sorted by.
    #[serde(default)]
    pub sort_values: Vec<Json>,
    /// The event.
    pub data: Map<String, Json>,
}

/// An events count response: `{"count": 13}` without `groupBy`, one count per value with it
/// (`{"Added": 13, "Removed": 3}`).
pub type CountResponse = BTreeMap<String, u64>;

// ---------------------------------------------------------------------------------------------
// Kinds
// ---------------------------------------------------------------------------------------------

/// Which request a body is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestKind {
    /// `incident-approve`: see [`IncidentApprove`].
    IncidentApprove,
    /// `incident-create`: see [`IncidentCreate`].
    IncidentCreate,
    /// `correlation-rule-create`: see [`CorrelationRuleCreate`].
    CorrelationRuleCreate,
    /// `correlation-rule-update`: see [`CorrelationRuleUpdate`].
    CorrelationRuleUpdate,
    /// `event-search`: see [`EventSearch`].
    EventSearch,
    /// `event-count`: see [`EventCount`].
    EventCount,
    /// `incident-search`: see [`IncidentSearch`]; never detected, only given.
    IncidentSearch,
}

const APPROVE_FIELDS: &[&str] = &[
    "approvalStatus",
    "changeType",
    "dispositionCategory",
    "comment",
    "reviewers",
];
const INCIDENT_CREATE_FIELDS: &[&str] = &[
    "name",
    "reviewers",
    "filters",
    "comment",
    "type",
    "userInfo",
];
const RULE_FIELDS: &[&str] = &[
    "ruleName",
    "filterQuery",
    "description",
    "reviewers",
    "approvalType",
    "approvalStatus",
    "changeType",
    "comment",
    "dispositionCategory",
    "scheduleType",
    "startTime",
    "endTime",
    "fixDate",
    "days",
    "dayOfMonth",
];
const EVENT_SEARCH_FIELDS: &[&str] = &[
    "filter",
    "pageNumber",
    "pageSize",
    "sort",
    "incidentContext",
    "incidentIds",
    "attributes",
];
const EVENT_COUNT_FIELDS: &[&str] = &["filter", "groupBy", "incidentContext", "incidentIds"];
const INCIDENT_SEARCH_FIELDS: &[&str] = &["filter", "pageNumber", "pageSize", "sort", "attributes"];

impl RequestKind {
    /// Every kind.
    pub const ALL: [RequestKind; 7] = [
        RequestKind::IncidentApprove,
        RequestKind::IncidentCreate,
        RequestKind::CorrelationRuleCreate,
        RequestKind::CorrelationRuleUpdate,
        RequestKind::EventSearch,
        RequestKind::EventCount,
        RequestKind::IncidentSearch,
    ];

    /// The kebab-case name, e.g. `"correlation-rule-create"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestKind::IncidentApprove => "incident-approve",
            RequestKind::IncidentCreate => "incident-create",
            RequestKind::CorrelationRuleCreate => "correlation-rule-create",
            RequestKind::CorrelationRuleUpdate => "correlation-rule-update",
            RequestKind::EventSearch => "event-search",
            RequestKind::EventCount => "event-count",
            RequestKind::IncidentSearch => "incident-search",
        }
    }

    /// The endpoints that take this body.
    pub const fn endpoints(self) -> &'static [&'static str] {
        match self {
            RequestKind::IncidentApprove => &["POST /fim/v3/incidents/{incidentId}/approve"],
            RequestKind::IncidentCreate => &["POST /fim/v3/incidents/create"],
            RequestKind::CorrelationRuleCreate => &["POST /fim/v3/autocorrelation/rules/create"],
            RequestKind::CorrelationRuleUpdate => {
                &["POST /fim/v3/autocorrelation/rules/{autoCorrelationRuleId}/update"]
            }
            RequestKind::EventSearch => &[
                "POST /fim/v2/events/search",
                "POST /fim/v2/events/ignore/search",
                "POST /fim/v2/incidents/{incidentId}/events/search",
            ],
            RequestKind::EventCount => &[
                "POST /fim/v2/events/count",
                "POST /fim/v2/events/ignore/count",
                "POST /fim/v2/incidents/{incidentId}/events/count",
            ],
            RequestKind::IncidentSearch => &["POST /fim/v3/incidents/search"],
        }
    }

    /// The fields the body may hold (wire spelling).
    pub const fn fields(self) -> &'static [&'static str] {
        match self {
            RequestKind::IncidentApprove => APPROVE_FIELDS,
            RequestKind::IncidentCreate => INCIDENT_CREATE_FIELDS,
            RequestKind::CorrelationRuleCreate | RequestKind::CorrelationRuleUpdate => RULE_FIELDS,
            RequestKind::EventSearch => EVENT_SEARCH_FIELDS,
            RequestKind::EventCount => EVENT_COUNT_FIELDS,
            RequestKind::IncidentSearch => INCIDENT_SEARCH_FIELDS,
        }
    }

    /// The scope of the body's filters.
    pub const fn filter_scope(self) -> Scope {
        match self {
            RequestKind::IncidentSearch => Scope::Incidents,
            _ => Scope::Events,
        }
    }

    /// The kind a body's fields point to, checked in this order:
    ///
    /// 1. `ruleName` or `filterQuery`: a correlation rule create;
    /// 2. another field only correlation rules have (`scheduleType`, `startTime`, `endTime`,
    ///    `fixDate`, `description`, `approvalType`, `days`, `dayOfMonth`): an update;
    /// 3. `name`, `filters`, `type` or `userInfo`: a manual incident;
    /// 4. `groupBy`: an events count;
    /// 5. `filter`, `pageNumber`, `pageSize`, `sort`, `incidentContext`, `incidentIds` or
    ///    `attributes`: an events search (an events count without `groupBy` has the same body,
    ///    and so has an incident search);
    /// 6. `approvalStatus`, `changeType`, `dispositionCategory`, `comment` or `reviewers`: an
    ///    incident approval.
    ///
    /// `None` when no field points anywhere. Pass the kind to the checker to be sure.
    pub fn detect(body: &Map<String, Json>) -> Option<RequestKind> {
        let has = |keys: &[&str]| keys.iter().any(|k| body.contains_key(*k));
        if has(&["ruleName", "filterQuery"]) {
            Some(RequestKind::CorrelationRuleCreate)
        } else if has(&[
            "scheduleType",
            "startTime",
            "endTime",
            "fixDate",
            "description",
            "approvalType",
            "days",
            "dayOfMonth",
        ]) {
            Some(RequestKind::CorrelationRuleUpdate)
        } else if has(&["name", "filters", "type", "userInfo"]) {
            Some(RequestKind::IncidentCreate)
        } else if has(&["groupBy"]) {
            Some(RequestKind::EventCount)
        } else if has(EVENT_SEARCH_FIELDS) {
            Some(RequestKind::EventSearch)
        } else if has(APPROVE_FIELDS) {
            Some(RequestKind::IncidentApprove)
        } else {
            None
        }
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RequestKind {
    type Err = Diagnostic;
    /// The kind's name; anything else is an `unknown-name` diagnostic with a did-you-mean.
    fn from_str(s: &str) -> Result<RequestKind, Diagnostic> {
        RequestKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = RequestKind::ALL.iter().map(|k| k.as_str()).collect();
                crate::suggest::unknown_name("request kind", s, &names)
            })
    }
}

// ---------------------------------------------------------------------------------------------
// Findings and the report
// ---------------------------------------------------------------------------------------------

macro_rules! finding_codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// The stable code of a [`Finding`]; [`FindingCode::as_str`] gives the kebab-case name used
        /// in JSON output.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        #[non_exhaustive]
        pub enum FindingCode {
            $( $(#[$doc])* $variant, )*
        }

        impl FindingCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [FindingCode] = &[ $( FindingCode::$variant, )* ];

            /// The kebab-case name, e.g. `"too-many"`.
            pub const fn as_str(self) -> &'static str {
                match self { $( FindingCode::$variant => $name, )* }
            }
        }
    };
}

finding_codes! {
    /// The body is not valid JSON (the finding has a [`Location`]).
    InvalidJson = "invalid-json",
    /// The body is not a JSON object.
    NotAnObject = "not-an-object",
    /// No kind was given and the fields do not tell.
    UnknownKind = "unknown-kind",
    /// A required field is missing or null.
    MissingField = "missing-field",
    /// A field the request does not know (warning).
    UnknownField = "unknown-field",
    /// A value of the wrong JSON type.
    WrongType = "wrong-type",
    /// A string shorter than allowed (an empty name).
    TooShort = "too-short",
    /// A string longer than allowed.
    TooLong = "too-long",
    /// A value that is only whitespace.
    Blank = "blank",
    /// An array with more entries than allowed (more than 10 reviewers).
    TooMany = "too-many",
    /// An array that must not be empty is.
    EmptyList = "empty-list",
    /// A value outside an enumeration, or not allowed in this request.
    InvalidValue = "invalid-value",
    /// A reviewer with an `@` that is not an e-mail address.
    InvalidEmail = "invalid-email",
    /// A reviewer that is not a usable user name.
    InvalidUserName = "invalid-user-name",
    /// Leading or trailing whitespace in a reviewer (warning).
    SurroundingWhitespace = "surrounding-whitespace",
    /// The same entry twice (warning).
    Duplicate = "duplicate",
    /// A time of day not written `HH:MM:SS`.
    InvalidTime = "invalid-time",
    /// A date not written `yyyy-MM-dd`, or not in the calendar.
    InvalidDate = "invalid-date",
    /// A date before today (warning).
    PastDate = "past-date",
    /// A number out of range.
    OutOfRange = "out-of-range",
    /// A `sort` string that does not hold `[{"token": "asc"|"desc"}, ...]`.
    InvalidSort = "invalid-sort",
    /// A `groupBy` (error) or `sort` (warning) token that the catalog does not know.
    UnknownToken = "unknown-token",
    /// A problem in an embedded filter; the finding carries the filter's [`Diagnostic`].
    Filter = "filter",
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A filter problem inside a request: the filter text, its scope and its diagnostic (whose span
/// points into `text`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterFinding {
    /// The filter as the body holds it (JSON escapes resolved).
    pub text: String,
    /// The scope it was validated in.
    pub scope: Scope,
    /// The filter's own diagnostic.
    pub diagnostic: Diagnostic,
}

/// Where in the request text a JSON syntax error is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The text of that line, for rendering.
    pub text: String,
}

/// One problem found in a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code.
    pub code: FindingCode,
    /// The JSON path of the value: `reviewers`, `reviewers[3]`, `filters[0]`,
    /// `userInfo.user.name`; empty for the whole body.
    pub path: String,
    /// One sentence saying what is wrong.
    pub message: String,
    /// A suggestion, when one helps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// For [`FindingCode::Filter`]: the filter and its diagnostic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<FilterFinding>,
    /// For [`FindingCode::InvalidJson`]: the line and column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Finding {
    fn new(severity: Severity, code: FindingCode, path: &str, message: String) -> Finding {
        Finding {
            severity,
            code,
            path: path.to_string(),
            message,
            help: None,
            filter: None,
            location: None,
        }
    }

    fn error(code: FindingCode, path: &str, message: impl Into<String>) -> Finding {
        Finding::new(Severity::Error, code, path, message.into())
    }

    fn warning(code: FindingCode, path: &str, message: impl Into<String>) -> Finding {
        Finding::new(Severity::Warning, code, path, message.into())
    }

    fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The human form: a line naming the JSON path, then the problem; for a filter problem the
    /// filter's rendered diagnostic with a caret under its span.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.path.is_empty() {
            out.push_str("in the request body:\n");
        } else {
            out.push_str(&format!("in `{}`:\n", self.path));
        }
        if let Some(ff) = &self.filter {
            out.push_str(&ff.diagnostic.render(&ff.text).to_string());
            return out;
        }
        out.push_str(&format!(
            "{}[{}]: {}\n",
            self.severity, self.code, self.message
        ));
        if let Some(loc) = &self.location {
            let num = loc.line.to_string();
            let gutter = " ".repeat(num.len());
            let shown: String = loc
                .text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            out.push_str(&format!("{gutter}--> {}:{}\n", loc.line, loc.column));
            out.push_str(&format!("{gutter} |\n"));
            out.push_str(&format!("{num} | {shown}\n"));
            out.push_str(&format!(
                "{gutter} | {}^\n",
                " ".repeat(loc.column.saturating_sub(1))
            ));
        }
        if let Some(help) = &self.help {
            out.push_str(&format!("  = help: {help}\n"));
        }
        out
    }

    /// The JSON form: `severity`, `code`, `path`, `message`, optional `help`, `line` and `column`
    /// for invalid JSON, and `filter` (`text`, `scope`, `diagnostic` in the form of
    /// [`Diagnostic::to_json`], with line and column inside the filter) for filter problems.
    pub fn to_json(&self) -> Json {
        let mut o = Map::new();
        o.insert("severity".into(), self.severity.to_string().into());
        o.insert("code".into(), self.code.as_str().into());
        o.insert("path".into(), self.path.clone().into());
        o.insert("message".into(), self.message.clone().into());
        if let Some(h) = &self.help {
            o.insert("help".into(), h.clone().into());
        }
        if let Some(loc) = &self.location {
            o.insert("line".into(), loc.line.into());
            o.insert("column".into(), loc.column.into());
        }
        if let Some(ff) = &self.filter {
            let mut f = Map::new();
            f.insert("text".into(), ff.text.clone().into());
            f.insert("scope".into(), ff.scope.as_str().into());
            f.insert("diagnostic".into(), ff.diagnostic.to_json(&ff.text));
            o.insert("filter".into(), Json::Object(f));
        }
        Json::Object(o)
    }
}

/// The result of [`check_request`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

    /// The findings with a given code.
    pub fn with_code(&self, code: FindingCode) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.code == code)
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

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

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
            report.findings.push(invalid_json(json, &e));
            return report;
        }
    };
    let Json::Object(body) = &value else {
        report.findings.push(
            Finding::error(
                FindingCode::NotAnObject,
                "",
                format!(
                    "the request body is {}, not a JSON object",
                    type_name(&value)
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
                    FindingCode::UnknownKind,
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

    let mut ck = Checker {
        body,
        opts,
        now: opts.now.unwrap_or_else(Utc::now),
        out: Vec::new(),
    };
    match kind {
        RequestKind::IncidentApprove => ck.incident_approve(),
        RequestKind::IncidentCreate => ck.incident_create(),
        RequestKind::CorrelationRuleCreate => ck.correlation_rule(true),
        RequestKind::CorrelationRuleUpdate => ck.correlation_rule(false),
        RequestKind::EventSearch => ck.search(Scope::Events, true),
        RequestKind::EventCount => ck.event_count(),
        RequestKind::IncidentSearch => ck.search(Scope::Incidents, false),
    }
    ck.unknown_fields(kind);
    report.findings = ck.out;

    if !report.has_errors() {
        match Request::from_value(kind, value) {
            Ok(r) => report.request = Some(r),
            Err(e) => report.findings.push(Finding::error(
                FindingCode::WrongType,
                "",
                format!("the body does not fit the {kind} model: {e}"),
            )),
        }
    }
    report
}

/// The one place embedded filters are validated: parsed with the limits of `opts` and validated
/// in their scope against the clock of the check.
fn filter_diagnostics(src: &str, scope: Scope, opts: &Options, now: Instant) -> Vec<Diagnostic> {
    let fopts = opts.clone().scope(scope).now(now);
    let mut diags = match crate::parse::parse_with(src, &fopts) {
        Ok(query) => crate::validate::validate_query(&query, &fopts),
        Err(e) => e.0,
    };
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    diags
}

/// The finding for text that is not JSON, with the line and column (in characters) of the error.
fn invalid_json(src: &str, e: &serde_json::Error) -> Finding {
    let lines: Vec<&str> = src.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    let line_text = |n: usize| lines.get(n.wrapping_sub(1)).copied().unwrap_or("");
    let (line, column) = match (e.line(), e.column()) {
        // Column 0 means the offending character ended the previous line (a line break), except at
        // the end of the input.
        (l, 0) if l > 1 && e.classify() != serde_json::error::Category::Eof => {
            (l - 1, line_text(l - 1).chars().count() + 1)
        }
        (l, 0) => (l.max(1), 1),
        (l, c) => {
            let text = line_text(l);
            let mut b = (c - 1).min(text.len());
            while !text.is_char_boundary(b) {
                b -= 1;
            }
            (l, text[..b].chars().count() + 1)
        }
    };
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    let mut f = Finding::error(
        FindingCode::InvalidJson,
        "",
        format!("the request is not valid JSON: {message}"),
    );
    if src.starts_with('\u{feff}') && line == 1 && column == 1 {
        f = f.help("remove the byte order mark at the start of the file");
    } else if message.starts_with("control character") {
        f = f.help(
            "a line break inside a JSON string must be written \\n; text copied from a PDF often carries one",
        );
    }
    f.location = Some(Location {
        line,
        column,
        text: line_text(line).to_string(),
    });
    f
}

fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// The path of member `key` under `parent`: `a.b`, or `a["odd key"]`.
fn child_path(parent: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match (plain, parent.is_empty()) {
        (true, true) => key.to_string(),
        (true, false) => format!("{parent}.{key}"),
        (false, _) => format!("{parent}[{}]", Json::String(key.to_string())),
    }
}

/// The closest candidate to `s`, if close enough to suggest.
fn closest<'c>(s: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let lower = s.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Optional,
    Required,
    /// Required because of another field's value (the reason).
    RequiredIf(&'static str),
    /// A warning when missing (the reason).
    Expected(&'static str),
}

struct Checker<'a> {
    body: &'a Map<String, Json>,
    opts: &'a Options,
    now: Instant,
    out: Vec<Finding>,
}

impl<'a> Checker<'a> {
    fn push(&mut self, f: Finding) {
        self.out.push(f);
    }

    /// The value of a top-level field, if present and not null; reports it missing as `need` says.
    fn get(&mut self, key: &str, need: Need) -> Option<&'a Json> {
        let v = self.body.get(key);
        if let Some(v) = v.filter(|v| !v.is_null()) {
            return Some(v);
        }
        let what = if v.is_some() {
            format!("`{key}` is null")
        } else {
            format!("`{key}` is missing")
        };
        match need {
            Need::Optional => {}
            Need::Required => self.push(Finding::error(
                FindingCode::MissingField,
                key,
                format!("{what}; it is required"),
            )),
            Need::RequiredIf(why) => self.push(Finding::error(
                FindingCode::MissingField,
                key,
                format!("{what}; it is required when {why}"),
            )),
            Need::Expected(why) => self.push(Finding::warning(
                FindingCode::MissingField,
                key,
                format!("{what}; {why}"),
            )),
        }
        None
    }

    fn string(&mut self, path: &str, v: &'a Json) -> Option<&'a str> {
        match v {
            Json::String(s) => Some(s),
            other => {
                self.push(Finding::error(
                    FindingCode::WrongType,
                    path,
                    format!("`{path}` must be a string, not {}", type_name(other)),
                ));
                None
            }
        }
    }

    fn string_field(&mut self, key: &str, need: Need) -> Option<&'a str> {
        let v = self.get(key, need)?;
        self.string(key, v)
    }

    /// A string field with a length in characters of `min..=max`.
    fn text(&mut self, key: &str, need: Need, min: usize, max: Option<usize>) -> Option<&'a str> {
        let s = self.string_field(key, need)?;
        let n = s.chars().count();
        let range = match max {
            Some(max) => format!("{min} to {max} characters"),
            None => format!("at least {min} characters"),
        };
        if n < min {
            let msg = if n == 0 {
                format!("`{key}` is empty; it must be {range} long")
            } else {
                format!("`{key}` is {n} characters long; it must be {range} long")
            };
            self.push(Finding::error(FindingCode::TooShort, key, msg));
        } else if let Some(max) = max.filter(|&max| n > max) {
            self.push(
                Finding::error(
                    FindingCode::TooLong,
                    key,
                    format!("`{key}` is {n} characters long; it must be {range} long"),
                )
                .help(match n - max {
                    1 => "shorten it by 1 character".to_string(),
                    k => format!("shorten it by {k} characters"),
                }),
            );
        } else if min > 0 && s.trim().is_empty() {
            self.push(Finding::warning(
                FindingCode::Blank,
                key,
                format!("`{key}` is only whitespace"),
            ));
        }
        Some(s)
    }

    /// An enumeration field: one of `allowed` (wire spellings), each of which is in `all`.
    fn enumeration(
        &mut self,
        key: &str,
        need: Need,
        what: &str,
        allowed: &[&'static str],
        all: &[&'static str],
    ) -> Option<&'static str> {
        let s = self.string_field(key, need)?;
        if let Some(&ok) = allowed.iter().find(|a| **a == s) {
            return Some(ok);
        }
        let list = allowed.join(", ");
        let mut f = if all.contains(&s) {
            Finding::error(
                FindingCode::InvalidValue,
                key,
                format!("{what} `{s}` is not allowed in this request; allowed: {list}"),
            )
        } else {
            Finding::error(
                FindingCode::InvalidValue,
                key,
                format!("`{s}` is not a valid {what}; allowed: {list}"),
            )
        };
        if let Some(c) = allowed.iter().find(|a| a.eq_ignore_ascii_case(s)) {
            f = f.help(format!("values are case-sensitive: write `{c}`"));
        } else if let Some(c) = closest(s, allowed.iter().copied()) {
            f = f.help(format!("did you mean `{c}`?"));
        }
        self.push(f);
        None
    }

    fn filter(&mut self, path: &str, src: &str, scope: Scope) {
        for d in filter_diagnostics(src, scope, self.opts, self.now) {
            let mut f = Finding::new(d.severity, FindingCode::Filter, path, d.message.clone());
            f.filter = Some(FilterFinding {
                text: src.to_string(),
                scope,
                diagnostic: d,
            });
            self.push(f);
        }
    }

    /// `filter`/`filterQuery`: a string holding a filter.
    fn filter_field(&mut self, key: &str, need: Need, scope: Scope, empty_means_all: bool) {
        let Some(s) = self.string_field(key, need) else {
            return;
        };
        if empty_means_all && s.trim().is_empty() {
            self.push(
                Finding::warning(
                    FindingCode::Blank,
                    key,
                    format!("`{key}` is empty, so the request applies to everything"),
                )
                .help(format!("leave `{key}` out to mean no filter")),
            );
            return;
        }
        self.filter(key, s, scope);
    }

    /// An array field; `None` (reported) if it is not an array.
    fn array(&mut self, key: &str, need: Need, example: &str) -> Option<&'a Vec<Json>> {
        match self.get(key, need)? {
            Json::Array(items) => Some(items),
            other => {
                let mut f = Finding::error(
                    FindingCode::WrongType,
                    key,
                    format!("`{key}` must be an array, not {}", type_name(other)),
                );
                f = match other {
                    Json::String(s) => {
                        let items: Vec<&str> = s
                            .split(',')
                            .map(str::trim)
                            .filter(|x| !x.is_empty())
                            .collect();
                        f.help(format!(
                            "send one entry per element: \"{key}\": {}",
                            serde_json::to_string(&items).unwrap_or_default()
                        ))
                    }
                    _ => f.help(format!("e.g. \"{key}\": {example}")),
                };
                self.push(f);
                None
            }
        }
    }

    fn reviewers(&mut self, need: Need) {
        let Some(items) = self.array("reviewers", need, "[\"jsmith\", \"jsmith@example.com\"]")
        else {
            return;
        };
        if items.is_empty() && need != Need::Optional {
            self.push(Finding::error(
                FindingCode::EmptyList,
                "reviewers",
                "`reviewers` is empty; name at least one user name or e-mail address",
            ));
        }
        if items.len() > MAX_REVIEWERS {
            self.push(
                Finding::error(
                    FindingCode::TooMany,
                    "reviewers",
                    format!(
                        "`reviewers` has {} entries; at most {MAX_REVIEWERS} are allowed",
                        items.len()
                    ),
                )
                .help(format!("remove {}", items.len() - MAX_REVIEWERS)),
            );
        }
        let mut seen: Vec<(String, usize)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("reviewers[{i}]");
            let Some(s) = self.string(&path, item) else {
                continue;
            };
            if let Some((code, why)) = reviewer_problem(s) {
                let what = if code == FindingCode::InvalidEmail {
                    "an e-mail address"
                } else {
                    "a user name"
                };
                let shown = Json::String(s.to_string());
                self.push(Finding::error(
                    code,
                    &path,
                    format!("{shown} is not {what}: {why}"),
                ));
                continue;
            }
            if s.trim() != s {
                self.push(
                    Finding::warning(
                        FindingCode::SurroundingWhitespace,
                        &path,
                        format!(
                            "{} has leading or trailing whitespace",
                            Json::String(s.to_string())
                        ),
                    )
                    .help(format!("write {}", Json::String(s.trim().to_string()))),
                );
            }
            let key = s.trim().to_lowercase();
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                self.push(Finding::warning(
                    FindingCode::Duplicate,
                    &path,
                    format!(
                        "{} is listed twice (first at `reviewers[{first}]`)",
                        Json::String(s.to_string())
                    ),
                ));
            } else {
                seen.push((key, i));
            }
        }
    }

    fn time(&mut self, key: &str, need: Need) {
        let Some(s) = self.string_field(key, need) else {
            return;
        };
        if let Err(why) = s.parse::<ClockTime>() {
            self.push(
                Finding::error(
                    FindingCode::InvalidTime,
                    key,
                    format!(
                        "`{key}` {} is not a time of day: {why}",
                        Json::String(s.into())
                    ),
                )
                .help("write HH:MM:SS in UTC, e.g. \"23:59:00\""),
            );
        }
    }

    fn fix_date(&mut self, need: Need) {
        let Some(s) = self.string_field("fixDate", need) else {
            return;
        };
        match parse_ymd(s) {
            Err(why) => self.push(
                Finding::error(
                    FindingCode::InvalidDate,
                    "fixDate",
                    format!("`fixDate` {} is not a date: {why}", Json::String(s.into())),
                )
                .help("write yyyy-MM-dd, e.g. \"2023-06-04\""),
            ),
            Ok(d) => {
                let today = self.now.date_naive();
                if d < today {
                    self.push(Finding::warning(
                        FindingCode::PastDate,
                        "fixDate",
                        format!("`fixDate` {d} is in the past (today is {today}); the API expects a date from today on"),
                    ));
                }
            }
        }
    }

    /// A whole number of at least `min` (or a string of digits), at most `u32::MAX`.
    fn count(&mut self, key: &str, min: u32) {
        let Some(v) = self.get(key, Need::Optional) else {
            return;
        };
        let n: Option<i128> = match v {
            Json::Number(n) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from)),
            Json::String(s) => crate::catalog::parse_integer(s).map(i128::from),
            _ => None,
        };
        let Some(n) = n else {
            self.push(Finding::error(
                FindingCode::WrongType,
                key,
                format!(
                    "`{key}` must be a whole number, not {}",
                    match v {
                        Json::Number(_) => "a fraction".to_string(),
                        Json::String(s) => format!("the string {}", Json::String(s.clone())),
                        other => type_name(other).to_string(),
                    }
                ),
            ));
            return;
        };
        if n < i128::from(min) || n > i128::from(u32::MAX) {
            let limit = if n < i128::from(min) {
                format!("it must be at least {min}")
            } else {
                format!("it must be at most {}", u32::MAX)
            };
            self.push(Finding::error(
                FindingCode::OutOfRange,
                key,
                format!("`{key}` is {n}; {limit}"),
            ));
        }
    }

    fn boolean(&mut self, key: &str) {
        let Some(v) = self.get(key, Need::Optional) else {
            return;
        };
        if !v.is_boolean() {
            self.push(Finding::error(
                FindingCode::WrongType,
                key,
                format!("`{key}` must be true or false, not {}", type_name(v)),
            ));
        }
    }

    /// An array of non-empty strings.
    fn string_list(&mut self, key: &str, example: &str) {
        let Some(items) = self.array(key, Need::Optional, example) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            if let Some(s) = self.string(&path, item)
                && s.trim().is_empty()
            {
                self.push(Finding::error(
                    FindingCode::Blank,
                    &path,
                    format!("`{path}` is empty"),
                ));
            }
        }
    }

    fn sort(&mut self, scope: Scope) {
        const EXAMPLE: &str = r#"[{"dateTime":"desc"}]"#;
        let Some(v) = self.get("sort", Need::Optional) else {
            return;
        };
        let text = match v {
            Json::String(s) => s.as_str(),
            other => {
                let mut f = Finding::error(
                    FindingCode::WrongType,
                    "sort",
                    format!(
                        "`sort` must be a string holding a JSON array, not {}",
                        type_name(other)
                    ),
                );
                f = if other.is_array() {
                    f.help(format!(
                        "send the array as a string: \"sort\": {}",
                        Json::String(other.to_string())
                    ))
                } else {
                    f.help(format!("e.g. \"sort\": {}", Json::String(EXAMPLE.into())))
                };
                self.push(f);
                return;
            }
        };
        let bad = |msg: String| {
            Finding::error(FindingCode::InvalidSort, "sort", msg)
                .help(format!("e.g. \"sort\": {}", Json::String(EXAMPLE.into())))
        };
        let items = match serde_json::from_str::<Json>(text) {
            Ok(Json::Array(items)) => items,
            Ok(other) => {
                self.push(bad(format!(
                    "`sort` holds {}, not an array of {{\"token\": \"asc\"|\"desc\"}} objects",
                    type_name(&other)
                )));
                return;
            }
            Err(e) => {
                self.push(bad(format!(
                    "`sort` does not hold valid JSON: {e} (within the string)"
                )));
                return;
            }
        };
        for (i, item) in items.iter().enumerate() {
            let entry = match item {
                Json::Object(o) if o.len() == 1 => o.iter().next(),
                _ => None,
            };
            let Some((token, dir)) = entry else {
                self.push(bad(format!(
                    "entry {i} of `sort` must be an object with one token, like {{\"dateTime\":\"desc\"}}"
                )));
                continue;
            };
            if !dir
                .as_str()
                .is_some_and(|d| d.eq_ignore_ascii_case("asc") || d.eq_ignore_ascii_case("desc"))
            {
                self.push(bad(format!(
                    "`sort` orders `{token}` by {dir}; the order is \"asc\" or \"desc\""
                )));
            }
            if self.opts.catalog.lookup(scope, token).is_none() && !self.opts.allow_unknown {
                let mut f = Finding::warning(
                    FindingCode::UnknownToken,
                    "sort",
                    format!("`sort` orders by `{token}`, which is not a known {scope} token"),
                );
                if let Some(c) = closest(token, self.opts.catalog.names(scope)) {
                    f = f.help(format!("did you mean `{c}`?"));
                }
                self.push(f);
            }
        }
    }

    fn group_by(&mut self) {
        let Some(items) = self.array("groupBy", Need::Optional, "[\"action\"]") else {
            return;
        };
        let mut seen = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("groupBy[{i}]");
            let Some(token) = self.string(&path, item) else {
                continue;
            };
            let known = self.opts.catalog.lookup(Scope::Events, token);
            if known.is_none() && !self.opts.allow_unknown {
                let mut f = Finding::error(
                    FindingCode::UnknownToken,
                    &path,
                    format!("`{token}` is not a known events token"),
                );
                if let Some(c) = closest(token, self.opts.catalog.names(Scope::Events)) {
                    f = f.help(format!("did you mean `{c}`?"));
                }
                self.push(f);
            }
            let canonical = known.map_or(token, |t| t.name.as_str());
            if !seen.insert(canonical.to_string()) {
                self.push(Finding::warning(
                    FindingCode::Duplicate,
                    &path,
                    format!("`{token}` is listed twice"),
                ));
            }
        }
    }

    fn user_info(&mut self) {
        let Some(v) = self.get("userInfo", Need::Optional) else {
            return;
        };
        let Json::Object(o) = v else {
            self.push(
                Finding::error(
                    FindingCode::WrongType,
                    "userInfo",
                    format!("`userInfo` must be an object, not {}", type_name(v)),
                )
                .help("e.g. \"userInfo\": {\"user\": {\"name\": \"jsmith\", \"id\": \"...\"}}"),
            );
            return;
        };
        for (k, x) in o {
            let path = child_path("userInfo", k);
            match (k.as_str(), x) {
                (_, Json::Null) if k == "user" || k == "date" => {}
                ("user", Json::Object(u)) => {
                    for (k2, y) in u {
                        let p2 = child_path(&path, k2);
                        match (k2.as_str(), y) {
                            ("name" | "id", Json::String(_) | Json::Null) => {}
                            ("name" | "id", other) => self.push(Finding::error(
                                FindingCode::WrongType,
                                &p2,
                                format!("`{p2}` must be a string, not {}", type_name(other)),
                            )),
                            _ => self.push(Finding::warning(
                                FindingCode::UnknownField,
                                &p2,
                                format!("unknown field `{p2}` (a user has `name` and `id`)"),
                            )),
                        }
                    }
                }
                ("user", other) => self.push(Finding::error(
                    FindingCode::WrongType,
                    &path,
                    format!("`{path}` must be an object, not {}", type_name(other)),
                )),
                ("date", Json::Number(n)) if n.is_i64() => {}
                ("date", other) => self.push(Finding::error(
                    FindingCode::WrongType,
                    &path,
                    format!(
                        "`{path}` must be a whole number of epoch milliseconds, not {}",
                        type_name(other)
                    ),
                )),
                _ => self.push(Finding::warning(
                    FindingCode::UnknownField,
                    &path,
                    format!("unknown field `{path}` (userInfo has `user` and `date`)"),
                )),
            }
        }
    }

    fn day_of_month(&mut self) {
        let Some(v) = self.get("dayOfMonth", Need::Optional) else {
            return;
        };
        match v.as_u64() {
            Some(1..=31) => {}
            Some(n) => self.push(Finding::error(
                FindingCode::OutOfRange,
                "dayOfMonth",
                format!("`dayOfMonth` is {n}; it must be 1 to 31"),
            )),
            None => self.push(Finding::error(
                FindingCode::WrongType,
                "dayOfMonth",
                format!(
                    "`dayOfMonth` must be a whole number from 1 to 31, not {}",
                    type_name(v)
                ),
            )),
        }
    }

    fn unknown_fields(&mut self, kind: RequestKind) {
        let known = kind.fields();
        for key in self.body.keys() {
            if known.contains(&key.as_str()) {
                continue;
            }
            let path = child_path("", key);
            let mut f = Finding::warning(
                FindingCode::UnknownField,
                &path,
                format!(
                    "unknown field `{key}`: {kind} requests do not have it; the API may ignore or reject it"
                ),
            );
            if let Some(c) = known.iter().find(|k| k.eq_ignore_ascii_case(key)) {
                f = f.help(format!("field names are case-sensitive: `{c}`"));
            } else if let Some(c) = closest(key, known.iter().copied()) {
                f = f.help(format!("did you mean `{c}`?"));
            }
            self.push(f);
        }
    }

    // --- the requests ---

    fn incident_approve(&mut self) {
        self.enumeration(
            "approvalStatus",
            Need::Required,
            "approval status",
            APPROVE_STATUSES,
            ApprovalStatus::WIRE,
        );
        self.enumeration(
            "changeType",
            Need::Required,
            "change type",
            ChangeType::WIRE,
            ChangeType::WIRE,
        );
        self.enumeration(
            "dispositionCategory",
            Need::Required,
            "disposition category",
            DispositionCategory::WIRE,
            DispositionCategory::WIRE,
        );
        self.text("comment", Need::Optional, 0, None);
        self.reviewers(Need::Optional);
    }

    fn incident_create(&mut self) {
        let (min, max) = INCIDENT_NAME_LEN;
        self.text("name", Need::Required, min, Some(max));
        if let Some(items) = self.array(
            "filters",
            Need::Required,
            "[\"action:Create AND severity>=4\"]",
        ) {
            if items.is_empty() {
                self.push(Finding::error(
                    FindingCode::EmptyList,
                    "filters",
                    "`filters` is empty; give at least one filter",
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let path = format!("filters[{i}]");
                if let Some(src) = self.string(&path, item) {
                    self.filter(&path, src, Scope::Events);
                }
            }
        }
        self.reviewers(Need::Optional);
        self.text("comment", Need::Optional, 0, None);
        self.enumeration(
            "type",
            Need::Optional,
            "incident type",
            &["DEFAULT"],
            IncidentType::WIRE,
        );
        self.user_info();
    }

    fn correlation_rule(&mut self, create: bool) {
        let need = if create {
            Need::Required
        } else {
            Need::Optional
        };
        let (min, max) = RULE_NAME_LEN;
        self.text("ruleName", need, min, Some(max));
        self.filter_field("filterQuery", need, Scope::Events, false);
        self.text("description", Need::Optional, 0, None);
        self.reviewers(if create {
            Need::Required
        } else {
            Need::Expected(
                "the release notes mark it required for updates too (the user guide says optional)",
            )
        });
        let approval = self.enumeration(
            "approvalType",
            need,
            "approval type",
            ApprovalType::WIRE,
            ApprovalType::WIRE,
        );
        let when = if approval == Some("AUTOMATED") {
            Need::RequiredIf("`approvalType` is AUTOMATED")
        } else {
            Need::Optional
        };
        self.enumeration(
            "approvalStatus",
            when,
            "approval status",
            ApprovalStatus::WIRE,
            ApprovalStatus::WIRE,
        );
        self.enumeration(
            "changeType",
            when,
            "change type",
            ChangeType::WIRE,
            ChangeType::WIRE,
        );
        self.text("comment", when, 0, None);
        self.enumeration(
            "dispositionCategory",
            when,
            "disposition category",
            DispositionCategory::WIRE,
            DispositionCategory::WIRE,
        );
        let schedule = self.enumeration(
            "scheduleType",
            need,
            "schedule type",
            ScheduleType::WIRE,
            ScheduleType::WIRE,
        );
        self.time("startTime", need);
        let when = if schedule == Some("ONETIME") {
            Need::RequiredIf("`scheduleType` is ONETIME")
        } else {
            Need::Optional
        };
        self.time("endTime", when);
        self.fix_date(when);
        self.string_list("days", "[\"MONDAY\"]");
        self.day_of_month();
    }

    fn search(&mut self, scope: Scope, events: bool) {
        self.filter_field("filter", Need::Optional, scope, true);
        self.count("pageNumber", 0);
        self.count("pageSize", 1);
        self.sort(scope);
        if events {
            self.boolean("incidentContext");
            self.string_list("incidentIds", "[\"a0e6709b-14cc-4750-97c9-b693883adfb6\"]");
        }
        self.text("attributes", Need::Optional, 0, None);
    }

    fn event_count(&mut self) {
        self.filter_field("filter", Need::Optional, Scope::Events, true);
        self.group_by();
        self.boolean("incidentContext");
        self.string_list("incidentIds", "[\"a0e6709b-14cc-4750-97c9-b693883adfb6\"]");
    }
}

/// What is wrong with a reviewer entry, if anything: an entry with `@` must be an e-mail address,
/// any other a user name (which may hold spaces, as `Patrick williams` in the release notes).
fn reviewer_problem(s: &str) -> Option<(FindingCode, String)> {
    if s.contains('@') {
        return email_problem(s).map(|why| (FindingCode::InvalidEmail, why));
    }
    let why = if s.trim().is_empty() {
        "it is empty".to_string()
    } else if s.chars().any(char::is_control) {
        "it contains a control character".to_string()
    } else if let Some(c) = s.chars().find(|c| matches!(c, ',' | ';')) {
        format!("it contains `{c}`; put each reviewer in its own array element")
    } else {
        return None;
    };
    Some((FindingCode::InvalidUserName, why))
}

/// Why `s` is not an e-mail address (`local@domain.tld`, dot-atom local part, host-name labels).
fn email_problem(s: &str) -> Option<String> {
    let (local, domain) = s.split_once('@')?;
    if domain.contains('@') {
        return Some("it has more than one `@`".into());
    }
    if s.chars().any(char::is_whitespace) {
        return Some("it contains whitespace".into());
    }
    if local.is_empty() {
        return Some("nothing comes before the `@`".into());
    }
    if domain.is_empty() {
        return Some("nothing comes after the `@`".into());
    }
    if local.chars().count() > 64 {
        return Some("the part before the `@` is longer than 64 characters".into());
    }
    if let Some(c) = local
        .chars()
        .find(|&c| !(c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~-.".contains(c)))
    {
        return Some(format!("`{c}` is not allowed before the `@`"));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Some("a `.` before the `@` cannot start, end or repeat".into());
    }
    if domain.chars().count() > 253 {
        return Some("the domain is longer than 253 characters".into());
    }
    if !domain.contains('.') {
        return Some(format!("the domain `{domain}` has no `.`"));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Some(format!("the domain `{domain}` has an empty part"));
        }
        if let Some(c) = label.chars().find(|&c| !(c.is_alphanumeric() || c == '-')) {
            return Some(format!("`{c}` is not allowed in the domain"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some(format!("`{label}` in the domain starts or ends with `-`"));
        }
        if label.chars().count() > 63 {
            return Some(format!(
                "`{label}` in the domain is longer than 63 characters"
            ));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Some(format!("the domain `{domain}` ends in a number"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "user_patrick@qualys.com",
            "test@quays.com",
            "a.b+c@sub.example.co",
            "jörg@bücher.de",
        ] {
            assert_eq!(email_problem(ok), None, "{ok}");
        }
        for bad in [
            "user@@qualys.com",
            "@qualys.com",
            "user@",
            "user@qualys",
            "us er@qualys.com",
            "user@qualys..com",
            ".user@qualys.com",
            "user@-qualys.com",
            "user@qualys.123",
            "us\"er@qualys.com",
        ] {
            assert!(email_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn user_names() {
        for ok in [
            "Patrick williams",
            "quays_wk29",
            "testUser",
            "updated_reviewer",
        ] {
            assert_eq!(reviewer_problem(ok), None, "{ok}");
        }
        for bad in ["", "  ", "a,b", "a;b", "a\u{7}b"] {
            assert_eq!(
                reviewer_problem(bad).map(|p| p.0),
                Some(FindingCode::InvalidUserName),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn clock_times() {
        assert_eq!(
            "00:00:00".parse::<ClockTime>().unwrap().to_string(),
            "00:00:00"
        );
        for bad in [
            "24:00:00",
            "12:60:00",
            "12:00:60",
            "12:00",
            "12:00:00Z",
            " 12:00:00",
            "1a:00:00",
        ] {
            assert!(bad.parse::<ClockTime>().is_err(), "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert!(parse_ymd("2023-06-04").is_ok());
        for bad in ["2023-6-04", "2023-02-30", "2023-06-04T00:00:00", "20230604"] {
            assert!(parse_ymd(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths() {
        assert_eq!(child_path("", "ruleName"), "ruleName");
        assert_eq!(child_path("userInfo", "user"), "userInfo.user");
        assert_eq!(child_path("", "a b"), "[\"a b\"]");
        assert_eq!(child_path("x", "1"), "x[\"1\"]");
    }

    #[test]
    fn detection_of_every_kind_but_incident_search() {
        let kind = |s: &str| {
            RequestKind::detect(
                serde_json::from_str::<Json>(s)
                    .unwrap()
                    .as_object()
                    .unwrap(),
            )
        };
        assert_eq!(
            kind(r#"{"ruleName":"x"}"#),
            Some(RequestKind::CorrelationRuleCreate)
        );
        assert_eq!(
            kind(r#"{"startTime":"x"}"#),
            Some(RequestKind::CorrelationRuleUpdate)
        );
        assert_eq!(kind(r#"{"filters":[]}"#), Some(RequestKind::IncidentCreate));
        assert_eq!(
            kind(r#"{"groupBy":[],"filter":"x"}"#),
            Some(RequestKind::EventCount)
        );
        assert_eq!(kind(r#"{"pageSize":1}"#), Some(RequestKind::EventSearch));
        assert_eq!(
            kind(r#"{"changeType":"OTHER"}"#),
            Some(RequestKind::IncidentApprove)
        );
        assert_eq!(kind(r#"{"x":1}"#), None);
        assert_eq!(kind("{}"), None);
    }
}
