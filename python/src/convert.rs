//! Python values to the library's types: events (dicts) to JSON values, scopes, clocks.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use fimql::date::{FilterDate, Instant};
use fimql::{Filter, Scope};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value as Json};

use crate::diag::{name_error, text_or};

/// How many containers (dicts, lists, tuples) may nest in an event given as a dict: as many as
/// serde_json reads in JSON text (its recursion limit of 128 stops at the 128th). More, or a
/// container that holds itself, is a `RecordError`, as that JSON text is.
pub const MAX_NESTING: usize = 127;

/// The strings of any iterable of `str` (a list, a tuple, a generator), for an argument that
/// takes several; a single `str` (or `bytes`) is refused with a `TypeError` naming `what`, as
/// iterating it would give its characters. `text` makes each item's text.
pub fn strings<'py>(
    v: &Bound<'py, PyAny>,
    what: &str,
    mut text: impl FnMut(&Bound<'py, PyString>) -> PyResult<String>,
) -> PyResult<Vec<String>> {
    if v.cast::<PyString>().is_ok() || v.cast::<pyo3::types::PyBytes>().is_ok() {
        return Err(PyTypeError::new_err(format!(
            "{what}: pass a list of strings, not a single {} (e.g. [{}])",
            type_name(v),
            v.repr()
                .map_or_else(|_| "...".to_string(), |r| r.to_string())
        )));
    }
    let Ok(items) = v.try_iter() else {
        return Err(PyTypeError::new_err(format!(
            "{what}: pass a list of strings, not {}",
            type_name(v)
        )));
    };
    let mut out = Vec::new();
    for item in items {
        let item = item?;
        match item.cast::<PyString>() {
            Ok(s) => out.push(text(s)?),
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "{what}: every item is a str, not {}",
                    type_name(&item)
                )));
            }
        }
    }
    Ok(out)
}

/// `"events"` or `"incidents"`.
pub fn scope(name: &str) -> PyResult<Scope> {
    Scope::from_str(name).map_err(|d| name_error(&d))
}

/// The clock for `now` in a filter: a timestamp as `--now` takes it (`2023-01-10T12:00:00Z`), or a
/// `datetime` (a naive one is taken as UTC).
pub fn instant(now: &Bound<'_, PyAny>) -> PyResult<Instant> {
    if let Ok(s) = now.cast::<PyString>() {
        let text = crate::diag::argument_text(s, "now")?;
        return match FilterDate::parse(&text) {
            Ok(d) => d.fixed().ok_or_else(|| {
                PyValueError::new_err(format!("now: give a fixed timestamp, not `{text}`"))
            }),
            Err(e) => Err(PyValueError::new_err(format!(
                "now: `{text}` is not a timestamp: {}",
                e.message
            ))),
        };
    }
    if let Some(t) = datetime_utc(now)? {
        return Ok(t);
    }
    Err(PyTypeError::new_err(format!(
        "now: expected a timestamp string or a datetime, not {}",
        type_name(now)
    )))
}

/// A `datetime` as a UTC instant: an aware one through its own `astimezone` (so that any tzinfo,
/// `zoneinfo` included, counts), a naive one taken as UTC; `None` for anything else.
pub fn datetime_utc(v: &Bound<'_, PyAny>) -> PyResult<Option<DateTime<Utc>>> {
    if v.cast::<pyo3::types::PyDateTime>().is_err() {
        return Ok(None);
    }
    if v.getattr("tzinfo")?.is_none() {
        return Ok(Some(v.extract::<NaiveDateTime>()?.and_utc()));
    }
    let utc = v
        .py()
        .import("datetime")?
        .getattr("timezone")?
        .getattr("utc")?;
    let t = v.call_method1("astimezone", (utc,)).map_err(|e| {
        if e.is_instance_of::<pyo3::exceptions::PyOverflowError>(v.py()) {
            PyValueError::new_err(format!(
                "{v} is out of the range of dates in UTC (years 1 to 9999)"
            ))
        } else {
            e
        }
    })?;
    Ok(Some(
        t.extract::<DateTime<FixedOffset>>()?.with_timezone(&Utc),
    ))
}

