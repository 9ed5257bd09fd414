//! Byte-level JSON lexing for the record matcher: the record's index (one SIMD pass that finds
//! the quotes and backslashes), string ends, escapes and their decoding, numbers read as
//! serde_json reads them, literals, whitespace, and skipping whole values while checking that they
//! are well-formed. Only what serde_json accepts is accepted; `None` means the record goes to
//! serde_json.

use wide::u8x64;

use super::Leaf;
use super::trie::length_bit;

/// How deep the scanner follows nested arrays and objects before handing the record to
/// serde_json, whose own limit (128) then decides.
pub(crate) const MAX_DEPTH: u32 = 100;

/// The buffers of a record's index.
#[derive(Default)]
pub(crate) struct Bitmaps {
    quotes: Vec<u64>,
    escapes: Vec<u64>,
    escaped: Vec<u64>,
}

/// A record and its index: where its string-delimiting quotes are, found for the whole record in
/// one branch-free pass, so that finding the end of a string costs a few bit operations.
#[derive(Clone, Copy)]
pub(crate) struct Record<'r> {
    pub(crate) b: &'r [u8],
    /// Bit `i % 64` of word `i / 64` is set when byte `i` is a quote that is not escaped.
    quotes: &'r [u64],
    /// Bit `i % 64` of word `i / 64` is set when byte `i` is the closing quote of a string with
    /// an escape (only filled when `backslashes`).
    escaped: &'r [u64],
    /// The record has a byte below 0x20 (raw newlines or tabs, as in pretty-printed JSON): strings
    /// are then scanned byte by byte, since such a byte inside a string makes the record invalid.
    careful: bool,
    /// The record has a `\`: strings may have escapes.
    backslashes: bool,
    /// The record has a byte that is not ASCII (it was checked to be UTF-8).
    pub(crate) non_ascii: bool,
}

