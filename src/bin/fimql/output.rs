//! How `fimql filter` writes matched events other than as raw NDJSON: a JSON array, chosen
//! fields as NDJSON or JSON objects, CSV, TSV, or a table fitted to the terminal; and the
//! `--group-by` counts as a table or CSV.
//!
//! The default NDJSON output does not come here: matched records are written from their batch as
//! they are (see `filter::emit`). Only the writers here that need the values of fields parse a
//! matched record into a `serde_json::Value`.

use std::cell::RefCell;
use std::io::{self, IsTerminal, Write};
use std::rc::Rc;
use std::sync::Arc;

use anstyle::{AnsiColor, Style};
use fimql::fields::{AsWritten, Field, Projection};
use fimql::stream::Layout;
use serde_json::Value as Json;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line: the events as they are (an NDJSON line less a carriage return
    /// at its end and a byte order mark at the start of a file; other records as compact JSON),
    /// or the chosen fields.
    Ndjson,
    /// One JSON array of the events (or of the chosen fields), written as it streams: an element
    /// per line. On input that arrives over time (a pipe), an element's line is ended when no
    /// other element follows within 0.2 s, and the next element's line starts with its comma.
    Json,
    /// A header and one row per event, for reading. On a terminal (or with COLUMNS set) the
    /// column widths are those of the first rows read (up to 200), fitted to its width, and
    /// longer values are cut with `…`; the columns that do not fit even so (dates, actions and
    /// numbers whole, text at least 8 columns) are left out, from the right. Otherwise the widths are those of the first 200 rows (or
    /// of the rows of the first half second) and nothing is cut: a longer value pushes the rest
    /// of its row out of line. Line breaks and tabs in
    /// values show as spaces, other control characters and bidirectional controls as `�`. With
    /// no match: the header only.
    Table,
    /// Comma-separated values with a header row of the field names as given; values with a
    /// comma, quote or line break are quoted (RFC 4180); rows end with a line feed. Values are
    /// written as they are: a spreadsheet may read one that starts with `=`, `+`, `-` or `@` as
    /// a formula, so import the file as text rather than open it from untrusted data.
    Csv,
    /// Tab-separated values with a header row; tabs, line breaks and backslashes in values are
    /// written `\t`, `\n`, `\r`, `\\`.
    Tsv,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorArg {
    /// Colour on a terminal that supports it, unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Whether to colour standard output.
pub fn color_on(choice: ColorArg) -> bool {
    match choice {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            anstream::AutoStream::choice(&io::stdout()) != anstream::ColorChoice::Never
        }
    }
}

/// The width to fit output to: the terminal's column count (when it reports one, even with no
/// row count), else `COLUMNS`, else `None` (no limit).
pub fn output_width() -> Option<usize> {
    let stdout = io::stdout();
    if stdout.is_terminal()
        && let Some(w) = terminal_columns(&stdout)
    {
        return Some(w);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&w: &usize| w > 0)
}

/// The column count the terminal reports, when it is not 0 (`terminal_size` wants a row count
/// too, which some terminals leave at 0).
#[cfg(unix)]
fn terminal_columns(stdout: &io::Stdout) -> Option<usize> {
    rustix::termios::tcgetwinsize(stdout)
        .ok()
        .map(|size| usize::from(size.ws_col))
        .filter(|&w| w > 0)
}

#[cfg(not(unix))]
fn terminal_columns(stdout: &io::Stdout) -> Option<usize> {
    terminal_size::terminal_size_of(stdout).map(|(terminal_size::Width(w), _)| usize::from(w))
}

/// A writer of matched records (all but the raw NDJSON output). It parses a record only as far
/// as its fields need (see [`Projection`]).
pub struct Rows {
    kind: Kind,
    projection: Arc<Projection>,
    /// The input may arrive over time (see [`Rows::live`]).
    live: bool,
    /// A JSON array's last element is written and its line left open for the comma, since then.
    open_since: Option<std::time::Instant>,
    /// The line of a JSON array's last element was ended before the next element came: the next
    /// one starts its line with the comma.
    line_ended: bool,
}

/// How long the line of a JSON array's last element is left open for its comma, on input that
/// arrives over time: if no other element comes by then, the line is ended (and the next element
/// starts its line with the comma), so that tools reading lines get it at once.
pub const LINE_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

enum Kind {
    /// The whole events, as one JSON array.
    JsonArray { started: bool },
    /// The chosen fields of each event, as one JSON object per line or in one JSON array.
    Objects {
        fields: Vec<Field>,
        array: bool,
        started: bool,
    },
    /// CSV or TSV.
    Delimited {
        fields: Vec<Field>,
        tsv: bool,
        writer: Box<Delimited>,
        cells: Vec<String>,
    },
    /// A table for the terminal.
    Table(Table),
    /// Counts per bucket of time, written at the end.
    Histogram(crate::histogram::Chart),
}

impl Rows {
    /// The writer for `format` with `fields` (the events as they are when there are none; the
    /// caller gives the scope's default fields for the formats that need fields).
    pub fn new(format: OutputFormat, fields: Vec<Field>, color: bool) -> Rows {
        // Numbers are shown as written in the record.
        let projection = Arc::new(Projection::new(&fields).keep_number_text(true));
        let kind = match format {
            OutputFormat::Json if fields.is_empty() => Kind::JsonArray { started: false },
            OutputFormat::Ndjson | OutputFormat::Json => Kind::Objects {
                fields,
                array: format == OutputFormat::Json,
                started: false,
            },
            OutputFormat::Csv | OutputFormat::Tsv => {
                let tsv = format == OutputFormat::Tsv;
                let header: Vec<String> = fields.iter().map(|f| f.name().to_string()).collect();
                let mut writer = delimited_writer(tsv);
                // Written to a buffer: cannot fail.
                let _ = write_delimited(&mut writer, tsv, &header);
                Kind::Delimited {
                    fields,
                    tsv,
                    writer: Box::new(writer),
                    cells: Vec::new(),
                }
            }
            OutputFormat::Table => {
                let header = fields.iter().map(|f| f.name().to_string()).collect();
                let styles = fields.iter().map(|f| column_style(f, color)).collect();
                Kind::Table(Table::new(header, styles, output_width(), color).with_fields(fields))
            }
        };
        Rows {
            kind,
            projection,
            live: false,
            open_since: None,
            line_ended: false,
        }
    }

    /// For input that may arrive over time (a pipe, say `tail -f export.ndjson | ...`): the line
    /// of a JSON array's element is ended after [`LINE_WAIT`] when no other element follows, and
    /// the next element's line starts with its comma.
    pub fn live(mut self, on: bool) -> Rows {
        self.live = on;
        self
    }

    /// Starts a JSON array's element: `[`, or the comma after the one before.
    fn array_element(&mut self, out: &mut impl Write) -> io::Result<()> {
        let started = matches!(
            self.kind,
            Kind::JsonArray { started: true } | Kind::Objects { started: true, .. }
        );
        let separator: &[u8] = match (started, self.line_ended) {
            (false, _) => b"[\n",
            (true, true) => b",",
            (true, false) => b",\n",
        };
        self.line_ended = false;
        if self.live {
            self.open_since = Some(std::time::Instant::now());
        }
        out.write_all(separator)
    }

    /// The writer of a histogram.
    pub fn histogram(chart: crate::histogram::Chart) -> Rows {
        let projection = Arc::new(Projection::new([chart.field()]));
        Rows {
            kind: Kind::Histogram(chart),
            projection,
            live: false,
            open_since: None,
            line_ended: false,
        }
    }

    /// What the workers should parse of each matched record for this writer ([`Rows::record`]
    /// is then given it): `None` when the writer needs the record's bytes only.
    pub fn projection(&self) -> Option<Arc<Projection>> {
        match self.kind {
            Kind::JsonArray { .. } => None,
            _ => Some(Arc::clone(&self.projection)),
        }
    }

    /// Whether matched records are written as they come (all but a histogram, which is written
    /// at the end).
    pub fn writes_as_it_goes(&self) -> bool {
        !matches!(self.kind, Kind::Histogram(_))
    }

    /// Writes (or counts) one matched record, as read from an input of `layout`; `prepared` is
    /// the record as parsed by the [`Rows::projection`], when it was.
    pub fn record(
        &mut self,
        bytes: &[u8],
        layout: Layout,
        prepared: Option<&Json>,
        out: &mut impl Write,
    ) -> io::Result<()> {
        let array = matches!(
            self.kind,
            Kind::JsonArray { .. } | Kind::Objects { array: true, .. }
        );
        if array {
            self.array_element(out)?;
        }
        let projection = &self.projection;
        // The matcher has read the record already, so it is well-formed; should it not be, its
        // fields are empty.
        let parse = |bytes: &[u8]| match prepared {
            Some(event) => std::borrow::Cow::Borrowed(event),
            None => std::borrow::Cow::Owned(projection.parse(bytes).unwrap_or(Json::Null)),
        };
        match &mut self.kind {
            Kind::JsonArray { started } => {
                *started = true;
                if layout == Layout::Ndjson {
                    out.write_all(bytes)
                } else {
                    out.write_all(&crate::filter::minify(bytes))
                }
            }
            Kind::Objects {
                fields,
                array,
                started,
            } => {
                let event = parse(bytes);
                *started = true;
                // The fields in the order given (a `serde_json::Map` would sort them).
                for (i, f) in fields.iter().enumerate() {
                    out.write_all(if i == 0 { b"{" } else { b"," })?;
                    serde_json::to_writer(&mut *out, f.name())?;
                    out.write_all(b":")?;
                    serde_json::to_writer(&mut *out, &AsWritten(&f.json(&event)))?;
                }
                out.write_all(if fields.is_empty() { b"{}" } else { b"}" })?;
                if !*array {
                    out.write_all(b"\n")?;
                }
                Ok(())
            }
            Kind::Delimited {
                fields,
                tsv,
                writer,
                cells,
            } => {
                let event = parse(bytes);
                cells.clear();
                cells.extend(fields.iter().map(|f| f.cell(&event)));
                write_delimited(writer, *tsv, cells)?;
                writer.drain_to(out)
            }
            Kind::Table(t) => t.row(&parse(bytes), out),
            Kind::Histogram(h) => {
                h.add(&parse(bytes));
                Ok(())
            }
        }
    }

    /// At the end of a batch of input: lets a table waiting for its widths start on slow input,
    /// and hands what was written on to the output, so that rows show as batches are done.
    pub fn end_of_batch(&mut self, out: &mut impl Write) -> io::Result<()> {
        if let Kind::Table(t) = &mut self.kind {
            t.end_of_batch(out)?;
        }
        out.flush()
    }

    /// When the writer wants [`Rows::tick`] called, should no more input come: a table waiting
    /// for its widths, at the end of [`SNIFF_TIME`];
    /// and the line of a JSON array's element after [`LINE_WAIT`] (see [`Rows::live`]).
    pub fn deadline(&self) -> Option<std::time::Instant> {
        match &self.kind {
            Kind::Table(t) => t.deadline(),
            _ => self.open_since.map(|t| t + LINE_WAIT),
        }
    }

    /// While no input comes: lets a table waiting for its widths start when [`SNIFF_TIME`] is
    /// up, ends the line of a JSON array's element when [`LINE_WAIT`] is, and hands on what was
    /// written.
    pub fn tick(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.open_since.is_some_and(|t| t.elapsed() >= LINE_WAIT) {
            self.open_since = None;
            self.line_ended = true;
            out.write_all(b"\n")?;
        }
        self.end_of_batch(out)
    }

    /// Writes what is left at the end: the closing of a JSON array (an empty one when nothing
    /// matched), the rows of a table still waiting for the column widths (its header when
    /// nothing matched), the CSV header when nothing matched, a histogram. False when an error was reported (on stderr).
    pub fn finish(self, out: &mut impl Write) -> io::Result<bool> {
        match self.kind {
            Kind::JsonArray { started }
            | Kind::Objects {
                array: true,
                started,
                ..
            } => {
                out.write_all(match (started, self.line_ended) {
                    (false, _) => b"[]\n",
                    (true, true) => b"]\n",
                    (true, false) => b"\n]\n",
                })?;
            }
            Kind::Objects { .. } => {}
            Kind::Delimited { mut writer, .. } => {
                // The header, when no record was written.
                writer.drain_to(out)?;
            }
            Kind::Table(t) => t.finish(out)?,
            Kind::Histogram(h) => return h.finish(out),
        }
        Ok(true)
    }
}

/// The bytes a CSV writer has written, to be handed on to the output.
#[derive(Clone, Default)]
pub struct Written(Rc<RefCell<Vec<u8>>>);

impl Write for Written {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A CSV or TSV writer into memory, emptied into the output row by row.
pub struct Delimited {
    writer: csv::Writer<Written>,
    written: Written,
}

impl Delimited {
    /// Hands on the rows written so far.
    pub fn drain_to(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.writer.flush()?;
        let mut buf = self.written.0.borrow_mut();
        out.write_all(&buf)?;
        buf.clear();
        Ok(())
    }
}

/// A CSV writer (RFC 4180 quoting, rows ending with `\n`), or a TSV one (no quoting: values are
/// escaped by [`tsv_escape`]).
pub fn delimited_writer(tsv: bool) -> Delimited {
    let mut b = csv::WriterBuilder::new();
    if tsv {
        b.delimiter(b'\t').quote_style(csv::QuoteStyle::Never);
    }
    let written = Written::default();
    Delimited {
        writer: b.from_writer(written.clone()),
        written,
    }
}

/// Writes one row to a writer of [`delimited_writer`].
pub fn write_delimited(w: &mut Delimited, tsv: bool, cells: &[String]) -> io::Result<()> {
    if tsv {
        // Written here rather than by the CSV writer, which quotes a row of one empty field
        // (`""`) even when told never to quote: in TSV that would read as the text `""`.
        let mut row = cells
            .iter()
            .map(|c| tsv_escape(c))
            .collect::<Vec<_>>()
            .join("\t");
        row.push('\n');
        return w.written.write_all(row.as_bytes());
    }
    let r = w.writer.write_record(cells);
    r.map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    })
}

