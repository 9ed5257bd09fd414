//! The filter builder: values escaped for any text, dates in ISO 8601 with `Z`, n-ary AND/OR
//! flattened, and every built query printing to a filter that parses back to the same tree and
//! selects the same events. Also: queries round-trip through serde_json.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use fimql::ast::{CmpOp, ExprKind, Form, Predicate, Value};
use fimql::builder::{BuildError, Condition, End, Point, and, field, not, open, or};
use fimql::{Catalog, Options, Query, Scope, compile_query, parse};
use proptest::prelude::*;
use serde_json::{Value as Json, json};

/// Prints, parses, and checks that the tree is the same.
fn round_trip(q: &Query) -> String {
    let text = q.to_string();
    let back = parse(&text).unwrap_or_else(|e| panic!("`{text}` does not parse: {e}"));
    assert!(
        back.eq_ignoring_spans(q),
        "`{text}` parses to {:?}, built {:?}",
        back.expr,
        q.expr
    );
    text
}

fn built(c: Condition) -> Query {
    c.build().expect("builds")
}

fn the_value(q: &Query) -> &Value {
    match &q.expr.kind {
        ExprKind::Term(t) => match &t.predicate {
            Predicate::Value(v) => v,
            p => panic!("not a value: {p:?}"),
        },
        k => panic!("not a term: {k:?}"),
    }
}

const NASTY: &[&str] = &[
    "Create",
    "with space",
    "trailing\\",
    "C:\\temp\\",
    "a\\\\b",
    "`back`ticks`",
    "\"double\" quotes",
    "'single' quotes",
    "mixed `\"'\\ all",
    "*",
    "?",
    "a*b?c",
    "AND",
    "or",
    "Not",
    "and more",
    "x:y",
    "a..b",
    "..",
    "a.",
    "(paren",
    "paren)",
    "(both)",
    "[a, b]",
    "<>=",
    "tab\there",
    "line\nbreak",
    "nul\u{0}byte",
    "nel\u{85}ideographic\u{3000}space",
    "é ü ß 漢字 𝄞",
    "\u{202e}rtl",
    " leading and trailing ",
    "now-7d",
    "-",
    "#",
];

#[test]
fn every_form_escapes_any_text() {
    for text in NASTY {
        for (form, c) in [
            (Form::Bare, field("file.name").eq(text)),
            (Form::Backtick, field("file.name").exact(text)),
            (Form::Double, field("file.name").phrase(text)),
        ] {
            let q = built(c);
            round_trip(&q);
            let back = parse(&q.to_string()).unwrap();
            let v = the_value(&back);
            assert_eq!(v.form, form);
            assert_eq!(v.text(), *text, "{form:?} {text:?} printed as {q}");
            if form == Form::Bare {
                assert!(!v.has_wildcards(), "{text:?} must be literal as {q}");
            }
        }
    }
}

