//! Diagnostics: a stable code, a message, a span, optional help and labels, and their rendering.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::span::{Span, floor_boundary, line_col};

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

/// The stage of the pipeline that reports a [`Code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Stage {
    /// Reading the filter: [`crate::parse()`].
    Parse,
    /// Checking the filter against the catalog: [`crate::validate()`] and compilation.
    Validate,
    /// Translating to SQL: [`crate::translate::translate`].
    Translate,
    /// Checking a whole API request body: [`crate::check_request`].
    Request,
    /// Reading one event record: [`crate::eval::Matcher`] and [`crate::stream`].
    Record,
    /// Reading a name given to the library: [`Scope`](crate::Scope),
    /// [`Engine`](crate::translate::Engine) and [`RequestKind`](crate::RequestKind) from text.
    Name,
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $stage:ident, $example:literal; )*) => {
        /// The stable code of a diagnostic. Codes never change meaning; [`Code::as_str`] gives the
        /// kebab-case name used in JSON output and in `grammar.md`.
        ///
        /// Every code names an input that triggers it ([`Code::example`]), and a test feeds each
        /// example to its [`Stage`] and expects the code back. Filter examples are read with
        /// `Options::new(Scope::Events).max_depth(4).max_len(64)` and the clock at
        /// 2023-01-10T12:00:00Z; request examples are whole bodies checked with their kind
        /// detected; record examples are one event record, given to a
        /// [`Matcher`](crate::Matcher) or, for `record-too-long`, to a
        /// [`RecordReader`](crate::stream::RecordReader).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        #[non_exhaustive]
        pub enum Code {
            $(
                $(#[$doc])*
                #[doc = ""]
                #[doc = concat!("Example (", stringify!($stage), "): `", $example, "`")]
                $variant,
            )*
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

            /// The stage that reports this code. A name shared by two stages (`too-long`,
            /// `invalid-date`, `unknown-token` in filters and in request bodies) gives the
            /// first.
            pub const fn stage(self) -> Stage {
                match self { $( Code::$variant => Stage::$stage, )* }
            }

            /// An input that triggers this code at its [`stage`](Code::stage).
            pub const fn example(self) -> &'static str {
                match self { $( Code::$variant => $example, )* }
            }
        }
    };
}

