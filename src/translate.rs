//! Translation of a filter into a boolean SQL expression for Spark SQL or DuckDB, with the reading
//! schema derived from the catalog.
//!
//! The expression reads one row per event, with the event's fields as columns (the `data` member
//! of a search-response element already unwrapped: [`script`] does that). It has exactly the
//! meaning of sections 3 and 4 of `language.md`, the one [`Filter::matches`] implements:
//!
//! - every term is wrapped in `coalesce(…, false)`, so a missing or `null` field makes the term
//!   false and `NOT` of it true: SQL's third truth value never reaches `AND`, `OR` or `NOT`;
//! - a path through arrays becomes `exists(array, x -> …)` in Spark and
//!   `list_bool_or(list_transform(array, lambda x: …))` in DuckDB, nested for nested arrays;
//! - every value of the filter is printed as an escaped string literal (Spark: `\\`, `\'`, and
//!   `\uXXXX` for `$` and control characters, so neither variable substitution nor a line break can
//!   touch the statement; DuckDB: `''`, and `chr(n)` for control characters), and wildcard
//!   patterns escape `%`, `_` and the escape character `!` before `LIKE … ESCAPE '!'`;
//! - values are read as text (the reading schema types every leaf as a string), so JSON numbers
//!   and booleans are compared by their text, integers are parsed from digit strings into
//!   `DECIMAL(38,0)` / `HUGEINT`, and dates are parsed by SQL arithmetic (no engine date
//!   functions, no time zone settings, no ANSI-mode errors) into nanoseconds since the epoch, from
//!   every form `parse_event_date` accepts;
//! - `now±N` is resolved against the clock given at translation and printed as a literal instant.
//!
//! A filter that an engine cannot express exactly is an error with the code `untranslatable`
//! with the span of the value, never an approximate query.
//!
//! [`Filter::matches`]: crate::Filter::matches

use std::fmt;
use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::ast::{Piece, Query, Term, Value};
use crate::catalog::{Catalog, Scope, TokenDef};
use crate::compile::{Interval, Node, StrTest, Test, compile_query};
use crate::date::Instant;
use crate::error::{Code, Diagnostic, Diagnostics};
use crate::options::Options;
use crate::span::Span;

/// The SQL engine to translate for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Engine {
    /// Spark SQL 3.5+ / 4.x.
    Spark,
    /// DuckDB 1.3+ (lambda syntax) and 2.x.
    DuckDb,
}

impl Engine {
    /// `"spark"` or `"duckdb"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Engine::Spark => "spark",
            Engine::DuckDb => "duckdb",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Engine {
    type Err = Diagnostic;
    /// `spark` or `duckdb`; anything else is an `unknown-name` diagnostic with a did-you-mean.
    fn from_str(s: &str) -> Result<Self, Diagnostic> {
        match s {
            "spark" => Ok(Engine::Spark),
            "duckdb" => Ok(Engine::DuckDb),
            _ => Err(crate::suggest::unknown_name(
                "engine",
                s,
                &["spark", "duckdb"],
            )),
        }
    }
}

/// The diagnostic for a part of a filter that an engine cannot express exactly.
fn untranslatable(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::Untranslatable, span, message)
        .with_help("evaluate this filter with `fimql filter`, or rewrite the part marked")
}

/// Parses, compiles and translates `src` with the settings of `opts`.
///
/// ```
/// use fimql::translate::{Engine, translate};
/// use fimql::{Options, Scope};
/// let sql = translate("action:Create", Engine::DuckDb, &Options::new(Scope::Events)).unwrap();
/// assert_eq!(sql, r#"coalesce(lower(replace("action", 'İ', 'i̇')) = 'create', false)"#);
/// ```
pub fn translate(src: &str, engine: Engine, opts: &Options) -> Result<String, Diagnostics> {
    let query = crate::parse::parse_with(src, opts)?;
    translate_query(&query, engine, opts)
}

