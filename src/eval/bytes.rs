//! The record matcher, the fast path: evaluating a [`Filter`] directly on the bytes of one JSON
//! record.
//!
//! A hand-written scanner reads the record once, driven by a trie of the paths the filter reads:
//! keys the filter does not name are skipped (and checked to be well-formed JSON) without
//! building anything, and every value found at a term's path is tested on the spot, setting that
//! term's bit. The boolean tree then runs over the bits. Nothing is allocated per record.
//!
//! The answer is always the one [`Filter::matches`] gives on the parsed `serde_json::Value`, and a
//! record is an error exactly when serde_json cannot parse it into a `Value` holding an object.
//! The scanner accepts only what it knows serde_json accepts, with the same meaning:
//! - the `data` envelope is decided by the type of the `data` member;
//! - numbers reach the tests in the same form (`i64`, `u64` or `f64`) as through `Value`, and
//!   a number serde_json would refuse as out of range is refused;
//! - strings must be free of raw control characters, their escapes valid and their `\u`
//!   surrogates paired, and the whole record must be valid UTF-8.
//!
//! Whatever it is not sure of (a key that a relevant object holds twice, where `Value` keeps the
//! last; nesting near serde_json's limit; anything malformed) it hands to serde_json: the record
//! is parsed into a `Value` and evaluated with [`Filter::matches`], or its error is reported.

use super::decide::{Known, Products, known};
use super::json::{
    Bitmaps, Keys, LONG_NUMBER, MAX_DEPTH, Record, after_colon, literal, number_end, number_leaf,
    ws,
};
use super::trie::{KeyWords, Trie, first_bit, length_bit};
use super::{Leaf, Scratch, ascii_str_passes, eval, leaf_passes};
use crate::compile::{Filter, Node, Test};
use crate::error::{Code, Diagnostic};
use crate::span::Span;

/// Why a record could not be evaluated: an `invalid-record` [`Diagnostic`] whose span is the byte
/// offset in the record where reading stopped (when known), and the line and column there.
///
/// Its `Display` is the message and, when known, " at line L column C of the record".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", diagnostic.message, position.map(|(l, c)| format!(" at line {l} column {c} of the record")).unwrap_or_default())]
pub struct RecordError {
    diagnostic: Diagnostic,
    position: Option<(usize, usize)>,
}

impl RecordError {
    fn new(at: usize, message: impl Into<String>) -> Self {
        RecordError {
            diagnostic: Diagnostic::error(Code::InvalidRecord, Span::at(at), message).with_help(
                "each record must be one JSON object (an event, or a search-response element)",
            ),
            position: None,
        }
    }

    fn json(record: &[u8], e: &serde_json::Error) -> Self {
        let full = e.to_string();
        // serde_json appends " at line L column C"; keep the position apart.
        let message = match full.rfind(" at line ") {
            Some(i) if e.line() > 0 => full[..i].to_string(),
            _ => full,
        };
        let position = (e.line() > 0).then(|| (e.line(), e.column()));
        if record.trim_ascii_start().starts_with("\u{feff}".as_bytes()) {
            // Invisible, and serde_json only says "expected value": say what it is.
            return RecordError {
                position,
                ..RecordError::new(
                    0,
                    "the record starts with a byte order mark (U+FEFF), as when files that each \
                     start with one are joined (`cat a b`): remove it, or give the files apart",
                )
            };
        }
        let at = position.map_or(0, |(line, column)| {
            let line_start = record
                .split(|&b| b == b'\n')
                .take(line - 1)
                .map(|l| l.len() + 1)
                .sum::<usize>();
            (line_start + column.saturating_sub(1)).min(record.len())
        });
        let another =
            message == "trailing characters" && matches!(record.get(at), Some(b'{' | b'['));
        let message = if matches!(
            message.as_str(),
            "unexpected end of hex escape" | "lone leading surrogate in hex escape"
        ) {
            // serde_json's words for `\ud800` not followed by a low surrogate, and for a low
            // surrogate alone.
            "an unpaired UTF-16 surrogate escape (`\\uD800` to `\\uDFFF` outside a high-low \
             pair), which is no character"
                .to_string()
        } else if another {
            // `{..}{..}` on one line of NDJSON (or given as one record): say what the layout
            // is for it.
            "another JSON value follows the record, which is one value (the `json` input \
             format reads values one after another)"
                .to_string()
        } else {
            message
        };
        RecordError {
            position,
            ..RecordError::new(at, message)
        }
    }

