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

/// The words that end the help of an `unknown-token` diagnostic when reading the name as a raw
/// JSON path would do; see [`Diagnostic::name_allow_unknown`].
pub const ALLOW_UNKNOWN: &str = "allow unknown tokens";

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

    /// Names the switch that reads unknown names as raw JSON paths, in the help of an
    /// `unknown-token` diagnostic. The library's help is the same for every front end and ends
    /// with the neutral [`ALLOW_UNKNOWN`] ("allow unknown tokens"); a front end gives its own
    /// words for it (`Some("pass `--allow-unknown`")`), or `None` where it has no such switch,
    /// which drops that part of the help. Other diagnostics come back as they are.
    ///
    /// ```
    /// use fimql::{Options, Scope};
    /// let err = fimql::compile("foo:1", &Options::new(Scope::Events)).unwrap_err();
    /// let d = err.diagnostics()[0].clone();
    /// assert!(d.help.as_deref().unwrap().ends_with("as a raw JSON path, allow unknown tokens"));
    /// let cli = d.clone().name_allow_unknown(Some("pass `--allow-unknown`"));
    /// assert!(cli.help.as_deref().unwrap().ends_with("as a raw JSON path, pass `--allow-unknown`"));
    /// let none = d.name_allow_unknown(None);
    /// assert_eq!(none.help.as_deref(), Some("no events token has a similar name (see `fimql tokens`)"));
    /// ```
    pub fn name_allow_unknown(mut self, switch: Option<&str>) -> Self {
        if self.code != Code::UnknownToken {
            return self;
        }
        if let Some(help) = &mut self.help
            && let Some(head) = help.strip_suffix(ALLOW_UNKNOWN)
        {
            *help = match switch {
                Some(s) => format!("{head}{s}"),
                None => head
                    .rfind("; ")
                    .map_or(head, |at| &head[..at])
                    .trim_end_matches([',', ' '])
                    .to_string(),
            };
        }
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic against the filter it was made from: the message, the filter line(s)
    /// with a caret line under the span, labels, and the help. A line wider than 100 columns
    /// shows a window of it around the span, with `…` where it is cut; carets are placed by
    /// display width (a CJK character or an emoji takes two columns). Against an empty text
    /// (a condition built in code, an empty filter) there is no snippet, as with
    /// [`Diagnostic::render_detached`].
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
        let (line, column) = line_col(src, self.span.start);
        self.to_json_at(line, column)
    }

    /// [`Diagnostic::to_json`] with the line and column of the span's start given.
    fn to_json_at(&self, line: usize, column: usize) -> serde_json::Value {
        let mut v = self.to_json_detached();
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
        // No text (a condition built in code, an empty filter): no snippet to point into.
        let Some(src) = self.src.filter(|s| !s.is_empty()) else {
            writeln!(f, "{}[{}]: {}", d.severity, d.code, d.message)?;
            if let Some(help) = &d.help {
                writeln!(f, "  = help: {help}")?;
            }
            return Ok(());
        };
        let (line, col) = line_col(src, d.span.start);
        let multi_line = src.contains('\n');
        writeln!(f, "{}[{}]: {}", d.severity, d.code, d.message)?;
        let lines = if multi_line { src.lines().count() } else { 1 };
        let gutter = " ".repeat(digits(lines.max(line)));
        writeln!(f, "{gutter}--> {line}:{col}")?;
        writeln!(f, "{gutter} |")?;
        let mut marks: Vec<(Span, char, Option<&str>)> = vec![(d.span, '^', None)];
        for l in &d.labels {
            marks.push((l.span, '-', Some(l.message.as_str())));
        }
        // The line last shown, as (line start, window start, window end) in bytes of `src`.
        let mut shown_line: Option<(usize, usize, usize)> = None;
        for (span, ch, msg) in marks {
            // A mark on the line just shown, within one line and within the part of the line
            // shown, goes under it without repeating it.
            let start = floor_boundary(src, span.start);
            let end = floor_boundary(src, span.end.max(start));
            let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
            let single = !src[start..end].contains('\n');
            if let Some((shown_start, win_start, win_end)) = shown_line
                && single
                && shown_start == line_start
                && start >= win_start
                && end <= win_end
            {
                let line_end = src[line_start..]
                    .find('\n')
                    .map_or(src.len(), |i| line_start + i);
                let text = &src[line_start..line_end];
                let win = (win_start - line_start, win_end - line_start);
                let tail = msg.map(|m| format!(" {m}")).unwrap_or_default();
                mark_line(
                    f,
                    &gutter,
                    text,
                    win,
                    start - line_start,
                    end - line_start,
                    ch,
                    &tail,
                )?;
                continue;
            }
            let win = render_span(f, src, span, ch, msg, &gutter, multi_line)?;
            shown_line = single.then(|| (line_start, line_start + win.0, line_start + win.1));
        }
        if let Some(help) = &d.help {
            writeln!(f, "{gutter} = help: {help}")?;
        }
        Ok(())
    }
}

