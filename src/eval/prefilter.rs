//! A cheap byte-level test that can prove a record cannot match, before parsing it.
//!
//! From the compiled tree we derive a necessary condition over literals: a term that compares
//! strings can only hold if the record's bytes contain the needle (between quotes when the whole
//! value must equal it; after a quote for a wildcard that starts with a literal; otherwise a
//! wildcard's longest literal piece); `AND` needs all of its operands' conditions, `OR` any, and `NOT` gives no
//! condition. Only literals that must appear verbatim in the JSON text are used: printable ASCII
//! with no `"` or `\`, and not number-like (a JSON number can be written in several ways).
//! The test is skipped (the record is parsed) when the record contains a `\u` or `\/` escape,
//! which could hide a literal, and, for case-insensitive literals, when the record holds any
//! non-ASCII byte (a few non-ASCII letters lower-case to ASCII ones).

use memchr::{memchr, memchr2, memmem};

use crate::compile::{Filter, Node, StrTest, Test};

/// A literal that must occur.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Literal {
    /// Lower-cased when `fold`.
    bytes: Vec<u8>,
    fold: bool,
}

#[derive(Clone, Debug)]
enum Req {
    True,
    Lit(usize),
    All(Vec<Req>),
    Any(Vec<Req>),
}

/// The necessary condition of a filter.
#[derive(Clone, Debug)]
pub(crate) struct Prefilter {
    req: Req,
    literals: Vec<Literal>,
    any_fold: bool,
}

impl Prefilter {
    /// The condition, or `None` when the filter gives none (e.g. only numbers or `NOT`).
    pub(crate) fn build(filter: &Filter) -> Option<Prefilter> {
        let mut literals = Vec::new();
        let req = node(&filter.root, &mut literals);
        if matches!(req, Req::True) {
            return None;
        }
        let any_fold = literals.iter().any(|l| l.fold);
        Some(Prefilter {
            req,
            literals,
            any_fold,
        })
    }

    /// False only when the record certainly does not match.
    pub(crate) fn could_match(&self, record: &[u8]) -> bool {
        if hides_literals(record) || (self.any_fold && !record.is_ascii()) {
            return true;
        }
        let mut seen: Vec<Option<bool>> = vec![None; self.literals.len()];
        eval(&self.req, &self.literals, record, &mut seen)
    }
}

fn eval(req: &Req, lits: &[Literal], record: &[u8], seen: &mut [Option<bool>]) -> bool {
    match req {
        Req::True => true,
        Req::Lit(i) => *seen[*i].get_or_insert_with(|| contains(record, &lits[*i])),
        Req::All(xs) => xs.iter().all(|x| eval(x, lits, record, seen)),
        Req::Any(xs) => xs.iter().any(|x| eval(x, lits, record, seen)),
    }
}

fn node(n: &Node, lits: &mut Vec<Literal>) -> Req {
    match n {
        Node::Not(_) => Req::True,
        Node::And(xs) => {
            let parts: Vec<Req> = xs
                .iter()
                .map(|x| node(x, lits))
                .filter(|r| !matches!(r, Req::True))
                .collect();
            if parts.is_empty() {
                Req::True
            } else {
                Req::All(parts)
            }
        }
        Node::Or(xs) => {
            let parts: Vec<Req> = xs.iter().map(|x| node(x, lits)).collect();
            if parts.iter().any(|r| matches!(r, Req::True)) {
                Req::True
            } else {
                Req::Any(parts)
            }
        }
        Node::Term(t) => match &t.test {
            Test::Str(tests) if !tests.is_empty() => {
                let mut any = Vec::new();
                for test in tests {
                    let lit = match test {
                        // A whole string value stands between quotes in the JSON text.
                        StrTest::Exact(x) => whole(x, false),
                        StrTest::EqFold(x) => whole(x, true),
                        StrTest::ContainsFold(x) => literal(x, true),
                        StrTest::Wildcard(p) => {
                            match p.literal_prefix().and_then(|x| literal(x, true)) {
                                // After a quote, unless the value could be a JSON boolean,
                                // written without quotes (`tru*` matches `true`).
                                Some(mut l) if !could_start_boolean(&l.bytes) => {
                                    l.bytes.insert(0, b'"');
                                    Some(l)
                                }
                                _ => p.longest_literal().and_then(|x| literal(x, true)),
                            }
                        }
                    };
                    match lit {
                        Some(l) => {
                            let i = match lits.iter().position(|x| *x == l) {
                                Some(i) => i,
                                None => {
                                    lits.push(l);
                                    lits.len() - 1
                                }
                            };
                            any.push(Req::Lit(i));
                        }
                        None => return Req::True,
                    }
                }
                Req::Any(any)
            }
            _ => Req::True,
        },
    }
}

/// Whether a (lower-cased) literal is the start of `true` or `false`.
fn could_start_boolean(lit: &[u8]) -> bool {
    b"true".starts_with(lit) || b"false".starts_with(lit)
}

/// The literal for a test on the whole value: the needle between quotes. Not for `true` and
/// `false`, which also match JSON booleans, written without quotes.
fn whole(text: &str, fold: bool) -> Option<Literal> {
    let mut l = literal(text, fold)?;
    if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") {
        return Some(l);
    }
    l.bytes.insert(0, b'"');
    l.bytes.push(b'"');
    Some(l)
}

