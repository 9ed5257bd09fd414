//! [`RequestKind`]: which request a body is for, the fields each kind has (one table, which the
//! checker walks and from which the known fields and the detection are derived), and detection.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use super::model::{
    APPROVE_STATUSES, ApprovalStatus, ApprovalType, ChangeType, DispositionCategory,
    INCIDENT_NAME_LEN, IncidentType, RULE_NAME_LEN, ScheduleType,
};
#[cfg(doc)]
use super::model::{
    CorrelationRuleCreate, CorrelationRuleUpdate, EventCount, EventSearch, IncidentApprove,
    IncidentCreate, IncidentSearch,
};
use crate::catalog::Scope;
use crate::error::Diagnostic;

/// Which request a body is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
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

// ---------------------------------------------------------------------------------------------
// The fields of each kind
// ---------------------------------------------------------------------------------------------

/// One field of a request body: its wire name, whether it must be present, and how its value is
/// checked. The tables below are the one list of each kind's fields: the checker walks them in
/// order, [`RequestKind::fields`] is their names, and a test ties them to the serde models.
#[derive(Clone, Copy, Debug)]
pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) need: Need,
    pub(super) check: Check,
}

/// Whether a field must be present (and not null).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Need {
    /// May be left out.
    Optional,
    /// Must be there.
    Required,
    /// Required when the enumeration `.0`, earlier in the table, holds the value `.1`.
    RequiredIf(&'static str, &'static str),
    /// Required to create a correlation rule, optional to update one.
    ToCreate,
    /// Required to create a correlation rule; leaving it out of an update is a warning (the
    /// reason).
    ToCreateWarnOnUpdate(&'static str),
}

/// How a field's value is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Check {
    /// A string of `min` to `max` characters.
    Text { min: usize, max: Option<usize> },
    /// One of `allowed` (wire spellings), each of which is in `all`; a value is called `what`.
    Enumeration {
        what: &'static str,
        allowed: &'static [&'static str],
        all: &'static [&'static str],
    },
    /// A filter in the kind's scope; with `empty_means_all`, an empty one is a warning.
    Filter { empty_means_all: bool },
    /// A non-empty array of filters in the kind's scope.
    Filters,
    /// At most [`MAX_REVIEWERS`](super::MAX_REVIEWERS) user names or e-mail addresses.
    Reviewers,
    /// `HH:MM:SS`.
    Time,
    /// `yyyy-MM-dd`, from today on.
    Date,
    /// A whole number of at least `min` (or a string of digits).
    Count { min: u32 },
    /// `true` or `false`.
    Boolean,
    /// An array of non-empty strings; `example` is shown when it is not an array.
    StringList { example: &'static str },
    /// A string holding `[{"token": "asc"|"desc"}, ...]`.
    Sort,
    /// An array of event tokens.
    GroupBy,
    /// `{"user": {"name": .., "id": ..}, "date": ..}`.
    UserInfo,
    /// 1 to 31.
    DayOfMonth,
}

const fn field(name: &'static str, need: Need, check: Check) -> Field {
    Field { name, need, check }
}

/// Free text of any length.
const TEXT: Check = Check::Text { min: 0, max: None };

const fn text(len: (usize, usize)) -> Check {
    Check::Text {
        min: len.0,
        max: Some(len.1),
    }
}

const fn one_of(
    what: &'static str,
    allowed: &'static [&'static str],
    all: &'static [&'static str],
) -> Check {
    Check::Enumeration { what, allowed, all }
}

const INCIDENT_IDS: Check = Check::StringList {
    example: "[\"a0e6709b-14cc-4750-97c9-b693883adfb6\"]",
};

