//! [`Finding`]: one problem of a request body, a [`Diagnostic`] with the JSON path it is about.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::catalog::Scope;
use crate::error::{Code, Diagnostic};
use crate::span::Span;

/// One problem found in a request: a [`Diagnostic`] and the JSON path of the value it is about.
///
/// A problem inside an embedded filter carries the filter's own diagnostic (its own code, such
/// as `unknown-token`), the filter as `source` and the scope it was validated in. Invalid JSON
/// carries the body as `source`, with the span at the byte where reading stopped. Other problems
/// point into no text: their span is empty and `source` is `None`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Finding {
    /// JSON path of the value: `reviewers[3]`, `filters[0]`, `userInfo.user.name`; empty for the
    /// whole body.
    pub path: String,
    /// The problem: code (from [`Code`]), severity, message, help, and a span into `source`.
    pub diagnostic: Diagnostic,
    /// The text the span points into: the embedded filter for a filter problem, the whole body
    /// for invalid JSON; `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// For a filter problem, the scope it was validated in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
}

impl Finding {
    /// A problem that points into no text.
    pub(super) fn detached(path: &str, diagnostic: Diagnostic) -> Finding {
        Finding {
            path: path.to_string(),
            diagnostic,
            source: None,
            scope: None,
        }
    }

    /// An error that points into no text.
    pub(super) fn error(code: Code, path: &str, message: impl Into<String>) -> Finding {
        Finding::detached(path, Diagnostic::error(code, Span::default(), message))
    }

    /// A warning that points into no text.
    pub(super) fn warning(code: Code, path: &str, message: impl Into<String>) -> Finding {
        Finding::detached(path, Diagnostic::warning(code, Span::default(), message))
    }

    /// A problem of the embedded filter `text` at `path`, validated in `scope`.
    pub(super) fn in_filter(path: &str, text: &str, scope: Scope, diagnostic: Diagnostic) -> Self {
        Finding {
            path: path.to_string(),
            diagnostic,
            source: Some(text.to_string()),
            scope: Some(scope),
        }
    }

    /// Adds a help line.
    pub(super) fn help(mut self, help: impl Into<String>) -> Finding {
        self.diagnostic.help = Some(help.into());
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.diagnostic.is_error()
    }

    /// The human form: a line naming the JSON path (`` in `filters[0]`: `` or `in the request
    /// body:`), then the diagnostic drawn by [`Diagnostic::render`] against `source` (a caret
    /// under the span), or by [`Diagnostic::render_detached`] when it points into no text.
    pub fn render(&self) -> String {
        let mut out = if self.path.is_empty() {
            "in the request body:\n".to_string()
        } else {
            format!("in `{}`:\n", self.path)
        };
        let rendered = match &self.source {
            Some(src) => self.diagnostic.render(src).to_string(),
            None => self.diagnostic.render_detached().to_string(),
        };
        out.push_str(&rendered);
        out
    }

    /// The JSON form: the diagnostic's shape ([`Diagnostic::to_json`] against `source`, with
    /// `line` and `column`, or [`Diagnostic::to_json_detached`]) plus `path`; for a filter
    /// problem also `filter` (the filter's text) and `scope`.
    pub fn to_json(&self) -> Json {
        let mut v = match &self.source {
            Some(src) => self.diagnostic.to_json(src),
            None => self.diagnostic.to_json_detached(),
        };
        if let Some(o) = v.as_object_mut() {
            o.insert("path".into(), self.path.clone().into());
            if let (Some(scope), Some(src)) = (self.scope, &self.source) {
                o.insert("filter".into(), src.clone().into());
                o.insert("scope".into(), scope.as_str().into());
            }
        }
        v
    }
}
