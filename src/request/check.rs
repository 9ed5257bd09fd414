//! The checker: walks the field table of a kind ([`RequestKind::table`]) over a body and reports
//! each problem as a [`Finding`].

use std::collections::HashSet;

use serde_json::{Map, Value as Json};

use super::finding::Finding;
use super::kind::{Check, Field, Need, RequestKind};
use super::model::{ClockTime, MAX_REVIEWERS, parse_ymd};
use crate::catalog::Scope;
use crate::date::Instant;
use crate::error::{Code, Diagnostic};
use crate::options::Options;
use crate::span::{Span, floor_boundary};
use crate::suggest::did_you_mean;

/// Checks every field of `body` as a `kind`, then reports the fields `kind` does not have.
pub(super) fn check_body(
    body: &Map<String, Json>,
    kind: RequestKind,
    opts: &Options,
    now: Instant,
) -> Vec<Finding> {
    let mut ck = Checker {
        body,
        opts,
        now,
        scope: kind.filter_scope(),
        create: kind != RequestKind::CorrelationRuleUpdate,
        values: Vec::new(),
        out: Vec::new(),
    };
    for field in kind.table() {
        ck.field(field);
    }
    ck.unknown_fields(kind);
    ck.out
}

/// The one place embedded filters are validated: parsed with the limits of `opts` and validated
/// in their scope against the clock of the check. The diagnostics come as the two stages give
/// them (in the order of their spans, the parser's warnings once).
fn filter_diagnostics(src: &str, scope: Scope, opts: &Options, now: Instant) -> Vec<Diagnostic> {
    let fopts = opts.clone().scope(scope).now(now);
    match crate::parse::parse_with(src, &fopts) {
        Ok(query) => crate::validate::validate_query(&query, &fopts),
        Err(e) => e.into_vec(),
    }
}

/// The finding for text that is not JSON: the span is the byte where serde_json stopped, and the
/// body is the finding's source, so that the renderer shows the line, the column (in characters)
/// and a caret.
pub(super) fn invalid_json(src: &str, e: &serde_json::Error) -> Finding {
    // The byte offset of the start of 1-based line `n`, and the text of the line starting at `at`.
    let line_start = |n: usize| match n {
        0 | 1 => 0,
        n => src
            .match_indices('\n')
            .nth(n - 2)
            .map_or(src.len(), |(i, _)| i + 1),
    };
    let line_text = |at: usize| {
        let rest = &src[at..];
        rest[..rest.find('\n').unwrap_or(rest.len())].trim_end_matches('\r')
    };
    let offset = match (e.line(), e.column()) {
        // Column 0 means the offending character ended the previous line (a line break), except at
        // the end of the input.
        (l, 0) if l > 1 && e.classify() != serde_json::error::Category::Eof => {
            let at = line_start(l - 1);
            at + line_text(at).len()
        }
        (l, 0) => line_start(l),
        // serde_json counts columns in bytes, from 1.
        (l, c) => {
            let at = line_start(l);
            at + floor_boundary(line_text(at), c - 1)
        }
    };
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    let mut d = Diagnostic::error(
        Code::InvalidJson,
        Span::at(offset),
        format!("the request is not valid JSON: {message}"),
    );
    if src.starts_with('\u{feff}') && offset == 0 {
        d = d.with_help("remove the byte order mark at the start of the file");
    } else if message.starts_with("control character") {
        d = d.with_help(
            "a line break inside a JSON string must be written \\n; text copied from a PDF often carries one",
        );
    }
    Finding {
        path: String::new(),
        diagnostic: d,
        source: Some(src.to_string()),
        scope: None,
    }
}

/// A JSON type with its article, for messages.
pub(super) fn type_name(v: &Json) -> &'static str {
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

/// What a missing (or null) field is, once its [`Need`] is resolved against the body.
enum Missing {
    /// Nothing to report.
    Allowed,
    /// An error, with the reason ("it is required", "it is required when ...").
    Error(String),
    /// A warning, with the reason.
    Warning(&'static str),
}

struct Checker<'a> {
    body: &'a Map<String, Json>,
    opts: &'a Options,
    now: Instant,
    /// The scope of the body's filters and tokens.
    scope: Scope,
    /// Whether the body creates (rather than updates) a correlation rule.
    create: bool,
    /// The valid values of the enumerations checked so far, for [`Need::RequiredIf`].
    values: Vec<(&'static str, &'static str)>,
    out: Vec<Finding>,
}