/// A usable literal: printable ASCII without `"` or `\`, and not something a number could print.
fn literal(text: &str, fold: bool) -> Option<Literal> {
    let b = text.as_bytes();
    let usable = !b.is_empty()
        && b.iter()
            .all(|&c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
        && !b
            .iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    usable.then(|| Literal {
        bytes: if fold {
            b.to_ascii_lowercase()
        } else {
            b.to_vec()
        },
        fold,
    })
}

/// Whether the record has an escape that could hide a literal character: `\u` or `\/`.
fn hides_literals(record: &[u8]) -> bool {
    let mut at = 0;
    while let Some(i) = memchr(b'\\', &record[at..]) {
        let j = at + i;
        match record.get(j + 1) {
            Some(b'u' | b'/') => return true,
            // Skip the escaped character (an escaped backslash must not start another escape).
            Some(_) => at = j + 2,
            None => return false,
        }
    }
    false
}

fn contains(hay: &[u8], lit: &Literal) -> bool {
    if !lit.fold {
        return memmem::find(hay, &lit.bytes).is_some();
    }
    // Case-insensitive: look for the needle's rarest byte (in either case), then compare around it.
    let needle = &lit.bytes;
    let (r, &rare) = needle
        .iter()
        .enumerate()
        .max_by_key(|&(_, &b)| rarity(b))
        .unwrap_or((0, &needle[0]));
    let (lo, up) = (rare.to_ascii_lowercase(), rare.to_ascii_uppercase());
    let mut at = r;
    while at < hay.len() {
        let found = if lo == up {
            memchr(lo, &hay[at..])
        } else {
            memchr2(lo, up, &hay[at..])
        };
        let Some(i) = found else {
            return false;
        };
        let p = at + i;
        let start = p - r;
        if start + needle.len() > hay.len() {
            return false;
        }
        if hay[start..start + needle.len()].eq_ignore_ascii_case(needle) {
            return true;
        }
        at = p + 1;
    }
    false
}

/// How rare a byte is in JSON text, roughly: JSON punctuation least, then letters by their
/// frequency in English, digits, other punctuation. Higher is rarer.
fn rarity(b: u8) -> u8 {
    const LETTERS: &[u8] = b"etaoinsrhldcumfpgwybvkxjqz";
    let l = b.to_ascii_lowercase();
    match LETTERS.iter().position(|&c| c == l) {
        Some(i) => 10 + i as u8,
        None if b.is_ascii_digit() => 5,
        // JSON's own punctuation is everywhere.
        None if matches!(b, b'"' | b':' | b',' | b'{' | b'}' | b'[' | b']') => 0,
        None if b == b' ' || b == b'-' || b == b'_' || b == b'.' => 1,
        None => 40,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, Scope, compile};

    fn pf(src: &str) -> Option<Prefilter> {
        Prefilter::build(&compile(src, &Options::new(Scope::Events)).unwrap())
    }

    #[test]
    fn conditions() {
        let p = pf("action:Create").unwrap();
        assert!(p.could_match(br#"{"action":"CREATE"}"#));
        assert!(!p.could_match(br#"{"action":"Delete"}"#));
        // An escape could hide the literal: parse.
        assert!(p.could_match(br#"{"action":"Cr\u0065ate"}"#));
        // Non-ASCII could lower-case to ASCII: parse.
        assert!(p.could_match("{\"action\":\"é\"}".as_bytes()));
        assert!(pf("NOT action:Create").is_none());
        assert!(pf("severity:4").is_none());
        assert!(pf("asset.tags:8543820").is_none(), "number-like literal");
        let p = pf("asset.name:DESKTOP* AND NOT actor.process:explorer.exe").unwrap();
        assert!(p.could_match(br#"{"asset":{"name":"desktop-1"}}"#));
        assert!(!p.could_match(br#"{"asset":{"name":"web01"}}"#));
        let p = pf("action:`Create` OR file.name:x*").unwrap();
        assert!(!p.could_match(br#"{"action":"create"}"#));
        assert!(p.could_match(br#"{"name":"X1"}"#));
        // Whole values are looked for between quotes, except true and false (JSON booleans).
        let p = pf("action:Create").unwrap();
        assert!(!p.could_match(br#"{"createdBy":"x","action":"Delete"}"#));
        assert!(p.could_match(br#"{"action":"create"}"#));
        let p = pf("file.name:true").unwrap();
        assert!(p.could_match(br#"{"name":true}"#));
        let p = pf("asset.name:DESKTOP*").unwrap();
        assert!(!p.could_match(br#"{"name":"my-desktop"}"#));
        assert!(p.could_match(br#"{"name":"Desktop-1"}"#));
        // A pattern that could match a JSON boolean's text (found by the differential tests).
        let p = pf("file.name:TRu*E").unwrap();
        assert!(p.could_match(br#"{"name":true}"#));
        let p = pf("asset.name:*Desktop*").unwrap();
        assert!(p.could_match(br#"{"k":"xxdESKtop"}"#));
        assert!(p.could_match(br#"{"k":"DESKTOP"}"#));
        assert!(!p.could_match(br#"{"k":"desk top","k2":"esktop","k3":"deskto"}"#));
    }

    #[test]
    fn escaped_backslashes_do_not_hide_anything() {
        assert!(!hides_literals(br#"{"p":"C:\\users\\x"}"#));
        assert!(hides_literals(br#"{"p":"a\/b"}"#));
        assert!(!hides_literals(br#"{"p":"a\\/b"}"#));
    }
}
