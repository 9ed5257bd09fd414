//! Building filters in Rust.
//!
//! Start a term with [`field`], finish it with a value method, and combine terms with
//! [`Condition::and`], [`Condition::or`] and [`not`] (or `&`, `|` and `!`). [`Condition::build`]
//! gives the [`Query`]. Values are escaped and quoted for any input text, dates print as quoted
//! ISO 8601 in UTC with `Z`, and AND and OR are flattened as the parser flattens them, so the
//! printed filter parses back to the same tree:
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use fimql::builder::{field, not, open};
//!
//! let since = Utc.with_ymd_and_hms(2023, 6, 1, 0, 0, 0).unwrap();
//! let query = field("dateTime").range(since, open())
//!     .and(field("action").any_of(["Create", "Content"]))
//!     .and(not(field("file.fullPath").phrase(r"C:\Windows\")))
//!     .and(field("file.attribute.hidden").exact("Added") | field("severity").ge(4))
//!     .build()?;
//! let text = query.to_string();
//! assert_eq!(
//!     text,
//!     r#"dateTime:['2023-06-01T00:00:00Z'..*] AND action:[Create, Content] AND NOT file.fullPath:"C:\Windows\\" AND (file.attribute.hidden:`Added` OR severity>=4)"#
//! );
//! assert!(fimql::parse(&text)?.eq_ignoring_spans(&query));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Which value method to use (`language.md` section 1): [`FieldRef::eq`] is a case-insensitive
//! whole-value match (a bare value, every special character escaped, so `*` and `?` are literal);
//! [`FieldRef::exact`] is case-sensitive (backticks); [`FieldRef::phrase`] is a case-insensitive
//! substring for text tokens (double quotes); [`FieldRef::wildcard`] takes a bare pattern as
//! written, with `*` and `?`.
//!
//! Problems that make a filter impossible to write (an empty value, a malformed field name, a
//! date outside the years 0000–9999, nesting deeper than the parser accepts) are kept in the
//! [`Condition`] and returned by [`Condition::build`]. Every term is also checked to print and
//! parse back to itself, so whatever builds, round-trips. Whether a field exists or a value fits
//! its type is not the builder's business: validation (or compilation) reports that.

use std::fmt;
use std::ops;

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, Timelike, Utc,
};

use crate::ast::{Bound, CmpOp, Expr, ExprKind, Field, Form, Predicate, Query, Term, Value};
use crate::error::{Code, Diagnostic, Diagnostics};
use crate::parse::DEFAULT_MAX_DEPTH;
use crate::span::Span;

/// Why a [`Condition`] cannot become a filter.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The name is not `ident(.ident)*` with `ident = [A-Za-z_][A-Za-z0-9_]*`, or is a keyword.
    #[error(
        "`{0}` cannot be a field name: expected dotted identifiers like `file.attribute.hidden`"
    )]
    InvalidField(String),
    /// An empty value: the filter language has none (`action:""` is an error).
    #[error(
        "empty value for `{field}`: a filter cannot hold an empty value (use `NOT {field}:*` for a missing field)"
    )]
    EmptyValue {
        /// The field.
        field: String,
    },
    /// A list without values.
    #[error("empty list of values for `{field}`")]
    EmptyList {
        /// The field.
        field: String,
    },
    /// A date that the filter date grammar cannot write (year outside 0000–9999, leap second).
    #[error(
        "`{value}` for `{field}` cannot be written as a filter date (years 0000-9999, no leap seconds)"
    )]
    DateOutOfRange {
        /// The field.
        field: String,
        /// The date, as chrono prints it.
        value: String,
    },
    /// An `and` or `or` of nothing.
    #[error("an AND or OR needs at least one operand")]
    EmptyGroup,
    /// Parentheses and `NOT` nest deeper than the parser accepts.
    #[error("parentheses and NOT would nest {depth} levels deep; the parser accepts {max}")]
    TooDeep {
        /// The nesting depth of the printed filter.
        depth: usize,
        /// The limit ([`DEFAULT_MAX_DEPTH`]).
        max: usize,
    },
    /// A term that would not read back as itself, e.g. a wildcard pattern that is not one bare
    /// value (`a b:c`), or a prepared [`Value`] with an unescaped quote.
    #[error("`{term}` would not parse back as written: {reason}")]
    Unrepresentable {
        /// The term as it would print.
        term: String,
        /// What goes wrong.
        reason: String,
    },
}

