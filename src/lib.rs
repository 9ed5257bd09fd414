//! # fimql
//!
//! The filter language of the Qualys FIM (File Integrity Monitoring) API, as a library: parse a
//! filter into a spanned syntax tree, report problems with precise diagnostics, and print it in
//! one canonical form (or a pretty one).
//!
//! ```
//! use fimql::parse;
//!
//! let query = parse("dateTime : ['2022-11-15T16:07:00.000Z' .. '2022-12-15T16:07:00.000Z'] and (action:Content)")?;
//! assert_eq!(
//!     query.to_string(),
//!     "dateTime:['2022-11-15T16:07:00.000Z'..'2022-12-15T16:07:00.000Z'] AND action:Content"
//! );
//!
//! // A bad filter gets a diagnostic with a stable code, a span and a help line.
//! let filter = "action:Create severity:4";
//! let err = parse(filter).unwrap_err();
//! let diag = &err.diagnostics()[0];
//! assert_eq!(diag.code.as_str(), "missing-operator");
//! assert_eq!(diag.span.start, 14);
//! println!("{}", diag.render(filter));
//! # Ok::<(), fimql::Diagnostics>(())
//! ```
//!
//! The language is described in `grammar.md` at the root of the repository.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ast;
pub mod builder;
pub mod catalog;
pub mod compile;
pub mod date;
pub mod error;
mod eval;
pub mod explain;
pub mod fast;
pub mod group;
pub mod parse;
mod prefilter;
pub mod print;
pub mod request;
pub mod span;
pub mod stream;
pub mod translate;
pub mod validate;
pub mod wildcard;

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