/// A value for a TSV cell: `\`, tab, line feed and carriage return written `\\`, `\t`, `\n`,
/// `\r`.
fn tsv_escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['\\', '\t', '\n', '\r']) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.into()
}

/// How a column's cells are coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnStyle {
    Plain,
    /// Severities: 5 and 4 red, 3 yellow.
    Severity,
    /// Dates, dimmed.
    Date,
}

fn column_style(f: &Field, color: bool) -> ColumnStyle {
    if !color {
        return ColumnStyle::Plain;
    }
    match (f.token(), f.ty()) {
        (Some("severity" | "profiles.rules.severity"), _) => ColumnStyle::Severity,
        (_, Some(fimql::catalog::TokenType::Date)) => ColumnStyle::Date,
        _ => ColumnStyle::Plain,
    }
}

fn cell_style(style: ColumnStyle, text: &str) -> Style {
    match style {
        ColumnStyle::Plain => Style::new(),
        ColumnStyle::Date => Style::new().dimmed(),
        ColumnStyle::Severity => match text.trim() {
            "5" | "4" => AnsiColor::Red.on_default().bold(),
            "3" => AnsiColor::Yellow.on_default(),
            _ => Style::new(),
        },
    }
}

/// How many rows decide the widths of the columns; later rows are cut to them.
pub const SNIFF_ROWS: usize = 200;

