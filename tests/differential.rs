//! Differential tests: the compiled evaluator against a simple reference evaluator that walks the
//! syntax tree (`tests/reference`), on generated filters and events; and boolean laws of the
//! compiled evaluator.
//!
//! Filters are generated as syntax trees over the catalog's tokens (aliases included) with every
//! value form, printed with random spacing and keyword case, and parsed back (the parse must give
//! the generated tree). Events fill the catalog's JSON paths from a small shared vocabulary, so
//! that terms match often, with odd values mixed in: mixed case, numbers, numeric strings,
//! booleans, nulls, missing fields, arrays of arrays, empty arrays, dates in every accepted form
//! and unparseable ones.

mod common;
mod reference;

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeDelta, TimeZone, Timelike, Utc};
use fimql::ast::{Bound, CmpOp, Expr, ExprKind, Field, Form, Predicate, Query, Term, Value};
use fimql::catalog::{Catalog, Scope, TokenType};
use fimql::date::{FilterDate, parse_event_date};
use fimql::{Filter, Options, Span, compile, compile_query, parse};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reference::Reference;
use serde_json::{Value as Json, json};

type Instant = DateTime<Utc>;

// ---------------------------------------------------------------------------------------------
// A small deterministic generator for the insides of terms and events.

// The crate's small deterministic generator (SplitMix64).
use fimql::testing::filtergen::Rng;

/// One of `xs`, half of the time one of the first `hot` (so that matches happen often).
fn pick_hot<'a, T>(rng: &mut Rng, xs: &'a [T], hot: usize) -> &'a T {
    if rng.chance(50) {
        rng.pick(&xs[..hot])
    } else {
        rng.pick(xs)
    }
}

// ---------------------------------------------------------------------------------------------
// The shared vocabulary.

/// Text values, shared by events and filters (the first `HOT` more often).
const TEXT: &[&str] = &[
    "Windows Profile - PCI(NJJ)",
    "C:\\Windows\\System32\\notes.txt",
    "notes*.txt",
    "ΑΣΑ",
    "DESKTOP-FR23SL8\\Administrator",
    "cloud agent",
    "a\"b'c`d",
    "8543820",
    "windows profile",
    "PCI",
    "CR_All_Machines",
    "C:\\temp\\",
    "notes1.txt",
    "explorer.exe",
    "EXPLORER.EXE",
    "desktop-ab12",
    "cloud  agent",
    "Read Only",
    "Hidden",
    "CR_1",
    "my CR_System32",
    "ΑΣ",
    "ασα",
    "Café",
    "4.5",
    "true",
    "Create",
    "and",
    "x..y",
    "10.0.0.1",
    "a?b",
    "[x], (y)",
];

/// Bare values written as they are (balanced parentheses, several words, wildcards).
const TEXT_BARE_RAW: &[&str] = &[
    "Windows Profile - PCI(NJJ)",
    "PCI(NJJ)",
    "cloud agent",
    "Windows*PCI(NJJ)",
    "DESKTOP*",
    "*CR_*",
    "?.exe",
    "notes\\*.txt",
    "a*b*c",
    "C\\:\\\\Windows\\\\*",
    "*\\\\",
];

/// Keyword values (ids, hashes, addresses).
const KEYWORD: &[&str] = &[
    "8543820",
    "E3B0C44298FC1C14",
    "00:50:56:AA:75:F0",
    "10.0.0.1",
    "e3b0c44298fc1c14",
    "10.115.138.119",
    "00:50:56:aa:75:f0",
    "S-1-5-21-1082135036-500",
    "59ffbe0d-d27d-428d",
    "fe80:0:0:0:bf92",
    "a b",
];

/// Enum values no token knows.
const ENUM_UNKNOWN: &[&str] = &["Other", "creat", "UNKNOWNX"];

const BOOL_TEXT: &[&str] = &["true", "false", "TRUE", "False", "tRuE"];

const INT_FILTER: &[i64] = &[4, -3, 0, 5, 1, 8543820, i64::MAX, i64::MIN];

/// How many of the first values of each vocabulary are picked more often.
const HOT: usize = 3;

/// `now…` values of filters.
const NOW_EXPRS: &[&str] = &[
    "now", "NOW", "now-0d", "now-7d", "now-1M", "now+1h", "Now-1y", "now-15m", "now-2w", "now+1d",
    "now-30s", "now+1M", "now-36h",
];

/// Event dates that do not parse, and values of other types.
fn bad_dates() -> Vec<Json> {
    vec![
        json!("2023-02-30"),
        json!("yesterday"),
        json!("2023-01-01 10:00"),
        json!("2022-12-\n16T09:29:59.999Z"),
        json!("2023-06-28T06:18:50.548+00"),
        json!("now"),
        json!(""),
        json!("2023-06-28T25:00"),
        json!("-1000"),
        json!(1.5e12),
        json!(true),
        json!("2023-06-28T06:18:50.1234567890Z"),
        json!("+1672531200000"),
        json!(-1000),
        json!(u64::MAX),
    ]
}

fn now() -> Instant {
    Utc.with_ymd_and_hms(2023, 3, 31, 12, 0, 0).unwrap()
}

