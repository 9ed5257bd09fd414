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
use fimql::fields::{Field, Projection};
use fimql::stream::Layout;
use serde_json::Value as Json;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line: the events as they are (NDJSON lines unchanged), or the
    /// chosen fields.
    Ndjson,
    /// One JSON array of the events (or of the chosen fields), written as it streams.
    Json,
    /// A header and one row per event, columns fitted to the terminal, long values cut with `…`.
    Table,
    /// Comma-separated values with a header row of the field names as given; values with a
    /// comma, quote or line break are quoted (RFC 4180); rows end with a line feed.
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

/// The width to fit output to: the terminal's, else `COLUMNS`, else `None` (no limit).
pub fn output_width() -> Option<usize> {
    let stdout = io::stdout();
    if stdout.is_terminal()
        && let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size_of(&stdout)
    {
        return Some(usize::from(w));
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&w: &usize| w > 0)
}

/// A writer of matched records (all but the raw NDJSON output). It parses a record only as far
/// as its fields need (see [`Projection`]).
pub struct Rows {
    kind: Kind,
    projection: Arc<Projection>,
}

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
        let projection = Arc::new(Projection::new(&fields));
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
        Rows { kind, projection }
    }

    /// The writer of a histogram.
    pub fn histogram(chart: crate::histogram::Chart) -> Rows {
        let projection = Arc::new(Projection::new([chart.field()]));
        Rows {
            kind: Kind::Histogram(chart),
            projection,
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

    /// Writes (or counts) one matched record, as read from an input of `layout`; `prepared` is
    /// the record as parsed by the [`Rows::projection`], when it was.
    pub fn record(
        &mut self,
        bytes: &[u8],
        layout: Layout,
        prepared: Option<&Json>,
        out: &mut impl Write,
    ) -> io::Result<()> {
        let projection = &self.projection;
        // The matcher has read the record already, so it is well-formed; should it not be, its
        // fields are empty.
        let parse = |bytes: &[u8]| match prepared {
            Some(event) => std::borrow::Cow::Borrowed(event),
            None => std::borrow::Cow::Owned(projection.parse(bytes).unwrap_or(Json::Null)),
        };
        match &mut self.kind {
            Kind::JsonArray { started } => {
                out.write_all(if *started { b",\n" } else { b"[\n" })?;
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
                if *array {
                    out.write_all(if *started { b",\n" } else { b"[\n" })?;
                }
                *started = true;
                // The fields in the order given (a `serde_json::Map` would sort them).
                for (i, f) in fields.iter().enumerate() {
                    out.write_all(if i == 0 { b"{" } else { b"," })?;
                    serde_json::to_writer(&mut *out, f.name())?;
                    out.write_all(b":")?;
                    serde_json::to_writer(&mut *out, &f.json(&event))?;
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

    /// Writes what is left at the end: the closing of a JSON array (an empty one when nothing
    /// matched), the rows of a table still waiting for the column widths, the CSV header when
    /// nothing matched, a histogram. False when an error was reported (on stderr).
    pub fn finish(self, out: &mut impl Write) -> io::Result<bool> {
        match self.kind {
            Kind::JsonArray { started }
            | Kind::Objects {
                array: true,
                started,
                ..
            } => {
                out.write_all(if started { b"\n]\n" } else { b"[]\n" })?;
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
    let w = &mut w.writer;
    let r = if tsv {
        cells
            .iter()
            .try_for_each(|c| w.write_field(tsv_escape(c).as_bytes()))
            .and_then(|()| w.write_record(None::<&[u8]>))
    } else {
        w.write_record(cells)
    };
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

/// A table written as rows come: the widths of its columns are those of the first
/// [`SNIFF_ROWS`] rows (or of the rows that came within [`SNIFF_TIME`]) and the header, shrunk to
/// fit the output width; a longer cell is cut with `…`. Line breaks and other control characters in cells show as spaces and `�`.
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

    /// Aligns the last column to the right.
    pub fn last_right(mut self) -> Table {
        if let Some(r) = self.right.last_mut() {
            *r = true;
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
        let widths = fit(&natural, &self.flexible, self.width);
        let plain = vec![ColumnStyle::Plain; self.header.len()];
        write_row(
            out,
            &self.header,
            &widths,
            &self.right,
            &plain,
            true,
            self.color,
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
            )?;
        }
        self.widths = Some(widths);
        Ok(())
    }

    /// At the end of a batch of input: when rows have been waiting for the widths for
    /// [`SNIFF_TIME`] (the input comes slowly, say from `tail -f`), fixes the widths from them
    /// and writes them.
    pub fn end_of_batch(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.widths.is_none()
            && self
                .first_pending
                .is_some_and(|t| t.elapsed() >= SNIFF_TIME)
        {
            self.lay_out(out)?;
        }
        Ok(())
    }

    /// Writes the rows still waiting; nothing at all when there were none.
    pub fn finish(mut self, out: &mut impl Write) -> io::Result<()> {
        if self.widths.is_none() && !self.pending.is_empty() {
            self.lay_out(out)?;
        }
        Ok(())
    }
}

/// A cell's text with line breaks and tabs as spaces and other control characters (escape
/// sequences from the data, say) as `�`, so that nothing in a value moves the cursor.
fn clean(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
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
/// trailing spaces.
fn write_row(
    out: &mut impl Write,
    cells: &[String],
    widths: &[usize],
    right: &[bool],
    styles: &[ColumnStyle],
    header: bool,
    color: bool,
) -> io::Result<()> {
    let mut line = String::new();
    let last = widths.len().saturating_sub(1);
    for (i, &w) in widths.iter().enumerate() {
        let text = cells.get(i).map_or("", String::as_str);
        let cut = truncate(text, w);
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
    fn rows_are_cut_padded_and_cleaned() {
        let mut out = Vec::new();
        let styles = vec![ColumnStyle::Plain; 2];
        let mut t = Table::new(vec!["a".into(), "long".into()], styles, Some(12), false);
        t.push(vec!["x\ty".into(), "0123456789abc".into()], &mut out)
            .unwrap();
        t.push(vec!["é\u{1b}[31m".into(), "".into()], &mut out)
            .unwrap();
        t.finish(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "a       long\nx y     01234…\né�[31m\n");
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