const APPROVE: &[Field] = &[
    field(
        "approvalStatus",
        Need::Required,
        one_of(ApprovalStatus::WHAT, APPROVE_STATUSES, ApprovalStatus::WIRE),
    ),
    field(
        "changeType",
        Need::Required,
        one_of(ChangeType::WHAT, ChangeType::WIRE, ChangeType::WIRE),
    ),
    field(
        "dispositionCategory",
        Need::Required,
        one_of(
            DispositionCategory::WHAT,
            DispositionCategory::WIRE,
            DispositionCategory::WIRE,
        ),
    ),
    field("comment", Need::Optional, TEXT),
    field("reviewers", Need::Optional, Check::Reviewers),
];

const INCIDENT_CREATE: &[Field] = &[
    field("name", Need::Required, text(INCIDENT_NAME_LEN)),
    field("filters", Need::Required, Check::Filters),
    field("reviewers", Need::Optional, Check::Reviewers),
    field("comment", Need::Optional, TEXT),
    field(
        "type",
        Need::Optional,
        one_of(
            IncidentType::WHAT,
            &[IncidentType::Default.as_str()],
            IncidentType::WIRE,
        ),
    ),
    field("userInfo", Need::Optional, Check::UserInfo),
];

const AUTOMATED: Need = Need::RequiredIf("approvalType", ApprovalType::Automated.as_str());
const ONETIME: Need = Need::RequiredIf("scheduleType", ScheduleType::Onetime.as_str());

/// Correlation rules, created and updated.
const RULE: &[Field] = &[
    field("ruleName", Need::ToCreate, text(RULE_NAME_LEN)),
    field(
        "filterQuery",
        Need::ToCreate,
        Check::Filter {
            empty_means_all: false,
        },
    ),
    field("description", Need::Optional, TEXT),
    field(
        "reviewers",
        Need::ToCreateWarnOnUpdate(
            "the release notes mark it required for updates too (the user guide says optional)",
        ),
        Check::Reviewers,
    ),
    field(
        "approvalType",
        Need::ToCreate,
        one_of(ApprovalType::WHAT, ApprovalType::WIRE, ApprovalType::WIRE),
    ),
    field(
        "approvalStatus",
        AUTOMATED,
        one_of(
            ApprovalStatus::WHAT,
            ApprovalStatus::WIRE,
            ApprovalStatus::WIRE,
        ),
    ),
    field(
        "changeType",
        AUTOMATED,
        one_of(ChangeType::WHAT, ChangeType::WIRE, ChangeType::WIRE),
    ),
    field("comment", AUTOMATED, TEXT),
    field(
        "dispositionCategory",
        AUTOMATED,
        one_of(
            DispositionCategory::WHAT,
            DispositionCategory::WIRE,
            DispositionCategory::WIRE,
        ),
    ),
    field(
        "scheduleType",
        Need::ToCreate,
        one_of(ScheduleType::WHAT, ScheduleType::WIRE, ScheduleType::WIRE),
    ),
    field("startTime", Need::ToCreate, Check::Time),
    field("endTime", ONETIME, Check::Time),
    field("fixDate", ONETIME, Check::Date),
    field(
        "days",
        Need::Optional,
        Check::StringList {
            example: "[\"MONDAY\"]",
        },
    ),
    field("dayOfMonth", Need::Optional, Check::DayOfMonth),
];

/// The `filter` of the search and count requests: optional, and empty means every event.
const SEARCH_FILTER: Field = field(
    "filter",
    Need::Optional,
    Check::Filter {
        empty_means_all: true,
    },
);

const EVENT_SEARCH: &[Field] = &[
    SEARCH_FILTER,
    field("pageNumber", Need::Optional, Check::Count { min: 0 }),
    field("pageSize", Need::Optional, Check::Count { min: 1 }),
    field("sort", Need::Optional, Check::Sort),
    field("incidentContext", Need::Optional, Check::Boolean),
    field("incidentIds", Need::Optional, INCIDENT_IDS),
    field("attributes", Need::Optional, TEXT),
];

