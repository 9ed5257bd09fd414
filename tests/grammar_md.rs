//! Checks the examples of `grammar.md`, and that the document and the code agree: the EBNF's rules
//! are the parser's grammar functions, and every diagnostic code has an example.
//!
//! The example blocks (their format is described at the top of `grammar.md`):
//! - `fimql-valid`: `filter` or `filter => canonical`; parses (and prints exactly `canonical`).
//! - `fimql-error`: `code: filter`; a syntax code, the filter's first diagnostic has it.
//! - `fimql-validation`: `code: filter`; a validation-level code, the filter parses. What the
//!   validator reports for these filters is checked by the validator's own tests.
//! - `fimql-pretty`: a filter, then its pretty form.
//!
//! The extraction is strict: an unknown block kind, option or code, a malformed line, or a block
//! without examples is an error, so a typo cannot silently drop an example.

use std::collections::BTreeSet;
use std::path::PathBuf;

use fimql::error::Stage;
use fimql::{Code, Options};

/// The codes that validation, not the parser, reports.
const VALIDATION_CODES: &[&str] = &[
    "unknown-token",
    "type-mismatch",
    "empty-range",
    "invalid-date",
    "unknown-value",
    "date-before-2017",
    "mixed-and-or",
    "date-only-upper-bound",
    "unquoted-spaces",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Valid,
    Error,
    Validation,
    Pretty,
}

#[derive(Debug)]
struct Example {
    /// 1-based line of the example in the document.
    line: usize,
    kind: Kind,
    /// For `Error` and `Validation`.
    code: Option<Code>,
    options: Options,
    filter: String,
    /// For `Valid` (when given) and `Pretty`.
    expected: Option<String>,
}

#[derive(Default)]
struct ExampleOptions {
    parse: Options,
    json: bool,
}

fn parse_options(text: &str) -> Result<ExampleOptions, String> {
    let mut o = ExampleOptions::default();
    for item in text.split(',').map(str::trim) {
        let (key, value) = match item.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (item, None),
        };
        let number = || -> Result<usize, String> {
            value
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("option `{key}` needs a number"))
        };
        match (key, value) {
            ("max_depth", _) => o.parse = o.parse.max_depth(number()?),
            ("max_len", _) => o.parse = o.parse.max_len(number()?),
            ("scope", Some("events" | "incidents")) => {}
            ("json", None) => o.json = true,
            _ => return Err(format!("unknown option `{item}`")),
        }
    }
    Ok(o)
}

/// Splits a leading `{options}` off `text`.
fn leading_options(text: &str) -> Result<(ExampleOptions, &str), String> {
    match text.strip_prefix('{') {
        Some(rest) => {
            let (opts, rest) = rest.split_once('}').ok_or("unclosed `{`")?;
            Ok((parse_options(opts)?, rest.trim_start()))
        }
        None => Ok((ExampleOptions::default(), text)),
    }
}

/// The filter of an example line: literal, or a JSON string with `{json}`. Returns the filter
/// and what follows it.
fn filter_text(text: &str, json: bool) -> Result<(String, &str), String> {
    if !json {
        return Ok((text.to_string(), ""));
    }
    let mut it = serde_json::Deserializer::from_str(text).into_iter::<String>();
    match it.next() {
        Some(Ok(s)) => Ok((s, &text[it.byte_offset()..])),
        _ => Err(format!("`{text}` does not start with a JSON string")),
    }
}

fn parse_valid(text: &str) -> Result<(ExampleOptions, String, Option<String>), String> {
    let (opts, rest) = leading_options(text)?;
    let (filter, expected) = if opts.json {
        let (filter, after) = filter_text(rest, true)?;
        let after = after.trim();
        let expected = match after.strip_prefix("=>") {
            Some(c) => Some(c.trim().to_string()),
            None if after.is_empty() => None,
            None => return Err(format!("unexpected `{after}` after the filter")),
        };
        (filter, expected)
    } else {
        match rest.split_once(" => ") {
            Some((f, c)) => (f.trim().to_string(), Some(c.trim().to_string())),
            None => (rest.to_string(), None),
        }
    };
    if filter.is_empty() {
        return Err("no filter".into());
    }
    Ok((opts, filter, expected))
}

fn parse_coded(text: &str) -> Result<(Code, ExampleOptions, String), String> {
    let (head, rest) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not `code: filter`"))?;
    let (name, opts) = match head.split_once('{') {
        Some((name, opts)) => {
            let opts = opts
                .trim()
                .strip_suffix('}')
                .ok_or_else(|| format!("unclosed `{{` in `{head}`"))?;
            (name.trim(), parse_options(opts)?)
        }
        None => (head.trim(), ExampleOptions::default()),
    };
    let code = Code::from_name(name).ok_or_else(|| format!("unknown code `{name}`"))?;
    let (filter, after) = filter_text(rest.trim(), opts.json)?;
    if !after.trim().is_empty() {
        return Err(format!("unexpected `{after}` after the filter"));
    }
    Ok((code, opts, filter))
}

