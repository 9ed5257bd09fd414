//! SQL translation: escaping, determinism, untranslatable filters. The engines themselves run in
//! `tests/engines/`.

use fimql::Options;
use fimql::ast::{Form, Value};
use fimql::catalog::{Catalog, Scope};
use fimql::translate::{Engine, lit, schema, translate};
use proptest::prelude::*;

mod common;

const ENGINES: [Engine; 2] = [Engine::Spark, Engine::DuckDb];

fn opts() -> Options {
    let now = chrono::DateTime::parse_from_rfc3339("2023-06-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    Options::new(Scope::Events).now(now)
}

/// Spark's unescaping of a string literal (`unescapeSQLString`), for the escapes `lit` emits.
fn spark_unescape(l: &str) -> Option<String> {
    let body = l.strip_prefix('\'')?.strip_suffix('\'')?;
    let chars: Vec<char> = body.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                let n = *chars.get(i + 1)?;
                if n == 'u' {
                    let hex: String = chars.get(i + 2..i + 6)?.iter().collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    i += 6;
                    continue;
                }
                out.push(match n {
                    '\\' => '\\',
                    '\'' => '\'',
                    _ => return None,
                });
                i += 2;
            }
            '\'' => return None,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(out)
}

/// DuckDB's reading of what `lit` emits: `'…'` with `''`, or `('…' || chr(n) || …)`.
fn duckdb_unescape(l: &str) -> Option<String> {
    let inner = match l.strip_prefix('(') {
        Some(x) => x.strip_suffix(')')?,
        None => l,
    };
    let mut out = String::new();
    let mut rest = inner;
    loop {
        if let Some(r) = rest.strip_prefix("chr(") {
            let end = r.find(')')?;
            out.push(char::from_u32(r[..end].parse().ok()?)?);
            rest = &r[end + 1..];
        } else {
            let r = rest.strip_prefix('\'')?;
            let mut chars = r.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().map(|x| x.1) == Some('\'') {
                        out.push('\'');
                        chars.next();
                    } else {
                        end = Some(i);
                        break;
                    }
                } else {
                    out.push(c);
                }
            }
            rest = &r[end? + 1..];
        }
        if rest.is_empty() {
            return Some(out);
        }
        rest = rest.strip_prefix(" || ")?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn literals_stand_for_exactly_their_text(s in any::<String>()) {
        let sp = lit(Engine::Spark, &s);
        prop_assert_eq!(spark_unescape(&sp), Some(s.clone()));
        // No variable substitution, no line break, no control character in Spark's text.
        prop_assert!(!sp.contains('$') && !sp.chars().any(char::is_control));
        let dd = lit(Engine::DuckDb, &s);
        prop_assert_eq!(duckdb_unescape(&dd), Some(s.clone()));
        prop_assert!(!dd.chars().any(char::is_control));
    }

    /// A value never changes the query's structure: the SQL for `file.name:<v>` is the SQL for
    /// `file.name:<x>` with the placeholder's literal swapped for the value's.
    #[test]
    fn values_cannot_change_the_structure(
        s in "(\\PC|[%_!'\"\\\\$;\n*?])+",
        form in prop_oneof![Just(Form::Backtick), Just(Form::Double), Just(Form::Single)],
    ) {
        prop_assume!(!s.to_lowercase().contains(['σ', 'ς']) && !s.contains('Σ'));
        let v = Value::new(form, &s);
        let placeholder = Value::new(form, "placeholder");
        for e in ENGINES {
            let got = translate(&format!("file.name:{v} AND NOT actor.userName:{v}"), e, &opts()).unwrap();
            let base = translate(&format!("file.name:{placeholder} AND NOT actor.userName:{placeholder}"), e, &opts()).unwrap();
            let needle = if form == Form::Backtick { s.clone() } else { s.to_lowercase() };
            let l = lit(e, &needle);
            prop_assert!(got.contains(&l));
            prop_assert_eq!(got.replace(&l, &lit(e, "placeholder")), base);
        }
    }

    #[test]
    fn translation_is_deterministic(seed in any::<u64>()) {
        let catalog = Catalog::builtin();
        let samples = fimql::testing::filtergen::Samples::default();
        let now = opts().now.unwrap();
        let mut g = fimql::testing::filtergen::FilterGen::new(seed, &catalog, Scope::Events, &samples, now);
        let f = g.next_filter();
        for e in ENGINES {
            let a = translate(&f, e, &opts());
            let b = translate(&f, e, &opts());
            prop_assert_eq!(a, b);
        }
    }
}

