//! The fast path: evaluating a [`Filter`] directly on the bytes of one JSON record.
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

use wide::{i8x16, u8x16};

use super::{Leaf, Scratch, ascii_str_passes, eval, leaf_passes};
use crate::compile::{Filter, Node, StrTest, Test};

/// Why a record could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", position.map(|(l, c)| format!(" at line {l} column {c} of the record")).unwrap_or_default())]
pub struct RecordError {
    /// What is wrong.
    pub message: String,
    /// Where, as a 1-based line and column within the record, when known.
    pub position: Option<(usize, usize)>,
}

impl RecordError {
    fn new(message: impl Into<String>) -> Self {
        RecordError {
            message: message.into(),
            position: None,
        }
    }

    fn json(e: &serde_json::Error) -> Self {
        let full = e.to_string();
        // serde_json appends " at line L column C"; keep the position apart.
        let message = match full.rfind(" at line ") {
            Some(i) if e.line() > 0 => full[..i].to_string(),
            _ => full,
        };
        RecordError {
            message,
            position: (e.line() > 0).then(|| (e.line(), e.column())),
        }
    }
}

/// The paths of a filter as a trie of object keys.
#[derive(Clone, Debug, Default)]
pub(crate) struct Trie {
    children: Vec<(String, Trie)>,
    /// For each child, its key's first and last 8 bytes as words ([`KeyWords`]).
    words: Vec<KeyWords>,
    /// Bit `n` is set when a child's key is `n` bytes long (bit 63: 63 or more).
    lengths: u64,
    /// Bit `c % 64` is set when a child's key starts with byte `c` (bit 0 too for the empty key).
    firsts: u64,
    /// An open-addressing hash table of the children: slot `KeyWords::slot` (or a later one,
    /// wrapping) holds a child's index plus one; zero marks an empty slot. Built last.
    table: Vec<u8>,
    /// `(term id, index into Filter::tests)` of terms whose path ends here.
    terms: Vec<usize>,
    /// Bit `n` (63: 63 or more) is set when an ASCII string of `n` bytes, without escapes, may
    /// pass a test of the terms here: only lengths of the texts for tests of whole values against
    /// ASCII text (backtick or case-insensitive equality), every length for other tests.
    lengths_may_pass: u64,
}

impl Trie {
    pub(crate) fn build(filter: &Filter) -> Trie {
        let mut root = Trie::default();
        fn visit(node: &Node, filter: &Filter, root: &mut Trie) {
            match node {
                Node::And(xs) | Node::Or(xs) => xs.iter().for_each(|x| visit(x, filter, root)),
                Node::Not(x) => visit(x, filter, root),
                Node::Term(t) => {
                    let mut at = &mut *root;
                    for key in &filter.paths[t.path] {
                        let i = match at.children.iter().position(|(k, _)| k == key) {
                            Some(i) => i,
                            None => {
                                at.words.push(KeyWords::of(key.as_bytes()));
                                at.lengths |= length_bit(key.len());
                                at.firsts |= first_bit(key.as_bytes().first());
                                at.children.push((key.clone(), Trie::default()));
                                at.children.len() - 1
                            }
                        };
                        at = &mut at.children[i].1;
                    }
                    at.terms.push(t.id);
                    at.lengths_may_pass |= lengths_may_pass(&t.test);
                }
            }
        }
        visit(&filter.root, filter, &mut root);
        root.build_tables();
        root
    }

    fn build_tables(&mut self) {
        for (_, child) in &mut self.children {
            child.build_tables();
        }
        // The table is used only when every index fits in a slot byte; a quarter full at most.
        if self.children.is_empty() || self.children.len() >= usize::from(u8::MAX) {
            return;
        }
        let size = (self.children.len() * 4).next_power_of_two().max(16);
        self.table = vec![0; size];
        for (i, w) in self.words.iter().enumerate() {
            let mut s = w.slot(size);
            while self.table[s] != 0 {
                s = (s + 1) & (size - 1);
            }
            self.table[s] = i as u8 + 1;
        }
    }

    /// The index of the child named `key`, whose words are `words`.
    #[inline]
    fn child(&self, key: &[u8], words: KeyWords) -> Option<usize> {
        // Most keys of an event are not in the trie: the first slot probed is usually empty.
        if !self.table.is_empty() {
            let size = self.table.len();
            let mut s = words.slot(size);
            loop {
                let i = usize::from(*self.table.get(s)?).checked_sub(1)?;
                if self.words.get(i) == Some(&words)
                    && (key.len() <= 16 || self.children[i].0.as_bytes() == key)
                {
                    return Some(i);
                }
                s = (s + 1) & (size - 1);
            }
        }
        self.words
            .iter()
            .zip(&self.children)
            .position(|(w, (k, _))| *w == words && (key.len() <= 16 || k.as_bytes() == key))
    }
}

