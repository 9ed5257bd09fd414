//! The small commands: `fmt`, `parse`, `check`, `explain`, `tokens`, `request check`,
//! `translate` and `schema`. Each returns its exit status.

use std::io::{self, Read, Write};

use fimql::Options;
use fimql::catalog::{Catalog, Scope};
use fimql::date::Instant;
use fimql::stream::{Item, RecordReader};
use fimql::validate::validate_query;
use fimql::{Diagnostic, Query};

use crate::{Format, ScopeArg, TranslateArgs, filter_text, parse_now, render_all};

/// Reads the filter argument and parses it; on a syntax error, renders it on stderr and gives the
/// exit status 1.
fn read_and_parse(arg: &str) -> Result<(String, Query), u8> {
    let src = filter_text(arg)?;
    match fimql::parse(&src) {
        Ok(q) => Ok((src, q)),
        Err(e) => {
            eprint!("{}", e.render(&src));
            Err(1)
        }
    }
}

/// Writes to stdout; a closed pipe ends the program quietly.
fn print_out(text: &str) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("fimql: cannot write output: {e}");
        std::process::exit(2);
    }
}

pub(crate) fn fmt(arg: &str, pretty: bool, fix: bool, scope: Scope) -> u8 {
    let (src, mut query) = match read_and_parse(arg) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if fix {
        let catalog = Catalog::builtin();
        // Quoting a bare value of a text token makes it a phrase: say so rather than widen the
        // filter silently.
        fimql::validate::fix_aliases(&mut query, &catalog, scope);
        let widened = fimql::validate::quoting_changes_meaning(&query, &catalog, scope);
        fimql::validate::quote_spaced_values(&mut query);
        for (span, whole) in widened {
            let value = src.get(span.start..span.end).unwrap_or_default();
            eprintln!(
                "note: --fix quoted `{value}`, which changes what it matches: bare, it matched \
                 the whole value; quoted, it is a phrase that matches any value containing it. \
                 To keep the whole-value match, write `{whole}`"
            );
        }
    }
    if pretty {
        print_out(&format!("{:#}\n", query.expr));
    } else {
        print_out(&format!("{query}\n"));
    }
    0
}

pub(crate) fn check(
    arg: &str,
    scope: Scope,
    format: Format,
    deny_warnings: bool,
    allow_unknown: bool,
) -> u8 {
    let src = match filter_text(arg) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let diags = match fimql::parse(&src) {
        Ok(query) => {
            let opts = Options::new(scope)
                .deny_warnings(deny_warnings)
                .allow_unknown(allow_unknown);
            validate_query(&query, &opts)
                .into_iter()
                .map(|d| d.name_allow_unknown(crate::ALLOW_UNKNOWN))
                .collect()
        }
        Err(e) => e.into_vec(),
    };
    let has_errors = diags.iter().any(Diagnostic::is_error);
    match format {
        Format::Json => {
            let out = serde_json::json!({
                "filter": src,
                "scope": scope.as_str(),
                "valid": !has_errors,
                "diagnostics": fimql::error::to_json(&diags, &src),
            });
            print_out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&out).unwrap_or_default()
            ));
        }
        Format::Human => {
            if !diags.is_empty() {
                eprint!("{}", render_all(&diags, &src));
            }
            // The summary line, always (with or without problems, on a terminal or not).
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let warnings = diags.len() - errors;
            eprintln!(
                "{}: {errors} error{}, {warnings} warning{}",
                if has_errors { "invalid" } else { "valid" },
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
            );
        }
    }
    u8::from(has_errors)
}

pub(crate) fn parse(arg: &str, format: Format) -> u8 {
    let src = match filter_text(arg) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match (fimql::parse(&src), format) {
        (Ok(q), Format::Json) => {
            print_out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&q).unwrap_or_default()
            ));
            0
        }
        (Ok(q), Format::Human) => {
            print_out(&format!("{q:#?}\n"));
            0
        }
        (Err(e), Format::Json) => {
            let out = serde_json::json!({ "filter": src, "diagnostics": e.to_json(&src) });
            print_out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&out).unwrap_or_default()
            ));
            1
        }
        (Err(e), Format::Human) => {
            eprint!("{}", e.render(&src));
            1
        }
    }
}

