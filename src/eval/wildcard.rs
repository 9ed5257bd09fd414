//! Case-insensitive wildcard patterns (`*` any run, `?` one character) matched without
//! backtracking.
//!
//! A pattern is split at its stars into segments. The first segment is anchored at the start of
//! the value (unless the pattern starts with `*`), the last at the end (unless it ends with `*`),
//! and the ones between are found leftmost-first, each search starting where the previous match
//! ended. Taking the leftmost match of each middle segment is always safe, so no choice is ever
//! revisited: a pattern of literals and stars runs in time linear in the value (plus the pattern),
//! and a segment holding `?` is found in one pass over the value with the shift-and algorithm
//! (one step per 64 characters of the segment). `*a*a*a*…` and `*a?a?a?…*` cannot blow up.

use memchr::memmem;

use crate::ast::Piece;

/// Folds case for the case-insensitive value forms: each character is lower-cased on its own
/// (`str::to_lowercase` would give a word-final `Σ` the form `ς` depending on its neighbours, so a
/// pattern piece and the value it is part of could fold differently), and `ς` is read as `σ`.
pub(crate) fn fold_case(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

/// A lowered wildcard pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    segments: Vec<Segment>,
    anchored_start: bool,
    anchored_end: bool,
    /// Every literal part is ASCII (see [`Pattern::matches_ascii`]).
    ascii: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Segment {
    parts: Vec<Part>,
    /// The whole segment when it has no `?`, for a fast substring search.
    literal: Option<Needle>,
    /// The segment's characters as bit masks when it has a `?`, to find it in one pass.
    slots: Option<Slots>,
    /// Length in characters (fixed, since `?` is exactly one character).
    chars: usize,
}

/// A segment with `?` as the masks of the shift-and algorithm: which of its character slots
/// each character may fill. Finding the segment then reads each character of the value once,
/// with one step per 64 slots, where trying it at every start would cost the value's length
/// times the segment's (a thousand `?` against a megabyte took seconds).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Slots {
    /// 64-slot words per mask.
    words: usize,
    /// Per ASCII character (128 masks): the `?` slots and the literal slots holding it.
    ascii: Vec<u64>,
    /// Per other character of the segment's literals, in order: the same.
    wide: Vec<(char, Vec<u64>)>,
    /// The `?` slots alone: what any other character may fill.
    any: Vec<u64>,
}

impl Slots {
    fn new(parts: &[Part], chars: usize) -> Slots {
        let words = chars.div_ceil(64).max(1);
        let mut any = vec![0u64; words];
        let mut literal: Vec<(char, usize)> = Vec::new();
        let mut slot = 0;
        for part in parts {
            match part {
                Part::Lit(s) => {
                    for c in s.chars() {
                        literal.push((c, slot));
                        slot += 1;
                    }
                }
                Part::Any(k) => {
                    for j in slot..slot + k {
                        any[j / 64] |= 1 << (j % 64);
                    }
                    slot += k;
                }
            }
        }
        let mut ascii: Vec<u64> = (0..128).flat_map(|_| any.iter().copied()).collect();
        let mut wide: Vec<(char, Vec<u64>)> = Vec::new();
        literal.sort_unstable();
        for (c, j) in literal {
            let mask = if c.is_ascii() {
                &mut ascii[c as usize * words..(c as usize + 1) * words]
            } else {
                if wide.last().is_none_or(|(w, _)| *w != c) {
                    wide.push((c, any.clone()));
                }
                match wide.last_mut() {
                    Some((_, m)) => &mut m[..],
                    None => continue,
                }
            };
            mask[j / 64] |= 1 << (j % 64);
        }
        Slots {
            words,
            ascii,
            wide,
            any,
        }
    }

    /// The slots `c` may fill.
    fn mask(&self, c: char) -> &[u64] {
        if c.is_ascii() {
            let at = c as usize * self.words;
            return &self.ascii[at..at + self.words];
        }
        match self.wide.binary_search_by(|(w, _)| w.cmp(&c)) {
            Ok(i) => &self.wide[i].1,
            Err(_) => &self.any,
        }
    }

