//! The request and response bodies of the FIM API as serde types, their enumerations and small
//! value types (times of day, `yyyy-MM-dd` dates).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value as Json};

use super::kind::RequestKind;
use crate::catalog::Scope;

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
            $(
                $(#[$vmeta])*
                #[doc = ""]
                #[doc = concat!("On the wire: `", $wire, "`.")]
                #[serde(rename = $wire)]
                $variant,
            )*
        }

        impl $name {
            /// Every value, in documented order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];
            /// Every wire spelling, in documented order.
            pub const WIRE: &'static [&'static str] = &[ $( $wire, )* ];
            /// What a value is called in messages, e.g. "approval status".
            pub const WHAT: &'static str = $what;

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
        Approved = "APPROVED",
        PolicyViolation = "POLICY_VIOLATION",
        Unapproved = "UNAPPROVED",
        /// Not decided yet (new in the release notes).
        Pending = "PENDING",
        /// Not applicable: correlation rules only (FIM API user guide).
        Na = "NA",
    }
}

wire_enum! {
    /// The type of change of an incident: the seven values the release notes list for the approve
    /// request. The correlation-rule sample of the release notes uses `NORMAL_CHANGE`, so rules
    /// take the same list (the older user guide lists only `MANUAL`, `AUTOMATED`, `COMPROMISE`,
    /// `OTHER` there).
    ChangeType ("change type") {
        Manual = "MANUAL",
        Automated = "AUTOMATED",
        Compromise = "COMPROMISE",
        StandardChange = "STANDARD_CHANGE",
        EmergencyChange = "EMERGENCY_CHANGE",
        NormalChange = "NORMAL_CHANGE",
        Other = "OTHER",
    }
}

wire_enum! {
    /// The disposition category of an incident: the sixteen values the release notes list for the
    /// approve request; correlation rules take the same list (their sample uses
    /// `DISREGARD_OF_ORGANIZATIONAL_POLICY`, which the older user guide does not list).
    DispositionCategory ("disposition category") {
        Patching = "PATCHING",
        PreApprovedChangeControl = "PRE_APPROVED_CHANGE_CONTROL",
        ConfigurationChange = "CONFIGURATION_CHANGE",
        HumanError = "HUMAN_ERROR",
        DataCorruption = "DATA_CORRUPTION",
        EmergencyChange = "EMERGENCY_CHANGE",
        ChangeControlViolation = "CHANGE_CONTROL_VIOLATION",
        GeneralHacking = "GENERAL_HACKING",
        Malware = "MALWARE",
        MaliciousIntent = "MALICIOUS_INTENT",
        UnauthorizedAccess = "UNAUTHORIZED_ACCESS",
        InappropriateUsageOrFraud = "INAPPROPRIATE_USAGE_OR_FRAUD",
        DataLossOrTheft = "DATA_LOSS_OR_THEFT",
        DisregardOfOrganizationalPolicy = "DISREGARD_OF_ORGANIZATIONAL_POLICY",
        FalsePositive = "FALSE_POSITIVE",
        Other = "OTHER",
    }
}

wire_enum! {
    /// How incidents of a correlation rule are approved. The release notes show `AUTOMATED` (rule
    /// sample) and `MANUAL` (incident responses); the user guide lists exactly these two.
    ApprovalType ("approval type") {
        /// A reviewer approves each incident.
        Manual = "MANUAL",
        /// Incidents are approved at once with the rule's `approvalStatus`, `changeType`,
        /// `dispositionCategory` and `comment`.
        Automated = "AUTOMATED",
    }
}

wire_enum! {
    /// When a correlation rule runs. The release notes show only `ONETIME`; the user guide lists
    /// these four.
    ScheduleType ("schedule type") {
        /// Once, on `fixDate` from `startTime` to `endTime`.
        Onetime = "ONETIME",
        /// Every day from `startTime`.
        Daily = "DAILY",
        /// On the `days` of every week.
        Weekly = "WEEKLY",
        /// On the `dayOfMonth` of every month.
        Monthly = "MONTHLY",
    }
}

wire_enum! {
    /// The type of an incident: `DEFAULT` for manual incidents (the only value the create request
    /// accepts), `AUTOMATED` for incidents made by correlation rules (seen in responses).
    IncidentType ("incident type") {
        /// A manual incident.
        Default = "DEFAULT",
        /// Made by a correlation rule.
        Automated = "AUTOMATED",
    }
}

wire_enum! {
    /// The status of an incident in responses (`CLOSED` in the release notes; `OPEN` in the
    /// user guide's filter examples).
    IncidentStatus ("incident status") {
        Open = "OPEN",
        Closed = "CLOSED",
    }
}

/// The approval statuses the approve request accepts (the release notes' list, without `NA`).
pub(super) const APPROVE_STATUSES: &[&str] =
    &["APPROVED", "POLICY_VIOLATION", "UNAPPROVED", "PENDING"];

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
pub(super) fn parse_ymd(s: &str) -> Result<NaiveDate, String> {
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

    /// Reads a body of the given kind with serde alone (types only; use [`check_request`](super::check_request) for the
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

    /// The embedded filters with their JSON paths and scopes
    /// ([`RequestKind::filter_scope`]).
    pub fn filters(&self) -> Vec<(String, &str, Scope)> {
        fn one<'r>(path: &str, f: Option<&'r str>) -> Vec<(String, &'r str)> {
            f.map(|f| (path.to_string(), f)).into_iter().collect()
        }
        let found: Vec<(String, &str)> = match self {
            Request::IncidentApprove(_) => Vec::new(),
            Request::IncidentCreate(r) => r
                .filters
                .iter()
                .enumerate()
                .map(|(i, f)| (format!("filters[{i}]"), f.as_str()))
                .collect(),
            Request::CorrelationRuleCreate(r) => one("filterQuery", Some(&r.filter_query)),
            Request::CorrelationRuleUpdate(r) => one("filterQuery", r.filter_query.as_deref()),
            Request::EventSearch(r) => one("filter", r.filter.as_deref()),
            Request::EventCount(r) => one("filter", r.filter.as_deref()),
            Request::IncidentSearch(r) => one("filter", r.filter.as_deref()),
        };
        let scope = self.kind().filter_scope();
        found.into_iter().map(|(p, f)| (p, f, scope)).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Response bodies
// ---------------------------------------------------------------------------------------------

/// An incident, as the approve and create responses return it. Every field is optional because
/// the responses differ (the create response carries only some). Dates are kept as sent
/// (`2022-12-15T16:08:19.560+0000`); [`crate::date::parse_event_date`] reads them. Each field is
/// the response member of the same name in camelCase.
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
/// carries `createdBy`/`updatedBy` stamps, update the `createdById`… fields). Each field is the
/// response member of the same name in camelCase.
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