/// How long rows wait for [`SNIFF_ROWS`] rows to decide the widths: on slow input the table
/// starts with the rows it has after this time.
pub const SNIFF_TIME: std::time::Duration = std::time::Duration::from_millis(500);

/// The space between two columns.
const GAP: usize = 2;

/// The narrowest a column is made to fit the width.
const MIN_COLUMN: usize = 6;

/// A table written as rows come: the widths of its columns are those of the header and the first
/// [`SNIFF_ROWS`] rows (or of the rows that came within [`SNIFF_TIME`]; when there is an output
/// width, of the rows of the first batch that has any), shrunk to fit the output width when
/// there is one; then a longer cell is cut with `…`. With no width
/// (not a terminal, no `COLUMNS`) nothing is cut: a longer cell pushes the rest of its row to the
/// right. Line breaks and other control characters in cells show as spaces and `�`.
pub struct Table {
    header: Vec<String>,
    styles: Vec<ColumnStyle>,
    /// Which columns are aligned to the right (counts).
    right: Vec<bool>,
    /// Which columns shrink first to fit (see [`fit`]).
    flexible: Vec<bool>,
    width: Option<usize>,
    color: bool,
    pending: Vec<Vec<String>>,
    /// When the first row waiting for the widths came.
    first_pending: Option<std::time::Instant>,
    widths: Option<Vec<usize>>,
    fields: Option<Vec<Field>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(
        header: Vec<String>,
        styles: Vec<ColumnStyle>,
        width: Option<usize>,
        color: bool,
    ) -> Table {
        let n = header.len();
        Table {
            header,
            styles,
            right: vec![false; n],
            flexible: vec![true; n],
            width,
            color,
            pending: Vec::new(),
            first_pending: None,
            widths: None,
            fields: None,
        }
    }