impl BuildError {
    /// The problem as a [`Diagnostic`], with the code the parser gives the same mistake in text
    /// (`expected-value` for an empty value or list, `invalid-date`, `expected-term` for an empty
    /// group, `too-deep`, `unexpected-token` for a name or term that would not read back). The
    /// span is empty: a condition has no text yet.
    ///
    /// ```
    /// use fimql::builder::field;
    /// let err = field("action").eq("").build().unwrap_err();
    /// assert_eq!(err.diagnostic().code.as_str(), "expected-value");
    /// ```
    pub fn diagnostic(&self) -> Diagnostic {
        let code = match self {
            BuildError::EmptyValue { .. } | BuildError::EmptyList { .. } => Code::ExpectedValue,
            BuildError::DateOutOfRange { .. } => Code::InvalidDate,
            BuildError::EmptyGroup => Code::ExpectedTerm,
            BuildError::TooDeep { .. } => Code::TooDeep,
            BuildError::InvalidField(_) | BuildError::Unrepresentable { .. } => {
                Code::UnexpectedToken
            }
        };
        Diagnostic::error(code, Span::default(), self.to_string())
    }
}

impl From<BuildError> for Diagnostics {
    fn from(e: BuildError) -> Self {
        Diagnostics::from(e.diagnostic())
    }
}

/// A boolean condition under construction: a term, or an AND, OR or NOT of conditions. It holds
/// the first [`BuildError`] met, which [`Condition::build`] returns.
#[derive(Clone, Debug)]
#[must_use]
pub struct Condition {
    inner: Result<Expr, BuildError>,
    /// At least the nesting of `inner` ([`nesting`]): counted up from the parts, and measured
    /// when that count passes [`BUILD_DEPTH_LIMIT`].
    bound: usize,
}

impl PartialEq for Condition {
    fn eq(&self, other: &Condition) -> bool {
        self.inner == other.inner
    }
}

impl Eq for Condition {}

/// How deep a condition may nest while it is being built. Past it, the condition becomes a
/// [`BuildError::TooDeep`] at once, so that no tree is made that cloning, printing or dropping
/// (which recurse) could not walk on a small stack; [`Condition::build`] refuses anything deeper
/// than the parser's default long before.
const BUILD_DEPTH_LIMIT: usize = crate::parse::MAX_DEPTH_LIMIT;

impl Condition {
    /// A condition whose nesting is at most `bound`, checked against [`BUILD_DEPTH_LIMIT`].
    fn checked(inner: Result<Expr, BuildError>, bound: usize) -> Condition {
        match inner {
            Ok(e) if bound > BUILD_DEPTH_LIMIT => {
                let depth = nesting(&e);
                if depth > BUILD_DEPTH_LIMIT {
                    Condition::err(BuildError::TooDeep {
                        depth,
                        max: DEFAULT_MAX_DEPTH,
                    })
                } else {
                    Condition {
                        inner: Ok(e),
                        bound: depth,
                    }
                }
            }
            inner => Condition { inner, bound },
        }
    }

    fn err(e: BuildError) -> Condition {
        Condition {
            inner: Err(e),
            bound: 0,
        }
    }

    /// Both this and `other` (an n-ary AND, flattened).
    pub fn and(self, other: Condition) -> Condition {
        and([self, other])
    }

    /// This or `other` (an n-ary OR, flattened).
    pub fn or(self, other: Condition) -> Condition {
        or([self, other])
    }

