//! `Filter::explain` against `Filter::matches` and the byte fast path (`Matcher::matches_json`).
//!
//! Filters come from the crate's random filter generator (`fimql::testing::filtergen`, every
//! token of the catalog, aliases, `NOT`, ranges, lists, wildcards, relative and absolute dates),
//! with values drawn from the sample export so that terms often hold. Events are built on the
//! catalog's paths: members missing or `null`, arrays (nested and empty ones too) where the
//! catalog has them and sometimes where it does not, values of the wrong type, dates in every
//! form the evaluator reads and some it does not, `data` present or not.
//!
//! A second property takes filters from `impl Arbitrary for Query` (any token, read as a raw
//! JSON path, and any text in any quoting form), with events that hold the filter's own values
//! at its paths, changed a little or not at all.
//!
//! Besides the root verdict, each explanation is checked for being a proof of itself: every node's
//! verdict follows from its children's, every term's verdict from its values (and equals what the
//! term alone, compiled as a filter, says of the event), and `decided_by` names the right child.
//! For a longer run, set `PROPTEST_CASES`.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use fimql::ast::{Expr, ExprKind, Predicate};
use fimql::catalog::{Catalog, Scope, TokenType};
use fimql::explain::{Explanation, MAX_VALUES, NodeExplanation, NodeKind};
use fimql::testing::filtergen::{FilterGen, Rng, Samples};
use fimql::{Filter, Options, Query, compile, compile_query};
use proptest::prelude::*;
use serde_json::{Map, Value as Json, json};

type Instant = DateTime<Utc>;

/// The clock filters are compiled with: after the sample export, so that `now-Nd` reaches it.
fn now() -> Instant {
    "2023-06-01T12:00:00Z".parse().unwrap()
}

fn opts() -> Options {
    Options::new(Scope::Events).now(now())
}

/// The sample export's events.
fn sample_events() -> &'static [Json] {
    static EVENTS: OnceLock<Vec<Json>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/events.ndjson");
        std::fs::read_to_string(path)
            .expect("the sample export")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON event"))
            .collect()
    })
}

fn samples() -> &'static Samples {
    static SAMPLES: OnceLock<Samples> = OnceLock::new();
    SAMPLES
        .get_or_init(|| Samples::from_events(&Catalog::builtin(), Scope::Events, sample_events()))
}

// ---------------------------------------------------------------------------------------------
// Filters.

/// A filter of the crate's generator, in half of the cases joined with a date range on one of the
/// catalog's date tokens (the generator picks tokens evenly, and few are dates).
fn gen_filter(seed: u64) -> String {
    let catalog = Catalog::builtin();
    let src = FilterGen::new(seed, &catalog, Scope::Events, samples(), now()).next_filter();
    let mut rng = Rng::new(seed ^ 0xDA7E);
    if rng.chance(50) {
        return src;
    }
    let dates: Vec<&str> = catalog
        .tokens(Scope::Events)
        .iter()
        .filter(|t| t.ty == TokenType::Date)
        .map(|t| t.name.as_str())
        .collect();
    let token = rng.pick(&dates);
    // Two bounds in order, each open, relative to the clock, or near a sample date.
    let seen = &path_tree().find(token).seen;
    let bound = |rng: &mut Rng| -> Option<(Instant, String)> {
        match rng.below(8) {
            0 => None,
            1 => {
                let days = rng.below(200);
                Some((
                    now() - TimeDelta::days(days as i64),
                    format!("'now-{days}d'"),
                ))
            }
            _ => {
                let t = near(seen, rng);
                Some((
                    t,
                    format!("'{}'", t.to_rfc3339_opts(SecondsFormat::Millis, true)),
                ))
            }
        }
    };
    let (mut lo, mut hi) = (bound(&mut rng), bound(&mut rng));
    if let (Some(a), Some(b)) = (&lo, &hi)
        && a.0 > b.0
    {
        std::mem::swap(&mut lo, &mut hi);
    }
    let text = |b: Option<(Instant, String)>| b.map_or_else(|| "*".to_string(), |(_, s)| s);
    let range = format!("{token}:[{}..{}]", text(lo), text(hi));
    let range = if rng.chance(30) {
        format!("NOT {range}")
    } else {
        range
    };
    let op = if rng.chance(50) { "AND" } else { "OR" };
    format!("({src}) {op} {range}")
}