    /// The end of the leftmost match of the segment (`chars` slots) in `value` at or after byte
    /// `from`. With `fold`, ASCII letters of the value match whatever their case. Since the
    /// segment has a fixed number of characters, the match that ends first starts first.
    fn find(&self, value: &str, from: usize, chars: usize, fold: bool) -> Option<usize> {
        let last = chars - 1;
        let mut state = vec![0u64; self.words];
        for (i, c) in value[from..].char_indices() {
            let c = if fold { c.to_ascii_lowercase() } else { c };
            let mask = self.mask(c);
            // Every slot run so far moves on by one character, and a new run starts at slot 0.
            let mut carry = 1;
            for (word, m) in state.iter_mut().zip(mask) {
                let next = *word >> 63;
                *word = (*word << 1 | carry) & m;
                carry = next;
            }
            if state[last / 64] >> (last % 64) & 1 != 0 {
                return Some(from + i + c.len_utf8());
            }
        }
        None
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Lit(String),
    Any(usize),
}

impl Pattern {
    /// A pattern from the pieces of a bare value; literals are folded with [`fold_case`].
    pub(crate) fn new(pieces: &[Piece]) -> Self {
        let mut segments = Vec::new();
        let mut cur: Vec<Part> = Vec::new();
        for p in pieces {
            match p {
                Piece::Star => segments.push(std::mem::take(&mut cur)),
                Piece::One => match cur.last_mut() {
                    Some(Part::Any(n)) => *n += 1,
                    _ => cur.push(Part::Any(1)),
                },
                Piece::Literal(s) => {
                    let s = fold_case(s);
                    match cur.last_mut() {
                        Some(Part::Lit(l)) => l.push_str(&s),
                        _ => cur.push(Part::Lit(s)),
                    }
                }
            }
        }
        segments.push(cur);
        let anchored_start = !matches!(pieces.first(), Some(Piece::Star));
        let anchored_end = !matches!(pieces.last(), Some(Piece::Star));
        let segments: Vec<Segment> = segments
            .into_iter()
            .map(|parts| {
                let chars = parts
                    .iter()
                    .map(|p| match p {
                        Part::Lit(s) => s.chars().count(),
                        Part::Any(n) => *n,
                    })
                    .sum();
                let literal = match parts.as_slice() {
                    [Part::Lit(s)] => Some(Needle::new(s.clone())),
                    [] => Some(Needle::new(String::new())),
                    _ => None,
                };
                let slots = literal.is_none().then(|| Slots::new(&parts, chars));
                Segment {
                    parts,
                    literal,
                    slots,
                    chars,
                }
            })
            .collect();
        let ascii = segments
            .iter()
            .flat_map(|s: &Segment| s.parts.iter())
            .all(|p| match p {
                Part::Lit(s) => s.is_ascii(),
                Part::Any(_) => true,
            });
        Pattern {
            segments,
            anchored_start,
            anchored_end,
            ascii,
        }
    }

    /// Whether [`Pattern::matches_ascii`] may be used: every literal of the pattern is ASCII.
    pub(crate) fn is_ascii(&self) -> bool {
        self.ascii
    }

    /// Whether an ASCII `value`, as it is (not lower-cased), matches an ASCII pattern, ignoring
    /// ASCII case: the same answer as [`Pattern::matches_lower`] on the value lower-cased,
    /// without making that copy.
    pub(crate) fn matches_ascii(&self, value: &str) -> bool {
        debug_assert!(self.ascii && value.is_ascii());
        self.matches_folded(value, true)
    }

    /// The longest literal run of the pattern (lower-cased), if any.
    pub(crate) fn longest_literal(&self) -> Option<&str> {
        self.segments
            .iter()
            .flat_map(|s| s.parts.iter())
            .filter_map(|p| match p {
                Part::Lit(s) => Some(s.as_str()),
                Part::Any(_) => None,
            })
            .max_by_key(|s| s.len())
    }

    /// The literal the value must start with (lower-cased), when the pattern starts with one.
    pub(crate) fn literal_prefix(&self) -> Option<&str> {
        if !self.anchored_start {
            return None;
        }
        match self.segments.first()?.parts.first()? {
            Part::Lit(s) => Some(s.as_str()),
            Part::Any(_) => None,
        }
    }

    /// Whether `value` (already folded with [`fold_case`]) matches the whole pattern.
    pub(crate) fn matches_lower(&self, value: &str) -> bool {
        self.matches_folded(value, false)
    }

