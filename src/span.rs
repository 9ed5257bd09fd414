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
