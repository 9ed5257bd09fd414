//! The paths a filter reads, as a trie of object keys, with what the scanner needs to rule a key
//! out quickly: the lengths and first bytes of a node's keys as bit sets, and each key's length
//! with its first and last eight bytes as words ([`KeyWords`]), in a small hash table.

use crate::compile::{Filter, Node, StrTest, Test};

/// The paths of a filter as a trie of object keys.
#[derive(Clone, Debug, Default)]
pub(crate) struct Trie {
    pub(crate) children: Vec<(String, Trie)>,
    /// For each child, its key's first and last 8 bytes as words ([`KeyWords`]).
    words: Vec<KeyWords>,
    /// Bit `n` is set when a child's key is `n` bytes long (bit 63: 63 or more).
    pub(crate) lengths: u64,
    /// Bit `c % 64` is set when a child's key starts with byte `c` (bit 0 too for the empty key).
    pub(crate) firsts: u64,
    /// An open-addressing hash table of the children: slot `KeyWords::slot` (or a later one,
    /// wrapping) holds a child's index plus one; zero marks an empty slot. Built last.
    table: Vec<u8>,
    /// `(term id, index into Filter::tests)` of terms whose path ends here.
    pub(crate) terms: Vec<usize>,
    /// Bit `n` (63: 63 or more) is set when an ASCII string of `n` bytes, without escapes, may
    /// pass a test of the terms here: only lengths of the texts for tests of whole values against
    /// ASCII text (backtick or case-insensitive equality), every length for other tests.
    pub(crate) lengths_may_pass: u64,
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
    pub(crate) fn child(&self, key: &[u8], words: KeyWords) -> Option<usize> {
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
pub(crate) fn first_bit(first: Option<&u8>) -> u64 {
    1u64 << (first.map_or(0, |&c| c) % 64)
}

/// The bit of [`Trie::lengths`] for a key of `n` bytes.
#[inline(always)]
pub(crate) fn length_bit(n: usize) -> u64 {
    1u64 << n.min(63)
}

/// A key's length with its first and last eight bytes (zero-padded when shorter): equal for
/// equal keys, and for keys of up to 16 bytes only for equal keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyWords {
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
    pub(crate) fn at(b: &[u8], start: usize, end: usize) -> KeyWords {
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

    pub(crate) fn of(key: &[u8]) -> KeyWords {
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