/// The widest line shown, in columns: a longer line shows a window of this width around the
/// span, with `…` where it is cut.
const WINDOW: usize = 100;
/// How many columns of the line before the span a cut line shows.
const CONTEXT: usize = 30;

/// The part of the line `text` to show for a span starting at byte `from`: the whole line when it
/// fits in [`WINDOW`] columns, otherwise a window (byte offsets into `text`) that starts up to
/// [`CONTEXT`] columns before the span and leaves room for the `…` at either end.
fn window(text: &str, from: usize) -> (usize, usize) {
    let mut total = 0;
    let fits = text.len() <= WINDOW
        || text.chars().all(|c| {
            total += display_width(c);
            total <= WINDOW
        });
    if fits {
        return (0, text.len());
    }
    let budget = WINDOW - 2;
    let from = floor_boundary(text, from);
    let mut start = from;
    let mut used = 0;
    for (i, c) in text[..from].char_indices().rev() {
        let w = display_width(c);
        if used + w > CONTEXT {
            break;
        }
        used += w;
        start = i;
    }
    let mut end = start;
    let mut used = 0;
    for (i, c) in text[start..].char_indices() {
        let w = display_width(c);
        if used + w > budget {
            break;
        }
        used += w;
        end = start + i + c.len_utf8();
    }
    if end == text.len() {
        // The span is near the end of the line: fill the window with what comes before it.
        for (i, c) in text[..start].char_indices().rev() {
            let w = display_width(c);
            if used + w > budget {
                break;
            }
            used += w;
            start = i;
        }
    }
    (start, end)
}

/// Writes the window `win` of the line `text` (see [`window`]), with `…` where it is cut.
fn show_line(
    f: &mut fmt::Formatter<'_>,
    num: &str,
    text: &str,
    win: (usize, usize),
) -> fmt::Result {
    let (start, end) = win;
    let before = if start > 0 { "…" } else { "" };
    let after = if end < text.len() { "…" } else { "" };
    writeln!(f, "{num} | {before}{}{after}", visible(&text[start..end]))
}

/// Writes `mark` under bytes `from..to` of the line `text` shown through the window `win` (at
/// least one mark; none past the window).
#[allow(clippy::too_many_arguments)]
fn mark_line(
    f: &mut fmt::Formatter<'_>,
    gutter: &str,
    text: &str,
    win: (usize, usize),
    from: usize,
    to: usize,
    mark: char,
    tail: &str,
) -> fmt::Result {
    let (start, end) = win;
    let from = floor_boundary(text, from.clamp(start, end));
    let to = floor_boundary(text, to.clamp(from, end));
    let pad = usize::from(start > 0) + width(&text[start..from]);
    let marks = width(&text[from..to]).max(1);
    writeln!(
        f,
        "{gutter} | {}{}{tail}",
        " ".repeat(pad),
        mark.to_string().repeat(marks)
    )
}

/// The display width of `text` as [`visible`] shows it.
fn width(text: &str) -> usize {
    text.chars().map(display_width).sum()
}

fn digits(n: usize) -> usize {
    n.max(1).to_string().len()
}

/// Writes the lines covered by `span` with `mark` characters under the covered columns; gives the
/// window shown of the first line (byte offsets into that line).
fn render_span(
    f: &mut fmt::Formatter<'_>,
    src: &str,
    span: Span,
    mark: char,
    msg: Option<&str>,
    gutter: &str,
    multi_line: bool,
) -> Result<(usize, usize), fmt::Error> {
    let start = floor_boundary(src, span.start);
    let end = floor_boundary(src, span.end.max(start));
    let mut line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
    let mut line_no = src[..line_start].matches('\n').count() + 1;
    let mut shown = 0;
    let mut first_window = None;
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
        let win = window(text, from);
        first_window.get_or_insert(win);
        show_line(f, &num, text, win)?;
        let is_last = end <= line_end || shown == 2;
        let tail = match (is_last, msg) {
            (true, Some(m)) => format!(" {m}"),
            _ => String::new(),
        };
        mark_line(f, gutter, text, win, from, to, mark, &tail)?;
        shown += 1;
        if is_last || line_end >= src.len() {
            if end > line_end && shown == 3 {
                writeln!(f, "{gutter} | ...")?;
            }
            return Ok(first_window.unwrap_or(win));
        }
        line_start = line_end + 1;
        line_no += 1;
    }
}