fn at(s: &str) -> Instant {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Instants that filters and events share: fixed ones, and `now` shifted as in `NOW_EXPRS`
/// (computed here with chrono directly).
fn anchors() -> Vec<Instant> {
    let n = now();
    vec![
        n,
        at("2023-06-28T06:18:50.548Z"),
        at("2023-01-09T00:00:00Z"),
        at("2023-01-09T10:30:00.5Z"),
        n - TimeDelta::days(7),
        n.checked_sub_months(Months::new(1)).unwrap(),
        at("2023-06-28T00:00:00Z"),
        at("2024-02-01T18:29:59.999Z"),
        at("2022-12-16T11:09:43.383Z"),
        at("2023-03-31T00:00:00Z"),
        at("2023-03-30T23:59:59.999999999Z"),
        at("2020-05-17T18:30:00Z"),
        n + TimeDelta::hours(1),
        n.checked_sub_months(Months::new(12)).unwrap(),
        n - TimeDelta::minutes(15),
        n - TimeDelta::weeks(2),
        n + TimeDelta::days(1),
        n - TimeDelta::seconds(30),
        n.checked_add_months(Months::new(1)).unwrap(),
        n - TimeDelta::hours(36),
    ]
}

/// A small change to an instant, often none.
fn jitter(t: Instant, rng: &mut Rng) -> Instant {
    match rng.below(16) {
        0 => t + TimeDelta::milliseconds(1),
        1 => t - TimeDelta::milliseconds(1),
        2 => t + TimeDelta::nanoseconds(1),
        3 => t - TimeDelta::nanoseconds(1),
        4 => t + TimeDelta::days(1),
        5 => t - TimeDelta::hours(5) - TimeDelta::minutes(30),
        6 => t - TimeDelta::seconds(1),
        _ => t,
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering values.

/// A variant of `s`: whole, a substring, or with its case changed.
fn phrase(s: &str, rng: &mut Rng, substrings: bool) -> String {
    let chars: Vec<char> = s.chars().collect();
    let out: String = match rng.below(10) {
        0..=3 => s.to_string(),
        4..=6 if substrings && chars.len() > 1 => {
            let i = rng.below(chars.len());
            let j = i + 1 + rng.below(chars.len() - i);
            chars[i..j].iter().collect()
        }
        7 => s.to_uppercase(),
        8 => s.to_lowercase(),
        _ => flip_case(s, rng),
    };
    if out.is_empty() { "x".into() } else { out }
}

fn flip_case(s: &str, rng: &mut Rng) -> String {
    s.chars()
        .flat_map(|c| {
            let flip = rng.chance(50);
            let v: Vec<char> = if flip && c.is_lowercase() {
                c.to_uppercase().collect()
            } else if flip && c.is_uppercase() {
                c.to_lowercase().collect()
            } else {
                vec![c]
            };
            v
        })
        .collect()
}

/// One piece of a bare value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum BP {
    Lit(char),
    Star,
    One,
}

fn is_keyword(w: &str) -> bool {
    ["and", "or", "not"]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
}

/// The raw text of a bare value made of `pieces`, escaped so that it parses back to itself: the
/// characters that end a word (or act as wildcards) are escaped, others sometimes. Single spaces
/// inside are left as word separators when `one_word` is false (and a coin says so).
fn bare_raw(pieces: &[BP], one_word: bool, rng: &mut Rng) -> String {
    let multi = !one_word && rng.chance(60);
    let mut words: Vec<(String, String)> = vec![(String::new(), String::new())];
    for (i, p) in pieces.iter().enumerate() {
        let (raw, plain) = words.last_mut().unwrap();
        match *p {
            BP::Star => {
                raw.push('*');
                plain.push('*');
            }
            BP::One => {
                raw.push('?');
                plain.push('?');
            }
            BP::Lit(c) => {
                let next = pieces.get(i + 1);
                if c == ' '
                    && multi
                    && !raw.is_empty()
                    && next.is_some()
                    && !matches!(next, Some(BP::Lit(n)) if n.is_whitespace())
                {
                    words.push((String::new(), String::new()));
                    continue;
                }
                let dots = c == '.' && matches!(next, Some(BP::Lit('.')));
                let special =
                    c.is_whitespace() || c.is_control() || "\\*?()[],:\"'`<>".contains(c) || dots;
                if special || (c.is_alphanumeric() && rng.chance(4)) || (c == '-' && rng.chance(10))
                {
                    raw.push('\\');
                }
                raw.push(c);
                plain.push(c);
            }
        }
    }
    words
        .into_iter()
        .map(|(raw, plain)| {
            if is_keyword(&plain) {
                format!("\\{raw}")
            } else {
                raw
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn lit_pieces(s: &str) -> Vec<BP> {
    s.chars().map(BP::Lit).collect()
}

/// A wildcard pattern made from `s`, so that it often matches `s` (in some case).
fn pattern_from(s: &str, rng: &mut Rng) -> Vec<BP> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    if rng.chance(25) {
        out.push(BP::Star);
    }
    let mut i = 0;
    while i < chars.len() {
        match rng.below(100) {
            0..=9 => {
                out.push(BP::Star);
                i += rng.below(3);
            }
            10..=11 if i > 0 => {
                // A star with the character before it repeated after it (`ab*ba` from `aba`):
                // the pattern needs more characters than the value has.
                out.push(BP::Star);
                i -= 1;
            }
            10..=17 => {
                out.push(BP::One);
                i += 1;
            }
            _ => {
                let c = chars[i];
                let c = if rng.chance(30) {
                    c.to_uppercase().next().unwrap_or(c)
                } else {
                    c
                };
                out.push(BP::Lit(c));
                i += 1;
            }
        }
    }
    if rng.chance(25) {
        out.push(BP::Star);
    }
    if rng.chance(15) {
        // A near miss.
        let at = rng.below(out.len() + 1);
        out.insert(at, BP::Lit('z'));
    }
    if !out.iter().any(|p| matches!(p, BP::Star | BP::One)) {
        out.push(BP::Star);
    }
    if out == [BP::Star] || out.iter().all(|p| *p == BP::Star) {
        out.push(BP::One);
    }
    out
}

/// The raw text of a quoted value meaning `text`: the quote and a `\` that would combine are
/// escaped; a lone `\` before another character is sometimes left single.
fn quoted_raw(text: &str, q: char, rng: &mut Rng) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == q {
            out.push('\\');
            out.push(c);
        } else if c == '\\' {
            match chars.get(i + 1) {
                Some(&n) if n != q && n != '\\' && rng.chance(50) => out.push('\\'),
                _ => out.push_str("\\\\"),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn value(form: Form, raw: String) -> Value {
    Value {
        form,
        raw,
        span: Span::default(),
    }
}

fn quoted(text: &str, rng: &mut Rng) -> Value {
    let form = *rng.pick(&[Form::Double, Form::Single, Form::Backtick]);
    let q = form.quote().unwrap();
    value(form, quoted_raw(text, q, rng))
}

/// A value of `text` in any form; bare values are escaped literals.
fn any_form(text: &str, one_word: bool, rng: &mut Rng) -> Value {
    if rng.chance(40) {
        value(Form::Bare, bare_raw(&lit_pieces(text), one_word, rng))
    } else {
        quoted(text, rng)
    }
}

// ---------------------------------------------------------------------------------------------
// Generating terms.

/// A token name of a scope with what the generator needs of its definition.
#[derive(Clone, Debug)]
struct Tok {
    name: String,
    ty: TokenType,
    values: Vec<String>,
}

/// Every name and alias of a scope, and one unknown dotted name (evaluated as a raw path).
fn toks(scope: Scope) -> Vec<Tok> {
    let mut out = Vec::new();
    for def in Catalog::builtin().tokens(scope) {
        for name in std::iter::once(&def.name).chain(&def.aliases) {
            out.push(Tok {
                name: name.clone(),
                ty: def.ty,
                values: def.values.clone(),
            });
        }
    }
    out.push(Tok {
        name: "extra.note".into(),
        ty: TokenType::Text,
        values: Vec::new(),
    });
    out
}

/// A value for a text, keyword or enum token.
fn str_value(tok: &Tok, one_word: bool, rng: &mut Rng) -> Value {
    let source: String = match tok.ty {
        TokenType::Text => {
            if rng.chance(12) {
                let raw = *rng.pick(TEXT_BARE_RAW);
                if !one_word || !raw.contains(' ') {
                    return value(Form::Bare, raw.to_string());
                }
            }
            pick_hot(rng, TEXT, HOT).to_string()
        }
        TokenType::Keyword => pick_hot(rng, KEYWORD, HOT).to_string(),
        _ => {
            if rng.chance(85) {
                rng.pick(&tok.values).clone()
            } else {
                rng.pick(ENUM_UNKNOWN).to_string()
            }
        }
    };
    match rng.below(10) {
        // Quoted: a phrase (substring) for text, the whole value otherwise.
        0..=2 => {
            let text = phrase(&source, rng, tok.ty == TokenType::Text);
            let form = if rng.chance(50) {
                Form::Double
            } else {
                Form::Single
            };
            value(form, quoted_raw(&text, form.quote().unwrap(), rng))
        }
        // Backtick: exact, so mostly the value as it is.
        3 | 4 => {
            let text = if rng.chance(70) {
                source
            } else {
                phrase(&source, rng, false)
            };
            value(Form::Backtick, quoted_raw(&text, '`', rng))
        }
        // Bare literal.
        5..=7 => {
            let sub = rng.chance(20);
            let text = phrase(&source, rng, sub);
            value(Form::Bare, bare_raw(&lit_pieces(&text), one_word, rng))
        }
        // Bare wildcard pattern.
        _ => value(
            Form::Bare,
            bare_raw(&pattern_from(&source, rng), one_word, rng),
        ),
    }
}

fn int_text(n: i64, rng: &mut Rng) -> String {
    match rng.below(8) {
        0 if n >= 0 => format!("0{n}"),
        1 if n == 0 => "-0".into(),
        _ => n.to_string(),
    }
}

fn int_value(one_word: bool, rng: &mut Rng) -> (i64, Value) {
    let n = *pick_hot(rng, INT_FILTER, HOT);
    let text = int_text(n, rng);
    (n, any_form(&text, one_word, rng))
}

/// `YYYY-MM-DD`, month and day sometimes with one digit.
fn date_part(y: i32, m: u32, d: u32, rng: &mut Rng) -> String {
    if (m < 10 || d < 10) && rng.chance(25) {
        format!("{y:04}-{m}-{d}")
    } else {
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// A timestamp of `t` in a random accepted form (truncated where the form cannot hold it).
fn timestamp_text(t: Instant, rng: &mut Rng) -> String {
    let (offset_min, zone) = match rng.below(11) {
        0 | 1 => (0, "Z".to_string()),
        2 => (0, "+00:00".to_string()),
        3 => (0, "+0000".to_string()),
        4 | 5 => (0, String::new()),
        6 => (330, "+05:30".to_string()),
        7 => (330, "+0530".to_string()),
        8 => (-60, "-0100".to_string()),
        9 => (-480, "-08:00".to_string()),
        _ => (840, "+14:00".to_string()),
    };
    let local = t.naive_utc() + TimeDelta::minutes(offset_min);
    let mut s = date_part(local.year(), local.month(), local.day(), rng);
    s += &format!("T{:02}:{:02}", local.hour(), local.minute());
    if rng.chance(85) {
        s += &format!(":{:02}", local.second());
        if rng.chance(70) {
            let k = 1 + rng.below(9);
            let frac = local.nanosecond() / 10u32.pow(9 - k as u32);
            s += &format!(".{frac:0k$}");
        }
    }
    s + &zone
}

/// A date text for a filter: `now…`, a date, a timestamp or epoch milliseconds.
fn date_text(rng: &mut Rng) -> String {
    let anchors = anchors();
    let t = *pick_hot(rng, &anchors, HOT);
    match rng.below(10) {
        0 | 1 => pick_hot(rng, NOW_EXPRS, HOT).to_string(),
        2 | 3 => date_part(t.year(), t.month(), t.day(), rng),
        4 => t.timestamp_millis().to_string(),
        _ => timestamp_text(t, rng),
    }
}

fn date_value(one_word: bool, rng: &mut Rng) -> (Instant, Value) {
    let text = date_text(rng);
    let t = FilterDate::parse(&text).unwrap().resolve(now()).unwrap();
    let v = if text.contains(':') {
        quoted(&text, rng)
    } else {
        any_form(&text, one_word, rng)
    };
    (t, v)
}

fn bool_value(one_word: bool, rng: &mut Rng) -> Value {
    let text = *rng.pick(BOOL_TEXT);
    any_form(text, one_word, rng)
}

/// One value of a token (`one_word`: inside a list or range, or after a comparison).
fn one_value(tok: &Tok, one_word: bool, rng: &mut Rng) -> Value {
    match tok.ty {
        TokenType::Text | TokenType::Keyword | TokenType::Enum => str_value(tok, one_word, rng),
        TokenType::Integer => int_value(one_word, rng).1,
        TokenType::Boolean => bool_value(one_word, rng),
        TokenType::Date => date_value(one_word, rng).1,
    }
}

/// A range: two ordered bounds (rarely reversed), each sometimes open.
fn range(tok: &Tok, rng: &mut Rng) -> Predicate {
    let (mut a, mut b): ((i128, Value), (i128, Value)) = if tok.ty == TokenType::Integer {
        let (x, v) = int_value(true, rng);
        let (y, w) = int_value(true, rng);
        ((x.into(), v), (y.into(), w))
    } else {
        let (x, v) = date_value(true, rng);
        let (y, w) = date_value(true, rng);
        let ns = |t: Instant| {
            i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
        };
        ((ns(x), v), (ns(y), w))
    };
    if a.0 > b.0 && rng.chance(90) {
        std::mem::swap(&mut a, &mut b);
    }
    let open = || Bound::Open(Span::default());
    let lo = if rng.chance(20) {
        open()
    } else {
        Bound::Value(a.1)
    };
    let hi = if rng.chance(20) {
        open()
    } else {
        Bound::Value(b.1)
    };
    Predicate::Range(lo, hi, Span::default())
}

fn predicate(tok: &Tok, rng: &mut Rng) -> Predicate {
    let sp = Span::default();
    let ordered = matches!(tok.ty, TokenType::Integer | TokenType::Date);
    let many = |rng: &mut Rng, one_word: bool, max: usize| -> Vec<Value> {
        let n = 1 + rng.below(max);
        (0..n).map(|_| one_value(tok, one_word, rng)).collect()
    };
    match rng.below(12) {
        0 => Predicate::Present(sp),
        1 | 2 => Predicate::List(many(rng, true, 3), sp),
        3 => Predicate::Group(many(rng, false, 3), sp),
        4 | 5 if ordered => range(tok, rng),
        6 | 7 if ordered => {
            let op = *rng.pick(&[CmpOp::Gt, CmpOp::Ge, CmpOp::Lt, CmpOp::Le]);
            Predicate::Compare(op, one_value(tok, true, rng))
        }
        _ => Predicate::Value(one_value(tok, false, rng)),
    }
}

fn term_expr(tok: &Tok, seed: u64) -> Expr {
    let mut rng = Rng::new(seed);
    let predicate = predicate(tok, &mut rng);
    Expr {
        kind: ExprKind::Term(Term {
            field: Field {
                name: tok.name.clone(),
                span: Span::default(),
            },
            predicate,
            span: Span::default(),
        }),
        span: Span::default(),
    }
}

fn term_strategy(scope: Scope) -> impl Strategy<Value = Expr> + Clone {
    (proptest::sample::select(toks(scope)), any::<u64>())
        .prop_map(|(tok, seed)| term_expr(&tok, seed))
}

fn node(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

/// An n-ary AND/OR with operands of the same kind flattened, as the parser builds it.
fn join(xs: Vec<Expr>, and: bool) -> Expr {
    let joined = if and { Expr::and(xs) } else { Expr::or(xs) };
    joined.expect("the strategies give at least two operands")
}

fn expr_strategy(scope: Scope) -> impl Strategy<Value = Expr> {
    term_strategy(scope).prop_recursive(4, 16, 3, |inner| {
        prop_oneof![
            2 => inner.clone().prop_map(|x| node(ExprKind::Not(Box::new(x)))),
            3 => proptest::collection::vec(inner.clone(), 2..=3).prop_map(|xs| join(xs, true)),
            3 => proptest::collection::vec(inner, 2..=3).prop_map(|xs| join(xs, false)),
        ]
    })
}

// ---------------------------------------------------------------------------------------------
// Printing filters with random spacing, keyword case and optional parentheses.

struct Printer {
    rng: Rng,
    out: String,
}

impl Printer {
    fn ws(&mut self) {
        let w = *self.rng.pick(&["", "", "", " ", "  ", "\n", "\t"]);
        self.out.push_str(w);
    }

    fn ws1(&mut self) {
        let w = *self.rng.pick(&[" ", " ", " ", "  ", "\n", " \r\n ", "\t"]);
        self.out.push_str(w);
    }

    fn kw(&mut self, k: &str) {
        let k = match self.rng.below(4) {
            0 => k.to_lowercase(),
            1 => {
                let mut c = k.chars();
                let first = c.next().unwrap();
                first.to_string() + &c.as_str().to_lowercase()
            }
            _ => k.to_string(),
        };
        self.ws1();
        self.out.push_str(&k);
        self.ws1();
    }

    fn value(&mut self, v: &Value) {
        match v.form.quote() {
            Some(q) => {
                self.out.push(q);
                self.out.push_str(&v.raw);
                self.out.push(q);
            }
            None => self.out.push_str(&v.raw),
        }
    }

    fn term(&mut self, t: &Term) {
        self.out.push_str(&t.field.name);
        match &t.predicate {
            Predicate::Compare(op, v) => {
                self.ws();
                self.out.push_str(op.as_str());
                self.ws();
                self.value(v);
                return;
            }
            _ => {
                if self.rng.chance(30) {
                    self.ws();
                }
                self.out.push(':');
                if self.rng.chance(30) {
                    self.ws();
                }
            }
        }
        match &t.predicate {
            Predicate::Present(_) => self.out.push('*'),
            Predicate::Value(v) => self.value(v),
            Predicate::List(vs, _) => {
                self.out.push('[');
                for (i, v) in vs.iter().enumerate() {
                    self.ws();
                    if i > 0 {
                        self.out.push(',');
                        self.ws();
                    }
                    self.value(v);
                }
                self.ws();
                self.out.push(']');
            }
            Predicate::Group(vs, _) => {
                self.out.push('(');
                self.ws();
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        self.kw("OR");
                    }
                    self.value(v);
                }
                self.ws();
                self.out.push(')');
            }
            Predicate::Range(lo, hi, _) => {
                self.out.push('[');
                for (i, b) in [lo, hi].into_iter().enumerate() {
                    self.ws();
                    if i > 0 {
                        self.out.push_str("..");
                        self.ws();
                    }
                    match b {
                        Bound::Open(_) => self.out.push('*'),
                        Bound::Value(v) => self.value(v),
                    }
                }
                self.ws();
                self.out.push(']');
            }
            Predicate::Compare(..) => unreachable!(),
        }
    }

    fn operand(&mut self, x: &Expr, parent_is_or: bool) {
        let needed = match &x.kind {
            ExprKind::Term(_) | ExprKind::Not(_) => false,
            // AND binds tighter than OR: parentheses are optional there.
            ExprKind::And(_) if parent_is_or => self.rng.chance(70),
            _ => true,
        };
        if needed || self.rng.chance(8) {
            self.out.push('(');
            self.ws();
            self.expr(x);
            self.ws();
            self.out.push(')');
        } else {
            self.expr(x);
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Term(t) => self.term(t),
            ExprKind::Not(x) => {
                let k = *self.rng.pick(&["NOT", "not", "Not"]);
                self.out.push_str(k);
                self.ws1();
                self.operand(x, false);
            }
            ExprKind::And(xs) | ExprKind::Or(xs) => {
                let or = matches!(e.kind, ExprKind::Or(_));
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        self.kw(if or { "OR" } else { "AND" });
                    }
                    self.operand(x, or);
                }
            }
        }
    }
}

fn print(e: &Expr, seed: u64) -> String {
    let mut p = Printer {
        rng: Rng::new(seed),
        out: String::new(),
    };
    p.ws();
    p.expr(e);
    p.ws();
    p.out
}

// ---------------------------------------------------------------------------------------------
// Generating events.

/// A node of the tree of JSON paths the catalog reads.
#[derive(Debug, Default)]
struct PathNode {
    array: bool,
    leaf: Option<(TokenType, Vec<String>)>,
    children: Vec<(String, PathNode)>,
}

fn path_tree(scope: Scope) -> PathNode {
    let mut root = PathNode::default();
    let mut add = |segs: Vec<(String, bool)>, ty: TokenType, values: Vec<String>| {
        let mut n = &mut root;
        for (k, arr) in segs {
            let i = match n.children.iter().position(|(c, _)| *c == k) {
                Some(i) => i,
                None => {
                    n.children.push((k.clone(), PathNode::default()));
                    n.children.len() - 1
                }
            };
            n = &mut n.children[i].1;
            n.array |= arr;
        }
        n.leaf = Some((ty, values));
    };
    for def in Catalog::builtin().tokens(scope) {
        let segs = def
            .segments()
            .into_iter()
            .map(|(k, a)| (k.to_string(), a))
            .collect();
        add(segs, def.ty, def.values.clone());
    }
    add(
        vec![("extra".into(), false), ("note".into(), false)],
        TokenType::Text,
        Vec::new(),
    );
    root
}

fn odd_value(rng: &mut Rng) -> Json {
    let xs = [
        json!(true),
        json!(false),
        json!(4),
        json!(8543820),
        json!(4.5),
        json!(-3),
        json!("4"),
        json!("TRUE"),
        json!(""),
        json!({}),
        json!({"name": "x"}),
        json!("2023-01-09"),
        json!("Create"),
    ];
    rng.pick(&xs).clone()
}

fn event_date(rng: &mut Rng) -> Json {
    if rng.chance(10) {
        return rng.pick(&bad_dates()).clone();
    }
    let t = jitter(*pick_hot(rng, &anchors(), HOT), rng);
    match rng.below(10) {
        0 => json!(t.timestamp_millis()),
        1 => json!(t.timestamp_millis().to_string()),
        2 => json!(date_part(t.year(), t.month(), t.day(), rng)),
        _ => json!(timestamp_text(t, rng)),
    }
}

fn leaf_value(ty: TokenType, values: &[String], rng: &mut Rng) -> Json {
    match rng.below(100) {
        0..=6 => return Json::Null,
        7..=12 => return odd_value(rng),
        _ => {}
    }
    let case = |s: &str, rng: &mut Rng| -> String {
        match rng.below(10) {
            0 => s.to_uppercase(),
            1 => s.to_lowercase(),
            2 => flip_case(s, rng),
            _ => s.to_string(),
        }
    };
    match ty {
        TokenType::Text => match rng.below(20) {
            0 => json!(8543820),
            1 => json!(true),
            2 => json!(""),
            3 => json!(" "),
            4 => json!(4.5),
            _ => {
                let s = *pick_hot(rng, TEXT, HOT);
                json!(case(s, rng))
            }
        },
        TokenType::Keyword => match rng.below(10) {
            0 => json!(8543820),
            _ => {
                let s = *pick_hot(rng, KEYWORD, HOT);
                json!(case(s, rng))
            }
        },
        TokenType::Enum => {
            if rng.chance(90) {
                let v = rng.pick(values).clone();
                json!(case(&v, rng))
            } else {
                json!(rng.pick(ENUM_UNKNOWN))
            }
        }
        TokenType::Integer => {
            let xs = [
                json!(4),
                json!("4"),
                json!(-3),
                json!("04"),
                json!(0),
                json!("-3"),
                json!(5),
                json!(1),
                json!(8543820),
                json!("0"),
                json!("-0"),
                json!("4.0"),
                json!(4.5),
                json!(4.0),
                json!("+4"),
                json!("abc"),
                json!(""),
                json!(true),
                json!("0000000000000000000000000000000000000000004"),
                json!("100000000000000000000000000000000000000000"),
                json!("-100000000000000000000000000000000000000000"),
                json!(u64::MAX),
                json!(i64::MIN),
                json!(i64::MAX),
                json!("9223372036854775808"),
            ];
            pick_hot(rng, &xs, 2 * HOT).clone()
        }
        TokenType::Boolean => {
            let xs = [
                json!(true),
                json!(false),
                json!("true"),
                json!("FALSE"),
                json!("True"),
                json!("yes"),
                json!(1),
                json!(0),
                json!("1"),
                json!(""),
            ];
            rng.pick(&xs).clone()
        }
        TokenType::Date => event_date(rng),
    }
}

/// A list of 0 to 3 items, sometimes with nulls and nested arrays (empty ones too).
fn array_of(rng: &mut Rng, item: &mut impl FnMut(&mut Rng) -> Json) -> Json {
    let n = rng.below(4);
    let mut xs = Vec::new();
    for _ in 0..n {
        xs.push(match rng.below(100) {
            0..=7 => Json::Null,
            8..=17 => array_of(rng, item),
            _ => item(rng),
        });
    }
    Json::Array(xs)
}

fn gen_node(n: &PathNode, rng: &mut Rng) -> Json {
    let mut one = |rng: &mut Rng| -> Json {
        if n.children.is_empty() {
            let (ty, values) = n.leaf.as_ref().unwrap();
            return leaf_value(*ty, values, rng);
        }
        match rng.below(100) {
            0..=4 => Json::Null,
            5..=7 => odd_value(rng),
            _ => {
                let mut map = serde_json::Map::new();
                for (k, c) in &n.children {
                    if rng.chance(80) {
                        map.insert(k.clone(), gen_node(c, rng));
                    }
                }
                Json::Object(map)
            }
        }
    };
    if n.array || rng.chance(5) {
        array_of(rng, &mut one)
    } else {
        one(rng)
    }
}

fn gen_event(tree: &PathNode, seed: u64) -> Json {
    let mut rng = Rng::new(seed);
    let mut map = serde_json::Map::new();
    for (k, c) in &tree.children {
        if rng.chance(85) {
            map.insert(k.clone(), gen_node(c, &mut rng));
        }
    }
    match rng.below(20) {
        0..=8 => json!({"sortValues": [], "data": Json::Object(map)}),
        9 => {
            // `data` that is not an object: the filter applies to the event itself.
            map.insert(
                "data".into(),
                rng.pick(&[Json::Null, json!("x"), json!([])]).clone(),
            );
            Json::Object(map)
        }
        _ => Json::Object(map),
    }
}

// ---------------------------------------------------------------------------------------------
// Running both evaluators.

fn opts(scope: Scope) -> Options {
    Options::new(scope).now(now()).allow_unknown(true)
}

fn reference(catalog: &Catalog, scope: Scope) -> Reference<'_> {
    Reference {
        catalog,
        scope,
        now: now(),
        allow_unknown: true,
    }
}

/// Prints the generated tree, parses it back (it must be the same tree), and compiles it.
fn prepare(
    expr: &Expr,
    seed: u64,
    scope: Scope,
) -> Result<(String, Query, Option<Filter>), TestCaseError> {
    let src = print(expr, seed);
    let q = match parse(&src) {
        Ok(q) => q,
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "generated filter does not parse: {src:?}\n{}",
                e.render(&src)
            )));
        }
    };
    prop_assert!(
        q.eq_ignoring_spans(&Query::from(expr.clone())),
        "parse(print(tree)) is another tree:\n{src:?}\n{:?}\n{:?}",
        q.without_spans().expr,
        expr
    );
    let canonical = q.to_string();
    prop_assert!(
        parse(&canonical).is_ok_and(|c| c.eq_ignoring_spans(&q)),
        "the canonical form {canonical:?} of {src:?} does not parse back to the same tree"
    );
    let f = compile_query(&q, &opts(scope)).ok();
    Ok((src, q, f))
}

fn differential(scope: Scope, expr: &Expr, seed: u64, events: &[u64]) -> Result<(), TestCaseError> {
    let catalog = Catalog::builtin();
    let (src, q, f) = prepare(expr, seed, scope)?;
    let r = reference(&catalog, scope);
    let Some(f) = f else {
        // The compiler may refuse more than the reference (the validator decides), never less.
        return Ok(());
    };
    if let Err(why) = r.check(&q) {
        return Err(TestCaseError::fail(format!(
            "compiled, but the reference refuses {src:?}: {why}"
        )));
    }
    let tree = path_tree(scope);
    let mut fast = f.matcher();
    let mut pre = f.matcher().with_prefilter(true);
    for &e in events {
        let event = gen_event(&tree, e);
        let want = r.matches(&q, &event).unwrap();
        let got = f.matches(&event);
        let bytes = serde_json::to_vec(&event).unwrap();
        prop_assert_eq!(
            got,
            want,
            "filter {:?} (canonical {}) on event {}",
            src,
            q,
            serde_json::to_string(&event).unwrap()
        );
        // The byte-level fast path, with and without the prefilter, agrees on the same record.
        prop_assert_eq!(
            fast.matches_json(&bytes),
            Ok(want),
            "fast path: {:?} on {}",
            src,
            String::from_utf8_lossy(&bytes)
        );
        prop_assert_eq!(
            pre.matches_json(&bytes),
            Ok(want),
            "prefilter: {:?} on {}",
            src,
            String::from_utf8_lossy(&bytes)
        );
    }
    Ok(())
}

/// `cases` cases, or as many as `PROPTEST_CASES` says (for longer runs).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn compiled_agrees_with_reference_on_events(
        expr in expr_strategy(Scope::Events),
        seed in any::<u64>(),
        events in proptest::collection::vec(any::<u64>(), 8),
    ) {
        differential(Scope::Events, &expr, seed, &events)?;
    }
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn compiled_agrees_with_reference_on_incidents(
        expr in expr_strategy(Scope::Incidents),
        seed in any::<u64>(),
        events in proptest::collection::vec(any::<u64>(), 8),
    ) {
        differential(Scope::Incidents, &expr, seed, &events)?;
    }

    #[test]
    fn single_terms_agree(
        term in term_strategy(Scope::Events),
        events in proptest::collection::vec(any::<u64>(), 8),
    ) {
        differential(Scope::Events, &term, 0, &events)?;
    }
}

