//! Compilation: a parsed filter, a catalog and a clock become a [`Filter`] that evaluation runs.
//!
//! Tokens are resolved to JSON paths once (and identical paths shared), values are lowered
//! (lower-cased needles, wildcard patterns, parsed integers and instants), and nothing of the
//! syntax tree that evaluation does not need is kept.

use chrono::Utc;

use crate::ast::{Bound, CmpOp, Expr, ExprKind, Form, Piece, Predicate, Query, Value};
use crate::catalog::{Catalog, Scope, TokenType, parse_boolean, parse_integer};
use crate::date::{FilterDate, Instant, next_day};
use crate::error::{Code, Diagnostic, Diagnostics};
use crate::options::Options;
use crate::span::Span;

/// A compiled filter. Evaluate it with [`Filter::matches`] (or the byte-level fast path).
#[derive(Clone, Debug)]
pub struct Filter {
    pub(crate) root: Node,
    /// Number of terms.
    pub(crate) terms: usize,
    /// Distinct paths read by the filter, each a list of object keys.
    pub(crate) paths: Vec<Vec<String>>,
    /// Warnings found while compiling.
    pub(crate) warnings: Vec<Diagnostic>,
    /// What `explain` shows of each term, by [`CTerm::id`].
    pub(crate) labels: Vec<TermLabel>,
    /// Some date of the filter is relative to the clock (`now-7d`).
    pub(crate) uses_clock: bool,
}

/// A term as the user wrote it, kept for [`Filter::explain`].
#[derive(Clone, Debug)]
pub(crate) struct TermLabel {
    /// The term in canonical form, e.g. `action:Create`.
    pub text: String,
    /// The token as written (an alias stays an alias).
    pub token: String,
    /// The token's type (text for an unknown token read as a raw path).
    pub ty: TokenType,
    /// Where the term is in the filter.
    pub span: Span,
    /// In words, what a value at the path must be for the term to hold.
    pub rule: String,
}

impl Filter {
    /// The distinct JSON paths the filter reads, as lists of keys (arrays are crossed implicitly).
    pub fn paths(&self) -> &[Vec<String>] {
        &self.paths
    }

    /// Warnings found while compiling (errors make compilation fail).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Whether some date of the filter is relative to the clock (`now`, `now-7d`), so that the
    /// clock it was compiled with ([`Options::now`](crate::Options::now)) matters. A word that
    /// merely contains `now` (`file.name:known_hosts`) does not count.
    ///
    /// ```
    /// use fimql::{Options, compile};
    /// let opts = Options::default();
    /// assert!(compile("dateTime>now-7d", &opts)?.uses_clock());
    /// assert!(!compile("file.name:known_hosts", &opts)?.uses_clock());
    /// # Ok::<(), fimql::Diagnostics>(())
    /// ```
    pub fn uses_clock(&self) -> bool {
        self.uses_clock
    }
}

/// A node of the compiled boolean tree.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Term(CTerm),
}

/// A compiled term: a path index and what a value found there must satisfy.
#[derive(Clone, Debug)]
pub(crate) struct CTerm {
    /// Index of the term in the filter, left to right.
    pub id: usize,
    pub path: usize,
    pub test: Test,
}

/// What a term tests on the values at its path; it holds when any value passes.
#[derive(Clone, Debug)]
pub(crate) enum Test {
    /// Some value is present and not null.
    Present,
    /// Any of the string tests (text, keyword and enum tokens).
    Str(Vec<StrTest>),
    /// Integer tokens: any of the inclusive ranges.
    Int(Vec<(i128, i128)>),
    /// Boolean tokens.
    Bool(bool),
    /// Date tokens: any of the instant intervals.
    Date(Vec<Interval>),
}

/// An interval of instants; `None` is unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Interval {
    pub lo: Option<(Instant, bool)>,
    pub hi: Option<(Instant, bool)>,
}

impl Interval {
    pub fn contains(&self, t: Instant) -> bool {
        let lo_ok = match self.lo {
            None => true,
            Some((b, inclusive)) => t > b || (inclusive && t == b),
        };
        let hi_ok = match self.hi {
            None => true,
            Some((b, inclusive)) => t < b || (inclusive && t == b),
        };
        lo_ok && hi_ok
    }
}

