//! Checks that the built-in catalog is the token catalog of the specification, `tokens.md`: every
//! row of every scope table, column by column (token, type, JSON path, aliases, known values,
//! source, and the notes text itself), and the order of the rows.
//!
//! What the tables say, as this test reads them (the format of `tokens.md`):
//! - A section `## Scope `name` …` holds one table of that scope, with the columns
//!   `| token | type | JSON path | known values / notes | source |`.
//! - Aliases are written ``alias `name` `` in the notes column.
//! - The known values of an `enum` token are the comma-separated words of the notes column up to
//!   the first `;` (after it come notes, e.g. an alias). Other types have no known values: what
//!   their notes column holds (`1–5`, `PCI`, `e.g. Hidden, Read Only`) is description.
//!
//! The extraction is strict: a table outside a scope section, a second table in a scope, an
//! unknown scope, type or source, a malformed row or an enum value that is not a plain word is an
//! error, so an edit to `tokens.md` cannot silently drop a row from the comparison.
//!
//! Where the crate differs from `tokens.md` on purpose, [`DELIBERATE`] says so, with the reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use fimql::catalog::{Source, TokenDef, TokenType};
use fimql::{Catalog, Scope, Severity, validate};

mod common;

/// The differences between the built-in catalog and `tokens.md` that the crate keeps on purpose:
/// (scope, token, what differs, why). "What differs" is one of the kinds of [`Difference`]:
/// `type`, `JSON path`, `aliases`, `known values`, `source`, `note`, `missing from the catalog`,
/// `not in tokens.md`, `order`, `duplicate`.
///
/// Empty: the catalog follows `tokens.md` in every row. An entry here that no longer matches a
/// difference fails the test too, so the list cannot outlive its reason.
const DELIBERATE: &[(&str, &str, &str, &str)] = &[];

/// The columns of every scope table.
const HEADER: [&str; 5] = [
    "token",
    "type",
    "JSON path",
    "known values / notes",
    "source",
];

/// The spec's `tokens.md`.
fn tokens_md() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/spec/tokens.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One row of a scope table of `tokens.md`.
#[derive(Debug, Clone)]
struct SpecRow {
    /// 1-based line in the document.
    line: usize,
    scope: Scope,
    token: String,
    ty: String,
    path: String,
    aliases: Vec<String>,
    values: Vec<String>,
    source: String,
    /// The whole "known values / notes" cell.
    note: String,
}

/// The cells of a table line `| a | b |`; `\|` stands for a `|` inside a cell.
fn cells(line: &str) -> Result<Vec<String>, String> {
    let inner = line
        .trim()
        .strip_prefix('|')
        .and_then(|l| l.strip_suffix('|'))
        .ok_or("a table line must start and end with `|`")?;
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                out.last_mut().unwrap().push('|');
            }
            '|' => out.push(String::new()),
            _ => out.last_mut().unwrap().push(c),
        }
    }
    Ok(out.into_iter().map(|c| c.trim().to_string()).collect())
}

/// The aliases a notes cell names: every ``alias `name` ``.
fn aliases_of(note: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (i, _) in note.match_indices("alias") {
        let rest = &note[i + "alias".len()..];
        let name = rest
            .strip_prefix(" `")
            .and_then(|r| r.split_once('`'))
            .map(|(name, _)| name)
            .filter(|name| !name.is_empty() && !name.contains(' '))
            .ok_or_else(|| format!("`alias` must be followed by a name in backticks: `{note}`"))?;
        out.push(name.to_string());
    }
    Ok(out)
}

/// The known values of an enum row: the comma-separated words of its notes before the first `;`.
fn values_of(note: &str) -> Result<Vec<String>, String> {
    let head = note.split(';').next().unwrap_or_default();
    let mut out = Vec::new();
    for v in head.split(',').map(str::trim).filter(|v| !v.is_empty()) {
        if !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "enum value `{v}` is not a plain word (values come before the first `;`)"
            ));
        }
        out.push(v.to_string());
    }
    Ok(out)
}

