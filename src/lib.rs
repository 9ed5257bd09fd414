//! # fimql
//!
//! The filter language of the Qualys FIM (File Integrity Monitoring) API, as a library: parse a
//! filter into a spanned syntax tree, validate it against the catalog of FIM tokens with precise
//! diagnostics, print it in one canonical form (or a pretty one), and evaluate it against events.
//!
//! ```
//! use fimql::{Options, Scope, compile, parse, validate};
//!
//! // Parse and print canonically.
//! let query = parse("dateTime : ['2022-11-15T16:07:00.000Z' .. '2022-12-15T16:07:00.000Z'] and (action:Content)")?;
//! assert_eq!(
//!     query.to_string(),
//!     "dateTime:['2022-11-15T16:07:00.000Z'..'2022-12-15T16:07:00.000Z'] AND action:Content"
//! );
//!
//! // A bad filter gets diagnostics with a stable code, a span and a help line.
//! let filter = "actoin:Create severity:4";
//! let err = validate(filter, Scope::Events).unwrap_err();
//! let first = &err.diagnostics()[0];
//! assert_eq!(first.code.as_str(), "missing-operator");
//! assert_eq!(first.span.start, 14);
//! let shown = err.render(filter); // the filter, a caret line under the span, the help
//! assert!(shown.contains("error[missing-operator]"));
//!
//! // Compile once, then match events: `serde_json::Value`s, or raw JSON bytes (fast path).
//! let f = compile("action:Create AND severity>=4", &Options::new(Scope::Events))?;
//! let event = serde_json::json!({"sortValues": [], "data": {"action": "create", "severity": "5"}});
//! assert!(f.matches(&event));
//! let mut matcher = f.matcher();
//! assert_eq!(matcher.matches_json(br#"{"action":"Create","severity":3}"#), Ok(false));
//! # Ok::<(), fimql::Diagnostics>(())
//! ```
//!
//! ## The pipeline
//!
//! One module per stage, in order; the crate root re-exports what a caller of the pipeline needs.
//!
//! 1. [`parse`](mod@parse): text to a spanned [`ast::Query`] (nom, no recursion, depth and length
//!    caps); [`print`](mod@print) writes it back canonically (`Display`) or pretty (`{:#}`).
//! 2. [`validate`](mod@validate): the query against the [`catalog`] of tokens and the type rules.
//! 3. [`compile`](mod@compile): tokens resolved to JSON paths, values lowered, the clock fixed.
//! 4. [`eval`]: a [`Filter`] decides events, as `serde_json::Value`s or as raw bytes
//!    ([`Matcher`]).
//!
//! Every stage takes the one [`Options`] (scope, catalog, clock, limits, strictness) and reports
//! problems as [`Diagnostic`]s with a stable [`Code`] from one table, drawn by one renderer
//! ([`Diagnostic::render`]) and serialized in one JSON shape ([`Diagnostic::to_json`]).
//!
//! Built on the pipeline: [`stream`] splits exported files into records, [`group`] counts like
//! the FIM count API, [`fields`] picks the fields of matched events to show (as table cells or
//! JSON), [`histogram`] counts them per hour, day or month, [`explain`](mod@explain) describes a
//! filter, [`translate`](mod@translate)
//! writes Spark SQL and DuckDB, [`request`] checks whole API request bodies, and [`builder`]
//! builds filters safely from Rust values.
//!
//! ## Features
//!
//! - `cli` (default): the `fimql` command-line tool (clap, indicatif, the output writers), `gzip`,
//!   `zstd` and `serve`. Library users depend on the crate with `default-features = false`.
//! - `serve`: `fimql serve`, the local web page over exported files (axum on tokio); part of
//!   `cli`, nothing in the library.
//! - `gzip`: gzip input in [`stream::open`] (flate2, with the zlib-rs backend).
//! - `zstd`: zstd input in [`stream::open`] (the zstd crate, which builds the C library).
//! - `testing`: test support (the fuzz properties, the random filter generator), hidden from the
//!   docs and not part of the stable API.
//! - `arbitrary`: `impl Arbitrary for Query`, for fuzzing (implies `testing`).
//!
//! The language is described in `grammar.md` at the root of the repository.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The pipeline, in order: text, tree, checked tree, compiled filter, decisions.
mod span;
pub mod ast;
pub mod parse;
pub mod print;
pub mod catalog;
mod options;
pub mod validate;
pub mod date;
pub mod compile;
pub mod eval;

// Diagnostics, shared by every stage, and the one did-you-mean.
pub mod error;
mod suggest;

// What is built on the pipeline.
pub mod builder;
pub mod explain;
pub mod fields;
pub mod group;
pub mod histogram;
pub mod request;
pub mod stream;
pub mod translate;

#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod testing;

/// The Rust examples of README.md, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use ast::{Expr, Query};
pub use catalog::{Catalog, Scope};
pub use compile::{Filter, compile, compile_query};
pub use error::{Code, Diagnostic, Diagnostics, Severity};
pub use eval::{Matcher, RecordError};
pub use options::Options;
pub use parse::{parse, parse_with};
pub use request::{RequestKind, RequestReport, check_request, check_request_with};
pub use span::{Location, Span};
pub use translate::{Engine, translate};
pub use validate::{Validated, validate, validate_query, validate_with};
