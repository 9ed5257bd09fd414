//! Validation: checks a parsed filter against the token catalog and the type rules of
//! `language.md` section 3, and reports every problem in one pass.
//!
//! Two entry points:
//!
//! - [`validate`] and [`validate_with`] take the filter text, parse it and validate it: `Ok` with
//!   the query and its warnings, or `Err` with every diagnostic (syntax errors, or validation
//!   errors together with the warnings found beside them).
//! - [`validate_query`] takes an already parsed [`Query`] and returns its diagnostics, sorted by
//!   where they start.
//!
//! [`fix_aliases`] and [`quote_spaced_values`] rewrite a query the way `fmt --fix` does.
//!
//! ```
//! use fimql::catalog::Scope;
//! use fimql::validate;
//!
//! let ok = validate("action:Create AND dateTime>='2023-01-01T00:00:00Z'", Scope::Events)?;
//! assert!(ok.warnings.is_empty());
//!
//! let filter = "actoin:Create AND severity:high";
//! let err = validate(filter, Scope::Events).unwrap_err();
//! let codes: Vec<&str> = err.diagnostics().iter().map(|d| d.code.as_str()).collect();
//! assert_eq!(codes, ["unknown-token", "type-mismatch"]);
//! # Ok::<(), fimql::Diagnostics>(())
//! ```

use chrono::SecondsFormat;

use crate::ast::{Bound, CmpOp, Expr, ExprKind, Form, Piece, Predicate, Query, Term, Value};
use crate::catalog::{Catalog, Scope, TokenType, parse_boolean, parse_integer};
use crate::date::{FilterDate, Instant};
use crate::error::{Code, Diagnostic, Diagnostics, Severity};
use crate::options::Options;
use crate::span::Span;
use crate::suggest::closest;

/// A filter that passed validation: its query and the warnings found (possibly none).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Validated {
    /// The parsed filter.
    pub query: Query,
    /// Every warning, sorted by span start (`mixed-and-or` included).
    pub warnings: Vec<Diagnostic>,
}

impl Validated {
    /// The query, dropping the warnings.
    pub fn into_query(self) -> Query {
        self.query
    }
}

/// Parses and validates a filter against the built-in catalog, in one call.
///
/// `Ok` holds the query and its warnings. `Err` holds every diagnostic when at least one is an
/// error: the syntax errors when the filter does not parse, otherwise all validation errors and
/// warnings, sorted by where they start. Each diagnostic has a stable code, a byte span, a message,
/// usually a help line, and serializes to JSON with serde.
///
/// ```
/// use fimql::catalog::Scope;
/// use fimql::{Severity, validate};
///
/// // Valid, with a warning.
/// let ok = validate("asset.tagNames: cloud agent", Scope::Events)?;
/// assert_eq!(ok.query.to_string(), "asset.tagNames:cloud agent");
/// let w = &ok.warnings[0];
/// assert_eq!(w.code.as_str(), "unquoted-spaces");
/// assert_eq!(w.severity, Severity::Warning);
/// assert_eq!(
///     w.help.as_deref(),
///     Some(
///         "quote it: `asset.tagNames:'cloud agent'` (quoted, it is a phrase: it matches any value \
///          that contains it); to keep the whole-value match, escape the spaces: \
///          `asset.tagNames:cloud\\ agent`"
///     )
/// );
///
/// // Invalid: every problem at once, each with its parts.
/// let filter = "status:OPEN AND severity:[5..1]";
/// let err = validate(filter, Scope::Events).unwrap_err();
/// let d = &err.diagnostics()[0];
/// assert_eq!(d.severity, Severity::Error);
/// assert_eq!(d.code.as_str(), "unknown-token");
/// assert_eq!((d.span.start, d.span.end), (0, 6));
/// assert_eq!(&filter[d.span.start..d.span.end], "status");
/// assert_eq!(d.message, "unknown token `status` in scope events");
/// assert_eq!(d.help.as_deref(), Some("`status` is an incidents token; use scope incidents"));
/// assert_eq!(err.diagnostics()[1].code.as_str(), "empty-range");
///
/// // Human form: the filter with a caret line under the span.
/// let text = d.render(filter).to_string();
/// assert!(text.starts_with("error[unknown-token]: unknown token `status` in scope events\n"));
/// assert!(text.contains("\n  | ^^^^^^\n"));
///
/// // JSON form, through serde.
/// let json = serde_json::to_value(d).unwrap();
/// assert_eq!(json["code"], "unknown-token");
/// assert_eq!(json["severity"], "error");
/// assert_eq!(json["span"]["start"], 0);
/// assert_eq!(json["span"]["end"], 6);
/// let all: Vec<serde_json::Value> = serde_json::from_str(&serde_json::to_string(err.diagnostics()).unwrap()).unwrap();
/// assert_eq!(all.len(), 2);
/// // With line and column added, as the CLI prints it:
/// assert_eq!(err.to_json(filter)[1]["column"], 26);
///
/// // Syntax errors come back the same way.
/// let err = validate("action:Create severity:4", Scope::Events).unwrap_err();
/// assert_eq!(err.diagnostics()[0].code.as_str(), "missing-operator");
/// # Ok::<(), fimql::Diagnostics>(())
/// ```
pub fn validate(filter: &str, scope: Scope) -> Result<Validated, Diagnostics> {
    validate_with(filter, &Options::new(scope))
}

