//! Placeholder until the validator lands.
#![allow(missing_docs, dead_code)]
use crate::ast::Query;
use crate::catalog::{Catalog, Scope};
use crate::date::Instant;
use crate::error::Diagnostic;
#[derive(Default)]
pub struct ValidateOptions {
    pub scope: Scope,
    pub now: Option<Instant>,
    pub allow_unknown: bool,
    pub deny_warnings: bool,
}
impl ValidateOptions {
    pub fn new(scope: Scope) -> Self {
        ValidateOptions {
            scope,
            ..Default::default()
        }
    }
    pub fn now(mut self, now: Instant) -> Self {
        self.now = Some(now);
        self
    }
    pub fn allow_unknown(mut self, y: bool) -> Self {
        self.allow_unknown = y;
        self
    }
    pub fn deny_warnings(mut self, y: bool) -> Self {
        self.deny_warnings = y;
        self
    }
}
pub fn validate_query(_q: &Query, _c: &Catalog, _o: &ValidateOptions) -> Vec<Diagnostic> {
    Vec::new()
}
pub fn fix_aliases(_q: &mut Query, _c: &Catalog, _s: Scope) {}
pub fn quote_spaced_values(_q: &mut Query) {}