// ---------------------------------------------------------------------------------------------
// Events.

/// The catalog's paths as a tree: which keys hold arrays, and the type of the value at a leaf.
#[derive(Debug, Default)]
struct PathNode {
    array: bool,
    leaf: Option<TokenType>,
    /// The values the sample export has at this path.
    seen: Vec<Json>,
    children: Vec<(String, PathNode)>,
}

impl PathNode {
    /// The node of a token's path.
    fn find(&self, token: &str) -> &PathNode {
        let def = Catalog::builtin()
            .lookup(Scope::Events, token)
            .cloned()
            .expect("a catalog token");
        let mut n = self;
        for (k, _) in def.segments() {
            n = &n
                .children
                .iter()
                .find(|(c, _)| c == k)
                .expect("a path of the tree")
                .1;
        }
        n
    }
}

fn path_tree() -> &'static PathNode {
    static TREE: OnceLock<PathNode> = OnceLock::new();
    TREE.get_or_init(|| {
        let mut root = PathNode::default();
        for def in Catalog::builtin().tokens(Scope::Events) {
            let segs = def.segments();
            let keys: Vec<&str> = segs.iter().map(|(k, _)| *k).collect();
            let mut n = &mut root;
            for (k, arr) in &segs {
                let i = match n.children.iter().position(|(c, _)| c == k) {
                    Some(i) => i,
                    None => {
                        n.children.push((k.to_string(), PathNode::default()));
                        n.children.len() - 1
                    }
                };
                n = &mut n.children[i].1;
                n.array |= arr;
            }
            n.leaf = Some(def.ty);
            for ev in sample_events() {
                collect(&ev["data"], &keys, &mut n.seen);
            }
            n.seen.truncate(30);
        }
        root
    })
}

/// The scalar values at `path` below `v` (crossing arrays), distinct.
fn collect(v: &Json, path: &[&str], out: &mut Vec<Json>) {
    match (v, path.split_first()) {
        (Json::Array(xs), _) => xs.iter().for_each(|x| collect(x, path, out)),
        (Json::Object(m), Some((k, rest))) => {
            if let Some(x) = m.get(*k) {
                collect(x, rest, out);
            }
        }
        (Json::Null | Json::Object(_), None) | (_, Some(_)) => {}
        (x, None) => {
            if !out.contains(x) {
                out.push(x.clone());
            }
        }
    }
}

fn recase(s: &str, rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => s.to_uppercase(),
        1 => s.to_lowercase(),
        _ => s.to_string(),
    }
}

