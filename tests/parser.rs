//! Unit tests of the parser: what each input means (tree, canonical form, spans) or which
//! diagnostic it gets, and how diagnostics render.

use fimql::ast::{Bound, CmpOp, ExprKind, Form, Piece, Predicate, Term, Value};
use fimql::{Code, Diagnostic, Diagnostics, Expr, Options, Query, Span, parse};
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn ok(src: &str) -> Query {
    parse(src).unwrap_or_else(|e| panic!("{src:?} should parse:\n{}", e.render(src)))
}

fn canonical(src: &str) -> String {
    ok(src).to_string()
}

fn err(src: &str) -> Diagnostics {
    match parse(src) {
        Ok(q) => panic!("{src:?} should not parse, got {q}"),
        Err(e) => e,
    }
}

/// The first diagnostic of a filter that does not parse.
fn diag(src: &str) -> Diagnostic {
    let e = err(src);
    assert!(e.has_errors());
    e.diagnostics()[0].clone()
}

fn code(src: &str) -> &'static str {
    diag(src).code.as_str()
}

fn term(e: &Expr) -> &Term {
    match &e.kind {
        ExprKind::Term(t) => t,
        other => panic!("not a term: {other:?}"),
    }
}

/// The single value of a one-term filter `field:value`.
fn value(src: &str) -> Value {
    let q = ok(src);
    match &term(&q.expr).predicate {
        Predicate::Value(v) => v.clone(),
        other => panic!("{src:?}: not a single value: {other:?}"),
    }
}

fn operands(e: &Expr) -> &[Expr] {
    match &e.kind {
        ExprKind::And(xs) | ExprKind::Or(xs) => xs,
        other => panic!("not AND/OR: {other:?}"),
    }
}

fn slice(src: &str, s: Span) -> &str {
    &src[s.start..s.end]
}

// ---------------------------------------------------------------------------------------------
// Keywords
// ---------------------------------------------------------------------------------------------

#[test]
fn keywords_are_case_insensitive() {
    for (and, or, not) in [
        ("AND", "OR", "NOT"),
        ("and", "or", "not"),
        ("And", "Or", "Not"),
        ("aNd", "oR", "nOt"),
    ] {
        let src = format!("a:1 {and} {not} b:2 {or} c:3");
        assert_eq!(canonical(&src), "(a:1 AND NOT b:2) OR c:3", "{src:?}");
    }
}

#[test]
fn keywords_are_whole_words() {
    // `ANDROID` and `notes` are words, not keywords: field names and parts of values.
    assert_eq!(canonical("notes:x"), "notes:x");
    assert_eq!(canonical("NOT notes:x"), "NOT notes:x");
    assert_eq!(canonical("ANDROID:x OR oregon:y"), "ANDROID:x OR oregon:y");
    assert_eq!(value("platform:ANDROID").raw, "ANDROID");
    assert_eq!(value("a:Create ANDROID").raw, "Create ANDROID");
    assert_eq!(value("a:x ORx nothing").raw, "x ORx nothing");
    // A keyword glued to a parenthesis is still a keyword.
    assert_eq!(canonical("NOT(a:1)AND(b:2)"), "NOT a:1 AND b:2");
    // `ANDROID:x` after a term is a second term, not an AND.
    assert_eq!(code("action:Create ANDROID:x"), "missing-operator");
}

#[test]
fn a_keyword_is_not_a_field_or_a_bare_value() {
    assert_eq!(code("and:1"), "expected-term");
    assert_eq!(code("action:AND"), "expected-value");
    assert_eq!(code("action:not"), "expected-value");
    assert_eq!(code("action:[Or]"), "expected-value");
    assert_eq!(code("severity>and"), "expected-value");
    let d = diag("action:AND");
    assert_eq!(d.span, Span::new(7, 10));
    assert_eq!(d.help.as_deref(), Some("quote it to mean the word: 'AND'"));
    // Quoted, it is a value; dotted, a field.
    assert_eq!(value("action:'AND'").text(), "AND");
    assert_eq!(canonical("not.x:1"), "not.x:1");
}

// ---------------------------------------------------------------------------------------------
// Value forms and escapes
// ---------------------------------------------------------------------------------------------