/// See [`Trie::lengths_may_pass`].
fn lengths_may_pass(test: &Test) -> u64 {
    let Test::Str(tests) = test else {
        return u64::MAX;
    };
    tests.iter().fold(0, |m, t| match t {
        StrTest::Exact(x) | StrTest::EqFold(x) if x.is_ascii() => m | length_bit(x.len()),
        _ => u64::MAX,
    })
}

/// The bit of [`Trie::firsts`] for a key whose first byte is `first`.
#[inline(always)]
fn first_bit(first: Option<&u8>) -> u64 {
    1u64 << (first.map_or(0, |&c| c) % 64)
}

/// The bit of [`Trie::lengths`] for a key of `n` bytes.
#[inline(always)]
fn length_bit(n: usize) -> u64 {
    1u64 << n.min(63)
}

/// A key's length with its first and last eight bytes (zero-padded when shorter): equal for
/// equal keys, and for keys of up to 16 bytes only for equal keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct KeyWords {
    len: usize,
    head: u64,
    tail: u64,
}

impl KeyWords {
    /// The first slot to probe in a hash table of `size` slots (a power of two).
    #[inline]
    fn slot(&self, size: usize) -> usize {
        let h = (self.head ^ self.tail.rotate_left(29) ^ self.len as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> 40) as usize & (size - 1)
    }

    /// The words of the key at `b[start..end]`, reading whole words from the record where it
    /// has them (a key is always followed by its closing quote and more).
    #[inline]
    fn at(b: &[u8], start: usize, end: usize) -> KeyWords {
        let n = end - start;
        let (Some(head), Some(tail)) = (load(b, start), load(b, end.wrapping_sub(8))) else {
            return KeyWords::of(&b[start..end]);
        };
        if n <= 8 {
            KeyWords {
                len: n,
                head: head & (u64::MAX >> (64 - 8 * n).min(63) >> u32::from(n == 0)),
                tail: 0,
            }
        } else {
            KeyWords { len: n, head, tail }
        }
    }

    fn of(key: &[u8]) -> KeyWords {
        let word = |bytes: &[u8]| {
            let mut w = [0u8; 8];
            w[..bytes.len()].copy_from_slice(bytes);
            u64::from_le_bytes(w)
        };
        let n = key.len();
        if n <= 8 {
            KeyWords {
                len: n,
                head: word(key),
                tail: 0,
            }
        } else {
            KeyWords {
                len: n,
                head: word(&key[..8]),
                tail: word(&key[n - 8..]),
            }
        }
    }
}

/// The eight bytes at `i`, as a little-endian word.
#[inline]
fn load(b: &[u8], i: usize) -> Option<u64> {
    let mut w = [0u8; 8];
    w.copy_from_slice(b.get(i..i.checked_add(8)?)?);
    Some(u64::from_le_bytes(w))
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
struct Ctx<'f> {
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

/// See [`Ctx::term_child`].
const NO_CHILD: u8 = u8::MAX;

/// What is known of a term's or an expression's value while an event is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    True,
    False,
    Unknown,
}

/// The value of `node` if it is the same whatever the terms not known yet turn out to be.
fn known(node: &Node, ctx: &Ctx<'_>) -> Known {
    match node {
        Node::And(xs) | Node::Or(xs) => {
            // AND: false as soon as one is false; OR: true as soon as one is true.
            let (stop, rest) = match node {
                Node::And(_) => (Known::False, Known::True),
                _ => (Known::True, Known::False),
            };
            let mut all = true;
            for x in xs {
                match known(x, ctx) {
                    Known::Unknown => all = false,
                    v if v == stop => return stop,
                    _ => {}
                }
            }
            if all { rest } else { Known::Unknown }
        }
        Node::Not(x) => match known(x, ctx) {
            Known::True => Known::False,
            Known::False => Known::True,
            Known::Unknown => Known::Unknown,
        },
        Node::Term(t) => {
            if ctx.data_bits[t.id] {
                Known::True
            } else {
                let c = ctx.term_child[t.id];
                if c != NO_CHILD && ctx.done & (1u64 << c) != 0 {
                    Known::False
                } else {
                    Known::Unknown
                }
            }
        }
    }
}

