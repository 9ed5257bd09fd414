//! Dates: the filter date grammar, `now±N`, and event timestamps (`language.md` section 3).
//!
//! Accepted: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, `…:SS`, `…:SS.f` (1–9 fraction digits), each
//! timestamp with an optional zone `Z`, `±HH:MM` or `±HHMM` (none means UTC); month and day may
//! have one digit. A value made only of digits is epoch milliseconds. `now`, `now-15m`, `now+1d`
//! with units `s m h d w M y` (`M` months, `m` minutes); months and years clamp to the month's end.
//!
//! ```
//! use fimql::date::{FilterDate, parse_event_date};
//! let d = FilterDate::parse("2023-01-09").unwrap();
//! assert!(d.is_date_only());
//! let t = parse_event_date("2023-06-28T06:18:50.548+0000").unwrap();
//! assert_eq!(t.to_rfc3339(), "2023-06-28T06:18:50.548+00:00");
//! ```

use crate::error::{Code, Diagnostic};
use crate::span::{Span, floor_boundary};

use chrono::{DateTime, Days, FixedOffset, Months, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};

/// An instant, in UTC, at nanosecond precision.
pub type Instant = DateTime<Utc>;

/// Why a date value does not parse: a message and the byte offset in the value where it goes wrong.
/// Public as the `invalid-date` [`Diagnostic`] of [`FilterDate::parse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DateError {
    /// What is wrong.
    pub(crate) message: String,
    /// Byte offset within the value text.
    pub(crate) offset: usize,
}

impl DateError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        DateError {
            message: message.into(),
            offset,
        }
    }
}

/// A unit of `now±N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    /// `s`
    Second,
    /// `m`
    Minute,
    /// `h`
    Hour,
    /// `d`
    Day,
    /// `w`
    Week,
    /// `M`
    Month,
    /// `y`
    Year,
}

/// A date written in a filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FilterDate {
    /// A fixed instant; `date_only` when written as `YYYY-MM-DD` (midnight UTC).
    At {
        /// The instant.
        at: Instant,
        /// Written without a time.
        date_only: bool,
    },
    /// `now`, optionally shifted by `amount` (negative for `-`) `unit`s.
    Now {
        /// Signed count of units.
        amount: i64,
        /// The unit.
        unit: Unit,
    },
}

impl FilterDate {
    /// Parses a filter date value (the unescaped text of the value).
    pub fn parse(text: &str) -> Result<FilterDate, Diagnostic> {
        FilterDate::read(text).map_err(|e| {
            Diagnostic::error(
                Code::InvalidDate,
                Span::new(floor_boundary(text, e.offset), text.len()),
                format!("`{text}` is not a date: {}", e.message),
            )
        })
    }

    /// [`FilterDate::parse`] with the bare error, for validation to word its own diagnostic.
    pub(crate) fn read(text: &str) -> Result<FilterDate, DateError> {
        if text
            .as_bytes()
            .get(..3)
            .is_some_and(|b| b.eq_ignore_ascii_case(b"now"))
        {
            return parse_now(text);
        }
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            let ms: i64 = text
                .parse()
                .map_err(|_| DateError::new(0, "epoch milliseconds out of range"))?;
            let at = DateTime::from_timestamp_millis(ms)
                .ok_or_else(|| DateError::new(0, "epoch milliseconds out of range"))?;
            return Ok(FilterDate::At {
                at,
                date_only: false,
            });
        }
        let (at, date_only) = parse_iso(text)?;
        Ok(FilterDate::At { at, date_only })
    }

    /// Whether the value was written as a date without a time.
    pub fn is_date_only(&self) -> bool {
        matches!(
            self,
            FilterDate::At {
                date_only: true,
                ..
            }
        )
    }

    /// Whether the value depends on the clock.
    pub fn is_relative(&self) -> bool {
        matches!(self, FilterDate::Now { .. })
    }

    /// The instant, with `now` standing for the evaluation clock. `None` if the arithmetic leaves
    /// the representable range.
    pub fn resolve(&self, now: Instant) -> Option<Instant> {
        match *self {
            FilterDate::At { at, .. } => Some(at),
            FilterDate::Now { amount, unit } => shift(now, amount, unit),
        }
    }

    /// The instant of a clock-free value (`None` for `now…`).
    pub fn fixed(&self) -> Option<Instant> {
        match *self {
            FilterDate::At { at, .. } => Some(at),
            FilterDate::Now { .. } => None,
        }
    }
}