/// A lowered string test.
#[derive(Clone, Debug)]
pub(crate) enum StrTest {
    /// Backtick: the whole value, case-sensitive.
    Exact(String),
    /// The whole value, case-insensitive (needle lower-cased).
    EqFold(String),
    /// A case-insensitive substring (needle lower-cased).
    ContainsFold(Box<crate::eval::wildcard::Needle>),
    /// A case-insensitive wildcard pattern.
    Wildcard(crate::eval::wildcard::Pattern),
}

/// Parses, validates and compiles `src` in one call, with the settings of `opts`.
///
/// ```
/// use fimql::{Options, Scope, compile};
/// let filter = compile("action:Create AND severity>=4", &Options::new(Scope::Events))?;
/// let event = serde_json::json!({"data": {"action": "create", "severity": "4"}});
/// assert!(filter.matches(&event));
/// # Ok::<(), fimql::Diagnostics>(())
/// ```
pub fn compile(src: &str, opts: &Options) -> Result<Filter, Diagnostics> {
    let query = crate::parse::parse_with(src, opts)?;
    compile_query(&query, opts)
}

/// Compiles a parsed filter with the catalog and settings of `opts`. Reports the same diagnostics
/// as validation (with the clock known: [`Options::now`], or the current time); fails if any is
/// an error.
pub fn compile_query(query: &Query, opts: &Options) -> Result<Filter, Diagnostics> {
    let now = opts.now.unwrap_or_else(Utc::now);
    let vopts = opts.clone().now(now);
    let diags = crate::validate::validate_query(query, &vopts);
    let catalog: &Catalog = &opts.catalog;
    if diags.iter().any(Diagnostic::is_error) {
        return Err(Diagnostics(diags));
    }
    let mut c = Compiler {
        catalog,
        scope: opts.scope,
        allow_unknown: opts.allow_unknown,
        now,
        paths: Vec::new(),
        terms: 0,
        labels: Vec::new(),
        errors: Vec::new(),
        uses_clock: false,
    };
    let root = c.expr(&query.expr);
    if !c.errors.is_empty() {
        // Validation should have caught these; report rather than guess.
        return Err(Diagnostics(c.errors));
    }
    Ok(Filter {
        root,
        terms: c.terms,
        paths: c.paths,
        warnings: diags,
        labels: c.labels,
        uses_clock: c.uses_clock,
    })
}

struct Compiler<'a> {
    catalog: &'a Catalog,
    scope: Scope,
    allow_unknown: bool,
    now: Instant,
    paths: Vec<Vec<String>>,
    terms: usize,
    labels: Vec<TermLabel>,
    errors: Vec<Diagnostic>,
    /// A date relative to the clock was compiled.
    uses_clock: bool,
}