/// Parses and validates a filter with given [`Options`] (scope, catalog, clock, limits,
/// strictness); see [`validate`] for what comes back.
///
/// ```
/// use fimql::catalog::{Catalog, Scope, TokenDef, TokenType};
/// use fimql::date::parse_event_date;
/// use fimql::{Options, Severity, validate_with};
///
/// let mut catalog = Catalog::builtin();
/// catalog.add(Scope::Events, TokenDef::new("file.owner", TokenType::Text, "owner"));
/// let base = Options::new(Scope::Events).catalog(catalog);
///
/// // A user-added token, and a relative range checked against a fixed clock.
/// let now = parse_event_date("2023-01-10T12:00:00Z").unwrap();
/// let opts = base.clone().now(now);
/// let filter = "file.owner:root AND dateTime:[now..now-1d]";
/// let err = validate_with(filter, &opts).unwrap_err();
/// let d = &err.diagnostics()[0];
/// assert_eq!(d.code.as_str(), "empty-range");
/// assert_eq!(&filter[d.span.start..d.span.end], "[now..now-1d]");
/// println!("{}", serde_json::to_string_pretty(d).unwrap());
///
/// // Warnings as errors.
/// let strict = base.clone().deny_warnings(true);
/// let err = validate_with("action:Creat", &strict).unwrap_err();
/// let d = &err.diagnostics()[0];
/// assert_eq!((d.code.as_str(), d.severity), ("unknown-value", Severity::Error));
/// assert_eq!(d.help.as_deref(), Some("did you mean `Create`?"));
///
/// // Unknown tokens as raw JSON paths.
/// let loose = base.allow_unknown(true);
/// assert!(validate_with("data.custom.flag:yes", &loose).is_ok());
/// ```
pub fn validate_with(filter: &str, opts: &Options) -> Result<Validated, Diagnostics> {
    let query = crate::parse::parse_with(filter, opts)?;
    let diags = validate_query(&query, opts);
    if diags.iter().any(Diagnostic::is_error) {
        Err(Diagnostics(diags))
    } else {
        Ok(Validated {
            query,
            warnings: diags,
        })
    }
}

/// Checks a parsed filter and returns every problem, sorted by span start.
///
/// Errors: `unknown-token`, `type-mismatch`, `invalid-date`, `empty-range`. Warnings:
/// `unknown-value`, `date-before-2017`, `date-only-upper-bound`, `unquoted-spaces`, and the
/// parser's `mixed-and-or` (copied from [`Query::warnings`]). With
/// [`Options::deny_warnings`] every warning comes back as an error with the same code.
///
/// ```
/// use fimql::{Options, parse, validate_query};
///
/// let q = parse("severity:+4 OR action:Delte AND platform:LINUX")?;
/// let diags = validate_query(&q, &Options::default());
/// let found: Vec<(&str, usize)> = diags.iter().map(|d| (d.code.as_str(), d.span.start)).collect();
/// assert_eq!(found, [("mixed-and-or", 0), ("type-mismatch", 9), ("unknown-value", 22)]);
/// # Ok::<(), fimql::Diagnostics>(())
/// ```
pub fn validate_query(query: &Query, opts: &Options) -> Vec<Diagnostic> {
    let mut v = Checker {
        catalog: &opts.catalog,
        opts,
        out: query.warnings.clone(),
    };
    query.expr.for_each_term(&mut |t| v.term(t));
    let mut out = v.out;
    if opts.deny_warnings {
        for d in &mut out {
            d.severity = Severity::Error;
        }
    }
    out.sort_by_key(|d| d.span.start);
    out
}

