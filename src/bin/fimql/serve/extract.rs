//! The values at a few paths of one record, read without building the record.
//!
//! The histogram needs the time of every matching event and the group-by bars the values of one
//! token: parsing each matching record into a `serde_json::Value` for that would cost more than
//! matching it. Here serde_json walks the record once with a visitor that descends only into the
//! members on the wanted paths and skips the others (`IgnoredAny`), allocating nothing for them.
//!
//! The paths apply as the filter's do (`grammar.md`, "How values match"): to the record's `data`
//! member when it holds an object, else to the record; a path crosses arrays at any level; a
//! value at the end of a path that is an array gives each of its elements.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One value found at a path.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val {
    Null,
    Bool(bool),
    /// A number that is not an integer in canonical form, as written in the record.
    Num(String),
    /// An integer, kept as such too (epoch milliseconds in time fields).
    Int(i64),
    Str(String),
    /// An object.
    Object,
}

impl Val {
    /// The text a group-by counts this value under, as `fimql::group` does; `None` for null.
    pub(crate) fn group_key(&self) -> Option<String> {
        match self {
            Val::Null => None,
            Val::Bool(b) => Some(b.to_string()),
            Val::Num(n) => Some(n.clone()),
            Val::Int(i) => Some(i.to_string()),
            Val::Str(s) => Some(s.clone()),
            Val::Object => Some("(object)".to_string()),
        }
    }
}

/// The values at each of `paths` (lists of object keys) in the record `bytes`, one list per
/// path, in document order.
pub(crate) fn extract(bytes: &[u8], paths: &[Vec<String>]) -> Result<Vec<Vec<Val>>, String> {
    extract_with(bytes, paths, false)
}

/// The first value at the one path in `paths`, which crosses no array: the rest of the record
/// is not read once it is found in the record's `data` object (what the histogram needs of each
/// matching record, whose well-formedness the matcher has already checked). A value found at the
/// top of the record does not end the reading: a `data` object after it takes precedence.
pub(crate) fn extract_first(bytes: &[u8], path: &[String]) -> Result<Option<Val>, String> {
    let mut got = extract_with(bytes, std::slice::from_ref(&path.to_vec()), true)?;
    Ok(got
        .pop()
        .and_then(|mut v| (!v.is_empty()).then(|| v.swap_remove(0))))
}

/// The error that ends the reading early; never seen by a caller.
const STOP: &str = "\u{0}fimql: found";

fn extract_with(
    bytes: &[u8],
    paths: &[Vec<String>],
    first_only: bool,
) -> Result<Vec<Vec<Val>>, String> {
    // Slot i is path i from the record itself, slot n + i path i from its `data` member.
    let n = paths.len();
    let mut out = vec![Vec::new(); 2 * n];
    let mut data_is_object = false;
    let mut found = false;
    let cursors: Vec<Cursor> = (0..2 * n).map(|slot| Cursor { slot, depth: 0 }).collect();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Node {
        paths,
        cursors,
        out: &mut out,
        top: true,
        is_data: false,
        data_is_object: &mut data_is_object,
        stop: first_only.then_some(&mut found),
    };
    match seed.deserialize(&mut de) {
        Err(_) if found => {}
        Err(e) => return Err(e.to_string()),
        Ok(()) => de.end().map_err(|e| e.to_string())?,
    }
    let keep = if data_is_object { n..2 * n } else { 0..n };
    Ok(out.drain(keep).collect())
}

/// A path being followed: which slot, and how many of its keys are behind.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    slot: usize,
    depth: usize,
}

struct Node<'p, 'o> {
    paths: &'p [Vec<String>],
    cursors: Vec<Cursor>,
    out: &'o mut Vec<Vec<Val>>,
    /// The record itself (not a member of it).
    top: bool,
    /// The record's `data` member.
    is_data: bool,
    data_is_object: &'o mut bool,
    /// Set, when reading only the first value, once one is found in `data`.
    stop: Option<&'o mut bool>,
}

impl Node<'_, '_> {
    /// The key list of a slot: slots past the number of paths are the same paths under `data`.
    fn key(&self, c: Cursor) -> Option<&str> {
        let n = self.paths.len();
        if c.slot < n {
            self.paths[c.slot].get(c.depth).map(String::as_str)
        } else if c.depth == 0 {
            Some("data")
        } else {
            self.paths[c.slot - n].get(c.depth - 1).map(String::as_str)
        }
    }

    fn at_end(&self, c: Cursor) -> bool {
        self.key(c).is_none()
    }