#[test]
fn wildcards_escape_like_metacharacters() {
    let sql = translate(r"file.name:50\%*a_b?!", Engine::DuckDb, &opts()).unwrap();
    assert!(sql.contains(r"LIKE '50!%%a!_b_!!' ESCAPE '!'"), "{sql}");
}

#[test]
fn now_is_printed_as_a_literal_instant() {
    let sql = translate("dateTime>now-1d", Engine::Spark, &opts()).unwrap();
    assert!(
        sql.contains("1685491200000000000BD /* 2023-05-31T00:00:00Z */"),
        "{sql}"
    );
}

#[test]
fn every_term_is_two_valued() {
    let sql = translate("NOT action:Create", Engine::Spark, &opts()).unwrap();
    assert_eq!(sql, "NOT (coalesce(lower(`action`) = 'create', false))");
}

#[test]
fn sigma_is_untranslatable() {
    let src = "file.name:\"ΣΟΦΊΑ\"";
    for e in ENGINES {
        let err = translate(src, e, &opts()).unwrap_err();
        assert_eq!(err.diagnostics()[0].code.as_str(), "untranslatable");
        assert!(err.render(src).contains("^^^^^^^"), "{}", err.render(src));
    }
    // Exact values are fine.
    assert!(translate("file.name:`ΣΟΦΊΑ`", Engine::DuckDb, &opts()).is_ok());
}

#[test]
fn schema_has_every_path_and_data() {
    let s = schema(&Catalog::builtin(), Scope::Events, Engine::Spark);
    assert!(s.starts_with("`dateTime` STRING, "));
    assert!(s.contains("`profiles` ARRAY<STRUCT<`name`: STRING, `id`: STRING, `type`: STRING, `category`: STRUCT<`name`: STRING>, `rules`: ARRAY<STRUCT<"));
    assert!(s.contains(", `data` STRUCT<`dateTime`: STRING"));
    let d = schema(&Catalog::builtin(), Scope::Events, Engine::DuckDb);
    assert!(d.contains(r#"'asset': 'STRUCT("name" VARCHAR"#), "{d}");
    assert_eq!(s, schema(&Catalog::builtin(), Scope::Events, Engine::Spark));
}

/// Runs `fimql`: its exit status, standard output and standard error.
fn fimql(args: &[&str]) -> (i32, String, String) {
    let o = common::fimql(args, None);
    (common::code(&o), common::stdout(&o), common::stderr(&o))
}

#[test]
fn cli_shape() {
    let (code, expr, _) = fimql(&["translate", "--to", "duckdb", "action:Create"]);
    assert_eq!(code, 0);
    assert_eq!(
        expr,
        "coalesce(lower(replace(\"action\", 'İ', 'i̇')) = 'create', false)\n"
    );
    let (code, script, _) = fimql(&[
        "translate",
        "--to",
        "spark",
        "--scope",
        "incidents",
        "--now",
        "2023-01-10T12:00:00Z",
        "--query",
        "dir/it's.ndjson",
        "createdBy.date>now-1d",
    ]);
    assert_eq!(code, 0);
    let stmts: Vec<&str> = script.split(";\n").filter(|s| !s.is_empty()).collect();
    assert_eq!(stmts.len(), 3, "{script}");
    assert!(stmts[0].contains(r"USING json OPTIONS (path 'dir/it\'s.ndjson')"));
    assert!(stmts[2].starts_with("SELECT * FROM fimql_events WHERE "));
    assert!(stmts[2].contains("/* 2023-01-09T12:00:00Z */"));
    let (code, schema, _) = fimql(&["schema", "--to", "duckdb", "--scope", "incidents"]);
    assert_eq!(code, 0);
    assert!(schema.starts_with("{'id': 'VARCHAR'"), "{schema}");
    let (code, _, err) = fimql(&["translate", "--to", "spark", "file.name:σ*"]);
    assert_eq!(code, 1);
    assert!(err.contains("untranslatable"), "{err}");
    let (code, _, _) = fimql(&["translate", "--to", "spark", "actoin:Create"]);
    assert_eq!(code, 1);
    let (code, _, _) = fimql(&["translate", "--to", "oracle", "action:Create"]);
    assert_eq!(code, 2);
}