/// Rewrites token aliases to their canonical names (`file.attribute.readOnly` becomes
/// `file.attribute.readonly`), as `fmt --fix` does. Unknown names are left alone. Spans are kept
/// (they still point at what was written). Returns how many names were rewritten.
///
/// ```
/// use fimql::catalog::{Catalog, Scope};
/// let mut q = fimql::parse("file.attribute.readOnly:`Added` OR profile.name:'PCI'")?;
/// assert_eq!(fimql::validate::fix_aliases(&mut q, &Catalog::builtin(), Scope::Events), 2);
/// assert_eq!(q.to_string(), "file.attribute.readonly:`Added` OR profiles.name:'PCI'");
/// # Ok::<(), fimql::Diagnostics>(())
/// ```
pub fn fix_aliases(query: &mut Query, catalog: &Catalog, scope: Scope) -> usize {
    let mut n = 0;
    for_each_term_mut(&mut query.expr, &mut |t| {
        if let Some(def) = catalog.lookup(scope, &t.field.name)
            && def.name != t.field.name
        {
            t.field.name = def.name.clone();
            n += 1;
        }
    });
    n
}

/// Quotes every bare value that runs over several words (the `unquoted-spaces` warning), as
/// `fmt --fix` does: `profiles.name: Windows Profile - PCI(NJJ)` becomes
/// `profiles.name:'Windows Profile - PCI(NJJ)'`. On a text token this changes what the value
/// matches (quoted, it is a phrase that matches any value containing it; bare, the whole value):
/// [`quoting_changes_meaning`] lists those values. A value with wildcards keeps them: quotes would
/// make `*` and `?` literal, so its spaces are escaped instead (`windows\ profile*`). Spans are
/// kept. Returns how many values were rewritten.
///
/// ```
/// let mut q = fimql::parse("asset.tagNames: cloud agent AND profiles.name: windows profile*")?;
/// assert_eq!(fimql::validate::quote_spaced_values(&mut q), 2);
/// assert_eq!(q.to_string(), r"asset.tagNames:'cloud agent' AND profiles.name:windows\ profile*");
/// # Ok::<(), fimql::Diagnostics>(())
/// ```
pub fn quote_spaced_values(query: &mut Query) -> usize {
    let mut n = 0;
    for_each_term_mut(&mut query.expr, &mut |t| {
        let values: Vec<&mut Value> = match &mut t.predicate {
            Predicate::Present(_) => Vec::new(),
            Predicate::Value(v) | Predicate::Compare(_, v) => vec![v],
            Predicate::List(vs, _) | Predicate::Group(vs, _) => vs.iter_mut().collect(),
            Predicate::Range(lo, hi, _) => [lo, hi]
                .into_iter()
                .filter_map(|b| match b {
                    Bound::Value(v) => Some(v),
                    Bound::Open(_) => None,
                })
                .collect(),
        };
        for v in values {
            if let Some(fixed) = spaced_fix(v) {
                *v = Value {
                    span: v.span,
                    ..fixed
                };
                n += 1;
            }
        }
    });
    n
}

/// The rewrite of a bare value with unescaped spaces: quoted, or with escaped spaces when it has
/// wildcards. `None` when the value needs none.
fn spaced_fix(v: &Value) -> Option<Value> {
    if v.form != Form::Bare || !has_unescaped_space(&v.raw) {
        return None;
    }
    if v.has_wildcards() {
        Some(escaped_spaces(v))
    } else {
        Some(Value::new(Form::Single, &v.text()))
    }
}

/// A bare value with its unescaped spaces escaped (`Windows\ Profile`): still bare, so it keeps
/// the whole-value match (and its wildcards).
fn escaped_spaces(v: &Value) -> Value {
    let mut raw = String::with_capacity(v.raw.len() + 4);
    let mut chars = v.raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                raw.push(c);
                if let Some(n) = chars.next() {
                    raw.push(n);
                }
            }
            ' ' => raw.push_str("\\ "),
            _ => raw.push(c),
        }
    }
    Value::bare(raw)
}

