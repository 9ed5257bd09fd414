//! The canonical printer (`Display`) and the pretty printer (`{:#}`).
//!
//! Canonical form (`language.md` section 6): keywords upper case, `field:value` and comparisons
//! without spaces, one space around `AND`/`OR`, lists as `[a, b]`, ranges as `[a..b]`, values in
//! their quoting form with their raw text. Parentheses appear where precedence needs them, and an
//! AND directly under an OR is always parenthesised. Two spaces are kept where leaving them out
//! would change what the text parses to: `x> =b` (the bare value `=b` after `>` or `<`) and
//! `[a. ..b]` (a bare lower bound ending in `.`). The pretty form is the canonical form when it
//! fits in [`PRETTY_WIDTH`] columns; otherwise each operand of a long AND/OR goes on its own line,
//! led by its operator, and parenthesised groups are indented.

use std::fmt::{self, Write};

use crate::ast::{Bound, CmpOp, Expr, ExprKind, Form, Predicate, Query, Term, Value};

/// The width the pretty printer tries to stay within.
pub const PRETTY_WIDTH: usize = 80;

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            let mut out = String::new();
            pretty(self, 0, &mut out)?;
            f.write_str(&out)
        } else {
            flat(self, f)
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.field.name)?;
        match &self.predicate {
            Predicate::Compare(op, v) => {
                f.write_str(op.as_str())?;
                f.write_str(compare_gap(*op, v))?;
                v.fmt(f)
            }
            p => {
                f.write_char(':')?;
                p.fmt(f)
            }
        }
    }
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Predicate::Present(_) => f.write_char('*'),
            Predicate::Value(v) => v.fmt(f),
            Predicate::Compare(op, v) => write!(f, "{}{}{v}", op.as_str(), compare_gap(*op, v)),
            Predicate::List(vs, _) => {
                f.write_char('[')?;
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    v.fmt(f)?;
                }
                f.write_char(']')
            }
            Predicate::Group(vs, _) => {
                f.write_char('(')?;
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" OR ")?;
                    }
                    v.fmt(f)?;
                }
                f.write_char(')')
            }
            Predicate::Range(lo, hi, _) => {
                let gap = match lo {
                    Bound::Value(v) if v.form == Form::Bare && ends_with_unescaped_dot(&v.raw) => {
                        " "
                    }
                    _ => "",
                };
                write!(f, "[{lo}{gap}..{hi}]")
            }
        }
    }
}

/// The text between a comparison operator and its value: nothing, except that a bare value
/// starting with `=` after `>` or `<` (from `x> =b`) needs a space, or it would print as `x>=b`.
fn compare_gap(op: CmpOp, v: &Value) -> &'static str {
    if matches!(op, CmpOp::Gt | CmpOp::Lt) && v.form == Form::Bare && v.raw.starts_with('=') {
        " "
    } else {
        ""
    }
}

/// Whether a bare value's raw text ends with an unescaped `.`. As the lower bound of a range it
/// needs a space before the `..` (from `[a. ..b]`): `[a...b]` reads as `a` to `.b`.
fn ends_with_unescaped_dot(raw: &str) -> bool {
    let mut escaped = false;
    let mut dot = false;
    for c in raw.chars() {
        dot = !escaped && c == '.';
        escaped = !escaped && c == '\\';
    }
    dot
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Open(_) => f.write_char('*'),
            Bound::Value(v) => v.fmt(f),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.form.quote() {
            Some(q) => {
                f.write_char(q)?;
                f.write_str(&self.raw)?;
                f.write_char(q)
            }
            None => f.write_str(&self.raw),
        }
    }
}

/// Whether `child` needs parentheses as an operand of NOT, AND or OR.
///
/// An AND or OR operand is always parenthesised: under NOT and AND precedence needs it, and under
/// OR the canonical form says so, so the printed filter never relies on the precedence Qualys
/// leaves undocumented. (An OR directly under an OR, or an AND under an AND, does not come from
/// the parser, which flattens them, but prints with parentheses so such a tree keeps its shape.)
fn needs_parens(child: &Expr) -> bool {
    !matches!(child.kind, ExprKind::Term(_) | ExprKind::Not(_))
}

fn flat(e: &Expr, f: &mut impl Write) -> fmt::Result {
    match &e.kind {
        ExprKind::Term(t) => write!(f, "{t}"),
        ExprKind::Not(x) => {
            f.write_str("NOT ")?;
            operand(x, f)
        }
        ExprKind::And(xs) | ExprKind::Or(xs) => {
            let sep = if matches!(e.kind, ExprKind::And(_)) {
                " AND "
            } else {
                " OR "
            };
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                operand(x, f)?;
            }
            Ok(())
        }
    }
}

fn operand(x: &Expr, f: &mut impl Write) -> fmt::Result {
    if needs_parens(x) {
        f.write_char('(')?;
        flat(x, f)?;
        f.write_char(')')
    } else {
        flat(x, f)
    }
}

fn flat_string(e: &Expr) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = flat(e, &mut s);
    s
}

fn pretty(e: &Expr, indent: usize, out: &mut String) -> fmt::Result {
    let one_line = flat_string(e);
    if indent + one_line.chars().count() <= PRETTY_WIDTH {
        out.push_str(&one_line);
        return Ok(());
    }
    match &e.kind {
        ExprKind::Term(_) => {
            out.push_str(&one_line);
            Ok(())
        }
        ExprKind::Not(x) => {
            out.push_str("NOT ");
            pretty_operand(x, indent, out)
        }
        ExprKind::And(xs) | ExprKind::Or(xs) => {
            let op = if matches!(e.kind, ExprKind::And(_)) {
                "AND "
            } else {
                "OR "
            };
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    newline(indent, out);
                    out.push_str(op);
                }
                pretty_operand(x, indent, out)?;
            }
            Ok(())
        }
    }
}

fn pretty_operand(x: &Expr, indent: usize, out: &mut String) -> fmt::Result {
    if !needs_parens(x) {
        return pretty(x, indent, out);
    }
    let one_line = flat_string(x);
    if indent + one_line.chars().count() + 6 <= PRETTY_WIDTH {
        out.push('(');
        out.push_str(&one_line);
        out.push(')');
        return Ok(());
    }
    out.push('(');
    newline(indent + 2, out);
    pretty(x, indent + 2, out)?;
    newline(indent, out);
    out.push(')');
    Ok(())
}

fn newline(indent: usize, out: &mut String) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', indent));
}