impl<'a> Checker<'a> {
    fn push(&mut self, f: Finding) {
        self.out.push(f);
    }

    /// Checks one field of the table.
    fn field(&mut self, field: &Field) {
        let need = self.missing(field.need);
        let (key, need) = (field.name, &need);
        match field.check {
            Check::Text { min, max } => {
                self.text(key, need, min, max);
            }
            Check::Enumeration { what, allowed, all } => {
                if let Some(v) = self.enumeration(key, need, what, allowed, all) {
                    self.values.push((key, v));
                }
            }
            Check::Filter { empty_means_all } => self.filter_field(key, need, empty_means_all),
            Check::Filters => self.filters(key, need),
            Check::Reviewers => self.reviewers(key, need),
            Check::Time => self.time(key, need),
            Check::Date => self.date(key, need),
            Check::Count { min } => self.count(key, need, min),
            Check::Boolean => self.boolean(key, need),
            Check::StringList { example } => self.string_list(key, need, example),
            Check::Sort => self.sort(key, need),
            Check::GroupBy => self.group_by(key, need),
            Check::UserInfo => self.user_info(key, need),
            Check::DayOfMonth => self.day_of_month(key, need),
        }
    }

    fn missing(&self, need: Need) -> Missing {
        let required = || Missing::Error("it is required".into());
        match need {
            Need::Required => required(),
            Need::RequiredIf(field, value) if self.values.contains(&(field, value)) => {
                Missing::Error(format!("it is required when `{field}` is {value}"))
            }
            Need::ToCreate | Need::ToCreateWarnOnUpdate(_) if self.create => required(),
            Need::ToCreateWarnOnUpdate(why) => Missing::Warning(why),
            Need::Optional | Need::RequiredIf(..) | Need::ToCreate => Missing::Allowed,
        }
    }