const EVENT_COUNT: &[Field] = &[
    SEARCH_FILTER,
    field("groupBy", Need::Optional, Check::GroupBy),
    field("incidentContext", Need::Optional, Check::Boolean),
    field("incidentIds", Need::Optional, INCIDENT_IDS),
];

const INCIDENT_SEARCH: &[Field] = &[
    SEARCH_FILTER,
    field("pageNumber", Need::Optional, Check::Count { min: 0 }),
    field("pageSize", Need::Optional, Check::Count { min: 1 }),
    field("sort", Need::Optional, Check::Sort),
    field("attributes", Need::Optional, TEXT),
];

/// The names of a table's fields, in order.
const fn names<const N: usize>(fields: &[Field]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = fields[i].name;
        i += 1;
    }
    out
}

const APPROVE_NAMES: [&str; APPROVE.len()] = names(APPROVE);
const INCIDENT_CREATE_NAMES: [&str; INCIDENT_CREATE.len()] = names(INCIDENT_CREATE);
const RULE_NAMES: [&str; RULE.len()] = names(RULE);
const EVENT_SEARCH_NAMES: [&str; EVENT_SEARCH.len()] = names(EVENT_SEARCH);
const EVENT_COUNT_NAMES: [&str; EVENT_COUNT.len()] = names(EVENT_COUNT);
const INCIDENT_SEARCH_NAMES: [&str; INCIDENT_SEARCH.len()] = names(INCIDENT_SEARCH);

/// The kinds [`RequestKind::detect`] tells apart by their own fields, in the order it tries them
/// (after `ruleName` and `filterQuery`, which mean a create).
const DETECTION_ORDER: [RequestKind; 5] = [
    RequestKind::CorrelationRuleUpdate,
    RequestKind::IncidentCreate,
    RequestKind::EventCount,
    RequestKind::EventSearch,
    RequestKind::IncidentApprove,
];

// ---------------------------------------------------------------------------------------------
// The kind
// ---------------------------------------------------------------------------------------------

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

    /// The fields the body may hold (wire spelling), in the order they are checked.
    pub const fn fields(self) -> &'static [&'static str] {
        match self {
            RequestKind::IncidentApprove => &APPROVE_NAMES,
            RequestKind::IncidentCreate => &INCIDENT_CREATE_NAMES,
            RequestKind::CorrelationRuleCreate | RequestKind::CorrelationRuleUpdate => &RULE_NAMES,
            RequestKind::EventSearch => &EVENT_SEARCH_NAMES,
            RequestKind::EventCount => &EVENT_COUNT_NAMES,
            RequestKind::IncidentSearch => &INCIDENT_SEARCH_NAMES,
        }
    }

    /// The fields of the body with their checks, in the order they are checked.
    pub(super) const fn table(self) -> &'static [Field] {
        match self {
            RequestKind::IncidentApprove => APPROVE,
            RequestKind::IncidentCreate => INCIDENT_CREATE,
            RequestKind::CorrelationRuleCreate | RequestKind::CorrelationRuleUpdate => RULE,
            RequestKind::EventSearch => EVENT_SEARCH,
            RequestKind::EventCount => EVENT_COUNT,
            RequestKind::IncidentSearch => INCIDENT_SEARCH,
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
    /// 2. another field only correlation rules have (`description`, `approvalType`,
    ///    `scheduleType`, `startTime`, `endTime`, `fixDate`, `days`, `dayOfMonth`): an update;
    /// 3. `name`, `filters`, `type` or `userInfo`: a manual incident;
    /// 4. `groupBy`: an events count;
    /// 5. `filter`, `pageNumber`, `pageSize`, `sort`, `incidentContext`, `incidentIds` or
    ///    `attributes`: an events search (an events count without `groupBy` has the same body,
    ///    and so has an incident search);
    /// 6. `approvalStatus`, `changeType`, `dispositionCategory`, `comment` or `reviewers`: an
    ///    incident approval.
    ///
    /// From the second step on, the fields of a step are those of its kind ([`fields`]) that no
    /// later step's kind has. `None` when no field points anywhere. Pass the kind to the checker
    /// to be sure.
    ///
    /// [`fields`]: RequestKind::fields
    pub fn detect(body: &Map<String, Json>) -> Option<RequestKind> {
        if ["ruleName", "filterQuery"]
            .iter()
            .any(|k| body.contains_key(*k))
        {
            return Some(RequestKind::CorrelationRuleCreate);
        }
        (0..DETECTION_ORDER.len())
            .find(|&i| markers(i).any(|k| body.contains_key(k)))
            .map(|i| DETECTION_ORDER[i])
    }
}

