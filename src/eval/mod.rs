//! Evaluation of a compiled [`Filter`] against events (`grammar.md`, "How values match").
//!
//! An event is a JSON object; if it has a `data` member holding an object (a search-response
//! element), the filter applies to that. A term holds when any value found at its path passes its
//! test, where a path crosses arrays at any level (arrays of arrays too). Missing and `null` values
//! pass no test, so `NOT` of such a term is true: there is no third truth value.
//!
//! Two ways in give the same answers:
//! - [`Filter::matches`] on a parsed `serde_json::Value`: the boolean tree is walked, each term
//!   walks its path in the value and tests the values it finds.
//! - [`Matcher::matches_json`] on the raw bytes of one record (the fast path), in steps:
//!   1. `json.rs` indexes the record (one SIMD pass finds its quotes and backslashes) and lexes
//!      it: string ends, escapes, numbers, literals, whitespace, and skipping whole values while
//!      checking that they are well-formed;
//!   2. `bytes.rs` scans the record once, driven by the trie of the paths the filter reads
//!      (`trie.rs`), and tests each value found at a term's path on the spot with the tests of
//!      this module, setting the term's bit;
//!   3. `decide.rs` tells when the terms known so far decide the filter, so that the members of
//!      the event not read yet are only checked, not tested;
//!   4. the boolean tree runs over the bits. A record the scanner is not sure of (a repeated key,
//!      deep nesting, anything malformed) goes to serde_json and [`Filter::matches`], and a record
//!      serde_json cannot read is a [`RecordError`].
//!
//! Before all this, `prefilter.rs` can rule a record out from its bytes alone
//! ([`Matcher::with_prefilter`]). `wildcard.rs` holds the case folding, the wildcard patterns and
//! the case-insensitive substring search the string tests use.

mod bytes;
mod decide;
mod json;
pub(crate) mod prefilter;
mod trie;
pub(crate) mod wildcard;

pub use bytes::{Matcher, RecordError};

use serde_json::Value as Json;

use crate::compile::{CTerm, Filter, Interval, Node, StrTest, Test};
use crate::date::{from_epoch_millis, parse_event_date};
use wildcard::fold_case;

/// A value found at a path, borrowed from wherever the event lives.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Leaf<'a> {
    Null,
    Bool(bool),
    /// An integer that fits in `i128` (JSON integers always do).
    Int(i128),
    /// Any other number, as its JSON text.
    Float(f64),
    Str(&'a str),
    /// An object (or another value no test reads).
    Other,
}

impl Leaf<'_> {
    /// A number as `Value` holds it: an integer when it fits in `i64` or `u64`, else its `f64`.
    pub(crate) fn from_number(n: &serde_json::Number) -> Leaf<'static> {
        if let Some(i) = n.as_i64() {
            Leaf::Int(i128::from(i))
        } else if let Some(u) = n.as_u64() {
            Leaf::Int(i128::from(u))
        } else {
            Leaf::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }
}

/// The object a filter applies to: the event's `data` member when it holds an object (a
/// search-response element), else the event itself.
pub(crate) fn event_root(event: &Json) -> &Json {
    match event.get("data") {
        Some(d @ Json::Object(_)) => d,
        _ => event,
    }
}

impl Filter {
    /// Whether the event matches.
    ///
    /// ```
    /// use fimql::{Options, Scope, compile};
    /// let f = compile("profiles.rules.name:*CR_* AND NOT action:Delete", &Options::new(Scope::Events))?;
    /// let event = serde_json::json!({
    ///     "sortValues": [],
    ///     "data": {"action": "Create", "profiles": [{"rules": [{"name": "x"}, {"name": "CR_1"}]}]}
    /// });
    /// assert!(f.matches(&event));
    /// # Ok::<(), fimql::Diagnostics>(())
    /// ```
    pub fn matches(&self, event: &Json) -> bool {
        let root = event_root(event);
        let mut scratch = Scratch::default();
        eval(&self.root, &mut |t: &CTerm| {
            walk(root, &self.paths[t.path], &mut |leaf| {
                leaf_passes(&t.test, leaf, &mut scratch)
            })
        })
    }
}

/// Evaluates the boolean tree, asking `term` for each term's truth.
pub(crate) fn eval(node: &Node, term: &mut impl FnMut(&CTerm) -> bool) -> bool {
    match node {
        Node::And(xs) => xs.iter().all(|x| eval(x, term)),
        Node::Or(xs) => xs.iter().any(|x| eval(x, term)),
        Node::Not(x) => !eval(x, term),
        Node::Term(t) => term(t),
    }
}

