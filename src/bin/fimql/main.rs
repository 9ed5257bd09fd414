//! The `fimql` command-line tool. This is the only place with stdin, stdout and exit codes.
//!
//! This file holds the command line (clap) and the helpers the commands share; `commands` runs
//! the small commands, `filter` runs `fimql filter`, and `chunks` reads plain NDJSON files in
//! chunks for it.

// The command-line tool is the one place that prints; the library may not (see Cargo.toml).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod chunks;
mod commands;
mod filter;
mod histogram;
mod live;
mod output;
#[cfg(feature = "serve")]
mod serve;

use std::io::{self, Read};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use fimql::Diagnostic;
use fimql::catalog::Scope;
use fimql::date::Instant;

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
    after_help = "Exit status: check and request check give 0 when the input is valid (warnings \
                  allowed), 1 when it has errors. fmt and explain give 0 when they printed the \
                  filter (explain then lists its validation problems, such as unknown tokens), 1 \
                  on a syntax error. filter and explain --events give 0 when an event matched, 1 \
                  when none did, 2 on any error. Every command gives 2 on usage errors. See \
                  `fimql help <command>`."
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
    /// Each problem is drawn on stderr: its code and message, the filter with a caret line under
    /// the part it is about (a line wider than 100 columns shows a window around it, cut with
    /// `…`), and a help line. After 100 problems the rest are counted in one line; --format json
    /// lists them all. Then, always, one summary line on stderr: `valid: 0 errors, 0 warnings`,
    /// `valid: 0 errors, 1 warning` or `invalid: 2 errors, 1 warning`.
    ///
    /// With --format json, stdout gets one object: `filter`, `scope`, `valid` and `diagnostics`,
    /// each with `severity`, `code`, `message`, `span` (`start` and `end`: byte offsets into the
    /// filter's UTF-8 text), optional `help` and `labels`, and `line` and `column` of the span's
    /// start (1-based, counted in characters: Unicode code points, so `日` is one column and
    /// three bytes).
    #[command(after_long_help = CHECK_HELP)]
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
    /// Show the tree of a filter: each term's token, type, JSON path and what its value matches;
    /// with --events FILE, why each event of FILE matched or did not.
    ///
    /// With --events, each record (or only the one starting on --line N, the line `fimql filter`
    /// names) gets the filter's tree with each node's verdict, marked `✓ true` or `✗ false`
    /// (`← decides` marks the part that decided an AND or OR), and under each term the values
    /// found at its JSON path, each marked with whether it passed, or `missing` when none is
    /// there. A JSON null is a value found: it shows as `null ✗`, as it passes no test (in the
    /// language, missing and null alike pass no test but `NOT`). Values show as the filter
    /// reads them: a number as serde_json reads it (`1E2` as `100.0`, a 23-digit integer as
    /// `1e+23`), which is what the terms compare. The answer is always the one `fimql filter`
    /// gives for that record. Malformed records are reported on
    /// stderr as FILE:LINE: message.
    #[command(after_long_help = EXPLAIN_HELP)]
    Explain(commands::ExplainArgs),
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
    /// JSON; gzip and zstd read directly, recognised by their content).
    ///
    /// Matching events are printed in input order: piped, one per line (an NDJSON line as it is,
    /// but for a carriage return at its end and a byte order mark at the start of a file, which
    /// are dropped; other records as compact JSON); on a terminal, as a table (see --format, --fields,
    /// --histogram). Malformed records are reported on stderr as FILE:LINE: message and
    /// skipped.
    ///
    /// Exit status like grep: 0 some event matched, 1 none did, 2 an error occurred (bad filter,
    /// unreadable file, malformed record). When the reader of the output stops early (`| head`),
    /// 0, or 2 if an error was met in what was read until then.
    Filter(filter::FilterArgs),
    #[cfg(feature = "serve")]
    Serve(serve::ServeArgs),
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

/// `fimql check --help`: examples and the exit status.
const CHECK_HELP: &str = "\
Examples:
  fimql check 'actoin:Create AND severity>=4'
  error[unknown-token]: unknown token `actoin` in scope events
   --> 1:1
    |
    | actoin:Create AND severity>=4
    | ^^^^^^
    = help: did you mean `action`?
  invalid: 1 error, 0 warnings

  # Multi-word values: quoted, a value is a phrase (it matches any value that contains it);
  # with escaped spaces it stays a whole-value match:
  fimql check 'profiles.name:Windows\\ Profile'
  valid: 0 errors, 0 warnings

  # Machine-readable: span in bytes, line and column in characters:
  fimql check --format json \"file.name:'日本語' AND actoin:x\"

Exit status: 0 no errors (warnings allowed), 1 errors, 2 usage error.";