/// The filter in two sums of products over term bits, for filters small enough: `yes` holds the
/// products (as `(terms true, terms false)` masks) of the filter in negation normal form,
/// multiplied out, and `no` those of its negation. Under partial knowledge, some product of `yes`
/// is satisfied exactly when three-valued (Kleene) evaluation gives true, and some product of
/// `no` exactly when it gives false: the same answers as [`known`], from a few mask tests instead
/// of a walk over the tree. With every term known, it is the filter's value.
#[derive(Clone, Debug)]
struct Products {
    yes: Vec<(u64, u64)>,
    no: Vec<(u64, u64)>,
}

/// The most products [`Products`] keeps per side; beyond, the tree is walked.
const MAX_PRODUCTS: usize = 64;

impl Products {
    /// `None` when a term id is 64 or more or a side would exceed [`MAX_PRODUCTS`].
    fn build(root: &Node) -> Option<Products> {
        Some(Products {
            yes: sum_of_products(root, false)?,
            no: sum_of_products(root, true)?,
        })
    }

    /// The filter's value when the terms in `t` are known true and those in `f` known false.
    #[inline]
    fn known(&self, t: u64, f: u64) -> Known {
        let holds = |&(p, n): &(u64, u64)| p & !t == 0 && n & !f == 0;
        if self.yes.iter().any(holds) {
            Known::True
        } else if self.no.iter().any(holds) {
            Known::False
        } else {
            Known::Unknown
        }
    }
}

/// The products of `node` (negated when `neg`) in negation normal form, multiplied out.
fn sum_of_products(node: &Node, neg: bool) -> Option<Vec<(u64, u64)>> {
    match node {
        Node::Term(t) => {
            let bit = 1u64.checked_shl(u32::try_from(t.id).ok()?)?;
            Some(vec![if neg { (0, bit) } else { (bit, 0) }])
        }
        Node::Not(x) => sum_of_products(x, !neg),
        Node::And(xs) | Node::Or(xs) => {
            // AND, or OR negated (De Morgan): the product of the parts' sums.
            if matches!(node, Node::And(_)) != neg {
                let mut out = vec![(0, 0)];
                for x in xs {
                    let part = sum_of_products(x, neg)?;
                    let mut next = Vec::new();
                    for &(p, n) in &out {
                        for &(q, m) in &part {
                            if next.len() == MAX_PRODUCTS {
                                return None;
                            }
                            next.push((p | q, n | m));
                        }
                    }
                    out = next;
                }
                Some(out)
            } else {
                let mut out = Vec::new();
                for x in xs {
                    out.extend(sum_of_products(x, neg)?);
                    if out.len() > MAX_PRODUCTS {
                        return None;
                    }
                }
                Some(out)
            }
        }
    }
}

/// For each term id, the trie root child its path starts with (see [`Ctx::term_child`]).
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

#[derive(Clone, Copy)]
enum Bits {
    Root,
    Data,
}

impl Ctx<'_> {
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
/// use fimql::{CompileOptions, Scope, compile};
/// let filter = compile("action:Create", &CompileOptions::new(Scope::Events))?;
/// let mut m = filter.matcher();
/// assert_eq!(m.matches_json(br#"{"data":{"action":"CREATE"}}"#), Ok(true));
/// assert!(m.matches_json(br#"{"action": "Create""#).is_err());
/// # Ok::<(), fimql::Diagnostics>(())
/// ```
pub struct Matcher<'f> {
    filter: &'f Filter,
    trie: Trie,
    ctx: Ctx<'f>,
    prefilter: Option<super::prefilter::Prefilter>,
    /// The record's bitmaps (see [`Rec`]), reused across records.
    bitmaps: Bitmaps,
}