/// Calls `f` on every value at `path` below `v`, crossing arrays; stops early when `f` says so.
pub(crate) fn walk<'a>(v: &'a Json, path: &[String], f: &mut impl FnMut(Leaf<'a>) -> bool) -> bool {
    walk_values(v, path, &mut |x| f(leaf_of(x)))
}

/// [`walk`] with the JSON values themselves rather than their leaves (`explain` shows them).
pub(crate) fn walk_values<'a>(
    v: &'a Json,
    path: &[String],
    f: &mut impl FnMut(&'a Json) -> bool,
) -> bool {
    match v {
        Json::Array(items) => items.iter().any(|x| walk_values(x, path, f)),
        _ => match path.split_first() {
            Some((key, rest)) => match v {
                Json::Object(map) => map.get(key).is_some_and(|x| walk_values(x, rest, f)),
                _ => false,
            },
            None => f(v),
        },
    }
}

pub(crate) fn leaf_of(v: &Json) -> Leaf<'_> {
    match v {
        Json::Null => Leaf::Null,
        Json::Bool(b) => Leaf::Bool(*b),
        Json::Number(n) => Leaf::from_number(n),
        Json::String(s) => Leaf::Str(s),
        Json::Array(_) | Json::Object(_) => Leaf::Other,
    }
}

/// Whether one value passes a term's test.
pub(crate) fn leaf_passes(test: &Test, leaf: Leaf<'_>, scratch: &mut Scratch) -> bool {
    match test {
        Test::Present => !matches!(leaf, Leaf::Null),
        Test::Str(tests) => match leaf {
            Leaf::Str(s) => str_passes(tests, s, scratch),
            Leaf::Bool(b) => str_passes(tests, if b { "true" } else { "false" }, scratch),
            Leaf::Int(i) => str_passes(tests, &i.to_string(), scratch),
            Leaf::Float(f) => str_passes(tests, &float_text(f), scratch),
            Leaf::Null | Leaf::Other => false,
        },
        Test::Int(ranges) => {
            let n = match leaf {
                Leaf::Int(i) => i,
                Leaf::Str(s) => match parse_int_str(s) {
                    Some(n) => n,
                    None => return false,
                },
                Leaf::Float(f) => match beyond_64_bits(f) {
                    Some(n) => n,
                    None => return false,
                },
                _ => return false,
            };
            ranges.iter().any(|&(lo, hi)| lo <= n && n <= hi)
        }
        Test::Bool(want) => match leaf {
            Leaf::Bool(b) => b == *want,
            Leaf::Str(s) => crate::catalog::parse_boolean(s) == Some(*want),
            _ => false,
        },
        Test::Date(intervals) => {
            let t = match leaf {
                Leaf::Str(s) => parse_event_date(s),
                Leaf::Int(ms) => i64::try_from(ms).ok().and_then(from_epoch_millis),
                _ => None,
            };
            t.is_some_and(|t| intervals.iter().any(|iv: &Interval| iv.contains(t)))
        }
    }
}

/// A number beyond the 64-bit integers, as an integer test compares it: the extreme on its side.
///
/// A JSON integer too long for `i64` and `u64` reaches the tests as an `f64`, as serde_json reads
/// it (both evaluation paths do). Every filter integer fits in 64 bits, so such a number is above
/// (or below) all of them whatever its exact value: `severity>3` holds for
/// `18446744073709551616`, as it does for the same digits in a string ([`parse_int_str`]).
/// serde_json keeps no trace of how the number was written, so a float that large (`1e20`) counts
/// the same way; a smaller non-integer (`4.0`, `1e2`) matches no integer test.
fn beyond_64_bits(f: f64) -> Option<i128> {
    // 2^64 and -2^63: the first values past `u64::MAX` and `i64::MIN`, exact in `f64`.
    const ABOVE: f64 = 18_446_744_073_709_551_616.0;
    const BELOW: f64 = -9_223_372_036_854_775_808.0;
    if f >= ABOVE {
        Some(i128::MAX)
    } else if f <= BELOW {
        Some(i128::MIN)
    } else {
        None
    }
}

/// The JSON text serde_json gives a non-integer number.
pub(crate) fn float_text(f: f64) -> String {
    serde_json::Number::from_f64(f).map_or_else(String::new, |n| n.to_string())
}

/// An integer written as a string: an optional `-` and digits. Leading zeros do not count; a
/// number of more than 38 digits is beyond every filter integer (`i64`) and stands as the extreme.
fn parse_int_str(s: &str) -> Option<i128> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    if digits.len() > 38 {
        return Some(if neg { i128::MIN } else { i128::MAX });
    }
    let n: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    Some(if neg { -n } else { n })
}

