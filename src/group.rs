//! Counting matched events by the values of one or more tokens, in the shape of the FIM count API
//! with `groupBy`: `{"Added": 13, "Removed": 3}`, nested one level per key.
//!
//! A missing or `null` value counts under [`MISSING_KEY`]. Where a path crosses arrays, an event
//! counts once under each distinct value it holds. Numbers and booleans count under their JSON
//! text: for an event parsed by a [`Projection`](crate::fields::Projection) that keeps number
//! text (as `fimql filter --group-by` does), numbers as written in the record.
//!
//! ```
//! use fimql::fields::{self, Projection};
//! use fimql::group::GroupBy;
//! use fimql::{Options, Scope};
//!
//! let list = fields::parse_list("severity", &Options::new(Scope::Events))?;
//! let projection = Projection::new(&list).keep_number_text(true);
//! let mut g = GroupBy::new(vec![list[0].path().to_vec()]);
//! for record in [&br#"{"severity": 1E2}"#[..], br#"{"severity": 99999999999999999999999}"#] {
//!     g.add(&projection.parse(record).unwrap());
//! }
//! assert_eq!(g.to_json().to_string(), r#"{"1E2":1,"99999999999999999999999":1}"#);
//! # Ok::<(), fimql::Diagnostics>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use crate::eval::{Leaf, event_root, float_text, leaf_of, walk_values};
use crate::fields::number_text;

/// The key under which events without a value are counted.
pub const MISSING_KEY: &str = "(missing)";

/// Counts events by the values at one or more paths.
///
/// ```
/// use fimql::group::GroupBy;
/// let mut g = GroupBy::new(vec![vec!["action".to_string()]]);
/// g.add(&serde_json::json!({"data": {"action": "Create"}}));
/// g.add(&serde_json::json!({"action": "Create"}));
/// g.add(&serde_json::json!({"action": null}));
/// assert_eq!(g.to_json().to_string(), r#"{"(missing)":1,"Create":2}"#);
/// ```
#[derive(Clone, Debug)]
pub struct GroupBy {
    paths: Vec<Vec<String>>,
    root: Level,
}

#[derive(Clone, Debug, Default)]
struct Level {
    count: u64,
    children: BTreeMap<String, Level>,
}

impl GroupBy {
    /// Groups by these paths (lists of object keys), outermost first.
    pub fn new(paths: Vec<Vec<String>>) -> Self {
        GroupBy {
            paths,
            root: Level::default(),
        }
    }

    /// Counts one event (a search-response element or a bare event).
    pub fn add(&mut self, event: &Json) {
        let root = event_root(event);
        let keys: Vec<BTreeSet<String>> = self.paths.iter().map(|p| values_at(root, p)).collect();
        add_combinations(&mut self.root, &keys);
    }

    /// The counts as nested JSON objects.
    pub fn to_json(&self) -> Json {
        fn level(l: &Level, depth: usize) -> Json {
            if depth == 0 {
                return Json::from(l.count);
            }
            let mut m = Map::new();
            for (k, child) in &l.children {
                m.insert(k.clone(), level(child, depth - 1));
            }
            Json::Object(m)
        }
        level(&self.root, self.paths.len())
    }
}

fn add_combinations(level: &mut Level, keys: &[BTreeSet<String>]) {
    level.count += 1;
    if let Some((first, rest)) = keys.split_first() {
        for k in first {
            add_combinations(level.children.entry(k.clone()).or_default(), rest);
        }
    }
}

/// The distinct values at `path`, as text; [`MISSING_KEY`] when there are none.
fn values_at(root: &Json, path: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    walk_values(root, path, &mut |v| {
        if let Some(text) = number_text(v) {
            out.insert(text.to_string());
            return false;
        }
        let text = match leaf_of(v) {
            Leaf::Null => None,
            Leaf::Bool(b) => Some(b.to_string()),
            Leaf::Int(i) => Some(i.to_string()),
            Leaf::Float(f) => Some(float_text(f)),
            Leaf::Str(s) => Some(s.to_string()),
            Leaf::Other => Some("(object)".to_string()),
        };
        out.extend(text);
        false
    });
    if out.is_empty() {
        out.insert(MISSING_KEY.to_string());
    }
    out
}
