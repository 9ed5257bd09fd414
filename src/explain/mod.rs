//! Explaining filters, in two ways.
//!
//! - [`explain()`]: the tree of a filter with each term's token, type, JSON path, and in words
//!   what its value will match, so that a user can see that `action:create` ignores case and
//!   ``action:`create` `` does not.
//! - [`Filter::explain`](crate::Filter::explain): why one event matched, or did not: an
//!   [`Explanation`] with each node's verdict and, at each term, the values found at its path.
//!
//! ```
//! use fimql::{Options, parse};
//! let q = parse("action:create AND NOT action:`create`").unwrap();
//! let text = fimql::explain::explain(&q, &Options::default());
//! assert!(text.contains("equals \"create\", ignoring case"));
//! assert!(text.contains("equals \"create\" exactly (case-sensitive)"));
//! ```

mod events;

pub use events::{
    AppliesTo, Explanation, MAX_VALUES, NodeExplanation, NodeKind, SeenValue, TermExplanation,
};

use std::fmt::Write;

use crate::ast::{Bound, CmpOp, Expr, ExprKind, Form, Predicate, Query, Term, Value};
use crate::catalog::{Catalog, Scope, TokenType, parse_boolean, parse_integer};
use crate::date::{FilterDate, Instant};
use crate::options::Options;

/// Explains a parsed filter, one node per line, indented as a tree, with the catalog and scope of
/// `opts`; its clock, when set, shows relative dates as instants.
pub fn explain(query: &Query, opts: &Options) -> String {
    let mut out = String::new();
    node(
        &query.expr,
        &Context {
            catalog: &opts.catalog,
            scope: opts.scope,
            now: opts.now,
            allow_unknown: opts.allow_unknown,
        },
        "",
        "",
        &mut out,
    );
    out
}

/// What the lines of a term depend on besides the term.
struct Context<'a> {
    catalog: &'a Catalog,
    scope: Scope,
    now: Option<Instant>,
    allow_unknown: bool,
}

fn node(e: &Expr, cx: &Context<'_>, first: &str, rest: &str, out: &mut String) {
    let children: &[Expr] = match &e.kind {
        ExprKind::And(xs) => {
            let _ = writeln!(out, "{first}AND (all of)");
            xs
        }
        ExprKind::Or(xs) => {
            let _ = writeln!(out, "{first}OR (any of)");
            xs
        }
        ExprKind::Not(x) => {
            let _ = writeln!(
                out,
                "{first}NOT (true when the inner term is false, missing fields included)"
            );
            std::slice::from_ref(&**x)
        }
        ExprKind::Term(t) => {
            term(t, cx, first, rest, out);
            return;
        }
    };
    for (i, child) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        let (branch, cont) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        node(
            child,
            cx,
            &format!("{rest}{branch}"),
            &format!("{rest}{cont}"),
            out,
        );
    }
}

fn term(t: &Term, cx: &Context<'_>, first: &str, rest: &str, out: &mut String) {
    let Context {
        catalog,
        scope,
        now,
        allow_unknown,
    } = *cx;
    let _ = writeln!(out, "{first}{t}");
    let ty = match catalog.lookup(scope, &t.field.name) {
        Some(def) => {
            let note = if def.name != t.field.name {
                format!("alias of token {}", def.name)
            } else {
                format!("token {}", def.name)
            };
            let _ = writeln!(out, "{rest}    {note}: {}, JSON path {}", def.ty, def.path);
            def.ty
        }
        None if allow_unknown => {
            let _ = writeln!(
                out,
                "{rest}    not a token of scope {scope}: read as the raw JSON path {}, its values as text",
                t.field.name
            );
            TokenType::Text
        }
        None => {
            let _ = writeln!(
                out,
                "{rest}    not a token of scope {scope} (an error, see below; with unknown tokens allowed, read as the raw JSON path {}, its values as text)",
                t.field.name
            );
            TokenType::Text
        }
    };
    match &t.predicate {
        Predicate::Value(v) if invalid(ty, v).is_some() => {
            let why = invalid(ty, v).unwrap_or_default();
            let _ = writeln!(out, "{rest}    matches nothing: {why}");
        }
        p => {
            let _ = writeln!(out, "{rest}    matches when {}", describe(ty, p, now));
        }
    }
}