fn shift(now: Instant, amount: i64, unit: Unit) -> Option<Instant> {
    let secs = |n: i64| TimeDelta::try_seconds(n).and_then(|d| now.checked_add_signed(d));
    match unit {
        Unit::Second => secs(amount),
        Unit::Minute => secs(amount.checked_mul(60)?),
        Unit::Hour => secs(amount.checked_mul(3600)?),
        Unit::Day | Unit::Week => {
            let days = if unit == Unit::Week {
                amount.checked_mul(7)?
            } else {
                amount
            };
            let d = Days::new(days.unsigned_abs());
            if days >= 0 {
                now.checked_add_days(d)
            } else {
                now.checked_sub_days(d)
            }
        }
        Unit::Month | Unit::Year => {
            let months = if unit == Unit::Year {
                amount.checked_mul(12)?
            } else {
                amount
            };
            let m = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
            if months >= 0 {
                now.checked_add_months(m)
            } else {
                now.checked_sub_months(m)
            }
        }
    }
}

fn parse_now(text: &str) -> Result<FilterDate, DateError> {
    let rest = &text[3..];
    if rest.is_empty() {
        return Ok(FilterDate::Now {
            amount: 0,
            unit: Unit::Second,
        });
    }
    let sign = match rest.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => {
            return Err(DateError::new(
                3,
                "expected `+` or `-` after `now`, e.g. `now-7d`",
            ));
        }
    };
    let body = &rest[1..];
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(DateError::new(
            4,
            "expected a number after `now±`, e.g. `now-7d`",
        ));
    }
    let n: i64 = body[..digits]
        .parse()
        .map_err(|_| DateError::new(4, "the number after `now±` is too large"))?;
    let unit = match &body[digits..] {
        "s" => Unit::Second,
        "m" => Unit::Minute,
        "h" => Unit::Hour,
        "d" => Unit::Day,
        "w" => Unit::Week,
        "M" => Unit::Month,
        "y" => Unit::Year,
        "" => {
            return Err(DateError::new(
                4 + digits,
                "missing unit: one of s m h d w M y",
            ));
        }
        _ => {
            return Err(DateError::new(
                4 + digits,
                "unknown unit: use s, m, h, d, w, M (months) or y",
            ));
        }
    };
    Ok(FilterDate::Now {
        amount: sign * n,
        unit,
    })
}

/// Parses an event's date string: the filter grammar without `now`, plus epoch milliseconds as a
/// string of digits. `None` if it does not parse (such a value never matches).
pub fn parse_event_date(text: &str) -> Option<Instant> {
    let b = text.as_bytes();
    if !b.is_empty() && b.iter().all(u8::is_ascii_digit) {
        return text.parse().ok().and_then(DateTime::from_timestamp_millis);
    }
    fast_event_date(b).or_else(|| parse_iso(text).ok().map(|(at, _)| at))
}

