//! The `fimql` command-line tool. This is the only place with stdin, stdout and exit codes.

mod filter;

use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use fimql::Options;
use fimql::catalog::{Catalog, Scope};
use fimql::validate::validate_query;
use fimql::{Diagnostic, Query};

/// Check, format and run Qualys FIM API filters.
///
/// A filter looks like `action:Create AND severity>=4` or
/// ``dateTime:['2022-11-15T16:07:00.000Z'..'2022-12-15T16:07:00.000Z'] AND (action:Content)``.
/// Pass `-` as FILTER to read the filter from standard input.
#[derive(Parser, Debug)]
#[command(
    name = "fimql",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = "Exit status: check, fmt, explain and request check give 0 when the input is valid \
                  (warnings allowed), 1 when it has errors, 2 on usage errors. filter gives 0 when \
                  an event matched, 1 when none did, 2 on any error. See `fimql help <command>`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print a filter in canonical form (or pretty with --pretty).
    ///
    /// Exit status: 0 printed, 1 the filter has a syntax error, 2 usage error.
    Fmt {
        /// Break long filters over several indented lines.
        #[arg(long)]
        pretty: bool,
        /// Rewrite token aliases to their canonical names and quote multi-word bare values.
        #[arg(long)]
        fix: bool,
        /// Scope whose catalog `--fix` uses for aliases.
        #[arg(long, value_enum, default_value_t = ScopeArg::Events)]
        scope: ScopeArg,
        /// The filter, or `-` for standard input.
        filter: String,
    },
    /// Print the syntax tree of a filter as JSON (spans are byte offsets into the filter).
    ///
    /// Exit status: 0 printed, 1 syntax error (the diagnostics are printed instead: rendered on
    /// stderr, or as JSON on stdout with --format json), 2 usage error.
    Parse {
        /// Output format: `json` (the tree, or the diagnostics) or `human` (the tree's debug form).
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// The filter, or `-` for standard input.
        filter: String,
    },
    /// Check a filter: syntax, tokens, types, values and dates; all problems in one pass.
    ///
    /// Exit status: 0 no errors (warnings allowed), 1 errors, 2 usage error.
    Check {
        /// Which API the filter is for.
        #[arg(long, value_enum, default_value_t = ScopeArg::Events)]
        scope: ScopeArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Treat warnings as errors.
        #[arg(long)]
        deny_warnings: bool,
        /// Accept unknown tokens (as raw JSON paths).
        #[arg(long)]
        allow_unknown: bool,
        /// The filter, or `-` for standard input.
        filter: String,
    },
    /// Show the tree of a filter: each term's token, type, JSON path and what its value matches.
    ///
    /// Exit status: 0 explained (validation problems are listed after the tree), 1 syntax error.
    Explain {
        /// Which API the filter is for.
        #[arg(long, value_enum, default_value_t = ScopeArg::Events)]
        scope: ScopeArg,
        /// The clock for `now` in the filter, e.g. 2023-01-10T12:00:00Z.
        #[arg(long, value_name = "TIMESTAMP", value_parser = filter::parse_now)]
        now: Option<fimql::date::Instant>,
        /// The filter, or `-` for standard input.
        filter: String,
    },
    /// List the token catalog.
    Tokens {
        /// Only this scope (default: both).
        #[arg(long, value_enum)]
        scope: Option<ScopeArg>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Select the events that match a filter from exported files (NDJSON, JSON arrays, pretty
    /// JSON; gzip read directly).
    ///
    /// Matching events are printed one per line: NDJSON lines unchanged, other records as compact
    /// JSON, in input order. Malformed records are reported on stderr as FILE:LINE: message and
    /// skipped. Exit status like grep: 0 some event matched, 1 none did, 2 an error occurred (bad
    /// filter, unreadable file, malformed record).
    Filter(filter::FilterArgs),
    /// Work with FIM API request bodies.
    #[command(subcommand)]
    Request(RequestCommand),
    /// Translate a filter into a boolean SQL expression for Spark SQL or DuckDB, or with --query
    /// into a whole script that reads an NDJSON file and returns the matching events.
    ///
    /// Exit status: 0 printed, 1 the filter is invalid or untranslatable, 2 usage error.
    Translate(TranslateArgs),
    /// Print the reading schema derived from the catalog: a Spark DDL string for
    /// `spark.read.schema(...)`, or DuckDB's `columns={...}` for `read_json`.
    Schema {
        /// The engine.
        #[arg(long = "to", value_name = "ENGINE", value_parser = ["spark", "duckdb"])]
        to: String,
        /// Which API the filter is for.
        #[arg(long, value_enum, default_value_t = ScopeArg::Events)]
        scope: ScopeArg,
    },
}

#[derive(Subcommand, Debug)]
enum RequestCommand {
    /// Check a request body (JSON): every field, and each embedded filter in its scope, with the
    /// JSON path of each problem and a caret inside the filter.
    ///
    /// Kinds: incident-approve, incident-create, correlation-rule-create,
    /// correlation-rule-update, event-search, event-count, incident-search. Without --kind the
    /// kind is detected from the fields. Exit status: 0 no errors, 1 errors, 2 usage error.
    Check {
        /// The kind of request (default: detected from its fields).
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Accept unknown tokens in embedded filters (as raw JSON paths).
        #[arg(long)]
        allow_unknown: bool,
        /// The request body, or `-` for standard input.
        file: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ScopeArg {
    Events,
    Incidents,
}

impl From<ScopeArg> for Scope {
    fn from(s: ScopeArg) -> Scope {
        match s {
            ScopeArg::Events => Scope::Events,
            ScopeArg::Incidents => Scope::Incidents,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Fmt {
            pretty,
            fix,
            scope,
            filter,
        } => cmd_fmt(&filter, pretty, fix, scope.into()),
        Command::Parse { format, filter } => cmd_parse(&filter, format),
        Command::Check {
            scope,
            format,
            deny_warnings,
            allow_unknown,
            filter,
        } => cmd_check(&filter, scope.into(), format, deny_warnings, allow_unknown),
        Command::Explain { scope, now, filter } => cmd_explain(&filter, scope.into(), now),
        Command::Tokens { scope, format } => cmd_tokens(scope.map(Scope::from), format),
        Command::Filter(args) => filter::run(args),
        Command::Request(RequestCommand::Check {
            kind,
            format,
            allow_unknown,
            file,
        }) => cmd_request_check(kind.as_deref(), format, allow_unknown, &file),
        Command::Translate(args) => cmd_translate(&args),
        Command::Schema { to, scope } => cmd_schema(&to, scope.into()),
    };
    ExitCode::from(code)
}

/// Reads the filter argument, or standard input for `-` (one trailing newline removed).
pub(crate) fn filter_text(arg: &str) -> Result<String, u8> {
    if arg != "-" {
        return Ok(arg.to_string());
    }
    let mut s = String::new();
    if let Err(e) = io::stdin().read_to_string(&mut s) {
        eprintln!("fimql: cannot read the filter from standard input: {e}");
        return Err(2);
    }
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    Ok(s)
}

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
pub(crate) fn print_out(text: &str) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("fimql: cannot write output: {e}");
        std::process::exit(2);
    }
}

pub(crate) fn render_all(diags: &[Diagnostic], src: &str) -> String {
    fimql::error::render(diags, src)
}

fn cmd_fmt(arg: &str, pretty: bool, fix: bool, scope: Scope) -> u8 {
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

fn cmd_check(
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

fn cmd_parse(arg: &str, format: Format) -> u8 {
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

fn cmd_explain(arg: &str, scope: Scope, now: Option<fimql::date::Instant>) -> u8 {
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

fn cmd_request_check(kind: Option<&str>, format: Format, allow_unknown: bool, file: &str) -> u8 {
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

fn cmd_tokens(scope: Option<Scope>, format: Format) -> u8 {
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

#[derive(clap::Args, Debug)]
struct TranslateArgs {
    /// The engine.
    #[arg(long = "to", value_name = "ENGINE", value_parser = ["spark", "duckdb"])]
    to: String,
    /// Which API the filter is for.
    #[arg(long, value_enum, default_value_t = ScopeArg::Events)]
    scope: ScopeArg,
    /// The clock for `now` in the filter, e.g. 2023-01-10T12:00:00Z (default: the current time).
    #[arg(long, value_name = "TIMESTAMP", value_parser = filter::parse_now)]
    now: Option<fimql::date::Instant>,
    /// Print a whole script that reads FILE (NDJSON; a directory or glob works too) with the
    /// catalog schema and returns the matching events.
    #[arg(long, value_name = "FILE")]
    query: Option<String>,
    /// The filter, or `-` for standard input.
    filter: String,
}

fn cmd_translate(args: &TranslateArgs) -> u8 {
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

fn cmd_schema(to: &str, scope: Scope) -> u8 {
    let Ok(engine) = to.parse::<fimql::translate::Engine>() else {
        return 2;
    };
    print_out(&format!(
        "{}\n",
        fimql::translate::schema(&Catalog::builtin(), scope, engine)
    ));
    0
}