    /// Records a value for the cursors at the end of their path; an error when the reading
    /// can stop (see [`extract_first`]).
    fn leaf<E: de::Error>(&mut self, v: impl Fn() -> Val) -> Result<(), E> {
        let n = self.paths.len();
        let mut stop = false;
        for i in 0..self.cursors.len() {
            let c = self.cursors[i];
            if self.at_end(c) {
                self.out[c.slot].push(v());
                stop |= c.slot >= n;
            }
        }
        match &mut self.stop {
            Some(found) if stop => {
                **found = true;
                Err(E::custom(STOP))
            }
            _ => Ok(()),
        }
    }

    /// The node of a member or element below this one.
    fn child(&mut self, cursors: Vec<Cursor>, is_data: bool) -> Node<'_, '_> {
        Node {
            paths: self.paths,
            cursors,
            out: self.out,
            top: false,
            is_data,
            data_is_object: self.data_is_object,
            stop: self.stop.as_deref_mut(),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(mut self, d: D) -> Result<(), D::Error> {
        if !self.cursors.iter().any(|&c| self.at_end(c)) {
            return d.deserialize_any(self);
        }
        // A value at the end of a path: its text first, so that a number counts under the text
        // it is written with (`1E2`, `3.0`), as `fimql filter --group-by` counts it.
        let raw = <&serde_json::value::RawValue as serde::Deserialize>::deserialize(d)?;
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'-' | b'0'..=b'9') => self.leaf(|| number(text)),
            // A string without escapes, the common case: its text between the quotes.
            Some(b'"') if !text.contains('\\') && text.len() >= 2 => {
                self.leaf(|| Val::Str(text[1..text.len() - 1].to_string()))
            }
            _ => {
                let mut inner = serde_json::Deserializer::from_str(text);
                de::Deserializer::deserialize_any(&mut inner, self).map_err(de::Error::custom)
            }
        }
    }
}

/// A number as written: an integer in canonical form (epoch milliseconds, for the histogram)
/// as such, any other number as its text.
fn number(text: &str) -> Val {
    match text.parse::<i64>() {
        Ok(i) if i.to_string() == text => Val::Int(i),
        _ => Val::Num(text.to_string()),
    }
}