impl<'r> Record<'r> {
    /// Indexes `b`; `None` when it is not valid UTF-8 or has an invalid escape.
    pub(crate) fn index(b: &'r [u8], bitmaps: &'r mut Bitmaps) -> Option<Record<'r>> {
        let Bitmaps {
            quotes,
            escapes,
            escaped,
        } = bitmaps;
        // One word per 64 bytes, the last one padded.
        let words = b.len() / 64 + 1;
        let full = b.len() / 64;
        quotes.resize(words, 0);
        escapes.resize(words, 0);
        quotes.truncate(words);
        escapes.truncate(words);
        // The smallest and the largest byte: control bytes are below 0x20, and bytes that are
        // not ASCII 0x80 or above.
        let mut low = u8x64::splat(0xFF);
        let mut high = u8x64::splat(0);
        let mut word = |chunk: &[u8; 64]| {
            // One 64-byte vector (four 16-byte ones on the default x86-64 target, two with
            // AVX2, one with AVX-512): compares, then one bit per byte with a move-mask.
            let v = u8x64::new(*chunk);
            let q = v.simd_eq(u8x64::splat(b'"')).to_bitmask();
            let e = v.simd_eq(u8x64::splat(b'\\')).to_bitmask();
            low = low.min(v);
            high = high.max(v);
            (q, e)
        };
        let mut any_escape = 0;
        for ((chunk, q), e) in b
            .chunks_exact(64)
            .zip(&mut quotes[..full])
            .zip(&mut escapes[..full])
        {
            let mut c = [0u8; 64];
            c.copy_from_slice(chunk);
            (*q, *e) = word(&c);
            any_escape |= *e;
        }
        let mut last = [b' '; 64];
        last[..b.len() - full * 64].copy_from_slice(&b[full * 64..]);
        let (q, e) = word(&last);
        quotes[full] = q;
        escapes[full] = e;
        any_escape |= e;
        // Some byte is at most 0x1F; some byte has its high bit set.
        let careful = low.min(u8x64::splat(0x1F)).simd_eq(low).any();
        let non_ascii = high.to_bitmask() != 0;
        if non_ascii {
            std::str::from_utf8(b).ok()?;
        }
        if any_escape != 0 {
            escaped.clear();
            escaped.resize(words, 0);
            // Walk the escapes from the left: each is checked, and a quote it escapes is no
            // delimiter. (A `\` outside a string makes the record invalid; the scan stops there.)
            // The closing quote of a string with escapes is the first quote not escaped after
            // its last escape: marked once the escape after it (or none) is known.
            let mut next = 0;
            let mut pending = None;
            for (w, &word) in escapes.iter().enumerate() {
                let mut m = word;
                while m != 0 {
                    let p = w * 64 + m.trailing_zeros() as usize;
                    m &= m - 1;
                    if p < next {
                        continue;
                    }
                    // Only a quote before this escape closes the string of the escape before:
                    // the search stops at `p`, so that a run of escapes costs linear time.
                    if let Some(from) = pending
                        && let Some(end) = next_bit_before(quotes, from, p)
                    {
                        escaped[end / 64] |= 1 << (end % 64);
                    }
                    next = escape_end(b, p + 1)?;
                    if b.get(p + 1) == Some(&b'"') {
                        quotes[(p + 1) / 64] &= !(1u64 << ((p + 1) % 64));
                    }
                    pending = Some(next);
                }
            }
            if let Some(from) = pending
                && let Some(end) = next_bit(quotes, from)
            {
                escaped[end / 64] |= 1 << (end % 64);
            }
        }
        Some(Record {
            b,
            quotes,
            escaped,
            careful,
            backslashes: any_escape != 0,
            non_ascii,
        })
    }

    /// Whether the string whose closing quote is at `end` has an escape (`start` is the index
    /// just past its opening quote).
    #[inline(always)]
    pub(crate) fn has_escape(&self, start: usize, end: usize) -> bool {
        self.backslashes
            && start < end
            && self
                .escaped
                .get(end / 64)
                .is_some_and(|w| w >> (end % 64) & 1 != 0)
    }

    /// From just after an opening quote: the index of the closing quote.
    #[inline(always)]
    pub(crate) fn string_end(&self, i: usize) -> Option<usize> {
        if self.careful {
            string_end_careful(self.b, i)
        } else {
            self.quote_end(i)
        }
    }

    /// From just after an opening quote, in a record without control bytes: the index of the
    /// closing quote, the next bit of the quote bitmap.
    #[inline(always)]
    fn quote_end(&self, i: usize) -> Option<usize> {
        let mut w = i / 64;
        let mut m = *self.quotes.get(w)? & (!0u64 << (i % 64));
        while m == 0 {
            w += 1;
            m = *self.quotes.get(w)?;
        }
        // The padding of the last word is spaces, so a quote bit is always inside the record.
        let end = w * 64 + m.trailing_zeros() as usize;
        debug_assert!(end < self.b.len());
        Some(end)
    }

    /// The text between `start` and `end`, with escapes decoded into `buf` if it has any.
    pub(crate) fn text<'a>(&self, start: usize, end: usize, buf: &'a mut String) -> Option<&'a str>
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
    pub(crate) fn skip_value(&self, i: usize, depth: u32) -> Option<usize> {
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
    #[inline]
    pub(crate) fn skip_container(&self, i: usize, depth: u32) -> Option<usize> {
        let keys = Keys::NONE;
        let skipped = if self.careful {
            self.skip_as::<true, false>(i, depth, 1, keys)
        } else {
            self.skip_as::<false, false>(i, depth, 1, keys)
        };
        skipped.map(|(end, _)| end)
    }

    /// In an object at depth `depth`, from the value of a member the reader does not want (or
    /// whitespace before it): skips that value and the members after it, checking them, up to
    /// the next key that `keys` does not rule out. Gives the index of that key's opening quote
    /// and `true`, or the index past the object's `}` and `false`.
    #[inline]
    pub(crate) fn skip_members(&self, i: usize, depth: u32, keys: Keys) -> Option<(usize, bool)> {
        // The object is open: its bit is on the stack, and its depth is not counted twice.
        let depth = depth.checked_sub(1)?;
        if self.careful {
            self.skip_as::<true, true>(i, depth, 0b11, keys)
        } else {
            self.skip_as::<false, true>(i, depth, 0b11, keys)
        }
    }

    /// `skip_container` (`MEMBERS` false, from a container's first byte with `stack` 1) and
    /// `skip_members` (`MEMBERS` true, from a member's value with the object on the stack), with
    /// `careful` known at compile time, so that the loop does not test it at every string.
    ///
    /// Without control bytes, string ends come from a cursor over the quote bitmap rather than a
    /// search from each string's start: the loop looks at every byte outside strings, so a
    /// string's opening quote is always the next quote bit not yet passed, and its closing quote
    /// the one after. The cursor's chain (clear the lowest bit) does not wait for the loads of
    /// the bytes, which only feed well-predicted branches. Compact JSON's common shapes are
    /// tested several bytes at a time: `:"` after a key, `,"` after a member, `:null,"`.
    #[inline(never)]
    fn skip_as<const CAREFUL: bool, const MEMBERS: bool>(
        &self,
        mut i: usize,
        depth: u32,
        mut stack: u64,
        keys: Keys,
    ) -> Option<(usize, bool)> {
        let b = self.b;
        if !MEMBERS && !matches!(b.get(i), Some(b'{' | b'[')) {
            return None;
        }
        let mut quotes = Quotes::at(self.quotes, i);
        // From a string's opening quote at `open`: its closing quote.
        macro_rules! string_end {
            ($open:expr) => {
                if CAREFUL {
                    string_end_careful(b, $open + 1)?
                } else {
                    quotes.skip();
                    quotes.next()
                }
            };
        }
        // From a key's opening quote at `i`: members one after another while they are compact
        // and their values strings or `null`; then `continue 'value` at any other value, or
        // on to what follows a string value.
        macro_rules! members {
            ($value:lifetime) => {
                loop {
                    let end = string_end!(i);
                    // A key of the object read by the caller, which it may want.
                    if MEMBERS && stack == 0b11 && keys.may_want(self, i, end) {
                        return Some((i, true));
                    }
                    if pair(b, end + 1) == COLON_QUOTE {
                        i = string_end!(end + 2) + 1;
                        if pair(b, i) == COMMA_QUOTE {
                            i += 1;
                            continue;
                        }
                        break;
                    }
                    if b.get(end + 1) == Some(&b':') {
                        i = end + 2;
                        if starts(b, i, b"null,\"") {
                            i += 5;
                            continue;
                        }
                    } else {
                        i = key_end(b, end)?;
                    }
                    continue $value;
                }
            };
        }
        // `stack`: the open containers, innermost in the lowest bit (1 for an object, 0 for an
        // array), above a sentinel bit: `stack == 1` when none is open. A container may open
        // while `stack < cap`: below `MAX_DEPTH` levels in all, and below 63 in this call
        // (deeper ones are skipped by a call of their own).
        let room = MAX_DEPTH.checked_sub(depth)?;
        let cap: u64 = 1 << room.min(63);
        'value: loop {
            // A value starts at `i`, or whitespace before it.
            let c = *b.get(i)?;
            if c == b'"' {
                i = string_end!(i) + 1;
            } else if c == b'n' {
                if !starts(b, i, b"null") {
                    return None;
                }
                i += 4;
            } else if c.is_ascii_digit() {
                i = int_end(b, i)?;
            } else if c == b'{' || c == b'[' {
                if stack >= cap {
                    // 63 levels open in this call: the rest in a call of its own, if
                    // `MAX_DEPTH` allows.
                    if room <= 63 {
                        return None;
                    }
                    let open = 63 - stack.leading_zeros();
                    i = self
                        .skip_as::<CAREFUL, false>(i, depth + open, 1, Keys::NONE)?
                        .0;
                    quotes = Quotes::at(self.quotes, i);
                } else {
                    i = ws(b, i + 1);
                    let d = *b.get(i)?;
                    if c == b'{' {
                        if d == b'"' {
                            stack = stack << 1 | 1;
                            members!('value);
                        } else if d != b'}' {
                            return None;
                        } else {
                            i += 1;
                            if stack == 1 {
                                return Some((i, false));
                            }
                        }
                    } else if d != b']' {
                        stack <<= 1;
                        continue 'value;
                    } else {
                        i += 1;
                        if stack == 1 {
                            return Some((i, false));
                        }
                    }
                }
            } else if c <= b' ' {
                let next = ws(b, i);
                if next == i {
                    return None;
                }
                i = next;
                continue 'value;
            } else {
                i = skip_scalar(b, i)?;
            }
            // After a value in a container: the next member or element, or the end of
            // containers.
            loop {
                let c = *b.get(i)?;
                if c == b',' {
                    i += 1;
                    if stack & 1 == 0 {
                        continue 'value;
                    }
                    if b.get(i) != Some(&b'"') {
                        i = ws(b, i);
                        if b.get(i) != Some(&b'"') {
                            return None;
                        }
                    }
                    members!('value);
                } else if c == b'}' || c == b']' {
                    // `}` is 0x7D and `]` 0x5D: bit 5 tells them apart.
                    if (c >> 5) & 1 != (stack & 1) as u8 {
                        return None;
                    }
                    i += 1;
                    stack >>= 1;
                    if stack == 1 {
                        return Some((i, false));
                    }
                } else {
                    let next = ws(b, i);
                    if next == i {
                        return None;
                    }
                    i = next;
                }
            }
        }
    }
}

/// The keys a reader may want in an object, as [`Trie`](super::trie::Trie) rules them out:
/// by length and by first byte. A key with an escape is always wanted (it is decoded first).
#[derive(Clone, Copy)]
pub(crate) struct Keys {
    /// Bit `n` (63: 63 or more): a wanted key may be `n` bytes long.
    pub(crate) lengths: u64,
    /// Bit `c % 64`: a wanted key may start with byte `c` (bit 0 also for the empty key).
    pub(crate) firsts: u64,
}

impl Keys {
    /// No key (but those with escapes).
    pub(crate) const NONE: Keys = Keys {
        lengths: 0,
        firsts: 0,
    };

    /// Whether the key between the quotes at `open` and `end` may be wanted.
    #[inline(always)]
    fn may_want(self, rec: &Record<'_>, open: usize, end: usize) -> bool {
        let first = match rec.b.get(open + 1) {
            Some(&c) if end > open + 1 => c,
            _ => 0,
        };
        self.lengths & length_bit(end - open - 1) != 0 && self.firsts & (1u64 << (first % 64)) != 0
            || rec.has_escape(open + 1, end)
    }
}

/// The index of the first set bit at or after bit `i` of `words`.
fn next_bit(words: &[u64], i: usize) -> Option<usize> {
    let mut w = i / 64;
    let mut m = *words.get(w)? & (!0u64 << (i % 64));
    while m == 0 {
        w += 1;
        m = *words.get(w)?;
    }
    Some(w * 64 + m.trailing_zeros() as usize)
}

/// The first set bit at or after `i` and before `limit`, searching no word past `limit`'s.
fn next_bit_before(words: &[u64], i: usize, limit: usize) -> Option<usize> {
    if i >= limit {
        return None;
    }
    let last = (limit - 1) / 64;
    let mut w = i / 64;
    let mut m = *words.get(w)? & (!0u64 << (i % 64));
    while m == 0 {
        w += 1;
        if w > last {
            return None;
        }
        m = *words.get(w)?;
    }
    let bit = w * 64 + m.trailing_zeros() as usize;
    (bit < limit).then_some(bit)
}

/// Whether the bytes at `i` start with `lit`.
#[inline(always)]
fn starts(b: &[u8], i: usize, lit: &[u8]) -> bool {
    b.get(i..).is_some_and(|s| s.starts_with(lit))
}

/// The two bytes at `i` as a little-endian word, or 0 past the end.
#[inline(always)]
fn pair(b: &[u8], i: usize) -> u16 {
    match b.get(i..).and_then(<[u8]>::first_chunk) {
        Some(&two) => u16::from_le_bytes(two),
        None => 0,
    }
}

const COLON_QUOTE: u16 = u16::from_le_bytes(*b":\"");
const COMMA_QUOTE: u16 = u16::from_le_bytes(*b",\"");

/// Skips a number starting with a digit at `i`: short plain integers here, the rest by
/// [`skip_scalar`]. The digits are counted eight bytes at a time where the record has them.
#[inline(always)]
fn int_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        let Some(&w) = b.get(j..).and_then(<[u8]>::first_chunk::<8>) else {
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            break;
        };
        let n = digits8(u64::from_le_bytes(w));
        j += n;
        if n < 8 {
            break;
        }
    }
    if b[i] == b'0' && j > i + 1
        || j - i > LONG_NUMBER
        || matches!(b.get(j), Some(b'.' | b'e' | b'E'))
    {
        return skip_scalar(b, i);
    }
    Some(j)
}

