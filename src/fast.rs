//! The fast path: evaluating a [`Filter`] directly on the bytes of one JSON record.
//!
//! The record is read once by serde_json, driven by a trie of the paths the filter reads: keys
//! the filter does not name are skipped without building anything, and every value found at a
//! term's path is tested on the spot, setting that term's bit. The boolean tree then runs over the
//! bits. Nothing is allocated per record except for strings with escapes.
//!
//! The answer is always the one [`Filter::matches`] gives on the parsed `serde_json::Value`:
//! - the `data` envelope is decided by the type of the last `data` member, as `Value` would keep;
//! - a key that a relevant object holds twice (where `Value` keeps the last) is detected, and such
//!   a record is evaluated through `Value` instead;
//! - numbers reach the tests in the same form (`i64`, `u64` or `f64`) as through `Value`;
//! - the whole record must be valid UTF-8 and valid JSON, or it is an error, exactly as for `Value`.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::compile::{Filter, Node, Test};

use crate::eval::{Leaf, Scratch, eval, leaf_passes};

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
    /// `(term id, index into Filter::tests)` of terms whose path ends here.
    terms: Vec<usize>,
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
                                at.children.push((key.clone(), Trie::default()));
                                at.children.len() - 1
                            }
                        };
                        at = &mut at.children[i].1;
                    }
                    at.terms.push(t.id);
                }
            }
        }
        visit(&filter.root, filter, &mut root);
        root
    }

    fn child(&self, key: &str) -> Option<(usize, &Trie)> {
        // Most keys of an event are not in the trie: length and first byte rule them out cheaply.
        let first = key.as_bytes().first();
        self.children
            .iter()
            .enumerate()
            .find(|(_, (k, _))| k.len() == key.len() && k.as_bytes().first() == first && k == key)
            .map(|(i, (_, t))| (i, t))
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
struct Ctx<'f> {
    tests: Vec<&'f Test>,
    root_bits: Vec<bool>,
    data_bits: Vec<bool>,
    data_is_object: bool,
    duplicate: bool,
    scratch: Scratch,
}

#[derive(Clone, Copy)]
enum Bits {
    Root,
    Data,
}

impl Ctx<'_> {
    fn hit(&mut self, terms: &[usize], bits: Bits, leaf: Leaf<'_>) {
        for &t in terms {
            let set = match bits {
                Bits::Root => &self.root_bits[t],
                Bits::Data => &self.data_bits[t],
            };
            if !*set && leaf_passes(self.tests[t], leaf, &mut self.scratch) {
                match bits {
                    Bits::Root => self.root_bits[t] = true,
                    Bits::Data => self.data_bits[t] = true,
                }
            }
        }
    }
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
    prefilter: Option<crate::prefilter::Prefilter>,
}

impl Filter {
    /// A [`Matcher`] for evaluating this filter on raw JSON records.
    pub fn matcher(&self) -> Matcher<'_> {
        Matcher {
            filter: self,
            trie: Trie::build(self),
            ctx: Ctx {
                tests: tests_by_id(self),
                root_bits: vec![false; self.terms],
                data_bits: vec![false; self.terms],
                data_is_object: false,
                duplicate: false,
                scratch: Scratch::default(),
            },
            prefilter: None,
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
            crate::prefilter::Prefilter::build(self.filter)
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
        let text = std::str::from_utf8(record).map_err(|e| {
            RecordError::new(format!(
                "invalid UTF-8 at byte {} of the record",
                e.valid_up_to()
            ))
        })?;
        if too_deep(record) {
            // serde_json skips unread parts without a depth limit, but a `Value` of the record
            // could not be built: reject the record the same way.
            return Err(RecordError::new(format!(
                "recursion limit exceeded: the record nests deeper than {} levels",
                MAX_NESTING - 1
            )));
        }
        let ctx = &mut self.ctx;
        ctx.root_bits.iter_mut().for_each(|b| *b = false);
        ctx.data_bits.iter_mut().for_each(|b| *b = false);
        ctx.data_is_object = false;
        ctx.duplicate = false;
        let mut de = serde_json::Deserializer::from_str(text);
        let seed = RecordSeed {
            ctx,
            trie: &self.trie,
        };
        seed.deserialize(&mut de)
            .and_then(|()| de.end())
            .map_err(|e| RecordError::json(&e))?;
        if self.ctx.duplicate {
            // A relevant key appears twice in one object: let `Value` decide which one counts.
            let v: serde_json::Value =
                serde_json::from_str(text).map_err(|e| RecordError::json(&e))?;
            return Ok(self.filter.matches(&v));
        }
        let bits = if self.ctx.data_is_object {
            &self.ctx.data_bits
        } else {
            &self.ctx.root_bits
        };
        Ok(eval(&self.filter.root, &mut |t| bits[t.id]))
    }
}

/// serde_json's nesting limit: a record nesting this many arrays and objects cannot be read.
const MAX_NESTING: usize = 128;