#[test]
fn printed_forms() {
    let show = |c: Condition| built(c).to_string();
    assert_eq!(show(field("action").eq("Create")), "action:Create");
    assert_eq!(show(field("action").eq("a b*")), r"action:a\ b\*");
    assert_eq!(show(field("action").eq("and")), r"action:\and");
    assert_eq!(
        show(field("file.attribute.hidden").exact("Added")),
        "file.attribute.hidden:`Added`"
    );
    assert_eq!(show(field("file.name").exact("a`b")), r"file.name:`a\`b`");
    assert_eq!(
        show(field("file.fullPath").phrase(r"C:\temp\")),
        r#"file.fullPath:"C:\temp\\""#
    );
    assert_eq!(
        show(field("file.name").phrase("say \"hi\"")),
        r#"file.name:"say \"hi\"""#
    );
    assert_eq!(
        show(field("asset.name").wildcard("DESKTOP*")),
        "asset.name:DESKTOP*"
    );
    assert_eq!(show(field("asset.name").wildcard("*")), "asset.name:*");
    assert_eq!(show(field("incidentId").present()), "incidentId:*");
    assert_eq!(show(field("baseline").is(false)), "baseline:false");
    assert_eq!(
        show(field("action").any_of(["Create", "Delete"])),
        "action:[Create, Delete]"
    );
    assert_eq!(
        show(field("action").exact_any_of(["Create", "Del ete"])),
        "action:[`Create`, `Del ete`]"
    );
    assert_eq!(
        show(field("action").list([Value::new(Form::Single, "Create"), Value::bare("Del*")])),
        "action:['Create', Del*]"
    );
    assert_eq!(show(field("severity").ge(4)), "severity>=4");
    assert_eq!(show(field("severity").gt(-1)), "severity>-1");
    assert_eq!(show(field("severity").lt(3u8)), "severity<3");
    assert_eq!(
        show(field("severity").le(i64::MIN)),
        "severity<=-9223372036854775808"
    );
    assert_eq!(show(field("severity").compare(CmpOp::Gt, 2)), "severity>2");
    assert_eq!(show(field("severity").range(1, 3)), "severity:[1..3]");
    assert_eq!(show(field("severity").range(open(), 3)), "severity:[*..3]");
    assert_eq!(
        show(field("severity").range(Some(2), None::<i64>)),
        "severity:[2..*]"
    );
    assert_eq!(
        show(field("severity").range(End::Open, End::Open)),
        "severity:[*..*]"
    );
    assert_eq!(show(field("dateTime").ge("now-7d")), "dateTime>='now-7d'");
}

#[test]
fn dates_print_as_quoted_iso_8601_in_utc() {
    let show = |c: Condition| round_trip(&built(c));
    let t = Utc.with_ymd_and_hms(2023, 6, 28, 6, 18, 50).unwrap();
    assert_eq!(
        show(field("dateTime").gt(t)),
        "dateTime>'2023-06-28T06:18:50Z'"
    );
    let ms = t + Duration::milliseconds(548);
    assert_eq!(
        show(field("dateTime").range(ms, open())),
        "dateTime:['2023-06-28T06:18:50.548Z'..*]"
    );
    let ns = t + Duration::nanoseconds(1);
    assert_eq!(
        show(field("dateTime").le(ns)),
        "dateTime<='2023-06-28T06:18:50.000000001Z'"
    );
    let offset: DateTime<FixedOffset> = "2023-03-05T12:00:00+05:30".parse().unwrap();
    assert_eq!(
        show(field("processedTime").lt(offset)),
        "processedTime<'2023-03-05T06:30:00Z'"
    );
    let day = NaiveDate::from_ymd_opt(2024, 2, 1).unwrap();
    assert_eq!(
        show(field("dateTime").range(day, day.succ_opt().unwrap())),
        "dateTime:['2024-02-01'..'2024-02-02']"
    );
    assert_eq!(
        show(field("dateTime").range(day.and_hms_opt(1, 2, 3).unwrap(), None::<NaiveDate>)),
        "dateTime:['2024-02-01T01:02:03Z'..*]"
    );
    // The printed instant is the instant: compiled, it selects exactly that event.
    let q = built(field("dateTime").range(ns, ns));
    let f = compile_query(&q, &Options::new(Scope::Events)).unwrap();
    assert!(f.matches(&json!({"dateTime": "2023-06-28T06:18:50.000000001Z"})));
    assert!(!f.matches(&json!({"dateTime": "2023-06-28T06:18:50Z"})));
}

#[test]
fn and_or_are_flattened_and_not_nests() {
    let a = || field("action").eq("Create");
    let b = || field("severity").ge(4);
    let c = || field("baseline").is(true);
    let q = built(a().and(b()).and(c()));
    let ExprKind::And(xs) = &q.expr.kind else {
        panic!()
    };
    assert_eq!(xs.len(), 3);
    assert_eq!(
        round_trip(&q),
        "action:Create AND severity>=4 AND baseline:true"
    );
    assert!(built(and([a(), and([b(), c()])])).eq_ignoring_spans(&q));
    assert!(built(a() & (b() & c())).eq_ignoring_spans(&q));

    let q = built(or([a() & b(), c(), or([a(), b()])]));
    assert_eq!(
        round_trip(&q),
        "(action:Create AND severity>=4) OR baseline:true OR action:Create OR severity>=4"
    );
    let q = built(!(a() | b()) & not(not(c())));
    assert_eq!(
        round_trip(&q),
        "NOT (action:Create OR severity>=4) AND NOT NOT baseline:true"
    );
    // One operand is the operand itself.
    assert!(built(and([a()])).eq_ignoring_spans(&built(a())));
}

#[test]
fn what_cannot_be_written_is_an_error() {
    let err = |c: Condition| c.build().unwrap_err();
    assert_eq!(
        err(field("file.name").eq("")),
        BuildError::EmptyValue {
            field: "file.name".into()
        }
    );
    assert!(matches!(
        err(field("file.name").exact("")),
        BuildError::EmptyValue { .. }
    ));
    assert!(matches!(
        err(field("file.name").wildcard("")),
        BuildError::EmptyValue { .. }
    ));
    assert!(matches!(
        err(field("dateTime").ge("")),
        BuildError::EmptyValue { .. }
    ));
    for bad in ["", "file name", "1x", "a.", "AND", "or", "naïve"] {
        assert_eq!(
            err(field(bad).eq("x")),
            BuildError::InvalidField(bad.into())
        );
    }
    assert!(matches!(
        err(field("action").any_of(Vec::<String>::new())),
        BuildError::EmptyList { .. }
    ));
    assert!(matches!(
        err(field("action").any_of(["a", ""])),
        BuildError::EmptyValue { .. }
    ));
    assert_eq!(err(and([])), BuildError::EmptyGroup);
    assert_eq!(err(or(Vec::new())), BuildError::EmptyGroup);
    let far = Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap();
    assert!(matches!(
        err(field("dateTime").ge(far)),
        BuildError::DateOutOfRange { .. }
    ));
    let bc = NaiveDate::from_ymd_opt(-1, 1, 1).unwrap();
    assert!(matches!(
        err(field("dateTime").range(bc, open())),
        BuildError::DateOutOfRange { .. }
    ));
    for raw in ["a b:c", "a(b", "x)", "'q", "and", "a..b", "\\"] {
        assert!(
            matches!(
                err(field("file.name").wildcard(raw)),
                BuildError::Unrepresentable { .. }
            ),
            "{raw}"
        );
    }
    assert!(matches!(
        err(field("file.name").value(Value::bare("a b  c"))),
        BuildError::Unrepresentable { .. }
    ));
    // The first error wins, through any combination.
    let e = err(field("a").eq("1") & !(field("b").eq("") | field("c d").eq("x")));
    assert_eq!(e, BuildError::EmptyValue { field: "b".into() });

    // Nesting: as deep as the parser accepts, and no deeper.
    let nots = |n: usize| (0..n).fold(field("action").eq("Create"), |c, _| not(c));
    let q = built(nots(128));
    round_trip(&q);
    assert_eq!(
        err(nots(129)),
        BuildError::TooDeep {
            depth: 129,
            max: 128
        }
    );
    assert!(parse(&nots(129).to_string()).is_err());
    // NOT (... OR b:2) nests two levels at a time.
    let wrapped = |n: usize| (0..n).fold(field("a").eq("1"), |c, _| not(c | field("b").eq("2")));
    round_trip(&built(wrapped(64)));
    let too_deep = wrapped(65);
    let e = parse(&too_deep.to_string()).unwrap_err();
    assert_eq!(e.diagnostics()[0].code.as_str(), "too-deep");
    assert_eq!(
        err(too_deep),
        BuildError::TooDeep {
            depth: 130,
            max: 128
        }
    );
}

#[test]
fn a_query_parsed_from_text_round_trips_through_serde_json() {
    for src in [
        "dateTime:['2022-11-15T16:07:00.000Z'..'2022-12-15T16:07:00.000Z'] AND (action:Content)",
        "profiles.name: Windows Profile - PCI(NJJ)",
        "a:1 OR b:2 AND NOT c:[x, 'y', `z`] OR d:(e OR f) OR g:* OR severity<=4 OR h:[* .. 5]",
        r#"file.fullPath:"C:\temp\\" AND file.name:a\ b\*"#,
    ] {
        let q = parse(src).unwrap();
        let json = serde_json::to_string(&q).unwrap();
        let back: Query = serde_json::from_str(&json).unwrap();
        assert_eq!(back, q, "{src}");
    }
    // The parser's warnings travel along.
    let q = parse("a:1 OR b:2 AND c:3").unwrap();
    assert_eq!(q.warnings.len(), 1);
    let v = serde_json::to_value(&q).unwrap();
    assert_eq!(v["warnings"][0]["code"], "mixed-and-or");
    assert_eq!(serde_json::from_value::<Query>(v).unwrap(), q);
}

// --- property tests ------------------------------------------------------------------------------

const TEXT: &[&str] = &[
    "file.name",
    "file.fullPath",
    "actor.process",
    "profiles.name",
    "profile.name",
    "asset.tagNames",
    "file.attributes.new",
];
const KEYWORD: &[&str] = &["id", "file.hash", "asset.tags", "asset.interfaces.address"];
const ENUM: &[&str] = &[
    "action",
    "platform",
    "file.attribute.hidden",
    "file.attribute.readOnly",
    "profiles.rules.type",
];
const INTEGER: &[&str] = &["severity", "file.size", "profiles.rules.severity"];
const DATE: &[&str] = &["dateTime", "processedTime"];
const BOOLEAN: &[&str] = &["baseline"];

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap()
}

/// Instants close together, so that ranges and events meet.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        (0i64..6).prop_map(|h| base() + Duration::hours(h * 12)),
        (0i64..3, 0i64..3)
            .prop_map(|(d, ns)| base() + Duration::days(d) + Duration::nanoseconds(ns)),
        (-400_000i64..400_000).prop_map(|s| base() + Duration::seconds(s)),
    ]
}