/// Every example of every `fimql-*` block of `md`.
fn extract(md: &str) -> Result<Vec<Example>, String> {
    let mut out = Vec::new();
    let mut lines = md.lines().enumerate().map(|(n, l)| (n + 1, l));
    while let Some((start, line)) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let info = info.trim();
        let mut body = Vec::new();
        let mut closed = false;
        for (n, l) in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                closed = true;
                break;
            }
            body.push((n, l));
        }
        if !closed {
            return Err(format!("line {start}: the block is never closed"));
        }
        if !info.starts_with("fimql") {
            continue;
        }
        let kind = match info {
            "fimql-valid" => Kind::Valid,
            "fimql-error" => Kind::Error,
            "fimql-validation" => Kind::Validation,
            "fimql-pretty" => Kind::Pretty,
            _ => return Err(format!("line {start}: unknown block kind `{info}`")),
        };
        let at = |n: usize, e: String| format!("line {n}: {e}");
        let before = out.len();
        if kind == Kind::Pretty {
            let Some(((n, first), rest)) = body.split_first() else {
                return Err(format!("line {start}: empty `{info}` block"));
            };
            if rest.is_empty() {
                return Err(format!("line {n}: a pretty example needs its pretty form"));
            }
            let pretty: Vec<&str> = rest.iter().map(|(_, l)| *l).collect();
            out.push(Example {
                line: *n,
                kind,
                code: None,
                options: Options::default(),
                filter: first.trim().to_string(),
                expected: Some(pretty.join("\n")),
            });
            continue;
        }
        for (n, l) in body {
            let text = l.trim();
            if text.is_empty() {
                continue;
            }
            let example = match kind {
                Kind::Valid => {
                    let (o, filter, expected) = parse_valid(text).map_err(|e| at(n, e))?;
                    Example {
                        line: n,
                        kind,
                        code: None,
                        options: o.parse,
                        filter,
                        expected,
                    }
                }
                _ => {
                    let (code, o, filter) = parse_coded(text).map_err(|e| at(n, e))?;
                    let validation = VALIDATION_CODES.contains(&code.as_str());
                    if validation != (kind == Kind::Validation) {
                        return Err(at(
                            n,
                            format!("`{code}` does not belong in a `{info}` block"),
                        ));
                    }
                    Example {
                        line: n,
                        kind,
                        code: Some(code),
                        options: o.parse,
                        filter,
                        expected: None,
                    }
                }
            };
            out.push(example);
        }
        if out.len() == before {
            return Err(format!("line {start}: the `{info}` block has no examples"));
        }
    }
    Ok(out)
}

fn grammar_md() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("grammar.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn examples() -> Vec<Example> {
    extract(&grammar_md()).unwrap_or_else(|e| panic!("grammar.md, {e}"))
}

/// The result of checking one example: `Err` says what is wrong.
fn check(ex: &Example) -> Result<(), String> {
    let src = ex.filter.as_str();
    let parsed = fimql::parse_with(src, &ex.options);
    match ex.kind {
        Kind::Valid | Kind::Validation | Kind::Pretty => {
            let q = parsed.map_err(|e| format!("does not parse:\n{}", e.render(src)))?;
            let canonical = q.to_string();
            let again = fimql::parse_with(&canonical, &ex.options)
                .map_err(|e| format!("its canonical form does not parse:\n{}", e.render(src)))?;
            if !again.eq_ignoring_spans(&q) || again.to_string() != canonical {
                return Err(format!(
                    "its canonical form {canonical:?} does not round-trip"
                ));
            }
            let printed = match ex.kind {
                Kind::Pretty => format!("{q:#}"),
                _ => canonical,
            };
            match &ex.expected {
                Some(want) if *want != printed => {
                    Err(format!("prints as\n{printed}\nnot as\n{want}"))
                }
                _ => Ok(()),
            }
        }
        Kind::Error => {
            let code = ex.code.expect("error examples have a code");
            match parsed {
                Ok(q) => Err(format!("parses (as {q}), expected {code}")),
                Err(e) => {
                    let first = &e.diagnostics()[0];
                    if first.code == code {
                        Ok(())
                    } else {
                        Err(format!(
                            "first diagnostic is not {code}:\n{}",
                            e.render(src)
                        ))
                    }
                }
            }
        }
    }
}