/// Why a value can match nothing of type `ty`: not an integer, a boolean or a date.
fn invalid(ty: TokenType, v: &Value) -> Option<String> {
    let text = v.text();
    match ty {
        TokenType::Integer if parse_integer(&text).is_none() => {
            Some(format!("`{text}` is not an integer"))
        }
        TokenType::Boolean if parse_boolean(&text).is_none() => {
            Some(format!("`{text}` is not a boolean"))
        }
        TokenType::Date => match FilterDate::read(&text) {
            Err(e) => Some(format!("`{text}` is not a date ({})", e.message)),
            Ok(_) => None,
        },
        _ => None,
    }
}

pub(crate) fn describe(ty: TokenType, p: &Predicate, now: Option<Instant>) -> String {
    const ANY: &str = "any value at the path (any array element)";
    match p {
        Predicate::Present(_) => format!("{ANY} is present and not null"),
        Predicate::Value(v) => format!("{ANY} {}", value(ty, v, now)),
        Predicate::List(vs, _) | Predicate::Group(vs, _) => {
            let parts: Vec<String> = vs.iter().map(|v| value(ty, v, now)).collect();
            format!("{ANY} satisfies any of: {}", parts.join("; "))
        }
        Predicate::Range(lo, hi, _) => {
            format!(
                "{ANY} is {} from {} to {}, both included",
                order_kind(ty),
                bound(ty, lo, now),
                bound(ty, hi, now)
            )
        }
        Predicate::Compare(op, v) => {
            let op = match op {
                CmpOp::Gt => "greater than",
                CmpOp::Ge => "greater than or equal to",
                CmpOp::Lt => "less than",
                CmpOp::Le => "less than or equal to",
            };
            format!("{ANY} is {} {op} {}", order_kind(ty), ordered(ty, v, now))
        }
    }
}

fn order_kind(ty: TokenType) -> &'static str {
    match ty {
        TokenType::Date => "an instant",
        _ => "a number",
    }
}

fn bound(ty: TokenType, b: &Bound, now: Option<Instant>) -> String {
    match b {
        Bound::Open(_) => "unbounded".into(),
        Bound::Value(v) => ordered(ty, v, now),
    }
}

fn ordered(ty: TokenType, v: &Value, now: Option<Instant>) -> String {
    if ty == TokenType::Date {
        return date(v, now, false);
    }
    v.text()
}

fn date(v: &Value, now: Option<Instant>, single: bool) -> String {
    match FilterDate::read(&v.text()) {
        Err(e) => format!("(invalid date: {})", e.message),
        Ok(d @ FilterDate::Now { .. }) => match now.and_then(|n| d.resolve(n)) {
            Some(t) => format!("{} ({})", t.to_rfc3339(), v.text()),
            None => format!("{} (relative to the evaluation clock)", v.text()),
        },
        Ok(FilterDate::At { at, date_only }) => {
            if date_only && single {
                format!("within the UTC day {}", at.format("%Y-%m-%d"))
            } else if date_only {
                format!("{} (midnight UTC)", at.to_rfc3339())
            } else {
                at.to_rfc3339()
            }
        }
    }
}

fn value(ty: TokenType, v: &Value, now: Option<Instant>) -> String {
    if let Some(why) = invalid(ty, v) {
        return format!("never matches, as {why}");
    }
    let text = v.text();
    match ty {
        TokenType::Integer => match parse_integer(&text) {
            Some(n) => format!("is the integer {n} (a JSON integer or a string of digits)"),
            None => format!("(`{text}` is not an integer)"),
        },
        TokenType::Boolean => match parse_boolean(&text) {
            Some(b) => format!("is {b} (JSON {b}, or the string \"{b}\" in any case)"),
            None => format!("(`{text}` is not a boolean)"),
        },
        TokenType::Date => {
            let d = date(v, now, true);
            if d.starts_with("within") {
                format!("is an instant {d}")
            } else {
                format!("is the instant {d}")
            }
        }
        TokenType::Text | TokenType::Keyword | TokenType::Enum => match v.form {
            Form::Backtick => format!("equals {} exactly (case-sensitive)", show(&text)),
            Form::Single | Form::Double if ty == TokenType::Text => {
                format!("contains {}, ignoring case", show(&text))
            }
            Form::Single | Form::Double => format!("equals {}, ignoring case", show(&text)),
            Form::Bare if v.has_wildcards() => format!(
                "matches the pattern {} as a whole (`*` any run of characters, `?` one character), ignoring case",
                show(&v.raw)
            ),
            Form::Bare => format!("equals {}, ignoring case", show(&text)),
        },
    }
}

/// A value in double quotes, control characters escaped so the line stays one line (and
/// bidirectional format characters, so that it reads as it is).
fn show(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        if c.is_control() || crate::error::is_bidi_format(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}