/// An instant near one of the sample's dates (or the clock).
fn near(seen: &[Json], rng: &mut Rng) -> Instant {
    let base = seen
        .iter()
        .filter_map(|v| v.as_str())
        .filter_map(|s| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3f%z").ok())
        .map(|d| d.with_timezone(&Utc))
        .collect::<Vec<_>>();
    let t = if !base.is_empty() && rng.chance(80) {
        *rng.pick(&base)
    } else {
        now()
    };
    t + TimeDelta::milliseconds(match rng.below(5) {
        0 => 0,
        1 => 1,
        2 => -1,
        3 => (rng.below(86_400_000) as i64) - 43_200_000,
        _ => ((rng.below(120) as i64) - 60) * 86_400_000,
    })
}

/// A date as events hold them, near the sample's dates or the clock, or one that is no date.
fn event_date(seen: &[Json], rng: &mut Rng) -> Json {
    let t = near(seen, rng);
    match rng.below(12) {
        0 => json!(t.timestamp_millis()),
        1 => json!(t.timestamp_millis().to_string()),
        2 => json!(t.format("%Y-%m-%d").to_string()),
        3 => json!(t.to_rfc3339()),
        4 => json!(*rng.pick(&["not a date", "2023-13-01", "", "2023-02-30T00:00:00Z"])),
        _ => json!(t.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()),
    }
}

/// A value of the wrong kind, or an edge case of the right one.
fn odd_value(rng: &mut Rng) -> Json {
    rng.pick(&[
        json!(true),
        json!(false),
        json!(0),
        json!(4),
        json!("4"),
        json!(-3),
        json!(4.5),
        json!(""),
        json!("TRUE"),
        json!({}),
        json!({"name": "x"}),
        json!("Create"),
        json!("CR_x"),
        json!(8543820),
        json!("9223372036854775808"),
    ])
    .clone()
}

fn leaf_value(ty: TokenType, seen: &[Json], rng: &mut Rng) -> Json {
    if rng.chance(8) {
        return Json::Null;
    }
    if rng.chance(10) || (seen.is_empty() && ty != TokenType::Date) {
        return odd_value(rng);
    }
    if ty == TokenType::Date {
        return event_date(seen, rng);
    }
    match rng.pick(seen) {
        Json::String(s) => Json::String(recase(s, rng)),
        v => v.clone(),
    }
}

/// A list of 0 to 3 items, sometimes with nulls and nested (or empty) arrays.
fn array_of(rng: &mut Rng, depth: usize, item: &mut impl FnMut(&mut Rng) -> Json) -> Json {
    let n = rng.below(4);
    Json::Array(
        (0..n)
            .map(|_| match rng.below(100) {
                0..=7 => Json::Null,
                8..=15 if depth < 2 => array_of(rng, depth + 1, item),
                _ => item(rng),
            })
            .collect(),
    )
}

fn gen_node(n: &PathNode, rng: &mut Rng) -> Json {
    let mut one = |rng: &mut Rng| -> Json {
        if n.children.is_empty() {
            return leaf_value(n.leaf.unwrap_or(TokenType::Text), &n.seen, rng);
        }
        match rng.below(100) {
            0..=4 => Json::Null,
            5..=7 => odd_value(rng),
            _ => Json::Object(gen_members(n, rng)),
        }
    };
    if n.array || rng.chance(5) {
        array_of(rng, 0, &mut one)
    } else {
        one(rng)
    }
}

fn gen_members(n: &PathNode, rng: &mut Rng) -> Map<String, Json> {
    let mut map = Map::new();
    for (k, c) in &n.children {
        if rng.chance(75) {
            map.insert(k.clone(), gen_node(c, rng));
        }
    }
    map
}

fn gen_event(seed: u64) -> Json {
    let mut rng = Rng::new(seed);
    if rng.chance(10) {
        // A real event, unchanged.
        return rng.pick(sample_events()).clone();
    }
    let data = gen_members(path_tree(), &mut rng);
    match rng.below(10) {
        0..=6 => json!({"sortValues": [], "data": data}),
        // `data` that is not an object: the filter applies to the event itself.
        7 => {
            let mut m = data;
            m.insert("data".into(), json!([]));
            Json::Object(m)
        }
        _ => Json::Object(data),
    }
}

// ---------------------------------------------------------------------------------------------
// The checks.

/// Checks that every node's verdict follows from what it shows, and every term's verdict is what
/// the term alone says of the event.
fn check_node(
    n: &NodeExplanation,
    event: &Json,
    opts: &Options,
    path: &str,
) -> Result<(), TestCaseError> {
    let verdicts: Vec<bool> = n.children.iter().map(|c| c.verdict).collect();
    match n.kind {
        NodeKind::And => {
            prop_assert!(verdicts.len() >= 2, "{path}: AND with {verdicts:?}");
            prop_assert_eq!(n.verdict, verdicts.iter().all(|v| *v), "{}", path);
            prop_assert_eq!(n.decided_by, verdicts.iter().position(|v| !v), "{}", path);
        }
        NodeKind::Or => {
            prop_assert!(verdicts.len() >= 2, "{path}: OR with {verdicts:?}");
            prop_assert_eq!(n.verdict, verdicts.iter().any(|v| *v), "{}", path);
            prop_assert_eq!(n.decided_by, verdicts.iter().position(|v| *v), "{}", path);
        }
        NodeKind::Not => {
            prop_assert_eq!(verdicts.len(), 1, "{}", path);
            prop_assert_eq!(n.verdict, !verdicts[0], "{}", path);
            prop_assert_eq!(n.decided_by, Some(0), "{}", path);
        }
        NodeKind::Term => {
            prop_assert!(n.children.is_empty());
            let t = n.term.as_ref().expect("a term node has a term");
            prop_assert!(
                t.values.len() <= MAX_VALUES + 1,
                "{}: {} values listed",
                path,
                t.values.len()
            );
            prop_assert_eq!(t.missing, t.values.is_empty() && t.more_values == 0);
            // A listed value passed exactly when the term holds (a later passing value is listed).
            prop_assert_eq!(n.verdict, t.values.iter().any(|v| v.passed), "{}", t.term);
            // The term alone, compiled from its canonical text, says the same of the event.
            let alone = compile(&t.term, opts).expect("a term of a compiled filter compiles");
            prop_assert_eq!(n.verdict, alone.matches(event), "term {} alone", t.term);
        }
        _ => prop_assert!(false, "{path}: unknown node kind"),
    }
    for (i, c) in n.children.iter().enumerate() {
        check_node(c, event, opts, &format!("{path}/{i}"))?;
    }
    Ok(())
}

fn check(src: &str, f: &Filter, event: &Json) -> Result<(), TestCaseError> {
    check_with(src, f, event, &opts())
}

fn check_with(src: &str, f: &Filter, event: &Json, opts: &Options) -> Result<(), TestCaseError> {
    let why: Explanation = f.explain(event);
    let want = f.matches(event);
    let shown = serde_json::to_string(event).unwrap();
    prop_assert_eq!(
        why.matched(),
        want,
        "explain vs matches: {} on {}",
        src,
        shown
    );
    prop_assert_eq!(why.tree.verdict, want);
    prop_assert_eq!(
        f.matcher().matches_json(shown.as_bytes()),
        Ok(why.matched()),
        "explain vs the fast path: {} on {}",
        src,
        shown
    );
    check_node(&why.tree, event, opts, "root")
        .map_err(|e| TestCaseError::fail(format!("{src} on {shown}: {e}")))?;
    // The JSON form carries the same answer.
    let json = serde_json::to_value(&why).unwrap();
    prop_assert_eq!(&json["matched"], &json!(want));
    prop_assert_eq!(&json["tree"]["verdict"], &json!(want));
    Ok(())
}

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
    #![proptest_config(config(400))]

    /// The root verdict of `explain` is `matches` and the fast path's answer, on generated filters
    /// and events; every node of the explanation is consistent.
    #[test]
    fn explanation_agrees_with_matches(
        filter_seed in any::<u64>(),
        events in proptest::collection::vec(any::<u64>(), 10),
    ) {
        let src = gen_filter(filter_seed);
        let f = compile(&src, &opts()).expect("generated filters compile");
        for e in events {
            check(&src, &f, &gen_event(e))?;
        }
    }
}