/// Whether `c` is a bidirectional format character (U+202A–U+202E, U+2066–U+2069, the
/// left-to-right, right-to-left and Arabic letter marks): invisible, it reorders the text
/// around it on a terminal, so a line quoted in a message could read differently from what it
/// holds. Every place that shows text from a filter or an event escapes or replaces it.
pub(crate) fn is_bidi_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Control characters are shown as one space each so that carets stay aligned, and
/// bidirectional format characters as `\u{FFFD}` (they would reorder the line).
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                ' '
            } else if is_bidi_format(c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// The columns a character takes on a terminal as [`visible`] shows it: two for wide characters
/// (CJK, most emoji), none for combining marks, one for a control character (shown as a space)
/// or a bidirectional format character (shown as `\u{FFFD}`).
fn display_width(c: char) -> usize {
    if c.is_control() || is_bidi_format(c) {
        1
    } else {
        unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
    }
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

    /// [`Diagnostic::name_allow_unknown`] on each diagnostic.
    pub fn name_allow_unknown(self, switch: Option<&str>) -> Self {
        Diagnostics(
            self.0
                .into_iter()
                .map(|d| d.name_allow_unknown(switch))
                .collect(),
        )
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

/// At most this many diagnostics are drawn by [`render`]; the rest are counted in one line.
pub const MAX_RENDERED: usize = 100;

/// Renders diagnostics (errors, warnings or both) against their text, separated by blank lines.
///
/// At most [`MAX_RENDERED`] are drawn, errors before warnings when there are more (in the order
/// of their spans); a last line counts the rest, which [`to_json`] still lists.
///
/// ```
/// let src = (0..150).map(|i| format!("action:v{i}")).collect::<Vec<_>>().join(" OR ");
/// let q = fimql::parse(&src)?;
/// let warnings = fimql::validate_query(&q, &fimql::Options::default());
/// assert_eq!(warnings.len(), 150);
/// let text = fimql::error::render(&warnings, &src);
/// assert_eq!(text.matches("warning[unknown-value]").count(), 100);
/// assert!(text.ends_with("… and 50 more (0 errors, 50 warnings) not shown\n"));
/// # Ok::<(), fimql::Diagnostics>(())
/// ```
pub fn render(diags: &[Diagnostic], src: &str) -> String {
    let mut shown = vec![false; diags.len()];
    let mut room = MAX_RENDERED;
    for want_error in [true, false] {
        for (i, d) in diags.iter().enumerate() {
            if room > 0 && d.is_error() == want_error {
                shown[i] = true;
                room -= 1;
            }
        }
    }
    let mut out = String::new();
    for (d, _) in diags.iter().zip(&shown).filter(|(_, s)| **s) {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&d.render(src).to_string());
    }
    let hidden: Vec<&Diagnostic> = diags
        .iter()
        .zip(&shown)
        .filter(|(_, s)| !**s)
        .map(|(d, _)| d)
        .collect();
    if !hidden.is_empty() {
        let errors = hidden.iter().filter(|d| d.is_error()).count();
        let warnings = hidden.len() - errors;
        out.push_str(&format!(
            "\n… and {} more ({errors} error{}, {warnings} warning{}) not shown\n",
            hidden.len(),
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        ));
    }
    out
}

/// The JSON form of diagnostics: an array with one object per diagnostic
/// ([`Diagnostic::to_json`]).
pub fn to_json(diags: &[Diagnostic], src: &str) -> serde_json::Value {
    // Lines and columns of all in one pass over the text (a long filter can have many).
    let starts: Vec<usize> = diags.iter().map(|d| d.span.start).collect();
    let at = Span::locate_all(src, &starts);
    serde_json::Value::Array(
        diags
            .iter()
            .zip(at)
            .map(|(d, at)| d.to_json_at(at.line, at.column))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(d: &Diagnostic, src: &str) -> Vec<String> {
        d.render(src)
            .to_string()
            .lines()
            .map(String::from)
            .collect()
    }

    /// The display column of byte `at` of `line`, counting a non-ASCII character as two columns
    /// (the test texts use only wide ones) and `…` as one.
    fn column(line: &str, at: usize) -> usize {
        line[..at]
            .chars()
            .map(|c| if c.is_ascii() || c == '…' { 1 } else { 2 })
            .sum()
    }

    #[test]
    fn a_long_line_shows_a_window_around_the_span() {
        let src = format!("{}actoin:x{}", "a".repeat(5_000), "b".repeat(5_000));
        let d = Diagnostic::error(Code::UnknownToken, Span::new(5_000, 5_006), "unknown");
        let lines = rendered(&d, &src);
        let (shown, caret) = (&lines[3], &lines[4]);
        assert!(
            shown.starts_with("  | …") && shown.ends_with('…'),
            "{shown}"
        );
        assert!(shown.chars().count() <= 4 + WINDOW, "{shown}");
        assert_eq!(caret.find('^'), shown.find("actoin").map(|at| at - 2));
        assert!(caret.ends_with("^^^^^^"), "{caret}");
        // At the end of the line: no `…` after, the window filled from before.
        let src = format!("{}actoin:x", "a".repeat(5_000));
        let lines = rendered(&d, &src);
        assert!(lines[3].ends_with("actoin:x"), "{}", lines[3]);
        assert_eq!(lines[3].chars().count(), 4 + WINDOW - 1);
        // At the start: no `…` before.
        let src = format!("actoin:x{}", "b".repeat(5_000));
        let d = Diagnostic::error(Code::UnknownToken, Span::new(0, 6), "unknown");
        let lines = rendered(&d, &src);
        assert!(lines[3].starts_with("  | actoin:x") && lines[3].ends_with('…'));
        assert_eq!(lines[4], "  | ^^^^^^");
        // A span longer than the window: carets to the window's end, no further.
        let src = "x".repeat(1_000);
        let d = Diagnostic::error(Code::TooLong, Span::new(0, 1_000), "long");
        let lines = rendered(&d, &src);
        assert_eq!(lines[4].chars().filter(|&c| c == '^').count(), WINDOW - 2);
        // A short line is shown whole.
        let d = Diagnostic::error(Code::UnknownToken, Span::new(0, 6), "unknown");
        assert_eq!(rendered(&d, "actoin:x")[3], "  | actoin:x");
    }

    #[test]
    fn a_label_outside_the_window_gets_its_own_snippet() {
        let src = format!("(action:x{}", " OR action:y".repeat(1_000));
        let d = Diagnostic::error(Code::UnclosedParen, Span::new(0, 1), "never closed")
            .with_label(Span::at(src.len()), "expected `)` here");
        let text = d.render(&src).to_string();
        assert!(text.len() < 2_000, "{text}");
        assert!(text.contains("- expected `)` here"), "{text}");
    }

    #[test]
    fn carets_sit_under_wide_characters_by_display_width() {
        for src in [
            "file.name:'日本語' AND actoin:x",
            "file.name:'😀😀' AND actoin:x",
        ] {
            let at = src.find("actoin").unwrap();
            let d = Diagnostic::error(Code::UnknownToken, Span::new(at, at + 6), "unknown");
            let lines = rendered(&d, src);
            assert_eq!(
                column(&lines[4], lines[4].find('^').unwrap()),
                column(&lines[3], lines[3].find("actoin").unwrap()),
                "{lines:#?}"
            );
        }
    }

    #[test]
    fn nothing_to_point_into_renders_no_snippet() {
        let d = Diagnostic::error(Code::EmptyFilter, Span::at(0), "the filter is empty")
            .with_help("write a term");
        assert_eq!(
            d.render("").to_string(),
            "error[empty-filter]: the filter is empty\n  = help: write a term\n"
        );
    }

    #[test]
    fn render_counts_what_it_leaves_out_and_shows_errors_first() {
        let src = "x".repeat(300);
        let mut diags: Vec<Diagnostic> = (0..150)
            .map(|i| Diagnostic::warning(Code::UnknownValue, Span::new(i, i + 1), "w"))
            .collect();
        diags.push(Diagnostic::error(
            Code::TypeMismatch,
            Span::new(200, 201),
            "e",
        ));
        let text = render(&diags, &src);
        assert_eq!(
            text.matches("warning[unknown-value]").count(),
            MAX_RENDERED - 1
        );
        assert_eq!(text.matches("error[type-mismatch]").count(), 1);
        assert!(
            text.ends_with("… and 51 more (0 errors, 51 warnings) not shown\n"),
            "{text}"
        );
        // At the cap, nothing is left out.
        let text = render(&diags[..MAX_RENDERED], &src);
        assert!(!text.contains("more ("));
    }

    #[test]
    fn the_help_names_the_switch_of_the_front_end() {
        let d = Diagnostic::error(Code::UnknownToken, Span::new(0, 4), "unknown").with_help(
            format!("no events token has a similar name (see `fimql tokens`); to read `zzzz` as a raw JSON path, {ALLOW_UNKNOWN}"),
        );
        let py = d
            .clone()
            .name_allow_unknown(Some("pass `allow_unknown=True`"));
        assert!(
            py.help
                .unwrap()
                .ends_with("raw JSON path, pass `allow_unknown=True`")
        );
        let none = d.clone().name_allow_unknown(None);
        assert_eq!(
            none.help.as_deref(),
            Some("no events token has a similar name (see `fimql tokens`)")
        );
        // Other codes and other helps are left alone.
        let other =
            Diagnostic::error(Code::TypeMismatch, Span::at(0), "m").with_help(ALLOW_UNKNOWN);
        assert_eq!(other.clone().name_allow_unknown(None), other);
        let near = Diagnostic::error(Code::UnknownToken, Span::at(0), "m")
            .with_help("did you mean `action`?");
        assert_eq!(near.clone().name_allow_unknown(None), near);
    }
}