impl Compiler<'_> {
    fn expr(&mut self, e: &Expr) -> Node {
        match &e.kind {
            ExprKind::And(xs) => Node::And(xs.iter().map(|x| self.expr(x)).collect()),
            ExprKind::Or(xs) => Node::Or(xs.iter().map(|x| self.expr(x)).collect()),
            ExprKind::Not(x) => Node::Not(Box::new(self.expr(x))),
            ExprKind::Term(t) => {
                let (ty, path) = match self.catalog.lookup(self.scope, &t.field.name) {
                    Some(def) => (
                        def.ty,
                        def.segments()
                            .into_iter()
                            .map(|(k, _)| k.to_string())
                            .collect(),
                    ),
                    None if self.allow_unknown => (
                        TokenType::Text,
                        t.field.name.split('.').map(str::to_string).collect(),
                    ),
                    None => {
                        self.err(
                            Code::UnknownToken,
                            t.field.span,
                            format!("unknown token `{}`", t.field.name),
                        );
                        (TokenType::Text, Vec::new())
                    }
                };
                let path = self.intern(path);
                let test = self.test(ty, &t.predicate);
                let id = self.terms;
                self.terms += 1;
                self.labels.push(TermLabel {
                    text: t.to_string(),
                    token: t.field.name.clone(),
                    ty,
                    span: t.span,
                    rule: crate::explain::describe(ty, &t.predicate, Some(self.now)),
                });
                Node::Term(CTerm { id, path, test })
            }
        }
    }

    fn intern(&mut self, path: Vec<String>) -> usize {
        if let Some(i) = self.paths.iter().position(|p| *p == path) {
            return i;
        }
        self.paths.push(path);
        self.paths.len() - 1
    }

    fn err(&mut self, code: Code, span: Span, message: String) {
        self.errors.push(Diagnostic::error(code, span, message));
    }

    fn test(&mut self, ty: TokenType, p: &Predicate) -> Test {
        if let Predicate::Present(_) = p {
            return Test::Present;
        }
        let values: &[Value] = match p {
            Predicate::Value(v) => std::slice::from_ref(v),
            Predicate::List(vs, _) | Predicate::Group(vs, _) => vs,
            _ => &[],
        };
        match ty {
            TokenType::Text | TokenType::Keyword | TokenType::Enum => {
                if !values.is_empty() {
                    return Test::Str(values.iter().map(|v| str_test(ty, v)).collect());
                }
                self.err(
                    Code::TypeMismatch,
                    p.span(),
                    format!("ranges and comparisons do not apply to {ty} tokens"),
                );
                Test::Str(Vec::new())
            }
            TokenType::Boolean => {
                let b = values
                    .iter()
                    .map(|v| parse_boolean(&v.text()))
                    .collect::<Vec<_>>();
                match b.as_slice() {
                    [Some(b)] => Test::Bool(*b),
                    _ if b.len() > 1 && b.iter().all(Option::is_some) => {
                        // `[true, false]`: either boolean (a JSON boolean, or `true`/`false` in any
                        // case, which is what these string tests accept), not any present value;
                        // `[true, true]`: one.
                        if b.contains(&Some(true)) && b.contains(&Some(false)) {
                            Test::Str(vec![
                                StrTest::EqFold("true".into()),
                                StrTest::EqFold("false".into()),
                            ])
                        } else {
                            Test::Bool(b[0] == Some(true))
                        }
                    }
                    _ => {
                        self.err(
                            Code::TypeMismatch,
                            p.span(),
                            "expected `true` or `false`".into(),
                        );
                        Test::Bool(false)
                    }
                }
            }
            TokenType::Integer => Test::Int(self.int_ranges(p, values)),
            TokenType::Date => Test::Date(self.date_intervals(p, values)),
        }
    }

    fn int(&mut self, v: &Value) -> i128 {
        match parse_integer(&v.text()) {
            Some(n) if !v.has_wildcards() => i128::from(n),
            _ => {
                self.err(
                    Code::TypeMismatch,
                    v.span,
                    format!("`{}` is not an integer", v.text()),
                );
                0
            }
        }
    }

    fn int_ranges(&mut self, p: &Predicate, values: &[Value]) -> Vec<(i128, i128)> {
        const MIN: i128 = i128::MIN;
        const MAX: i128 = i128::MAX;
        match p {
            Predicate::Range(lo, hi, _) => {
                let lo = lo.value().map_or(MIN, |v| self.int(v));
                let hi = hi.value().map_or(MAX, |v| self.int(v));
                vec![(lo, hi)]
            }
            Predicate::Compare(op, v) => {
                let n = self.int(v);
                vec![match op {
                    CmpOp::Gt => (n + 1, MAX),
                    CmpOp::Ge => (n, MAX),
                    CmpOp::Lt => (MIN, n - 1),
                    CmpOp::Le => (MIN, n),
                }]
            }
            _ => values
                .iter()
                .map(|v| {
                    let n = self.int(v);
                    (n, n)
                })
                .collect(),
        }
    }

    /// `d` on the compiler's clock, noting when the clock matters.
    fn resolve(&mut self, d: &FilterDate) -> Option<Instant> {
        self.uses_clock |= d.is_relative();
        d.resolve(self.now)
    }

    fn date(&mut self, v: &Value) -> Option<(Instant, bool)> {
        let text = v.text();
        let message = match FilterDate::read(&text) {
            Ok(d) if !v.has_wildcards() => match self.resolve(&d) {
                Some(t) => return Some((t, d.is_date_only())),
                None => format!(
                    "`{text}` is out of the range of dates (about 262,000 years either side of year 0) for the clock {}",
                    self.now.to_rfc3339()
                ),
            },
            Ok(_) => format!("`{text}` has a wildcard; a date cannot"),
            Err(e) => format!("`{text}` is not a date: {}", e.message),
        };
        self.err(Code::InvalidDate, v.span, message);
        None
    }

    fn date_intervals(&mut self, p: &Predicate, values: &[Value]) -> Vec<Interval> {
        let bound = |c: &mut Self, b: &Bound| match b {
            Bound::Open(_) => None,
            Bound::Value(v) => c.date(v).map(|(t, _)| (t, true)),
        };
        match p {
            Predicate::Range(lo, hi, _) => {
                let iv = Interval {
                    lo: bound(self, lo),
                    hi: bound(self, hi),
                };
                vec![iv]
            }
            Predicate::Compare(op, v) => {
                let Some((t, _)) = self.date(v) else {
                    return Vec::new();
                };
                vec![match op {
                    CmpOp::Gt => Interval {
                        lo: Some((t, false)),
                        hi: None,
                    },
                    CmpOp::Ge => Interval {
                        lo: Some((t, true)),
                        hi: None,
                    },
                    CmpOp::Lt => Interval {
                        lo: None,
                        hi: Some((t, false)),
                    },
                    CmpOp::Le => Interval {
                        lo: None,
                        hi: Some((t, true)),
                    },
                }]
            }
            _ => values
                .iter()
                .filter_map(|v| {
                    let (t, date_only) = self.date(v)?;
                    Some(if date_only {
                        // A single date-only value is its whole UTC day.
                        Interval {
                            lo: Some((t, true)),
                            hi: next_day(t).map(|end| (end, false)),
                        }
                    } else {
                        Interval {
                            lo: Some((t, true)),
                            hi: Some((t, true)),
                        }
                    })
                })
                .collect(),
        }
    }
}