/// Translates a parsed filter into a boolean expression over the columns of one event. The
/// errors are the compilation's diagnostics, or one `untranslatable` diagnostic.
pub fn translate_query(
    query: &Query,
    engine: Engine,
    opts: &Options,
) -> Result<String, Diagnostics> {
    if opts.allow_unknown {
        return Err(Diagnostics::from(untranslatable(
            query.expr.span,
            "unknown tokens have no column in the reading schema",
        )));
    }
    let filter = compile_query(query, opts)?;
    let catalog: &Catalog = &opts.catalog;
    let mut terms: Vec<&Term> = Vec::new();
    query.expr.for_each_term(&mut |t| terms.push(t));
    let tr = Translator {
        engine,
        catalog,
        scope: opts.scope,
        terms,
    };
    tr.node(&filter.root).map_err(Diagnostics::from)
}

/// The whole script for `--query FILE`: read `file` (NDJSON, both record forms) with the reading
/// schema, unwrap `data`, and select the matching events with their fields as columns.
///
/// For Spark it is statements separated by `;` at line ends, to run in order; the last one returns
/// the rows. For DuckDB it is one script of the same shape.
pub fn script(expr: &str, catalog: &Catalog, scope: Scope, engine: Engine, file: &str) -> String {
    let tree = schema_tree(catalog, scope);
    let mut out = String::new();
    match engine {
        Engine::Spark => {
            let _ = writeln!(
                out,
                "CREATE OR REPLACE TEMPORARY VIEW fimql_raw ({}) USING json OPTIONS (path {});",
                spark_columns(&tree),
                lit(engine, file)
            );
        }
        Engine::DuckDb => {
            let _ = writeln!(
                out,
                "CREATE OR REPLACE TEMPORARY VIEW fimql_raw AS SELECT * FROM read_json({}, format = 'newline_delimited', columns = {});",
                lit(engine, file),
                duckdb_columns(&tree)
            );
        }
    }
    let data = ident(engine, "data");
    let cols: Vec<String> = tree
        .iter()
        .filter(|n| n.name != "data")
        .map(|n| {
            let c = ident(engine, &n.name);
            format!("CASE WHEN {data} IS NOT NULL THEN {data}.{c} ELSE {c} END AS {c}")
        })
        .collect();
    let _ = writeln!(
        out,
        "CREATE OR REPLACE TEMPORARY VIEW fimql_events AS SELECT {} FROM fimql_raw;",
        cols.join(", ")
    );
    let _ = writeln!(out, "SELECT * FROM fimql_events WHERE {expr};");
    out
}

/// The reading schema: a Spark DDL string for `spark.read.schema(…)`, or DuckDB's `columns={…}`
/// value for `read_json`. Every token's path is a column (nested structs and arrays as the
/// catalog's paths say, every leaf a string), plus `data` holding the same fields, for
/// search-response elements.
pub fn schema(catalog: &Catalog, scope: Scope, engine: Engine) -> String {
    let tree = schema_tree(catalog, scope);
    match engine {
        Engine::Spark => spark_columns(&tree),
        Engine::DuckDb => duckdb_columns(&tree),
    }
}

/// A node of the schema: a key, whether it holds an array, and its fields (none for a leaf).
#[derive(Clone, Debug)]
struct SchemaNode {
    name: String,
    array: bool,
    fields: Vec<SchemaNode>,
}

fn schema_tree(catalog: &Catalog, scope: Scope) -> Vec<SchemaNode> {
    let mut root: Vec<SchemaNode> = Vec::new();
    for t in catalog.tokens(scope) {
        let mut level = &mut root;
        for (key, array) in t.segments() {
            let i = match level.iter().position(|n| n.name == key) {
                Some(i) => i,
                None => {
                    level.push(SchemaNode {
                        name: key.to_string(),
                        array,
                        fields: Vec::new(),
                    });
                    level.len() - 1
                }
            };
            level[i].array |= array;
            level = &mut level[i].fields;
        }
    }
    root.retain(|n| n.name != "data");
    let data = SchemaNode {
        name: "data".into(),
        array: false,
        fields: root.clone(),
    };
    root.push(data);
    root
}