/// `fimql explain --help`: examples (the output is that of the sample export) and the exit status.
const EXPLAIN_HELP: &str = "\
Examples:
  # What each term reads and what its value matches:
  fimql explain 'action:create AND NOT action:`create`'

  # Why the record on line 5 of the sample export is not selected:
  fimql explain 'action:Create AND NOT profiles.rules.name:*CR_*' \\
      --events examples/events.ndjson --line 5
  examples/events.ndjson:5: not matched
  ✗ false  AND (all of)
  ├─ ✓ true   action:Create
  │        action: \"Create\" ✓
  └─ ✗ false  NOT  ← decides
     └─ ✓ true   profiles.rules.name:*CR_*
              profiles.rules.name: \"CR_Windows_System32_Changes\" ✓
  => not matched: `fimql filter` does not select this record

  # Every record of a compressed export, one JSON object per line (file, line, matched, tree):
  fimql explain 'action:Create' --events export.ndjson.gz --format json

Exit status: without --events, 0 explained (validation problems are listed after the tree), 1
syntax error. With --events, like `fimql filter`: 0 an explained record matched (with --line: that
record matched), 1 none did, 2 an error (bad filter, unreadable file, malformed record, no record
starting on line N).";

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

#[derive(clap::Args, Debug)]
struct TranslateArgs {
    /// The engine.
    #[arg(long = "to", value_name = "ENGINE", value_parser = ["spark", "duckdb"])]
    to: String,
    /// Which API the filter is for.
    #[arg(long, value_enum, default_value_t = ScopeArg::Events)]
    scope: ScopeArg,
    /// The clock for `now` in the filter, e.g. 2023-01-10T12:00:00Z (default: the current time).
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_now)]
    now: Option<Instant>,
    /// Print a whole script that reads FILE (NDJSON; a directory or glob works too) with the
    /// catalog schema and returns the matching events.
    #[arg(long, value_name = "FILE")]
    query: Option<String>,
    /// The filter, or `-` for standard input.
    filter: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Fmt {
            pretty,
            fix,
            scope,
            filter,
        } => commands::fmt(&filter, pretty, fix, scope.into()),
        Command::Parse { format, filter } => commands::parse(&filter, format),
        Command::Check {
            scope,
            format,
            deny_warnings,
            allow_unknown,
            filter,
        } => commands::check(&filter, scope.into(), format, deny_warnings, allow_unknown),
        Command::Explain(args) => commands::explain(&args),
        Command::Tokens { scope, format } => commands::tokens(scope.map(Scope::from), format),
        Command::Filter(args) => filter::run(args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::run(args),
        Command::Request(RequestCommand::Check {
            kind,
            format,
            allow_unknown,
            file,
        }) => commands::request_check(kind.as_deref(), format, allow_unknown, &file),
        Command::Translate(args) => commands::translate(&args),
        Command::Schema { to, scope } => commands::schema(&to, scope.into()),
    };
    ExitCode::from(code)
}

/// The most worker threads `--jobs` takes: more only adds memory (3 batches in flight per
/// worker) on any machine this runs on.
const MAX_JOBS: u64 = 256;

/// The parser of `--jobs`: a whole number from 1 to [`MAX_JOBS`], so that a mistyped count is a
/// usage error rather than thousands of threads.
pub(crate) fn jobs_parser() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_JOBS)
}

/// Reads the filter argument, or standard input for `-` (one trailing newline removed).
/// A file's name as messages show it: `<stdin>` for `-`, and control characters and
/// bidirectional controls escaped (`\u{1b}`), so that a name cannot move the cursor or reorder
/// the message it is in.
pub(crate) fn shown_name(name: &str) -> std::borrow::Cow<'_, str> {
    if name == "-" {
        return "<stdin>".into();
    }
    let odd = |c: char| c.is_control() || output::is_bidi_control(c);
    if !name.chars().any(odd) {
        return name.into();
    }
    name.chars()
        .map(|c| {
            if odd(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

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

/// Parses `--now`: a fixed timestamp.
fn parse_now(s: &str) -> Result<Instant, String> {
    match fimql::date::FilterDate::parse(s) {
        Ok(d) => d
            .fixed()
            .ok_or_else(|| "give a fixed timestamp, not `now`".to_string()),
        Err(e) => Err(format!("not a timestamp: {}", e.message)),
    }
}

/// How the help of an `unknown-token` diagnostic names the switch of the commands that have
/// `--allow-unknown` (see `Diagnostic::name_allow_unknown`).
pub(crate) const ALLOW_UNKNOWN: Option<&str> = Some("pass `--allow-unknown`");

/// Diagnostics drawn against the filter, for standard error.
pub(crate) fn render_all(diags: &[Diagnostic], src: &str) -> String {
    fimql::error::render(diags, src)
}