/// The reference evaluator gives the spec's own answers (`match.json`, `match-incidents.json`), so
/// that agreeing with it means something.
#[test]
fn reference_passes_match_conformance() {
    let catalog = Catalog::builtin();
    let dir = common::conformance_dir();
    let mut checked = 0;
    for file in ["match.json", "match-incidents.json"] {
        let spec: Json =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        let scope: Scope = spec["scope"].as_str().unwrap().parse().unwrap();
        let events: Vec<Json> = std::fs::read_to_string(dir.join(spec["events"].as_str().unwrap()))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for case in spec["cases"].as_array().unwrap() {
            let filter = case["filter"].as_str().unwrap();
            let clock = case["now"].as_str().map_or_else(now, at);
            let r = Reference {
                catalog: &catalog,
                scope,
                now: clock,
                allow_unknown: false,
            };
            let q = parse(filter).unwrap();
            let mut got: Vec<&str> = events
                .iter()
                .filter(|e| r.matches(&q, e).unwrap())
                .map(|e| e.get("data").unwrap_or(e)["id"].as_str().unwrap())
                .collect();
            got.sort_unstable();
            let mut want: Vec<&str> = case["match"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            want.sort_unstable();
            assert_eq!(got, want, "{file}: {filter}");
            checked += 1;
        }
    }
    assert!(checked >= 50);
}

/// The generators make filters that compile, and that match neither always nor never.
#[test]
fn generated_cases_match_often_enough() {
    for scope in Scope::ALL {
        let tree = path_tree(scope);
        let mut runner = TestRunner::deterministic();
        let strategy = (expr_strategy(scope), any::<u64>());
        let (mut compiled, mut total, mut hits, mut pairs) = (0, 0, 0, 0);
        for i in 0..300u64 {
            let (expr, seed) = strategy.new_tree(&mut runner).unwrap().current();
            total += 1;
            let src = print(&expr, seed);
            let q = parse(&src).unwrap();
            let Ok(f) = compile_query(&q, &opts(scope)) else {
                continue;
            };
            compiled += 1;
            for e in 0..8 {
                let event = gen_event(&tree, i * 8 + e);
                pairs += 1;
                hits += usize::from(f.matches(&event));
            }
        }
        let rate = hits as f64 / pairs as f64;
        assert!(
            compiled * 10 >= total * 9,
            "{scope}: {compiled} of {total} compile"
        );
        assert!((0.1..=0.9).contains(&rate), "{scope}: match rate {rate}");
    }
}

/// Every token type has single terms that match and terms that do not.
#[test]
fn every_token_type_matches_sometimes() {
    let tree = path_tree(Scope::Events);
    let mut rates = std::collections::BTreeMap::<String, (u32, u32)>::new();
    let mut rng = Rng::new(7);
    for tok in toks(Scope::Events) {
        for _ in 0..25 {
            let e = term_expr(&tok, rng.next_u64());
            let src = e.to_string();
            let Ok(f) = compile(&src, &opts(Scope::Events)) else {
                continue;
            };
            for _ in 0..4 {
                let event = gen_event(&tree, rng.next_u64());
                let r = rates.entry(format!("{:?}", tok.ty)).or_default();
                r.0 += u32::from(f.matches(&event));
                r.1 += 1;
            }
        }
    }
    for (ty, (hits, n)) in rates {
        let rate = f64::from(hits) / f64::from(n);
        assert!((0.05..=0.95).contains(&rate), "{ty}: match rate {rate}");
    }
}

// ---------------------------------------------------------------------------------------------
// Boolean laws of the compiled evaluator.

fn compiled(src: &str) -> Option<Filter> {
    compile(src, &opts(Scope::Events)).ok()
}

fn events(seeds: &[u64]) -> Vec<Json> {
    let tree = path_tree(Scope::Events);
    seeds.iter().map(|&s| gen_event(&tree, s)).collect()
}

/// Asserts that two filters agree on the events.
fn same(a: &str, b: &str, evs: &[Json]) -> Result<(), TestCaseError> {
    let (Some(fa), Some(fb)) = (compiled(a), compiled(b)) else {
        return Err(TestCaseError::reject("does not compile"));
    };
    for e in evs {
        prop_assert_eq!(fa.matches(e), fb.matches(e), "{} vs {} on {}", a, b, e);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(150))]

    #[test]
    fn not_not_is_identity(a in expr_strategy(Scope::Events), seeds in proptest::collection::vec(any::<u64>(), 6)) {
        let evs = events(&seeds);
        same(&format!("NOT NOT ({a})"), &a.to_string(), &evs)?;
        same(&format!("NOT (NOT ({a}))"), &a.to_string(), &evs)?;
    }

    #[test]
    fn de_morgan(a in expr_strategy(Scope::Events), b in expr_strategy(Scope::Events), seeds in proptest::collection::vec(any::<u64>(), 6)) {
        let evs = events(&seeds);
        same(&format!("NOT (({a}) AND ({b}))"), &format!("(NOT ({a})) OR (NOT ({b}))"), &evs)?;
        same(&format!("NOT (({a}) OR ({b}))"), &format!("(NOT ({a})) AND (NOT ({b}))"), &evs)?;
    }

    #[test]
    fn and_or_commute(a in expr_strategy(Scope::Events), b in expr_strategy(Scope::Events), seeds in proptest::collection::vec(any::<u64>(), 6)) {
        let evs = events(&seeds);
        same(&format!("({a}) AND ({b})"), &format!("({b}) AND ({a})"), &evs)?;
        same(&format!("({a}) OR ({b})"), &format!("({b}) OR ({a})"), &evs)?;
    }

    #[test]
    fn distributivity(
        a in expr_strategy(Scope::Events),
        b in expr_strategy(Scope::Events),
        c in expr_strategy(Scope::Events),
        seeds in proptest::collection::vec(any::<u64>(), 6),
    ) {
        let evs = events(&seeds);
        same(&format!("({a}) AND (({b}) OR ({c}))"), &format!("(({a}) AND ({b})) OR (({a}) AND ({c}))"), &evs)?;
        same(&format!("({a}) OR (({b}) AND ({c}))"), &format!("(({a}) OR ({b})) AND (({a}) OR ({c}))"), &evs)?;
    }

    /// AND, OR and NOT of compiled filters are the boolean operations on their results.
    #[test]
    fn connectives_are_boolean(a in expr_strategy(Scope::Events), b in expr_strategy(Scope::Events), seeds in proptest::collection::vec(any::<u64>(), 6)) {
        let (Some(fa), Some(fb)) = (compiled(&a.to_string()), compiled(&b.to_string())) else {
            return Err(TestCaseError::reject("does not compile"));
        };
        let and = compiled(&format!("({a}) AND ({b})")).unwrap();
        let or = compiled(&format!("({a}) OR ({b})")).unwrap();
        let not = compiled(&format!("NOT ({a})")).unwrap();
        for e in events(&seeds) {
            let (x, y) = (fa.matches(&e), fb.matches(&e));
            prop_assert_eq!(and.matches(&e), x && y);
            prop_assert_eq!(or.matches(&e), x || y);
            prop_assert_eq!(not.matches(&e), !x);
        }
    }

    /// A term on a missing or null field is false, and its negation true.
    #[test]
    fn not_term_is_true_on_missing_or_null(
        term in term_strategy(Scope::Events),
        seed in any::<u64>(),
        how in 0..4u8,
    ) {
        let ExprKind::Term(t) = &term.kind else { unreachable!() };
        let catalog = Catalog::builtin();
        let keys: Vec<String> = match catalog.lookup(Scope::Events, &t.field.name) {
            Some(def) => def.segments().into_iter().map(|(k, _)| k.to_string()).collect(),
            None => t.field.name.split('.').map(str::to_string).collect(),
        };
        let mut event = gen_event(&path_tree(Scope::Events), seed);
        let wrapped = matches!(event.get("data"), Some(Json::Object(_)));
        let data = if wrapped { event.get_mut("data").unwrap() } else { &mut event };
        remove_path(data, &keys, how);
        let (Some(f), Some(nf)) = (compiled(&term.to_string()), compiled(&format!("NOT {term}"))) else {
            return Err(TestCaseError::reject("does not compile"));
        };
        prop_assert!(!f.matches(&event), "{} on {}", term, event);
        prop_assert!(nf.matches(&event), "NOT {} on {}", term, event);
    }
}

