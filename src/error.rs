//! Diagnostics: a stable code, a message, a span, optional help and labels, and their rendering.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::span::{Span, line_col};

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The filter is usable but probably not what was meant.
    Warning,
    /// The filter cannot be used.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// The stable code of a diagnostic. Codes never change meaning; [`Code::as_str`] gives the
        /// kebab-case name used in JSON output and in `grammar.md`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The kebab-case name, e.g. `"missing-operator"`.
            pub const fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $name, )* }
            }

            /// The code with this kebab-case name.
            pub fn from_name(name: &str) -> Option<Code> {
                match name { $( $name => Some(Code::$variant), )* _ => None }
            }
        }
    };
}

codes! {
    /// The filter is empty or only whitespace: ``
    EmptyFilter = "empty-filter",
    /// The filter is longer than the configured limit.
    TooLong = "too-long",
    /// Parentheses and `NOT` nest deeper than the configured limit.
    TooDeep = "too-deep",
    /// A value is missing or empty: `action:`, `action:""`, `action:AND`, `severity>*`.
    ExpectedValue = "expected-value",
    /// A term is missing: `NOT`, `action:Create AND`.
    ExpectedTerm = "expected-term",
    /// A `(` is never closed: `(action:Create`.
    UnclosedParen = "unclosed-paren",
    /// A `[` is never closed: `action:[Create`.
    UnclosedBracket = "unclosed-bracket",
    /// Something appears where it cannot: `action:Create)`.
    UnexpectedToken = "unexpected-token",
    /// Two terms side by side: `action:Create severity:4`.
    MissingOperator = "missing-operator",
    /// A quoted value has no closing quote: ``action:`Create``.
    UnterminatedString = "unterminated-string",
    /// A bare value ends the filter with a lone `\`: `file.name:abc\`.
    DanglingEscape = "dangling-escape",
    /// The token is not in the catalog of the scope: `actoin:Create`.
    UnknownToken = "unknown-token",
    /// The value or operator does not fit the token's type: `severity:high`.
    TypeMismatch = "type-mismatch",
    /// A range whose lower bound is after its upper bound.
    EmptyRange = "empty-range",
    /// A date value that does not parse: `dateTime:'yesterday'`.
    InvalidDate = "invalid-date",
    /// An enum value the catalog does not know (warning): `action:Creat`.
    UnknownValue = "unknown-value",
    /// A date before 2017-01-01, which the API rejects (warning).
    #[serde(rename = "date-before-2017")]
    DateBefore2017 = "date-before-2017",
    /// AND and OR mixed at one level without parentheses (warning).
    MixedAndOr = "mixed-and-or",
    /// A date-only upper bound excludes the rest of that day (warning).
    DateOnlyUpperBound = "date-only-upper-bound",
    /// A bare value of several words (warning): `asset.tagNames: cloud agent`.
    UnquotedSpaces = "unquoted-spaces",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary span with its own message, e.g. "expected `)` here".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there.
    pub message: String,
}

/// One problem found in a filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code.
    pub code: Code,
    /// One sentence saying what is wrong.
    pub message: String,
    /// The bytes of the filter the problem is about.
    pub span: Span,
    /// A suggestion, when one helps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Further spans worth pointing at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            help: None,
            labels: Vec::new(),
        }
    }

    /// A warning.
    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic against the filter it was made from: the message, the filter line(s)
    /// with a caret line under the span, labels, and the help.
    ///
    /// ```
    /// let err = fimql::parse("action:Create severity:4").unwrap_err();
    /// let text = err.diagnostics()[0].render("action:Create severity:4").to_string();
    /// assert!(text.contains("error[missing-operator]"));
    /// assert!(text.contains("              ^^^^^^^^^^"));
    /// ```
    pub fn render<'a>(&'a self, src: &'a str) -> Rendered<'a> {
        Rendered { diag: self, src }
    }

    /// The JSON form: every field plus the 1-based `line` and `column` of the span's start.
    pub fn to_json(&self, src: &str) -> serde_json::Value {
        let (line, column) = line_col(src, self.span.start);
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("line".into(), line.into());
            obj.insert("column".into(), column.into());
        }
        v
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}] at {}..{}: {}",
            self.severity, self.code, self.span.start, self.span.end, self.message
        )
    }
}

