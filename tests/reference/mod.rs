//! A deliberately simple reference evaluator for differential testing.
//!
//! It walks the parsed syntax tree directly with the catalog, with no compile step and no code
//! shared with the crate's evaluator: values are unescaped here, wildcards are matched by a plain
//! dynamic program, case is folded character by character (a final sigma as sigma), and event
//! integers are compared exactly, whatever their length.
//! Only the date grammar (`FilterDate::parse`, `parse_event_date`) is reused, since it is the
//! language's grammar rather than evaluation.
//!
//! Everything follows `language.md` sections 3 and 4, written out as plainly as possible.
#![allow(dead_code)]

use chrono::{DateTime, TimeDelta, Utc};
use fimql::ast::{Bound, CmpOp, Expr, ExprKind, Form, Predicate, Query, Term, Value};
use fimql::catalog::{Catalog, Scope, TokenType};
use fimql::date::{FilterDate, parse_event_date};
use serde_json::Value as Json;

/// An instant.
pub type Instant = DateTime<Utc>;

/// The reference evaluator: a catalog, a scope, a clock.
pub struct Reference<'a> {
    /// Token definitions.
    pub catalog: &'a Catalog,
    /// Which tokens apply.
    pub scope: Scope,
    /// The evaluation clock for `now`.
    pub now: Instant,
    /// Unknown dotted names are raw JSON paths typed as text.
    pub allow_unknown: bool,
}

/// Why the reference refuses a filter (a type mismatch or an unknown token).
pub type Refusal = String;

impl Reference<'_> {
    /// Whether `event` matches `query`; `Err` when the filter is ill-typed for the catalog.
    pub fn matches(&self, query: &Query, event: &Json) -> Result<bool, Refusal> {
        // Section 4: a `data` member holding an object is the event.
        let root = match event {
            Json::Object(map) => match map.get("data") {
                Some(d @ Json::Object(_)) => d,
                _ => event,
            },
            _ => event,
        };
        self.expr(&query.expr, root)
    }

    /// Checks the filter without an event: `Err` when any term is ill-typed.
    pub fn check(&self, query: &Query) -> Result<(), Refusal> {
        // Every term is evaluated (no short-circuit in `expr`), so any event will do.
        self.expr(&query.expr, &Json::Null).map(|_| ())
    }

    fn expr(&self, e: &Expr, root: &Json) -> Result<bool, Refusal> {
        // No short-circuit: every term is checked for type errors, whatever the event.
        match &e.kind {
            ExprKind::And(xs) => {
                let mut all = true;
                for x in xs {
                    all &= self.expr(x, root)?;
                }
                Ok(all)
            }
            ExprKind::Or(xs) => {
                let mut any = false;
                for x in xs {
                    any |= self.expr(x, root)?;
                }
                Ok(any)
            }
            ExprKind::Not(x) => Ok(!self.expr(x, root)?),
            ExprKind::Term(t) => self.term(t, root),
        }
    }

    fn term(&self, t: &Term, root: &Json) -> Result<bool, Refusal> {
        let (ty, keys): (TokenType, Vec<String>) =
            match self.catalog.lookup(self.scope, &t.field.name) {
                Some(def) => (
                    def.ty,
                    def.path
                        .split('.')
                        .map(|k| k.trim_end_matches("[]").to_string())
                        .collect(),
                ),
                None if self.allow_unknown => (
                    TokenType::Text,
                    t.field.name.split('.').map(str::to_string).collect(),
                ),
                None => return Err(format!("unknown token {}", t.field.name)),
            };
        let mut found = Vec::new();
        collect(root, &keys, &mut found);
        match &t.predicate {
            Predicate::Present(_) => Ok(found.iter().any(|v| !v.is_null())),
            p => {
                let test = Test::new(ty, p, self.now)?;
                Ok(found.iter().any(|v| test.passes(v)))
            }
        }
    }
}

/// Every value at `keys` below `v`: arrays are crossed wherever they appear (also at the end, and
/// arrays of arrays), missing keys give nothing.
fn collect<'a>(v: &'a Json, keys: &[String], out: &mut Vec<&'a Json>) {
    if let Json::Array(items) = v {
        for x in items {
            collect(x, keys, out);
        }
        return;
    }
    match keys.split_first() {
        None => out.push(v),
        Some((k, rest)) => {
            if let Json::Object(map) = v
                && let Some(x) = map.get(k)
            {
                collect(x, rest, out);
            }
        }
    }
}