    /// [`Pattern::matches_lower`] (`fold` false) or [`Pattern::matches_ascii`] (`fold` true).
    fn matches_folded(&self, value: &str, fold: bool) -> bool {
        let n = self.segments.len();
        if n == 1 {
            // No star: the one segment must cover the whole value.
            return self.segments[0].match_at(value, 0, fold) == Some(value.len());
        }
        let mut pos = 0;
        let mut first = 0;
        if self.anchored_start {
            match self.segments[0].match_at(value, 0, fold) {
                Some(end) => pos = end,
                None => return false,
            }
            first = 1;
        }
        let last = if self.anchored_end { n - 1 } else { n };
        for seg in &self.segments[first..last] {
            match seg.find(value, pos, fold) {
                Some(end) => pos = end,
                None => return false,
            }
        }
        if self.anchored_end {
            let seg = &self.segments[n - 1];
            // The last segment has a fixed number of characters: it must start that many
            // characters before the end, and not before what the others consumed.
            let Some(start) = nth_char_from_end(value, seg.chars) else {
                return false;
            };
            return start >= pos && seg.match_at(value, start, fold) == Some(value.len());
        }
        true
    }
}

impl Segment {
    /// Matches the segment at byte `pos`; the end of the match. With `fold`, ASCII letters of
    /// the value match whatever their case.
    fn match_at(&self, value: &str, mut pos: usize, fold: bool) -> Option<usize> {
        for part in &self.parts {
            match part {
                Part::Lit(s) => {
                    let rest = &value.as_bytes()[pos..];
                    let hit = if fold {
                        rest.get(..s.len())
                            .is_some_and(|x| x.eq_ignore_ascii_case(s.as_bytes()))
                    } else {
                        rest.starts_with(s.as_bytes())
                    };
                    if !hit {
                        return None;
                    }
                    pos += s.len();
                }
                Part::Any(k) => {
                    let mut it = value[pos..].char_indices();
                    for _ in 0..*k {
                        it.next()?;
                    }
                    pos = it.next().map_or(value.len(), |(i, _)| pos + i);
                }
            }
        }
        Some(pos)
    }

    /// The end of the leftmost match starting at or after `from`.
    fn find(&self, value: &str, from: usize, fold: bool) -> Option<usize> {
        if let Some(lit) = &self.literal {
            let rest = &value.as_bytes()[from..];
            let found = if fold {
                find_ascii_fold(rest, lit.as_bytes())
            } else {
                lit.find(rest)
            };
            return found.map(|i| from + i + lit.len());
        }
        if let Some(slots) = &self.slots {
            return slots.find(value, from, self.chars, fold);
        }
        self.find_by_trying(value, from, fold)
    }

    /// [`Segment::find`] by trying each start in turn: the reference the masks are tested
    /// against.
    fn find_by_trying(&self, value: &str, from: usize, fold: bool) -> Option<usize> {
        let mut at = from;
        loop {
            if let Some(end) = self.match_at(value, at, fold) {
                return Some(end);
            }
            let c = value[at..].chars().next()?;
            at += c.len_utf8();
        }
    }
}

/// A literal with its substring searcher, built on first use and kept (so that compiling stays
/// cheap and matching does not rebuild it for every value).
#[derive(Clone, Debug)]
pub(crate) struct Needle {
    text: String,
    finder: std::sync::OnceLock<memmem::Finder<'static>>,
}

impl Needle {
    pub(crate) fn new(text: String) -> Needle {
        Needle {
            text,
            finder: std::sync::OnceLock::new(),
        }
    }