/// How many of the eight bytes of `x` (in memory order) are ASCII digits before the first that
/// is not.
#[inline(always)]
fn digits8(x: u64) -> usize {
    // A byte is a digit when its high nibble is 3 and adding 6 leaves it 3. A byte that is not
    // a digit may carry into the next one, but only the bytes before the first non-digit count.
    let high = x & (ONES * 0xF0);
    let plus6 = x.wrapping_add(ONES * 6) & (ONES * 0xF0);
    let not = (high ^ (ONES * 0x30)) | (plus6 ^ (ONES * 0x30));
    // The high bit of each byte of `not` that is not zero.
    let flags = ((not & (ONES * 0x7F)).wrapping_add(ONES * 0x7F) | not) & HIGHS;
    (flags.trailing_zeros() / 8) as usize
}

/// A cursor over a record's quote bitmap: the quotes at or after a position, in order. Past the
/// last word it finds a quote at the start of each missing word, beyond the record's end, so
/// that a string left open ends out of bounds (and the record is refused there); `bits` is never
/// zero between calls.
struct Quotes<'r> {
    words: &'r [u64],
    /// `w * 64`, where `w` is the word of `bits`.
    base: usize,
    /// The quotes of word `w` not yet passed.
    bits: u64,
}

impl<'r> Quotes<'r> {
    /// The quotes at or after byte `i`.
    #[inline(always)]
    fn at(words: &'r [u64], i: usize) -> Self {
        let w = i / 64;
        let mut q = Quotes {
            words,
            base: w * 64,
            bits: words.get(w).copied().unwrap_or(1) & (!0u64 << (i % 64)),
        };
        q.refill();
        q
    }

