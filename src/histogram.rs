//! Counting events per hour, day or month of a date field, in UTC: the histogram of when things
//! happened.
//!
//! An event counts once, in the bucket of the first date found at the field's path (a date
//! string in any form the filter language reads for events, with its zone, or epoch milliseconds
//! as a number or a string of digits; see [`crate::date::parse_event_date`]). An event without a
//! readable date counts as [undated](Histogram::undated). [`Histogram::buckets`] lists every
//! bucket from the first to the last, empty ones included.
//!
//! ```
//! use fimql::histogram::{Bucket, Histogram};
//! use fimql::{Options, Scope};
//!
//! let mut h = Histogram::for_field(Bucket::Day, "dateTime", &Options::new(Scope::Events))
//!     .map_err(|d| d.message)?;
//! for at in ["2023-01-25T21:06:31.867+0000", "2023-01-25T23:59:59Z", "2023-01-28T00:00:00+01:00"] {
//!     h.add(&serde_json::json!({"data": {"dateTime": at}}));
//! }
//! h.add(&serde_json::json!({"data": {"action": "Create"}}));
//! let shown: Vec<(String, u64)> = h
//!     .buckets()?
//!     .into_iter()
//!     .map(|(start, n)| (Bucket::Day.label(start), n))
//!     .collect();
//! assert_eq!(shown, [
//!     ("2023-01-25".to_string(), 2),
//!     ("2023-01-26".to_string(), 0),
//!     ("2023-01-27".to_string(), 1), // 00:00 at +01:00 is 23:00 UTC the day before
//! ]);
//! assert_eq!((h.dated(), h.undated()), (3, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate, SecondsFormat, TimeDelta, Timelike};
use serde_json::Value as Json;

use crate::Options;
use crate::catalog::TokenType;
use crate::date::{Instant, from_epoch_millis, parse_event_date};
use crate::error::{Code, Diagnostic};
use crate::fields::Field;
use crate::span::Span;

/// The most buckets a histogram lists, empty ones included (about 11 years of hours, 270 years of
/// days); see [`TooManyBuckets`].
pub const MAX_BUCKETS: u64 = 100_000;

/// The size of a bucket: an hour, a day or a calendar month, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Bucket {
    /// One hour.
    Hour,
    /// One day, from midnight UTC.
    Day,
    /// One calendar month, from the first at midnight UTC.
    Month,
}

impl Bucket {
    /// Every bucket size, smallest first.
    pub const ALL: [Bucket; 3] = [Bucket::Hour, Bucket::Day, Bucket::Month];