/// The fields of a query's terms, with the texts of their values.
fn fields(e: &Expr, out: &mut Vec<(String, Vec<String>)>) {
    match &e.kind {
        ExprKind::And(xs) | ExprKind::Or(xs) => xs.iter().for_each(|x| fields(x, out)),
        ExprKind::Not(x) => fields(x, out),
        ExprKind::Term(t) => {
            let texts = match &t.predicate {
                Predicate::Value(v) => vec![v.text()],
                Predicate::List(vs, _) | Predicate::Group(vs, _) => {
                    vs.iter().map(|v| v.text()).collect()
                }
                _ => Vec::new(),
            };
            out.push((t.field.name.clone(), texts));
        }
    }
}

/// A value for a field whose filter values are `texts`: one of them as it is, re-cased or inside
/// a longer text, or a value of another kind.
fn near_text(texts: &[String], rng: &mut Rng) -> Json {
    let Some(t) = (!texts.is_empty()).then(|| rng.pick(texts).clone()) else {
        return odd_value(rng);
    };
    match rng.below(10) {
        0..=3 => json!(t),
        4 => json!(t.to_uppercase()),
        5 => json!(t.to_lowercase()),
        6 => json!(format!("x{t}y")),
        7 => Json::Null,
        8 => json!([t, "other"]),
        _ => odd_value(rng),
    }
}