fn spark_type(n: &SchemaNode) -> String {
    let inner = if n.fields.is_empty() {
        "STRING".to_string()
    } else {
        let fs: Vec<String> = n
            .fields
            .iter()
            .map(|f| format!("{}: {}", ident(Engine::Spark, &f.name), spark_type(f)))
            .collect();
        format!("STRUCT<{}>", fs.join(", "))
    };
    if n.array {
        format!("ARRAY<{inner}>")
    } else {
        inner
    }
}

fn spark_columns(tree: &[SchemaNode]) -> String {
    tree.iter()
        .map(|n| format!("{} {}", ident(Engine::Spark, &n.name), spark_type(n)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn duckdb_type(n: &SchemaNode) -> String {
    let inner = if n.fields.is_empty() {
        "VARCHAR".to_string()
    } else {
        let fs: Vec<String> = n
            .fields
            .iter()
            .map(|f| format!("{} {}", ident(Engine::DuckDb, &f.name), duckdb_type(f)))
            .collect();
        format!("STRUCT({})", fs.join(", "))
    };
    if n.array { format!("{inner}[]") } else { inner }
}

fn duckdb_columns(tree: &[SchemaNode]) -> String {
    let cols: Vec<String> = tree
        .iter()
        .map(|n| {
            format!(
                "{}: {}",
                lit(Engine::DuckDb, &n.name),
                lit(Engine::DuckDb, &duckdb_type(n))
            )
        })
        .collect();
    format!("{{{}}}", cols.join(", "))
}

/// A quoted identifier.
pub(crate) fn ident(engine: Engine, name: &str) -> String {
    match engine {
        Engine::Spark => format!("`{}`", name.replace('`', "``")),
        Engine::DuckDb => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// A string literal that stands for exactly `s`, whatever it holds.
///
/// Spark: backslash and quote are escaped with `\`, and `$` (variable substitution runs on the raw
/// text before parsing) and every control character are written `\uXXXX`. DuckDB: quotes are
/// doubled and control characters are spliced in with `chr(n)`.
pub fn lit(engine: Engine, s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    match engine {
        Engine::Spark => {
            out.push('\'');
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\'' => out.push_str("\\'"),
                    '$' => out.push_str("\\u0024"),
                    c if c.is_control() && (c as u32) < 0x10000 => {
                        let _ = write!(out, "\\u{:04X}", c as u32);
                    }
                    c => out.push(c),
                }
            }
            out.push('\'');
        }
        Engine::DuckDb => {
            let mut parts: Vec<String> = Vec::new();
            let mut cur = String::new();
            for c in s.chars() {
                if c.is_control() {
                    parts.push(format!("'{}'", std::mem::take(&mut cur)));
                    parts.push(format!("chr({})", c as u32));
                } else if c == '\'' {
                    cur.push_str("''");
                } else {
                    cur.push(c);
                }
            }
            parts.push(format!("'{cur}'"));
            parts.retain(|p| p != "''");
            match parts.len() {
                0 => out.push_str("''"),
                1 => out.push_str(&parts[0]),
                _ => {
                    out.push('(');
                    out.push_str(&parts.join(" || "));
                    out.push(')');
                }
            }
        }
    }
    out
}

/// A LIKE pattern (escape character `!`) for the pieces of a bare value, lower-cased as the
/// evaluator's wildcard matching lower-cases them.
pub(crate) fn like_pattern(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Star => out.push('%'),
            Piece::One => out.push('_'),
            Piece::Literal(s) => {
                for c in s.to_lowercase().chars() {
                    if matches!(c, '%' | '_' | '!') {
                        out.push('!');
                    }
                    out.push(c);
                }
            }
        }
    }
    out
}

struct Translator<'a> {
    engine: Engine,
    catalog: &'a Catalog,
    scope: Scope,
    terms: Vec<&'a Term>,
}