    /// Aligns the last column (the counts) to the right, and keeps it whole while the others
    /// can shrink.
    pub fn last_right(mut self) -> Table {
        if let Some(r) = self.right.last_mut() {
            *r = true;
        }
        if let Some(f) = self.flexible.last_mut() {
            *f = false;
        }
        self
    }

    /// The table of an event writer reads its cells from these fields. Text fields (and raw
    /// paths) shrink first to fit the width.
    pub fn with_fields(mut self, fields: Vec<Field>) -> Table {
        self.flexible = fields
            .iter()
            .map(|f| matches!(f.ty(), None | Some(fimql::catalog::TokenType::Text)))
            .collect();
        self.fields = Some(fields);
        self
    }

    /// Adds the row of an event, from the fields of [`Table::with_fields`].
    fn row(&mut self, event: &Json, out: &mut impl Write) -> io::Result<()> {
        let cells = match &self.fields {
            Some(fields) => fields.iter().map(|f| f.cell(event)).collect(),
            None => Vec::new(),
        };
        self.push(cells, out)
    }

    /// Adds a row of cells (as many as there are columns).
    pub fn push(&mut self, cells: Vec<String>, out: &mut impl Write) -> io::Result<()> {
        let cells: Vec<String> = cells.iter().map(|c| clean(c)).collect();
        match &self.widths {
            Some(widths) => write_row(
                out,
                &cells,
                widths,
                &self.right,
                &self.styles,
                false,
                self.color,
                self.width.is_some(),
            ),
            None => {
                self.pending.push(cells);
                self.first_pending
                    .get_or_insert_with(std::time::Instant::now);
                if self.pending.len() >= SNIFF_ROWS {
                    self.lay_out(out)?;
                }
                Ok(())
            }
        }
    }