/// The text of a pattern that is stars, literal text, then stars (`*text*`): it matches exactly
/// the values that contain the text.
fn substring(pieces: &[Piece]) -> Option<String> {
    let star = |p: &&Piece| matches!(p, Piece::Star);
    let before = pieces.iter().take_while(star).count();
    let after = pieces.iter().rev().take_while(star).count();
    let inner = pieces.get(before..pieces.len().checked_sub(after)?)?;
    if before == 0 || after == 0 || inner.is_empty() {
        return None;
    }
    inner
        .iter()
        .map(|p| match p {
            Piece::Literal(s) => Some(s.as_str()),
            _ => None,
        })
        .collect()
}

/// The string test of a value for a text, keyword or enum token (`language.md` section 3).
fn str_test(ty: TokenType, v: &Value) -> StrTest {
    match v.form {
        Form::Backtick => StrTest::Exact(v.text()),
        Form::Single | Form::Double => {
            let needle = crate::eval::wildcard::fold_case(&v.text());
            if ty == TokenType::Text {
                StrTest::ContainsFold(Box::new(crate::eval::wildcard::Needle::new(needle)))
            } else {
                StrTest::EqFold(needle)
            }
        }
        Form::Bare => {
            let pieces = v.pattern();
            if pieces.iter().all(|p| matches!(p, Piece::Literal(_))) {
                StrTest::EqFold(crate::eval::wildcard::fold_case(&v.text()))
            } else if let Some(text) = substring(&pieces) {
                StrTest::ContainsFold(Box::new(crate::eval::wildcard::Needle::new(
                    crate::eval::wildcard::fold_case(&text),
                )))
            } else {
                StrTest::Wildcard(crate::eval::wildcard::Pattern::new(&pieces))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::wildcard::{Pattern, fold_case};

    #[test]
    fn stars_around_text_are_a_substring_test() {
        for (value, substring) in [
            ("*CR_*", true),
            ("**cr*", true),
            ("*a\\*b*", true),
            ("*", false),
            ("**", false),
            ("CR_*", false),
            ("*CR_", false),
            ("*C?R*", false),
            ("*C*R*", false),
        ] {
            let v = Value::bare(value);
            let test = str_test(TokenType::Keyword, &v);
            assert_eq!(
                matches!(test, StrTest::ContainsFold(_)),
                substring,
                "{value}"
            );
            // Either way, the same answers as the pattern.
            let pattern = Pattern::new(&v.pattern());
            let test = Test::Str(vec![test]);
            for s in [
                "", "cr_", "xCR_y", "Cr", "a*b", "A*B!", "ΣCR_", "c_r", "ÇR_",
            ] {
                let want = pattern.matches_lower(&fold_case(s));
                let got = crate::eval::leaf_passes(
                    &test,
                    crate::eval::Leaf::Str(s),
                    &mut crate::eval::Scratch::default(),
                );
                assert_eq!(got, want, "{value} on {s:?}");
            }
        }
    }
}