impl Translator<'_> {
    fn node(&self, n: &Node) -> Result<String, Diagnostic> {
        Ok(match n {
            Node::And(xs) | Node::Or(xs) => {
                let op = if matches!(n, Node::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let mut parts = xs
                    .iter()
                    .map(|x| self.node(x).map(|s| (cost(x), format!("({s})"))))
                    .collect::<Result<Vec<_>, _>>()?;
                // Cheap operands first: engines evaluate AND and OR left to right and stop early,
                // and every operand is two-valued and cannot fail, so the order changes nothing
                // but the time spent parsing dates.
                parts.sort_by_key(|(c, _)| *c);
                parts
                    .into_iter()
                    .map(|(_, s)| s)
                    .collect::<Vec<_>>()
                    .join(op)
            }
            Node::Not(x) => format!("NOT ({})", self.node(x)?),
            Node::Term(t) => {
                let term = self.terms[t.id];
                let def = self
                    .catalog
                    .lookup(self.scope, &term.field.name)
                    .ok_or_else(|| {
                        untranslatable(
                            term.field.span,
                            format!("`{}` has no column", term.field.name),
                        )
                    })?;
                let leaf = self.leaf_test(term, &t.test)?;
                format!("coalesce({}, false)", self.walk(def, &leaf))
            }
        })
    }

    /// The SQL that applies `leaf` (a template over `{v}`) to every value at the token's path.
    fn walk(&self, def: &TokenDef, leaf: &LeafSql) -> String {
        let segs = def.segments();
        self.walk_from(&segs, None, 0, leaf)
    }

    fn walk_from(
        &self,
        segs: &[(&str, bool)],
        base: Option<&str>,
        depth: usize,
        leaf: &LeafSql,
    ) -> String {
        let mut cur = base.map(str::to_string);
        for (i, (key, array)) in segs.iter().enumerate() {
            let k = ident(self.engine, key);
            let next = match &cur {
                None => k,
                Some(c) => format!("{c}.{k}"),
            };
            if *array {
                let var = format!("fimql_x{depth}");
                let inner = if i + 1 == segs.len() {
                    (leaf.0)(&var)
                } else {
                    self.walk_from(&segs[i + 1..], Some(&var), depth + 1, leaf)
                };
                return match self.engine {
                    Engine::Spark => {
                        format!("exists({next}, {var} -> coalesce({inner}, false))")
                    }
                    Engine::DuckDb => format!(
                        "coalesce(list_bool_or(list_transform({next}, lambda {var}: coalesce({inner}, false))), false)"
                    ),
                };
            }
            cur = Some(next);
        }
        (leaf.0)(cur.as_deref().unwrap_or("NULL"))
    }

    fn lowerer(&self) -> impl Fn(&str) -> String + 'static {
        let e = self.engine;
        move |v: &str| lower(e, v)
    }

    fn leaf_test(&self, term: &Term, test: &Test) -> Result<LeafSql, Diagnostic> {
        let e = self.engine;
        Ok(match test {
            Test::Present => LeafSql(Box::new(|v| format!("{v} IS NOT NULL"))),
            Test::Str(tests) => {
                let values = term.predicate.values();
                let mut parts: Vec<SqlFn> = Vec::new();
                for (i, t) in tests.iter().enumerate() {
                    let value = values.get(i).copied();
                    let span = value.map_or(term.span, |v| v.span);
                    match t {
                        StrTest::Exact(x) => {
                            let l = lit(e, x);
                            parts.push(Box::new(move |v| format!("{v} = {l}")));
                        }
                        StrTest::EqFold(x) => {
                            check_fold(x, span)?;
                            let l = lit(e, x);
                            let me = self.lowerer();
                            parts.push(Box::new(move |v| format!("{} = {l}", me(v))));
                        }
                        StrTest::ContainsFold(x) => {
                            check_fold(x, span)?;
                            let l = lit(e, x);
                            let me = self.lowerer();
                            parts.push(Box::new(move |v| match e {
                                Engine::Spark => format!("instr({}, {l}) > 0", me(v)),
                                Engine::DuckDb => format!("contains({}, {l})", me(v)),
                            }));
                        }
                        StrTest::Wildcard(_) => {
                            let pieces = value.map(Value::pattern).ok_or_else(|| {
                                untranslatable(span, "wildcard without its value")
                            })?;
                            for p in &pieces {
                                if let Piece::Literal(s) = p {
                                    check_fold(&s.to_lowercase(), span)?;
                                    check_fold(s, span)?;
                                }
                            }
                            let l = lit(e, &like_pattern(&pieces));
                            let me = self.lowerer();
                            parts.push(Box::new(move |v| format!("{} LIKE {l} ESCAPE '!'", me(v))));
                        }
                    }
                }
                LeafSql(Box::new(move |v| {
                    let xs: Vec<String> = parts.iter().map(|p| p(v)).collect();
                    if xs.len() == 1 {
                        xs.into_iter().next().unwrap_or_default()
                    } else {
                        format!("({})", xs.join(" OR "))
                    }
                }))
            }
            Test::Bool(b) => {
                let want = if *b { "'true'" } else { "'false'" };
                // `parse_boolean` is ASCII case-insensitive; no other character lower-cases to
                // the letters of `true` or `false` in either engine.
                LeafSql(Box::new(move |v| format!("lower({v}) = {want}")))
            }
            Test::Int(ranges) => {
                let ranges = ranges.clone();
                LeafSql(Box::new(move |v| int_sql(e, v, &ranges)))
            }
            Test::Date(intervals) => {
                let intervals = intervals.clone();
                LeafSql(Box::new(move |v| date_sql(e, v, &intervals)))
            }
        })
    }
}

