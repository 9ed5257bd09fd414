//! `Options`: one set of settings that every stage of the pipeline accepts.

use std::sync::{Arc, OnceLock};

use crate::catalog::{Catalog, Scope};
use crate::date::Instant;
use crate::parse::{DEFAULT_MAX_DEPTH, DEFAULT_MAX_LEN, MAX_DEPTH_LIMIT};

/// Settings for parsing, validation, compilation, translation and request checking.
///
/// Build them with [`Options::new`] (or [`Default`], the events scope) and the builder methods,
/// each named after the field it sets. The fields are public to read; the struct is
/// `#[non_exhaustive]`, so settings added later do not break callers.
///
/// ```
/// use fimql::{Catalog, Options, Scope};
/// use fimql::date::parse_event_date;
///
/// let now = parse_event_date("2023-01-10T12:00:00Z").unwrap();
/// let opts = Options::new(Scope::Incidents)
///     .catalog(Catalog::builtin())
///     .now(now)
///     .max_depth(16)
///     .max_len(4096)
///     .allow_unknown(false)
///     .deny_warnings(true);
/// assert_eq!((opts.scope, opts.now, opts.max_depth), (Scope::Incidents, Some(now), 16));
/// assert!(opts.deny_warnings && !opts.allow_unknown);
/// assert!(opts.catalog.lookup(Scope::Incidents, "status").is_some());
/// ```
///
/// Parsing reads the limits; validation reads the scope, the catalog, the clock and the two
/// switches; compilation, translation and request checking read all of them. Set a limit once
/// and every stage that parses enforces it:
///
/// ```
/// use fimql::{Options, Scope, compile, parse_with, validate_with};
///
/// let opts = Options::new(Scope::Events).max_depth(2);
/// let deep = "(((action:Create)))";
/// for code in [
///     parse_with(deep, &opts).unwrap_err().diagnostics()[0].code,
///     validate_with(deep, &opts).unwrap_err().diagnostics()[0].code,
///     compile(deep, &opts).unwrap_err().diagnostics()[0].code,
/// ] {
///     assert_eq!(code.as_str(), "too-deep");
/// }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// Which API the filter is for; decides the tokens it may use. Default: events.
    pub scope: Scope,
    /// The token catalog. Default: the built-in catalog of `tokens.md`, shared.
    pub catalog: Arc<Catalog>,
    /// The clock that `now` stands for. Validation makes the checks that depend on it (empty
    /// ranges, dates before 2017 with `now±N` bounds) only when it is set; compilation and
    /// translation use the current time when it is not.
    pub now: Option<Instant>,
    /// The cap on nesting of `(` and `NOT` (1 to [`MAX_DEPTH_LIMIT`](crate::parse::MAX_DEPTH_LIMIT)); deeper is `too-deep`.
    pub max_depth: usize,
    /// The cap on filter length in bytes; longer is `too-long`.
    pub max_len: usize,
    /// Accept tokens the catalog does not know, as raw JSON paths typed as text.
    pub allow_unknown: bool,
    /// Report every warning as an error (same code).
    pub deny_warnings: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options::new(Scope::default())
    }
}

impl Options {
    /// The defaults for a scope: the built-in catalog, no fixed clock, the default limits,
    /// unknown tokens rejected, warnings kept as warnings.
    pub fn new(scope: Scope) -> Self {
        static BUILTIN: OnceLock<Arc<Catalog>> = OnceLock::new();
        Options {
            scope,
            catalog: BUILTIN.get_or_init(|| Arc::new(Catalog::builtin())).clone(),
            now: None,
            max_depth: DEFAULT_MAX_DEPTH,
            max_len: DEFAULT_MAX_LEN,
            allow_unknown: false,
            deny_warnings: false,
        }
    }

    /// Sets the scope.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// Uses another catalog (a [`Catalog`] or an `Arc` of one).
    pub fn catalog(mut self, catalog: impl Into<Arc<Catalog>>) -> Self {
        self.catalog = catalog.into();
        self
    }

    /// Fixes the clock that `now` stands for.
    pub fn now(mut self, now: Instant) -> Self {
        self.now = Some(now);
        self
    }

    /// Caps nesting of `(` and `NOT` at `depth` levels, clamped to 1..=[`MAX_DEPTH_LIMIT`](crate::parse::MAX_DEPTH_LIMIT).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth.clamp(1, MAX_DEPTH_LIMIT);
        self
    }

    /// Caps the filter at `bytes` bytes.
    pub fn max_len(mut self, bytes: usize) -> Self {
        self.max_len = bytes;
        self
    }

    /// Accepts unknown tokens (as raw JSON paths typed as text) when `yes`.
    pub fn allow_unknown(mut self, yes: bool) -> Self {
        self.allow_unknown = yes;
        self
    }

    /// Turns warnings into errors when `yes`.
    pub fn deny_warnings(mut self, yes: bool) -> Self {
        self.deny_warnings = yes;
        self
    }
}