/// The usual shape of an event timestamp, read without the general parser:
/// `YYYY-MM-DDTHH:MM:SS.mmm` followed by `Z`, `±HHMM` or `±HH:MM`. `None` for any other text,
/// and for values out of range, which the general parser then reads (and refuses) as usual; for
/// the rest it gives the same instant as [`parse_iso`].
fn fast_event_date(b: &[u8]) -> Option<Instant> {
    let (time, zone) = b.split_at_checked(23)?;
    let t: &[u8; 23] = time.try_into().ok()?;
    if t[4] != b'-' || t[7] != b'-' || t[10] != b'T' || t[13] != b':' || t[16] != b':' {
        return None;
    }
    if t[19] != b'.' {
        return None;
    }
    let n = |at: usize, len: usize| -> Option<u32> {
        t[at..at + len].iter().try_fold(0u32, |v, &d| {
            d.is_ascii_digit().then(|| v * 10 + u32::from(d - b'0'))
        })
    };
    let offset = match zone {
        b"Z" => 0,
        [s @ (b'+' | b'-'), h1, h2, rest @ ..] => {
            let (m1, m2) = match rest {
                [m1, m2] | [b':', m1, m2] => (m1, m2),
                _ => return None,
            };
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let [h1, h2, m1, m2] = digits.map(|d| i64::from(d - b'0'));
            let (h, m) = (h1 * 10 + h2, m1 * 10 + m2);
            if h > 23 || m > 59 {
                return None;
            }
            let v = h * 3600 + m * 60;
            if *s == b'-' { -v } else { v }
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(n(0, 4)? as i32, n(5, 2)?, n(8, 2)?)?;
    let time = NaiveTime::from_hms_milli_opt(n(11, 2)?, n(14, 2)?, n(17, 2)?, n(20, 3)?)?;
    date.and_time(time)
        .and_utc()
        .checked_sub_signed(TimeDelta::seconds(offset))
}

/// An event's date as a JSON integer of epoch milliseconds.
pub(crate) fn from_epoch_millis(ms: i64) -> Option<Instant> {
    DateTime::from_timestamp_millis(ms)
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    /// Reads between `min` and `max` digits.
    fn digits(&mut self, min: usize, max: usize, what: &str) -> Result<(u32, usize), DateError> {
        let start = self.at;
        let mut v: u32 = 0;
        while self.at < self.b.len() && self.at - start < max && self.b[self.at].is_ascii_digit() {
            v = v * 10 + u32::from(self.b[self.at] - b'0');
            self.at += 1;
        }
        let n = self.at - start;
        if n < min {
            return Err(self.unexpected(&format!("expected {what}")));
        }
        Ok((v, n))
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), DateError> {
        if self.b.get(self.at) == Some(&c) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("expected {what}")))
        }
    }

    fn unexpected(&self, expected: &str) -> DateError {
        let found = match self.b.get(self.at) {
            None => "the end".to_string(),
            Some(b'\n') => "a line break".to_string(),
            Some(b'\r') => "a carriage return".to_string(),
            Some(&c) if c.is_ascii_graphic() || c == b' ' => format!("`{}`", c as char),
            Some(_) => "an unexpected character".to_string(),
        };
        DateError::new(self.at, format!("{expected}, found {found}"))
    }
}