pub fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map_or_else(|_| "?".to_string(), |n| n.to_string())
}

/// The keys a filter reads, as a tree: an event given as a dict is converted along these paths
/// only (the rest of the event cannot change the answer).
pub struct PathTree {
    nodes: Vec<PathNode>,
}

#[derive(Default)]
struct PathNode {
    children: Vec<(String, usize)>,
    /// A path ends here: the whole value is converted.
    leaf: bool,
}

impl PathTree {
    pub fn new(filter: &Filter) -> PathTree {
        let mut nodes = vec![PathNode::default()];
        for path in filter.paths() {
            let mut at = 0;
            for key in path {
                at = match nodes[at].children.iter().find(|(k, _)| k == key) {
                    Some(&(_, i)) => i,
                    None => {
                        nodes.push(PathNode::default());
                        let i = nodes.len() - 1;
                        nodes[at].children.push((key.clone(), i));
                        i
                    }
                };
            }
            nodes[at].leaf = true;
        }
        PathTree { nodes }
    }

    /// The part of `event` (a dict: a bare event, or a search-response element with `data`)
    /// that the filter reads, as JSON. `Filter::matches` gives the same answer on it as on the
    /// whole event.
    pub fn event(&self, event: &Bound<'_, PyAny>) -> PyResult<Json> {
        let Ok(dict) = event.cast::<PyDict>() else {
            return Err(PyTypeError::new_err(format!(
                "an event is a dict, or JSON text as str or bytes, not {}",
                type_name(event)
            )));
        };
        // The filter applies to `data` when it holds an object (a search-response element).
        if let Some(data) = dict.get_item("data")? {
            if let Ok(data) = data.cast::<PyDict>() {
                let inner = self.pruned(data.as_any(), 0, 1)?;
                let mut root = Map::new();
                root.insert("data".to_string(), inner);
                return Ok(Json::Object(root));
            }
            // Not an object: the event is the dict itself, but `data` must still be JSON (as
            // `explain` requires).
            to_json(&data, 1)?;
        }
        self.pruned(event, 0, 0)
    }

    fn pruned(&self, v: &Bound<'_, PyAny>, node: usize, depth: usize) -> PyResult<Json> {
        let n = &self.nodes[node];
        if n.leaf {
            return to_json(v, depth);
        }
        if let Ok(list) = v.cast::<PyList>() {
            enter(v.py(), depth)?;
            return list
                .iter()
                .map(|x| self.pruned(&x, node, depth + 1))
                .collect::<PyResult<_>>()
                .map(Json::Array);
        }
        if let Ok(tuple) = v.cast::<PyTuple>() {
            enter(v.py(), depth)?;
            return tuple
                .iter()
                .map(|x| self.pruned(&x, node, depth + 1))
                .collect::<PyResult<_>>()
                .map(Json::Array);
        }
        if let Ok(dict) = v.cast::<PyDict>() {
            enter(v.py(), depth)?;
            let mut out = Map::new();
            for (key, child) in &n.children {
                if let Some(x) = dict.get_item(key)? {
                    out.insert(key.clone(), self.pruned(&x, *child, depth + 1)?);
                }
            }
            return Ok(Json::Object(out));
        }
        // A scalar where the path goes on: no value is found there, whatever it is. Anything
        // else (a set, a mapping that is not a dict) is refused as `explain` refuses it, rather
        // than read as missing.
        to_json(v, depth)?;
        Ok(Json::Null)
    }
}

/// Entering a container at `depth` (the number of containers around it): a `RecordError` past
/// [`MAX_NESTING`].
fn enter(py: Python<'_>, depth: usize) -> PyResult<()> {
    if depth < MAX_NESTING {
        return Ok(());
    }
    Err(crate::diag::record_error(
        py,
        None,
        None,
        fimql::error::Code::InvalidRecord.as_str(),
        &format!(
            "the event nests lists and dicts deeper than {MAX_NESTING} levels (or one holds \
             itself), deeper than JSON text is read"
        ),
    ))
}