/// `fimql explain`: the options after the filter.
#[derive(clap::Args, Debug)]
pub(crate) struct ExplainArgs {
    /// Which API the filter is for.
    #[arg(long, value_enum, default_value_t = ScopeArg::Events)]
    scope: ScopeArg,
    /// The clock for `now` in the filter, e.g. 2023-01-10T12:00:00Z (default: the current time).
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_now)]
    now: Option<Instant>,
    /// Read unknown tokens as raw JSON paths (typed as text) instead of rejecting them.
    #[arg(long)]
    allow_unknown: bool,
    /// Explain why each record of FILE matched the filter or did not (NDJSON, a JSON array or
    /// pretty JSON; gzip and zstd read directly; `-` for standard input).
    #[arg(long, value_name = "FILE")]
    events: Option<String>,
    /// Only the record that starts on line N of FILE (the line `fimql filter` names).
    #[arg(long, value_name = "N", requires = "events")]
    line: Option<u64>,
    /// Output format with --events: `human` (a tree per record) or `json` (one object per
    /// record, per line: file, line, matched, applies_to, tree). In JSON, a term's `missing` is
    /// true when nothing is at its path; a JSON null found there is one of its `values` (with
    /// `passed` false), not missing.
    #[arg(long, value_enum, default_value_t = Format::Human, requires = "events")]
    format: Format,
    /// The filter, or `-` for standard input.
    filter: String,
}

pub(crate) fn explain(args: &ExplainArgs) -> u8 {
    let scope: Scope = args.scope.into();
    let mut opts = Options::new(scope).allow_unknown(args.allow_unknown);
    if let Some(now) = args.now {
        opts = opts.now(now);
    }
    match &args.events {
        None => explain_filter(&args.filter, &opts),
        Some(file) => explain_events(args, file, &opts),
    }
}

/// Without events: the static description of each term.
fn explain_filter(arg: &str, opts: &Options) -> u8 {
    let (src, query) = match read_and_parse(arg) {
        Ok(x) => x,
        Err(code) => return code,
    };
    print_out(&fimql::explain::explain(&query, opts));
    let diags: Vec<_> = validate_query(&query, opts)
        .into_iter()
        .map(|d| d.name_allow_unknown(crate::ALLOW_UNKNOWN))
        .collect();
    if !diags.is_empty() {
        eprint!("{}", render_all(&diags, &src));
    }
    0
}