    /// The byte offset of the first occurrence in `haystack`.
    #[inline]
    pub(crate) fn find(&self, haystack: &[u8]) -> Option<usize> {
        self.finder
            .get_or_init(|| memmem::Finder::new(self.text.as_bytes()).into_owned())
            .find(haystack)
    }
}

impl PartialEq for Needle {
    fn eq(&self, other: &Needle) -> bool {
        self.text == other.text
    }
}

impl Eq for Needle {}

impl std::ops::Deref for Needle {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

/// The byte offset of the first occurrence of `needle`, lower-case ASCII, in `hay`, ignoring the
/// case of ASCII letters in `hay`.
///
/// For short values this beats lower-casing a copy and searching that: it is how text and
/// wildcard values are tested on ASCII values.
pub(crate) fn find_ascii_fold(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    let last_start = hay.len().checked_sub(needle.len())?;
    let upper = first.to_ascii_uppercase();
    let mut at = 0;
    while at <= last_start {
        let i = at + memchr::memchr2(first, upper, &hay[at..=last_start])?;
        if hay[i + 1..i + needle.len()].eq_ignore_ascii_case(rest) {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

/// The byte offset where the last `n` characters of `s` begin.
fn nth_char_from_end(s: &str, n: usize) -> Option<usize> {
    if n == 0 {
        return Some(s.len());
    }
    s.char_indices().rev().nth(n - 1).map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Value;

    fn m(pat: &str, value: &str) -> bool {
        let p = Pattern::new(&Value::bare(pat).pattern());
        let lower = p.matches_lower(&fold_case(value));
        if p.is_ascii() && value.is_ascii() {
            assert_eq!(p.matches_ascii(value), lower, "{pat} on {value}");
        }
        lower
    }

    proptest::proptest! {
        #[test]
        fn ascii_folding_agrees_with_lower_casing(
            pat in "[aAbB_?*\\\\.-]{0,8}",
            value in "[aAbB_.-]{0,12}",
        ) {
            let p = Pattern::new(&Value::bare(&pat).pattern());
            proptest::prop_assert!(p.is_ascii());
            proptest::prop_assert_eq!(p.matches_ascii(&value), p.matches_lower(&fold_case(&value)));
        }

        #[test]
        fn ascii_substring_search_agrees_with_lower_casing(
            needle in "[ab_\\\\]{0,4}",
            hay in "[aAbB_\\\\]{0,16}",
        ) {
            let lower = hay.to_ascii_lowercase();
            let want = memchr::memmem::find(lower.as_bytes(), needle.as_bytes());
            proptest::prop_assert_eq!(find_ascii_fold(hay.as_bytes(), needle.as_bytes()), want);
        }
    }

    proptest::proptest! {
        #[test]
        fn a_segment_is_found_by_its_masks_where_trying_each_start_finds_it(
            pat in "[ab?é日]{1,10}",
            value in "[aAbBé日x]{0,24}",
            from in 0usize..24,
        ) {
            let p = Pattern::new(&Value::bare(&pat).pattern());
            let seg = &p.segments[0];
            let from = value.char_indices().map(|(i, _)| i).nth(from).unwrap_or(value.len());
            let lower = fold_case(&value);
            let from_lower = fold_case(&value[..from]).len();
            if let Some(slots) = &seg.slots {
                proptest::prop_assert_eq!(
                    slots.find(&lower, from_lower, seg.chars, false),
                    seg.find_by_trying(&lower, from_lower, false)
                );
                if value.is_ascii() && p.is_ascii() {
                    proptest::prop_assert_eq!(
                        slots.find(&value, from, seg.chars, true),
                        seg.find_by_trying(&value, from, true)
                    );
                }
            }
        }
    }

    #[test]
    fn many_question_marks_against_a_long_value() {
        // Trying each start would take 2,000 steps at each of 200,000 characters.
        let pat = format!("*{}b*", "a?".repeat(1000));
        let value = "a".repeat(200_000);
        assert!(!m(&pat, &value));
        assert!(m(&pat, &(value.clone() + "b")));
        let wide = format!("*{}b*", "é?".repeat(1000));
        assert!(!m(&wide, &"é".repeat(100_000)));
        assert!(m(
            &format!("*{}*", "日?".repeat(100)),
            &format!("x{}", "日本".repeat(100))
        ));
    }

    #[test]
    fn fold_case_folds_each_character_alone() {
        assert_eq!(fold_case("ΟΔΥΣΣΕΑΣ"), fold_case("οδυσσεας"));
        assert_eq!(fold_case("ΟΔΥΣ"), "οδυσ");
    }

    #[test]
    fn basics() {
        assert!(m("DESKTOP*", "desktop-ab12"));
        assert!(!m("DESKTOP*", "web01"));
        assert!(m("*CR_*", "CR_1"));
        assert!(m("*cr_*", "my CR_System32"));
        assert!(m("?.exe", "a.exe"));
        assert!(!m("?.exe", "ab.exe"));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "a-b-b-c"));
        assert!(!m("a*b*c", "a-c-b"));
        assert!(m("*", ""));
        assert!(m("a*", "a"));
        assert!(!m("ab*ba", "aba"));
        assert!(m("ab*ba", "abba"));
        assert!(m("notes\\*.txt", "notes*.txt"));
        assert!(!m("notes\\*.txt", "notes1.txt"));
        assert!(m("*?b", "ab"));
        assert!(!m("*?b", "b"));
        assert!(m("a?*?c", "axyc"));
        assert!(m("é?*", "éx"));
    }

    #[test]
    fn long_patterns_stay_fast() {
        let pat = "*a".repeat(2000) + "*b";
        let value = "a".repeat(100_000);
        assert!(!m(&pat, &value));
    }
}