    /// The query, or the first problem met while building.
    pub fn build(self) -> Result<Query, BuildError> {
        let expr = self.inner?;
        let depth = nesting(&expr);
        if depth > DEFAULT_MAX_DEPTH {
            return Err(BuildError::TooDeep {
                depth,
                max: DEFAULT_MAX_DEPTH,
            });
        }
        Ok(Query::from(expr))
    }
}

impl TryFrom<Condition> for Query {
    type Error = BuildError;
    fn try_from(c: Condition) -> Result<Query, BuildError> {
        c.build()
    }
}

impl fmt::Display for Condition {
    /// The filter text, or the error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Ok(e) => e.fmt(f),
            Err(e) => write!(f, "<{e}>"),
        }
    }
}

impl ops::BitAnd for Condition {
    type Output = Condition;
    fn bitand(self, rhs: Condition) -> Condition {
        and([self, rhs])
    }
}

impl ops::BitOr for Condition {
    type Output = Condition;
    fn bitor(self, rhs: Condition) -> Condition {
        or([self, rhs])
    }
}

impl ops::Not for Condition {
    type Output = Condition;
    fn not(self) -> Condition {
        not(self)
    }
}

/// All of the conditions. Operands that are themselves ANDs are spliced in, one operand is
/// returned as it is, none is [`BuildError::EmptyGroup`].
pub fn and(items: impl IntoIterator<Item = Condition>) -> Condition {
    join(items, true)
}

/// Any of the conditions; flattened like [`and`].
pub fn or(items: impl IntoIterator<Item = Condition>) -> Condition {
    join(items, false)
}

/// The negation of a condition.
pub fn not(c: Condition) -> Condition {
    match c.inner {
        // The NOT, and the parentheses of a group under it.
        Ok(e) => Condition::checked(
            Ok(Expr {
                kind: ExprKind::Not(Box::new(e)),
                span: Span::default(),
            }),
            c.bound + 2,
        ),
        Err(e) => Condition::err(e),
    }
}

fn join(items: impl IntoIterator<Item = Condition>, is_and: bool) -> Condition {
    let mut bound = 0;
    let exprs: Result<Vec<Expr>, BuildError> = items
        .into_iter()
        .map(|c| {
            bound = bound.max(c.bound + 1);
            c.inner
        })
        .collect();
    let joined = exprs.map(|xs| if is_and { Expr::and(xs) } else { Expr::or(xs) });
    Condition::checked(joined.and_then(|e| e.ok_or(BuildError::EmptyGroup)), bound)
}

/// How deep parentheses and `NOT` nest when `e` is printed, counted as the parser counts them.
/// Iterative, so that no tree is too deep to measure.
fn nesting(e: &Expr) -> usize {
    let group = |x: &Expr| usize::from(matches!(x.kind, ExprKind::And(_) | ExprKind::Or(_)));
    let mut max = 0;
    let mut stack = vec![(e, 0usize)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        match &e.kind {
            ExprKind::Term(_) => {}
            ExprKind::Not(x) => stack.push((x, d + 1 + group(x))),
            ExprKind::And(xs) | ExprKind::Or(xs) => {
                stack.extend(xs.iter().map(|x| (x, d + group(x))));
            }
        }
    }
    max
}

/// A field to make a term with; see [`field`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRef {
    name: String,
}

/// Starts a term on a field (token), e.g. `field("file.attribute.hidden")`. The name is written
/// as given; an alias stays an alias.
pub fn field(name: impl Into<String>) -> FieldRef {
    FieldRef { name: name.into() }
}

/// A value to compare with or bound a range by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Point {
    /// An integer, printed bare: `4`, `-1`.
    Int(i64),
    /// An instant, printed `'2023-06-28T06:18:50.548Z'` (0, 3, 6 or 9 fraction digits, as needed).
    Instant(DateTime<Utc>),
    /// A day, printed `'2023-06-28'` (midnight UTC in ranges and comparisons).
    Date(NaiveDate),
    /// Any other text, single-quoted and escaped, e.g. `now-7d`.
    Text(String),
}

