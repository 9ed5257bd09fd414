//! A keyword is a whole word: `AND`, `OR` or `NOT` (any case) followed by a `boundary` (the rule
//! of `grammar.md` that states the set), and nothing else, in every position where the parser
//! looks for one.
//!
//! - The cases of the issue (and their neighbours) with the code and exact byte span of the first
//!   diagnostic, conformance-style.
//! - The boundary set stated in `grammar.md` is the set the parser uses: every character is tried
//!   after every keyword in every case, after a quoted value and after a `)`.
//! - A property: a word made of a keyword followed by a character that is not a boundary (`or*`,
//!   `And-x`, `NOT\?`, `and1`) is read like any other word wherever it stands, and never makes an
//!   `And`, `Or` or `Not` node.

use std::path::PathBuf;
use std::process::Command;

use fimql::ast::{ExprKind, Predicate};
use fimql::{Code, Diagnostics, Expr, Query, Span, parse};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

mod common;

// ---------------------------------------------------------------------------------------------
// The cases of the issue
// ---------------------------------------------------------------------------------------------

/// `(filter, code, start, end)`: the filter does not parse, and its first diagnostic has this
/// code and exactly this byte span.
///
/// The spans follow the conventions of the other diagnostics: a word that stands where an
/// operator was expected is spanned whole, up to the first boundary (the caret goes under all of
/// `or*`, not only `or`); a missing operator before a word that does not start a term is
/// reported at that word (before a term that can be read it spans the term, as
/// `action:Create severity:4` does, 14..24).
const ERRORS: &[(&str, &str, usize, usize)] = &[
    // Inside a value group, after a quoted value: `or*` is a word, not `OR`.
    ("action:(`Create` or* x)", "unexpected-token", 17, 20),
    ("action:('Create' Or2)", "unexpected-token", 17, 20),
    (
        "action:(Create OR \"Delete\" or-x)",
        "unexpected-token",
        27,
        31,
    ),
    // After a complete term at the top level: a word that is not an operator.
    ("action:`Create` or* x", "missing-operator", 16, 19),
    ("(action:Create)or* severity:4", "missing-operator", 15, 18),
    ("action:\"Create\" OR? x", "missing-operator", 16, 19),
    ("action:'Create' And-x", "missing-operator", 16, 21),
    (
        "action:[Create, Delete] not\\* x",
        "missing-operator",
        24,
        29,
    ),
    ("severity:[1..5]and1 x", "missing-operator", 15, 19),
    (
        "(action:Create) NOT* severity:4",
        "missing-operator",
        16,
        20,
    ),
    (
        "severity>=4 AND\\x action:Create",
        "missing-operator",
        12,
        17,
    ),
    // At the start: `NOT*` is a word, read as a field name that is not followed by `:`.
    ("NOT* action:Create", "unexpected-token", 3, 4),
    // A keyword followed by `(` is the keyword: where a value should be, it is no value ...
    ("action:or(x)", "expected-value", 7, 9),
    ("action:[Create, AND(x)]", "expected-value", 16, 19),
    // ... and after a bare value it ends the value: `(x)` is then not a term.
    ("action:Create or(x)", "unexpected-token", 18, 19),
];

/// Filters that parse, with their canonical form: the keyword-like words are words.
const VALID: &[(&str, &str)] = &[
    // The bare path already read the issue's filter as one multi-word value.
    ("action:(Create or* x)", "action:(Create or* x)"),
    ("action:Create or* x", "action:Create or* x"),
    ("action:Create OR* x", "action:Create OR* x"),
    ("a:x And-y not\\? z", "a:x And-y not\\? z"),
    (
        "a:[or*, AND-x, not\\?, and1]",
        "a:[or*, AND-x, not\\?, and1]",
    ),
    ("a:[or*..and?]", "a:[or*..and?]"),
    ("a>or*", "a>or*"),
    (
        "ORx:1 AND notes:2 AND not.x:3",
        "ORx:1 AND notes:2 AND not.x:3",
    ),
    // Real keywords, directly followed by a boundary.
    ("a:'x' or(b:1)", "a:'x' OR b:1"),
    ("a:`x`OR(b:1)", "a:`x` OR b:1"),
    ("a:[x]and(b:1)", "a:[x] AND b:1"),
    ("(a:1)or(b:1)", "a:1 OR b:1"),
    ("a:x or(b:1)", "a:x OR b:1"),
    ("NOT(a:1)", "NOT a:1"),
    ("a:('x' or'y')", "a:('x' OR 'y')"),
    ("a:('x'or`y`)", "a:('x' OR `y`)"),
];