    /// `"hour"`, `"day"` or `"month"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Bucket::Hour => "hour",
            Bucket::Day => "day",
            Bucket::Month => "month",
        }
    }

    /// The start of the bucket that holds `at`.
    ///
    /// ```
    /// use fimql::date::parse_event_date;
    /// use fimql::histogram::Bucket;
    /// let at = parse_event_date("2023-06-28T06:18:50.548+0000").unwrap();
    /// assert_eq!(Bucket::Hour.start(at).to_rfc3339(), "2023-06-28T06:00:00+00:00");
    /// assert_eq!(Bucket::Month.start(at).to_rfc3339(), "2023-06-01T00:00:00+00:00");
    /// ```
    pub fn start(self, at: Instant) -> Instant {
        let day = at.date_naive();
        let (date, hour) = match self {
            Bucket::Hour => (day, at.hour()),
            Bucket::Day => (day, 0),
            Bucket::Month => (
                NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day),
                0,
            ),
        };
        date.and_hms_opt(hour, 0, 0).map_or(at, |t| t.and_utc())
    }

    /// The start of the bucket after the one starting at `start`; `None` past the last date
    /// chrono represents.
    pub fn next(self, start: Instant) -> Option<Instant> {
        match self {
            Bucket::Hour => start.checked_add_signed(TimeDelta::hours(1)),
            Bucket::Day => start.checked_add_days(Days::new(1)),
            Bucket::Month => start.checked_add_months(Months::new(1)),
        }
    }

    /// How many buckets there are from the one starting at `first` to the one starting at `last`,
    /// both included (0 when `last` is before `first`).
    pub fn count_between(self, first: Instant, last: Instant) -> u64 {
        if last < first {
            return 0;
        }
        let span = match self {
            Bucket::Hour => (last - first).num_hours(),
            Bucket::Day => (last - first).num_days(),
            Bucket::Month => {
                let months = |t: Instant| i64::from(t.year()) * 12 + i64::from(t.month0());
                months(last) - months(first)
            }
        };
        u64::try_from(span).map_or(0, |n| n + 1)
    }

    /// A short label for the bucket starting at `start`: `2023-06` for a month, `2023-06-28` for
    /// a day, `2023-06-28T06:00` for an hour.
    pub fn label(self, start: Instant) -> String {
        let format = match self {
            Bucket::Hour => "%Y-%m-%dT%H:%M",
            Bucket::Day => "%Y-%m-%d",
            Bucket::Month => "%Y-%m",
        };
        start.format(format).to_string()
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Bucket {
    type Err = Diagnostic;
    /// `hour`, `day` or `month`; anything else is an `unknown-name` diagnostic with a
    /// did-you-mean.
    fn from_str(s: &str) -> Result<Bucket, Diagnostic> {
        Bucket::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| {
                crate::suggest::unknown_name("bucket size", s, &["hour", "day", "month"])
            })
    }
}

/// The key of a bucket in machine-readable output: its start in RFC 3339, UTC, to the second
/// (`2023-06-28T00:00:00Z`).
pub fn key(start: Instant) -> String {
    start.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The instant a JSON value of a date field stands for: a date string (see
/// [`parse_event_date`]) or an integer of epoch milliseconds; `None` for anything else.
///
/// ```
/// use fimql::histogram::event_instant;
/// let at = event_instant(&serde_json::json!(1688000000000_i64)).unwrap();
/// assert_eq!(at.to_rfc3339(), "2023-06-29T00:53:20+00:00");
/// assert_eq!(event_instant(&serde_json::json!("yesterday")), None);
/// ```
pub fn event_instant(v: &Json) -> Option<Instant> {
    match v {
        Json::String(s) => parse_event_date(s),
        Json::Number(n) => n.as_i64().and_then(from_epoch_millis),
        _ => None,
    }
}

/// A histogram that would list more than [`MAX_BUCKETS`] buckets.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the histogram would have {count} {bucket} buckets, from {} to {} (at most {MAX_BUCKETS}); choose a larger bucket or narrow the filter",
    .bucket.label(*.first), .bucket.label(*.last)
)]
pub struct TooManyBuckets {
    /// The bucket size.
    pub bucket: Bucket,
    /// How many buckets there would be.
    pub count: u64,
    /// The start of the first bucket.
    pub first: Instant,
    /// The start of the last bucket.
    pub last: Instant,
}

/// Counts events per bucket of time of one date field.
#[derive(Clone, Debug)]
pub struct Histogram {
    bucket: Bucket,
    field: Field,
    counts: BTreeMap<Instant, u64>,
    undated: u64,
}

impl Histogram {
    /// A histogram of `field`'s dates (which the caller has checked to be a date field).
    pub fn new(bucket: Bucket, field: Field) -> Histogram {
        Histogram {
            bucket,
            field,
            counts: BTreeMap::new(),
            undated: 0,
        }
    }