fn row(line: usize, scope: Scope, cells: &[String]) -> Result<SpecRow, String> {
    let [token, ty, path, note, source] = cells else {
        return Err(format!("{} cells, expected {}", cells.len(), HEADER.len()));
    };
    if token.is_empty() || token.contains(char::is_whitespace) || token.contains('`') {
        return Err(format!("`{token}` is not a token name"));
    }
    if !["text", "keyword", "enum", "integer", "boolean", "date"].contains(&ty.as_str()) {
        return Err(format!("unknown type `{ty}`"));
    }
    if path.is_empty() || path.contains(char::is_whitespace) {
        return Err(format!("`{path}` is not a JSON path"));
    }
    if !["doc", "seen", "inferred"].contains(&source.as_str()) {
        return Err(format!("unknown source `{source}`"));
    }
    let values = if ty == "enum" {
        values_of(note)?
    } else {
        Vec::new()
    };
    Ok(SpecRow {
        line,
        scope,
        token: token.clone(),
        ty: ty.clone(),
        path: path.clone(),
        aliases: aliases_of(note)?,
        values,
        source: source.clone(),
        note: note.clone(),
    })
}

/// Every row of every scope table of `md`.
fn extract(md: &str) -> Result<Vec<SpecRow>, String> {
    #[derive(PartialEq)]
    enum State {
        /// Outside a table.
        Text,
        /// The header was read; the separator comes next.
        Separator,
        Rows,
    }
    let mut out = Vec::new();
    let mut scope: Option<Scope> = None;
    let mut tables: BTreeMap<Scope, usize> = BTreeMap::new();
    let mut state = State::Text;
    for (n, line) in md.lines().enumerate().map(|(n, l)| (n + 1, l)) {
        let at = |e: String| format!("line {n}: {e}");
        let trimmed = line.trim();
        if !trimmed.starts_with('|') {
            if state == State::Separator {
                return Err(at("a table header without its separator line".into()));
            }
            state = State::Text;
            if let Some(heading) = trimmed.strip_prefix("## ") {
                scope = match heading.strip_prefix("Scope `") {
                    Some(rest) => {
                        let name = rest.split('`').next().unwrap_or_default();
                        let s = name.parse::<Scope>().map_err(|d| at(d.message))?;
                        if tables.contains_key(&s) {
                            return Err(at(format!("a second section for scope `{s}`")));
                        }
                        tables.insert(s, 0);
                        Some(s)
                    }
                    None => None,
                };
            }
            continue;
        }
        let cells = cells(trimmed).map_err(|e| at(e.to_string()))?;
        match state {
            State::Text => {
                let s = scope.ok_or_else(|| at("a table outside a scope section".into()))?;
                if cells != HEADER {
                    return Err(at(format!(
                        "the table header must be `| {} |`",
                        HEADER.join(" | ")
                    )));
                }
                let count = tables.entry(s).or_default();
                if *count > 0 {
                    return Err(at(format!("a second table in scope `{s}`")));
                }
                state = State::Separator;
            }
            State::Separator => {
                let separator = cells.len() == HEADER.len()
                    && cells.iter().all(|c| {
                        let c = c.trim_matches(':');
                        !c.is_empty() && c.chars().all(|ch| ch == '-')
                    });
                if !separator {
                    return Err(at("expected the separator line `|---|…|`".into()));
                }
                state = State::Rows;
            }
            State::Rows => {
                let s = scope.expect("a table is in a scope");
                out.push(row(n, s, &cells).map_err(at)?);
                *tables.entry(s).or_default() += 1;
            }
        }
    }
    if state == State::Separator {
        return Err("the document ends after a table header".into());
    }
    for s in Scope::ALL {
        match tables.get(&s) {
            None => return Err(format!("no section for scope `{s}`")),
            Some(0) => return Err(format!("scope `{s}` has no table rows")),
            Some(_) => {}
        }
    }
    Ok(out)
}