/// One element of a bare value's pattern.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Pat {
    Char(char),
    Star,
    One,
}

/// The text of a value: quotes' escapes removed (`\q` and `\\`), or a bare word's `\x` made `x`.
pub fn unescape(v: &Value) -> String {
    let chars: Vec<char> = v.raw.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            let n = chars[i + 1];
            match v.form {
                Form::Bare => {
                    out.push(n);
                    i += 2;
                    continue;
                }
                _ => {
                    let q = match v.form {
                        Form::Backtick => '`',
                        Form::Double => '"',
                        _ => '\'',
                    };
                    if n == q || n == '\\' {
                        out.push(n);
                        i += 2;
                        continue;
                    }
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The pattern of a bare value: unescaped `*` and `?` are wildcards, letters are folded.
fn pattern(v: &Value) -> Vec<Pat> {
    let chars: Vec<char> = v.raw.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                out.extend(fold(&chars[i + 1].to_string()).chars().map(Pat::Char));
                i += 2;
            }
            '*' => {
                out.push(Pat::Star);
                i += 1;
            }
            '?' => {
                out.push(Pat::One);
                i += 1;
            }
            c => {
                out.extend(fold(&c.to_string()).chars().map(Pat::Char));
                i += 1;
            }
        }
    }
    out
}

fn has_wildcards(v: &Value) -> bool {
    v.form == Form::Bare && pattern(v).iter().any(|p| !matches!(p, Pat::Char(_)))
}

/// Case folding: each character lower-cased on its own, and the final sigma `ς` taken as `σ`
/// (as Unicode case folding does), so that `ΑΣ`, `ας` and `ασ` are the same word in any case.
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

/// Whether the whole of `text` matches `pat`: a textbook dynamic program.
fn wildcard(pat: &[Pat], text: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    // ok[j]: pat[..i] matches t[..j].
    let mut ok = vec![false; t.len() + 1];
    ok[0] = true;
    for p in pat {
        let mut next = vec![false; t.len() + 1];
        for j in 0..=t.len() {
            next[j] = match p {
                Pat::Star => ok[j] || (j > 0 && next[j - 1]),
                Pat::One => j > 0 && ok[j - 1],
                Pat::Char(c) => j > 0 && ok[j - 1] && t[j - 1] == *c,
            };
        }
        ok = next;
    }
    ok[t.len()]
}

/// How one value of a string-typed token matches.
enum StrMatch {
    Exact(String),
    Equal(String),
    Contains(String),
    Pattern(Vec<Pat>),
}

/// A date interval; `None` is unbounded, the flag says inclusive.
#[derive(Clone, Copy, Debug)]
struct Span {
    lo: Option<(Instant, bool)>,
    hi: Option<(Instant, bool)>,
}

/// A lowered term test.
enum Test {
    Str(Vec<StrMatch>),
    /// Inclusive integer intervals; `None` is unbounded.
    Int(Vec<(Option<i128>, Option<i128>)>),
    Bool(Vec<bool>),
    Date(Vec<Span>),
}

fn values(p: &Predicate) -> Vec<&Value> {
    match p {
        Predicate::Value(v) => vec![v],
        Predicate::List(vs, _) | Predicate::Group(vs, _) => vs.iter().collect(),
        _ => Vec::new(),
    }
}

/// A filter integer: an optional `-` and digits, in `i64`.
fn filter_int(v: &Value) -> Result<i128, Refusal> {
    if has_wildcards(v) {
        return Err(format!("wildcard in integer {}", v.raw));
    }
    let text = unescape(v);
    let digits = text.strip_prefix('-').unwrap_or(&text);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("not an integer: {text}"));
    }
    text.parse::<i64>()
        .map(i128::from)
        .map_err(|_| format!("integer out of range: {text}"))
}

/// A filter date: the instant, and whether it was written as a date alone.
fn filter_date(v: &Value, now: Instant) -> Result<(Instant, bool), Refusal> {
    if has_wildcards(v) {
        return Err(format!("wildcard in date {}", v.raw));
    }
    let text = unescape(v);
    let d = FilterDate::parse(&text).map_err(|e| format!("bad date {text}: {}", e.message))?;
    let at = d
        .resolve(now)
        .ok_or_else(|| format!("date out of range: {text}"))?;
    let b = text.as_bytes();
    let date_only = text.len() <= 10
        && b.len() >= 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && text[5..].split('-').count() == 2
        && text[5..]
            .split('-')
            .all(|p| (1..=2).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit()));
    Ok((at, date_only))
}