macro_rules! point_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Point {
            fn from(n: $t) -> Point {
                Point::Int(i64::from(n))
            }
        }
    )*};
}
point_from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<DateTime<Utc>> for Point {
    fn from(t: DateTime<Utc>) -> Point {
        Point::Instant(t)
    }
}

impl From<DateTime<FixedOffset>> for Point {
    fn from(t: DateTime<FixedOffset>) -> Point {
        Point::Instant(t.with_timezone(&Utc))
    }
}

impl From<NaiveDateTime> for Point {
    /// A naive date-time is taken as UTC.
    fn from(t: NaiveDateTime) -> Point {
        Point::Instant(t.and_utc())
    }
}

impl From<NaiveDate> for Point {
    fn from(d: NaiveDate) -> Point {
        Point::Date(d)
    }
}

impl From<&str> for Point {
    fn from(s: &str) -> Point {
        Point::Text(s.to_string())
    }
}

impl From<String> for Point {
    fn from(s: String) -> Point {
        Point::Text(s)
    }
}

/// One end of a range: open (`*`) or a [`Point`]. Anything that converts into a `Point` converts
/// into an `End`, and so does an `Option` of it (`None` is open).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// `*`: no limit on this side.
    Open,
    /// A limit, inclusive.
    At(Point),
}

/// An open range end, `*`.
pub fn open() -> End {
    End::Open
}

impl From<Point> for End {
    fn from(p: Point) -> End {
        End::At(p)
    }
}

impl From<Option<Point>> for End {
    fn from(p: Option<Point>) -> End {
        p.map_or(End::Open, End::At)
    }
}

macro_rules! end_from {
    ($($t:ty),*) => {$(
        impl From<$t> for End {
            fn from(x: $t) -> End {
                End::At(Point::from(x))
            }
        }
        impl From<Option<$t>> for End {
            fn from(x: Option<$t>) -> End {
                x.map_or(End::Open, |x| End::At(Point::from(x)))
            }
        }
    )*};
}
end_from!(
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    DateTime<Utc>,
    DateTime<FixedOffset>,
    NaiveDateTime,
    NaiveDate,
    &str,
    String
);

impl FieldRef {
    fn field_error(&self) -> Option<BuildError> {
        (!is_field_name(&self.name)).then(|| BuildError::InvalidField(self.name.clone()))
    }

    /// The term `field<predicate>`, checked to read back as itself.
    fn term(self, predicate: Result<Predicate, BuildError>) -> Condition {
        if let Some(e) = self.field_error() {
            return Condition::err(e);
        }
        let predicate = match predicate {
            Ok(p) => p,
            Err(e) => return Condition::err(e),
        };
        let expr = Expr {
            kind: ExprKind::Term(Term {
                field: Field {
                    name: self.name,
                    span: Span::default(),
                },
                predicate,
                span: Span::default(),
            }),
            span: Span::default(),
        };
        if let Err(e) = reads_back(&expr) {
            return Condition::err(e);
        }
        Condition {
            inner: Ok(expr),
            bound: 0,
        }
    }

    fn text_value(&self, form: Form, text: &str) -> Result<Value, BuildError> {
        if text.is_empty() {
            return Err(BuildError::EmptyValue {
                field: self.name.clone(),
            });
        }
        Ok(Value::new(form, text))
    }

    fn point_value(&self, p: Point) -> Result<Value, BuildError> {
        let out_of_range = |value: String| BuildError::DateOutOfRange {
            field: self.name.clone(),
            value,
        };
        match p {
            Point::Int(n) => Ok(Value::bare(n.to_string())),
            Point::Instant(t) => {
                if !(0..=9999).contains(&t.year()) || t.nanosecond() >= 1_000_000_000 {
                    return Err(out_of_range(t.to_string()));
                }
                Ok(Value::new(
                    Form::Single,
                    &t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                ))
            }
            Point::Date(d) => {
                if !(0..=9999).contains(&d.year()) {
                    return Err(out_of_range(d.to_string()));
                }
                Ok(Value::new(Form::Single, &d.format("%Y-%m-%d").to_string()))
            }
            Point::Text(s) => self.text_value(Form::Single, &s),
        }
    }