/// With `--events`: each record's explanation. The status is that of `fimql filter`: 0 when an
/// explained record matched, 1 when none did, 2 on any error.
fn explain_events(args: &ExplainArgs, file: &str, opts: &Options) -> u8 {
    if args.filter == "-" && file == "-" {
        eprintln!("fimql: the filter is read from standard input, so give the events as a file");
        return 2;
    }
    let src = match filter_text(&args.filter) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let filter = match fimql::compile(&src, opts) {
        Ok(f) => f,
        Err(e) => {
            eprint!(
                "{}",
                e.name_allow_unknown(crate::ALLOW_UNKNOWN).render(&src)
            );
            return 2;
        }
    };
    if !filter.warnings().is_empty() {
        eprint!("{}", render_all(filter.warnings(), &src));
    }
    let name = crate::shown_name(file);
    // In JSON output, the name as it is (JSON escapes what needs it).
    let json_name = if file == "-" { "<stdin>" } else { file };
    let opened = if file == "-" {
        crate::live::stdin_file()
    } else {
        std::fs::File::open(file)
    };
    // Standard input and named pipes are read live, as `fimql filter` reads them: each record
    // is explained as soon as it has come.
    let input = opened.and_then(|f| {
        if f.metadata()?.is_dir() {
            return Err(io::Error::other("is a directory"));
        }
        if crate::live::is_regular(&f) {
            Ok((fimql::stream::open(f)?, false))
        } else {
            let (input, codec) = fimql::stream::open_detected(crate::live::Draining(f))?;
            Ok((input, codec == fimql::stream::Codec::Plain))
        }
    });
    let (input, live) = match input {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fimql: {name}: {e}");
            return 2;
        }
    };
    let mut reader = RecordReader::new(input).live(live);
    let mut matcher = filter.matcher();
    let mut out = io::BufWriter::new(io::stdout().lock());
    let (mut matched, mut errors, mut found) = (false, false, false);
    // Records read (well-formed or not), for the message when there are none.
    let mut records = 0u64;
    // The record start lines on either side of --line, for the message when none starts there.
    let (mut before, mut after) = (None, None);
    'read: loop {
        let batch = match reader.next_batch() {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(e) => {
                eprintln!("fimql: {name}: {e}");
                errors = true;
                break;
            }
        };
        for item in &batch.items {
            let line = match item {
                Item::Record { line, .. } | Item::Error { line, .. } => *line,
            };
            records += 1;
            if let Some(want) = args.line {
                if line < want {
                    // The record's last line, to tell a line inside a record from one between.
                    let newlines = batch.record(item).map_or(0, count_newlines);
                    before = Some((line, line + newlines));
                    continue;
                }
                if line > want {
                    after = Some(line);
                    break 'read;
                }
                found = true;
            }
            let bytes = match item {
                Item::Error { diagnostic, .. } => {
                    eprintln!("{name}:{line}: {}", diagnostic.message);
                    errors = true;
                    continue;
                }
                Item::Record { .. } => batch.record(item).unwrap_or_default(),
            };
            match explain_record(&filter, &mut matcher, bytes) {
                Ok(why) => {
                    matched |= why.matched();
                    let text = match args.format {
                        Format::Human => human(&name, line, &why),
                        Format::Json => json_line(json_name, line, &why),
                    };
                    if let Err(e) = out.write_all(text.as_bytes()) {
                        return write_failed(&e);
                    }
                }
                Err(message) => {
                    eprintln!("{name}:{line}: {message}");
                    errors = true;
                }
            }
        }
        // Shown batch by batch (on live input, as records come).
        if let Err(e) = out.flush() {
            return write_failed(&e);
        }
    }
    if let Err(e) = out.flush() {
        return write_failed(&e);
    }
    if let Some(want) = args.line
        && !found
    {
        let near = match (before, after) {
            (Some((b, end)), _) if want <= end => {
                format!(": it is inside the record that starts on line {b} (give --line {b})")
            }
            (Some((b, _)), Some(a)) => format!(" (records start on lines {b} and {a})"),
            (Some((b, _)), None) => format!(" (the last record starts on line {b})"),
            (None, Some(a)) => format!(" (the first record starts on line {a})"),
            (None, None) => " (it holds no record)".to_string(),
        };
        eprintln!("fimql: {name}: no record starts on line {want}{near}");
        return 2;
    }
    if records == 0 && !errors {
        // Nothing printed otherwise: say why.
        eprintln!("fimql: {name}: no records");
    }
    if errors {
        2
    } else if matched {
        0
    } else {
        1
    }
}

/// Explains one record. The answer of the byte fast path (what `fimql filter` runs) is checked
/// against the explanation's, so that this command cannot tell another story than `filter`.
fn explain_record(
    filter: &fimql::Filter,
    matcher: &mut fimql::Matcher<'_>,
    bytes: &[u8],
) -> Result<fimql::explain::Explanation, String> {
    let selected = matcher.matches_json(bytes).map_err(|e| e.to_string())?;
    let event: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let why = filter.explain(&event);
    if why.matched() != selected {
        return Err(format!(
            "internal error: the explanation says {}, the filter {} (please report this record)",
            why.matched(),
            selected
        ));
    }
    Ok(why)
}

fn human(file: &str, line: u64, why: &fimql::explain::Explanation) -> String {
    let answer = if why.matched() {
        "matched"
    } else {
        "not matched"
    };
    let verdict = if why.matched() {
        "`fimql filter` selects this record"
    } else {
        "`fimql filter` does not select this record"
    };
    format!(
        "{file}:{line}: {answer}\n{}=> {answer}: {verdict}\n\n",
        why.render()
    )
}

fn json_line(file: &str, line: u64, why: &fimql::explain::Explanation) -> String {
    let mut v = serde_json::to_value(why).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("file".into(), file.into());
        obj.insert("line".into(), line.into());
    }
    format!("{v}\n")
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// A failed write: quiet on a closed pipe (status 0, like `print_out`), else an error.
fn write_failed(e: &io::Error) -> u8 {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return 0;
    }
    eprintln!("fimql: cannot write output: {e}");
    2
}