    /// The value of a top-level field, if present and not null; reports it missing as `need` says.
    fn get(&mut self, key: &str, need: &Missing) -> Option<&'a Json> {
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
            Missing::Allowed => {}
            Missing::Error(why) => self.push(Finding::error(
                Code::MissingField,
                key,
                format!("{what}; {why}"),
            )),
            Missing::Warning(why) => self.push(Finding::warning(
                Code::MissingField,
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
                    Code::WrongType,
                    path,
                    format!("`{path}` must be a string, not {}", type_name(other)),
                ));
                None
            }
        }
    }

    fn string_field(&mut self, key: &str, need: &Missing) -> Option<&'a str> {
        let v = self.get(key, need)?;
        self.string(key, v)
    }

    /// A string field with a length in characters of `min..=max`.
    fn text(&mut self, key: &str, need: &Missing, min: usize, max: Option<usize>) {
        let Some(s) = self.string_field(key, need) else {
            return;
        };
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
            self.push(Finding::error(Code::TooShort, key, msg));
        } else if let Some(max) = max.filter(|&max| n > max) {
            self.push(
                Finding::error(
                    Code::TooLong,
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
                Code::Blank,
                key,
                format!("`{key}` is only whitespace"),
            ));
        }
    }

    /// An enumeration field: one of `allowed` (wire spellings), each of which is in `all`.
    fn enumeration(
        &mut self,
        key: &str,
        need: &Missing,
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
                Code::InvalidValue,
                key,
                format!("{what} `{s}` is not allowed in this request; allowed: {list}"),
            )
        } else {
            Finding::error(
                Code::InvalidValue,
                key,
                format!("`{s}` is not a valid {what}; allowed: {list}"),
            )
        };
        if let Some(c) = allowed.iter().find(|a| a.eq_ignore_ascii_case(s)) {
            f = f.help(format!("values are case-sensitive: write `{c}`"));
        } else if let Some(help) = did_you_mean(s, allowed.iter().copied()) {
            f = f.help(help);
        }
        self.push(f);
        None
    }

    /// Every diagnostic of the filter `src` at `path`, in the body's scope.
    fn filter(&mut self, path: &str, src: &str) {
        for d in filter_diagnostics(src, self.scope, self.opts, self.now) {
            self.push(Finding::in_filter(path, src, self.scope, d));
        }
    }

    /// `filter`/`filterQuery`: a string holding a filter.
    fn filter_field(&mut self, key: &str, need: &Missing, empty_means_all: bool) {
        let Some(s) = self.string_field(key, need) else {
            return;
        };
        if empty_means_all && s.trim().is_empty() {
            self.push(
                Finding::warning(
                    Code::Blank,
                    key,
                    format!("`{key}` is empty, so the request applies to everything"),
                )
                .help(format!("leave `{key}` out to mean no filter")),
            );
            return;
        }
        self.filter(key, s);
    }

    /// `filters`: an array of filters, at least one.
    fn filters(&mut self, key: &str, need: &Missing) {
        let Some(items) = self.array(key, need, "[\"action:Create AND severity>=4\"]") else {
            return;
        };
        if items.is_empty() {
            self.push(Finding::error(
                Code::EmptyList,
                key,
                format!("`{key}` is empty; give at least one filter"),
            ));
        }
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            if let Some(src) = self.string(&path, item) {
                self.filter(&path, src);
            }
        }
    }

    /// An array field; `None` (reported) if it is not an array.
    fn array(&mut self, key: &str, need: &Missing, example: &str) -> Option<&'a Vec<Json>> {
        match self.get(key, need)? {
            Json::Array(items) => Some(items),
            other => {
                let mut f = Finding::error(
                    Code::WrongType,
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

    fn reviewers(&mut self, key: &str, need: &Missing) {
        let Some(items) = self.array(key, need, "[\"jsmith\", \"jsmith@example.com\"]") else {
            return;
        };
        if items.is_empty() && !matches!(need, Missing::Allowed) {
            self.push(Finding::error(
                Code::EmptyList,
                key,
                format!("`{key}` is empty; name at least one user name or e-mail address"),
            ));
        }
        if items.len() > MAX_REVIEWERS {
            self.push(
                Finding::error(
                    Code::TooMany,
                    key,
                    format!(
                        "`{key}` has {} entries; at most {MAX_REVIEWERS} are allowed",
                        items.len()
                    ),
                )
                .help(format!("remove {}", items.len() - MAX_REVIEWERS)),
            );
        }
        let mut seen: Vec<(String, usize)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            let Some(s) = self.string(&path, item) else {
                continue;
            };
            if let Some((code, why)) = reviewer_problem(s) {
                let what = if code == Code::InvalidEmail {
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
                        Code::SurroundingWhitespace,
                        &path,
                        format!(
                            "{} has leading or trailing whitespace",
                            Json::String(s.to_string())
                        ),
                    )
                    .help(format!("write {}", Json::String(s.trim().to_string()))),
                );
            }
            let lower = s.trim().to_lowercase();
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == lower) {
                self.push(Finding::warning(
                    Code::Duplicate,
                    &path,
                    format!(
                        "{} is listed twice (first at `{key}[{first}]`)",
                        Json::String(s.to_string())
                    ),
                ));
            } else {
                seen.push((lower, i));
            }
        }
    }

    fn time(&mut self, key: &str, need: &Missing) {
        let Some(s) = self.string_field(key, need) else {
            return;
        };
        if let Err(why) = s.parse::<ClockTime>() {
            self.push(
                Finding::error(
                    Code::InvalidTime,
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

    fn date(&mut self, key: &str, need: &Missing) {
        let Some(s) = self.string_field(key, need) else {
            return;
        };
        match parse_ymd(s) {
            Err(why) => self.push(
                Finding::error(
                    Code::InvalidDate,
                    key,
                    format!("`{key}` {} is not a date: {why}", Json::String(s.into())),
                )
                .help("write yyyy-MM-dd, e.g. \"2023-06-04\""),
            ),
            Ok(d) => {
                let today = self.now.date_naive();
                if d < today {
                    self.push(Finding::warning(
                        Code::PastDate,
                        key,
                        format!("`{key}` {d} is in the past (today is {today}); the API expects a date from today on"),
                    ));
                }
            }
        }
    }

    /// A whole number of at least `min` (or a string of digits), at most `u32::MAX`.
    fn count(&mut self, key: &str, need: &Missing, min: u32) {
        let Some(v) = self.get(key, need) else {
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
                Code::WrongType,
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
                Code::OutOfRange,
                key,
                format!("`{key}` is {n}; {limit}"),
            ));
        }
    }

    fn boolean(&mut self, key: &str, need: &Missing) {
        let Some(v) = self.get(key, need) else {
            return;
        };
        if !v.is_boolean() {
            self.push(Finding::error(
                Code::WrongType,
                key,
                format!("`{key}` must be true or false, not {}", type_name(v)),
            ));
        }
    }

    /// An array of non-empty strings.
    fn string_list(&mut self, key: &str, need: &Missing, example: &str) {
        let Some(items) = self.array(key, need, example) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            if let Some(s) = self.string(&path, item)
                && s.trim().is_empty()
            {
                self.push(Finding::error(
                    Code::Blank,
                    &path,
                    format!("`{path}` is empty"),
                ));
            }
        }
    }

    fn sort(&mut self, key: &str, need: &Missing) {
        const EXAMPLE: &str = r#"[{"dateTime":"desc"}]"#;
        let Some(v) = self.get(key, need) else {
            return;
        };
        let text = match v {
            Json::String(s) => s.as_str(),
            other => {
                let mut f = Finding::error(
                    Code::WrongType,
                    key,
                    format!(
                        "`{key}` must be a string holding a JSON array, not {}",
                        type_name(other)
                    ),
                );
                f = if other.is_array() {
                    f.help(format!(
                        "send the array as a string: \"{key}\": {}",
                        Json::String(other.to_string())
                    ))
                } else {
                    f.help(format!("e.g. \"{key}\": {}", Json::String(EXAMPLE.into())))
                };
                self.push(f);
                return;
            }
        };
        let bad = |msg: String| {
            Finding::error(Code::InvalidSort, key, msg)
                .help(format!("e.g. \"{key}\": {}", Json::String(EXAMPLE.into())))
        };
        let items = match serde_json::from_str::<Json>(text) {
            Ok(Json::Array(items)) => items,
            Ok(other) => {
                self.push(bad(format!(
                    "`{key}` holds {}, not an array of {{\"token\": \"asc\"|\"desc\"}} objects",
                    type_name(&other)
                )));
                return;
            }
            Err(e) => {
                self.push(bad(format!(
                    "`{key}` does not hold valid JSON: {e} (within the string)"
                )));
                return;
            }
        };
        let scope = self.scope;
        for (i, item) in items.iter().enumerate() {
            let entry = match item {
                Json::Object(o) if o.len() == 1 => o.iter().next(),
                _ => None,
            };
            let Some((token, dir)) = entry else {
                self.push(bad(format!(
                    "entry {i} of `{key}` must be an object with one token, like {{\"dateTime\":\"desc\"}}"
                )));
                continue;
            };
            if !dir
                .as_str()
                .is_some_and(|d| d.eq_ignore_ascii_case("asc") || d.eq_ignore_ascii_case("desc"))
            {
                self.push(bad(format!(
                    "`{key}` orders `{token}` by {dir}; the order is \"asc\" or \"desc\""
                )));
            }
            if self.opts.catalog.lookup(scope, token).is_none() && !self.opts.allow_unknown {
                let mut f = Finding::warning(
                    Code::UnknownToken,
                    key,
                    format!("`{key}` orders by `{token}`, which is not a known {scope} token"),
                );
                if let Some(help) = did_you_mean(token, self.opts.catalog.names(scope)) {
                    f = f.help(help);
                }
                self.push(f);
            }
        }
    }

    fn group_by(&mut self, key: &str, need: &Missing) {
        let Some(items) = self.array(key, need, "[\"action\"]") else {
            return;
        };
        let scope = self.scope;
        let mut seen = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            let Some(token) = self.string(&path, item) else {
                continue;
            };
            let known = self.opts.catalog.lookup(scope, token);
            if known.is_none() && !self.opts.allow_unknown {
                let mut f = Finding::error(
                    Code::UnknownToken,
                    &path,
                    format!("`{token}` is not a known {scope} token"),
                );
                if let Some(help) = did_you_mean(token, self.opts.catalog.names(scope)) {
                    f = f.help(help);
                }
                self.push(f);
            }
            let canonical = known.map_or(token, |t| t.name.as_str());
            if !seen.insert(canonical.to_string()) {
                self.push(Finding::warning(
                    Code::Duplicate,
                    &path,
                    format!("`{token}` is listed twice"),
                ));
            }
        }
    }

    fn user_info(&mut self, key: &str, need: &Missing) {
        let Some(v) = self.get(key, need) else {
            return;
        };
        let Json::Object(o) = v else {
            self.push(
                Finding::error(
                    Code::WrongType,
                    key,
                    format!("`{key}` must be an object, not {}", type_name(v)),
                )
                .help(format!(
                    "e.g. \"{key}\": {{\"user\": {{\"name\": \"jsmith\", \"id\": \"...\"}}}}"
                )),
            );
            return;
        };
        for (k, x) in o {
            let path = child_path(key, k);
            match (k.as_str(), x) {
                (_, Json::Null) if k == "user" || k == "date" => {}
                ("user", Json::Object(u)) => {
                    for (k2, y) in u {
                        let p2 = child_path(&path, k2);
                        match (k2.as_str(), y) {
                            ("name" | "id", Json::String(_) | Json::Null) => {}
                            ("name" | "id", other) => self.push(Finding::error(
                                Code::WrongType,
                                &p2,
                                format!("`{p2}` must be a string, not {}", type_name(other)),
                            )),
                            _ => self.push(Finding::warning(
                                Code::UnknownField,
                                &p2,
                                format!("unknown field `{p2}` (a user has `name` and `id`)"),
                            )),
                        }
                    }
                }
                ("user", other) => self.push(Finding::error(
                    Code::WrongType,
                    &path,
                    format!("`{path}` must be an object, not {}", type_name(other)),
                )),
                ("date", Json::Number(n)) if n.is_i64() => {}
                ("date", other) => self.push(Finding::error(
                    Code::WrongType,
                    &path,
                    format!(
                        "`{path}` must be a whole number of epoch milliseconds, not {}",
                        type_name(other)
                    ),
                )),
                _ => self.push(Finding::warning(
                    Code::UnknownField,
                    &path,
                    format!("unknown field `{path}` ({key} has `user` and `date`)"),
                )),
            }
        }
    }

    fn day_of_month(&mut self, key: &str, need: &Missing) {
        let Some(v) = self.get(key, need) else {
            return;
        };
        match v.as_u64() {
            Some(1..=31) => {}
            Some(n) => self.push(Finding::error(
                Code::OutOfRange,
                key,
                format!("`{key}` is {n}; it must be 1 to 31"),
            )),
            None => self.push(Finding::error(
                Code::WrongType,
                key,
                format!(
                    "`{key}` must be a whole number from 1 to 31, not {}",
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
                Code::UnknownField,
                &path,
                format!(
                    "unknown field `{key}`: {kind} requests do not have it; the API may ignore or reject it"
                ),
            );
            if let Some(c) = known.iter().find(|k| k.eq_ignore_ascii_case(key)) {
                f = f.help(format!("field names are case-sensitive: `{c}`"));
            } else if let Some(help) = did_you_mean(key, known.iter().copied()) {
                f = f.help(help);
            }
            self.push(f);
        }
    }
}

/// What is wrong with a reviewer entry, if anything: an entry with `@` must be an e-mail address,
/// any other a user name (which may hold spaces, as `Patrick williams` in the release notes).
fn reviewer_problem(s: &str) -> Option<(Code, String)> {
    if s.contains('@') {
        return email_problem(s).map(|why| (Code::InvalidEmail, why));
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
    Some((Code::InvalidUserName, why))
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
                Some(Code::InvalidUserName),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn paths() {
        assert_eq!(child_path("", "ruleName"), "ruleName");
        assert_eq!(child_path("userInfo", "user"), "userInfo.user");
        assert_eq!(child_path("", "a b"), "[\"a b\"]");
        assert_eq!(child_path("x", "1"), "x[\"1\"]");
    }
}