impl Test {
    fn new(ty: TokenType, p: &Predicate, now: Instant) -> Result<Test, Refusal> {
        match ty {
            TokenType::Text | TokenType::Keyword | TokenType::Enum => {
                if matches!(p, Predicate::Range(..) | Predicate::Compare(..)) {
                    return Err(format!("range or comparison on a {ty} token"));
                }
                let ms = values(p)
                    .into_iter()
                    .map(|v| match v.form {
                        Form::Backtick => StrMatch::Exact(unescape(v)),
                        Form::Single | Form::Double if ty == TokenType::Text => {
                            StrMatch::Contains(fold(&unescape(v)))
                        }
                        Form::Single | Form::Double => StrMatch::Equal(fold(&unescape(v))),
                        Form::Bare => StrMatch::Pattern(pattern(v)),
                    })
                    .collect();
                Ok(Test::Str(ms))
            }
            TokenType::Integer => match p {
                Predicate::Range(lo, hi, _) => {
                    let b = |b: &Bound| b.value().map(filter_int).transpose();
                    Ok(Test::Int(vec![(b(lo)?, b(hi)?)]))
                }
                Predicate::Compare(op, v) => {
                    let n = filter_int(v)?;
                    Ok(Test::Int(vec![match op {
                        CmpOp::Gt => (Some(n + 1), None),
                        CmpOp::Ge => (Some(n), None),
                        CmpOp::Lt => (None, Some(n - 1)),
                        CmpOp::Le => (None, Some(n)),
                    }]))
                }
                _ => {
                    let mut out = Vec::new();
                    for v in values(p) {
                        let n = filter_int(v)?;
                        out.push((Some(n), Some(n)));
                    }
                    Ok(Test::Int(out))
                }
            },
            TokenType::Boolean => {
                if matches!(p, Predicate::Range(..) | Predicate::Compare(..)) {
                    return Err("range or comparison on a boolean token".into());
                }
                let mut out = Vec::new();
                for v in values(p) {
                    if has_wildcards(v) {
                        return Err(format!("wildcard in boolean {}", v.raw));
                    }
                    out.push(match unescape(v).to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        other => return Err(format!("not a boolean: {other}")),
                    });
                }
                Ok(Test::Bool(out))
            }
            TokenType::Date => match p {
                Predicate::Range(lo, hi, _) => {
                    let b = |b: &Bound| -> Result<Option<(Instant, bool)>, Refusal> {
                        match b.value() {
                            None => Ok(None),
                            Some(v) => Ok(Some((filter_date(v, now)?.0, true))),
                        }
                    };
                    Ok(Test::Date(vec![Span {
                        lo: b(lo)?,
                        hi: b(hi)?,
                    }]))
                }
                Predicate::Compare(op, v) => {
                    let (t, _) = filter_date(v, now)?;
                    Ok(Test::Date(vec![match op {
                        CmpOp::Gt => Span {
                            lo: Some((t, false)),
                            hi: None,
                        },
                        CmpOp::Ge => Span {
                            lo: Some((t, true)),
                            hi: None,
                        },
                        CmpOp::Lt => Span {
                            lo: None,
                            hi: Some((t, false)),
                        },
                        CmpOp::Le => Span {
                            lo: None,
                            hi: Some((t, true)),
                        },
                    }]))
                }
                _ => {
                    let mut out = Vec::new();
                    for v in values(p) {
                        let (t, date_only) = filter_date(v, now)?;
                        out.push(if date_only {
                            // The whole UTC day.
                            Span {
                                lo: Some((t, true)),
                                hi: Some((t + TimeDelta::days(1), false)),
                            }
                        } else {
                            Span {
                                lo: Some((t, true)),
                                hi: Some((t, true)),
                            }
                        });
                    }
                    Ok(Test::Date(out))
                }
            },
        }
    }

    /// Whether one JSON value found at the path passes.
    fn passes(&self, v: &Json) -> bool {
        match self {
            Test::Str(ms) => {
                let Some(s) = json_text(v) else {
                    return false;
                };
                let folded = fold(&s);
                ms.iter().any(|m| match m {
                    StrMatch::Exact(x) => s == *x,
                    StrMatch::Equal(x) => folded == *x,
                    StrMatch::Contains(x) => folded.contains(x.as_str()),
                    StrMatch::Pattern(p) => wildcard(p, &folded),
                })
            }
            Test::Int(ranges) => {
                let Some(n) = json_int(v) else {
                    return false;
                };
                ranges.iter().any(|&(lo, hi)| {
                    lo.is_none_or(|lo| n.ge_int(lo)) && hi.is_none_or(|hi| n.le_int(hi))
                })
            }
            Test::Bool(bs) => {
                let b = match v {
                    Json::Bool(b) => *b,
                    Json::String(s) if s.eq_ignore_ascii_case("true") => true,
                    Json::String(s) if s.eq_ignore_ascii_case("false") => false,
                    _ => return false,
                };
                bs.contains(&b)
            }
            Test::Date(spans) => {
                let t = match v {
                    Json::String(s) => parse_event_date(s),
                    Json::Number(n) => n.as_i64().and_then(DateTime::from_timestamp_millis),
                    _ => None,
                };
                let Some(t) = t else {
                    return false;
                };
                spans.iter().any(|s| {
                    let lo_ok = match s.lo {
                        None => true,
                        Some((b, inc)) => t > b || (inc && t == b),
                    };
                    let hi_ok = match s.hi {
                        None => true,
                        Some((b, inc)) => t < b || (inc && t == b),
                    };
                    lo_ok && hi_ok
                })
            }
        }
    }
}