    /// A histogram of the field named `name` in the scope of `opts` (see
    /// [`Field::resolve`]): a date token, or with [`Options::allow_unknown`] a raw JSON path. A
    /// token of another type is a `type-mismatch` error naming the date tokens of the scope.
    ///
    /// ```
    /// use fimql::histogram::{Bucket, Histogram};
    /// use fimql::{Options, Scope};
    /// let err = Histogram::for_field(Bucket::Day, "severity", &Options::new(Scope::Events)).unwrap_err();
    /// assert_eq!(err.code.as_str(), "type-mismatch");
    /// assert_eq!(err.help.as_deref(), Some("date tokens of scope events: `dateTime`, `processedTime`"));
    /// ```
    pub fn for_field(bucket: Bucket, name: &str, opts: &Options) -> Result<Histogram, Diagnostic> {
        let field = Field::resolve(name, opts)?;
        match field.ty() {
            None | Some(TokenType::Date) => Ok(Histogram::new(bucket, field)),
            Some(ty) => {
                let dates: Vec<String> = opts
                    .catalog
                    .tokens(opts.scope)
                    .iter()
                    .filter(|t| t.ty == TokenType::Date)
                    .map(|t| format!("`{}`", t.name))
                    .collect();
                Err(Diagnostic::error(
                    Code::TypeMismatch,
                    Span::new(0, name.len()),
                    match ty {
                        TokenType::Enum | TokenType::Integer => {
                            format!("`{name}` is an {ty} token, not a date")
                        }
                        _ => format!("`{name}` is a {ty} token, not a date"),
                    },
                )
                .with_help(format!(
                    "date tokens of scope {}: {}",
                    opts.scope,
                    dates.join(", ")
                )))
            }
        }
    }

    /// The bucket size.
    pub fn bucket(&self) -> Bucket {
        self.bucket
    }

    /// The field whose dates are counted.
    pub fn field(&self) -> &Field {
        &self.field
    }

    /// Counts one event (a bare event or a search-response element) in the bucket of the first
    /// readable date at the field's path, or as undated. True when it had a date.
    pub fn add(&mut self, event: &Json) -> bool {
        let at = self.field.values(event).into_iter().find_map(event_instant);
        match at {
            Some(at) => {
                self.add_instant(at);
                true
            }
            None => {
                self.undated += 1;
                false
            }
        }
    }

    /// Counts one instant.
    pub fn add_instant(&mut self, at: Instant) {
        *self.counts.entry(self.bucket.start(at)).or_insert(0) += 1;
    }

    /// How many events were counted in a bucket.
    pub fn dated(&self) -> u64 {
        self.counts.values().sum()
    }

    /// How many events had no readable date.
    pub fn undated(&self) -> u64 {
        self.undated
    }

