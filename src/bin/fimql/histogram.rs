//! `fimql filter --histogram`: matched events counted per hour, day or month (UTC), written as a
//! bar chart (on a terminal, `--format table`), one JSON object from bucket start to count
//! (`json`, `ndjson`), or two columns (`csv`, `tsv`).

use std::io::{self, Write};

use anstyle::AnsiColor;
use fimql::histogram::{Bucket, Histogram, key};
use serde_json::Value as Json;
use unicode_width::UnicodeWidthStr;

use crate::output::{OutputFormat, delimited_writer, output_width, write_delimited};

/// `--histogram`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BucketArg {
    Hour,
    Day,
    Month,
}

impl From<BucketArg> for Bucket {
    fn from(b: BucketArg) -> Bucket {
        match b {
            BucketArg::Hour => Bucket::Hour,
            BucketArg::Day => Bucket::Day,
            BucketArg::Month => Bucket::Month,
        }
    }
}

/// The width of a bar chart when the output has none (not a terminal, no `COLUMNS`).
const DEFAULT_WIDTH: usize = 80;

/// A histogram being counted, and how to write it.
pub struct Chart {
    hist: Histogram,
    format: OutputFormat,
    color: bool,
}

impl Chart {
    pub fn new(hist: Histogram, format: OutputFormat, color: bool) -> Chart {
        Chart {
            hist,
            format,
            color,
        }
    }

    /// The field whose dates are counted.
    pub fn field(&self) -> &fimql::fields::Field {
        self.hist.field()
    }

    /// Counts one matched event.
    pub fn add(&mut self, event: &Json) {
        self.hist.add(event);
    }

    /// Writes the histogram; false when it could not be (too many buckets, reported on stderr).
    pub fn finish(self, out: &mut impl Write) -> io::Result<bool> {
        let buckets = match self.hist.buckets() {
            Ok(b) => b,
            Err(e) => {
                eprintln!("fimql: --histogram: {e}");
                return Ok(false);
            }
        };
        let undated = self.hist.undated();
        if undated > 0 {
            eprintln!(
                "fimql: --histogram: {undated} matching event{} without a readable `{}` {} not counted",
                if undated == 1 { "" } else { "s" },
                self.hist.field().name(),
                if undated == 1 { "is" } else { "are" },
            );
        }
        let bucket = self.hist.bucket();
        match self.format {
            OutputFormat::Json | OutputFormat::Ndjson => {
                let mut line = String::from("{");
                for (i, (start, n)) in buckets.iter().enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    line.push_str(&format!("\"{}\":{n}", key(*start)));
                }
                line.push_str("}\n");
                out.write_all(line.as_bytes())?;
            }
            OutputFormat::Csv | OutputFormat::Tsv => {
                let tsv = self.format == OutputFormat::Tsv;
                let mut w = delimited_writer(tsv);
                write_delimited(&mut w, tsv, &["start".to_string(), "count".to_string()])?;
                for (start, n) in &buckets {
                    write_delimited(&mut w, tsv, &[key(*start), n.to_string()])?;
                }
                w.drain_to(out)?;
            }
            OutputFormat::Table => {
                let width = output_width().unwrap_or(DEFAULT_WIDTH);
                out.write_all(bars(&buckets, bucket, width, self.color).as_bytes())?;
                let total: u64 = buckets.iter().map(|b| b.1).sum();
                let unit = match bucket {
                    Bucket::Hour => "hour",
                    Bucket::Day => "day",
                    _ => "month",
                };
                writeln!(
                    out,
                    "{total} event{} by {unit} of {} (UTC)",
                    if total == 1 { "" } else { "s" },
                    self.hist.field().name()
                )?;
            }
        }
        Ok(true)
    }
}

/// The eighths of a block, for bars finer than one column.
const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];

/// One line per bucket: its label, its count, and a bar scaled so that the largest count fills
/// what is left of `width`. A bucket with a count always shows at least a sliver; an empty one
/// none.
pub fn bars(
    buckets: &[(fimql::date::Instant, u64)],
    bucket: Bucket,
    width: usize,
    color: bool,
) -> String {
    let max = buckets.iter().map(|b| b.1).max().unwrap_or(0);
    let count_width = max.to_string().len();
    let labels: Vec<String> = buckets.iter().map(|b| bucket.label(b.0)).collect();
    let label_width = labels.iter().map(|l| l.width()).max().unwrap_or(0);
    // At least one column of bar: a line is wider than `width` only when its label and count
    // alone are.
    let room = width.saturating_sub(label_width + count_width + 3).max(1);
    let style = if color {
        AnsiColor::Cyan.on_default()
    } else {
        anstyle::Style::new()
    };
    let mut out = String::new();
    for ((_, n), label) in buckets.iter().zip(&labels) {
        out.push_str(&format!("{label:<label_width$} {n:>count_width$}"));
        if *n > 0 && max > 0 {
            let eighths = ((u128::from(*n) * room as u128 * 8) / u128::from(max)).max(1) as usize;
            let mut bar = "█".repeat(eighths / 8);
            if let Some(part) = (eighths % 8).checked_sub(1) {
                bar.push(EIGHTHS[part]);
            }
            out.push_str(&format!(
                "  {}{bar}{}",
                style.render(),
                style.render_reset()
            ));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fimql::date::parse_event_date;

    #[test]
    fn bars_scale_to_the_width_and_show_empty_buckets() {
        let at = |s| parse_event_date(s).unwrap();
        let b = [
            (at("2023-01-01"), 4),
            (at("2023-02-01"), 0),
            (at("2023-03-01"), 1),
        ];
        // 30 columns: 7 for the label, 1 for the count, 3 spaces: 19 for the bars.
        let text = bars(&b, Bucket::Month, 30, false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("2023-01 4  {}", "█".repeat(19)));
        assert_eq!(lines[1], "2023-02 0");
        // 19 / 4 = 4.75 columns.
        assert_eq!(lines[2], "2023-03 1  ████▊");
        assert!(lines.iter().all(|l| l.width() <= 30));
        // A narrow terminal: the bars shrink to fit (2 columns here, then 1).
        let text = bars(&b, Bucket::Month, 13, false);
        assert_eq!(text, "2023-01 4  ██\n2023-02 0\n2023-03 1  ▌\n");
        let text = bars(&b, Bucket::Month, 8, false);
        assert_eq!(text, "2023-01 4  █\n2023-02 0\n2023-03 1  ▎\n");
    }
}