/// One way the catalog and `tokens.md` differ.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Difference {
    scope: Scope,
    token: String,
    /// What differs: a column name, or `missing from the catalog`, `not in tokens.md`, `order`,
    /// `duplicate`.
    what: &'static str,
    detail: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "scope {}, token `{}`: {}: {}",
            self.scope, self.token, self.what, self.detail
        )
    }
}

/// Every difference between the rows of `tokens.md` and a catalog, scope by scope, row by row.
fn differences(spec: &[SpecRow], catalog: &Catalog) -> Vec<Difference> {
    let mut out = Vec::new();
    for scope in Scope::ALL {
        let rows: Vec<&SpecRow> = spec.iter().filter(|r| r.scope == scope).collect();
        let tokens = catalog.tokens(scope);
        let mut diff = |token: &str, what: &'static str, detail: String| {
            out.push(Difference {
                scope,
                token: token.to_string(),
                what,
                detail,
            });
        };
        let mut seen = BTreeSet::new();
        for r in &rows {
            if !seen.insert(r.token.as_str()) {
                diff(
                    &r.token,
                    "duplicate",
                    format!("tokens.md lists it again at line {}", r.line),
                );
            }
        }
        let mut seen = BTreeSet::new();
        for t in tokens {
            if !seen.insert(t.name.as_str()) {
                diff(&t.name, "duplicate", "the catalog holds it twice".into());
            }
        }
        for r in &rows {
            let Some(t) = tokens.iter().find(|t| t.name == r.token) else {
                diff(
                    &r.token,
                    "missing from the catalog",
                    format!("tokens.md line {} lists it", r.line),
                );
                continue;
            };
            let mut column = |what: &'static str, spec: String, ours: String| {
                if spec != ours {
                    diff(
                        &r.token,
                        what,
                        format!(
                            "tokens.md (line {}) has {spec}, the catalog has {ours}",
                            r.line
                        ),
                    );
                }
            };
            column("type", r.ty.clone(), t.ty.as_str().to_string());
            column("JSON path", r.path.clone(), t.path.clone());
            column(
                "aliases",
                format!("{:?}", r.aliases),
                format!("{:?}", t.aliases),
            );
            column(
                "known values",
                format!("{:?}", r.values),
                format!("{:?}", t.values),
            );
            column("source", r.source.clone(), t.source.as_str().to_string());
            column("note", format!("{:?}", r.note), format!("{:?}", t.note));
        }
        for t in tokens {
            if !rows.iter().any(|r| r.token == t.name) {
                diff(
                    &t.name,
                    "not in tokens.md",
                    format!("the catalog has it ({} at `{}`)", t.ty, t.path),
                );
            }
        }
        // The order of the tokens both list, as `fimql tokens` prints it.
        let spec_order: Vec<&str> = rows
            .iter()
            .map(|r| r.token.as_str())
            .filter(|n| tokens.iter().any(|t| t.name == *n))
            .collect();
        let our_order: Vec<&str> = tokens
            .iter()
            .map(|t| t.name.as_str())
            .filter(|n| rows.iter().any(|r| r.token == *n))
            .collect();
        if let Some((s, o)) = spec_order.iter().zip(&our_order).find(|(s, o)| s != o) {
            diff(
                s,
                "order",
                format!("tokens.md lists `{s}` where the catalog lists `{o}`"),
            );
        }
    }
    out
}

/// The differences that [`DELIBERATE`] does not explain, and the entries of [`DELIBERATE`] that
/// explain nothing, as messages.
fn unexplained(diffs: &[Difference]) -> Vec<String> {
    let explains = |d: &Difference, &(scope, token, what, _): &(&str, &str, &str, &str)| {
        d.scope.as_str() == scope && d.token == token && d.what == what
    };
    let mut out: Vec<String> = diffs
        .iter()
        .filter(|d| !DELIBERATE.iter().any(|e| explains(d, e)))
        .map(ToString::to_string)
        .collect();
    for e in DELIBERATE {
        if !diffs.iter().any(|d| explains(d, e)) {
            out.push(format!(
                "DELIBERATE lists scope {}, token `{}`, {} ({}), but the catalog and tokens.md agree there",
                e.0, e.1, e.2, e.3
            ));
        }
    }
    out
}