fn day() -> impl Strategy<Value = NaiveDate> {
    (0u64..4).prop_map(|d| base().date_naive() + chrono::Days::new(d))
}

/// Characters that stress the escaping, and a few letters that make keywords.
fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(vec![
            '`', '"', '\'', '\\', ' ', '*', '?', '(', ')', '[', ']', ',', ':', '.', '<', '>', '\n',
            '\t', '\r', '\u{0}', '\u{85}', '\u{a0}', '\u{3000}', 'é', 'ß', '𝄞', 'A', 'a', 'n', 'd',
            'o', 'r', 'N', 'O', 'T', '-', '0',
        ]),
        1 => any::<char>(),
    ]
}

/// Any non-empty text, usually short and awkward.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[aAbB]{1,3}",
        2 => prop::collection::vec(nasty_char(), 1..8).prop_map(String::from_iter),
        1 => prop::sample::select(NASTY).prop_map(str::to_string),
    ]
}

fn field_of(names: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    prop::sample::select(names)
}

fn string_term() -> impl Strategy<Value = Condition> {
    let f = || {
        field_of(TEXT)
            .prop_union(field_of(KEYWORD))
            .or(field_of(ENUM))
    };
    prop_oneof![
        (f(), any_text()).prop_map(|(n, t)| field(n).eq(t)),
        (f(), any_text()).prop_map(|(n, t)| field(n).exact(t)),
        (f(), any_text()).prop_map(|(n, t)| field(n).phrase(t)),
        (f(), "[ab*?]{1,4}").prop_map(|(n, p)| field(n).wildcard(p)),
        f().prop_map(|n| field(n).present()),
        (f(), prop::collection::vec(any_text(), 1..4)).prop_map(|(n, ts)| field(n).any_of(ts)),
        (f(), prop::collection::vec(any_text(), 1..4))
            .prop_map(|(n, ts)| field(n).exact_any_of(ts)),
    ]
}