codes! {
    /// The filter is empty or only whitespace.
    EmptyFilter = "empty-filter", Parse, "";
    /// The filter is longer than [`Options::max_len`](crate::Options::max_len); in a request
    /// body, a string longer than the API allows.
    TooLong = "too-long", Parse, "file.fullPath:'C:\\Windows\\System32\\drivers\\etc\\hosts' OR action:Create";
    /// Parentheses and `NOT` nest deeper than [`Options::max_depth`](crate::Options::max_depth).
    TooDeep = "too-deep", Parse, "(((((action:Create)))))";
    /// A value is missing or empty (also `action:""`, `action:AND`, `severity>*`).
    ExpectedValue = "expected-value", Parse, "action:";
    /// A term is missing (also `NOT`).
    ExpectedTerm = "expected-term", Parse, "action:Create AND";
    /// A `(` is never closed.
    UnclosedParen = "unclosed-paren", Parse, "(action:Create";
    /// A `[` is never closed.
    UnclosedBracket = "unclosed-bracket", Parse, "action:[Create";
    /// Something appears where it cannot.
    UnexpectedToken = "unexpected-token", Parse, "action:Create)";
    /// Two terms side by side.
    MissingOperator = "missing-operator", Parse, "action:Create severity:4";
    /// A quoted value has no closing quote.
    UnterminatedString = "unterminated-string", Parse, "action:`Create";
    /// A bare value ends the filter with a lone `\`.
    DanglingEscape = "dangling-escape", Parse, "file.name:abc\\";
    /// The token is not in the catalog of the scope (in a request body: a `groupBy` or `sort`
    /// token the catalog does not know).
    UnknownToken = "unknown-token", Validate, "actoin:Create";
    /// The value or operator does not fit the token's type.
    TypeMismatch = "type-mismatch", Validate, "severity:high";
    /// A range whose lower bound is after its upper bound.
    EmptyRange = "empty-range", Validate, "severity:[5..1]";
    /// A date value that does not parse (in a request body: a date not written `yyyy-MM-dd`).
    InvalidDate = "invalid-date", Validate, "dateTime:'yesterday'";
    /// An enum value the catalog does not know (warning).
    UnknownValue = "unknown-value", Validate, "action:Creat";
    /// A date before 2017-01-01, which the API rejects (warning).
    #[serde(rename = "date-before-2017")]
    DateBefore2017 = "date-before-2017", Validate, "dateTime>='2016-12-31'";
    /// AND and OR mixed at one level without parentheses (warning).
    MixedAndOr = "mixed-and-or", Validate, "action:Create OR action:Delete AND severity:4";
    /// A date-only upper bound excludes the rest of that day (warning).
    DateOnlyUpperBound = "date-only-upper-bound", Validate, "dateTime:['2023-01-01'..'2023-01-31']";
    /// A bare value of several words (warning).
    UnquotedSpaces = "unquoted-spaces", Validate, "asset.tagNames: cloud agent";
    /// The filter is valid, but an SQL engine cannot express part of it exactly.
    Untranslatable = "untranslatable", Translate, "file.name:'Σίσυφος'";
    /// The request body is not valid JSON.
    InvalidJson = "invalid-json", Request, "{\"filter\": }";
    /// The request body is not a JSON object.
    NotAnObject = "not-an-object", Request, "[]";
    /// No kind was given and the fields do not tell.
    UnknownKind = "unknown-kind", Request, "{\"colour\": \"blue\"}";
    /// A required field is missing or null.
    MissingField = "missing-field", Request, "{\"name\": \"Unplanned change\"}";
    /// A field the request does not know (warning).
    UnknownField = "unknown-field", Request, "{\"filter\": \"action:Create\", \"pagesize\": 10}";
    /// A value of the wrong JSON type.
    WrongType = "wrong-type", Request, "{\"name\": \"n\", \"filters\": \"action:Create\"}";
    /// A string shorter than allowed (an empty name).
    TooShort = "too-short", Request, "{\"name\": \"\", \"filters\": [\"action:Create\"]}";
    /// A value that is only whitespace.
    Blank = "blank", Request, "{\"filter\": \"  \"}";
    /// An array with more entries than allowed.
    TooMany = "too-many", Request, "{\"name\": \"n\", \"filters\": [\"action:Create\"], \"reviewers\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\"]}";
    /// An array that must not be empty is.
    EmptyList = "empty-list", Request, "{\"name\": \"n\", \"filters\": []}";
    /// A value outside an enumeration, or not allowed in this request.
    InvalidValue = "invalid-value", Request, "{\"approvalStatus\": \"DONE\", \"changeType\": \"OTHER\", \"dispositionCategory\": \"PATCHING\"}";
    /// A reviewer with an `@` that is not an e-mail address.
    InvalidEmail = "invalid-email", Request, "{\"name\": \"n\", \"filters\": [\"action:Create\"], \"reviewers\": [\"jsmith@qualys\"]}";
    /// A reviewer that is not a usable user name.
    InvalidUserName = "invalid-user-name", Request, "{\"name\": \"n\", \"filters\": [\"action:Create\"], \"reviewers\": [\"alice, bob\"]}";
    /// Leading or trailing whitespace in a reviewer (warning).
    SurroundingWhitespace = "surrounding-whitespace", Request, "{\"name\": \"n\", \"filters\": [\"action:Create\"], \"reviewers\": [\" ann\"]}";
    /// The same entry twice (warning).
    Duplicate = "duplicate", Request, "{\"name\": \"n\", \"filters\": [\"action:Create\"], \"reviewers\": [\"ann\", \"ann\"]}";
    /// A time of day not written `HH:MM:SS`.
    InvalidTime = "invalid-time", Request, "{\"scheduleType\": \"DAILY\", \"startTime\": \"9:30\"}";
    /// A date before today (warning).
    PastDate = "past-date", Request, "{\"scheduleType\": \"ONETIME\", \"startTime\": \"09:00:00\", \"endTime\": \"10:00:00\", \"fixDate\": \"2020-06-04\"}";
    /// A number out of range.
    OutOfRange = "out-of-range", Request, "{\"filter\": \"action:Create\", \"pageSize\": 0}";
    /// A `sort` string that does not hold `[{"token": "asc"|"desc"}, ...]`.
    InvalidSort = "invalid-sort", Request, "{\"filter\": \"action:Create\", \"sort\": \"dateTime\"}";
    /// An event record that is not JSON, or not a JSON object.
    InvalidRecord = "invalid-record", Record, "{\"action\": \"Create\"";
    /// An event record longer than the reader's cap
    /// ([`RecordReader::with_max_record`](crate::stream::RecordReader::with_max_record), 64 MiB by
    /// default); the example is read as NDJSON with a cap of 32 bytes.
    RecordTooLong = "record-too-long", Record, "{\"file\": {\"name\": \"longer than the cap\"}}";
    /// A scope, engine or request kind given by a name the library does not know.
    UnknownName = "unknown-name", Name, "evnets";
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
#[non_exhaustive]
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
        Rendered {
            diag: self,
            src: Some(src),
        }
    }

    /// Renders a diagnostic that points into no text (a missing field of a request body, say):
    /// the message and the help, without a snippet.
    pub fn render_detached(&self) -> Rendered<'_> {
        Rendered {
            diag: self,
            src: None,
        }
    }

    /// The JSON form, the one shape of every `--format json`: `severity`, `code`, `message`,
    /// `span` (`start`, `end`: byte offsets), optional `help` and `labels`, and the 1-based `line`
    /// and `column` (in characters) of the span's start within `src`.
    ///
    /// ```
    /// let src = "action:Create severity:4";
    /// let err = fimql::parse(src).unwrap_err();
    /// let json = err.diagnostics()[0].to_json(src);
    /// assert_eq!(json["code"], "missing-operator");
    /// assert_eq!((json["line"].as_u64(), json["column"].as_u64()), (Some(1), Some(15)));
    /// assert_eq!(json["span"]["start"], 14);
    /// ```
    pub fn to_json(&self, src: &str) -> serde_json::Value {
        let mut v = self.to_json_detached();
        let (line, column) = line_col(src, self.span.start);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("line".into(), line.into());
            obj.insert("column".into(), column.into());
        }
        v
    }

    /// The JSON form of a diagnostic that points into no text: [`Diagnostic::to_json`] without
    /// `line` and `column`.
    pub fn to_json_detached(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
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

/// A diagnostic rendered against its text; see [`Diagnostic::render`]. The one renderer of the
/// crate: filters, translation, request bodies and records all draw their carets here.
pub struct Rendered<'a> {
    diag: &'a Diagnostic,
    src: Option<&'a str>,
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.diag;
        let Some(src) = self.src else {
            writeln!(f, "{}[{}]: {}", d.severity, d.code, d.message)?;
            if let Some(help) = &d.help {
                writeln!(f, "  = help: {help}")?;
            }
            return Ok(());
        };
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
            let start = floor_boundary(src, span.start);
            let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
            let single = !src[start..floor_boundary(src, span.end.max(start))].contains('\n');
            if single && shown_line == Some(line_start) {
                let line_end = src[line_start..]
                    .find('\n')
                    .map_or(src.len(), |i| line_start + i);
                let from = start - line_start;
                let to = floor_boundary(src, span.end.max(start)).min(line_end) - line_start;
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
    let start = floor_boundary(src, span.start);
    let end = floor_boundary(src, span.end.max(start));
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

/// Control characters are shown as one space each so that carets stay aligned.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn display_width(_c: char) -> usize {
    1
}

/// The error of every stage: one or more diagnostics, at least one of them an error, in the order
/// of their spans.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", first_message(.0))]
pub struct Diagnostics(pub(crate) Vec<Diagnostic>);

fn first_message(diags: &[Diagnostic]) -> String {
    match diags.first() {
        Some(d) if diags.len() > 1 => format!("{d} (and {} more)", diags.len() - 1),
        Some(d) => d.to_string(),
        None => "no diagnostics".into(),
    }
}

impl Diagnostics {
    /// The error for `diags` when at least one of them is an error; `None` otherwise.
    pub fn from_vec(diags: Vec<Diagnostic>) -> Option<Diagnostics> {
        diags
            .iter()
            .any(Diagnostic::is_error)
            .then_some(Diagnostics(diags))
    }

    /// The diagnostics, in the order of their spans.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.0
    }

    /// Whether any diagnostic is an error: always true of an error a stage returns.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// The diagnostics, by value.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }

    /// Renders every diagnostic against the filter; see [`render`].
    pub fn render(&self, src: &str) -> String {
        render(&self.0, src)
    }

    /// The JSON form; see [`to_json`].
    pub fn to_json(&self, src: &str) -> serde_json::Value {
        to_json(&self.0, src)
    }
}

impl From<Diagnostic> for Diagnostics {
    /// One diagnostic as an error (its severity raised to error if it was a warning).
    fn from(mut d: Diagnostic) -> Self {
        d.severity = Severity::Error;
        Diagnostics(vec![d])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Renders diagnostics (errors, warnings or both) against their text, separated by blank lines.
pub fn render(diags: &[Diagnostic], src: &str) -> String {
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&d.render(src).to_string());
    }
    out
}

/// The JSON form of diagnostics: an array with one object per diagnostic
/// ([`Diagnostic::to_json`]).
pub fn to_json(diags: &[Diagnostic], src: &str) -> serde_json::Value {
    serde_json::Value::Array(diags.iter().map(|d| d.to_json(src)).collect())
}