    /// `field:text`, bare: a case-insensitive match of the whole value. Every character that the
    /// language treats specially (`*`, `?`, spaces, quotes, brackets, `:`, `\`, keywords…) is
    /// escaped, so the value means exactly `text`.
    pub fn eq(self, text: impl AsRef<str>) -> Condition {
        let v = self.text_value(Form::Bare, text.as_ref());
        self.term(v.map(Predicate::Value))
    }

    /// ``field:`text` ``: the whole value, case-sensitive.
    pub fn exact(self, text: impl AsRef<str>) -> Condition {
        let v = self.text_value(Form::Backtick, text.as_ref());
        self.term(v.map(Predicate::Value))
    }

    /// `field:"text"`: for text tokens a case-insensitive substring (a phrase), for other types
    /// as `language.md` section 3 says.
    pub fn phrase(self, text: impl AsRef<str>) -> Condition {
        let v = self.text_value(Form::Double, text.as_ref());
        self.term(v.map(Predicate::Value))
    }

    /// `field:raw`, a bare pattern as written: `*` matches any run of characters, `?` one, `\`
    /// escapes the next character. `"*"` alone is [`FieldRef::present`]. A pattern that would not
    /// read back as one bare value is an error at [`Condition::build`].
    pub fn wildcard(self, raw: impl Into<String>) -> Condition {
        let raw = raw.into();
        if raw == "*" {
            return self.present();
        }
        if raw.is_empty() {
            let field = self.name.clone();
            return self.term(Err(BuildError::EmptyValue { field }));
        }
        self.term(Ok(Predicate::Value(Value::bare(raw))))
    }

    /// `field:value` with a prepared [`Value`] (e.g. from [`Value::new`]). Its span is ignored.
    pub fn value(self, value: Value) -> Condition {
        self.term(Ok(Predicate::Value(value)))
    }

    /// `field:true` or `field:false`.
    pub fn is(self, yes: bool) -> Condition {
        self.term(Ok(Predicate::Value(Value::bare(yes.to_string()))))
    }

    /// `field:*`: present and not null.
    pub fn present(self) -> Condition {
        self.term(Ok(Predicate::Present(Span::default())))
    }

    /// `field:[a, b]` with bare values, each matched like [`FieldRef::eq`].
    pub fn any_of<I>(self, texts: I) -> Condition
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let values: Result<Vec<Value>, BuildError> = texts
            .into_iter()
            .map(|t| self.text_value(Form::Bare, t.as_ref()))
            .collect();
        self.list_of(values)
    }

    /// ``field:[`a`, `b`]``: any of the values, each case-sensitive.
    pub fn exact_any_of<I>(self, texts: I) -> Condition
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let values: Result<Vec<Value>, BuildError> = texts
            .into_iter()
            .map(|t| self.text_value(Form::Backtick, t.as_ref()))
            .collect();
        self.list_of(values)
    }

    /// `field:[...]` with prepared values.
    pub fn list(self, values: impl IntoIterator<Item = Value>) -> Condition {
        let values = values.into_iter().collect();
        self.list_of(Ok(values))
    }

    fn list_of(self, values: Result<Vec<Value>, BuildError>) -> Condition {
        let p = values.and_then(|vs| {
            if vs.is_empty() {
                Err(BuildError::EmptyList {
                    field: self.name.clone(),
                })
            } else {
                Ok(Predicate::List(vs, Span::default()))
            }
        });
        self.term(p)
    }

    /// `field:[lo..hi]`, both ends inclusive; an [`End::Open`] end is `*`.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use fimql::builder::{field, open};
    /// let d = NaiveDate::from_ymd_opt(2023, 1, 9).unwrap();
    /// assert_eq!(field("dateTime").range(d, open()).to_string(), "dateTime:['2023-01-09'..*]");
    /// assert_eq!(field("severity").range(3, 5).to_string(), "severity:[3..5]");
    /// assert_eq!(field("severity").range(None::<i64>, 2).to_string(), "severity:[*..2]");
    /// ```
    pub fn range(self, lo: impl Into<End>, hi: impl Into<End>) -> Condition {
        let bound = |end: End| -> Result<Bound, BuildError> {
            match end {
                End::Open => Ok(Bound::Open(Span::default())),
                End::At(p) => self.point_value(p).map(Bound::Value),
            }
        };
        let p = bound(lo.into())
            .and_then(|lo| Ok(Predicate::Range(lo, bound(hi.into())?, Span::default())));
        self.term(p)
    }

    /// `field>value`, `field>=value`, `field<value` or `field<=value`.
    pub fn compare(self, op: CmpOp, value: impl Into<Point>) -> Condition {
        let v = self.point_value(value.into());
        self.term(v.map(|v| Predicate::Compare(op, v)))
    }

    /// `field>value`.
    pub fn gt(self, value: impl Into<Point>) -> Condition {
        self.compare(CmpOp::Gt, value)
    }

    /// `field>=value`.
    pub fn ge(self, value: impl Into<Point>) -> Condition {
        self.compare(CmpOp::Ge, value)
    }

    /// `field<value`.
    pub fn lt(self, value: impl Into<Point>) -> Condition {
        self.compare(CmpOp::Lt, value)
    }

    /// `field<=value`.
    pub fn le(self, value: impl Into<Point>) -> Condition {
        self.compare(CmpOp::Le, value)
    }
}