/// Whether quoting a bare value of the token `field` changes what it matches: on a text token
/// (and on an unknown one, read as text) a bare value matches the whole value, a quoted one any
/// value that contains it (a phrase); on other types both mean the same.
fn quoting_makes_phrase(catalog: &Catalog, scope: Scope, field: &str) -> bool {
    catalog
        .lookup(scope, field)
        .is_none_or(|def| def.ty == TokenType::Text)
}

/// The values [`quote_spaced_values`] would quote whose meaning that changes: bare values of
/// several words on a text token (or an unknown one) of `scope`, which match the whole value
/// while the quoted form is a phrase that matches any value containing it. Each comes with the
/// term (or, in a list or group, the value) written with escaped spaces instead, which keeps the
/// whole-value match. `fimql fmt --fix` prints a note for each.
///
/// ```
/// use fimql::{Catalog, Scope};
/// let q = fimql::parse("profiles.name:Windows Profile AND action:Create")?;
/// let changed = fimql::validate::quoting_changes_meaning(&q, &Catalog::builtin(), Scope::Events);
/// assert_eq!(changed.len(), 1);
/// assert_eq!((changed[0].0.start, changed[0].0.end), (14, 29));
/// assert_eq!(changed[0].1, r"profiles.name:Windows\ Profile");
/// # Ok::<(), fimql::Diagnostics>(())
/// ```
pub fn quoting_changes_meaning(
    query: &Query,
    catalog: &Catalog,
    scope: Scope,
) -> Vec<(Span, String)> {
    let mut out = Vec::new();
    query.expr.for_each_term(&mut |t| {
        if !quoting_makes_phrase(catalog, scope, &t.field.name) {
            return;
        }
        for v in t.predicate.values() {
            if let Some(fixed) = spaced_fix(v)
                && fixed.form != Form::Bare
            {
                out.push((v.span, term_with(t, escaped_spaces(v))));
            }
        }
    });
    out
}

fn has_unescaped_space(raw: &str) -> bool {
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            ' ' => return true,
            _ => {}
        }
    }
    false
}

fn for_each_term_mut(e: &mut Expr, f: &mut impl FnMut(&mut Term)) {
    match &mut e.kind {
        ExprKind::Or(xs) | ExprKind::And(xs) => xs.iter_mut().for_each(|x| for_each_term_mut(x, f)),
        ExprKind::Not(x) => for_each_term_mut(x, f),
        ExprKind::Term(t) => f(t),
    }
}

/// A checked value of an integer or date token, for range checks.
enum Point {
    Int(i64),
    Date(FilterDate),
}

/// The first instant the API accepts.
fn api_epoch() -> Instant {
    // 2017-01-01T00:00:00Z
    chrono::DateTime::from_timestamp(1_483_228_800, 0).expect("a valid timestamp")
}

fn fmt_instant(at: Instant) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