fn spec() -> Vec<SpecRow> {
    extract(&tokens_md()).unwrap_or_else(|e| panic!("tokens.md: {e}"))
}

fn assert_agrees(catalog: &Catalog, what: &str) {
    let problems = unexplained(&differences(&spec(), catalog));
    assert!(
        problems.is_empty(),
        "{what} and tokens.md differ ({} differences; fix the catalog, or list a deliberate \
         difference with its reason in DELIBERATE):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn the_builtin_catalog_is_tokens_md() {
    assert_agrees(&Catalog::builtin(), "the built-in catalog");
}

#[test]
fn the_tokens_command_lists_tokens_md() {
    let o = common::fimql(&["tokens", "--format", "json"], None);
    assert_eq!(common::code(&o), 0, "{}", common::stderr(&o));
    let listed: Catalog = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "`fimql tokens --format json` is not a catalog ({e}):\n{}",
            common::stdout(&o)
        )
    });
    assert_agrees(&listed, "`fimql tokens --format json`");
}

#[test]
fn the_tokens_command_shows_the_reputation_values() {
    let o = common::fimql(&["tokens", "--scope", "events"], None);
    assert_eq!(common::code(&o), 0, "{}", common::stderr(&o));
    let out = common::stdout(&o);
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("reputationStatus "))
        .unwrap_or_else(|| panic!("no reputationStatus line in:\n{out}"));
    assert!(
        line.contains("values: MALICIOUS, SUSPICIOUS, KNOWN, UNKNOWN, UNAVAILABLE"),
        "{line}"
    );
    let columns: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        &columns[..4],
        ["reputationStatus", "enum", "doc", "reputationStatus"],
        "{line}"
    );
}

#[test]
fn reputation_status_accepts_the_values_of_tokens_md() {
    for value in [
        "MALICIOUS",
        "SUSPICIOUS",
        "KNOWN",
        "UNKNOWN",
        "UNAVAILABLE",
        "malicious",
        "`MALICIOUS`",
        "'SUSPICIOUS'",
        "[MALICIOUS, SUSPICIOUS]",
    ] {
        let filter = format!("reputationStatus:{value}");
        let ok = validate(&filter, Scope::Events)
            .unwrap_or_else(|e| panic!("{filter:?}: {}", e.render(&filter)));
        assert!(ok.warnings.is_empty(), "{filter:?}: {:?}", ok.warnings);
    }
}

#[test]
fn a_misspelt_reputation_status_gets_a_did_you_mean() {
    let filter = "reputationStatus:MALICOUS";
    let ok = validate(filter, Scope::Events)
        .unwrap_or_else(|e| panic!("{filter:?}: {}", e.render(filter)));
    let [d] = ok.warnings.as_slice() else {
        panic!("{filter:?}: expected one warning, got {:?}", ok.warnings);
    };
    assert_eq!(d.code.as_str(), "unknown-value");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(&filter[d.span.start..d.span.end], "MALICOUS");
    assert_eq!(d.help.as_deref(), Some("did you mean `MALICIOUS`?"));
}