    /// Moves on to the next word with a quote, if `bits` is empty.
    #[inline(always)]
    fn refill(&mut self) {
        while self.bits == 0 {
            self.base += 64;
            self.bits = self.words.get(self.base / 64).copied().unwrap_or(1);
        }
    }

    /// Passes the next quote.
    #[inline(always)]
    fn skip(&mut self) {
        self.bits &= self.bits - 1;
        self.refill();
    }

    /// The index of the next quote, passed.
    #[inline(always)]
    fn next(&mut self) -> usize {
        let at = self.base + self.bits.trailing_zeros() as usize;
        self.skip();
        at
    }
}

/// From a key's closing quote at `end`: the index just past the `:` (the value, or whitespace
/// before it, which the caller skips).
#[inline(always)]
fn key_end(b: &[u8], end: usize) -> Option<usize> {
    let mut i = end + 1;
    if b.get(i) != Some(&b':') {
        i = ws(b, i);
        if b.get(i) != Some(&b':') {
            return None;
        }
    }
    Some(i + 1)
}

/// From a key's closing quote at `end`: the index of its value, past the `:` and whitespace.
#[inline(always)]
pub(crate) fn after_colon(b: &[u8], end: usize) -> Option<usize> {
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
pub(crate) fn ws(b: &[u8], mut i: usize) -> usize {
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
pub(crate) fn literal(b: &[u8], i: usize) -> Option<(usize, Leaf<'static>)> {
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
pub(crate) const LONG_NUMBER: usize = 18;

/// From the first byte of a number: the index past it, and whether it is a plain integer (no
/// fraction, no exponent). Checks JSON's number grammar.
pub(crate) fn number_end(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
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
pub(crate) fn number_leaf(text: &[u8], plain: bool) -> Option<Leaf<'static>> {
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
    Some(Leaf::from_number(&n))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each string of a record (without control bytes, outside-string backslashes or invalid
    /// escapes): its opening and closing quotes and whether it has a `\`, by a plain walk.
    fn strings(b: &[u8]) -> Vec<(usize, usize, bool)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'"' {
                let open = i;
                let mut escaped = false;
                i += 1;
                while b[i] != b'"' {
                    if b[i] == b'\\' {
                        escaped = true;
                        i += 1;
                    }
                    i += 1;
                }
                out.push((open, i, escaped));
            }
            i += 1;
        }
        out
    }

    #[test]
    fn the_quote_search_between_escapes_stops_at_its_limit() {
        let words = [0u64, 1 << 3, 0, 1 << 63];
        assert_eq!(next_bit_before(&words, 0, 68), Some(67));
        assert_eq!(next_bit_before(&words, 0, 67), None);
        assert_eq!(next_bit_before(&words, 68, 256), Some(255));
        assert_eq!(next_bit_before(&words, 68, 255), None);
        assert_eq!(next_bit_before(&words, 70, 70), None);
        assert_eq!(next_bit_before(&words, 0, 1000), Some(67));
        // A run of escaped backslashes with the string's closing quote at the far end: each
        // escape's search stops at the next, and the record is read whole.
        let record = format!("{{\"a\":\"{}\"}}", "\\\\".repeat(5000));
        let mut bitmaps = Bitmaps::default();
        assert!(Record::index(record.as_bytes(), &mut bitmaps).is_some());
    }

    /// The index finds every string's closing quote and whether it has escapes, for strings of
    /// escapes and backslash runs at every offset across the 64-byte words.
    #[test]
    fn the_index_finds_string_ends_and_escapes_at_every_offset() {
        let gadgets = [
            r#"\""#,
            r#"\\"#,
            r#"\\\""#,
            r#"\\\\\\\""#,
            r#"\u0022"#,
            r#"\ud83d\ude00"#,
            r#"{}[]:,"#,
            "plain",
            "",
        ];
        let mut bitmaps = Bitmaps::default();
        for a in gadgets {
            for b in gadgets {
                for pad in 0..140 {
                    let p = "p".repeat(pad);
                    let q = "q".repeat(pad % 67);
                    let record = format!(r#"{{"{p}{a}":["{b}{q}","{a}",""],"{q}":"{p}{b}"}}"#);
                    let r = record.as_bytes();
                    assert!(serde_json::from_slice::<serde_json::Value>(r).is_ok());
                    let rec = Record::index(r, &mut bitmaps).unwrap();
                    let want = strings(r);
                    for &(open, close, escaped) in &want {
                        assert_eq!(rec.quote_end(open + 1), Some(close), "{record} at {open}");
                        assert_eq!(rec.has_escape(open + 1, close), escaped, "{record}");
                    }
                    // The cursor meets the same quotes in order.
                    let mut cursor = Quotes::at(rec.quotes, 0);
                    for &(open, close, _) in &want {
                        assert_eq!((cursor.next(), cursor.next()), (open, close), "{record}");
                    }
                    assert!(cursor.next() >= r.len());
                    assert_eq!(rec.skip_container(0, 0), Some(r.len()), "{record}");
                }
            }
        }
    }

    /// `digits8` against a byte-by-byte count, on every byte in every position after a run of
    /// digits; `int_end` on numbers of every length around the eight-byte words.
    #[test]
    fn digits_are_counted_eight_at_a_time() {
        for run in 0..=8 {
            for c in 0..=255u8 {
                let mut w = [b'7'; 8];
                if run < 8 {
                    w[run] = c;
                    // Bytes after the first non-digit do not matter.
                    for (k, x) in w.iter_mut().enumerate().skip(run + 1) {
                        *x = (k as u8).wrapping_mul(37).wrapping_add(c);
                    }
                }
                let want = w.iter().take_while(|d| d.is_ascii_digit()).count();
                assert_eq!(digits8(u64::from_le_bytes(w)), want, "{w:?}");
            }
        }
        for len in 1..=24 {
            for tail in ["", ",", "}", ".5", "e3", "x", " "] {
                let text = format!("{}{tail}", "9".repeat(len));
                let b = text.as_bytes();
                let want = number_end(b, 0).and_then(|(end, plain)| {
                    (plain && end <= LONG_NUMBER || number_leaf(&b[..end], plain).is_some())
                        .then_some(end)
                });
                assert_eq!(int_end(b, 0), want, "{text}");
            }
        }
    }
}