/// A rough evaluation cost: dates (a regex and arithmetic) cost most, then integers.
fn cost(n: &Node) -> u8 {
    match n {
        Node::And(xs) | Node::Or(xs) => xs.iter().map(cost).max().unwrap_or(0),
        Node::Not(x) => cost(x),
        Node::Term(t) => match t.test {
            Test::Date(_) => 3,
            Test::Int(_) => 2,
            _ => 1,
        },
    }
}

/// Lower-cases a value as Rust's `str::to_lowercase` does.
fn lower(e: Engine, v: &str) -> String {
    match e {
        // Java's full lower-case mapping, like Rust's `to_lowercase` (İ becomes i̇).
        Engine::Spark => format!("lower({v})"),
        // utf8proc's simple mapping differs from Rust's only for İ (and a word-final Σ, which
        // needles cannot hold: see `check_fold`).
        Engine::DuckDb => format!("lower(replace({v}, 'İ', 'i̇'))"),
    }
}

/// SQL text for a value expression.
type SqlFn = Box<dyn Fn(&str) -> String>;

/// A leaf predicate.
struct LeafSql(SqlFn);

/// Case-insensitive needles may not hold a sigma: Rust lower-cases a final `Σ` to `ς`, DuckDB
/// always to `σ`, and where a word ends inside a pattern piece differs from where it ends in the
/// value.
fn check_fold(needle: &str, span: Span) -> Result<(), Diagnostic> {
    if needle.contains(['σ', 'ς', 'Σ']) {
        return Err(untranslatable(
            span,
            "a case-insensitive value holding a sigma (σ, ς, Σ): engines lower-case a \
                      word-final Σ differently; use an exact (backtick) value",
        ));
    }
    Ok(())
}

fn int_sql(e: Engine, v: &str, ranges: &[(i128, i128)]) -> String {
    let (num, cast) = match e {
        Engine::Spark => (
            format!("{v} RLIKE '^-?[0-9]{{1,38}}\\\\z'"),
            format!("CAST({v} AS DECIMAL(38,0))"),
        ),
        Engine::DuckDb => (
            format!("regexp_full_match({v}, '-?[0-9]{{1,38}}')"),
            format!("CAST({v} AS HUGEINT)"),
        ),
    };
    let k = |n: i128| match e {
        Engine::Spark => format!("{n}BD"),
        Engine::DuckDb => format!("CAST('{n}' AS HUGEINT)"),
    };
    let conds: Vec<String> = ranges
        .iter()
        .map(|&(lo, hi)| {
            let mut c = Vec::new();
            if lo == hi {
                c.push(format!("fimql_n = {}", k(lo)));
            } else {
                if lo != i128::MIN {
                    c.push(format!("fimql_n >= {}", k(lo)));
                }
                if hi != i128::MAX {
                    c.push(format!("fimql_n <= {}", k(hi)));
                }
            }
            sql_all(&c)
        })
        .collect();
    let body = sql_any(&conds);
    bind(
        e,
        &format!("CASE WHEN {num} THEN {cast} END"),
        "fimql_n",
        &body,
    )
}