fn end_int() -> impl Strategy<Value = End> {
    prop::option::of(-3i64..8).prop_map(End::from)
}

fn end_date() -> impl Strategy<Value = End> {
    prop_oneof![
        prop::option::of(instant()).prop_map(End::from),
        day().prop_map(End::from),
    ]
}

fn cmp() -> impl Strategy<Value = CmpOp> {
    prop::sample::select(vec![CmpOp::Gt, CmpOp::Ge, CmpOp::Lt, CmpOp::Le])
}

fn typed_term() -> impl Strategy<Value = Condition> {
    prop_oneof![
        (field_of(INTEGER), -3i64..8).prop_map(|(n, i)| field(n).eq(i.to_string())),
        (field_of(INTEGER), cmp(), -3i64..8).prop_map(|(n, op, i)| field(n).compare(op, i)),
        (field_of(INTEGER), end_int(), end_int()).prop_map(|(n, lo, hi)| field(n).range(lo, hi)),
        (field_of(INTEGER), prop::collection::vec(-3i64..8, 1..4))
            .prop_map(|(n, xs)| field(n).any_of(xs.iter().map(i64::to_string))),
        (field_of(DATE), end_date(), end_date()).prop_map(|(n, lo, hi)| field(n).range(lo, hi)),
        (field_of(DATE), cmp(), instant()).prop_map(|(n, op, t)| field(n).compare(op, t)),
        (field_of(DATE), cmp(), day()).prop_map(|(n, op, d)| field(n).compare(op, d)),
        (field_of(DATE), day()).prop_map(|(n, d)| field(n).eq(d.to_string())),
        (
            field_of(DATE),
            cmp(),
            prop::sample::select(vec!["now", "now-1d", "now+12h"])
        )
            .prop_map(|(n, op, s)| field(n).compare(op, Point::from(s))),
        field_of(DATE).prop_map(|n| field(n).present()),
        (field_of(BOOLEAN), any::<bool>()).prop_map(|(n, b)| field(n).is(b)),
        field_of(INTEGER).prop_map(|n| field(n).present()),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    let leaf = prop_oneof![string_term(), typed_term()];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(and),
            prop::collection::vec(inner.clone(), 1..4).prop_map(or),
            inner.prop_map(not),
        ]
    })
}