    /// Fixes the widths from the rows so far, writes the header and those rows.
    fn lay_out(&mut self, out: &mut impl Write) -> io::Result<()> {
        let mut natural: Vec<usize> = self.header.iter().map(|h| h.width()).collect();
        for row in &self.pending {
            for (n, c) in natural.iter_mut().zip(row) {
                *n = (*n).max(c.width());
            }
        }
        let widths = if self.fields.is_some() {
            // An event table: the columns that do not fit are left out, from the right.
            let kept = columns_that_fit(&natural, &self.flexible, self.width);
            if let (Some(width), Some(left)) = (self.width, self.header.get(kept..))
                && !left.is_empty()
            {
                // Said once, on standard error, so that no asked-for field goes unsaid.
                eprintln!(
                    "fimql: {} of {} fields left out to fit {width} columns: {} \
                     (--format csv shows all)",
                    left.len(),
                    self.header.len(),
                    left.join(", ")
                );
            }
            fit(&natural[..kept], &self.flexible[..kept], self.width)
        } else {
            fit(&natural, &self.flexible, self.width)
        };
        let plain = vec![ColumnStyle::Plain; self.header.len()];
        write_row(
            out,
            &self.header,
            &widths,
            &self.right,
            &plain,
            true,
            self.color,
            self.width.is_some(),
        )?;
        for row in std::mem::take(&mut self.pending) {
            write_row(
                out,
                &row,
                &widths,
                &self.right,
                &self.styles,
                false,
                self.color,
                self.width.is_some(),
            )?;
        }
        self.widths = Some(widths);
        Ok(())
    }

    /// At the end of a batch of input: when the table is fitted to a width (a terminal, where
    /// rows should show at once), or when rows have been waiting for the widths for
    /// [`SNIFF_TIME`] (the input comes slowly, say from `tail -f`), fixes the widths from the rows
    /// so far and writes them.
    pub fn end_of_batch(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.widths.is_none()
            && self
                .first_pending
                .is_some_and(|t| self.width.is_some() || t.elapsed() >= SNIFF_TIME)
        {
            self.lay_out(out)?;
        }
        Ok(())
    }