struct Checker<'a> {
    catalog: &'a Catalog,
    opts: &'a Options,
    out: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn term(&mut self, t: &Term) {
        self.unquoted_spaces(t);
        let name = t.field.name.as_str();
        let (ty, values): (TokenType, &[String]) = match self.catalog.lookup(self.opts.scope, name)
        {
            Some(def) => (def.ty, &def.values),
            None if self.opts.allow_unknown => (TokenType::Text, &[]),
            None => {
                self.unknown_token(t);
                return;
            }
        };
        match &t.predicate {
            Predicate::Present(_) => {}
            Predicate::Value(v) => {
                self.value(t, ty, values, v);
            }
            Predicate::List(vs, _) | Predicate::Group(vs, _) => {
                for v in vs {
                    self.value(t, ty, values, v);
                }
            }
            Predicate::Range(lo, hi, span) => {
                if !ty.is_ordered() {
                    self.range_on_unordered(t, ty, lo, hi, *span);
                    return;
                }
                let l = lo.value().and_then(|v| self.value(t, ty, values, v));
                let h = hi.value().and_then(|v| self.value(t, ty, values, v));
                if let (Some(l), Some(h)) = (&l, &h) {
                    self.empty_range(t, lo, hi, l, h, *span);
                }
                if let (Some(Point::Date(d)), Some(v)) = (&h, hi.value()) {
                    self.date_only_upper(t, d, v, None);
                }
            }
            Predicate::Compare(op, v) => {
                if !ty.is_ordered() {
                    let span = Span::new(t.field.span.end, v.span.end);
                    self.out.push(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            span,
                            format!(
                                "`{name}` is {} token; comparisons (`>`, `>=`, `<`, `<=`) apply only to integer and date tokens",
                                article(ty)
                            ),
                        )
                        .with_help(format!("to match a value write `{name}:{v}`")),
                    );
                    return;
                }
                let p = self.value(t, ty, values, v);
                if let (CmpOp::Le, Some(Point::Date(d))) = (op, &p) {
                    self.date_only_upper(t, d, v, Some(*op));
                }
            }
        }
    }

    fn unknown_token(&mut self, t: &Term) {
        let full = t.field.name.as_str();
        // A long name is cut in the messages (its span shows where it is).
        let name = &*shortened(full);
        let scope = self.opts.scope;
        let elsewhere = Scope::ALL
            .into_iter()
            .find(|&s| s != scope && self.catalog.lookup(s, full).is_some());
        let help = match elsewhere {
            // "an events token", "an incidents token"
            Some(other) => format!("`{name}` is an {other} token; use scope {other}"),
            None => {
                let near = closest(full, self.catalog.names(scope), 3);
                match near.as_slice() {
                    [] => format!(
                        "no {scope} token has a similar name (see `fimql tokens`); to read `{name}` as a raw JSON path, allow unknown tokens"
                    ),
                    [one] if one.eq_ignore_ascii_case(full) => {
                        format!("token names are case-sensitive: did you mean `{one}`?")
                    }
                    _ => format!("did you mean {}?", one_of(&near)),
                }
            }
        };
        self.out.push(
            Diagnostic::error(
                Code::UnknownToken,
                t.field.span,
                format!("unknown token `{name}` in scope {scope}"),
            )
            .with_help(help),
        );
    }

    fn range_on_unordered(&mut self, t: &Term, ty: TokenType, lo: &Bound, hi: &Bound, span: Span) {
        let name = t.field.name.as_str();
        let help = match (ty, lo, hi) {
            (TokenType::Boolean, _, _) => {
                format!("write `{name}:true` or `{name}:false`")
            }
            (_, Bound::Value(a), Bound::Value(b)) => {
                format!("to match any of several values use a list: `{name}:[{a}, {b}]`")
            }
            _ => format!("to match any value write `{name}:*`"),
        };
        self.out.push(
            Diagnostic::error(
                Code::TypeMismatch,
                span,
                format!(
                    "`{name}` is {} token; ranges apply only to integer and date tokens",
                    article(ty)
                ),
            )
            .with_help(help),
        );
    }

    /// Checks one value against the token's type; returns it parsed for integer and date tokens.
    fn value(&mut self, t: &Term, ty: TokenType, values: &[String], v: &Value) -> Option<Point> {
        let name = t.field.name.as_str();
        match ty {
            TokenType::Text | TokenType::Keyword => None,
            TokenType::Enum => {
                self.enum_value(name, values, v);
                None
            }
            TokenType::Integer | TokenType::Boolean | TokenType::Date if v.has_wildcards() => {
                let help = match ty {
                    TokenType::Boolean => format!("write `{name}:true` or `{name}:false`"),
                    TokenType::Integer => {
                        format!("to match several numbers use a range, e.g. `{name}:[1..5]`")
                    }
                    _ => format!(
                        "to match a period use a range, e.g. `{name}:['2023-01-01'..'2023-02-01']`"
                    ),
                };
                self.out.push(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        v.span,
                        format!(
                            "`{name}` is {} token; wildcards (`*`, `?`) do not apply to it",
                            article(ty)
                        ),
                    )
                    .with_help(help),
                );
                None
            }
            TokenType::Integer => {
                let text = v.text();
                if let Some(n) = parse_integer(&text) {
                    return Some(Point::Int(n));
                }
                let digits = text.strip_prefix('-').unwrap_or(&text);
                let (message, help) = if !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit())
                {
                    (
                        format!("`{}` is too large for `{name}`", shown(&text)),
                        "integers must fit in 64 bits".to_string(),
                    )
                } else {
                    let message = format!("`{name}` takes an integer, found `{}`", shown(&text));
                    match integer_fix(&text) {
                        Some(n) => {
                            let fixed = Value::new(v.form, &n.to_string());
                            (message, format!("write `{}`", term_with(t, fixed)))
                        }
                        None => (
                            message,
                            format!("an integer is digits with an optional `-`, e.g. `{name}:4`"),
                        ),
                    }
                };
                self.out
                    .push(Diagnostic::error(Code::TypeMismatch, v.span, message).with_help(help));
                None
            }
            TokenType::Boolean => {
                let text = v.text();
                if parse_boolean(&text).is_none() {
                    self.out.push(
                        Diagnostic::error(
                            Code::TypeMismatch,
                            v.span,
                            format!("`{name}` takes `true` or `false`, found `{}`", shown(&text)),
                        )
                        .with_help(format!("write `{name}:true` or `{name}:false`")),
                    );
                }
                None
            }
            TokenType::Date => self.date_value(t, v).map(Point::Date),
        }
    }

    fn enum_value(&mut self, name: &str, values: &[String], v: &Value) {
        if values.is_empty() {
            return;
        }
        let message = if v.has_wildcards() {
            let pattern = lower_pattern(&v.pattern());
            if values.iter().any(|k| glob(&pattern, &lower(k))) {
                return;
            }
            format!("`{}` matches no known value of `{name}`", shown(&v.raw))
        } else {
            let text = v.text();
            if values.iter().any(|k| lower(k) == lower(&text)) {
                return;
            }
            format!("`{}` is not a known value of `{name}`", shown(&text))
        };
        let probe = if v.has_wildcards() {
            v.pattern()
                .iter()
                .filter_map(|p| match p {
                    Piece::Literal(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect::<String>()
        } else {
            v.text()
        };
        let near = closest(&probe, values.iter().map(String::as_str), 3);
        let help = if near.is_empty() {
            format!("known values: {}", values.join(", "))
        } else {
            format!("did you mean {}?", one_of(&near))
        };
        self.out
            .push(Diagnostic::warning(Code::UnknownValue, v.span, message).with_help(help));
    }

    fn date_value(&mut self, t: &Term, v: &Value) -> Option<FilterDate> {
        let name = t.field.name.as_str();
        let text = v.text();
        let date = match FilterDate::read(&text) {
            Ok(d) => d,
            Err(e) => {
                self.invalid_date(t, v, &text, e.offset, &e.message);
                return None;
            }
        };
        let at = match (date.fixed(), self.opts.now) {
            (Some(at), _) => Some(at),
            (None, Some(now)) => {
                let Some(at) = date.resolve(now) else {
                    // As compilation refuses it: the clock is known, so the check says so too.
                    self.out.push(
                        Diagnostic::error(
                            Code::InvalidDate,
                            v.span,
                            format!(
                                "`{}` is out of the range of dates (about 262,000 years either \
                                 side of year 0) for the clock {}",
                                shown(&text),
                                now.to_rfc3339()
                            ),
                        )
                        .with_help(format!("use a nearer date for `{name}`")),
                    );
                    return None;
                };
                Some(at)
            }
            (None, None) => None,
        };
        if let Some(at) = at
            && at < api_epoch()
        {
            let message = if date.is_relative() {
                format!(
                    "`{}` is {}, before 2017-01-01; the FIM API rejects earlier dates",
                    shown(&text),
                    fmt_instant(at)
                )
            } else {
                format!(
                    "`{}` is before 2017-01-01; the FIM API rejects earlier dates",
                    shown(&text)
                )
            };
            self.out.push(
                Diagnostic::warning(Code::DateBefore2017, v.span, message)
                    .with_help(format!("use a date on or after 2017-01-01 for `{name}`")),
            );
        }
        Some(date)
    }

    fn invalid_date(&mut self, t: &Term, v: &Value, text: &str, offset: usize, why: &str) {
        let name = t.field.name.as_str();
        let offset = offset.min(text.len());
        let position = text[..offset].chars().count() + 1;
        let mut d = Diagnostic::error(
            Code::InvalidDate,
            v.span,
            format!(
                "`{name}` takes a date; `{}` is not one: {why} at character {position}",
                shown(text)
            ),
        );
        // Point at the very character when the value has no escapes (its text is its raw text).
        if text == v.raw {
            let quote = usize::from(v.form.is_quoted());
            let at = v.span.start + quote + offset;
            // A line break is marked where it starts, at the end of its line.
            let width = text[offset..]
                .chars()
                .next()
                .filter(|c| !c.is_control())
                .map_or(0, char::len_utf8);
            d = d.with_label(Span::new(at, at + width), "here");
        }
        let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let help = if squeezed != text && FilterDate::read(&squeezed).is_ok() {
            let what = if text.contains(['\n', '\r']) {
                "line break"
            } else {
                "spaces"
            };
            let form = if v.form == Form::Bare {
                Form::Single
            } else {
                v.form
            };
            format!(
                "remove the {what} (copied from a PDF?): `{}`",
                term_with(t, Value::new(form, &squeezed))
            )
        } else if ["yesterday", "today", "tomorrow"]
            .iter()
            .any(|w| text.eq_ignore_ascii_case(w))
        {
            "relative dates count from `now`, e.g. `now-1d` for one day ago".to_string()
        } else {
            "write a date as `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS.fffZ`, as epoch milliseconds, or relative as `now-7d`".to_string()
        };
        self.out.push(d.with_help(help));
    }

    fn empty_range(&mut self, t: &Term, lo: &Bound, hi: &Bound, l: &Point, h: &Point, span: Span) {
        let (Bound::Value(lv), Bound::Value(hv)) = (lo, hi) else {
            return;
        };
        let describe = |v: &Value, d: &FilterDate, at: Instant| {
            if d.is_relative() {
                format!("`{v}` ({})", fmt_instant(at))
            } else {
                format!("`{v}`")
            }
        };
        let (lower, upper) = match (l, h) {
            (Point::Int(a), Point::Int(b)) if a > b => (format!("`{lv}`"), format!("`{hv}`")),
            (Point::Date(a), Point::Date(b)) => {
                let resolve = |d: &FilterDate| match (d.fixed(), self.opts.now) {
                    (Some(at), _) => Some(at),
                    (None, Some(now)) => d.resolve(now),
                    (None, None) => None,
                };
                match (resolve(a), resolve(b)) {
                    (Some(x), Some(y)) if x > y => (describe(lv, a, x), describe(hv, b, y)),
                    _ => return,
                }
            }
            _ => return,
        };
        let name = t.field.name.as_str();
        self.out.push(
            Diagnostic::error(
                Code::EmptyRange,
                span,
                format!(
                    "this range matches nothing: its lower bound {lower} is after its upper bound {upper}"
                ),
            )
            .with_help(format!("swap the bounds: `{name}:[{hv}..{lv}]`")),
        );
    }

    /// Warns when a date-only value is an upper bound (of a range, or after `<=`).
    fn date_only_upper(&mut self, t: &Term, d: &FilterDate, v: &Value, op: Option<CmpOp>) {
        let Some(at) = d.fixed().filter(|_| d.is_date_only()) else {
            return;
        };
        let day = at.format("%Y-%m-%d").to_string();
        let name = t.field.name.as_str();
        let form = if v.form == Form::Bare {
            Form::Single
        } else {
            v.form
        };
        let help = match op {
            Some(_) => {
                let next = crate::date::next_day(at)
                    .map_or(day.clone(), |n| n.format("%Y-%m-%d").to_string());
                format!(
                    "to include all of {day} write `{name}<{}`",
                    Value::new(form, &next)
                )
            }
            None => format!(
                "to include all of {day} end the range with `{}`",
                Value::new(form, &format!("{day}T23:59:59.999Z"))
            ),
        };
        let message = if op.is_some() {
            format!(
                "`<=` with the date-only `{}` means up to {day}T00:00:00Z and leaves out the rest of that day",
                shown(&v.text())
            )
        } else {
            format!(
                "the date-only upper bound `{}` means {day}T00:00:00Z and leaves out the rest of that day",
                shown(&v.text())
            )
        };
        self.out
            .push(Diagnostic::warning(Code::DateOnlyUpperBound, v.span, message).with_help(help));
    }

    fn unquoted_spaces(&mut self, t: &Term) {
        let phrase = quoting_makes_phrase(self.catalog, self.opts.scope, &t.field.name);
        for v in t.predicate.values() {
            let Some(fixed) = spaced_fix(v) else {
                continue;
            };
            let shown_term = term_with(t, fixed.clone());
            let help = if fixed.form == Form::Bare {
                format!(
                    "quotes would make `*` and `?` literal; to keep the wildcards escape the spaces: `{shown_term}`"
                )
            } else if phrase {
                format!(
                    "quote it: `{shown_term}` (quoted, it is a phrase: it matches any value that \
                     contains it); to keep the whole-value match, escape the spaces: `{}`",
                    term_with(t, escaped_spaces(v))
                )
            } else {
                format!("quote it: `{shown_term}`")
            };
            self.out.push(
                Diagnostic::warning(
                    Code::UnquotedSpaces,
                    v.span,
                    format!("the value `{}` has spaces but no quotes", v.raw),
                )
                .with_help(help),
            );
        }
    }
}

/// What to write instead of `old`: for a term with one value (`field:v`, `field>=v`) the whole
/// term with `new` in place of the value; inside a list, group or range just `new`.
fn term_with(t: &Term, new: Value) -> String {
    match &t.predicate {
        Predicate::Value(_) | Predicate::Compare(..) => {
            let mut t = t.clone();
            if let Predicate::Value(v) | Predicate::Compare(_, v) = &mut t.predicate {
                *v = new;
            }
            t.to_string()
        }
        _ => new.to_string(),
    }
}

/// `an enum`, `a text`, …
fn article(ty: TokenType) -> String {
    match ty {
        TokenType::Enum | TokenType::Integer => format!("an {ty}"),
        _ => format!("a {ty}"),
    }
}

/// A value's text for a message: control characters escaped (a line break shows as `\n`), and
/// bidirectional format characters (`\u{202e}`).
fn shown(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() || crate::error::is_bidi_format(c) {
                c.escape_debug().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// `+4` and `4.0` are meant as `4`.
fn integer_fix(text: &str) -> Option<i64> {
    let t = text.strip_prefix('+').unwrap_or(text);
    let t = match t.split_once('.') {
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => int,
        Some(_) => return None,
        None => t,
    };
    if t == text {
        return None;
    }
    parse_integer(t)
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// `` `a` ``, `` `a` or `b` ``, `` `a`, `b` or `c` ``.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Glob {
    Char(char),
    Star,
    One,
}

fn lower_pattern(pieces: &[Piece]) -> Vec<Glob> {
    let mut out = Vec::new();
    for p in pieces {
        match p {
            Piece::Literal(s) => out.extend(lower(s).chars().map(Glob::Char)),
            Piece::Star => out.push(Glob::Star),
            Piece::One => out.push(Glob::One),
        }
    }
    out
}

/// Whether `text` matches the whole pattern (`*` any run, `?` one character).
fn glob(pattern: &[Glob], text: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let (mut p, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < t.len() {
        match pattern.get(p) {
            Some(Glob::Star) => {
                star = Some((p, i));
                p += 1;
            }
            Some(Glob::One) => {
                p += 1;
                i += 1;
            }
            Some(Glob::Char(c)) if *c == t[i] => {
                p += 1;
                i += 1;
            }
            _ => match star {
                Some((sp, si)) => {
                    p = sp + 1;
                    i = si + 1;
                    star = Some((sp, si + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|g| *g == Glob::Star)
}

/// `name` as messages quote it: cut after [`QUOTED_NAME`] characters, with `…`.
fn shortened(name: &str) -> std::borrow::Cow<'_, str> {
    match name.char_indices().nth(QUOTED_NAME) {
        Some((at, _)) => format!("{}…", &name[..at]).into(),
        None => name.into(),
    }
}

/// How many characters of a token's name a message quotes.
const QUOTED_NAME: usize = 60;

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &str, t: &str) -> bool {
        glob(&lower_pattern(&Value::bare(p).pattern()), t)
    }

    #[test]
    fn glob_matches_whole_values() {
        assert!(g("cr*", "create"));
        assert!(g("*te", "create"));
        assert!(g("c?eate", "create"));
        assert!(g("*", ""));
        assert!(g("*e*e*", "create"));
        assert!(!g("cr", "create"));
        assert!(!g("c?", "create"));
        assert!(!g("*x*", "create"));
        assert!(g(r"a\*b", "a*b"));
        assert!(!g(r"a\*b", "axb"));
    }

    #[test]
    fn integer_fixes() {
        assert_eq!(integer_fix("+4"), Some(4));
        assert_eq!(integer_fix("4.0"), Some(4));
        assert_eq!(integer_fix("4.5"), None);
        assert_eq!(integer_fix("high"), None);
        assert_eq!(integer_fix("4"), None);
    }

    #[test]
    fn unescaped_spaces() {
        assert!(has_unescaped_space("a b"));
        assert!(!has_unescaped_space(r"a\ b"));
        assert!(has_unescaped_space(r"a\\ b"));
    }
}