impl Filter {
    /// A [`Matcher`] for evaluating this filter on raw JSON records.
    pub fn matcher(&self) -> Matcher<'_> {
        let trie = Trie::build(self);
        Matcher {
            filter: self,
            ctx: Ctx {
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
    /// use fimql::{CompileOptions, Scope, compile};
    /// let filter = compile("action:Create", &CompileOptions::new(Scope::Events))?;
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
        let Some(rec) = Rec::index(record, &mut self.bitmaps) else {
            return self.exact(record);
        };
        let ctx = &mut self.ctx;
        ctx.root_bits.iter_mut().for_each(|b| *b = false);
        ctx.data_bits.iter_mut().for_each(|b| *b = false);
        ctx.data_is_object = false;
        ctx.done = 0;
        ctx.decided = false;
        let root = &self.filter.root;
        if (Scan { rec, ctx, root }).record(&self.trie).is_none() {
            return self.exact(record);
        }
        let ctx = &self.ctx;
        if ctx.data_is_object && ctx.decided {
            return Ok(ctx.answer);
        }
        let bits = if ctx.data_is_object {
            &ctx.data_bits
        } else {
            &ctx.root_bits
        };
        Ok(match &ctx.products {
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

    /// The exact path, for what the scanner hands over: serde_json parses the record into a
    /// `Value`, or says what is wrong with it.
    #[cold]
    fn exact(&self, record: &[u8]) -> Result<bool, RecordError> {
        let text = std::str::from_utf8(record).map_err(|e| {
            RecordError::new(format!(
                "invalid UTF-8 at byte {} of the record",
                e.valid_up_to()
            ))
        })?;
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| RecordError::json(&e))?;
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
        Err(RecordError::new(format!(
            "invalid type: {found}, expected a JSON object (an event)"
        )))
    }
}

/// How deep the scanner follows nested arrays and objects before handing the record to
/// serde_json, whose own limit (128) then decides.
const MAX_DEPTH: u32 = 100;

/// The buffers of a record's index.
#[derive(Default)]
struct Bitmaps {
    quotes: Vec<u64>,
    escapes: Vec<u64>,
}

/// A record and its index: where its string-delimiting quotes are, found for the whole record in
/// one branch-free pass, so that finding the end of a string costs a few bit operations.
#[derive(Clone, Copy)]
struct Rec<'r> {
    b: &'r [u8],
    /// Bit `i % 64` of word `i / 64` is set when byte `i` is a quote that is not escaped.
    quotes: &'r [u64],
    /// Bit `i % 64` of word `i / 64` is set when byte `i` is a `\`.
    escapes: &'r [u64],
    /// The record has a byte below 0x20 (raw newlines or tabs, as in pretty-printed JSON): strings
    /// are then scanned byte by byte, since such a byte inside a string makes the record invalid.
    careful: bool,
    /// The record has a `\`: strings may have escapes.
    backslashes: bool,
    /// The record has a byte that is not ASCII (it was checked to be UTF-8).
    non_ascii: bool,
}

impl<'r> Rec<'r> {
    /// Indexes `b`; `None` when it is not valid UTF-8 or has an invalid escape.
    fn index(b: &'r [u8], bitmaps: &'r mut Bitmaps) -> Option<Rec<'r>> {
        let Bitmaps { quotes, escapes } = bitmaps;
        // One word per 64 bytes, the last one padded.
        let words = b.len() / 64 + 1;
        quotes.resize(words, 0);
        escapes.resize(words, 0);
        quotes.truncate(words);
        escapes.truncate(words);
        // Lanes turn negative where a byte is a control byte or not ASCII: one signed compare
        // covers both.
        let mut special = i8x16::splat(0);
        let mut word = |chunk: &[u8; 64]| {
            // Four 16-byte vectors: compares, then one bit per byte with a move-mask.
            let (mut q, mut e) = (0u64, 0u64);
            for (k, lanes) in chunk.chunks_exact(16).enumerate() {
                let mut a = [0u8; 16];
                a.copy_from_slice(lanes);
                let v = u8x16::new(a);
                q |= u64::from(v.simd_eq(u8x16::splat(b'"')).to_bitmask()) << (16 * k);
                e |= u64::from(v.simd_eq(u8x16::splat(b'\\')).to_bitmask()) << (16 * k);
                special |= i8x16::new(a.map(|c| c as i8)).simd_lt(i8x16::splat(0x20));
            }
            (q, e)
        };
        let mut chunks = b.chunks_exact(64);
        let mut any_escape = 0;
        for ((chunk, q), e) in (&mut chunks).zip(quotes.iter_mut()).zip(escapes.iter_mut()) {
            let mut c = [0u8; 64];
            c.copy_from_slice(chunk);
            (*q, *e) = word(&c);
            any_escape |= *e;
        }
        let mut last = [b' '; 64];
        last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        let (q, e) = word(&last);
        quotes[words - 1] = q;
        escapes[words - 1] = e;
        any_escape |= e;
        let special = special.any();
        // Rare: tell the two apart with a second pass.
        let (careful, non_ascii) = if !special {
            (false, false)
        } else {
            // A fold, not `any`, so that it is vectorized.
            let control = b.iter().fold(0u8, |a, &c| a | u8::from(c < 0x20));
            (control != 0, !b.is_ascii())
        };
        if non_ascii {
            std::str::from_utf8(b).ok()?;
        }
        if any_escape != 0 {
            // Walk the escapes from the left: each is checked, and a quote it escapes is no
            // delimiter. (A `\` outside a string makes the record invalid; the scan stops there.)
            let mut next = 0;
            for (w, &word) in escapes.iter().enumerate() {
                let mut m = word;
                while m != 0 {
                    let p = w * 64 + m.trailing_zeros() as usize;
                    m &= m - 1;
                    if p < next {
                        continue;
                    }
                    next = escape_end(b, p + 1)?;
                    if b.get(p + 1) == Some(&b'"') {
                        quotes[(p + 1) / 64] &= !(1u64 << ((p + 1) % 64));
                    }
                }
            }
        }
        Some(Rec {
            b,
            quotes,
            escapes,
            careful,
            backslashes: any_escape != 0,
            non_ascii,
        })
    }

    /// Whether bytes `start..end` hold a `\\`.
    #[inline(always)]
    fn has_escape(&self, start: usize, end: usize) -> bool {
        if !self.backslashes || start >= end {
            return false;
        }
        let last = (end - 1) / 64;
        let mut w = start / 64;
        let mut m = self.escapes.get(w).copied().unwrap_or(0) & (!0u64 << (start % 64));
        while w < last {
            if m != 0 {
                return true;
            }
            w += 1;
            m = self.escapes.get(w).copied().unwrap_or(0);
        }
        m & (u64::MAX >> (63 - (end - 1) % 64)) != 0
    }

    /// From just after an opening quote: the index of the closing quote.
    #[inline(always)]
    fn string_end(&self, i: usize) -> Option<usize> {
        if self.careful {
            return string_end_careful(self.b, i);
        }
        let mut w = i / 64;
        let mut m = *self.quotes.get(w)? & (!0u64 << (i % 64));
        while m == 0 {
            w += 1;
            m = *self.quotes.get(w)?;
        }
        let end = w * 64 + m.trailing_zeros() as usize;
        (end < self.b.len()).then_some(end)
    }

    /// The text between `start` and `end`, with escapes decoded into `buf` if it has any.
    fn text<'a>(&self, start: usize, end: usize, buf: &'a mut String) -> Option<&'a str>
    where
        'r: 'a,
    {
        let raw = &self.b[start..end];
        if self.has_escape(start, end) {
            unescape(std::str::from_utf8(raw).ok()?, buf)?;
            Some(&buf[..])
        } else {
            std::str::from_utf8(raw).ok()
        }
    }