/// Whether the record nests `MAX_NESTING` or more arrays and objects. Counting brackets first
/// makes this nearly free for ordinary records.
fn too_deep(record: &[u8]) -> bool {
    // A branch-free count (the compiler vectorizes it) of every `{` and `[`, strings included:
    // fewer than the limit cannot nest that deep.
    if record.iter().filter(|&&b| b == b'{' || b == b'[').count() < MAX_NESTING {
        return false;
    }

    let mut depth = 0usize;
    let mut strings = crate::stream::StringState::default();
    for &b in record {
        if !strings.outside(b) {
            continue;
        }
        match b {
            b'{' | b'[' => {
                depth += 1;
                if depth >= MAX_NESTING {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

struct RecordSeed<'a, 'f> {
    ctx: &'a mut Ctx<'f>,
    trie: &'a Trie,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(RecordVisitor(self))
    }
}

struct RecordVisitor<'a, 'f>(RecordSeed<'a, 'f>);

impl<'de> Visitor<'de> for RecordVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object (an event)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let RecordSeed { ctx, trie } = self.0;
        let mut seen = SeenKeys::default();
        while let Some(key) = map.next_key_seed(KeySeed { trie, top: true })? {
            match key {
                Key::Data(child) => {
                    if seen.repeat(usize::MAX) {
                        ctx.duplicate = true;
                    }
                    map.next_value_seed(DataSeed {
                        ctx: &mut *ctx,
                        root: trie,
                        child,
                    })?;
                }
                Key::Child(i) => {
                    if seen.repeat(i) {
                        ctx.duplicate = true;
                    }
                    map.next_value_seed(NodeSeed {
                        ctx: &mut *ctx,
                        node: &trie.children[i].1,
                        bits: Bits::Root,
                    })?;
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The trie children already met in one object, to detect duplicate keys.
#[derive(Default)]
struct SeenKeys(Vec<usize>);

impl SeenKeys {
    fn repeat(&mut self, i: usize) -> bool {
        if self.0.contains(&i) {
            true
        } else {
            self.0.push(i);
            false
        }
    }
}

enum Key {
    /// The top-level `data` member; the trie child named `data`, if any.
    Data(Option<usize>),
    Child(usize),
    Other,
}

struct KeySeed<'a> {
    trie: &'a Trie,
    top: bool,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        let child = self.trie.child(key).map(|(i, _)| i);
        Ok(match child {
            _ if self.top && key == "data" => Key::Data(child),
            Some(i) => Key::Child(i),
            None => Key::Other,
        })
    }
}

/// The top-level `data` member: an object is the event; anything else is an ordinary member.
struct DataSeed<'a, 'f> {
    ctx: &'a mut Ctx<'f>,
    root: &'a Trie,
    child: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for DataSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'a, 'f> DataSeed<'a, 'f> {
    /// `data` is not an object: it is a member like any other, read by the paths through `data`.
    fn ordinary(self) -> NodeVisitor<'a, 'f> {
        NodeVisitor {
            node: self.child.map(|i| &self.root.children[i].1),
            ctx: self.ctx,
            bits: Bits::Root,
        }
    }
}

macro_rules! forward_scalars {
    ($via:ident) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
            self.$via().visit_bool(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
            self.$via().visit_i64(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
            self.$via().visit_u64(v)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
            self.$via().visit_f64(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
            self.$via().visit_str(v)
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            self.$via().visit_unit()
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
            self.$via().visit_seq(seq)
        }
    };
}

impl<'de> Visitor<'de> for DataSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    forward_scalars!(ordinary);

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        // The last `data` member decides; earlier hits in data bits were from an earlier `data`,
        // which makes the record a duplicate-key record evaluated through `Value` anyway.
        self.ctx.data_is_object = true;
        NodeVisitor {
            node: Some(self.root),
            ctx: self.ctx,
            bits: Bits::Data,
        }
        .visit_map(map)
    }
}

struct NodeSeed<'a, 'f> {
    ctx: &'a mut Ctx<'f>,
    node: &'a Trie,
    bits: Bits,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(NodeVisitor {
            node: Some(self.node),
            ctx: self.ctx,
            bits: self.bits,
        })
    }
}

/// Visits a value at a trie node: leaves are tested against the node's terms, objects descend
/// into the node's children, arrays visit each element at the same node.
struct NodeVisitor<'a, 'f> {
    node: Option<&'a Trie>,
    ctx: &'a mut Ctx<'f>,
    bits: Bits,
}

impl NodeVisitor<'_, '_> {
    fn leaf(self, leaf: Leaf<'_>) {
        if let Some(node) = self.node
            && !node.terms.is_empty()
        {
            self.ctx.hit(&node.terms, self.bits, leaf);
        }
    }
}

impl<'de> Visitor<'de> for NodeVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.leaf(Leaf::Bool(v));
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.leaf(Leaf::Int(i128::from(v)));
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.leaf(Leaf::Int(i128::from(v)));
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.leaf(Leaf::Float(v));
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.leaf(Leaf::Str(v));
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.leaf(Leaf::Null);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some(node) = self.node else {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        };
        while seq
            .next_element_seed(NodeSeed {
                ctx: &mut *self.ctx,
                node,
                bits: self.bits,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some(node) = self.node else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(());
        };
        if !node.terms.is_empty() {
            self.ctx.hit(&node.terms, self.bits, Leaf::Other);
        }
        let mut seen = SeenKeys::default();
        while let Some(key) = map.next_key_seed(KeySeed {
            trie: node,
            top: false,
        })? {
            match key {
                Key::Child(i) => {
                    if seen.repeat(i) {
                        self.ctx.duplicate = true;
                    }
                    map.next_value_seed(NodeSeed {
                        ctx: &mut *self.ctx,
                        node: &node.children[i].1,
                        bits: self.bits,
                    })?;
                }
                Key::Data(_) | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}
