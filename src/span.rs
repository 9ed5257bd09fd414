//! Byte spans into the filter text, with line and column worked out on demand.

use serde::{Deserialize, Serialize};

/// A half-open byte range `start..end` into the filter text.
///
/// Spans always lie on `char` boundaries of the text they were made from. Line and column are not
/// stored: [`Span::line_col`] computes them when a diagnostic is rendered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// An empty span at `at`.
    pub const fn at(at: usize) -> Self {
        Span { start: at, end: at }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Whether `offset` lies within the span (both ends included).
    pub fn contains(&self, offset: usize) -> bool {
        self.start <= offset && offset <= self.end
    }

    /// 1-based line and column (in `char`s) of the span's start within `src`.
    ///
    /// ```
    /// use fimql::Span;
    /// assert_eq!(Span::at(4).line_col("ab\ncd"), (2, 2));
    /// ```
    pub fn line_col(&self, src: &str) -> (usize, usize) {
        line_col(src, self.start)
    }

    /// Where each of `offsets` (byte offsets) falls in `src`, in one pass over the text however
    /// many offsets there are: for the many diagnostics of one long filter, where asking
    /// [`Span::line_col`] for each would read the text again each time. Offsets past the end, or
    /// inside a character, are clamped to the nearest boundary before them, as by `line_col`.
    ///
    /// ```
    /// use fimql::{Location, Span};
    /// // `ç` is two bytes (3 and 4), `d` is byte 5.
    /// let locations = Span::locate_all("ab\nçd", &[5, 0, 99, 4]);
    /// assert_eq!(locations[0], Location { line: 2, column: 2, char_offset: 4 });
    /// assert_eq!(locations[1], Location { line: 1, column: 1, char_offset: 0 });
    /// assert_eq!(locations[2], Location { line: 2, column: 3, char_offset: 5 });
    /// assert_eq!(locations[3], Location { line: 2, column: 1, char_offset: 3 });
    /// ```
    pub fn locate_all(src: &str, offsets: &[usize]) -> Vec<Location> {
        let mut order: Vec<(usize, usize)> = offsets
            .iter()
            .enumerate()
            .map(|(i, &at)| (floor_boundary(src, at), i))
            .collect();
        order.sort_unstable();
        let mut out = vec![Location::default(); offsets.len()];
        let (mut line, mut column, mut chars, mut at) = (1, 1, 0, 0);
        for (offset, i) in order {
            for c in src[at..offset].chars() {
                chars += 1;
                if c == '\n' {
                    line += 1;
                    column = 1;
                } else {
                    column += 1;
                }
            }
            at = offset;
            out[i] = Location {
                line,
                column,
                char_offset: chars,
            };
        }
        out
    }
}

/// Where a byte offset falls in a text (see [`Span::locate_all`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in `char`s.
    pub column: usize,
    /// The number of `char`s before the offset (its offset in code points, as Python counts).
    pub char_offset: usize,
}

/// 1-based line and column (in `char`s) of byte `offset` in `src`. Offsets past the end, or inside
/// a character, are clamped to the nearest boundary before them.
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = floor_boundary(src, offset);
    let before = &src[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// `at`, lowered to the length of `src` and then to the nearest `char` boundary at or before it.
pub(crate) fn floor_boundary(src: &str, at: usize) -> usize {
    let mut at = at.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_all_agrees_with_line_col_at_every_offset() {
        let src = "dateTime:['2023'..'2024']\n  AND name:`çé日本`\r\n\nOR x:🦀 ";
        let offsets: Vec<usize> = (0..=src.len() + 2).rev().collect();
        let all = Span::locate_all(src, &offsets);
        for (&at, loc) in offsets.iter().zip(&all) {
            let floor = floor_boundary(src, at);
            assert_eq!((loc.line, loc.column), line_col(src, at), "at {at}");
            assert_eq!(loc.char_offset, src[..floor].chars().count(), "at {at}");
        }
        assert!(Span::locate_all(src, &[]).is_empty());
    }
}