    /// Skips any value starting at `i`, checking that it is well-formed. Strings and `null`, the
    /// most common values, are handled here; the rest out of line.
    #[inline(always)]
    fn skip_value(&self, i: usize, depth: u32) -> Option<usize> {
        let b = self.b;
        match *b.get(i)? {
            b'"' => self.string_end(i + 1).map(|end| end + 1),
            b'n' => (b.get(i..i + 4) == Some(b"null")).then_some(i + 4),
            b'{' | b'[' => self.skip_container(i, depth),
            _ => skip_scalar(b, i),
        }
    }

    /// Skips an object or an array starting at `i`, and everything in it, checking that it is
    /// well-formed. One loop with a stack of bits rather than recursion: this is where the
    /// scanner spends most of its time.
    #[inline(never)]
    fn skip_container(&self, mut i: usize, depth: u32) -> Option<usize> {
        let b = self.b;
        // The open containers, innermost in the lowest bit: 1 for an object, 0 for an array.
        // `MAX_DEPTH` is below 128, so they fit.
        let mut stack: u128 = 0;
        let mut open: u32 = 0;
        'value: loop {
            // A value starts at `i`.
            match *b.get(i)? {
                c @ (b'{' | b'[') => {
                    if depth + open >= MAX_DEPTH {
                        return None;
                    }
                    i = ws(b, i + 1);
                    if c == b'{' {
                        if b.get(i) == Some(&b'}') {
                            i += 1;
                        } else {
                            if b.get(i) != Some(&b'"') {
                                return None;
                            }
                            i = after_colon(b, self.string_end(i + 1)?)?;
                            open += 1;
                            stack = stack << 1 | 1;
                            continue 'value;
                        }
                    } else if b.get(i) == Some(&b']') {
                        i += 1;
                    } else {
                        open += 1;
                        stack <<= 1;
                        continue 'value;
                    }
                }
                b'"' => i = self.string_end(i + 1)? + 1,
                b'n' => {
                    if b.get(i..i + 4) != Some(b"null") {
                        return None;
                    }
                    i += 4;
                }
                _ => i = skip_scalar(b, i)?,
            }
            // After a value: the next member or element, or the end of containers.
            loop {
                if open == 0 {
                    return Some(i);
                }
                i = ws(b, i);
                let object = stack & 1 == 1;
                match *b.get(i)? {
                    b',' => {
                        i = ws(b, i + 1);
                        if object {
                            if b.get(i) != Some(&b'"') {
                                return None;
                            }
                            i = after_colon(b, self.string_end(i + 1)?)?;
                        }
                        continue 'value;
                    }
                    b'}' if object => {}
                    b']' if !object => {}
                    _ => return None,
                }
                i += 1;
                open -= 1;
                stack >>= 1;
            }
        }
    }
}