#[test]
fn every_example_holds() {
    let examples = examples();
    let failures: Vec<String> = examples
        .iter()
        .filter_map(|ex| {
            check(ex).err().map(|e| {
                format!(
                    "grammar.md line {} ({:?}) {:?}: {e}",
                    ex.line, ex.kind, ex.filter
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
    for kind in [Kind::Valid, Kind::Error, Kind::Validation, Kind::Pretty] {
        assert!(
            examples.iter().any(|e| e.kind == kind),
            "no {kind:?} example"
        );
    }
    let with_canonical = examples
        .iter()
        .filter(|e| e.kind == Kind::Valid && e.expected.is_some())
        .count();
    assert!(
        with_canonical >= 50,
        "only {with_canonical} `input => canonical` examples"
    );
}

#[test]
fn every_diagnostic_code_has_an_example() {
    let examples = examples();
    let shown: BTreeSet<&str> = examples
        .iter()
        .filter_map(|e| e.code.map(Code::as_str))
        .collect();
    // Codes of the filter language; request, record, translation and name codes have their
    // examples in `Code::example` (tests/codes.rs).
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| matches!(c.stage(), Stage::Parse | Stage::Validate))
        .map(|c| c.as_str())
        .filter(|c| !shown.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without an example in grammar.md: {missing:?}"
    );
    for name in VALIDATION_CODES {
        assert!(Code::from_name(name).is_some(), "`{name}` is not a code");
    }
    // The table lists every code too.
    let md = grammar_md();
    for c in Code::ALL {
        assert!(
            md.contains(&format!("| `{c}` |")),
            "`{c}` is not in the table of codes"
        );
    }
}

/// The rules of the EBNF are exactly the parser's grammar functions: those whose doc comment
/// starts with their own name in backticks.
#[test]
fn ebnf_rules_are_the_parser_functions() {
    let md = grammar_md();
    let block = md
        .split("```ebnf")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("grammar.md has an ebnf block");
    let rules: BTreeSet<String> = block
        .lines()
        .filter_map(|l| l.split_once('=').map(|(lhs, _)| lhs.trim()))
        .filter(|lhs| !lhs.is_empty() && lhs.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(str::to_string)
        .collect();

    let src_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/parse.rs");
    let src = std::fs::read_to_string(src_path).unwrap();
    let mut functions = BTreeSet::new();
    let mut doc_name: Option<String> = None;
    let mut in_doc = false;
    for line in src.lines().map(str::trim) {
        if let Some(doc) = line.strip_prefix("///") {
            if !in_doc {
                doc_name = doc.trim().strip_prefix('`').map(|d| {
                    d.chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect()
                });
            }
            in_doc = true;
            continue;
        }
        in_doc = false;
        if let Some(name) = doc_name.take() {
            let fn_name: Option<String> = line.split("fn ").nth(1).map(|f| {
                f.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect()
            });
            if fn_name.as_deref() == Some(name.as_str()) {
                functions.insert(name);
            }
        }
    }
    assert_eq!(
        rules, functions,
        "EBNF rules (left) and parser grammar functions (right) differ"
    );
    assert!(rules.len() >= 19, "{rules:?}");
}

#[test]
fn extraction_is_strict() {
    let bad = [
        ("```fimql-valid\n```\n", "no examples"),
        ("```fimql-valid\n\n  \n```\n", "no examples"),
        ("```fimql-error\nno-such-code: a:1\n```\n", "unknown code"),
        (
            "```fimql-error\nunknown-token: a:1\n```\n",
            "does not belong",
        ),
        (
            "```fimql-validation\nexpected-value: a:\n```\n",
            "does not belong",
        ),
        ("```fimql-error\naction:Create\n```\n", "unknown code"),
        ("```fimql-error\njust text\n```\n", "is not `code: filter`"),
        (
            "```fimql-eror\nexpected-value: a:\n```\n",
            "unknown block kind",
        ),
        ("```fimql-valid\n{depth=3} a:1\n```\n", "unknown option"),
        (
            "```fimql-error\ntoo-deep {max_depth=x}: a:1\n```\n",
            "needs a number",
        ),
        ("```fimql-valid\n{json} a:1\n```\n", "JSON string"),
        ("```fimql-pretty\na:1\n```\n", "needs its pretty form"),
        ("```fimql-valid\na:1\n", "never closed"),
    ];
    for (md, why) in bad {
        match extract(md) {
            Ok(x) => panic!("{md:?} was accepted: {x:?}"),
            Err(e) => assert!(e.contains(why), "{md:?}: {e}"),
        }
    }
    let ok = extract(
        "text\n```rust\nnot checked\n```\n```fimql-valid\na:1 => a:1\n{json} \" b:2 \" => b:2\n```\n\
         ```fimql-error\nempty-filter:\ntoo-deep {max_depth=1}: ((a:1))\n```\n",
    )
    .unwrap();
    assert_eq!(ok.len(), 4);
    assert_eq!(ok[1].filter, " b:2 ");
    assert_eq!(ok[2].filter, "");
    assert!(ok.iter().all(|e| check(e).is_ok()));
    // A wrong expectation is reported.
    let wrong = extract("```fimql-valid\na : 1 => a : 1\n```\n").unwrap();
    assert!(check(&wrong[0]).is_err());
    let wrong = extract("```fimql-error\nexpected-term: a:1\n```\n").unwrap();
    assert!(check(&wrong[0]).is_err());
}