/// Sets `value` at the path `keys` of `map`, through objects or arrays of objects.
fn put(map: &mut Map<String, Json>, keys: &[&str], value: Json, rng: &mut Rng) {
    let Some((k, rest)) = keys.split_first() else {
        return;
    };
    if rest.is_empty() {
        map.insert(k.to_string(), value);
        return;
    }
    let slot = map.entry(k.to_string()).or_insert_with(|| {
        if rng.chance(25) {
            json!([{}, {}])
        } else {
            json!({})
        }
    });
    match slot {
        Json::Object(m) => put(m, rest, value, rng),
        Json::Array(xs) => {
            let i = rng.below(xs.len());
            if let Some(Json::Object(m)) = xs.get_mut(i) {
                put(m, rest, value, rng);
            }
        }
        // A scalar on the way: the path is cut there.
        _ => {}
    }
}

fn event_for(fields: &[(String, Vec<String>)], seed: u64) -> Json {
    let mut rng = Rng::new(seed);
    let mut data = Map::new();
    for (name, texts) in fields {
        if rng.chance(80) {
            let keys: Vec<&str> = name.split('.').collect();
            let v = near_text(texts, &mut rng);
            put(&mut data, &keys, v, &mut rng);
        }
    }
    if rng.chance(50) {
        json!({"sortValues": [], "data": data})
    } else {
        Json::Object(data)
    }
}

proptest! {
    #![proptest_config(config(400))]

    /// The same, on filters of any tokens (read as raw paths) and any values in any form.
    #[test]
    fn explanation_agrees_with_matches_on_arbitrary_filters(
        bytes in proptest::collection::vec(any::<u8>(), 8..300),
        events in proptest::collection::vec(any::<u64>(), 8),
    ) {
        let Ok(query) = Query::arbitrary(&mut Unstructured::new(&bytes)) else {
            return Ok(());
        };
        let opts = opts().allow_unknown(true);
        // Ranges and comparisons on text are refused; such filters are skipped.
        let Ok(f) = compile_query(&query, &opts) else {
            return Ok(());
        };
        let src = query.to_string();
        let mut terms = Vec::new();
        fields(&query.expr, &mut terms);
        for e in events {
            check_with(&src, &f, &event_for(&terms, e), &opts)?;
        }
    }
}

/// The generator makes what the property is about: NOT, arrays, missing fields, date ranges, and
/// both verdicts.
#[test]
fn the_generators_cover_the_cases() {
    let (mut not, mut range, mut arrays, mut missing, mut yes, mut no) = (0, 0, 0, 0, 0, 0);
    for seed in 0..300u64 {
        let src = gen_filter(seed);
        not += usize::from(src.contains("NOT "));
        range += usize::from(src.contains("'..") || src.contains("..'"));
        let f = compile(&src, &opts()).unwrap();
        let event = gen_event(seed);
        let why = f.explain(&event);
        fn terms(n: &NodeExplanation, f: &mut impl FnMut(&fimql::explain::TermExplanation)) {
            if let Some(t) = &n.term {
                f(t);
            }
            n.children.iter().for_each(|c| terms(c, f));
        }
        terms(&why.tree, &mut |t| {
            missing += usize::from(t.missing);
            arrays += usize::from(t.values.len() + t.more_values > 1);
        });
        if why.matched() {
            yes += 1;
        } else {
            no += 1;
        }
    }
    for (what, n) in [
        ("NOT", not),
        ("dateTime ranges", range),
        ("terms with several values", arrays),
        ("missing values", missing),
        ("matches", yes),
        ("non-matches", no),
    ] {
        assert!(n >= 10, "only {n} cases with {what}");
    }
}