    /// When the rows waiting for the widths have waited [`SNIFF_TIME`].
    fn deadline(&self) -> Option<std::time::Instant> {
        match (&self.widths, self.first_pending) {
            (None, Some(first)) => Some(first + SNIFF_TIME),
            _ => None,
        }
    }

    /// Writes the rows still waiting; the header alone when there were no rows (as CSV writes
    /// its header row).
    pub fn finish(mut self, out: &mut impl Write) -> io::Result<()> {
        if self.widths.is_none() {
            self.lay_out(out)?;
        }
        Ok(())
    }
}

/// A cell's text with line breaks (U+2028 and U+2029 too) and tabs as spaces, and other control
/// characters (escape sequences from the data, say) and the bidirectional controls (which
/// reorder the text shown after them) as `�`, so that nothing in a value moves the cursor or
/// changes how the rest of the row reads.
fn clean(s: &str) -> String {
    if !s
        .chars()
        .any(|c| c.is_control() || is_separator(c) || is_bidi_control(c))
    {
        return s.to_string();
    }
    s.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if is_separator(c) => ' ',
            c if c.is_control() || is_bidi_control(c) => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// The Unicode line and paragraph separators.
fn is_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// The bidirectional formatting characters (marks, embeddings, overrides, isolates).
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// The narrowest a free-text column is worth showing: narrower, the columns after it are left
/// out (see [`columns_that_fit`]).
const USEFUL_COLUMN: usize = 8;

/// How many columns, from the left, to show in `width`: as many as fit with the others (dates,
/// enums, numbers, which are no use cut) whole and the flexible ones (free text) at least
/// [`USEFUL_COLUMN`] wide (or their natural width); at least one. All of them when there is no
/// width.
pub fn columns_that_fit(natural: &[usize], flexible: &[bool], width: Option<usize>) -> usize {
    let Some(width) = width else {
        return natural.len();
    };
    let mut used = 0;
    for (i, &n) in natural.iter().enumerate() {
        let useful = if flexible.get(i).copied().unwrap_or(true) {
            n.min(USEFUL_COLUMN)
        } else {
            n
        };
        used += useful + if i > 0 { GAP } else { 0 };
        if used > width {
            return i.max(1);
        }
    }
    natural.len()
}

/// Column widths from their natural widths, shrunk to fit `width` (with the gaps) when given.
/// The `flexible` columns (free text: paths, names) shrink first, the others (dates, enums,
/// numbers) only when the flexible ones alone cannot make room. Among the columns that shrink,
/// those narrower than an equal share of the room keep their width and the wider ones share the
/// rest; none is made narrower than [`MIN_COLUMN`] (or its natural width).
pub fn fit(natural: &[usize], flexible: &[bool], width: Option<usize>) -> Vec<usize> {
    let Some(width) = width else {
        return natural.to_vec();
    };
    let gaps = GAP * natural.len().saturating_sub(1);
    let room = width.saturating_sub(gaps);
    if natural.iter().sum::<usize>() <= room {
        return natural.to_vec();
    }
    let is_flexible = |i: usize| flexible.get(i).copied().unwrap_or(true);
    let fixed: usize = (0..natural.len())
        .filter(|&i| !is_flexible(i))
        .map(|i| natural[i])
        .sum();
    let flexible_min: usize = (0..natural.len())
        .filter(|&i| is_flexible(i))
        .map(|i| natural[i].min(MIN_COLUMN))
        .sum();
    let shrink: Vec<usize> = if fixed + flexible_min <= room {
        (0..natural.len()).filter(|&i| is_flexible(i)).collect()
    } else {
        (0..natural.len()).collect()
    };
    let mut widths = natural.to_vec();
    let kept: usize = (0..natural.len())
        .filter(|i| !shrink.contains(i))
        .map(|i| natural[i])
        .sum();
    let mut left = room.saturating_sub(kept);
    let mut order = shrink;
    order.sort_by_key(|&i| natural[i]);
    for (k, &i) in order.iter().enumerate() {
        let share = left / (order.len() - k);
        widths[i] = natural[i].min(share.max(MIN_COLUMN.min(natural[i])));
        left = left.saturating_sub(widths[i]);
    }
    widths
}

/// Writes one row: each cell cut or padded to its column's width, a gap between columns, no
/// trailing spaces; with `cut` false, a longer cell is written whole.
#[allow(clippy::too_many_arguments)]
fn write_row(
    out: &mut impl Write,
    cells: &[String],
    widths: &[usize],
    right: &[bool],
    styles: &[ColumnStyle],
    header: bool,
    color: bool,
    cut: bool,
) -> io::Result<()> {
    let mut line = String::new();
    let last = widths.len().saturating_sub(1);
    for (i, &w) in widths.iter().enumerate() {
        let text = cells.get(i).map_or("", String::as_str);
        let cut = if cut { truncate(text, w) } else { text.into() };
        let pad = w.saturating_sub(cut.width());
        let style = if header && color {
            Style::new().bold()
        } else {
            cell_style(styles.get(i).copied().unwrap_or(ColumnStyle::Plain), text)
        };
        if right.get(i).copied().unwrap_or(false) {
            line.extend(std::iter::repeat_n(' ', pad));
        }
        line.push_str(&format!("{}{cut}{}", style.render(), style.render_reset()));
        if i < last {
            if !right.get(i).copied().unwrap_or(false) {
                line.extend(std::iter::repeat_n(' ', pad));
            }
            line.extend(std::iter::repeat_n(' ', GAP));
        }
    }
    line.truncate(line.trim_end_matches(' ').len());
    line.push('\n');
    out.write_all(line.as_bytes())
}

/// `s` cut to `width` display columns, ending with `…` when cut.
fn truncate(s: &str, width: usize) -> std::borrow::Cow<'_, str> {
    if s.width() <= width {
        return s.into();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out.into()
}

/// Writes the `--group-by` counts (the nested JSON of [`fimql::group::GroupBy`]) as rows: one
/// column per token and a `count` column.
pub fn group_rows(
    counts: &Json,
    tokens: &[String],
    format: OutputFormat,
    color: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut rows = Vec::new();
    flatten(counts, &mut Vec::new(), &mut rows);
    let mut header: Vec<String> = tokens.to_vec();
    header.push("count".to_string());
    match format {
        OutputFormat::Csv | OutputFormat::Tsv => {
            let tsv = format == OutputFormat::Tsv;
            let mut w = delimited_writer(tsv);
            write_delimited(&mut w, tsv, &header)?;
            for r in &rows {
                write_delimited(&mut w, tsv, r)?;
            }
            w.drain_to(out)
        }
        _ => {
            let styles = vec![ColumnStyle::Plain; header.len()];
            let mut t = Table::new(header, styles, output_width(), color).last_right();
            for r in rows {
                t.push(r, out)?;
            }
            t.finish(out)
        }
    }
}

fn flatten(v: &Json, keys: &mut Vec<String>, rows: &mut Vec<Vec<String>>) {
    match v {
        Json::Object(map) => {
            for (k, child) in map {
                keys.push(k.clone());
                flatten(child, keys, rows);
                keys.pop();
            }
        }
        other => {
            let mut row = keys.clone();
            row.push(other.to_string());
            rows.push(row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_narrow_columns_and_shares_the_rest() {
        let all = [true; 3];
        assert_eq!(fit(&[10, 5, 80], &all, None), [10, 5, 80]);
        assert_eq!(fit(&[10, 5, 80], &all, Some(200)), [10, 5, 80]);
        // 60 wide: 4 for the gaps, 5 and 10 kept, 41 left for the wide one.
        assert_eq!(fit(&[10, 5, 80], &all, Some(60)), [10, 5, 41]);
        // Two wide columns share equally.
        assert_eq!(fit(&[50, 2, 50], &all, Some(46)), [20, 2, 20]);
        // Never narrower than MIN_COLUMN.
        assert_eq!(fit(&[30, 30], &all, Some(4)), [6, 6]);
        // A fixed column keeps its width while the flexible ones can make room...
        assert_eq!(
            fit(&[28, 6, 40, 70], &[false, false, true, true], Some(80)),
            [28, 6, 20, 20]
        );
        // ...and shrinks too when they cannot.
        assert_eq!(
            fit(&[28, 6, 40, 70], &[false, false, true, true], Some(30)),
            [6, 6, 6, 6]
        );
    }

    #[test]
    fn columns_that_do_not_fit_are_left_out_from_the_right() {
        // dateTime, action, severity, asset.name, file.fullPath.
        let natural = [28, 6, 8, 15, 40];
        let flexible = [false, false, false, true, true];
        assert_eq!(columns_that_fit(&natural, &flexible, None), 5);
        assert_eq!(columns_that_fit(&natural, &flexible, Some(100)), 5);
        // 28 + 2 + 6 + 2 + 8 + 2 + 8 + 2 + 8 = 66.
        assert_eq!(columns_that_fit(&natural, &flexible, Some(66)), 5);
        assert_eq!(columns_that_fit(&natural, &flexible, Some(65)), 4);
        assert_eq!(columns_that_fit(&natural, &flexible, Some(40)), 2);
        assert_eq!(columns_that_fit(&natural, &flexible, Some(36)), 2);
        assert_eq!(columns_that_fit(&natural, &flexible, Some(35)), 1);
        // The first column is kept however narrow the width (and cut to it).
        assert_eq!(columns_that_fit(&natural, &flexible, Some(20)), 1);
        assert_eq!(fit(&natural[..1], &flexible[..1], Some(20)), [20]);
    }

    #[test]
    fn rows_are_cut_padded_and_cleaned() {
        let mut out = Vec::new();
        let styles = vec![ColumnStyle::Plain; 2];
        let mut t = Table::new(vec!["a".into(), "long".into()], styles, Some(12), false);
        t.push(vec!["x\ty".into(), "0123456789abc".into()], &mut out)
            .unwrap();
        t.push(vec!["é\u{1b}[31m".into(), "".into()], &mut out)
            .unwrap();
        t.push(
            vec!["p\u{2028}q".into(), "r\u{202e}s\u{2069}".into()],
            &mut out,
        )
        .unwrap();
        t.finish(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "a       long\nx y     01234…\né�[31m\np q     r�s�\n");
    }

    #[test]
    fn a_count_column_is_kept_whole_while_the_keys_can_shrink() {
        let styles = vec![ColumnStyle::Plain; 3];
        let header = vec!["action".into(), "asset.name".into(), "count".into()];
        let mut out = Vec::new();
        let mut t = Table::new(header, styles, Some(23), false).last_right();
        t.push(
            vec![
                "Create".into(),
                "a-very-long-asset-name".into(),
                "1000000".into(),
            ],
            &mut out,
        )
        .unwrap();
        t.finish(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "action  asset…    count\nCreate  a-ver…  1000000\n");
    }

    #[test]
    fn with_no_width_nothing_is_cut_and_an_empty_table_has_its_header() {
        let styles = vec![ColumnStyle::Plain; 2];
        let mut out = Vec::new();
        let mut t = Table::new(vec!["a".into(), "b".into()], styles.clone(), None, false);
        for i in 0..SNIFF_ROWS + 1 {
            let wide = if i == SNIFF_ROWS { "wide value" } else { "v" };
            t.push(vec![wide.into(), "x".into()], &mut out).unwrap();
        }
        t.finish(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().last(), Some("wide value  x"));
        let mut out = Vec::new();
        Table::new(vec!["a".into(), "b".into()], styles, Some(80), false)
            .finish(&mut out)
            .unwrap();
        assert_eq!(out, b"a  b\n");
    }

    #[test]
    fn tsv_escapes_and_csv_quotes() {
        let cells = vec![
            "a\tb".to_string(),
            "c\\d\n".to_string(),
            "\"q\",".to_string(),
        ];
        let mut w = delimited_writer(true);
        write_delimited(&mut w, true, &cells).unwrap();
        let mut out = Vec::new();
        w.drain_to(&mut out).unwrap();
        assert_eq!(out, b"a\\tb\tc\\\\d\\n\t\"q\",\n");
        let mut w = delimited_writer(false);
        write_delimited(&mut w, false, &cells).unwrap();
        let mut out = Vec::new();
        w.drain_to(&mut out).unwrap();
        assert_eq!(out, b"a\tb,\"c\\d\n\",\"\"\"q\"\",\"\n");
    }
}