/// A JSON value for a token, drawn from pools that overlap the query values.
fn event_value(name: &str) -> BoxedStrategy<Json> {
    let ty = Catalog::builtin()
        .lookup(Scope::Events, name)
        .map(|d| d.ty)
        .expect("catalog token");
    use fimql::catalog::TokenType as T;
    match ty {
        T::Text | T::Keyword | T::Enum => prop_oneof![
            4 => "[aAbB]{0,3}".prop_map(Json::from),
            2 => any_text().prop_map(Json::from),
            1 => Just(Json::Null),
            1 => (-3i64..8).prop_map(Json::from),
        ]
        .boxed(),
        T::Integer => prop_oneof![
            (-3i64..8).prop_map(Json::from),
            (-3i64..8).prop_map(|i| Json::from(i.to_string())),
            Just(Json::from("x")),
            Just(Json::Null),
        ]
        .boxed(),
        T::Date => prop_oneof![
            instant().prop_map(|t| Json::from(t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string())),
            instant().prop_map(|t| Json::from(t.to_rfc3339())),
            instant().prop_map(|t| Json::from(t.timestamp_millis())),
            day().prop_map(|d| Json::from(d.to_string())),
            Just(Json::Null),
        ]
        .boxed(),
        T::Boolean => prop_oneof![
            any::<bool>().prop_map(Json::from),
            Just(Json::from("TRUE")),
            Just(Json::from("no")),
        ]
        .boxed(),
    }
}

/// Puts `value` at the token's path, making arrays where the path says so.
fn put(event: &mut Json, name: &str, values: Vec<Json>) {
    let catalog = Catalog::builtin();
    let def = catalog.lookup(Scope::Events, name).unwrap();
    let segments = def.segments();
    let mut at = event;
    for (i, (key, is_array)) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let obj = at.as_object_mut().unwrap();
        if last {
            let v = if *is_array {
                Json::Array(values)
            } else {
                values.into_iter().next().unwrap_or(Json::Null)
            };
            obj.insert(key.to_string(), v);
            return;
        }
        let slot = obj
            .entry(key.to_string())
            .or_insert_with(|| if *is_array { json!([{}]) } else { json!({}) });
        at = if *is_array {
            &mut slot.as_array_mut().unwrap()[0]
        } else {
            slot
        };
    }
}