    /// The diagnostic: code `invalid-record`, the message, the span in the record.
    pub fn diagnostic(&self) -> &Diagnostic {
        &self.diagnostic
    }

    /// What is wrong, without the position.
    pub fn message(&self) -> &str {
        &self.diagnostic.message
    }

    /// Where, as a 1-based line and column within the record, when known.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.position
    }
}

/// Each term's test, indexed by term id.
fn tests_by_id(filter: &Filter) -> Vec<&Test> {
    fn visit<'a>(node: &'a Node, out: &mut Vec<Option<&'a Test>>) {
        match node {
            Node::And(xs) | Node::Or(xs) => xs.iter().for_each(|x| visit(x, out)),
            Node::Not(x) => visit(x, out),
            Node::Term(t) => out[t.id] = Some(&t.test),
        }
    }
    let mut out = vec![None; filter.terms];
    visit(&filter.root, &mut out);
    out.into_iter().flatten().collect()
}

/// Per-record state, reused across records by a [`Matcher`].
struct State<'f> {
    tests: Vec<&'f Test>,
    root_bits: Vec<bool>,
    data_bits: Vec<bool>,
    data_is_object: bool,
    scratch: Scratch,
    /// The text of a string with escapes, decoded.
    unescaped: String,
    /// The text of a key with escapes, decoded.
    key: String,
    /// For each term, the index of the event's member (a child of the trie's root) its path
    /// starts with, when below 64; else `NO_CHILD`.
    term_child: Vec<u8>,
    /// Whether to look for an early answer (the filter reads two members of the event or more).
    early: bool,
    /// Bit `c`: the event's member for trie child `c` has been read (so its terms are final).
    done: u64,
    /// The answer no longer depends on the members not read yet.
    decided: bool,
    /// The answer, once `decided`.
    answer: bool,
    /// The filter as sums of products, when it is small enough (else the tree is walked).
    products: Option<Products>,
}

/// See [`State::term_child`].
const NO_CHILD: u8 = u8::MAX;

/// For each term id, the trie root child its path starts with (see [`State::term_child`]).
fn term_children(trie: &Trie, terms: usize) -> Vec<u8> {
    fn visit(node: &Trie, child: u8, out: &mut [u8]) {
        for &t in &node.terms {
            if let Some(slot) = out.get_mut(t) {
                *slot = child;
            }
        }
        for (_, c) in &node.children {
            visit(c, child, out);
        }
    }
    let mut out = vec![NO_CHILD; terms];
    for (c, (_, node)) in trie.children.iter().enumerate().take(64) {
        visit(node, c as u8, &mut out);
    }
    out
}

/// Which term bits a value sets: those of the record's top level or those of its `data` event.
#[derive(Clone, Copy)]
enum Bits {
    Root,
    Data,
}

impl State<'_> {
    /// What is known of the event's term `id`: true once its bit is set, false once its member
    /// has been read.
    fn term_known(&self, id: usize) -> Known {
        if self.data_bits[id] {
            Known::True
        } else {
            let c = self.term_child[id];
            if c != NO_CHILD && self.done & (1u64 << c) != 0 {
                Known::False
            } else {
                Known::Unknown
            }
        }
    }

    /// The event's terms known true (their bit is set) and known false (their member has been
    /// read), as masks; for filters with [`Products`], whose term ids are below 64.
    #[inline]
    fn known_terms(&self) -> (u64, u64) {
        let (mut t, mut f) = (0, 0);
        for (i, (&bit, &c)) in self
            .data_bits
            .iter()
            .zip(&self.term_child)
            .enumerate()
            .take(64)
        {
            if bit {
                t |= 1 << i;
            } else if c != NO_CHILD && self.done & (1u64 << c) != 0 {
                f |= 1 << i;
            }
        }
        (t, f)
    }

    fn hit(&mut self, terms: &[usize], bits: Bits, leaf: Leaf<'_>) {
        hit(
            &self.tests,
            match bits {
                Bits::Root => &mut self.root_bits,
                Bits::Data => &mut self.data_bits,
            },
            &mut self.scratch,
            terms,
            leaf,
        );
    }
}

fn hit(tests: &[&Test], bits: &mut [bool], scratch: &mut Scratch, terms: &[usize], leaf: Leaf<'_>) {
    for &t in terms {
        if !bits[t] && leaf_passes(tests[t], leaf, scratch) {
            bits[t] = true;
        }
    }
}

