//! The small commands: `fmt`, `parse`, `check`, `explain`, `tokens`, `request check`,
//! `translate` and `schema`. Each returns its exit status.

use std::io::{self, IsTerminal, Read, Write};

use fimql::Options;
use fimql::catalog::{Catalog, Scope};
use fimql::validate::validate_query;
use fimql::{Diagnostic, Query};

use crate::{Format, TranslateArgs, filter_text, render_all};

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
    let (_, mut query) = match read_and_parse(arg) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if fix {
        let catalog = Catalog::builtin();
        fimql::validate::fix_aliases(&mut query, &catalog, scope);
        fimql::validate::quote_spaced_values(&mut query);
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
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let warnings = diags.len() - errors;
            if io::stderr().is_terminal() || !diags.is_empty() {
                eprintln!(
                    "{}: {errors} error{}, {warnings} warning{}",
                    if has_errors { "invalid" } else { "valid" },
                    if errors == 1 { "" } else { "s" },
                    if warnings == 1 { "" } else { "s" },
                );
            }
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

pub(crate) fn explain(arg: &str, scope: Scope, now: Option<fimql::date::Instant>) -> u8 {
    let (src, query) = match read_and_parse(arg) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let mut opts = Options::new(scope);
    if let Some(now) = now {
        opts = opts.now(now);
    }
    print_out(&fimql::explain::explain(&query, &opts));
    let diags = validate_query(&query, &opts);
    if !diags.is_empty() {
        eprint!("{}", render_all(&diags, &src));
    }
    0
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
    let report = check_request_with(
        &text,
        kind,
        &Options::default().allow_unknown(allow_unknown),
    );
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
            eprint!("{}", e.render(&src));
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