/// `YYYY-M(M)-D(D)[THH:MM[:SS[.f{1,9}]][Z|±HH:MM|±HHMM]]`
fn parse_iso(text: &str) -> Result<(Instant, bool), DateError> {
    let mut c = Cursor {
        b: text.as_bytes(),
        at: 0,
    };
    let (year, _) = c.digits(4, 4, "a four-digit year (YYYY-MM-DD)")?;
    c.expect(b'-', "`-` after the year (YYYY-MM-DD)")?;
    let month_at = c.at;
    let (month, _) = c.digits(1, 2, "a month (YYYY-MM-DD)")?;
    c.expect(b'-', "`-` after the month (YYYY-MM-DD)")?;
    let day_at = c.at;
    let (day, _) = c.digits(1, 2, "a day (YYYY-MM-DD)")?;
    if !(1..=12).contains(&month) {
        return Err(DateError::new(
            month_at,
            format!("month {month} is out of range (1-12)"),
        ));
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(|| {
        DateError::new(
            day_at,
            format!("{year:04}-{month:02}-{day:02} is not a date (day {day} out of range)"),
        )
    })?;
    if c.at == c.b.len() {
        let at = Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN));
        return Ok((at, true));
    }
    c.expect(b'T', "`T` between date and time (YYYY-MM-DDTHH:MM:SS)")?;
    let hour_at = c.at;
    let (hour, _) = c.digits(2, 2, "a two-digit hour")?;
    c.expect(b':', "`:` after the hour")?;
    let (minute, _) = c.digits(2, 2, "two-digit minutes")?;
    let mut second = 0;
    let mut nanos = 0;
    if c.b.get(c.at) == Some(&b':') {
        c.at += 1;
        second = c.digits(2, 2, "two-digit seconds")?.0;
        if c.b.get(c.at) == Some(&b'.') {
            c.at += 1;
            let (frac, n) = c.digits(1, 9, "fraction digits after `.`")?;
            if c.b.get(c.at).is_some_and(u8::is_ascii_digit) {
                return Err(DateError::new(c.at, "at most 9 fraction digits"));
            }
            nanos = frac * 10u32.pow(9 - n as u32);
        }
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).ok_or_else(|| {
        DateError::new(
            hour_at,
            format!("{hour:02}:{minute:02}:{second:02} is not a time of day"),
        )
    })?;
    let naive = date.and_time(time);
    let offset_secs = match c.b.get(c.at) {
        None => 0,
        Some(b'Z') => {
            c.at += 1;
            0
        }
        Some(&s @ (b'+' | b'-')) => {
            c.at += 1;
            let zone_at = c.at;
            let (h, _) = c.digits(2, 2, "a two-digit zone hour")?;
            if c.b.get(c.at) == Some(&b':') {
                c.at += 1;
            }
            let (m, _) = c.digits(2, 2, "two-digit zone minutes")?;
            if h > 23 || m > 59 {
                return Err(DateError::new(zone_at, "zone offset out of range"));
            }
            let v = (h * 3600 + m * 60) as i32;
            if s == b'-' { -v } else { v }
        }
        Some(_) => return Err(c.unexpected("expected a zone (`Z`, `+HH:MM`) or the end")),
    };
    if c.at != c.b.len() {
        return Err(c.unexpected("expected the end of the date"));
    }
    let offset = FixedOffset::east_opt(offset_secs)
        .ok_or_else(|| DateError::new(c.at, "zone offset out of range"))?;
    let at = offset
        .from_local_datetime(&naive)
        .single()
        .ok_or_else(|| DateError::new(0, "date out of range"))?
        .with_timezone(&Utc);
    Ok((at, false))
}