/// [`hit`] for a string value that is ASCII and has no escapes, given as its bytes.
#[inline]
fn hit_ascii(
    tests: &[&Test],
    bits: &mut [bool],
    scratch: &mut Scratch,
    terms: &[usize],
    s: &[u8],
) -> Option<()> {
    for &t in terms {
        if bits[t] {
            continue;
        }
        let test = tests[t];
        let pass = match test {
            Test::Str(x) => match ascii_str_passes(x, s) {
                Some(pass) => pass,
                None => leaf_passes(test, Leaf::Str(std::str::from_utf8(s).ok()?), scratch),
            },
            _ => leaf_passes(test, Leaf::Str(std::str::from_utf8(s).ok()?), scratch),
        };
        bits[t] = pass;
    }
    Some(())
}

/// A compiled filter prepared for evaluation on raw JSON records. Reuse one per thread.
///
/// ```
/// use fimql::{Options, Scope, compile};
/// let filter = compile("action:Create", &Options::new(Scope::Events))?;
/// let mut m = filter.matcher();
/// assert_eq!(m.matches_json(br#"{"data":{"action":"CREATE"}}"#), Ok(true));
/// assert!(m.matches_json(br#"{"action": "Create""#).is_err());
/// # Ok::<(), fimql::Diagnostics>(())
/// ```
pub struct Matcher<'f> {
    filter: &'f Filter,
    trie: Trie,
    state: State<'f>,
    prefilter: Option<super::prefilter::Prefilter>,
    /// The record's bitmaps (see [`Record`]), reused across records.
    bitmaps: Bitmaps,
}

impl Filter {
    /// A [`Matcher`] for evaluating this filter on raw JSON records.
    pub fn matcher(&self) -> Matcher<'_> {
        let trie = Trie::build(self);
        Matcher {
            filter: self,
            state: State {
                term_child: term_children(&trie, self.terms),
                early: trie.children.len() >= 2,
                done: 0,
                decided: false,
                answer: false,
                products: Products::build(&self.root),
                tests: tests_by_id(self),
                root_bits: vec![false; self.terms],
                data_bits: vec![false; self.terms],
                data_is_object: false,
                scratch: Scratch::default(),
                unescaped: String::new(),
                key: String::new(),
            },
            trie,
            prefilter: None,
            bitmaps: Bitmaps::default(),
        }
    }

    /// Whether one JSON record (an object) matches; see [`Matcher::matches_json`].
    pub fn matches_json(&self, record: &[u8]) -> Result<bool, RecordError> {
        self.matcher().matches_json(record)
    }
}