/// One record being scanned. Every method returns the index just past what it read, or `None`
/// to hand the record to the exact path.
struct Scan<'r, 'm, 'f> {
    rec: Rec<'r>,
    ctx: &'m mut Ctx<'f>,
    /// The filter's expression, to tell when the answer is known early.
    root: &'f Node,
}

impl Scan<'_, '_, '_> {
    /// Whether the event's member whose value starts with `first` can be skipped (checked for
    /// being well-formed, not read) because the answer is known without it. Asked only before
    /// containers, where reading costs most.
    fn skippable(&mut self, first: Option<&u8>) -> bool {
        let ctx = &mut *self.ctx;
        if ctx.decided {
            return true;
        }
        if !ctx.early || ctx.done == 0 || !matches!(first, Some(b'{' | b'[')) {
            return false;
        }
        let known = match &ctx.products {
            Some(p) => {
                let (t, f) = ctx.known_terms();
                p.known(t, f)
            }
            None => known(self.root, ctx),
        };
        ctx.decided = known != Known::Unknown;
        ctx.answer = known == Known::True;
        ctx.decided
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
                    let key = rec.text(i + 1, end, &mut self.ctx.key)?.as_bytes();
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
                    self.ctx.data_is_object = true;
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
                        self.ctx.done |= 1u64 << c;
                    }
                }
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
                    let ctx = &mut *self.ctx;
                    if !rec.non_ascii && !rec.has_escape(i + 1, end) {
                        if node.lengths_may_pass & length_bit(end - i - 1) == 0 {
                            return Some(end + 1);
                        }
                        // ASCII as it stands: tested on the bytes, with no UTF-8 check.
                        let bits = match bits {
                            Bits::Root => &mut ctx.root_bits,
                            Bits::Data => &mut ctx.data_bits,
                        };
                        hit_ascii(&ctx.tests, bits, &mut ctx.scratch, terms, &b[i + 1..end])?;
                        return Some(end + 1);
                    }
                    let s = rec.text(i + 1, end, &mut ctx.unescaped)?;
                    hit(
                        &ctx.tests,
                        match bits {
                            Bits::Root => &mut ctx.root_bits,
                            Bits::Data => &mut ctx.data_bits,
                        },
                        &mut ctx.scratch,
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
                    self.ctx.hit(terms, bits, Leaf::Other);
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
                    self.ctx.hit(terms, bits, leaf);
                }
                Some(end)
            }
            _ => {
                let (end, plain) = number_end(b, i)?;
                let text = &b[i..end];
                if !terms.is_empty() {
                    let leaf = number_leaf(text, plain)?;
                    self.ctx.hit(terms, bits, leaf);
                } else if !plain || text.len() > LONG_NUMBER {
                    number_leaf(text, plain)?;
                }
                Some(end)
            }
        }
    }
}

/// Which object [`Scan::object`] reads.
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

/// From a key's closing quote at `end`: the index of its value, past the `:` and whitespace.
#[inline(always)]
fn after_colon(b: &[u8], end: usize) -> Option<usize> {
    let mut i = end + 1;
    if b.get(i) != Some(&b':') {
        i = ws(b, i);
        if b.get(i) != Some(&b':') {
            return None;
        }
    }
    Some(ws(b, i + 1))
}

/// The index of the first byte at or after `i` that is not JSON whitespace.
#[inline]
fn ws(b: &[u8], mut i: usize) -> usize {
    // Compact JSON has no whitespace: one compare answers most calls.
    if b.get(i).is_some_and(|&c| c > b' ') {
        return i;
    }
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(i) {
        i += 1;
    }
    i
}

/// Skips a number, `true`, `false` or `null` at `i`, checking that it is well-formed.
#[inline(never)]
fn skip_scalar(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b't' | b'f' | b'n' => literal(b, i).map(|(end, _)| end),
        b'-' | b'0'..=b'9' => {
            let (end, plain) = number_end(b, i)?;
            if !plain || end - i > LONG_NUMBER {
                // Only these can be out of serde_json's range.
                number_leaf(&b[i..end], plain)?;
            }
            Some(end)
        }
        _ => None,
    }
}