#[test]
fn the_four_value_forms() {
    let v = value("file.attribute.hidden:`Added`");
    assert_eq!((v.form, v.raw.as_str()), (Form::Backtick, "Added"));
    let v = value(r#"file.name:"Windows\System32""#);
    assert_eq!(
        (v.form, v.raw.as_str()),
        (Form::Double, r"Windows\System32")
    );
    let v = value("action:'Create'");
    assert_eq!((v.form, v.raw.as_str()), (Form::Single, "Create"));
    let v = value("asset.name:DESKTOP*");
    assert_eq!((v.form, v.raw.as_str()), (Form::Bare, "DESKTOP*"));
    assert!(v.has_wildcards());
    assert_eq!(
        v.pattern(),
        vec![Piece::Literal("DESKTOP".into()), Piece::Star]
    );
    assert_eq!(value("a:now-7d").raw, "now-7d");
    assert_eq!(value("severity:4").raw, "4");
    // Quoted wildcards are literal.
    assert!(!value("a:'DESKTOP*'").has_wildcards());
    assert_eq!(
        value("a:x?z").pattern(),
        vec![
            Piece::Literal("x".into()),
            Piece::One,
            Piece::Literal("z".into())
        ]
    );
}

#[test]
fn quoted_escapes() {
    // `\` before anything but the quote or `\` is kept: a Windows path needs no doubling.
    let v = value(r"file.fullPath:'C:\Windows\System32'");
    assert_eq!(v.raw, r"C:\Windows\System32");
    assert_eq!(v.text(), r"C:\Windows\System32");
    // `\"` holds a double quote.
    let v = value(r#"a:"a\"b""#);
    assert_eq!(v.raw, r#"a\"b"#);
    assert_eq!(v.text(), r#"a"b"#);
    // `\\` is one backslash, so a value can end with one.
    let v = value(r#"file.fullPath:"C:\temp\\""#);
    assert_eq!(v.text(), r"C:\temp\");
    // Each quote escapes only itself.
    assert_eq!(value(r#"a:'it\'s "x"'"#).text(), r#"it's "x""#);
    assert_eq!(value(r"a:`\`b\``").text(), "`b`");
    assert_eq!(value(r#"a:'say \"hi\"'"#).text(), r#"say \"hi\""#);
    assert_eq!(value(r"a:'\\\\'").text(), r"\\");
    // Quotes keep whitespace, other quotes and special characters as they are.
    assert_eq!(value("a:' x  y '").text(), " x  y ");
    assert_eq!(value("a:\"[1..5], (b) : `c`\"").text(), "[1..5], (b) : `c`");
    assert_eq!(value("a:'line\nbreak'").text(), "line\nbreak");
    assert_eq!(value("a:'é€😀'").text(), "é€😀");
}

#[test]
fn a_value_ending_in_one_backslash_is_unterminated_and_the_help_says_double_it() {
    let src = r#"file.fullPath:"C:\temp\""#;
    let d = diag(src);
    assert_eq!(d.code, Code::UnterminatedString);
    assert_eq!(d.span, Span::new(14, src.len()));
    let help = d.help.unwrap();
    assert!(help.contains(r#"write `\\"`"#), "{help}");

    // The same mistake followed by more of the filter: the label points at the escaped quote.
    let src = r#"file.fullPath:"C:\temp\" AND action:Create"#;
    let d = diag(src);
    assert_eq!(d.code, Code::UnterminatedString);
    assert_eq!(slice(src, d.labels[0].span), r#"\""#);
    assert!(d.help.unwrap().contains(r#"`\\"`"#));

    // Without an escaped quote the help just asks for the closing quote.
    let d = diag("action:`Create");
    assert_eq!(d.span, Span::new(7, 14));
    assert_eq!(d.help.as_deref(), Some("add the closing ```"));
    assert_eq!(code("a:'abc"), "unterminated-string");
    assert_eq!(code("a:\"abc"), "unterminated-string");
}

#[test]
fn bare_escapes() {
    let v = value(r"a:a\*b");
    assert_eq!(v.raw, r"a\*b");
    assert_eq!(v.text(), "a*b");
    assert!(!v.has_wildcards());
    assert_eq!(v.pattern(), vec![Piece::Literal("a*b".into())]);
    let v = value(r"a:x\ y");
    assert_eq!(v.raw, r"x\ y");
    assert_eq!(v.text(), "x y");
    // Any character can be escaped, including the ones that end a word.
    assert_eq!(value(r"a:\(x\)\:\,\[\]").text(), "(x):,[]");
    assert_eq!(value(r"a:\'q\'").text(), "'q'");
    assert_eq!(
        value(r"a:DESKTOP-FR23SL8\\Administrator").text(),
        r"DESKTOP-FR23SL8\Administrator"
    );
    assert_eq!(value(r"a:\and").text(), "and");
    // A `\` at the very end of the filter escapes nothing.
    let d = diag(r"file.name:abc\");
    assert_eq!(d.code, Code::DanglingEscape);
    assert_eq!(d.span, Span::new(13, 14));
    assert_eq!(code(r"a:[x\"), "dangling-escape");
}

#[test]
fn bare_words_and_where_they_end() {
    // Balanced parentheses belong to the word; dots that are not `..` too.
    assert_eq!(value("a:PCI(NJJ)").raw, "PCI(NJJ)");
    assert_eq!(value("a:f(g(h))i").raw, "f(g(h))i");
    assert_eq!(value("asset.ip:10.0.0.1").raw, "10.0.0.1");
    assert_eq!(value("a:x.").raw, "x.");
    // Comparison characters do not end a bare word.
    assert_eq!(value("a:x>y=z").raw, "x>y=z");
    // A `)` that closes nothing ends the word (it closes the group around the term).
    assert_eq!(canonical("(a:x)"), "a:x");
    assert_eq!(canonical("(a:PCI(NJJ))"), "a:PCI(NJJ)");
    // Quotes, brackets and commas end a word.
    assert_eq!(code("a:x'y'"), "unexpected-token");
    assert_eq!(code("a:x[1]"), "unexpected-token");
    // `..` ends a bare word everywhere: outside a range that is an error (quote the value).
    let d = diag("file.name:a..b");
    assert_eq!(d.code, Code::UnexpectedToken);
    assert_eq!(d.span, Span::new(11, 14));
    assert!(d.help.unwrap().contains("quote"));
    assert_eq!(value("file.name:'a..b'").text(), "a..b");
    assert_eq!(value(r"file.name:a\..b").text(), "a..b");
    // `:` ends a bare word, so a time must be quoted.
    let d = diag("dateTime:2023-01-01T10:00:00Z");
    assert_eq!(d.code, Code::UnexpectedToken);
    assert_eq!(d.span.start, 22);
    assert!(d.help.unwrap().contains("dateTime:'2023-01-01T10:00:00Z'"));
}

#[test]
fn empty_values_are_errors_in_every_form() {
    for (src, at) in [
        ("action:", 7),
        ("action:``", 7),
        ("action:''", 7),
        ("action:\"\"", 7),
        ("action: ", 8),
        ("action:)", 7),
        ("action:[]", 8),
        ("action:()", 8),
    ] {
        let d = diag(src);
        assert_eq!(d.code, Code::ExpectedValue, "{src:?}");
        assert_eq!(d.span.start, at, "{src:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Multi-word bare values
// ---------------------------------------------------------------------------------------------

#[test]
fn multi_word_bare_values() {
    let v = value("profiles.name: Windows Profile - PCI(NJJ)");
    assert_eq!(v.raw, "Windows Profile - PCI(NJJ)");
    assert_eq!(v.form, Form::Bare);
    // Words are joined by single spaces whatever separated them.
    let q = ok("asset.tagNames:  cloud \t agent\n and action:Create");
    let t = term(&operands(&q.expr)[0]);
    assert_eq!(t.predicate.values()[0].raw, "cloud agent");
    assert_eq!(
        q.to_string(),
        "asset.tagNames:cloud agent AND action:Create"
    );
    // Escapes inside the words are kept.
    assert_eq!(value(r"a:x\:y z\*").raw, r"x\:y z\*");
}

#[test]
fn multi_word_bare_values_stop_before_the_next_term() {
    // Before a keyword in any case.
    for src in ["a:x y AND b:1", "a:x y and b:1", "a:x y Or b:1"] {
        let q = ok(src);
        assert_eq!(term(&operands(&q.expr)[0]).predicate.values()[0].raw, "x y");
    }
    assert_eq!(code("a:x y NOT b:1"), "missing-operator");
    // Before a word followed by `:` (with or without spaces): the next term, missing its operator.
    for (src, at) in [("a:x y:1", 4), ("a:x y :1", 4), ("a:x y.z:1", 4)] {
        let d = diag(src);
        assert_eq!(d.code, Code::MissingOperator, "{src:?}");
        assert_eq!(d.span.start, at, "{src:?}");
    }
    // Before a comparison (`severity>=4` is a term, not a word of the value).
    for src in ["a:x severity>=4", "a:x severity >= 4", "a:x y<'2023'"] {
        assert_eq!(code(src), "missing-operator", "{src:?}");
    }
    // Before a word that starts with `(`.
    assert_eq!(code("action:Create (severity:4)"), "missing-operator");
    // Before the `)` of the group around the term.
    let q = ok("(a:x y) AND b:1");
    assert_eq!(term(&operands(&q.expr)[0]).predicate.values()[0].raw, "x y");
    // Before a quote, `[`, `,`: those are errors.
    assert_eq!(code("a:x 'y'"), "unexpected-token");
    // A `*` starts a bare value like any word.
    assert_eq!(value("a:* foo").raw, "* foo");
}

#[test]
fn inside_brackets_and_comparisons_a_bare_value_is_one_word() {
    assert_eq!(code("a:[x y]"), "unexpected-token");
    assert_eq!(code("a:[x y..z]"), "unexpected-token");
    assert_eq!(code("severity>=4 5"), "unexpected-token");
    // In a value group, values may be several words.
    let q = ok("a:(Windows Profile OR cloud agent)");
    assert_eq!(q.to_string(), "a:(Windows Profile OR cloud agent)");
}

// ---------------------------------------------------------------------------------------------
// Ranges, lists, value groups, comparisons, presence
// ---------------------------------------------------------------------------------------------

fn predicate(src: &str) -> Predicate {
    term(&ok(src).expr).predicate.clone()
}

#[test]
fn ranges() {
    let Predicate::Range(Bound::Value(lo), Bound::Value(hi), _) = predicate("severity:[1..5]")
    else {
        panic!()
    };
    assert_eq!((lo.raw.as_str(), hi.raw.as_str()), ("1", "5"));
    let Predicate::Range(Bound::Value(lo), Bound::Value(hi), _) =
        predicate("dateTime:[2023-01-01..2023-02-01]")
    else {
        panic!()
    };
    assert_eq!(
        (lo.raw.as_str(), hi.raw.as_str()),
        ("2023-01-01", "2023-02-01")
    );
    assert_eq!(
        canonical("dateTime : ['2017-01-01T05:33:34' .. '2017-01-31T05:33:34']"),
        "dateTime:['2017-01-01T05:33:34'..'2017-01-31T05:33:34']"
    );
    assert_eq!(canonical("a:[ 1 .. `5` ]"), "a:[1..`5`]");
    assert_eq!(canonical("a:[\n1\n..\n5\n]"), "a:[1..5]");
}

#[test]
fn ranges_with_open_bounds() {
    assert!(matches!(
        predicate("dateTime:[ * .. '2023-01-01' ]"),
        Predicate::Range(Bound::Open(_), Bound::Value(_), _)
    ));
    assert!(matches!(
        predicate("severity:[4..*]"),
        Predicate::Range(Bound::Value(_), Bound::Open(_), _)
    ));
    assert!(matches!(
        predicate("severity:[*..*]"),
        Predicate::Range(Bound::Open(_), Bound::Open(_), _)
    ));
    // A quoted or escaped star is a value, not an open end.
    assert!(matches!(
        predicate("a:['*'..\\*]"),
        Predicate::Range(Bound::Value(_), Bound::Value(_), _)
    ));
    assert_eq!(
        canonical("dateTime:[ * .. '2023-01-01' ]"),
        "dateTime:[*..'2023-01-01']"
    );
}

#[test]
fn range_errors() {
    let d = diag("severity:[1..]");
    assert_eq!((d.code, d.span.start), (Code::ExpectedValue, 13));
    assert_eq!(code("severity:[..5]"), "expected-value");
    assert_eq!(code("severity:[1..5..6]"), "unexpected-token");
    assert_eq!(code("severity:[1..5, 6]"), "unexpected-token");
    let d = diag("severity:[1..5");
    assert_eq!(d.code, Code::UnclosedBracket);
    assert_eq!(d.span, Span::new(9, 10));
    assert_eq!(d.labels[0].span, Span::at(14));
}

#[test]
fn lists() {
    let Predicate::List(vs, _) = predicate("action:[Create, 'Delete',\"Rename\" , `Content`]")
    else {
        panic!()
    };
    let forms: Vec<Form> = vs.iter().map(|v| v.form).collect();
    assert_eq!(
        forms,
        [Form::Bare, Form::Single, Form::Double, Form::Backtick]
    );
    assert_eq!(
        canonical("action:[Create,Delete]"),
        "action:[Create, Delete]"
    );
    assert_eq!(canonical("action:[ Create ]"), "action:[Create]");
    let d = diag("action:[Create, ]");
    assert_eq!((d.code, d.span.start), (Code::ExpectedValue, 16));
    assert_eq!(code("action:[Create,,Delete]"), "expected-value");
    assert_eq!(code("action:[*, Create]"), "expected-value");
    assert_eq!(code("action:[Create, *]"), "expected-value");
    assert_eq!(code("action:[Create"), "unclosed-bracket");
    assert_eq!(code("action:[Create,"), "expected-value");
    assert_eq!(code("action:[Create Delete]"), "unexpected-token");
}

#[test]
fn value_groups() {
    let Predicate::Group(vs, span) = predicate("action:( Create or 'Delete' OR `Rename` )") else {
        panic!()
    };
    assert_eq!(vs.len(), 3);
    assert_eq!(span, Span::new(7, 41));
    assert_eq!(
        canonical("action:(Create or Delete)"),
        "action:(Create OR Delete)"
    );
    assert_eq!(canonical("action:(Create)"), "action:(Create)");
    // Values of a group may be several words, and may hold balanced parentheses.
    assert_eq!(
        canonical("profiles.name:(Windows Profile - PCI(NJJ) OR Linux)"),
        "profiles.name:(Windows Profile - PCI(NJJ) OR Linux)"
    );
    let d = diag("action:(Create AND Delete)");
    assert_eq!(d.code, Code::UnexpectedToken);
    assert!(d.help.unwrap().contains("field:a AND field:b"));
    assert_eq!(code("action:(Create OR *)"), "expected-value");
    assert_eq!(code("action:(Create OR )"), "expected-value");
    let d = diag("action:(Create OR Delete");
    assert_eq!((d.code, d.span), (Code::UnclosedParen, Span::new(7, 8)));
}

#[test]
fn comparisons() {
    for (src, op, raw) in [
        ("severity>4", CmpOp::Gt, "4"),
        ("severity >= 4", CmpOp::Ge, "4"),
        ("severity\t<\t4", CmpOp::Lt, "4"),
        ("severity<=4", CmpOp::Le, "4"),
        ("dateTime>=now-7d", CmpOp::Ge, "now-7d"),
        ("dateTime < '2023-01-01'", CmpOp::Lt, "2023-01-01"),
    ] {
        let Predicate::Compare(o, v) = predicate(src) else {
            panic!("{src:?}")
        };
        assert_eq!((o, v.raw.as_str()), (op, raw), "{src:?}");
    }
    assert_eq!(canonical("severity >= 4"), "severity>=4");
    assert_eq!(
        canonical("dateTime < '2023-01-01'"),
        "dateTime<'2023-01-01'"
    );
    let d = diag("severity>*");
    assert_eq!((d.code, d.span), (Code::ExpectedValue, Span::new(9, 10)));
    assert!(d.help.unwrap().contains("severity:*"));
    let d = diag("severity=4");
    assert_eq!((d.code, d.span.start), (Code::UnexpectedToken, 8));
    assert!(d.help.unwrap().contains("`>`, `>=`, `<`, `<=`"));
    assert_eq!(code("severity!=4"), "unexpected-token");
    assert_eq!(code("severity>="), "expected-value");
    assert_eq!(code("severity"), "unexpected-token");
}

#[test]
fn a_space_inside_a_comparison_operator_is_kept() {
    // `> =4` is `>` and the bare value `=4`; printing it as `>=4` would change its meaning.
    let Predicate::Compare(op, v) = predicate("a> =b") else {
        panic!()
    };
    assert_eq!((op, v.raw.as_str()), (CmpOp::Gt, "=b"));
    assert_eq!(canonical("a> =b"), "a> =b");
    assert_eq!(canonical("a < =b"), "a< =b");
    assert_eq!(canonical("a>==b"), "a>==b");
    assert_eq!(canonical("a>\\=b"), "a>\\=b");
}

#[test]
fn presence() {
    assert!(matches!(predicate("file.hash:*"), Predicate::Present(_)));
    assert!(matches!(predicate("file.hash: *"), Predicate::Present(_)));
    assert_eq!(canonical("NOT file.hash : *"), "NOT file.hash:*");
    // A quoted or escaped star is a value.
    assert_eq!(value("a:'*'").text(), "*");
    let v = value(r"a:\*");
    assert_eq!(v.text(), "*");
    assert!(!v.has_wildcards());
    assert!(value("a:**").has_wildcards());
}

// ---------------------------------------------------------------------------------------------
// Precedence, flattening, canonical form
// ---------------------------------------------------------------------------------------------

#[test]
fn precedence() {
    // NOT binds tighter than AND, AND tighter than OR.
    let q = ok("a:1 OR b:2 AND c:3");
    let xs = operands(&q.expr);
    assert!(matches!(q.expr.kind, ExprKind::Or(_)));
    assert!(matches!(xs[1].kind, ExprKind::And(_)));
    assert_eq!(q.to_string(), "a:1 OR (b:2 AND c:3)");

    let q = ok("NOT a:1 AND b:2");
    assert!(matches!(operands(&q.expr)[0].kind, ExprKind::Not(_)));
    assert_eq!(q.to_string(), "NOT a:1 AND b:2");

    for (input, out) in [
        ("a:1 AND b:2 OR c:3", "(a:1 AND b:2) OR c:3"),
        ("a:1 OR b:2 AND c:3 OR d:4", "a:1 OR (b:2 AND c:3) OR d:4"),
        ("(a:1 OR b:2) AND c:3", "(a:1 OR b:2) AND c:3"),
        ("NOT (a:1 AND b:2)", "NOT (a:1 AND b:2)"),
        ("NOT NOT a:1", "NOT NOT a:1"),
        ("not (not a:1)", "NOT NOT a:1"),
        ("NOT a:1 OR NOT b:2", "NOT a:1 OR NOT b:2"),
        ("((a:1))", "a:1"),
        ("(NOT (a:1))", "NOT a:1"),
    ] {
        assert_eq!(canonical(input), out, "{input:?}");
    }
}

#[test]
fn and_and_or_are_n_ary() {
    for (input, n) in [
        ("a:1 AND b:2 AND c:3", 3),
        ("a:1 AND (b:2 AND c:3)", 3),
        ("(a:1 AND b:2) AND (c:3 AND d:4)", 4),
        ("a:1 OR (b:2 OR (c:3 OR d:4))", 4),
        ("((a:1 OR b:2)) OR c:3", 3),
    ] {
        let q = ok(input);
        assert_eq!(operands(&q.expr).len(), n, "{input:?}");
        // No operand has the kind of its parent.
        for x in operands(&q.expr) {
            assert_ne!(
                std::mem::discriminant(&x.kind),
                std::mem::discriminant(&q.expr.kind)
            );
        }
    }
    // NOT is not looked through.
    assert_eq!(operands(&ok("a:1 AND NOT (b:2 AND c:3)").expr).len(), 2);
}

#[test]
fn canonical_form_examples() {
    for (input, out) in [
        ("action:Create", "action:Create"),
        ("action: 'Content'", "action:'Content'"),
        (
            "file.attribute.readOnly: `Removed`",
            "file.attribute.readOnly:`Removed`",
        ),
        ("  action:Create  ", "action:Create"),
        ("\taction\n:\nCreate\r\n", "action:Create"),
        (
            "dateTime: ['2020-05-17T18:30:00.000Z'..'2020-05-18T18:29:59.999Z'] and (action:`Attributes`)",
            "dateTime:['2020-05-17T18:30:00.000Z'..'2020-05-18T18:29:59.999Z'] AND action:`Attributes`",
        ),
        ("a:[x,y]", "a:[x, y]"),
    ] {
        assert_eq!(canonical(input), out, "{input:?}");
    }
}

#[test]
fn pretty_form_breaks_long_filters() {
    let src = "((severity>=4 AND platform:WINDOWS AND profiles.rules.name:*CR_*) OR (asset.tags:8543820 AND file.fullPath:\"\\\\windows\\\\\" AND NOT action:Delete)) AND NOT (platform:LINUX AND type:Directory) AND (action:Content OR NOT actor.userName:SYSTEM)";
    let q = ok(src);
    let pretty = format!("{q:#}");
    assert_eq!(
        pretty,
        "(
  (severity>=4 AND platform:WINDOWS AND profiles.rules.name:*CR_*)
  OR (asset.tags:8543820 AND file.fullPath:\"\\\\windows\\\\\" AND NOT action:Delete)
)
AND NOT (platform:LINUX AND type:Directory)
AND (action:Content OR NOT actor.userName:SYSTEM)"
    );
    assert!(ok(&pretty).eq_ignoring_spans(&q));
    // A short filter is the same in both forms.
    let q = ok("a:1 OR b:2");
    assert_eq!(format!("{q:#}"), q.to_string());
}

// ---------------------------------------------------------------------------------------------
// Spans
// ---------------------------------------------------------------------------------------------

#[test]
fn spans_of_nodes() {
    let src = "NOT (action:Create OR severity>=4) AND file.name:'x y'";
    let q = ok(src);
    assert_eq!(q.expr.span, Span::new(0, 54));
    let [not, name] = operands(&q.expr) else {
        panic!()
    };
    // NOT covers its operand's parentheses; the group's span covers them too.
    assert_eq!(slice(src, not.span), "NOT (action:Create OR severity>=4)");
    let ExprKind::Not(or) = &not.kind else {
        panic!()
    };
    assert_eq!(or.span, Span::new(4, 34));
    let [create, severity] = operands(or) else {
        panic!()
    };
    let t = term(create);
    assert_eq!((t.span, t.field.span), (Span::new(5, 18), Span::new(5, 11)));
    assert_eq!(t.predicate.span(), Span::new(12, 18));
    let t = term(severity);
    assert_eq!(slice(src, t.span), "severity>=4");
    assert_eq!(t.predicate.span(), Span::new(32, 33));
    let t = term(name);
    assert_eq!(t.span, Span::new(39, 54));
    assert_eq!(slice(src, t.predicate.span()), "'x y'");

    // A parenthesised term: the expression covers the parentheses, the term does not.
    let q = ok("(a:1)");
    assert_eq!(
        (q.expr.span, term(&q.expr).span),
        (Span::new(0, 5), Span::new(1, 4))
    );

    // Range, bound and list spans; a multi-word value's span covers what was written.
    let src = "dateTime:[ * .. '2023-01-01' ]";
    let Predicate::Range(lo, hi, span) = predicate(src) else {
        panic!()
    };
    assert_eq!(
        (span, lo.span(), hi.span()),
        (Span::new(9, 30), Span::new(11, 12), Span::new(16, 28))
    );
    let src = "a:[x, 'y']";
    let Predicate::List(vs, span) = predicate(src) else {
        panic!()
    };
    assert_eq!(
        (span, vs[0].span, vs[1].span),
        (Span::new(2, 10), Span::new(3, 4), Span::new(6, 9))
    );
    let src = "asset.tagNames:  cloud   agent";
    assert_eq!(value(src).span, Span::new(17, 30));
    assert_eq!(ok("file.hash:*").expr.span, Span::new(0, 11));
}

#[test]
fn spans_use_bytes() {
    let src = "a:'é' AND b:€";
    let q = ok(src);
    let [a, b] = operands(&q.expr) else { panic!() };
    assert_eq!(term(a).span, Span::new(0, 6));
    assert_eq!(term(b).predicate.span(), Span::new(13, 16));
    assert_eq!(slice(src, term(b).predicate.span()), "€");
}

// ---------------------------------------------------------------------------------------------
// Structural errors
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_filters() {
    let d = diag("");
    assert_eq!((d.code, d.span), (Code::EmptyFilter, Span::new(0, 0)));
    let d = diag(" \t\r\n ");
    assert_eq!((d.code, d.span), (Code::EmptyFilter, Span::new(0, 5)));
    assert!(d.help.is_some());
}

#[test]
fn operator_and_parenthesis_errors() {
    for (src, code_, at) in [
        ("action:Create AND", "expected-term", 17),
        ("action:Create AND AND severity:4", "expected-term", 18),
        ("NOT", "expected-term", 3),
        ("OR a:1", "expected-term", 0),
        ("()", "expected-term", 1),
        ("(action:Create", "unclosed-paren", 0),
        ("((a:1)", "unclosed-paren", 0),
        ("action:Create)", "unexpected-token", 13),
        ("a:1 OR b:2)", "unexpected-token", 10),
        ("action:Create severity:4", "missing-operator", 14),
        ("action:Create (severity:4)", "missing-operator", 14),
        ("'x'", "expected-term", 0),
        ("1:2", "expected-term", 0),
        ("a.:1", "unexpected-token", 1),
        ("a:'x' 4", "unexpected-token", 6),
    ] {
        let d = diag(src);
        assert_eq!(d.code.as_str(), code_, "{src:?}");
        assert_eq!(d.span.start, at, "{src:?}");
    }
    let d = diag("action:Create)");
    assert!(d.help.unwrap().contains("remove it"));
    let d = diag("(action:Create");
    assert_eq!(d.labels[0].span, Span::at(14));
}

#[test]
fn missing_operators_are_all_reported() {
    let src = "a:1 b:2 (c:3 d:4) NOT e:5";
    let e = err(src);
    let spans: Vec<&str> = e.diagnostics().iter().map(|d| slice(src, d.span)).collect();
    assert_eq!(spans, ["b:2", "(c:3 d:4)", "d:4", "NOT e:5"]);
    assert!(
        e.diagnostics()
            .iter()
            .all(|d| d.code == Code::MissingOperator && d.help.as_deref().unwrap().contains("AND"))
    );
    // The label marks where the previous term ends.
    assert_eq!(e.diagnostics()[0].labels[0].span, Span::at(3));
    // A later fatal error is reported with them.
    let e = err("a:1 b:2 AND");
    let codes: Vec<&str> = e.diagnostics().iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["missing-operator", "expected-term"]);
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

fn nested_parens(n: usize) -> String {
    format!("{}a:1{}", "(".repeat(n), ")".repeat(n))
}

#[test]
fn default_depth_accepts_128_levels_and_rejects_129() {
    assert_eq!(Options::default().max_depth, 128);
    assert!(parse(&nested_parens(128)).is_ok());
    let src = nested_parens(129);
    let d = diag(&src);
    assert_eq!((d.code, d.span), (Code::TooDeep, Span::new(128, 129)));
    assert!(d.help.unwrap().contains("max_depth"));

    let q = ok(&format!("{}a:1", "NOT ".repeat(128)));
    assert_eq!(q.expr.depth(), 129);
    let d = diag(&format!("{}a:1", "NOT ".repeat(129)));
    assert_eq!((d.code, d.span), (Code::TooDeep, Span::new(512, 515)));

    // Parentheses and NOT count together.
    assert!(parse(&format!("{}{}", "NOT ".repeat(64), nested_parens(64))).is_ok());
    assert_eq!(
        code(&format!("{}{}", "NOT ".repeat(65), nested_parens(64))),
        "too-deep"
    );
    // Levels that are closed no longer count.
    let side_by_side = format!("{} AND {}", nested_parens(128), nested_parens(128));
    assert!(parse(&side_by_side).is_ok());
    // A NOT applies to its operand only.
    let nots = format!("{}a:1 AND {}b:1", "NOT ".repeat(128), "NOT ".repeat(128));
    assert!(parse(&nots).is_ok());
}

#[test]
fn depth_is_configurable() {
    let opts = Options::default().max_depth(3);
    assert_eq!(opts.max_depth, 3);
    assert!(fimql::parse_with("NOT ((a:1))", &opts).is_ok());
    assert_eq!(
        fimql::parse_with("NOT NOT ((a:1))", &opts)
            .unwrap_err()
            .diagnostics()[0]
            .code,
        Code::TooDeep
    );
    assert_eq!(Options::default().max_depth(0).max_depth, 1);
    assert_eq!(
        Options::default().max_depth(1_000_000).max_depth,
        fimql::parse::MAX_DEPTH_LIMIT
    );
    assert_eq!(fimql::parse::MAX_DEPTH_LIMIT, 1000);
}

#[test]
fn the_depth_ceiling_fits_in_a_test_threads_stack() {
    // Tests run on threads with 2 MiB of stack, in an unoptimized build: parsing, printing,
    // comparing and dropping a tree at the hard ceiling must fit.
    let opts = Options::default().max_depth(usize::MAX);
    let n = fimql::parse::MAX_DEPTH_LIMIT;
    assert!(fimql::parse_with(&nested_parens(n), &opts).is_ok());
    assert_eq!(
        fimql::parse_with(&nested_parens(n + 1), &opts)
            .unwrap_err()
            .diagnostics()[0]
            .code,
        Code::TooDeep
    );
    // Alternating AND and OR, one level per parenthesis: the tree is as deep as the nesting.
    let mut src = String::from("a:1");
    for i in 0..n {
        let op = if i % 2 == 0 { "AND" } else { "OR" };
        src = format!("b:{i} {op} ({src})");
    }
    let q = fimql::parse_with(&src, &opts).unwrap();
    assert_eq!(q.expr.depth(), n + 1);
    let printed = q.to_string();
    let again = fimql::parse_with(&printed, &opts).unwrap();
    assert!(again.eq_ignoring_spans(&q));
    assert_eq!(again.to_string(), printed);
    // Indentation makes this pretty form about 3 MB long.
    let pretty = format!("{q:#}");
    let unlimited = opts.clone().max_len(usize::MAX);
    assert!(
        fimql::parse_with(&pretty, &unlimited)
            .unwrap()
            .eq_ignoring_spans(&q)
    );
    let q = fimql::parse_with(&format!("{}a:1", "NOT ".repeat(n)), &opts).unwrap();
    assert_eq!(q.to_string().len(), 4 * n + 3);
}

#[test]
fn huge_inputs_get_clean_errors() {
    let cases: Vec<(String, &str)> = vec![
        ("(".repeat(100_000), "too-deep"),
        (format!("{}a:1", "(".repeat(100_000)), "too-deep"),
        ("NOT ".repeat(50_000), "too-deep"),
        (format!("{}a:1", "NOT ".repeat(50_000)), "too-deep"),
        (format!("a:{}", "[".repeat(100_000)), "expected-value"),
        ("[".repeat(100_000), "expected-term"),
        (format!("a:{}", "(".repeat(100_000)), "expected-value"),
        (format!("a:x{}", "(".repeat(100_000)), "too-deep"),
        (format!("a:{}", "'".repeat(100_000)), "expected-value"),
        (format!("a:{}", "\"".repeat(100_001)), "expected-value"),
        (format!("a:{}", "`".repeat(100_000)), "expected-value"),
        (
            format!("a:'{}", "\\".repeat(100_000)),
            "unterminated-string",
        ),
        (
            format!("a:'{}'", "\\".repeat(100_001)),
            "unterminated-string",
        ),
        (format!("a:{}", "\\".repeat(100_001)), "dangling-escape"),
        ("\\".repeat(100_000), "expected-term"),
        (format!("a:{}", ")".repeat(100_000)), "expected-value"),
        (format!("a:1{}", ")".repeat(100_000)), "unexpected-token"),
        ("a:1 ".repeat(50_000), "missing-operator"),
    ];
    for (src, expected) in cases {
        let e = err(&src);
        assert_eq!(
            e.diagnostics()[0].code.as_str(),
            expected,
            "{}...",
            &src[..20]
        );
    }
    // Long but valid inputs parse.
    let q = ok(&format!("a:{}", "\\\\".repeat(50_000)));
    assert_eq!(
        term(&q.expr).predicate.values()[0].text(),
        "\\".repeat(50_000)
    );
    let q = ok(&format!("a:{}", "x ".repeat(100_000)));
    assert_eq!(term(&q.expr).predicate.values()[0].raw.len(), 199_999);
    let q = ok(&vec!["a:1"; 30_000].join(" OR "));
    assert_eq!(operands(&q.expr).len(), 30_000);
}

#[test]
fn too_long() {
    let opts = Options::default().max_len(10);
    assert_eq!(opts.max_len, 10);
    assert!(fimql::parse_with("action:Cre", &opts).is_ok());
    let d = fimql::parse_with("action:Create", &opts)
        .unwrap_err()
        .diagnostics()[0]
        .clone();
    assert_eq!((d.code, d.span), (Code::TooLong, Span::new(10, 13)));
    assert!(d.help.unwrap().contains("max_len"));
    // The span starts on a character boundary.
    let d = fimql::parse_with("action:ééé", &opts)
        .unwrap_err()
        .diagnostics()[0]
        .clone();
    assert_eq!(d.span, Span::new(9, 13));

    assert_eq!(Options::default().max_len, 1 << 20);
    let at_limit = format!("a:{}", "x".repeat((1 << 20) - 2));
    assert!(parse(&at_limit).is_ok());
    let over = format!("{at_limit}x");
    assert_eq!(code(&over), "too-long");
    assert_eq!(code(&"(".repeat((1 << 20) + 1)), "too-long");
}

// ---------------------------------------------------------------------------------------------
// Diagnostics: rendering and JSON
// ---------------------------------------------------------------------------------------------

#[test]
fn renders_a_single_line_filter() {
    let src = "action:Create severity:4";
    let text = diag(src).render(src).to_string();
    assert_eq!(
        text,
        "\
error[missing-operator]: expected `AND` or `OR` between terms
 --> 1:15
  |
  | action:Create severity:4
  |               ^^^^^^^^^^
  |              - the previous term ends here
  = help: insert `AND` to require both terms (or `OR` for either): `... AND severity:4`
"
    );
}

#[test]
fn renders_a_multi_line_filter() {
    let src = "action:Create\nAND (severity:4\n  OR platform:LINUX";
    let text = diag(src).render(src).to_string();
    assert_eq!(
        text,
        "\
error[unclosed-paren]: this `(` is never closed
 --> 2:5
  |
2 | AND (severity:4
  |     ^
3 |   OR platform:LINUX
  |                    - expected `)` here
  = help: add the `)` where the group ends
"
    );

    // A span over two lines marks both.
    let src = "action:Content OR\nfile.name:'abc\ndef";
    let text = diag(src).render(src).to_string();
    assert_eq!(
        text,
        "\
error[unterminated-string]: this '-quoted value is never closed
 --> 2:11
  |
2 | file.name:'abc
  |           ^^^^
3 | def
  | ^^^
  = help: add the closing `'`
"
    );
}

#[test]
fn renders_every_diagnostic_of_a_filter() {
    let src = "a:1 b:2 c:3";
    let text = err(src).render(src);
    assert_eq!(text.matches("error[missing-operator]").count(), 2);
    assert!(
        text.contains(
            "\n\nerror[missing-operator]: expected `AND` or `OR` between terms\n --> 1:9\n"
        )
    );
}

#[test]
fn json_form() {
    let src = "action:Create\nAND severity>*";
    let e = err(src);
    assert_eq!(
        e.to_json(src),
        json!([{
            "severity": "error",
            "code": "expected-value",
            "message": "`*` is not a value to compare with",
            "span": {"start": 27, "end": 28},
            "line": 2,
            "column": 14,
            "help": "to test that `severity` is present write `severity:*`; write `\\*` for a literal star",
        }])
    );
    let src = "(action:Create";
    let v = diag(src).to_json(src);
    assert_eq!(v["code"], "unclosed-paren");
    assert_eq!(
        v["labels"],
        json!([{"span": {"start": 14, "end": 14}, "message": "expected `)` here"}])
    );
    assert_eq!(v["help"], "add the `)` where the group ends");
    // Columns count characters, not bytes.
    let src = "a:'é' b:1";
    let v = diag(src).to_json(src);
    assert_eq!(
        (v["line"].clone(), v["column"].clone()),
        (json!(1), json!(7))
    );
    assert_eq!(v["span"], json!({"start": 7, "end": 10}));
}

#[test]
fn display_of_diagnostics() {
    let e = err("a:1 b:2 c:3");
    assert_eq!(
        e.to_string(),
        "error[missing-operator] at 4..7: expected `AND` or `OR` between terms (and 1 more)"
    );
}

#[test]
fn every_syntax_error_a_user_meets_often_has_a_help() {
    for (src, help) in [
        ("action:", "write a value after the `:`"),
        ("severity>=", "write a value after the operator"),
        ("action:()", "put values in the group"),
        ("action:[Create, ]", "none of them empty"),
        ("severity:[1..]", "`*` leaves an end open"),
        ("a:[x y]", "separate the values of a list with `,`"),
        ("severity:[1..5..6]", "a range has two ends"),
        ("()", "put a term in the parentheses"),
        ("!action:Create", "NOT is written as a word"),
        ("-action:Create", "NOT is written as a word"),
        ("\u{feff}action:Create", "byte order mark"),
        ("(action:Create", "add the `)`"),
        ("action:(Create OR Delete", "add the `)`"),
        ("action:[Create", "add the `]`"),
        ("a:'x' 4", "join terms with `AND` or `OR`"),
    ] {
        let d = diag(src);
        let got = d.help.as_deref().unwrap_or_default();
        assert!(got.contains(help), "{src:?}: {d:?}");
    }
}

#[test]
fn a_term_that_is_not_one_is_marked_as_far_as_the_message_quotes_it() {
    for (src, quoted) in [
        ("日本 AND x", "日本"),
        (":x", ":x"),
        ("!action:Create", "!action:Create"),
    ] {
        let d = diag(src);
        assert_eq!(d.code.as_str(), "expected-term", "{src}");
        assert_eq!(&src[d.span.start..d.span.end], quoted, "{src}");
        assert!(d.message.contains(&format!("`{quoted}`")), "{}", d.message);
    }
}

#[test]
fn a_bidirectional_format_character_is_not_written_to_the_terminal() {
    // U+202E would reverse the rest of the line on a terminal: the snippet shows U+FFFD in its
    // place, and the caret stays under the word it marks.
    let src = "a:\u{202e}x y:1";
    let text = err(src).render(src);
    assert!(!text.contains('\u{202e}'), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let shown = lines
        .iter()
        .find(|l| l.contains("x y:1"))
        .expect("the snippet");
    assert!(shown.contains("a:\u{fffd}x y:1"), "{text}");
    let caret = lines
        .iter()
        .find(|l| l.contains('^'))
        .expect("the caret line");
    let col = |l: &str, c: char| l.chars().position(|x| x == c).unwrap();
    assert_eq!(col(caret, '^'), col(shown, 'y'), "{text}");
}
