//! # fimql
//!
//! The filter language of the Qualys FIM (File Integrity Monitoring) API, as a library: parse a
//! filter into a spanned syntax tree, validate it against the catalog of FIM tokens with precise
//! diagnostics, print it in one canonical form (or a pretty one), and evaluate it against events.
//!
//! ```
//! use fimql::{CompileOptions, Scope, compile, parse, validate};
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
//! eprintln!("{}", err.render(filter)); // the filter, a caret line under the span, the help
//!
//! // Compile once, then match events: `serde_json::Value`s, or raw JSON bytes (fast path).
//! let f = compile("action:Create AND severity>=4", &CompileOptions::new(Scope::Events))?;
//! let event = serde_json::json!({"sortValues": [], "data": {"action": "create", "severity": "5"}});
//! assert!(f.matches(&event));
//! let mut matcher = f.matcher();
//! assert_eq!(matcher.matches_json(br#"{"action":"Create","severity":3}"#), Ok(false));
//! # Ok::<(), fimql::Diagnostics>(())
//! ```
//!
//! The pipeline, one module per stage: [`parse`](mod@parse) (nom, spanned [`ast`]),
//! [`validate`](mod@validate) (against the [`catalog`]), [`print`](mod@print) (canonical `Display`, pretty
//! `{:#}`), [`compile`](mod@compile) (tokens resolved to paths, values lowered), [`eval`]
//! (on `serde_json::Value` with [`Filter::matches`], on bytes with [`eval::Matcher`]); [`stream`]
//! splits exported files into records, [`group`] counts like the FIM count API, [`request`] checks
//! whole API request bodies and [`builder`] builds filters safely from Rust values.
//!
//! The language is described in `grammar.md` at the root of the repository.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "arbitrary")]
mod arbitrary_impl;
pub mod ast;
pub mod builder;
pub mod catalog;
pub mod compile;
pub mod date;
pub mod error;
pub mod eval;
pub mod explain;
#[doc(hidden)]
pub mod fuzzing;
pub mod group;
pub mod parse;
pub mod print;
pub mod request;
pub mod span;
pub mod stream;
pub mod translate;
pub mod validate;

pub use ast::{Bound, CmpOp, Expr, ExprKind, Field, Form, Piece, Predicate, Query, Term, Value};
pub use catalog::{Catalog, Scope};
pub use compile::{CompileOptions, Filter, compile, compile_query};
pub use error::{Code, Diagnostic, Diagnostics, Label, Severity};
pub use parse::{ParseOptions, parse};
pub use request::{RequestKind, RequestReport, check_request};
pub use span::Span;
pub use validate::{
    ValidateOptions, Validated, fix_aliases, quote_spaced_values, validate, validate_query,
    validate_with,
};