/// A Python value as JSON: dict (with str keys), list, tuple, str, int, float, bool, None.
pub fn to_json(v: &Bound<'_, PyAny>, depth: usize) -> PyResult<Json> {
    if v.is_none() {
        return Ok(Json::Null);
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Json::Bool(b.is_true()));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Json::String(event_string(s, "a string value")?));
    }
    if v.cast::<PyInt>().is_ok() {
        if let Ok(i) = v.extract::<i64>() {
            return Ok(Json::from(i));
        }
        if let Ok(u) = v.extract::<u64>() {
            return Ok(Json::from(u));
        }
        // Beyond 64 bits, as serde_json reads such a number from JSON text: a float; beyond the
        // floats' range, out of range as in JSON text.
        let f: f64 = v.extract().map_err(|_| {
            crate::diag::record_error(
                v.py(),
                None,
                None,
                fimql::error::Code::InvalidRecord.as_str(),
                "number out of range (an int beyond the range of a float)",
            )
        })?;
        return Ok(Number::from_f64(f).map_or(Json::Null, Json::Number));
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        return Ok(Number::from_f64(f.value()).map_or(Json::Null, Json::Number));
    }
    if let Ok(list) = v.cast::<PyList>() {
        enter(v.py(), depth)?;
        return list
            .iter()
            .map(|x| to_json(&x, depth + 1))
            .collect::<PyResult<_>>()
            .map(Json::Array);
    }
    if let Ok(tuple) = v.cast::<PyTuple>() {
        enter(v.py(), depth)?;
        return tuple
            .iter()
            .map(|x| to_json(&x, depth + 1))
            .collect::<PyResult<_>>()
            .map(Json::Array);
    }
    if let Ok(dict) = v.cast::<PyDict>() {
        enter(v.py(), depth)?;
        let mut out = Map::new();
        for (k, x) in dict.iter() {
            let Ok(key) = k.cast::<PyString>() else {
                return Err(PyTypeError::new_err(format!(
                    "event keys must be str, not {}",
                    type_name(&k)
                )));
            };
            out.insert(event_string(key, "a key")?, to_json(&x, depth + 1)?);
        }
        return Ok(Json::Object(out));
    }
    Err(PyTypeError::new_err(format!(
        "event values must be JSON values (dict, list, str, int, float, bool or None), not {}",
        type_name(v)
    )))
}

/// A string of an event given as a dict (`what` says whether a key or a value). A lone surrogate
/// (a Python `str` can hold one, as `"\udcff"`) has no UTF-8 form and is in no JSON text
/// serde_json reads (it refuses the escape `"\udcff"`): a `RecordError`, as that JSON text is.
fn event_string(s: &Bound<'_, PyString>, what: &str) -> PyResult<String> {
    text_or(s, |found| {
        let shown = s.repr().map_or_else(|_| String::new(), |r| r.to_string());
        let shown = if shown.chars().count() <= 60 {
            format!(" ({shown})")
        } else {
            String::new()
        };
        crate::diag::record_error(
            s.py(),
            None,
            None,
            fimql::error::Code::InvalidRecord.as_str(),
            &format!(
                "{what} in the event{shown} holds {}, which is not a character (JSON text is \
                 Unicode)",
                found.describe()
            ),
        )
    })
}

/// The UTF-8 bytes of an event given as JSON text in a `str`; a lone surrogate there is a
/// `RecordError` at its line and column (in bytes of the UTF-8 before it, as serde_json counts
/// the columns of its errors), as serde_json refuses the escape `"\udcff"`.
pub fn json_text(s: &Bound<'_, PyString>) -> PyResult<String> {
    text_or(s, |found| {
        let before = &found.text[..found.at];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, str::len) + 1;
        crate::diag::record_error(
            s.py(),
            None,
            Some(line as u64),
            fimql::error::Code::InvalidRecord.as_str(),
            &format!(
                "lone surrogate U+{:04X}, which is not a character (JSON text is Unicode), at \
                 line {line} column {column} of the record",
                found.unit
            ),
        )
    })
}