/// The text a JSON value is matched by: a string itself, a number or boolean as its JSON text.
fn json_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An event integer, exactly: a sign and the digits without leading zeros.
#[derive(Debug)]
struct BigInt {
    neg: bool,
    digits: String,
}

impl BigInt {
    fn cmp_int(&self, n: i128) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let other = BigInt::from_text(&n.to_string()).expect("an integer");
        let mag = |a: &BigInt, b: &BigInt| {
            a.digits
                .len()
                .cmp(&b.digits.len())
                .then_with(|| a.digits.cmp(&b.digits))
        };
        match (self.neg, other.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => mag(self, &other),
            (true, true) => mag(&other, self),
        }
    }

    fn ge_int(&self, n: i128) -> bool {
        self.cmp_int(n) != std::cmp::Ordering::Less
    }

    fn le_int(&self, n: i128) -> bool {
        self.cmp_int(n) != std::cmp::Ordering::Greater
    }

    /// An optional `-` and ASCII digits.
    fn from_text(s: &str) -> Option<BigInt> {
        let (neg, digits) = match s.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, s),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = digits.trim_start_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        Some(BigInt {
            neg: neg && digits != "0",
            digits: digits.to_string(),
        })
    }
}

/// An event value as an integer: a JSON integer, or a string of digits (optionally `-`).
fn json_int(v: &Json) -> Option<BigInt> {
    match v {
        Json::Number(n) if n.is_i64() || n.is_u64() => BigInt::from_text(&n.to_string()),
        Json::String(s) => BigInt::from_text(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(raw: &str) -> Value {
        Value::bare(raw)
    }

    #[test]
    fn wildcards() {
        let m = |p: &str, t: &str| wildcard(&pattern(&bare(p)), &fold(t));
        assert!(m("DESKTOP*", "desktop-ab12"));
        assert!(m("a*b*c", "a-b-b-c"));
        assert!(!m("a*b*c", "a-c-b"));
        assert!(m("?.exe", "A.EXE"));
        assert!(!m("?.exe", "ab.exe"));
        assert!(m("notes\\*.txt", "notes*.txt"));
        assert!(!m("notes\\*.txt", "notes1.txt"));
        assert!(m("*", ""));
        assert!(m("ΑΣ*", "ΑΣΑ"));
    }

    #[test]
    fn integers() {
        let n = |s: &str| BigInt::from_text(s).unwrap();
        assert!(n("0004").ge_int(4) && n("0004").le_int(4));
        assert!(n("-0").ge_int(0) && n("-0").le_int(0));
        assert!(n("100000000000000000000000000000000000000000").ge_int(i128::from(i64::MAX)));
        assert!(n("-100000000000000000000000000000000000000000").le_int(i128::from(i64::MIN)));
        assert!(n("-3").le_int(-3) && !n("-3").le_int(-4));
    }
}