/// Every event of the sample export, explained with filters of every kind, gets the answer of
/// `matches`.
#[test]
fn sample_export() {
    let filters = [
        "action:Create",
        "NOT action:Create",
        "action:Create OR severity>=4",
        "profiles.rules.name:*CR_*",
        "dateTime:['2023-03-01T00:00:00.000Z'..'2023-06-30T23:59:59.999Z'] AND NOT actor.userName:SYSTEM",
        "asset.tags:8543820 AND file.attribute.hidden:`Added`",
        "dateTime>=now-30d OR registry.path:*",
    ];
    let mut matched = 0;
    for src in filters {
        let f = compile(src, &opts()).unwrap();
        for event in sample_events() {
            check(src, &f, event).unwrap();
            matched += usize::from(f.matches(event));
        }
    }
    assert!(matched > 0);
}

/// A term over a huge array lists a few values and counts the rest; the value that made it true
/// is listed even when it comes late.
#[test]
fn values_are_capped() {
    let f = compile("asset.tags:needle", &opts()).unwrap();
    let mut tags: Vec<Json> = (0..1000).map(|i| json!(format!("tag{i}"))).collect();
    tags.push(json!("NEEDLE"));
    let event = json!({"data": {"asset": {"tags": tags}}});
    let why = f.explain(&event);
    assert!(why.matched());
    let t = why.tree.term.as_ref().unwrap();
    assert_eq!(t.values.len(), MAX_VALUES + 1);
    assert_eq!(t.more_values, 1001 - (MAX_VALUES + 1));
    assert_eq!(t.values.last().unwrap().value, json!("NEEDLE"));
    assert!(t.values.last().unwrap().passed);
    assert!(t.values[..MAX_VALUES].iter().all(|v| !v.passed));
    assert!(!t.missing);
    assert!(why.render().contains("(and 992 more values)"));

    // Not found anywhere: false, capped the same way.
    let f = compile("asset.tags:absent", &opts()).unwrap();
    let t = f.explain(&event).tree.term.unwrap();
    assert_eq!(
        (t.values.len(), t.more_values),
        (MAX_VALUES, 1001 - MAX_VALUES)
    );
}

/// Missing members, nulls, empty arrays; NOT of a missing field is true.
#[test]
fn missing_null_and_empty_arrays() {
    let f = compile("NOT actor.userName:SYSTEM", &opts()).unwrap();
    for (event, missing, values) in [
        (json!({"data": {}}), true, vec![]),
        (json!({"data": {"actor": null}}), true, vec![]),
        (json!({"data": {"actor": []}}), true, vec![]),
        (
            json!({"data": {"actor": {"userName": null}}}),
            false,
            vec![Json::Null],
        ),
        (
            json!({"data": {"actor": [{"userName": ["x", []]}, {"userName": "system"}]}}),
            false,
            vec![json!("x"), json!("system")],
        ),
    ] {
        let why = f.explain(&event);
        assert_eq!(why.matched(), f.matches(&event), "{event}");
        let t = why.tree.children[0].term.as_ref().unwrap();
        assert_eq!(t.missing, missing, "{event}");
        let seen: Vec<Json> = t.values.iter().map(|v| v.value.clone()).collect();
        assert_eq!(seen, values, "{event}");
        assert_eq!(t.path, "actor.userName");
    }
}