/// A reusable buffer for lower-casing values, so that testing allocates nothing for ASCII text.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    lower: String,
}

impl Scratch {
    /// Makes the buffer hold `s` lower-cased exactly as needles are (`fold_case`).
    fn set(&mut self, s: &str) {
        self.lower.clear();
        if s.is_ascii() {
            self.lower.push_str(s);
            self.lower.make_ascii_lowercase();
        } else {
            self.lower.push_str(&fold_case(s));
        }
    }
}

/// Values up to this long are tested for a case-insensitive substring or wildcard as they are,
/// when ASCII (see [`wildcard::find_ascii_fold`]); longer ones are lower-cased and
/// searched with `memmem`, which is faster there and has no bad cases.
const FOLD_IN_PLACE: usize = 256;

/// [`str_passes`] on an ASCII value given as bytes, when every test can be made on the value as it
/// is; `None` when one of them needs it lower-cased (long values, non-ASCII needles), and the
/// caller then asks [`leaf_passes`]. This is how the scanner tests the strings of ASCII records
/// without checking them again for being UTF-8.
#[inline]
pub(crate) fn ascii_str_passes(tests: &[StrTest], s: &[u8]) -> Option<bool> {
    debug_assert!(s.is_ascii());
    let in_place = s.len() <= FOLD_IN_PLACE;
    for t in tests {
        let hit = match t {
            StrTest::Exact(x) => s == x.as_bytes(),
            StrTest::EqFold(x) => s.eq_ignore_ascii_case(x.as_bytes()),
            StrTest::ContainsFold(x) if in_place && x.is_ascii() => {
                wildcard::find_ascii_fold(s, x.as_bytes()).is_some()
            }
            StrTest::Wildcard(p) if in_place && p.is_ascii() => {
                p.matches_ascii(std::str::from_utf8(s).ok()?)
            }
            _ => return None,
        };
        if hit {
            return Some(true);
        }
    }
    Some(false)
}

fn str_passes(tests: &[StrTest], s: &str, scratch: &mut Scratch) -> bool {
    let mut lowered = false;
    let mut lower = |scratch: &mut Scratch| {
        if !lowered {
            scratch.set(s);
            lowered = true;
        }
    };
    let ascii = s.is_ascii();
    let in_place = ascii && s.len() <= FOLD_IN_PLACE;
    for t in tests {
        let hit = match t {
            StrTest::Exact(x) => s == x,
            StrTest::EqFold(x) if ascii => s.eq_ignore_ascii_case(x),
            StrTest::EqFold(x) => {
                lower(scratch);
                scratch.lower == *x
            }
            StrTest::ContainsFold(x) if in_place && x.is_ascii() => {
                wildcard::find_ascii_fold(s.as_bytes(), x.as_bytes()).is_some()
            }
            StrTest::ContainsFold(x) => {
                lower(scratch);
                x.find(scratch.lower.as_bytes()).is_some()
            }
            StrTest::Wildcard(p) if in_place && p.is_ascii() => p.matches_ascii(s),
            StrTest::Wildcard(p) => {
                lower(scratch);
                p.matches_lower(&scratch.lower)
            }
        };
        if hit {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::wildcard::{Needle, Pattern};
    use super::*;
    use crate::ast::Value;

    /// A string test of each kind, from `text` (as a bare value for the wildcard).
    fn tests_of(text: &str) -> Vec<StrTest> {
        vec![
            StrTest::Exact(text.to_string()),
            StrTest::EqFold(fold_case(text)),
            StrTest::ContainsFold(Box::new(Needle::new(fold_case(text)))),
            StrTest::Wildcard(Pattern::new(&Value::bare(text).pattern())),
        ]
    }

    proptest::proptest! {
        #[test]
        fn tests_on_ascii_bytes_agree_with_tests_on_text(
            needle in "[aAbB_?*K\u{212a}é-]{0,6}",
            value in "[aAbBkK_?*-]{0,8}",
            long in 0usize..2,
        ) {
            // Long values (over FOLD_IN_PLACE) take the lower-casing path of `str_passes`.
            let value = value.repeat(1 + long * 40);
            for t in tests_of(&needle) {
                let tests = [t];
                let text = str_passes(&tests, &value, &mut Scratch::default());
                if let Some(bytes) = ascii_str_passes(&tests, value.as_bytes()) {
                    proptest::prop_assert_eq!(bytes, text, "{:?} on {:?}", tests[0], value);
                }
            }
        }
    }
}