fn first(src: &str) -> (Diagnostics, (Code, Span)) {
    match parse(src) {
        Ok(q) => panic!("{src:?} should not parse, got {q}"),
        Err(e) => {
            let d = &e.diagnostics()[0];
            let got = (d.code, d.span);
            (e, got)
        }
    }
}

#[test]
fn issue_cases_have_their_codes_and_spans() {
    let mut wrong = Vec::new();
    for &(src, code, start, end) in ERRORS {
        let (e, got) = first(src);
        let want = (
            Code::from_name(code).expect("a code"),
            Span::new(start, end),
        );
        if got != want {
            wrong.push(format!(
                "{src:?}: want {code} {start}..{end}, got {} {}..{}\n{}",
                got.0,
                got.1.start,
                got.1.end,
                e.render(src)
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn keyword_like_words_are_words() {
    for &(src, canonical) in VALID {
        let q = parse(src).unwrap_or_else(|e| panic!("{src:?} should parse:\n{}", e.render(src)));
        assert_eq!(q.to_string(), canonical, "{src:?}");
    }
}

#[test]
fn the_issue_filter_is_one_value_without_quotes_and_an_error_with_them() {
    // Bare: one value of three words.
    let q = parse("action:(Create or* x)").unwrap();
    let ExprKind::Term(t) = &q.expr.kind else {
        panic!("not a term: {q:?}");
    };
    let Predicate::Group(values, _) = &t.predicate else {
        panic!("not a value group: {t:?}");
    };
    assert_eq!(values.len(), 1);
    assert_eq!(values[0].raw, "Create or* x");
    // Quoted: `or*` is not `OR`, so it cannot follow the value.
    let src = "action:(`Create` or* x)";
    let (e, _) = first(src);
    let d = &e.diagnostics()[0];
    assert_eq!(
        d.message,
        "expected `OR` or `)` in a value group, found `or*`"
    );
    let help = d.help.as_deref().unwrap_or_default();
    assert!(
        help.contains("`or*` is one word, not the keyword `OR`"),
        "{help}"
    );
}

#[test]
fn a_missing_operator_before_a_word_points_at_the_word_and_the_term_before_it() {
    for (src, word, gap) in [
        ("action:`Create` or* x", Span::new(16, 19), 15),
        ("(action:Create)or* severity:4", Span::new(15, 18), 15),
        ("action:'Create' foo* x", Span::new(16, 20), 15),
    ] {
        let (e, _) = first(src);
        assert_eq!(e.diagnostics().len(), 1, "{}", e.render(src));
        let d = &e.diagnostics()[0];
        assert_eq!((d.code, d.span), (Code::MissingOperator, word), "{src:?}");
        assert_eq!(d.labels.len(), 1, "{src:?}");
        assert_eq!(d.labels[0].span, Span::at(gap), "{src:?}");
    }
    // Where a term follows, the missing operator still spans that term and parsing goes on.
    let src = "action:'Create' severity:4 foo:x";
    let (e, _) = first(src);
    let spans: Vec<(Code, Span)> = e.diagnostics().iter().map(|d| (d.code, d.span)).collect();
    assert_eq!(
        spans,
        [
            (Code::MissingOperator, Span::new(16, 26)),
            (Code::MissingOperator, Span::new(27, 32)),
        ]
    );
}

/// Asserts that `rendered` shows `src` on a line and, on the next one, carets under exactly the
/// bytes `start..end` of it.
fn assert_caret(rendered: &str, src: &str, start: usize, end: usize) {
    let lines: Vec<&str> = rendered.lines().collect();
    let found = lines.windows(2).any(|w| {
        let Some(at) = w[0].strip_suffix(src).map(str::len) else {
            return false;
        };
        let carets: Vec<usize> = w[1]
            .char_indices()
            .filter(|&(_, c)| c == '^')
            .map(|(i, _)| i)
            .collect();
        carets == (at + start..at + end).collect::<Vec<_>>()
    });
    assert!(
        found,
        "no carets under {start}..{end} of {src:?} in:\n{rendered}"
    );
}

#[test]
fn the_caret_is_under_the_whole_word() {
    let src = "action:(`Create` or* x)";
    let (e, _) = first(src);
    assert_caret(&e.render(src), src, 17, 20);
}

#[test]
fn fmt_reports_the_word_with_a_caret_under_it() {
    let src = "action:(`Create` or* x)";
    let o = Command::new(env!("CARGO_BIN_EXE_fimql"))
        .args(["fmt", src])
        .output()
        .expect("run fimql");
    assert_ne!(common::code(&o), 0);
    assert!(common::stdout(&o).is_empty(), "{}", common::stdout(&o));
    let err = common::stderr(&o);
    assert!(err.contains("unexpected-token"), "{err}");
    assert_caret(&err, src, 17, 20);
}

// ---------------------------------------------------------------------------------------------
// The boundary set of grammar.md is the parser's
// ---------------------------------------------------------------------------------------------

/// One alternative of grammar.md's `boundary` rule.
#[derive(Debug, PartialEq, Eq)]
enum Alt {
    /// `white`: any Unicode whitespace.
    White,
    /// `EOF`: the end of the filter.
    Eof,
    /// A quoted literal.
    Text(String),
}

/// The alternatives of the `boundary` rule of grammar.md's EBNF (the one place that states
/// the set).
fn stated_boundaries() -> Vec<Alt> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("grammar.md");
    let md = std::fs::read_to_string(&path).expect("grammar.md");
    let ebnf = md
        .split("```ebnf")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("grammar.md has an ebnf block");
    let rule: Vec<&str> = ebnf
        .lines()
        .filter(|l| {
            l.split_once('=')
                .is_some_and(|(lhs, _)| lhs.trim() == "boundary")
        })
        .collect();
    assert_eq!(rule.len(), 1, "one `boundary` rule in the EBNF: {rule:?}");
    let rhs = rule[0].split_once('=').unwrap().1.trim();
    let rhs = rhs
        .strip_suffix(';')
        .expect("the rule ends with `;`")
        .trim();
    rhs.split('|')
        .map(str::trim)
        .map(|alt| match alt {
            "white" => Alt::White,
            "EOF" => Alt::Eof,
            _ => {
                let quoted = (alt.starts_with('"') && alt.ends_with('"'))
                    || (alt.starts_with('\'') && alt.ends_with('\''));
                assert!(quoted && alt.len() >= 3, "unknown alternative `{alt}`");
                Alt::Text(alt[1..alt.len() - 1].to_string())
            }
        })
        .collect()
}

/// Whether the stated set makes `rest` (what follows the keyword's letters) a boundary.
fn stated_boundary(set: &[Alt], rest: &str) -> bool {
    set.iter().any(|alt| match alt {
        Alt::White => rest.chars().next().is_some_and(char::is_whitespace),
        Alt::Eof => rest.is_empty(),
        Alt::Text(t) => rest.starts_with(t.as_str()),
    })
}

/// What the parser makes of a filter, for comparisons: "parses", or the code and span of each
/// diagnostic and its labels.
fn outcome(src: &str) -> Result<(), Vec<(Code, Span, Vec<Span>)>> {
    match parse(src) {
        Ok(_) => Ok(()),
        Err(e) => Err(e
            .diagnostics()
            .iter()
            .map(|d| (d.code, d.span, d.labels.iter().map(|l| l.span).collect()))
            .collect()),
    }
}

/// Whether the parser reads the keyword at the start of `word_and_rest`, placed after a
/// complete term (`before`): the outcome differs from that of a plain word of the same length
/// in its place (a word is never an operator there, and is reported at its own start).
fn reads_keyword(before: &str, keyword: &str, rest: &str) -> bool {
    let plain = "z".repeat(keyword.len());
    outcome(&format!("{before}{keyword}{rest}")) != outcome(&format!("{before}{plain}{rest}"))
}

#[test]
fn the_boundary_set_of_grammar_md_is_the_parsers() {
    let set = stated_boundaries();
    // The set the issue and language.md give, in grammar.md's terms.
    let mut texts: Vec<&str> = set
        .iter()
        .filter_map(|a| match a {
            Alt::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    texts.sort_unstable();
    assert_eq!(
        texts,
        ["\"", "'", "(", ")", ",", "..", ":", "[", "]", "`"],
        "grammar.md's boundary rule"
    );
    assert!(set.contains(&Alt::White) && set.contains(&Alt::Eof));

    // Every ASCII character, whitespace of other kinds, and other characters.
    let mut chars: Vec<char> = (0u8..128).map(char::from).collect();
    chars.extend([
        '\u{85}', '\u{a0}', '\u{2003}', '\u{2028}', '\u{3000}', // whitespace
        '\u{200b}', 'é', 'ß', '∗', '🙂', // not whitespace
    ]);
    let mut rests: Vec<String> = vec![String::new(), "..y:1".into(), ". y:1".into()];
    rests.extend(chars.iter().map(|c| format!("{c}y:1")));

    let mut wrong = Vec::new();
    for keyword in [
        "and", "AND", "And", "aNd", "or", "OR", "Or", "oR", "not", "NOT", "Not", "nOT",
    ] {
        for rest in &rests {
            let want = stated_boundary(&set, rest);
            for before in ["a:'x' ", "(a:1)"] {
                if reads_keyword(before, keyword, rest) != want {
                    wrong.push(format!(
                        "{:?}: the keyword is {}read, grammar.md says it is {}one",
                        format!("{before}{keyword}{rest}"),
                        if want { "not " } else { "" },
                        if want { "" } else { "not " },
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The property: a keyword followed by a non-boundary character is a word, everywhere
// ---------------------------------------------------------------------------------------------

/// Filters with one place `%W%` for the word, in every position where the parser looks for a
/// keyword: at the start, after bare, quoted, backtick and bracketed values and comparisons,
/// after `)`, after an operator, inside parenthesised groups, value groups, lists and ranges.
/// No `z` appears in them (the plain word of the comparison is made of `z`s).
const TEMPLATES: &[&str] = &[
    // At the start and after NOT.
    "%W%",
    "%W% a:1",
    "%W%:1",
    "%W% AND a:1",
    "%W% or a:1",
    "NOT %W%",
    "NOT %W%:1",
    "NOT NOT %W% a:1",
    // After a bare value.
    "a:x %W%",
    "a:x %W% y",
    "a:x %W% b:1",
    "a:x %W% OR b:1",
    "a:x y %W%",
    // After quoted values.
    "a:'x' %W% y",
    "a:'x'%W%",
    "a:\"x\" %W% b:1",
    "a:\"x\"%W% or b:1",
    // After backtick values.
    "action:`Create` %W% x",
    "a:`x`%W% b:1",
    // After bracketed values.
    "a:[x,y] %W% b:1",
    "a:[x]%W%",
    "a:[1..2]%W% b:1",
    "a:[1 .. 2] %W%",
    // After comparisons.
    "a>1 %W% b:2",
    "a>=1%W%",
    // After `)`.
    "(a:1) %W% b:1",
    "(a:1)%W% b:1",
    "(a:1 OR b:2)%W%",
    "NOT (a:1) %W%",
    "((a:1))%W%",
    // After an operator.
    "a:1 AND %W%",
    "a:1 and %W% b:2",
    "a:1 OR %W%",
    "a:1 or NOT %W%",
    // Inside parenthesised groups.
    "(a:1 %W%)",
    "(%W% a:1)",
    "(%W%)",
    "(a:1 AND %W%)",
    "(a:1 OR %W% b:2)",
    "((a:1) %W%)",
    "(a:'x' %W%)",
    // Inside value groups.
    "a:(x %W% y)",
    "a:(x %W%)",
    "a:('x' %W% y)",
    "a:(\"x\"%W%)",
    "action:(`Create` %W% x)",
    "a:(x OR %W%)",
    "a:(x or %W% y)",
    "a:(%W% OR y)",
    "a:(%W%)",
    "a:( %W% )",
    // Inside lists and ranges, and after comparison operators.
    "a:[x, %W%]",
    "a:[%W%]",
    "a:[%W%, y]",
    "a:[ %W% ,y]",
    "a:[x %W%]",
    "a:[%W%..w]",
    "a:[w .. %W%]",
    "a>%W%",
    "a <= %W%",
    // A value in its own right.
    "a:%W%",
    "a: %W% b",
];

/// A character that is not a boundary: `*`, `?`, letters, digits, `-`, `\` (which escapes the
/// character after it), and others. No `z` (see `TEMPLATES`).
fn non_boundary() -> impl Strategy<Value = char> {
    prop_oneof![
        Just('*'),
        Just('?'),
        Just('-'),
        Just('\\'),
        Just('_'),
        Just('!'),
        Just('='),
        Just('<'),
        Just('>'),
        Just('@'),
        Just('#'),
        Just('é'),
        Just('\u{200b}'),
        prop::char::range('a', 'y'),
        prop::char::range('A', 'Z'),
        prop::char::range('0', '9'),
    ]
}

/// A keyword in any case, a non-boundary character, and a tail of word characters (never `z`).
/// A `.` is not a boundary when a character other than `.` follows it, so `and.x` is included.
fn keyword_word() -> impl Strategy<Value = (String, String)> {
    let keyword = prop_oneof![Just("and"), Just("or"), Just("not")];
    let cases = prop::collection::vec(any::<bool>(), 3);
    let next = prop_oneof![
        4 => non_boundary().prop_map(String::from),
        1 => "[a-y]".prop_map(|c| format!(".{c}")),
    ];
    let tail = "[a-y0-9*?\\-]{0,3}";
    (keyword, cases, next, tail).prop_map(|(k, cases, next, tail)| {
        let letters: String = k
            .chars()
            .zip(cases)
            .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
            .collect();
        (letters, format!("{next}{tail}"))
    })
}

/// The number of operator nodes (`AND`/`OR` joins and `NOT`s) of a tree.
fn operators(e: &Expr) -> usize {
    match &e.kind {
        ExprKind::And(xs) | ExprKind::Or(xs) => {
            xs.len() - 1 + xs.iter().map(operators).sum::<usize>()
        }
        ExprKind::Not(x) => 1 + operators(x),
        ExprKind::Term(_) => 0,
    }
}

/// Whether some `And`, `Or` or `Not` node of the tree could have been made by a keyword at
/// byte `at`: a `NOT` starting there, or an `AND`/`OR` with `at` between two operands.
fn operator_at(e: &Expr, at: usize) -> bool {
    match &e.kind {
        ExprKind::And(xs) | ExprKind::Or(xs) => {
            xs.windows(2)
                .any(|w| w[0].span.end <= at && at < w[1].span.start)
                || xs.iter().any(|x| operator_at(x, at))
        }
        ExprKind::Not(x) => e.span.start == at || operator_at(x, at),
        ExprKind::Term(_) => false,
    }
}

/// Whether the bytes `span` lie inside one term (its field name or its value).
fn inside_a_term(e: &Expr, span: Span) -> bool {
    let mut found = false;
    e.for_each_term(&mut |t| {
        found |= t.span.start <= span.start && span.end <= t.span.end;
    });
    found
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Failures are reported with their minimal input; nothing is written to the source tree.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    }
}

fn check_word(letters: &str, rest: &str) -> Result<(), TestCaseError> {
    let word = format!("{letters}{rest}");
    let plain_letters = "z".repeat(letters.len());
    let plain = format!("{plain_letters}{rest}");
    for template in TEMPLATES {
        let at = template.find("%W%").expect("a place for the word");
        let src = template.replace("%W%", &word);
        let control = template.replace("%W%", &plain);
        let span = Span::new(at, at + word.len());
        match (parse(&src), parse(&control)) {
            (Ok(q), Ok(c)) => {
                // No operator made by the word: where it stands, the tree has none...
                prop_assert!(
                    !operator_at(&q.expr, at),
                    "{src:?}: an operator at the word: {q}"
                );
                // ... and it is part of a term (a value, or a field name at the start).
                prop_assert!(
                    inside_a_term(&q.expr, span),
                    "{src:?}: the word is not inside a term: {q}"
                );
                // It is read exactly like a plain word: same tree, spans and warnings.
                let same = |q: &Query| format!("{q:?}").replace(&plain_letters, letters);
                prop_assert_eq!(
                    format!("{q:?}"),
                    same(&c),
                    "{:?} and {:?} are read differently",
                    src,
                    control
                );
                prop_assert_eq!(operators(&q.expr), operators(&c.expr));
            }
            (Err(_), Err(_)) => {
                prop_assert_eq!(
                    outcome(&src),
                    outcome(&control),
                    "{:?} and {:?} get different diagnostics",
                    src,
                    control
                );
            }
            (q, c) => {
                return Err(TestCaseError::fail(format!(
                    "{src:?} gives {:?}, {control:?} gives {:?}",
                    q.map(|q| q.to_string()),
                    c.map(|c| c.to_string())
                )));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(400))]

    /// A keyword followed by a character that is not a boundary is never read as the keyword,
    /// in any position: the filter fails (exactly as it would with a plain word there) or gives a
    /// tree where the word is inside a term and no `And`, `Or` or `Not` node stands for it.
    #[test]
    fn a_keyword_followed_by_a_non_boundary_is_a_word((letters, rest) in keyword_word()) {
        check_word(&letters, &rest)?;
    }
}

#[test]
fn the_property_holds_for_the_issue_words() {
    for (letters, rest) in [
        ("or", "*"),
        ("OR", "*"),
        ("Or", "?"),
        ("and", "-x"),
        ("AND", "\\x"),
        ("And", "1"),
        ("not", "\\?"),
        ("NOT", "*"),
        ("nOt", "x"),
        ("or", ".x"),
    ] {
        check_word(letters, rest).unwrap_or_else(|e| panic!("{letters}{rest}: {e}"));
    }
}