/// `body` (using `name`) with `name` bound to the value of `expr`, evaluated once; false when
/// `expr` is null.
fn bind(e: Engine, expr: &str, name: &str, body: &str) -> String {
    match e {
        Engine::Spark => {
            format!("exists(array({expr}), {name} -> {name} IS NOT NULL AND ({body}))")
        }
        Engine::DuckDb => format!(
            "coalesce(list_bool_or(list_transform([{expr}], lambda {name}: {name} IS NOT NULL AND ({body}))), false)"
        ),
    }
}

/// Nanoseconds since the epoch of an instant.
fn nanos(t: Instant) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}

fn instant_lit(e: Engine, t: Instant) -> String {
    let n = nanos(t);
    let text = t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    match e {
        Engine::Spark => format!("{n}BD /* {text} */"),
        Engine::DuckDb => format!("CAST('{n}' AS HUGEINT) /* {text} */"),
    }
}

/// Spark and DuckDB regex of the event date grammar (`parse_iso`), anchored; ten groups:
/// year, month, day, hour, minute, second, fraction, zone sign, zone hour, zone minute.
const DATE_RE: &str = r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?(?:Z|([+-])([0-9]{2}):?([0-9]{2}))?)?\z";

fn date_sql(e: Engine, v: &str, intervals: &[Interval]) -> String {
    let t = "fimql_t";
    let conds: Vec<String> = intervals
        .iter()
        .map(|iv| {
            let mut c = Vec::new();
            if let Some((b, inc)) = iv.lo {
                c.push(format!(
                    "{t} {} {}",
                    if inc { ">=" } else { ">" },
                    instant_lit(e, b)
                ));
            }
            if let Some((b, inc)) = iv.hi {
                c.push(format!(
                    "{t} {} {}",
                    if inc { "<=" } else { "<" },
                    instant_lit(e, b)
                ));
            }
            sql_all(&c)
        })
        .collect();
    let body = sql_any(&conds);
    bind(e, &date_nanos(e, v), t, &body)
}