    /// Every bucket from the first event's to the last event's, in time order, with its count
    /// (0 for the buckets in between that no event fell in); empty when no event had a date.
    /// More than [`MAX_BUCKETS`] buckets is an error.
    pub fn buckets(&self) -> Result<Vec<(Instant, u64)>, TooManyBuckets> {
        let (Some((&first, _)), Some((&last, _))) =
            (self.counts.first_key_value(), self.counts.last_key_value())
        else {
            return Ok(Vec::new());
        };
        let count = self.bucket.count_between(first, last);
        if count > MAX_BUCKETS {
            return Err(TooManyBuckets {
                bucket: self.bucket,
                count,
                first,
                last,
            });
        }
        let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        let mut at = Some(first);
        while let Some(start) = at.filter(|&t| t <= last) {
            out.push((start, self.counts.get(&start).copied().unwrap_or(0)));
            at = self.bucket.next(start);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scope;
    use serde_json::json;

    fn at(s: &str) -> Instant {
        parse_event_date(s).unwrap()
    }

    #[test]
    fn starts_and_steps_in_utc() {
        let t = at("2024-02-29T23:59:59.999-01:00"); // 2024-03-01T00:59:59.999Z
        assert_eq!(key(Bucket::Hour.start(t)), "2024-03-01T00:00:00Z");
        assert_eq!(key(Bucket::Day.start(t)), "2024-03-01T00:00:00Z");
        assert_eq!(key(Bucket::Month.start(t)), "2024-03-01T00:00:00Z");
        let jan31 = at("2023-01-31T10:00:00Z");
        assert_eq!(
            key(Bucket::Month.next(Bucket::Month.start(jan31)).unwrap()),
            "2023-02-01T00:00:00Z"
        );
        assert_eq!(
            key(Bucket::Day.next(Bucket::Day.start(jan31)).unwrap()),
            "2023-02-01T00:00:00Z"
        );
        assert_eq!(Bucket::Hour.label(jan31), "2023-01-31T10:00");
    }

    #[test]
    fn counts_between_match_the_steps() {
        let first = at("2022-11-30T22:00:00Z");
        for b in Bucket::ALL {
            let mut t = b.start(first);
            for n in 1..=40u64 {
                assert_eq!(b.count_between(b.start(first), t), n, "{b} {t}");
                t = b.next(t).unwrap();
            }
        }
        assert_eq!(
            Bucket::Day.count_between(at("2023-01-02"), at("2023-01-01")),
            0
        );
    }

    #[test]
    fn empty_buckets_are_listed_and_the_sum_is_the_dated_count() {
        let opts = Options::new(Scope::Events);
        let mut h = Histogram::for_field(Bucket::Month, "dateTime", &opts).unwrap();
        for d in [
            "2023-01-05",
            "2023-04-30T23:00:00Z",
            "2023-01-20",
            "not a date",
        ] {
            h.add(&json!({"dateTime": d}));
        }
        h.add(&json!({"dateTime": 1672531200000_i64})); // 2023-01-01
        let b = h.buckets().unwrap();
        let shown: Vec<(String, u64)> = b.iter().map(|&(s, n)| (key(s), n)).collect();
        assert_eq!(
            shown,
            [
                ("2023-01-01T00:00:00Z".to_string(), 3),
                ("2023-02-01T00:00:00Z".to_string(), 0),
                ("2023-03-01T00:00:00Z".to_string(), 0),
                ("2023-04-01T00:00:00Z".to_string(), 1),
            ]
        );
        assert_eq!(b.iter().map(|b| b.1).sum::<u64>(), h.dated());
        assert_eq!(h.undated(), 1);
        assert!(
            Histogram::new(Bucket::Day, h.field().clone())
                .buckets()
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn too_many_buckets_is_an_error_not_a_huge_list() {
        let mut h =
            Histogram::for_field(Bucket::Hour, "dateTime", &Options::new(Scope::Events)).unwrap();
        h.add(&json!({"dateTime": "1970-01-01"}));
        h.add(&json!({"dateTime": "9999-12-31"}));
        let e = h.buckets().unwrap_err();
        assert!(e.count > MAX_BUCKETS);
        assert!(
            e.to_string().starts_with("the histogram would have "),
            "{e}"
        );
    }

    #[test]
    fn bucket_names_parse_with_a_suggestion() {
        assert_eq!("month".parse::<Bucket>().unwrap(), Bucket::Month);
        let d = "days".parse::<Bucket>().unwrap_err();
        assert_eq!(d.code, Code::UnknownName);
        assert_eq!(d.help.as_deref(), Some("did you mean `day`?"));
    }

    #[test]
    fn raw_paths_and_other_date_tokens() {
        let incidents = Options::new(Scope::Incidents);
        let mut h = Histogram::for_field(Bucket::Day, "createdBy.date", &incidents).unwrap();
        assert!(h.add(&json!({"createdBy": {"date": 1671188983383_i64}})));
        assert_eq!(key(h.buckets().unwrap()[0].0), "2022-12-16T00:00:00Z");
        let err = Histogram::for_field(Bucket::Day, "lastBoot", &Options::new(Scope::Events))
            .unwrap_err();
        assert_eq!(err.code, Code::UnknownToken);
        let raw = Options::new(Scope::Events).allow_unknown(true);
        assert!(Histogram::for_field(Bucket::Day, "asset.system.lastBoot", &raw).is_ok());
    }
}