/// `ident ("." ident)*` with `ident = [A-Za-z_][A-Za-z0-9_]*`, and not a keyword (which would
/// read as an operator).
fn is_field_name(name: &str) -> bool {
    let keyword = ["and", "or", "not"]
        .iter()
        .any(|k| name.eq_ignore_ascii_case(k));
    !keyword
        && name.split('.').all(|ident| {
            ident
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && ident.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// Checks that a term prints to text that parses back to the same term.
fn reads_back(term: &Expr) -> Result<(), BuildError> {
    let text = term.to_string();
    let parsed = crate::parse(&text);
    if let Ok(q) = &parsed
        && q.expr.eq_ignoring_spans(term)
    {
        return Ok(());
    }
    let cause = term_values(term).iter().find_map(|v| trouble(v));
    let outcome = match &parsed {
        Ok(q) => match &q.expr.kind {
            ExprKind::Or(xs) => format!("it reads as an OR of {} terms", xs.len()),
            ExprKind::And(xs) => format!("it reads as an AND of {} terms", xs.len()),
            ExprKind::Not(_) => "it reads as a NOT".to_string(),
            ExprKind::Term(_) => format!("it reads back as `{q}`"),
        },
        Err(e) => format!("it reads as a syntax error: {}", e.diagnostics()[0].message),
    };
    let reason = match cause {
        Some(cause) => format!(
            "{cause}, so {outcome}; escape it with `\\`, or use a quoted value (`phrase`, `exact`) \
             if the value needs no wildcards"
        ),
        None => outcome,
    };
    Err(BuildError::Unrepresentable { term: text, reason })
}

/// The values of a term, as written.
fn term_values(term: &Expr) -> Vec<&Value> {
    match &term.kind {
        ExprKind::Term(t) => t.predicate.values(),
        _ => Vec::new(),
    }
}

/// What in a bare value stops it reading back as one value: an operator word, a character that
/// ends a bare value, or `..`. `None` for a value with none (or a quoted one).
fn trouble(v: &Value) -> Option<String> {
    if v.form != Form::Bare {
        return None;
    }
    let raw = v.raw.as_str();
    // Words as the parser sees them: split at unescaped whitespace.
    let mut words = Vec::new();
    let (mut start, mut escaped) = (0, false);
    for (i, c) in raw.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c.is_whitespace() {
            words.push(&raw[start..i]);
            start = i + c.len_utf8();
        }
    }
    words.push(&raw[start..]);
    if let Some(kw) = words.iter().skip(1).find(|w| {
        ["AND", "OR", "NOT"]
            .iter()
            .any(|k| w.eq_ignore_ascii_case(k))
    }) {
        return Some(format!(
            "the value contains `{kw}`, which reads as an operator"
        ));
    }
    let mut escaped = false;
    let mut prev = None;
    for c in raw.chars() {
        if escaped {
            escaped = false;
            prev = None;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ':' | '(' | ')' | '[' | ']' | ',' | '"' | '\'' | '`' => {
                return Some(format!("the value contains `{c}`, which ends a bare value"));
            }
            '.' if prev == Some('.') => {
                return Some("the value contains `..`, which ends a bare value".to_string());
            }
            _ => {}
        }
        prev = Some(c);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names() {
        for ok in [
            "action",
            "file.attribute.readOnly",
            "_x.y_1",
            "not.x",
            "ANDROID",
        ] {
            assert!(is_field_name(ok), "{ok}");
        }
        for bad in ["", "a b", "1a", "a..b", "a.", ".a", "AND", "not", "é"] {
            assert!(!is_field_name(bad), "{bad}");
        }
    }

    #[test]
    fn building_deeper_than_any_parser_is_an_error_not_a_deep_tree() {
        let t = || field("a").eq("1");
        // 20,000 NOTs, and a growing AND/OR chain: each stops at the building ceiling.
        let mut c = t();
        for _ in 0..20_000 {
            c = !c;
        }
        assert!(matches!(c.build(), Err(BuildError::TooDeep { .. })));
        let mut c = t();
        for _ in 0..20_000 {
            c = (c & t()) | t();
        }
        assert!(
            matches!(c.inner, Err(BuildError::TooDeep { depth, .. }) if depth <= BUILD_DEPTH_LIMIT + 2)
        );
        // A flat chain of ORs never nests, however long.
        let mut c = t();
        for _ in 0..5_000 {
            c = c | t();
        }
        let q = c.build().unwrap();
        assert!(matches!(&q.expr.kind, ExprKind::Or(xs) if xs.len() == 5_001));
    }

    #[test]
    fn nesting_counts_like_the_parser() {
        let t = || field("a").eq("1");
        assert_eq!(nesting(&t().inner.unwrap()), 0);
        assert_eq!(nesting(&not(not(t())).inner.unwrap()), 2);
        // NOT (a OR b): the NOT and the parenthesis.
        assert_eq!(nesting(&not(t() | t()).inner.unwrap()), 2);
        // a AND (b OR c)
        assert_eq!(nesting(&(t() & (t() | t())).inner.unwrap()), 1);
    }

    #[test]
    fn a_value_that_would_not_read_back_says_why() {
        let why = |c: Condition| c.build().unwrap_err().to_string();
        let e = why(field("asset.name").wildcard("x OR action:Delete"));
        assert!(
            e.contains("the value contains `OR`, which reads as an operator, so it reads as an OR of 2 terms; escape it with `\\`"),
            "{e}"
        );
        let e = why(field("file.name").wildcard("a(b"));
        assert!(
            e.contains("the value contains `(`, which ends a bare value"),
            "{e}"
        );
        let e = why(field("file.name").wildcard("a..b"));
        assert!(e.contains("the value contains `..`"), "{e}");
        // Nothing in the value to blame: what it reads as.
        let e = why(field("file.name").wildcard("\\"));
        assert!(e.contains("it reads as a syntax error"), "{e}");
    }

    #[test]
    fn build_errors_render_without_a_snippet() {
        for c in [
            field("a b").eq("x"),
            field("action").any_of(Vec::<String>::new()),
            and(Vec::<Condition>::new()),
            field("a").wildcard(""),
            field("asset.name").wildcard("x OR action:Delete"),
        ] {
            let d = c.build().unwrap_err().diagnostic();
            let text = crate::error::render(std::slice::from_ref(&d), "");
            assert_eq!(text, d.render_detached().to_string());
            assert!(!text.contains(" | "), "{text}");
            assert!(!text.contains('^'), "{text}");
        }
    }
}