/// `true`, `false` or `null` at `i`.
fn literal(b: &[u8], i: usize) -> Option<(usize, Leaf<'static>)> {
    let rest = &b[i..];
    if rest.starts_with(b"true") {
        Some((i + 4, Leaf::Bool(true)))
    } else if rest.starts_with(b"false") {
        Some((i + 5, Leaf::Bool(false)))
    } else if rest.starts_with(b"null") {
        Some((i + 4, Leaf::Null))
    } else {
        None
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// A mask whose lowest set bit is the high bit of the first byte of `x` (in memory order) that is
/// `"`, `\` or a control character.
#[inline]
fn specials(x: u64) -> u64 {
    let quote = x ^ (ONES * u64::from(b'"'));
    let backslash = x ^ (ONES * u64::from(b'\\'));
    // A byte is zero (or below 0x20) when subtracting borrows into its high bit while its own high
    // bit was clear; borrows only spread upwards, so the lowest flagged byte is exact.
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    (zero(quote) | zero(backslash) | (x.wrapping_sub(ONES * 0x20) & !x)) & HIGHS
}

/// From just after an opening quote, byte by byte (eight at a time): the index of the closing
/// quote. A control character or an invalid escape makes the record invalid. The record is known
/// to be valid UTF-8, so only ASCII bytes need a look.
#[cold]
#[inline(never)]
fn string_end_careful(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        while let Some(chunk) = b.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let m = specials(u64::from_le_bytes(word));
            if m != 0 {
                i += (m.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match *b.get(i)? {
            b'"' => return Some(i),
            b'\\' => i = escape_end(b, i + 1)?,
            c if c < 0x20 => return None,
            _ => i += 1,
        }
    }
}

/// From just after a `\`: the index past the escape, which must be valid, with any `\u`
/// surrogate paired as serde_json requires.
fn escape_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(i + 1),
        b'u' => match hex4(b, i + 1)? {
            0xD800..=0xDBFF => {
                if b.get(i + 5..i + 7) == Some(b"\\u")
                    && (0xDC00..=0xDFFF).contains(&hex4(b, i + 7)?)
                {
                    Some(i + 11)
                } else {
                    None
                }
            }
            0xDC00..=0xDFFF => None,
            _ => Some(i + 5),
        },
        _ => None,
    }
}

fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let digits = b.get(i..i + 4)?;
    let mut n = 0;
    for &d in digits {
        n = n * 16 + char::from(d).to_digit(16)?;
    }
    Some(n)
}

/// Decodes the escapes of a string's text (between its quotes, already checked by `string_end`).
fn unescape(text: &str, out: &mut String) -> Option<()> {
    out.clear();
    let mut rest = text;
    while let Some(at) = memchr::memchr(b'\\', rest.as_bytes()) {
        out.push_str(&rest[..at]);
        let e = rest.as_bytes();
        let (c, len) = match *e.get(at + 1)? {
            b'"' => ('"', 2),
            b'\\' => ('\\', 2),
            b'/' => ('/', 2),
            b'b' => ('\u{8}', 2),
            b'f' => ('\u{c}', 2),
            b'n' => ('\n', 2),
            b'r' => ('\r', 2),
            b't' => ('\t', 2),
            _ => {
                let hi = hex4(e, at + 2)?;
                if (0xD800..=0xDBFF).contains(&hi) {
                    let lo = hex4(e, at + 8)?;
                    (
                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?,
                        12,
                    )
                } else {
                    (char::from_u32(hi)?, 6)
                }
            }
        };
        out.push(c);
        rest = rest.get(at + len..)?;
    }
    out.push_str(rest);
    Some(())
}

/// Numbers longer than this (or with a fraction or exponent) are read by serde_json, which
/// decides their value and whether they are in range.
const LONG_NUMBER: usize = 18;

/// From the first byte of a number: the index past it, and whether it is a plain integer (no
/// fraction, no exponent). Checks JSON's number grammar.
fn number_end(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let digits = |b: &[u8], mut i: usize| {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > start).then_some(i)
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match *b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(b, i)?,
        _ => return None,
    }
    let mut plain = true;
    if b.get(i) == Some(&b'.') {
        plain = false;
        i = digits(b, i + 1)?;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        plain = false;
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        i = digits(b, i)?;
    }
    Some((i, plain))
}