pub(crate) fn request_check(
    kind: Option<&str>,
    format: Format,
    allow_unknown: bool,
    file: &str,
) -> u8 {
    use fimql::request::{RequestKind, check_request_with};
    let kind = match kind.map(|k| (k, k.parse::<RequestKind>())) {
        None => None,
        Some((_, Ok(k))) => Some(k),
        Some((name, Err(e))) => {
            eprint!("fimql: --kind\n{}", e.render(name));
            return 2;
        }
    };
    let text = if file == "-" {
        let mut s = String::new();
        if let Err(e) = io::stdin().read_to_string(&mut s) {
            eprintln!("fimql: cannot read standard input: {e}");
            return 2;
        }
        s
    } else {
        match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("fimql: {file}: {e}");
                return 2;
            }
        }
    };
    let mut report = check_request_with(
        &text,
        kind,
        &Options::default().allow_unknown(allow_unknown),
    );
    for f in &mut report.findings {
        f.diagnostic = f
            .diagnostic
            .clone()
            .name_allow_unknown(crate::ALLOW_UNKNOWN);
    }
    match format {
        Format::Json => print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
        )),
        Format::Human => print_out(&report.render()),
    }
    u8::from(report.has_errors())
}

pub(crate) fn tokens(scope: Option<Scope>, format: Format) -> u8 {
    let catalog = Catalog::builtin();
    let scopes: Vec<Scope> = match scope {
        Some(s) => vec![s],
        None => Scope::ALL.to_vec(),
    };
    match format {
        Format::Json => {
            let mut obj = serde_json::Map::new();
            for s in scopes {
                obj.insert(
                    s.as_str().to_string(),
                    serde_json::to_value(catalog.tokens(s)).unwrap_or_default(),
                );
            }
            print_out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&obj).unwrap_or_default()
            ));
        }
        Format::Human => {
            let mut out = String::new();
            for s in scopes {
                out.push_str(&format!("scope {s}\n"));
                out.push_str(&format!(
                    "  {:<28} {:<8} {:<9} {:<30} notes\n",
                    "token", "type", "source", "JSON path"
                ));
                for t in catalog.tokens(s) {
                    let mut notes = Vec::new();
                    if !t.aliases.is_empty() {
                        notes.push(format!("aliases: {}", t.aliases.join(", ")));
                    }
                    if !t.values.is_empty() {
                        notes.push(format!("values: {}", t.values.join(", ")));
                    }
                    out.push_str(&format!(
                        "  {:<28} {:<8} {:<9} {:<30} {}\n",
                        t.name,
                        t.ty.as_str(),
                        t.source.as_str(),
                        t.path,
                        notes.join("; ")
                    ));
                }
                out.push('\n');
            }
            print_out(&out);
        }
    }
    0
}

pub(crate) fn translate(args: &TranslateArgs) -> u8 {
    use fimql::translate::{Engine, script, translate_query};
    let Ok(engine) = args.to.parse::<Engine>() else {
        return 2;
    };
    let (src, query) = match read_and_parse(&args.filter) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let scope: Scope = args.scope.into();
    let mut opts = Options::new(scope);
    opts.now = args.now;
    let catalog = &opts.catalog;
    match translate_query(&query, engine, &opts) {
        Ok(expr) => {
            match &args.query {
                Some(file) => print_out(&script(&expr, catalog, scope, engine, file)),
                None => print_out(&format!("{expr}\n")),
            }
            0
        }
        Err(e) => {
            // Unknown tokens have no column in the reading schema: translate has no
            // `--allow-unknown`, and its help does not suggest one.
            eprint!("{}", e.name_allow_unknown(None).render(&src));
            1
        }
    }
}

pub(crate) fn schema(to: &str, scope: Scope) -> u8 {
    let Ok(engine) = to.parse::<fimql::translate::Engine>() else {
        return 2;
    };
    print_out(&format!(
        "{}\n",
        fimql::translate::schema(&Catalog::builtin(), scope, engine)
    ));
    0
}