#[test]
fn a_difference_is_found_and_named() {
    let spec = spec();
    let builtin = Catalog::builtin();
    let events = |name: &str| builtin.lookup(Scope::Events, name).unwrap().clone();
    // The differences of a changed catalog beyond those of the built-in one (the deliberate ones).
    let baseline = differences(&spec, &builtin);
    let found = |catalog: &Catalog| -> Vec<(Scope, String, &'static str)> {
        differences(&spec, catalog)
            .into_iter()
            .filter(|d| !baseline.contains(d))
            .map(|d| (d.scope, d.token, d.what))
            .collect()
    };
    let one = |token: &str, what: &'static str| vec![(Scope::Events, token.to_string(), what)];

    // A known value dropped from a row.
    let mut c = builtin.clone();
    let mut t = events("reputationStatus");
    t.values.retain(|v| v != "MALICIOUS");
    c.add(Scope::Events, t);
    // `add` puts the replaced token last, so the order changes too.
    let mut expected = one("reputationStatus", "known values");
    expected.extend(one("reputationStatus", "order"));
    assert_eq!(found(&c), expected);

    // Each column, changed in place (the order kept).
    let change = |edit: &dyn Fn(&mut TokenDef)| {
        let mut c = Catalog::empty();
        for t in builtin.tokens(Scope::Incidents) {
            c.add(Scope::Incidents, t.clone());
        }
        for t in builtin.tokens(Scope::Events) {
            let mut t = t.clone();
            if t.name == "file.attribute.readonly" {
                edit(&mut t);
            }
            c.add(Scope::Events, t);
        }
        found(&c)
    };
    let readonly = |what| one("file.attribute.readonly", what);
    assert_eq!(change(&|t| t.ty = TokenType::Text), readonly("type"));
    assert_eq!(change(&|t| t.path.push('x')), readonly("JSON path"));
    assert_eq!(change(&|t| t.aliases.clear()), readonly("aliases"));
    assert_eq!(
        change(&|t| t.values.push("Changed".into())),
        readonly("known values")
    );
    assert_eq!(change(&|t| t.source = Source::Inferred), readonly("source"));
    assert_eq!(change(&|t| t.note.clear()), readonly("note"));

    // A token missing, a token added, and the rows out of order.
    let mut c = Catalog::empty();
    for t in builtin.tokens(Scope::Incidents) {
        if t.name != "deleted" {
            c.add(Scope::Incidents, t.clone());
        }
    }
    for t in builtin.tokens(Scope::Events).iter().rev() {
        c.add(Scope::Events, t.clone());
    }
    c.add(
        Scope::Events,
        TokenDef::new("file.owner", TokenType::Text, "owner"),
    );
    let named =
        |(scope, token, what): (Scope, &str, &'static str)| (scope, token.to_string(), what);
    assert_eq!(
        found(&c),
        [
            named((Scope::Events, "file.owner", "not in tokens.md")),
            named((Scope::Events, "dateTime", "order")),
            named((Scope::Incidents, "deleted", "missing from the catalog")),
        ]
    );
    // The message names the token, the column and both sides.
    let mut c = builtin.clone();
    let mut t = events("reputationStatus");
    t.values.retain(|v| v != "MALICIOUS");
    c.add(Scope::Events, t);
    let message = unexplained(&differences(&spec, &c)).join("\n");
    assert!(
        message.contains("scope events, token `reputationStatus`: known values: tokens.md (line")
            && message.contains("\"MALICIOUS\", \"SUSPICIOUS\"")
            && message.contains("the catalog has [\"SUSPICIOUS\""),
        "{message}"
    );
}

#[test]
fn extraction_reads_every_scope_and_column() {
    let spec = spec();
    for s in Scope::ALL {
        assert!(spec.iter().any(|r| r.scope == s), "no rows of scope {s}");
    }
    let row = |scope: Scope, token: &str| {
        spec.iter()
            .find(|r| r.scope == scope && r.token == token)
            .unwrap_or_else(|| panic!("no {scope} row {token}"))
    };
    let rep = row(Scope::Events, "reputationStatus");
    assert_eq!(
        rep.values,
        ["MALICIOUS", "SUSPICIOUS", "KNOWN", "UNKNOWN", "UNAVAILABLE"]
    );
    assert_eq!((rep.ty.as_str(), rep.source.as_str()), ("enum", "doc"));
    let ro = row(Scope::Events, "file.attribute.readonly");
    assert_eq!(ro.values, ["Added", "Removed"]);
    assert_eq!(ro.aliases, ["file.attribute.readOnly"]);
    assert_eq!(ro.path, "fileAttribute.readonly");
    assert_eq!(
        row(Scope::Events, "asset.tagNames").aliases,
        ["asset.tag.name"]
    );
    // Notes of other types are not values.
    assert!(row(Scope::Events, "severity").values.is_empty());
    assert!(row(Scope::Events, "file.attributes.new").values.is_empty());
    assert_eq!(row(Scope::Incidents, "dateTime").path, "filterFromDate");
}

#[test]
fn extraction_is_strict() {
    let table =
        "| token | type | JSON path | known values / notes | source |\n|---|---|---|---|---|\n";
    let events = format!("## Scope `events`\n\n{table}| a | enum | a | X, Y | doc |\n\n");
    let incidents = format!("## Scope `incidents`\n\n{table}| b | text | b | | seen |\n");
    let ok = extract(&format!("# T\n\n{events}{incidents}")).unwrap();
    assert_eq!(ok.len(), 2);
    assert_eq!(ok[0].values, ["X", "Y"]);
    assert_eq!(ok[1].scope, Scope::Incidents);

    let bad = [
        (
            format!("{table}| a | text | a | | doc |\n{incidents}"),
            "outside a scope section",
        ),
        (events.clone(), "no section for scope `incidents`"),
        (
            format!("{events}## Scope `incidents`\n\ntext\n"),
            "scope `incidents` has no table rows",
        ),
        (
            format!("## Scope `event`\n\n{table}{incidents}"),
            "unknown scope",
        ),
        (
            format!("{events}{incidents}## Scope `events`\n"),
            "a second section for scope `events`",
        ),
        (
            format!("{events}{table}| c | text | c | | doc |\n{incidents}"),
            "a second table in scope `events`",
        ),
        (
            format!("{events}{incidents}\n| c | text | c | | doc |\n"),
            "the table header must be",
        ),
        (
            format!(
                "## Scope `events`\n| token | type | JSON path | notes | source |\n|---|---|---|---|---|\n{incidents}"
            ),
            "the table header must be",
        ),
        (
            format!(
                "## Scope `events`\n| token | type | JSON path | known values / notes | source |\n| a | text | a | | doc |\n{incidents}"
            ),
            "expected the separator line",
        ),
        (
            format!("## Scope `events`\n{table}| a | text | a | doc |\n{incidents}"),
            "4 cells, expected 5",
        ),
        (
            format!("## Scope `events`\n{table}| a | txt | a | | doc |\n{incidents}"),
            "unknown type `txt`",
        ),
        (
            format!("## Scope `events`\n{table}| a | text | a | | docs |\n{incidents}"),
            "unknown source `docs`",
        ),
        (
            format!("## Scope `events`\n{table}| a | enum | a | X or Y | doc |\n{incidents}"),
            "enum value `X or Y` is not a plain word",
        ),
        (
            format!("## Scope `events`\n{table}| a | text | a | alias b | doc |\n{incidents}"),
            "`alias` must be followed by a name in backticks",
        ),
        (
            format!("## Scope `events`\n{table}| a b | text | a | | doc |\n{incidents}"),
            "is not a token name",
        ),
        (
            format!("## Scope `events`\n{table}| a | text | a |\n{incidents}"),
            "3 cells",
        ),
    ];
    for (md, why) in bad {
        match extract(&md) {
            Ok(x) => panic!("{md:?} was accepted: {x:?}"),
            Err(e) => assert!(e.contains(why), "{md:?}: {e} (expected {why:?})"),
        }
    }
    // An escaped pipe stays in its cell.
    let piped = format!("## Scope `events`\n{table}| a | text | a | x \\| y | doc |\n{incidents}");
    assert_eq!(extract(&piped).unwrap()[0].note, "x | y");
}