/// Makes every value at `keys` missing or null: `how` 0 removes the last key, 1 sets it to null,
/// 2 does that at the first key, 3 empties the first array met (or nulls the last key).
fn remove_path(v: &mut Json, keys: &[String], how: u8) {
    match v {
        Json::Array(items) => {
            if how == 3 {
                items.clear();
            } else {
                items.iter_mut().for_each(|x| remove_path(x, keys, how));
            }
        }
        Json::Object(map) => {
            let Some((k, rest)) = keys.split_first() else {
                return;
            };
            if rest.is_empty() || how == 2 {
                if how == 0 {
                    map.remove(k);
                } else {
                    map.insert(k.clone(), Json::Null);
                }
            } else if let Some(x) = map.get_mut(k) {
                remove_path(x, rest, how);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// The date grammar against chrono, from the components of each form.

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn dates_parse_to_their_instant(
        (y, m, d) in (2017..2031i32, 1..=12u32, 1..=31u32),
        (hh, mm, ss, nanos) in (0..24u32, 0..60u32, 0..60u32, 0..1_000_000_000u32),
        digits in 0..=9usize,
        parts in 0..4u8,
        zone in 0..8u8,
        short in any::<bool>(),
    ) {
        let Some(date) = NaiveDate::from_ymd_opt(y, m, d) else {
            let text = format!("{y:04}-{m:02}-{d:02}");
            prop_assert!(FilterDate::parse(&text).is_err(), "{}", text);
            prop_assert!(parse_event_date(&text).is_none(), "{}", text);
            return Ok(());
        };
        let ymd = if short { format!("{y:04}-{m}-{d}") } else { format!("{y:04}-{m:02}-{d:02}") };
        let (text, naive, date_only) = match parts {
            0 => (ymd, date.and_hms_opt(0, 0, 0).unwrap(), true),
            1 => (format!("{ymd}T{hh:02}:{mm:02}"), date.and_hms_opt(hh, mm, 0).unwrap(), false),
            2 => (format!("{ymd}T{hh:02}:{mm:02}:{ss:02}"), date.and_hms_opt(hh, mm, ss).unwrap(), false),
            _ => {
                let k = digits.max(1);
                let frac = nanos / 10u32.pow(9 - k as u32);
                let kept = frac * 10u32.pow(9 - k as u32);
                (
                    format!("{ymd}T{hh:02}:{mm:02}:{ss:02}.{frac:0k$}"),
                    date.and_hms_nano_opt(hh, mm, ss, kept).unwrap(),
                    false,
                )
            }
        };
        let (suffix, offset_min) = if date_only {
            (String::new(), 0)
        } else {
            match zone {
                0 => (String::new(), 0),
                1 => ("Z".to_string(), 0),
                2 => ("+05:30".to_string(), 330),
                3 => ("+0530".to_string(), 330),
                4 => ("-08:00".to_string(), -480),
                5 => ("-0100".to_string(), -60),
                6 => ("+00:00".to_string(), 0),
                _ => ("+2359".to_string(), 23 * 60 + 59),
            }
        };
        let text = text + &suffix;
        let want = Utc.from_utc_datetime(&(naive - TimeDelta::minutes(offset_min)));
        let got = FilterDate::parse(&text);
        prop_assert_eq!(got.as_ref().ok().and_then(FilterDate::fixed), Some(want), "{}", text);
        prop_assert_eq!(got.unwrap().is_date_only(), date_only, "{}", text);
        prop_assert_eq!(parse_event_date(&text), Some(want), "{}", text);
        let ms = want.timestamp_millis();
        if ms >= 0 {
            prop_assert_eq!(parse_event_date(&ms.to_string()), DateTime::from_timestamp_millis(ms));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Regressions: disagreements the differential tests found, decided by `language.md`.

fn matches(filter: &str, event: &Json) -> bool {
    compile(filter, &opts(Scope::Events))
        .unwrap_or_else(|e| panic!("{filter}: {}", e.render(filter)))
        .matches(event)
}

/// Integer tokens match strings of digits by their value (section 3), however many digits: leading
/// zeros do not change the value, and a number beyond every filter integer still compares.
#[test]
fn long_digit_strings_compare_numerically() {
    let ev = |v: &str| json!({ "severity": v });
    let four = format!("{}4", "0".repeat(42));
    assert!(matches("severity:4", &ev(&four)));
    assert!(matches("severity:[1..5]", &ev(&four)));
    assert!(!matches("severity:5", &ev(&four)));
    let huge = format!("1{}", "0".repeat(41));
    assert!(matches("severity>=1", &ev(&huge)));
    assert!(matches("severity:[1..*]", &ev(&huge)));
    assert!(!matches("severity<=9223372036854775807", &ev(&huge)));
    assert!(!matches("severity:4", &ev(&huge)));
    let minus = format!("-{huge}");
    assert!(matches("severity<0", &ev(&minus)));
    assert!(!matches("severity>=-9223372036854775808", &ev(&minus)));
    assert!(matches("severity:0", &ev(&"0".repeat(50))));
    assert!(matches("severity:0", &ev(&format!("-{}", "0".repeat(50)))));
}

/// Case-insensitive forms fold every character alike wherever it stands. `str::to_lowercase`
/// gives a word-final `Σ` the form `ς`, so the pattern piece `ΟΔΥΣ` folded to `οδυς` while the
/// value `ΟΔΥΣΣΕΑΣ` folded to `οδυσσεας`, and `"Σ"` (`σ`) was not found in `ΑΣ` (`ας`).
#[test]
fn final_sigma_folds_like_sigma() {
    let name = |v: &str| json!({ "name": v, "id": v });
    assert!(matches("file.name:ΟΔΥΣ*", &name("ΟΔΥΣΣΕΑΣ")));
    assert!(matches("file.name:ΟΔΥΣ?ΕΑΣ", &name("οδυσσεας")));
    assert!(matches("file.name:\"Σ\"", &name("ΑΣ")));
    assert!(matches("file.name:'ας'", &name("ΑΣ")));
    assert!(matches("file.name:ας", &name("ΑΣ")));
    assert!(matches("file.name:ασ", &name("ας")));
    assert!(matches("id:\"ασ\"", &name("ΑΣ")));
    assert!(matches("id:ΑΣ*", &name("ασα")));
    assert!(!matches("file.name:`ας`", &name("ΑΣ")));
    assert!(!matches("file.name:ΑΣ?", &name("ας")));
}

/// A boolean token with both values (`[true, false]`, `(true OR false)`) matches the booleans
/// (JSON `true`/`false`, the strings `true`/`false` in any case), not every present value.
#[test]
fn both_booleans_match_only_booleans() {
    for filter in [
        "baseline:[true, false]",
        "baseline:(FALSE OR 'true')",
        "baseline:[`false`, true, false]",
    ] {
        for yes in [json!(true), json!(false), json!("TRUE"), json!("False")] {
            assert!(
                matches(filter, &json!({ "baseline": yes })),
                "{filter} on {yes}"
            );
        }
        for no in [
            json!(1),
            json!("1"),
            json!("yes"),
            json!(""),
            json!({}),
            json!(null),
        ] {
            assert!(
                !matches(filter, &json!({ "baseline": no })),
                "{filter} on {no}"
            );
        }
        assert!(
            matches(filter, &json!({ "baseline": ["no", [false]] })),
            "{filter}"
        );
        assert!(!matches(filter, &json!({})), "{filter}");
    }
}