/// The SQL for the instant (nanoseconds since the epoch) of an event date value, or NULL when
/// it does not parse: exactly `parse_event_date`. The regex runs once to split the value into
/// its parts; the civil date becomes days by integer arithmetic (proleptic Gregorian), checked
/// for a valid day of the month.
fn date_nanos(e: Engine, v: &str) -> String {
    let max_ms = DateTime::<Utc>::MAX_UTC.timestamp_millis();
    let re = lit(e, DATE_RE);
    let (a, p) = ("fimql_a", "fimql_p");
    let (base, int_div, big) = match e {
        Engine::Spark => (0usize, "div", "DECIMAL(38,0)"),
        Engine::DuckDb => (1usize, "//", "HUGEINT"),
    };
    let (digits, trimmed, matches, split) = match e {
        Engine::Spark => (
            format!("{v} RLIKE '^[0-9]+\\\\z'"),
            format!("trim(LEADING '0' FROM {v})"),
            format!("{v} RLIKE {re}"),
            format!(
                "split(regexp_replace({v}, {re}, {}), ',', -1)",
                lit(e, "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10")
            ),
        ),
        Engine::DuckDb => (
            format!("regexp_full_match({v}, '[0-9]+')"),
            format!("ltrim({v}, '0')"),
            format!("regexp_matches({v}, {re})"),
            format!(
                "regexp_extract({v}, {re}, ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9', 'p10'])"
            ),
        ),
    };
    // The i-th string part (0-based).
    let sp = |i: usize| match e {
        Engine::Spark => format!("{p}[{i}]"),
        Engine::DuckDb => format!("{p}.p{}", i + 1),
    };
    let num = |i: usize| format!("coalesce(CAST(nullif({}, '') AS BIGINT), 0)", sp(i));
    let ints = [
        num(0),
        num(1),
        num(2),
        num(3),
        num(4),
        num(5),
        format!("CAST(rpad({}, 9, '0') AS BIGINT)", sp(6)),
        format!("CASE WHEN {} = '-' THEN -1 ELSE 1 END", sp(7)),
        num(8),
        num(9),
    ]
    .join(", ");
    let q = |i: usize| format!("{a}[{}]", i + base);
    let (y, m, d, h, mi, s, frac, sign, zh, zm) =
        (q(0), q(1), q(2), q(3), q(4), q(5), q(6), q(7), q(8), q(9));
    let leap = format!("(({y} % 4 = 0 AND {y} % 100 <> 0) OR {y} % 400 = 0)");
    let dim = format!(
        "CASE WHEN {m} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
    );
    let valid = format!(
        "{m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND {dim} AND {h} <= 23 AND {mi} <= 59 AND {s} <= 59 AND {zh} <= 23 AND {zm} <= 59"
    );
    // Shifted by 400 years so that every division is on non-negative numbers.
    let yy = format!("({y} - CASE WHEN {m} <= 2 THEN 1 ELSE 0 END + 400)");
    let era = format!("({yy} {int_div} 400)");
    let yoe = format!("({yy} % 400)");
    let doy = format!("((153 * (({m} + 9) % 12) + 2) {int_div} 5 + {d} - 1)");
    let doe = format!("({yoe} * 365 + {yoe} {int_div} 4 - {yoe} {int_div} 100 + {doy})");
    let days = format!("({era} * 146097 + {doe} - 865565)");
    let secs = format!(
        "({days} * 86400 + {h} * 3600 + {mi} * 60 + {s} - {sign} * ({zh} * 3600 + {zm} * 60))"
    );
    let ns = format!("CAST({secs} AS {big}) * 1000000000 + {frac}");
    let iso = match e {
        Engine::Spark => format!(
            "transform(array({split}), {p} -> transform(array(array({ints})), {a} -> CASE WHEN {valid} THEN {ns} END)[0])[0]"
        ),
        Engine::DuckDb => format!(
            "list_transform([{split}], lambda {p}: list_transform([[{ints}]], lambda {a}: CASE WHEN {valid} THEN {ns} END)[1])[1]"
        ),
    };
    let ms = format!("CAST(concat('0', {trimmed}) AS {big})");
    format!(
        "CASE WHEN {digits} THEN CASE WHEN length({trimmed}) <= 16 THEN CASE WHEN {ms} <= {max_ms} THEN {ms} * 1000000 END END WHEN {matches} THEN {iso} END"
    )
}

/// The SQL conjunction of conditions (`true` for none).
fn sql_all(conds: &[String]) -> String {
    if conds.is_empty() {
        "true".to_string()
    } else {
        conds.join(" AND ")
    }
}

/// The SQL disjunction of conditions (`false` for none).
fn sql_any(conds: &[String]) -> String {
    if conds.is_empty() {
        "false".to_string()
    } else {
        conds.join(" OR ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(lit(Engine::Spark, "a'b\\c$d\n"), r"'a\'b\\c\u0024d\u000A'");
        assert_eq!(lit(Engine::DuckDb, "a'b\nc"), "('a''b' || chr(10) || 'c')");
        assert_eq!(lit(Engine::DuckDb, ""), "''");
        assert_eq!(
            like_pattern(&Value::bare(r"A%_!*\*?").pattern()),
            "a!%!_!!%*_"
        );
    }

    #[test]
    fn date_nanos_epoch() {
        let t = DateTime::parse_from_rfc3339("1970-01-01T00:00:01Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(nanos(t), 1_000_000_000);
    }
}