impl Matcher<'_> {
    /// Turns on the literal prefilter: a record whose bytes lack a literal the filter requires
    /// (e.g. `create` for `action:Create`) is answered `Ok(false)` without being parsed. The
    /// answer for every well-formed record is unchanged; a malformed record that cannot match is
    /// then not reported as an error. Off by default.
    ///
    /// ```
    /// use fimql::{Options, Scope, compile};
    /// let filter = compile("action:Create", &Options::new(Scope::Events))?;
    /// let mut m = filter.matcher().with_prefilter(true);
    /// assert_eq!(m.matches_json(br#"{"action": "Delete""#), Ok(false)); // not parsed
    /// assert!(m.matches_json(br#"{"action": "Create""#).is_err());
    /// # Ok::<(), fimql::Diagnostics>(())
    /// ```
    pub fn with_prefilter(mut self, on: bool) -> Self {
        self.prefilter = if on {
            super::prefilter::Prefilter::build(self.filter)
        } else {
            None
        };
        self
    }

    /// Whether one JSON record matches. The record must be one JSON object (surrounding
    /// whitespace allowed), in UTF-8; anything else is an error. Gives the same answer as
    /// parsing the record into a `serde_json::Value` and calling [`Filter::matches`].
    pub fn matches_json(&mut self, record: &[u8]) -> Result<bool, RecordError> {
        if let Some(p) = &self.prefilter
            && !p.could_match(record)
        {
            return Ok(false);
        }
        let Some(rec) = Record::index(record, &mut self.bitmaps) else {
            return self.exact(record);
        };
        let state = &mut self.state;
        state.root_bits.iter_mut().for_each(|b| *b = false);
        state.data_bits.iter_mut().for_each(|b| *b = false);
        state.data_is_object = false;
        state.done = 0;
        state.decided = false;
        let root = &self.filter.root;
        if (Scanner { rec, state, root }).record(&self.trie).is_none() {
            return self.exact(record);
        }
        let state = &self.state;
        if state.data_is_object && state.decided {
            return Ok(state.answer);
        }
        let bits = if state.data_is_object {
            &state.data_bits
        } else {
            &state.root_bits
        };
        Ok(match &state.products {
            Some(p) => {
                let t = bits
                    .iter()
                    .enumerate()
                    .take(64)
                    .fold(0u64, |t, (i, &b)| t | u64::from(b) << i);
                p.known(t, !t) == Known::True
            }
            None => eval(&self.filter.root, &mut |t| bits[t.id]),
        })
    }

    /// Test support: whether the scanner alone accepts `record` as one JSON value, checking it
    /// fully but evaluating nothing (the ceiling of the fast path: read and validate). `false`
    /// also when the scanner would hand the record to serde_json.
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub fn scanner_validates(&mut self, record: &[u8]) -> bool {
        let Some(rec) = Record::index(record, &mut self.bitmaps) else {
            return false;
        };
        let i = ws(record, 0);
        rec.skip_value(i, 0)
            .is_some_and(|end| ws(record, end) == record.len())
    }

    /// The exact path, for what the scanner hands over: serde_json parses the record into a
    /// `Value`, or says what is wrong with it.
    #[cold]
    fn exact(&self, record: &[u8]) -> Result<bool, RecordError> {
        let text = std::str::from_utf8(record).map_err(|e| {
            RecordError::new(
                e.valid_up_to(),
                format!("invalid UTF-8 at byte {} of the record", e.valid_up_to()),
            )
        })?;
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| RecordError::json(record, &e))?;
        if v.is_object() {
            return Ok(self.filter.matches(&v));
        }
        let found = match &v {
            serde_json::Value::Null => "null".to_string(),
            serde_json::Value::Bool(b) => format!("boolean `{b}`"),
            serde_json::Value::Number(n) => format!("number `{n}`"),
            serde_json::Value::String(s) => format!("string {s:?}"),
            serde_json::Value::Array(_) => "an array".to_string(),
            serde_json::Value::Object(_) => "an object".to_string(),
        };
        Err(RecordError::new(
            0,
            format!("invalid type: {found}, expected a JSON object (an event)"),
        ))
    }
}

/// One record being scanned. Every method returns the index just past what it read, or `None`
/// to hand the record to the exact path.
struct Scanner<'r, 'm, 'f> {
    rec: Record<'r>,
    state: &'m mut State<'f>,
    /// The filter's expression, to tell when the answer is known early.
    root: &'f Node,
}