/// The first instant of the UTC day after `at`'s day (for a single date-only value).
pub(crate) fn next_day(at: Instant) -> Option<Instant> {
    at.checked_add_days(Days::new(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Instant {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn forms() {
        let cases = [
            ("2023-01-09", "2023-01-09T00:00:00Z"),
            ("2024-02-1T18:29:59.999Z", "2024-02-01T18:29:59.999Z"),
            ("2023-03-05T12:00:00+05:30", "2023-03-05T06:30:00Z"),
            ("2023-03-05T12:00:00+0530", "2023-03-05T06:30:00Z"),
            ("2023-03-05T12:00:00-0100", "2023-03-05T13:00:00Z"),
            ("2023-06-28T06:18", "2023-06-28T06:18:00Z"),
            (
                "2023-06-28T06:18:50.123456789Z",
                "2023-06-28T06:18:50.123456789Z",
            ),
            ("1671188983383", "2022-12-16T11:09:43.383Z"),
        ];
        for (text, want) in cases {
            assert_eq!(
                FilterDate::parse(text).unwrap().fixed(),
                Some(at(want)),
                "{text}"
            );
        }
    }

    #[test]
    fn invalid() {
        for (text, offset) in [
            ("2022-12-\n16T09:29:59.999Z", 8),
            ("2022-13-01", 5),
            ("2023-02-30", 8),
            ("yesterday", 0),
            ("2023-01-01T25:00", 11),
            ("2023-01-01T10:00:00.1234567890Z", 29),
            ("2023-01-01 10:00", 10),
            ("now-7", 5),
            ("now*2d", 3),
            // A multi-byte character across the first three bytes (found by fuzzing).
            ("W\u{e38e9}n", 0),
        ] {
            let e = FilterDate::read(text).unwrap_err();
            assert_eq!(e.offset, offset, "{text}: {}", e.message);
        }
    }

    #[test]
    fn now_arithmetic() {
        let now = at("2023-03-31T12:00:00Z");
        let r = |s: &str| FilterDate::parse(s).unwrap().resolve(now).unwrap();
        assert_eq!(r("now"), now);
        assert_eq!(r("NOW-1M"), at("2023-02-28T12:00:00Z"));
        assert_eq!(r("now+1y"), at("2024-03-31T12:00:00Z"));
        assert_eq!(r("now-15m"), at("2023-03-31T11:45:00Z"));
        assert_eq!(r("now-1w"), at("2023-03-24T12:00:00Z"));
        assert_eq!(r("now+36h"), at("2023-04-02T00:00:00Z"));
        assert!(
            FilterDate::parse("now-99999999999y")
                .unwrap()
                .resolve(now)
                .is_none()
        );
    }

    #[test]
    fn event_dates() {
        assert_eq!(
            parse_event_date("2022-12-16T10:51:19.859+00:00"),
            Some(at("2022-12-16T10:51:19.859Z"))
        );
        assert_eq!(
            parse_event_date("1671188983383"),
            Some(at("2022-12-16T11:09:43.383Z"))
        );
        assert_eq!(parse_event_date("not a date"), None);
        assert_eq!(parse_event_date("now"), None);
    }

    /// The shortcut for the usual timestamp shape gives what the general parser gives, and
    /// leaves to it every value out of range (February 29th of a common year, hour 24, a zone
    /// of 24 hours).
    #[test]
    fn the_usual_shape_is_read_as_the_general_parser_reads_it() {
        let general = |s: &str| parse_iso(s).ok().map(|(at, _)| at);
        for s in [
            "2023-01-24T19:59:04.068+0000",
            "2023-01-24T19:59:04.068-0530",
            "2023-01-24T19:59:04.068+05:30",
            "2023-01-24T19:59:04.068Z",
            "2024-02-29T23:59:59.999+2359",
            "0000-01-01T00:00:00.000+0100",
            "9999-12-31T23:59:59.999-2359",
        ] {
            assert!(fast_event_date(s.as_bytes()).is_some(), "{s}");
            assert_eq!(fast_event_date(s.as_bytes()), general(s), "{s}");
        }
        for s in [
            "2023-02-29T00:00:00.000Z",
            "2023-13-01T00:00:00.000Z",
            "2023-00-01T00:00:00.000Z",
            "2023-01-00T00:00:00.000Z",
            "2023-01-24T24:00:00.000Z",
            "2023-01-24T23:60:00.000Z",
            "2023-01-24T23:59:60.000Z",
            "2023-01-24T19:59:04.068+2400",
            "2023-01-24T19:59:04.068+0060",
            "2023-01-24T19:59:04.068+00:0",
            "2023-01-24T19:59:04.068+0",
            "2023-01-24T19:59:04.068",
            "2023-01-24T19:59:04.0689Z",
            "2023-01-24T19:59:04Z",
            "2023-1-24T19:59:04.068Z",
            "2023-01-24 19:59:04.068Z",
            "2023-01-24T19:59:04.06xZ",
        ] {
            assert_eq!(fast_event_date(s.as_bytes()), None, "{s}");
        }
    }

    proptest::proptest! {
        /// Timestamps of the usual shape with any digits, and the same with one byte replaced:
        /// the shortcut never disagrees with the general parser.
        #[test]
        fn the_shortcut_agrees_with_the_general_parser(
            s in "[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9]\\.[0-9]{3}(Z|[+-][0-2][0-9]:?[0-6][0-9])",
            at in 0usize..29,
            byte in proptest::prelude::any::<u8>(),
        ) {
            let general = |s: &str| parse_iso(s).ok().map(|(at, _)| at);
            proptest::prop_assert_eq!(parse_event_date(&s), general(&s));
            if let Some(fast) = fast_event_date(s.as_bytes()) {
                proptest::prop_assert_eq!(Some(fast), general(&s));
            }
            let mut bytes = s.clone().into_bytes();
            if let Some(b) = bytes.get_mut(at) {
                *b = byte;
            }
            if let Ok(changed) = std::str::from_utf8(&bytes)
                && let Some(fast) = fast_event_date(changed.as_bytes())
            {
                proptest::prop_assert_eq!(Some(fast), general(changed));
            }
        }
    }
}
