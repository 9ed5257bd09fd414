//! Property tests of the printer and the parser together.
//!
//! (a) Over generated syntax trees: printing (canonical `{}` and pretty `{:#}`) and parsing back
//! gives the same tree with spans ignored, every value keeps its text, and printing is idempotent.
//! (b) Over arbitrary strings, and strings assembled from pieces of the language so that many
//! parse: parsing never panics; whatever parses prints to a filter that parses to the same tree,
//! and printing that again gives the same text; whatever does not parse gets at least one error
//! whose spans lie in the input.

use fimql::ast::{Bound, CmpOp, ExprKind, Field, Form, Predicate, Term, Value};
use fimql::{Expr, Query, Span};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Failures are reported with their minimal input; nothing is written to the source tree.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies for syntax trees
// ---------------------------------------------------------------------------------------------

/// Text for a value: arbitrary Unicode, or text made of the characters that matter to the
/// language (quotes, backslashes, wildcards, brackets, dots, whitespace, control characters).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9 *?\\\\'\"`.:()\\[\\],<>=_\\-\t\n\r\u{0}\u{7}\u{a0}\u{2003}é€😀]{1,12}",
        1 => any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
        1 => prop::sample::select(vec![
            "and", "OR", "Not", "*", "?", "\\", "\\\\", "'", "\"", "`", "..", "a.", ".a", "a..b",
            "=", "=4", ">", "<", "(", ")", "PCI(NJJ)", "x y", "C:\\temp\\", "10.0.0.1",
        ])
        .prop_map(str::to_string),
    ]
}

fn form() -> impl Strategy<Value = Form> {
    prop::sample::select(vec![Form::Backtick, Form::Double, Form::Single, Form::Bare])
}

/// A value built with `Value::new`, with the text it was built from.
fn value() -> impl Strategy<Value = Value> {
    (form(), text()).prop_map(|(form, text)| {
        let v = Value::new(form, &text);
        assert_eq!(v.text(), text, "Value::new({form:?}, {text:?}).text()");
        v
    })
}

fn bound() -> impl Strategy<Value = Bound> {
    prop_oneof![1 => Just(Bound::Open(Span::default())), 4 => value().prop_map(Bound::Value)]
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    prop::sample::select(vec![CmpOp::Gt, CmpOp::Ge, CmpOp::Lt, CmpOp::Le])
}

fn predicate() -> impl Strategy<Value = Predicate> {
    prop_oneof![
        1 => Just(Predicate::Present(Span::default())),
        4 => value().prop_map(Predicate::Value),
        2 => prop::collection::vec(value(), 1..4).prop_map(|vs| Predicate::List(vs, Span::default())),
        2 => prop::collection::vec(value(), 1..4).prop_map(|vs| Predicate::Group(vs, Span::default())),
        2 => (bound(), bound()).prop_map(|(a, b)| Predicate::Range(a, b, Span::default())),
        2 => (cmp_op(), value()).prop_map(|(op, v)| Predicate::Compare(op, v)),
    ]
}

/// A field name: `ident ("." ident)*`, never a keyword on its own.
fn field_name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,6}(\\.[A-Za-z_][A-Za-z0-9_]{0,6}){0,3}".prop_filter(
        "a keyword is not a field",
        |s| {
            !["and", "or", "not"]
                .iter()
                .any(|k| s.eq_ignore_ascii_case(k))
        },
    )
}

fn term() -> impl Strategy<Value = Expr> {
    (field_name(), predicate()).prop_map(|(name, predicate)| Expr {
        kind: ExprKind::Term(Term {
            field: Field {
                name,
                span: Span::default(),
            },
            predicate,
            span: Span::default(),
        }),
        span: Span::default(),
    })
}