impl Scanner<'_, '_, '_> {
    /// Whether the event's member whose value starts with `first` can be skipped (checked for
    /// being well-formed, not read) because the answer is known without it. Asked only before
    /// containers, where reading costs most.
    fn skippable(&mut self, first: Option<&u8>) -> bool {
        let state = &mut *self.state;
        if state.decided {
            return true;
        }
        if !state.early || state.done == 0 || !matches!(first, Some(b'{' | b'[')) {
            return false;
        }
        let known = match &state.products {
            Some(p) => {
                let (t, f) = state.known_terms();
                p.known(t, f)
            }
            None => known(self.root, &|id| state.term_known(id)),
        };
        state.decided = known != Known::Unknown;
        state.answer = known == Known::True;
        state.decided
    }

    fn record(&mut self, root: &Trie) -> Option<()> {
        let b = self.rec.b;
        let i = ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return None;
        }
        let i = self.object(i + 1, root, Bits::Root, 1, Level::Top)?;
        (ws(b, i) == b.len()).then_some(())
    }

    /// The members of an object read at trie node `node`, from just after its `{`. At the top,
    /// a `data` member holding an object is the event.
    fn object(
        &mut self,
        i: usize,
        node: &Trie,
        bits: Bits,
        depth: u32,
        level: Level,
    ) -> Option<usize> {
        let top = level == Level::Top;
        let rec = self.rec;
        let b = rec.b;
        let mut i = ws(b, i);
        if b.get(i) == Some(&b'}') {
            return Some(i + 1);
        }
        let mut seen = Seen::default();
        // Whether to skip unwanted scalars by a call that goes on up to the next key that may be
        // wanted: when few keys are wanted, so that the runs of members between them are long.
        // (For a member or two, the call costs more than it saves.)
        let runs = node.children.len() <= 4;
        // The keys that are not skipped on sight: the children's, and `data` at the top.
        let keys = if top {
            Keys {
                lengths: node.lengths | length_bit(4),
                firsts: node.firsts | first_bit(Some(&b'd')),
            }
        } else {
            Keys {
                lengths: node.lengths,
                firsts: node.firsts,
            }
        };
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let end = rec.string_end(i + 1)?;
            let escaped = rec.has_escape(i + 1, end);
            let (child, data) = if !escaped
                && !top
                && (node.lengths & length_bit(end - i - 1) == 0
                    || node.firsts & first_bit(b.get(i + 1).filter(|_| end > i + 1)) == 0)
            {
                // No child has a key of this length, or starting with this byte.
                (None, false)
            } else {
                let (key, words) = if escaped {
                    let key = rec.text(i + 1, end, &mut self.state.key)?.as_bytes();
                    (key, KeyWords::of(key))
                } else {
                    (&b[i + 1..end], KeyWords::at(b, i + 1, end))
                };
                (node.child(key, words), top && key == b"data")
            };
            i = after_colon(b, end)?;
            if data {
                if !seen.first(usize::MAX) {
                    return None;
                }
                if b.get(i) == Some(&b'{') {
                    self.state.data_is_object = true;
                    i = self.object(i + 1, node, Bits::Data, depth + 1, Level::Event)?;
                } else {
                    i = match child {
                        Some(c) => self.value(i, &node.children[c].1, bits, depth)?,
                        None => rec.skip_value(i, depth)?,
                    };
                }
            } else if let Some(c) = child {
                if !seen.first(c) {
                    return None;
                }
                if level != Level::Event {
                    i = self.value(i, &node.children[c].1, bits, depth)?;
                } else {
                    i = if self.skippable(b.get(i)) {
                        rec.skip_value(i, depth)?
                    } else {
                        self.value(i, &node.children[c].1, bits, depth)?
                    };
                    if c < 64 {
                        self.state.done |= 1u64 << c;
                    }
                }
            } else if runs || matches!(b.get(i), Some(b'{' | b'[')) {
                // A container is skipped by a call in any case: the call goes on with the
                // members after it, up to the next key that may be wanted.
                let (next, at_key) = rec.skip_members(i, depth, keys)?;
                if at_key {
                    i = next;
                    continue;
                }
                return Some(next);
            } else {
                i = rec.skip_value(i, depth)?;
            }
            i = ws(b, i);
            match b.get(i)? {
                b',' => i = ws(b, i + 1),
                b'}' => return Some(i + 1),
                _ => return None,
            }
        }
    }

    /// A value at trie node `node`: leaves are tested against the node's terms, objects descend
    /// into the node's children, arrays read each element at the same node.
    fn value(&mut self, i: usize, node: &Trie, bits: Bits, depth: u32) -> Option<usize> {
        let rec = self.rec;
        let b = rec.b;
        let terms = &node.terms[..];
        match *b.get(i)? {
            b'"' => {
                let end = rec.string_end(i + 1)?;
                if !terms.is_empty() {
                    let state = &mut *self.state;
                    if !rec.non_ascii && !rec.has_escape(i + 1, end) {
                        if node.lengths_may_pass & length_bit(end - i - 1) == 0 {
                            return Some(end + 1);
                        }
                        // ASCII as it stands: tested on the bytes, with no UTF-8 check.
                        let bits = match bits {
                            Bits::Root => &mut state.root_bits,
                            Bits::Data => &mut state.data_bits,
                        };
                        hit_ascii(
                            &state.tests,
                            bits,
                            &mut state.scratch,
                            terms,
                            &b[i + 1..end],
                        )?;
                        return Some(end + 1);
                    }
                    let s = rec.text(i + 1, end, &mut state.unescaped)?;
                    hit(
                        &state.tests,
                        match bits {
                            Bits::Root => &mut state.root_bits,
                            Bits::Data => &mut state.data_bits,
                        },
                        &mut state.scratch,
                        terms,
                        Leaf::Str(s),
                    );
                }
                Some(end + 1)
            }
            b'{' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                if !terms.is_empty() {
                    self.state.hit(terms, bits, Leaf::Other);
                }
                if node.children.is_empty() {
                    rec.skip_container(i, depth)
                } else {
                    self.object(i + 1, node, bits, depth + 1, Level::Inner)
                }
            }
            b'[' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                let mut i = ws(b, i + 1);
                if b.get(i) == Some(&b']') {
                    return Some(i + 1);
                }
                loop {
                    i = self.value(i, node, bits, depth + 1)?;
                    i = ws(b, i);
                    match b.get(i)? {
                        b',' => i = ws(b, i + 1),
                        b']' => return Some(i + 1),
                        _ => return None,
                    }
                }
            }
            b't' | b'f' | b'n' => {
                let (end, leaf) = literal(b, i)?;
                if !terms.is_empty() {
                    self.state.hit(terms, bits, leaf);
                }
                Some(end)
            }
            _ => {
                let (end, plain) = number_end(b, i)?;
                let text = &b[i..end];
                if !terms.is_empty() {
                    let leaf = number_leaf(text, plain)?;
                    self.state.hit(terms, bits, leaf);
                } else if !plain || text.len() > LONG_NUMBER {
                    number_leaf(text, plain)?;
                }
                Some(end)
            }
        }
    }
}