/// The JSON shape: kinds, verdicts, children, and the term fields.
#[test]
fn json_shape() {
    let src = "(action:create OR severity>4) AND NOT profiles.rules.name:*CR_*";
    let f = compile(src, &opts()).unwrap();
    let event = json!({"sortValues": [], "data": {"action": "Create", "severity": "3",
        "profiles": [{"rules": [{"name": "Web root"}]}]}});
    let got = serde_json::to_value(f.explain(&event)).unwrap();
    let want = json!({
        "matched": true,
        "applies_to": "data",
        "tree": {
            "kind": "and", "verdict": true, "children": [
                {"kind": "or", "verdict": true, "decided_by": 0, "children": [
                    {"kind": "term", "verdict": true, "children": [],
                     "term": "action:create", "token": "action", "type": "enum", "path": "action",
                     "span": {"start": 1, "end": 14},
                     "rule": "any value at the path (any array element) equals \"create\", ignoring case",
                     "values": [{"value": "Create", "passed": true}], "more_values": 0, "missing": false},
                    {"kind": "term", "verdict": false, "children": [],
                     "term": "severity>4", "token": "severity", "type": "integer", "path": "severity",
                     "span": {"start": 18, "end": 28},
                     "rule": "any value at the path (any array element) is a number greater than 4",
                     "values": [{"value": "3", "passed": false}], "more_values": 0, "missing": false}
                ]},
                {"kind": "not", "verdict": true, "decided_by": 0, "children": [
                    {"kind": "term", "verdict": false, "children": [],
                     "term": "profiles.rules.name:*CR_*", "token": "profiles.rules.name",
                     "type": "text", "path": "profiles.rules.name",
                     "span": {"start": 38, "end": 63},
                     "rule": "any value at the path (any array element) matches the pattern \"*CR_*\" as a whole (`*` any run of characters, `?` one character), ignoring case",
                     "values": [{"value": "Web root", "passed": false}], "more_values": 0, "missing": false}
                ]}
            ]
        }
    });
    assert_eq!(got, want, "{}", serde_json::to_string_pretty(&got).unwrap());
}

/// The arbitrary filters compile often enough, and their events match them often enough, for the
/// second property to test something.
#[test]
fn arbitrary_filters_compile_and_match() {
    let opts = opts().allow_unknown(true);
    let (mut compiled, mut matched, mut unmatched) = (0, 0, 0);
    for seed in 0..300u64 {
        let mut rng = Rng::new(seed);
        let bytes: Vec<u8> = (0..8 + rng.below(292))
            .map(|_| rng.next_u64() as u8)
            .collect();
        let Ok(query) = Query::arbitrary(&mut Unstructured::new(&bytes)) else {
            continue;
        };
        let Ok(f) = compile_query(&query, &opts) else {
            continue;
        };
        compiled += 1;
        let mut terms = Vec::new();
        fields(&query.expr, &mut terms);
        for e in 0..8 {
            if f.explain(&event_for(&terms, seed * 8 + e)).matched() {
                matched += 1;
            } else {
                unmatched += 1;
            }
        }
    }
    assert!(compiled >= 60, "{compiled} of 300 filters compiled");
    assert!(
        matched >= 100 && unmatched >= 100,
        "{matched} matched, {unmatched} did not"
    );
}

/// The text form: one line per node and one per term's values, whatever the filter and the event
/// hold (line breaks, escape sequences, long values).
#[test]
fn render_keeps_one_line_per_node() {
    let f = compile(
        "file.name:\"a\nb\u{1b}[31m\" OR NOT file.fullPath:*y*",
        &opts(),
    )
    .unwrap();
    let long = "x".repeat(500);
    let event = json!({"data": {"name": "a\nb\u{1b}[31m", "fullPath": long}});
    let text = f.explain(&event).render();
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("file.name:\"a\\nb\\u{1b}[31m\""), "{text}");
    assert!(text.contains("name: \"a\\nb\\u001b[31m\" ✓"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() < 130), "{text}");
    // Without `data`, a first line says where the paths were read.
    let text = f.explain(&json!({"name": "x"})).render();
    assert!(text.starts_with("(no `data` object: the paths are read in the event itself)\n"));
}