fn expr(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

/// Puts a tree in the shape the parser produces: an AND directly under an AND (or OR under OR)
/// is merged into its parent.
fn normalize(e: Expr) -> Expr {
    match e.kind {
        ExprKind::And(xs) => Expr::and(xs.into_iter().map(normalize)).expect("operands"),
        ExprKind::Or(xs) => Expr::or(xs.into_iter().map(normalize)).expect("operands"),
        ExprKind::Not(x) => expr(ExprKind::Not(Box::new(normalize(*x)))),
        kind @ ExprKind::Term(_) => expr(kind),
    }
}

/// Normalized trees: n-ary AND and OR with at least two operands and no operand of their own
/// kind, NOT, and terms of every predicate kind.
fn tree() -> impl Strategy<Value = Query> {
    term()
        .prop_recursive(5, 24, 4, |inner| {
            prop_oneof![
                1 => inner.clone().prop_map(|x| expr(ExprKind::Not(Box::new(x)))),
                2 => prop::collection::vec(inner.clone(), 2..4).prop_map(|xs| expr(ExprKind::And(xs))),
                2 => prop::collection::vec(inner, 2..4).prop_map(|xs| expr(ExprKind::Or(xs))),
            ]
        })
        .prop_map(|e| Query::from(normalize(e)))
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

fn values(q: &Query) -> Vec<Value> {
    let mut out = Vec::new();
    q.expr
        .for_each_term(&mut |t| out.extend(t.predicate.values().into_iter().cloned()));
    out
}

fn parse_ok(src: &str) -> Result<Query, TestCaseError> {
    fimql::parse(src)
        .map_err(|e| TestCaseError::fail(format!("{src:?} does not parse:\n{}", e.render(src))))
}

/// In a canonical filter, the span of every field, term and value covers exactly its printed
/// text, and the span of every node lies within the filter.
fn check_spans(src: &str, e: &Expr) -> Result<(), TestCaseError> {
    prop_assert!(e.span.start <= e.span.end && e.span.end <= src.len());
    match &e.kind {
        ExprKind::And(xs) | ExprKind::Or(xs) => {
            for x in xs {
                check_spans(src, x)?;
            }
        }
        ExprKind::Not(x) => check_spans(src, x)?,
        ExprKind::Term(t) => {
            prop_assert_eq!(&src[t.field.span.start..t.field.span.end], &t.field.name);
            prop_assert_eq!(&src[t.span.start..t.span.end], t.to_string());
            for v in t.predicate.values() {
                prop_assert_eq!(
                    &src[v.span.start..v.span.end],
                    v.to_string(),
                    "in {:?}",
                    src
                );
            }
        }
    }
    Ok(())
}

/// Printing `q` in both forms and parsing back gives `q` again, and printing is idempotent.
fn check_round_trip(q: &Query) -> Result<(), TestCaseError> {
    let flat = q.to_string();
    let back = parse_ok(&flat)?;
    prop_assert!(
        back.eq_ignoring_spans(q),
        "canonical {:?} parses to\n{:?}\nnot\n{:?}",
        flat,
        back.without_spans(),
        q.without_spans()
    );
    prop_assert_eq!(back.to_string(), flat.clone(), "printing is not idempotent");
    check_spans(&flat, &back.expr)?;
    let texts: Vec<String> = values(q).iter().map(Value::text).collect();
    let back_texts: Vec<String> = values(&back).iter().map(Value::text).collect();
    prop_assert_eq!(texts, back_texts);

    let pretty = format!("{q:#}");
    let back = parse_ok(&pretty)?;
    prop_assert!(
        back.eq_ignoring_spans(q),
        "pretty {:?} parses to a different tree",
        pretty
    );
    prop_assert_eq!(
        format!("{back:#}"),
        pretty,
        "pretty printing is not idempotent"
    );
    prop_assert_eq!(back.to_string(), flat);
    Ok(())
}

/// Whatever the input, parsing returns (no panic); success round-trips, failure has an error
/// whose spans lie within the input on character boundaries and renders.
fn check_any(src: &str) -> Result<(), TestCaseError> {
    match fimql::parse(src) {
        Ok(q) => check_round_trip(&q),
        Err(e) => {
            prop_assert!(e.has_errors(), "{:?}: no error among {:?}", src, e);
            for d in e.diagnostics() {
                for s in std::iter::once(d.span).chain(d.labels.iter().map(|l| l.span)) {
                    prop_assert!(
                        s.start <= s.end && s.end <= src.len(),
                        "{:?}: span {:?}",
                        src,
                        s
                    );
                    prop_assert!(src.is_char_boundary(s.start) && src.is_char_boundary(s.end));
                }
                let _ = d.render(src).to_string();
                let _ = d.to_json(src);
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Filter-ish strings
// ---------------------------------------------------------------------------------------------

const PIECES: &[&str] = &[
    "action:",
    "action : ",
    "a.b:",
    "file.fullPath:",
    "severity",
    ">=",
    ">",
    "<",
    "<=",
    " ",
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "AND",
    "and",
    "OR",
    "or",
    "NOT",
    "not",
    "(",
    ")",
    "(",
    ")",
    "[",
    "]",
    "..",
    ",",
    ":",
    "*",
    "?",
    "\\",
    "'",
    "\"",
    "`",
    "=",
    "Create",
    "x",
    "4",
    "now-7d",
    "'2023-01-01'",
    "\"a b\"",
    "`Added`",
    "'C:\\temp\\\\'",
    "PCI(NJJ)",
    "10.0.0.1",
    "a\\*b",
    "x\\ y",
    "é",
    "ANDROID",
    "notes",
    "-",
    ".",
    "[1..5]",
    "[*..'x']",
    "[a, b]",
    "(a OR b)",
];

fn filterish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 1..16).prop_map(|ps| ps.concat())
}

/// Strings that are almost always filters: terms joined by operators, with random spacing.
fn termish() -> impl Strategy<Value = String> {
    let term = prop::sample::select(vec![
        "action:Create",
        "a.b : 'x y'",
        "c:`q\\`r`",
        "d:\"C:\\\\temp\\\\\"",
        "e:[1..5]",
        "f:[ * .. '2023-01-01' ]",
        "g:[a,b , c]",
        "h:(x OR y z)",
        "i:*",
        "severity >= 4",
        "j<'2023'",
        "k:Windows Profile - PCI(NJJ)",
        "l:a\\*b",
        "m:x\\ y",
        "n:10.0.0.1",
        "o:é€",
    ]);
    let op = prop::sample::select(vec![
        " AND ",
        " and ",
        " OR ",
        " or ",
        " AND NOT ",
        " OR not ",
    ]);
    (
        term.clone(),
        prop::collection::vec(
            (
                op,
                prop::sample::select(vec!["", "(", "NOT ", "(NOT "]),
                term,
            ),
            0..6,
        ),
    )
        .prop_map(|(first, rest)| {
            let mut s = first.to_string();
            let mut open = 0;
            for (op, pre, t) in rest {
                s.push_str(op);
                s.push_str(pre);
                open += pre.matches('(').count();
                s.push_str(t);
            }
            s.push_str(&")".repeat(open));
            s
        })
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn generated_trees_round_trip(q in tree()) {
        check_round_trip(&q)?;
    }
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        check_any(&s)?;
    }

    #[test]
    fn filterish_strings_round_trip(s in filterish()) {
        check_any(&s)?;
    }

    #[test]
    fn termish_strings_round_trip(s in termish()) {
        parse_ok(&s)?;
        check_any(&s)?;
    }
}

/// A few of the shapes that the generators produce rarely, checked every time.
#[test]
fn known_tricky_trees_round_trip() {
    for src in [
        "a:[*..*]",
        "a:(x y OR z)",
        "a:((x) OR y)",
        "a:* foo",
        "a:x>y",
        "a>>b",
        "a<>b",
        "a:\\and",
        "a:`\\``",
        "a:'\\\\'",
        "NOT NOT (a:1 OR b:2) AND c:3",
        "a:1 OR (b:2 AND (c:3 OR NOT d:4))",
    ] {
        assert!(fimql::parse(src).is_ok(), "{src:?}");
        check_any(src).unwrap();
    }
}