/// Which object [`Scanner::object`] reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    /// The record.
    Top,
    /// The `data` object of the record: the event.
    Event,
    /// Any other.
    Inner,
}

/// The trie children already met in one object (and `usize::MAX` for the top-level `data`), to
/// detect duplicate keys.
#[derive(Default)]
struct Seen {
    low: u64,
    data: bool,
    more: Vec<usize>,
}

impl Seen {
    /// Records `i`; whether this is its first time.
    fn first(&mut self, i: usize) -> bool {
        if i == usize::MAX {
            !std::mem::replace(&mut self.data, true)
        } else if i < 64 {
            let bit = 1u64 << i;
            let first = self.low & bit == 0;
            self.low |= bit;
            first
        } else if self.more.contains(&i) {
            false
        } else {
            self.more.push(i);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, Scope, compile};

    /// Whether the scanner itself answers for `record` (rather than handing it to serde_json).
    fn scanned(filter: &str, record: &str) -> bool {
        let f = compile(filter, &Options::new(Scope::Events)).unwrap();
        let mut m = f.matcher();
        let Some(rec) = Record::index(record.as_bytes(), &mut m.bitmaps) else {
            return false;
        };
        Scanner {
            rec,
            state: &mut m.state,
            root: &f.root,
        }
        .record(&m.trie)
        .is_some()
    }

    /// Whether the scanner answered `record` before reading all the members the filter reads.
    fn answered_early(filter: &str, record: &str) -> bool {
        let f = compile(filter, &Options::new(Scope::Events)).unwrap();
        let mut m = f.matcher();
        let exact = m.exact(record.as_bytes());
        assert_eq!(m.matches_json(record.as_bytes()), exact, "{record}");
        m.state.decided
    }

    #[test]
    fn unpaired_surrogate_escapes_are_named() {
        let f = compile("action:Create", &Options::new(Scope::Events)).unwrap();
        let mut m = f.matcher();
        for record in [
            r#"{"a":"\ud800 x"}"#,
            r#"{"a":"\udc00"}"#,
            r#"{"a":"\ud800\u0041"}"#,
        ] {
            let e = m.matches_json(record.as_bytes()).expect_err(record);
            assert!(
                e.message()
                    .starts_with("an unpaired UTF-16 surrogate escape"),
                "{record}: {e}"
            );
        }
        // A pair is a character; a short escape keeps serde_json's word.
        assert_eq!(m.matches_json(br#"{"a":"\ud83d\ude00"}"#), Ok(false));
        let e = m.matches_json(br#"{"a":"\u12"}"#).expect_err("short");
        assert_eq!(e.message(), "invalid escape");
    }

    #[test]
    fn the_answer_can_come_before_the_members_left() {
        let f = "action:Create AND actor.process:x AND asset.name:y";
        let no = r#"{"data":{"action":"Delete","actor":{"process":"x"},"asset":{"name":"y"}}}"#;
        assert!(answered_early(f, no));
        let yes = r#"{"data":{"action":"Create","actor":{"process":"x"},"asset":{"name":"y"}}}"#;
        assert!(!answered_early(f, yes));
        let or = "action:Create OR actor.process:x OR asset.name:y";
        assert!(answered_early(or, yes));
        // Not at the top of the record: the top could still turn out to be the event.
        let top = r#"{"action":"Delete","actor":{"process":"x"},"asset":{"name":"y"}}"#;
        assert!(!answered_early(f, top));
    }

    #[test]
    fn members_after_an_early_answer_are_still_checked() {
        let f = compile(
            "action:Create AND actor.process:x",
            &Options::new(Scope::Events),
        )
        .unwrap();
        let mut m = f.matcher();
        // A duplicate key after the answer is known: serde_json keeps the last value.
        let dup =
            r#"{"data":{"action":"Delete","actor":{},"action":"Create","actor":{"process":"x"}}}"#;
        assert_eq!(m.matches_json(dup.as_bytes()), Ok(true));
        for bad in [
            r#"{"data":{"action":"Delete","actor":{"process":tru}}}"#,
            r#"{"data":{"action":"Delete","actor":[1,]}}"#,
            r#"{"data":{"action":"Delete","actor":{"n":1e400}}}"#,
            r#"{"data":{"action":"Delete","actor":{"p":"\ud800"}}}"#,
            r#"{"data":{"action":"Delete","actor":{}},"data":{}}"#,
        ] {
            let fast = m.matches_json(bad.as_bytes());
            assert!(
                fast.is_err() || bad.ends_with(r#""data":{}}"#),
                "{bad}: {fast:?}"
            );
            assert_eq!(fast, m.exact(bad.as_bytes()), "{bad}");
        }
    }

    const FILTERS: [&str; 4] = [
        "action:Create",
        "dateTime:['2023-03-01'..'2023-06-30'] AND file.attribute.hidden:`Added`",
        "asset.name:DESKTOP* AND NOT actor.process:explorer.exe",
        r#"severity>=4 AND profiles.rules.name:*CR_* AND file.fullPath:"\\windows\\" AND asset.tags:8543820"#,
    ];

    /// Ordinary records never take the slow path: were they to, every answer would still be
    /// right, only slow, and no other test would notice.
    #[test]
    fn ordinary_records_are_scanned_not_handed_over() {
        let long = "x".repeat(200);
        let records = [
            r#"{"sortValues":[1674590344068,"6759d978"],"data":{"dateTime":"2023-01-24T19:59:04.068+0000","fullPath":"C:\\Windows\\System32\\drivers\\etc\\hosts","fileAttribute":{"hidden":"Added","readonly":null},"size":4332552,"severity":4,"baseline":false,"profiles":[{"name":"P","rules":[{"severity":3,"number":17,"name":"CR_Windows","section":{"number":2}}]}],"changedAttributes":[2,7],"actor":{"process":"sshd","processID":30927},"asset":{"name":"DESKTOP-1","tags":["8543820"],"interfaces":[{"hostname":"h","address":"10.0.0.1"}]},"incidentId":null}}"#.to_string(),
            // Pretty-printed, with escapes of every kind, unicode and a long string.
            format!(
                "{{\n\t\"data\": {{\r\n  \"action\" : \"Cr\\u00e9ate \\\"x\\\" \\/ \\\\ \\b\\f\\n\\r\\t \\ud83d\\ude00\",\n  \"name\": \"{long}\",\n  \"n\": [ -0.5e-3 , 1E+2, 0, -12 ],\n  \"asset\": {{ \"name\": \"Δesktop σς\" }}\n }}\n}}\n"
            ),
            // A bare event with keys the filters read at every length, and empty containers.
            r#"{"action":"Create","actor":{},"asset":{"name":"desktop","tags":[]},"profiles":[],"severity":5,"x":{"y":[[],[{}]]}}"#.to_string(),
        ];
        for filter in FILTERS {
            for record in &records {
                assert!(
                    serde_json::from_str::<serde_json::Value>(record).is_ok(),
                    "{record}"
                );
                assert!(scanned(filter, record), "{filter} on {record}");
            }
        }
    }

    /// Records serde_json refuses are handed over, so that serde_json reports them.
    #[test]
    fn malformed_records_are_handed_over() {
        for record in [
            r#"{"action":"Create",}"#,
            r#"{"action":"Cre	ate"}"#,
            r#"{"action":"Create","n":01}"#,
            r#"{"action":"Create","n":1e400}"#,
            r#"{"action":"\ud800"}"#,
            r#"{"action":"Create"} x"#,
            r#"["action"]"#,
        ] {
            assert!(!scanned("action:Create", record), "{record}");
            assert!(
                serde_json::from_str::<serde_json::Value>(record).is_err()
                    || !record.starts_with('{')
            );
        }
    }
}