/// A number's value as `Value` would hold it; `None` when serde_json refuses it.
fn number_leaf(text: &[u8], plain: bool) -> Option<Leaf<'static>> {
    if plain && text.len() <= LONG_NUMBER {
        let (neg, digits) = match text.split_first() {
            Some((b'-', d)) => (true, d),
            _ => (false, text),
        };
        let n = digits
            .iter()
            .fold(0i128, |n, &d| n * 10 + i128::from(d - b'0'));
        return Some(match (neg, n) {
            // serde_json reads `-0` as the float -0.0.
            (true, 0) => Leaf::Float(-0.0),
            (true, n) => Leaf::Int(-n),
            (false, n) => Leaf::Int(n),
        });
    }
    let n: serde_json::Number = serde_json::from_slice(text).ok()?;
    Some(if let Some(i) = n.as_i64() {
        Leaf::Int(i128::from(i))
    } else if let Some(u) = n.as_u64() {
        Leaf::Int(i128::from(u))
    } else {
        Leaf::Float(n.as_f64()?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CompileOptions, Scope, compile};

    /// Three-valued (Kleene) evaluation of `node`, `value[id]` giving each term.
    fn kleene(node: &Node, value: &[Known]) -> Known {
        match node {
            Node::Term(t) => value[t.id],
            Node::Not(x) => match kleene(x, value) {
                Known::True => Known::False,
                Known::False => Known::True,
                Known::Unknown => Known::Unknown,
            },
            Node::And(xs) | Node::Or(xs) => {
                let and = matches!(node, Node::And(_));
                let (stop, rest) = if and {
                    (Known::False, Known::True)
                } else {
                    (Known::True, Known::False)
                };
                let vs: Vec<Known> = xs.iter().map(|x| kleene(x, value)).collect();
                if vs.contains(&stop) {
                    stop
                } else if vs.contains(&Known::Unknown) {
                    Known::Unknown
                } else {
                    rest
                }
            }
        }
    }

    #[test]
    fn products_agree_with_three_valued_evaluation() {
        let filters = [
            "action:Create",
            "NOT action:Create",
            "action:Create AND type:File OR NOT (platform:LINUX OR severity>=3)",
            "NOT (action:Create AND NOT (type:File OR platform:LINUX)) AND severity:1",
            "(action:Create OR type:File) AND (platform:LINUX OR severity>=3) AND NOT file.name:x",
            "((severity>=4 AND platform:WINDOWS AND profiles.rules.name:*CR_*) OR \
             (asset.tags:8543820 AND file.fullPath:\"\\\\windows\\\\\" AND NOT action:Delete)) \
             AND NOT (platform:LINUX AND type:Directory) \
             AND (action:Content OR NOT actor.userName:SYSTEM)",
        ];
        for f in filters {
            let filter = compile(f, &CompileOptions::new(Scope::Events)).unwrap();
            let p = Products::build(&filter.root).expect("small enough");
            let n = filter.terms;
            // Every assignment of true, false or unknown to the terms.
            for code in 0..3usize.pow(n as u32) {
                let (mut value, mut t, mut fl, mut c) = (Vec::new(), 0u64, 0u64, code);
                for i in 0..n {
                    value.push(match c % 3 {
                        0 => Known::Unknown,
                        1 => {
                            t |= 1 << i;
                            Known::True
                        }
                        _ => {
                            fl |= 1 << i;
                            Known::False
                        }
                    });
                    c /= 3;
                }
                assert!(
                    p.known(t, fl) == kleene(&filter.root, &value),
                    "{f}: {code}"
                );
            }
        }
    }

    #[test]
    fn large_filters_walk_the_tree() {
        // 2^7 products once multiplied out: more than the masks are kept for.
        let f = (0..7)
            .map(|i| format!("(file.name:a{i} OR actor.process:t{i})"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let filter = compile(&f, &CompileOptions::new(Scope::Events)).unwrap();
        assert!(Products::build(&filter.root).is_none());
        let big = (0..70)
            .map(|i| format!("file.name:n{i}"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let filter = compile(&big, &CompileOptions::new(Scope::Events)).unwrap();
        assert!(Products::build(&filter.root).is_none());
        // Both still answer.
        let mut m = filter.matcher();
        assert_eq!(m.matches_json(br#"{"data":{"name":"N69"}}"#), Ok(true));
        assert_eq!(m.matches_json(br#"{"data":{"name":"N70"}}"#), Ok(false));
    }

    /// Whether the scanner itself answers for `record` (rather than handing it to serde_json).
    fn scanned(filter: &str, record: &str) -> bool {
        let f = compile(filter, &CompileOptions::new(Scope::Events)).unwrap();
        let mut m = f.matcher();
        let Some(rec) = Rec::index(record.as_bytes(), &mut m.bitmaps) else {
            return false;
        };
        Scan {
            rec,
            ctx: &mut m.ctx,
            root: &f.root,
        }
        .record(&m.trie)
        .is_some()
    }

    /// Whether the scanner answered `record` before reading all the members the filter reads.
    fn answered_early(filter: &str, record: &str) -> bool {
        let f = compile(filter, &CompileOptions::new(Scope::Events)).unwrap();
        let mut m = f.matcher();
        let exact = m.exact(record.as_bytes());
        assert_eq!(m.matches_json(record.as_bytes()), exact, "{record}");
        m.ctx.decided
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
            &CompileOptions::new(Scope::Events),
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