/// The fields that point to the `i`th kind of [`DETECTION_ORDER`]: its own fields that no later
/// kind has.
fn markers(i: usize) -> impl Iterator<Item = &'static str> {
    let later = &DETECTION_ORDER[i + 1..];
    DETECTION_ORDER[i]
        .fields()
        .iter()
        .copied()
        .filter(move |f| !later.iter().any(|k| k.fields().contains(f)))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The lists in the documentation of `detect` are the derived ones.
    #[test]
    fn detection_markers_are_the_documented_ones() {
        let got: Vec<Vec<&str>> = (0..DETECTION_ORDER.len())
            .map(|i| markers(i).collect())
            .collect();
        assert_eq!(
            got,
            [
                vec![
                    "ruleName",
                    "filterQuery",
                    "description",
                    "approvalType",
                    "scheduleType",
                    "startTime",
                    "endTime",
                    "fixDate",
                    "days",
                    "dayOfMonth"
                ],
                vec!["name", "filters", "type", "userInfo"],
                vec!["groupBy"],
                vec![
                    "filter",
                    "pageNumber",
                    "pageSize",
                    "sort",
                    "incidentContext",
                    "incidentIds",
                    "attributes"
                ],
                vec![
                    "approvalStatus",
                    "changeType",
                    "dispositionCategory",
                    "comment",
                    "reviewers"
                ],
            ]
        );
    }

    /// The wire names of the fields of a struct deriving `Deserialize`, as the derive hands them
    /// to the deserializer.
    fn serde_fields<T: serde::de::DeserializeOwned>() -> Vec<&'static str> {
        use serde::de::{Error, Visitor, value::Error as E};
        struct Probe<'a>(&'a mut Vec<&'static str>);
        impl<'de> serde::Deserializer<'de> for Probe<'_> {
            type Error = E;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, E> {
                Err(E::custom("not a struct"))
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, E> {
                self.0.extend_from_slice(fields);
                Err(E::custom("probed"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }
        let mut fields = Vec::new();
        let _ = T::deserialize(Probe(&mut fields));
        fields
    }

    /// The table of each kind names the fields of its serde model, no more, no fewer.
    #[test]
    fn the_tables_name_the_fields_of_the_models() {
        use crate::request::model::*;
        use std::collections::BTreeSet;
        for kind in RequestKind::ALL {
            let model = match kind {
                RequestKind::IncidentApprove => serde_fields::<IncidentApprove>(),
                RequestKind::IncidentCreate => serde_fields::<IncidentCreate>(),
                RequestKind::CorrelationRuleCreate => serde_fields::<CorrelationRuleCreate>(),
                RequestKind::CorrelationRuleUpdate => serde_fields::<CorrelationRuleUpdate>(),
                RequestKind::EventSearch => serde_fields::<EventSearch>(),
                RequestKind::EventCount => serde_fields::<EventCount>(),
                RequestKind::IncidentSearch => serde_fields::<IncidentSearch>(),
            };
            assert!(!model.is_empty(), "{kind}");
            let model: BTreeSet<&str> = model.into_iter().collect();
            let table: BTreeSet<&str> = kind.fields().iter().copied().collect();
            assert_eq!(table, model, "{kind}");
            assert_eq!(table.len(), kind.fields().len(), "{kind}: a field twice");
        }
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