fn event() -> impl Strategy<Value = Json> {
    let all: Vec<&'static str> = [TEXT, KEYWORD, ENUM, INTEGER, DATE, BOOLEAN].concat();
    let names = prop::sample::subsequence(all.clone(), 0..all.len());
    names
        .prop_flat_map(|names| {
            let values: Vec<_> = names
                .iter()
                .map(|n| prop::collection::vec(event_value(n), 1..3))
                .collect();
            (Just(names), values, any::<bool>())
        })
        .prop_map(|(names, values, wrap)| {
            let mut e = json!({});
            for (n, vs) in names.into_iter().zip(values) {
                put(&mut e, n, vs);
            }
            if wrap {
                json!({"sortValues": [], "data": e})
            } else {
                e
            }
        })
}

fn options() -> Options {
    Options::new(Scope::Events).now(base() + Duration::days(1))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_round_trips_in_every_form(text in prop_oneof![any_text(), ".+"]) {
        for c in [
            field("file.name").eq(&text),
            field("file.name").exact(&text),
            field("file.name").phrase(&text),
            field("file.name").any_of([&text, &text]),
        ] {
            let q = c.build().map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
            let printed = q.to_string();
            let back = parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
            prop_assert!(back.eq_ignoring_spans(&q), "{printed}");
            for v in term_values(&back) {
                prop_assert_eq!(v.text(), text.clone());
                prop_assert!(!v.has_wildcards());
            }
        }
    }

    #[test]
    fn built_queries_print_parse_and_select_the_same_events(
        c in condition(),
        events in prop::collection::vec(event(), 1..10),
    ) {
        let q = c.build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let printed = q.to_string();
        let reparsed = parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        prop_assert!(reparsed.eq_ignoring_spans(&q), "{printed}");
        prop_assert_eq!(reparsed.to_string(), printed.clone());

        let direct = compile_query(&q, &options());
        let via_text = compile_query(&reparsed, &options());
        match (direct, via_text) {
            (Ok(a), Ok(b)) => {
                for e in &events {
                    prop_assert_eq!(a.matches(e), b.matches(e), "{} on {}", printed, e);
                }
            }
            (Err(a), Err(b)) => {
                let codes = |d: &fimql::Diagnostics| d.diagnostics().iter().map(|d| d.code).collect::<Vec<_>>();
                prop_assert_eq!(codes(&a), codes(&b), "{}", printed);
            }
            (a, b) => prop_assert!(false, "{printed}: direct {:?}, via text {:?}", a.is_ok(), b.is_ok()),
        }
    }

    #[test]
    fn built_and_parsed_queries_round_trip_through_serde_json(c in condition()) {
        let q = c.build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: Query = serde_json::from_str(&serde_json::to_string(&q).unwrap()).unwrap();
        prop_assert_eq!(&back, &q);
        // With spans, as the parser makes them.
        let parsed = parse(&q.to_string()).unwrap();
        let back: Query = serde_json::from_value(serde_json::to_value(&parsed).unwrap()).unwrap();
        prop_assert_eq!(back, parsed);
    }
}

/// The values of a single-term query.
fn term_values(q: &Query) -> Vec<&Value> {
    match &q.expr.kind {
        ExprKind::Term(t) => t.predicate.values(),
        _ => Vec::new(),
    }
}

/// Every build error is also a diagnostic, with the code the parser gives the same mistake.
#[test]
fn build_errors_are_diagnostics() {
    let code = |c: Condition| c.build().unwrap_err().diagnostic().code.as_str();
    assert_eq!(code(field("action").eq("")), "expected-value");
    assert_eq!(
        code(field("action").any_of(Vec::<&str>::new())),
        "expected-value"
    );
    assert_eq!(code(and([])), "expected-term");
    assert_eq!(code(field("a b").eq("x")), "unexpected-token");
    let d = fimql::Diagnostics::from(field("action").eq("").build().unwrap_err());
    assert_eq!(d.diagnostics()[0].severity, fimql::Severity::Error);
    assert!(
        d.diagnostics()[0]
            .message
            .contains("empty value for `action`")
    );
}