/// A diagnostic rendered against its filter; see [`Diagnostic::render`].
pub struct Rendered<'a> {
    diag: &'a Diagnostic,
    src: &'a str,
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.diag;
        let src = self.src;
        let (line, col) = line_col(src, d.span.start);
        let multi_line = src.contains('\n');
        writeln!(f, "{}[{}]: {}", d.severity, d.code, d.message)?;
        let gutter = " ".repeat(digits(src.lines().count().max(line)));
        writeln!(f, "{gutter}--> {line}:{col}")?;
        writeln!(f, "{gutter} |")?;
        let mut marks: Vec<(Span, char, Option<&str>)> = vec![(d.span, '^', None)];
        for l in &d.labels {
            marks.push((l.span, '-', Some(l.message.as_str())));
        }
        let mut shown_line: Option<usize> = None;
        for (span, ch, msg) in marks {
            // A mark on the line just shown, within one line, goes under it without repeating it.
            let start = clamp_boundary(src, span.start);
            let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
            let single = !src[start..clamp_boundary(src, span.end.max(start))].contains('\n');
            if single && shown_line == Some(line_start) {
                let line_end = src[line_start..]
                    .find('\n')
                    .map_or(src.len(), |i| line_start + i);
                let from = start - line_start;
                let to = clamp_boundary(src, span.end.max(start)).min(line_end) - line_start;
                let tail = msg.map(|m| format!(" {m}")).unwrap_or_default();
                mark_line(f, &gutter, &src[line_start..line_end], from, to, ch, &tail)?;
                continue;
            }
            render_span(f, src, span, ch, msg, &gutter, multi_line)?;
            shown_line = single.then_some(line_start);
        }
        if let Some(help) = &d.help {
            writeln!(f, "{gutter} = help: {help}")?;
        }
        Ok(())
    }
}

/// Writes `mark` under bytes `from..to` of the line `text` (at least one mark).
fn mark_line(
    f: &mut fmt::Formatter<'_>,
    gutter: &str,
    text: &str,
    from: usize,
    to: usize,
    mark: char,
    tail: &str,
) -> fmt::Result {
    let pad: usize = text[..from].chars().map(display_width).sum();
    let width: usize = text[from..to]
        .chars()
        .map(display_width)
        .sum::<usize>()
        .max(1);
    writeln!(
        f,
        "{gutter} | {}{}{tail}",
        " ".repeat(pad),
        mark.to_string().repeat(width)
    )
}

fn digits(n: usize) -> usize {
    n.max(1).to_string().len()
}

/// Writes the lines covered by `span` with `mark` characters under the covered columns.
fn render_span(
    f: &mut fmt::Formatter<'_>,
    src: &str,
    span: Span,
    mark: char,
    msg: Option<&str>,
    gutter: &str,
    multi_line: bool,
) -> fmt::Result {
    let start = clamp_boundary(src, span.start);
    let end = clamp_boundary(src, span.end.max(start));
    let mut line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
    let mut line_no = src[..line_start].matches('\n').count() + 1;
    let mut shown = 0;
    loop {
        let line_end = src[line_start..]
            .find('\n')
            .map_or(src.len(), |i| line_start + i);
        let text = &src[line_start..line_end];
        let from = start.max(line_start) - line_start;
        let to = end.min(line_end).max(start.max(line_start)) - line_start;
        let num = if multi_line {
            format!("{line_no:>w$}", w = gutter.len())
        } else {
            gutter.to_string()
        };
        writeln!(f, "{num} | {}", visible(text))?;
        let is_last = end <= line_end || shown == 2;
        let tail = match (is_last, msg) {
            (true, Some(m)) => format!(" {m}"),
            _ => String::new(),
        };
        mark_line(f, gutter, text, from, to, mark, &tail)?;
        shown += 1;
        if is_last || line_end >= src.len() {
            if end > line_end && shown == 3 {
                writeln!(f, "{gutter} | ...")?;
            }
            return Ok(());
        }
        line_start = line_end + 1;
        line_no += 1;
    }
}

fn clamp_boundary(src: &str, at: usize) -> usize {
    let mut at = at.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Control characters are shown as one space each so that carets stay aligned.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn display_width(_c: char) -> usize {
    1
}

/// One or more diagnostics; the error type of [`crate::parse()`]. At least one is an error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", first_message(.0))]
pub struct Diagnostics(pub Vec<Diagnostic>);

fn first_message(diags: &[Diagnostic]) -> String {
    match diags.first() {
        Some(d) if diags.len() > 1 => format!("{d} (and {} more)", diags.len() - 1),
        Some(d) => d.to_string(),
        None => "no diagnostics".into(),
    }
}

impl Diagnostics {
    /// The diagnostics, in the order of their spans.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.0
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Renders every diagnostic against the filter, separated by blank lines.
    pub fn render(&self, src: &str) -> String {
        let mut out = String::new();
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&d.render(src).to_string());
        }
        out
    }

    /// The JSON form: an array with one object per diagnostic (see [`Diagnostic::to_json`]).
    pub fn to_json(&self, src: &str) -> serde_json::Value {
        serde_json::Value::Array(self.0.iter().map(|d| d.to_json(src)).collect())
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