impl<'de> Visitor<'de> for Node<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<(), E> {
        self.leaf(|| Val::Null)
    }

    fn visit_bool<E: de::Error>(mut self, b: bool) -> Result<(), E> {
        self.leaf(|| Val::Bool(b))
    }

    fn visit_i64<E: de::Error>(mut self, i: i64) -> Result<(), E> {
        self.leaf(|| Val::Int(i))
    }

    fn visit_u64<E: de::Error>(mut self, u: u64) -> Result<(), E> {
        self.leaf(|| i64::try_from(u).map_or_else(|_| Val::Num(u.to_string()), Val::Int))
    }

    fn visit_f64<E: de::Error>(mut self, f: f64) -> Result<(), E> {
        self.leaf(|| {
            Val::Num(serde_json::Number::from_f64(f).map_or_else(String::new, |n| n.to_string()))
        })
    }

    fn visit_str<E: de::Error>(mut self, s: &str) -> Result<(), E> {
        self.leaf(|| Val::Str(s.to_string()))
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        // Arrays are crossed: each element is followed by the same paths.
        if self.cursors.is_empty() {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        loop {
            let cursors = self.cursors.clone();
            if seq.next_element_seed(self.child(cursors, false))?.is_none() {
                return Ok(());
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        if self.is_data {
            *self.data_is_object = true;
        }
        self.leaf(|| Val::Object)?;
        let mut next = Vec::new();
        loop {
            let key = map.next_key_seed(KeySeed {
                node: &self,
                next: &mut next,
            })?;
            let Some(is_data) = key else {
                return Ok(());
            };
            if next.is_empty() && !(is_data && self.top) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let is_data = is_data && self.top;
            map.next_value_seed(self.child(std::mem::take(&mut next), is_data))?;
        }
    }
}

/// Reads a key and sets `next` to the cursors that go on below it; says whether it is `data`.
struct KeySeed<'a, 'p, 'o> {
    node: &'a Node<'p, 'o>,
    next: &'a mut Vec<Cursor>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_, '_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<bool, E> {
        self.next.clear();
        for &c in &self.node.cursors {
            if self.node.key(c) == Some(key) {
                self.next.push(Cursor {
                    slot: c.slot,
                    depth: c.depth + 1,
                });
            }
        }
        Ok(key == "data")
    }
}

#[cfg(test)]
mod tests {
    use fimql::group::GroupBy;

    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_string).collect()
    }

    #[test]
    fn finds_values_under_data_or_at_the_top_crossing_arrays() {
        let paths = [path("dateTime"), path("profiles.rules.name"), path("size")];
        let rec = br#"{"sortValues":[1,"x"],"data":{"dateTime":"2023-01-25T21:06:31.867+0000","size":[1,[2.5,null]],"profiles":[{"rules":[{"name":"a"},{"name":"b\"c"}]},{"rules":{"name":"d"}}],"other":{"dateTime":"no"}}}"#;
        let got = extract(rec, &paths).unwrap();
        assert_eq!(
            got[0],
            vec![Val::Str("2023-01-25T21:06:31.867+0000".into())]
        );
        assert_eq!(
            got[1],
            vec![
                Val::Str("a".into()),
                Val::Str("b\"c".into()),
                Val::Str("d".into())
            ]
        );
        assert_eq!(got[2], vec![Val::Int(1), Val::Num("2.5".into()), Val::Null]);
        // Without an object in `data`, the paths start at the record.
        let bare = br#"{"data":"text","dateTime":1674680791867}"#;
        assert_eq!(
            extract(bare, &paths).unwrap()[0],
            vec![Val::Int(1674680791867)]
        );
    }

    #[test]
    fn the_first_value_ends_the_reading_only_inside_data() {
        let p = path("dateTime");
        // Found in `data`: the rest is not read (so not checked either).
        let rec = br#"{"data":{"dateTime":"2023-01-25T21:06:31Z","rest":[1,2"#;
        assert_eq!(
            extract_first(rec, &p).unwrap(),
            Some(Val::Str("2023-01-25T21:06:31Z".into()))
        );
        // At the top, a `data` object after it wins.
        let rec = br#"{"dateTime":"top","data":{"dateTime":"inner"}}"#;
        assert_eq!(
            extract_first(rec, &p).unwrap(),
            Some(Val::Str("inner".into()))
        );
        let rec = br#"{"dateTime":"top","data":{"x":1}}"#;
        assert_eq!(extract_first(rec, &p).unwrap(), None);
        let rec = br#"{"dateTime":"top","data":null}"#;
        assert_eq!(
            extract_first(rec, &p).unwrap(),
            Some(Val::Str("top".into()))
        );
        assert!(extract_first(br#"{"x":"#, &p).is_err());
    }

    #[test]
    fn malformed_records_are_errors_not_panics() {
        let paths = [path("a")];
        for bad in [&b"{"[..], b"{\"a\":}", b"[1,", b"", b"{\"a\":1} x", b"\xff"] {
            assert!(extract(bad, &paths).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn numbers_keep_the_text_they_are_written_with() {
        let rec = br#"{"data":{"a":[1E2,3.0,-0,7,99999999999999999999,1.50],"b":{"c":-12}}}"#;
        let got = extract(rec, &[path("a"), path("b.c")]).unwrap();
        let num = |t: &str| Val::Num(t.to_string());
        assert_eq!(
            got[0],
            vec![
                num("1E2"),
                num("3.0"),
                num("-0"),
                Val::Int(7),
                num("99999999999999999999"),
                num("1.50")
            ]
        );
        assert_eq!(got[1], vec![Val::Int(-12)]);
        // What `fimql filter --group-by` counts them under (number text kept).
        let opts = fimql::Options::new(fimql::Scope::Events).allow_unknown(true);
        let list = fimql::fields::parse_list("a", &opts).unwrap();
        let projection = fimql::fields::Projection::new(&list).keep_number_text(true);
        let mut lib = GroupBy::new(vec![path("a")]);
        lib.add(&projection.parse(rec).unwrap());
        let keys: Vec<String> = got[0].iter().filter_map(Val::group_key).collect();
        let lib_keys: Vec<String> = lib.to_json().as_object().unwrap().keys().cloned().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, lib_keys);
    }

    #[test]
    fn group_keys_agree_with_the_library_group_by() {
        let records = [
            r#"{"data":{"action":"Create","tags":["x","y","x"]}}"#,
            r#"{"action":null,"tags":[]}"#,
            r#"{"action":3,"tags":[[true,{"k":1}],2.5]}"#,
            r#"{"action":{"nested":1},"tags":"z"}"#,
        ];
        for p in ["action", "tags"] {
            let mut lib = GroupBy::new(vec![path(p)]);
            let mut ours = std::collections::BTreeMap::<String, u64>::new();
            for r in records {
                lib.add(&serde_json::from_str(r).unwrap());
                let vals = &extract(r.as_bytes(), &[path(p)]).unwrap()[0];
                let mut keys: std::collections::BTreeSet<String> =
                    vals.iter().filter_map(Val::group_key).collect();
                if keys.is_empty() {
                    keys.insert(fimql::group::MISSING_KEY.to_string());
                }
                for k in keys {
                    *ours.entry(k).or_default() += 1;
                }
            }
            assert_eq!(serde_json::to_value(&ours).unwrap(), lib.to_json(), "{p}");
        }
    }
}
