//! `impl Arbitrary for Query`: valid, normalized trees (n-ary AND/OR with no same-kind child,
//! any text in any quoting form), for the `roundtrip` fuzz target.

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::ast::{Bound, CmpOp, Expr, ExprKind, Field, Form, Predicate, Query, Term, Value};
use crate::span::Span;

impl<'a> Arbitrary<'a> for Query {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Query::from(expr(u, 0)?))
    }
}

fn expr(u: &mut Unstructured<'_>, depth: usize) -> Result<Expr> {
    let kind = if depth >= 6 {
        3
    } else {
        u.int_in_range(0..=3u8)?
    };
    let kind = match kind {
        0 | 1 => {
            let and = kind == 0;
            let n = u.int_in_range(2..=4usize)?;
            let mut xs = Vec::with_capacity(n);
            for _ in 0..n {
                let mut x = expr(u, depth + 1)?;
                // No AND directly under AND (or OR under OR): the parser would flatten it.
                let same = matches!(
                    (&x.kind, and),
                    (ExprKind::And(_), true) | (ExprKind::Or(_), false)
                );
                if same {
                    x = Expr {
                        kind: ExprKind::Not(Box::new(x)),
                        span: Span::default(),
                    };
                }
                xs.push(x);
            }
            if and {
                ExprKind::And(xs)
            } else {
                ExprKind::Or(xs)
            }
        }
        2 => ExprKind::Not(Box::new(expr(u, depth + 1)?)),
        _ => ExprKind::Term(term(u)?),
    };
    Ok(Expr {
        kind,
        span: Span::default(),
    })
}

fn ident(u: &mut Unstructured<'_>) -> Result<String> {
    const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    const REST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";
    let mut s = String::new();
    s.push(char::from(*u.choose(FIRST)?));
    for _ in 0..u.int_in_range(0..=6usize)? {
        s.push(char::from(*u.choose(REST)?));
    }
    Ok(s)
}

fn term(u: &mut Unstructured<'_>) -> Result<Term> {
    let mut name = ident(u)?;
    for _ in 0..u.int_in_range(0..=2usize)? {
        name.push('.');
        name.push_str(&ident(u)?);
    }
    // A field named like a keyword would read as the keyword.
    if ["and", "or", "not"]
        .iter()
        .any(|k| name.eq_ignore_ascii_case(k))
    {
        name.push('_');
    }
    let predicate = match u.int_in_range(0..=5u8)? {
        0 => Predicate::Present(Span::default()),
        1 => Predicate::Value(value(u)?),
        2 => Predicate::List(values(u)?, Span::default()),
        3 => Predicate::Group(values(u)?, Span::default()),
        4 => Predicate::Range(bound(u)?, bound(u)?, Span::default()),
        _ => {
            let op = *u.choose(&[CmpOp::Gt, CmpOp::Ge, CmpOp::Lt, CmpOp::Le])?;
            Predicate::Compare(op, value(u)?)
        }
    };
    Ok(Term {
        field: Field {
            name,
            span: Span::default(),
        },
        predicate,
        span: Span::default(),
    })
}

fn values(u: &mut Unstructured<'_>) -> Result<Vec<Value>> {
    let n = u.int_in_range(1..=3usize)?;
    (0..n).map(|_| value(u)).collect()
}

fn bound(u: &mut Unstructured<'_>) -> Result<Bound> {
    Ok(if u.ratio(1, 4)? {
        Bound::Open(Span::default())
    } else {
        Bound::Value(value(u)?)
    })
}

fn value(u: &mut Unstructured<'_>) -> Result<Value> {
    let form = *u.choose(&[Form::Backtick, Form::Double, Form::Single, Form::Bare])?;
    let mut text: String = u.arbitrary()?;
    if text.is_empty() {
        text.push('x');
    }
    Ok(Value::new(form, &text))
}
