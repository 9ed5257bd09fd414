//! `fimql.Filter`: a compiled filter, matching events given as dicts, JSON text or files.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use fimql::eval::RecordError as LibRecordError;
use fimql::fields::{Field, Projection};
use fimql::group::GroupBy;
use fimql::stream::{Batch, Item, RecordReader};
use fimql::{Filter, Matcher, Options, Scope};
use pyo3::exceptions::{PyIsADirectoryError, PyOSError, PyTypeError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyString};
use self_cell::self_cell;

use crate::convert::{PathTree, json_text, strings, to_json, type_name};
use crate::diag::{
    PyDiagnostic, Reduce, argument_text, code_points, collect, diagnostics, record_error, repr,
};

type MatcherOf<'a> = Matcher<'a>;

/// The arguments of `fimql.compile` that make a filter again: text, scope, `now`,
/// `allow_unknown`.
type CompileArgs = (String, &'static str, DateTime<Utc>, bool);

self_cell!(
    /// A filter with a matcher that borrows it.
    struct Owned {
        owner: Arc<Filter>,
        #[not_covariant]
        dependent: MatcherOf,
    }
);

impl Owned {
    fn of(filter: &Arc<Filter>) -> Owned {
        Owned::new(Arc::clone(filter), |f| f.matcher())
    }

    fn matches_json(&mut self, record: &[u8]) -> Result<bool, LibRecordError> {
        self.with_dependent_mut(|_, m| m.matches_json(record))
    }
}

/// A compiled filter: `fimql.compile(text)` makes one. Match events with `matches`, or read whole
/// exported files with `filter_file`, `count_file` and `group_by` (NDJSON, JSON arrays, pretty
/// JSON, gzip and zstd, as `fimql filter` reads them).
///
/// A `Filter` can be shared between threads; the file methods release the GIL while they read and
/// match.
#[pyclass(frozen, module = "fimql", name = "Filter")]
pub struct PyFilter {
    filter: Arc<Filter>,
    /// The matcher for `matches` on JSON text, reused from call to call.
    matcher: Mutex<Owned>,
    tree: PathTree,
    source: String,
    scope: Scope,
    /// The clock `now` stood for at compilation (for pickling).
    now: DateTime<Utc>,
    allow_unknown: bool,
    warnings: Vec<Py<PyDiagnostic>>,
}

impl PyFilter {
    pub fn new(
        py: Python<'_>,
        filter: Filter,
        source: String,
        scope: Scope,
        now: DateTime<Utc>,
        allow_unknown: bool,
    ) -> PyResult<PyFilter> {
        let warnings = diagnostics(py, filter.warnings(), &source)?;
        let filter = Arc::new(filter);
        Ok(PyFilter {
            matcher: Mutex::new(Owned::of(&filter)),
            tree: PathTree::new(&filter),
            filter,
            source,
            scope,
            now,
            allow_unknown,
            warnings,
        })
    }

    fn match_bytes(&self, py: Python<'_>, record: &[u8]) -> PyResult<bool> {
        let record = without_bom(record);
        let result = match self.matcher.try_lock() {
            Ok(mut m) => m.matches_json(record),
            // Another thread is matching with it: a matcher of our own.
            Err(_) => self.filter.matches_json(record),
        };
        result.map_err(|e| {
            let line = e.position().map(|(l, _)| l as u64);
            record_error(py, None, line, e.diagnostic().code.as_str(), &e.to_string())
        })
    }

    /// One event (a dict, or JSON text as str or bytes) as a whole JSON value.
    fn event_json(&self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
        let text: Option<Vec<u8>> = if let Ok(b) = event.cast::<PyBytes>() {
            Some(b.as_bytes().to_vec())
        } else if let Ok(s) = event.cast::<PyString>() {
            Some(json_text(s)?.into_bytes())
        } else if let Ok(b) = event.cast::<PyByteArray>() {
            Some(b.to_vec())
        } else {
            None
        };
        let Some(text) = text else {
            if event.cast::<pyo3::types::PyDict>().is_err() {
                return Err(PyTypeError::new_err(format!(
                    "an event is a dict, or JSON text as str or bytes, not {}",
                    type_name(event)
                )));
            }
            return to_json(event, 0);
        };
        // The same checks as the fast path: one JSON object, or a `RecordError`.
        self.match_bytes(py, &text)?;
        serde_json::from_slice(without_bom(&text)).map_err(|e| {
            // Worded as the matcher words its errors: the position said once, in the record.
            let full = e.to_string();
            let message = match full.rfind(" at line ") {
                Some(i) if e.line() > 0 => format!(
                    "{} at line {} column {} of the record",
                    &full[..i],
                    e.line(),
                    e.column()
                ),
                _ => full,
            };
            let line = (e.line() > 0).then_some(e.line() as u64);
            record_error(
                py,
                None,
                line,
                fimql::error::Code::InvalidRecord.as_str(),
                &message,
            )
        })
    }

    /// The fields of the tokens in `tokens`, as `fimql filter --group-by` resolves them.
    fn group_fields(&self, tokens: &[String]) -> PyResult<Vec<Field>> {
        let opts = Options::new(self.scope).allow_unknown(self.allow_unknown);
        let mut fields = Vec::new();
        for token in tokens {
            match Field::resolve(token, &opts) {
                Ok(f) => fields.push(f),
                // The library's message and help (a did-you-mean), on one line.
                Err(d) => {
                    let help = d.help.map(|h| format!("; {h}")).unwrap_or_default();
                    return Err(PyValueError::new_err(format!(
                        "group_by: {}{help}",
                        d.message
                    )));
                }
            }
        }
        Ok(fields)
    }

    /// Reads `path` batch by batch with the GIL released, calling `hit` on each matching record
    /// there; malformed records raise or go to `errors`.
    fn scan(
        &self,
        py: Python<'_>,
        path: &PathBuf,
        errors: Option<&Bound<'_, PyList>>,
        hit: &mut (dyn FnMut(&[u8]) + Send),
    ) -> PyResult<()> {
        let name = path.display().to_string();
        let mut reader = open(py, path, errors)?;
        let mut owned = Owned::of(&self.filter);
        let mut bad = Vec::new();
        let mut looked = false;
        let mut wraps = None;
        loop {
            let step = py.detach(|| -> io::Result<bool> {
                let Some(batch) = reader.next_batch()? else {
                    return Ok(false);
                };
                wraps = wraps.or(first_record_wraps(&batch, &mut looked));
                owned.with_dependent_mut(|_, m| {
                    for item in &batch.items {
                        match evaluate(m, &batch, item) {
                            Outcome::Hit(s, e) => hit(&batch.bytes[s..e]),
                            Outcome::Miss => {}
                            Outcome::Bad(b) => bad.push(b),
                        }
                    }
                });
                reader.recycle(batch.bytes);
                Ok(true)
            });
            if let Some((line, n)) = wraps.take() {
                warn_wrapped(py, &name, line, n)?;
            }
            let more = match step {
                Ok(more) => more,
                // A read error (a truncated or corrupt compressed file) ends the reading: with
                // `errors`, it goes there after the records read before it, and what was
                // counted stands, as `fimql filter` prints its count and exits 2.
                Err(e) => match errors {
                    Some(list) => {
                        for b in bad.drain(..) {
                            collect(py, list, b.into_err(py, &name))?;
                        }
                        return collect(py, list, io_error(&e, &name));
                    }
                    None => return Err(io_error(&e, &name)),
                },
            };
            for b in bad.drain(..) {
                let err = b.into_err(py, &name);
                match errors {
                    Some(list) => collect(py, list, err)?,
                    None => return Err(err),
                }
            }
            py.check_signals()?;
            if !more {
                return Ok(());
            }
        }
    }
}

/// A record without the UTF-8 byte order mark it may start with, as the file readers skip it.
fn without_bom(record: &[u8]) -> &[u8] {
    record.strip_prefix(b"\xef\xbb\xbf").unwrap_or(record)
}

/// What became of one item of a batch.
enum Outcome {
    Hit(usize, usize),
    Miss,
    Bad(Bad),
}

/// A malformed record: where, and what.
struct Bad {
    line: u64,
    code: String,
    message: String,
}

impl Bad {
    fn into_err(self, py: Python<'_>, path: &str) -> PyErr {
        record_error(py, Some(path), Some(self.line), &self.code, &self.message)
    }
}

fn evaluate(m: &mut Matcher<'_>, batch: &Batch, item: &Item) -> Outcome {
    match item {
        Item::Record { start, end, line } => match m.matches_json(&batch.bytes[*start..*end]) {
            Ok(true) => Outcome::Hit(*start, *end),
            Ok(false) => Outcome::Miss,
            Err(e) => Outcome::Bad(Bad {
                line: *line,
                code: e.diagnostic().code.as_str().to_string(),
                message: e.to_string(),
            }),
        },
        Item::Error { line, diagnostic } => Outcome::Bad(Bad {
            line: *line,
            code: diagnostic.code.as_str().to_string(),
            message: diagnostic.message.clone(),
        }),
    }
}

/// An `OSError` (of the subclass its errno calls for) naming the file.
fn io_error(e: &io::Error, name: &str) -> PyErr {
    match e.raw_os_error() {
        Some(code) => {
            let text = e.to_string();
            let text = match text.rfind(" (os error ") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            PyOSError::new_err((code, text, name.to_string()))
        }
        None => PyOSError::new_err(format!("{name}: {e}")),
    }
}

type Reader = RecordReader<Box<dyn Read + Send>>;

/// A file's path as `open()` takes it: `str`, `bytes` or an `os.PathLike` of either (decoded by
/// `os.fsdecode`); a NUL in it is a `ValueError`, as `open()` has it.
fn file_path(path: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    let decoded = path.py().import("os")?.call_method1("fsdecode", (path,))?;
    let path: PathBuf = decoded.extract()?;
    if path.as_os_str().as_encoded_bytes().contains(&0) {
        return Err(PyValueError::new_err("embedded null byte"));
    }
    Ok(path)
}

/// The first record of a file, when `batch` holds it (`looked` is false until then): its line
/// and how many events it wraps, if it wraps events (see `fimql::stream::wrapped_events`).
fn first_record_wraps(batch: &Batch, looked: &mut bool) -> Option<(u64, usize)> {
    if *looked {
        return None;
    }
    let (record, line) = batch.first_record()?;
    *looked = true;
    fimql::stream::wrapped_events(record).map(|n| (line, n))
}

/// A `UserWarning` that the first record of `name` wraps `n` events, which are not read as
/// events (as `fimql filter` warns).
fn warn_wrapped(py: Python<'_>, name: &str, line: u64, n: usize) -> PyResult<()> {
    let objects = if n == 1 { "object" } else { "objects" };
    let message = format!(
        "{name}:{line}: the record's `data` is an array of {n} {objects}; each record is read as \
         one event, so they are not events here: take them out first (each one given to \
         `Filter.matches`, say)"
    );
    let message = std::ffi::CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    PyErr::warn(py, &py.get_type::<PyUserWarning>(), &message, 1)
}

/// Opens an exported file (decompressing gzip and zstd) for reading by records. An error of
/// the file's data found on opening it (a damaged gzip header, binary data) goes to `errors`
/// when given, as the read errors after it do, and the file then reads as empty; an error of
/// the system (no such file, no permission) raises.
fn open(py: Python<'_>, path: &PathBuf, errors: Option<&Bound<'_, PyList>>) -> PyResult<Reader> {
    let name = path.display().to_string();
    let opened = py.detach(|| {
        let f = File::open(path)?;
        if f.metadata()?.is_dir() {
            return Ok(None);
        }
        fimql::stream::open(f).map(|input| Some(RecordReader::new(input)))
    });
    match opened {
        Ok(Some(reader)) => Ok(reader),
        Ok(None) => Err(PyIsADirectoryError::new_err((21, "Is a directory", name))),
        Err(e) => match errors {
            Some(list) if e.raw_os_error().is_none() => {
                collect(py, list, io_error(&e, &name))?;
                let empty: Box<dyn Read + Send> = Box::new(io::empty());
                Ok(RecordReader::new(empty))
            }
            _ => Err(io_error(&e, &name)),
        },
    }
}

#[pymethods]
impl PyFilter {
    /// Whether one event matches.
    ///
    /// `event` is a dict (a bare event, or a search-response element `{"data": {...}}`), or the
    /// JSON text of one as `str` or `bytes`. Bytes are the fast path: the record is scanned in
    /// place, without building Python objects. Raises `RecordError` for text that is not one
    /// JSON object or a string holding a lone surrogate (`"\udcff"`, in text or in a dict:
    /// not a character), `TypeError` for a value that is not JSON.
    ///
    /// JSON text is read whole. A dict is read only along the filter's paths (`paths`; inside
    /// `data` for a search-response element): values elsewhere are not looked at, so their
    /// types, depth and strings are not checked, and such a dict can match where its JSON text
    /// would be a `RecordError`. Along those paths it is held to what JSON text is: a lone
    /// surrogate, or nesting deeper than 127 lists and dicts (or a container holding itself),
    /// is a `RecordError`. `explain` reads a dict whole.
    fn matches(&self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<bool> {
        if let Ok(b) = event.cast::<PyBytes>() {
            return self.match_bytes(py, b.as_bytes());
        }
        if let Ok(s) = event.cast::<PyString>() {
            return match s.to_cow() {
                Ok(text) => self.match_bytes(py, text.as_bytes()),
                Err(_) => self.match_bytes(py, json_text(s)?.as_bytes()),
            };
        }
        if let Ok(b) = event.cast::<PyByteArray>() {
            return self.match_bytes(py, &b.to_vec());
        }
        if event.cast::<pyo3::types::PyDict>().is_err() {
            return Err(PyTypeError::new_err(format!(
                "an event is a dict, or JSON text as str or bytes, not {}",
                type_name(event)
            )));
        }
        let json = self.tree.event(event)?;
        Ok(self.filter.matches(&json))
    }

    /// Why one event matches, or does not: the filter's tree with each node's verdict and, at
    /// each term, the values found at its JSON path (what `fimql explain --events` shows).
    ///
    /// `event` as for `matches`. The result is a dict: `{"matched": bool, "applies_to": "data" |
    /// "event", "tree": node}`, where a node is `{"kind": "and" | "or" | "not" | "term",
    /// "verdict": bool, "decided_by": index of the deciding child (when one decided),
    /// "children": [node, ...]}` and a term node adds `term` (canonical text), `token`, `type`,
    /// `path`, `span` (`start`, `end`: code points of the filter, so
    /// `filter.source[start:end]` is the term), `rule` (in words), `values` (`[{"value": ...,
    /// "passed": bool}, ...]`, the first 8 and the first that passed), `more_values` and
    /// `missing`. `matched` is always what `matches` says.
    fn explain<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let json = self.event_json(py, event)?;
        let why = self.filter.explain(&json);
        let mut out = serde_json::to_value(&why)
            .map_err(|e| PyValueError::new_err(format!("cannot serialize the explanation: {e}")))?;
        if let Some(tree) = out.get_mut("tree") {
            spans_to_code_points(tree, &self.source);
        }
        Ok(pythonize::pythonize(py, &out)?)
    }

    /// The matching events of an exported file, in order, as dicts.
    ///
    /// Reads NDJSON, JSON arrays (a search response) and pretty-printed JSON, gzip- or
    /// zstd-compressed or not, as `fimql filter` does. A malformed record raises `RecordError`
    /// (naming the file and line) when the iteration reaches it, and ends the iteration; give a
    /// list as `errors` to collect such errors there and go on instead.
    #[pyo3(signature = (path, *, errors = None))]
    fn filter_file(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        errors: Option<Bound<'_, PyList>>,
    ) -> PyResult<Events> {
        let path = file_path(path)?;
        let name = path.display().to_string();
        let reader = open(py, &path, errors.as_ref())?;
        let loads = py.import("json")?.getattr("loads")?.unbind();
        Ok(Events {
            state: Mutex::new(EventsState {
                reader,
                looked: false,
                wraps: None,
                matcher: Owned::of(&self.filter),
                batch: None,
                queue: VecDeque::new(),
                done: false,
                name,
                errors: errors.map(Bound::unbind),
                loads,
            }),
        })
    }

    /// The number of matching events in an exported file (what `fimql filter --count` prints).
    ///
    /// Malformed records raise `RecordError`; give a list as `errors` to collect them there and
    /// count on instead.
    #[pyo3(signature = (path, *, errors = None))]
    fn count_file(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        errors: Option<Bound<'_, PyList>>,
    ) -> PyResult<u64> {
        let path = file_path(path)?;
        let mut n = 0u64;
        self.scan(py, &path, errors.as_ref(), &mut |_| n += 1)?;
        Ok(n)
    }

    /// Counts the matching events of an exported file per value of one or more tokens, nested
    /// one level per token, in the shape of the FIM count API with `groupBy` (what
    /// `fimql filter --group-by` prints): `{"Create": 13, "Delete": 3}`. Events without a value
    /// count under `"(missing)"`; numbers count under their text as written in the record
    /// (`1.50`, `1E2`), as on the command line.
    #[pyo3(signature = (path, tokens, *, errors = None))]
    fn group_by<'py>(
        &self,
        py: Python<'py>,
        path: &Bound<'py, PyAny>,
        tokens: &Bound<'py, PyAny>,
        errors: Option<Bound<'py, PyList>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let path = file_path(path)?;
        let tokens = strings(tokens, "group_by: tokens", |s| {
            argument_text(s, "group_by: a token")
        })?;
        if tokens.is_empty() {
            return Err(PyValueError::new_err("group_by: give at least one token"));
        }
        let fields = self.group_fields(&tokens)?;
        let mut group = GroupBy::new(fields.iter().map(|f| f.path().to_vec()).collect());
        // Numbers count under their text as written in the record, as on the command line.
        let projection = Projection::new(&fields).keep_number_text(true);
        self.scan(py, &path, errors.as_ref(), &mut |bytes| {
            if let Ok(v) = projection.parse(bytes) {
                group.add(&v);
            }
        })?;
        Ok(pythonize::pythonize(py, &group.to_json())?)
    }

    /// The filter as given.
    #[getter]
    fn source(&self) -> &str {
        &self.source
    }

    /// The scope the filter was compiled for: `"events"` or `"incidents"`.
    #[getter]
    fn scope(&self) -> &'static str {
        self.scope.as_str()
    }

    /// Warnings found while compiling (the filter works, but may not mean what was meant).
    #[getter]
    fn warnings(&self, py: Python<'_>) -> Vec<Py<PyDiagnostic>> {
        self.warnings.iter().map(|w| w.clone_ref(py)).collect()
    }

    /// The JSON paths the filter reads, dotted (e.g. `fileAttribute.hidden`).
    #[getter]
    fn paths(&self) -> Vec<String> {
        self.filter.paths().iter().map(|p| p.join(".")).collect()
    }

    /// Pickling: `fimql.compile` again, with the filter's text, scope, clock and
    /// `allow_unknown` (relative dates such as `now-7d` keep the instant they were resolved at).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Reduce<'py, CompileArgs>> {
        let compile = py.import("fimql._fimql")?.getattr("compile")?;
        Ok((
            compile,
            (
                self.source.clone(),
                self.scope.as_str(),
                self.now,
                self.allow_unknown,
            ),
        ))
    }

    /// `fimql.compile(...)` with the text and scope, and `now` (the instant relative dates were
    /// resolved at) and `allow_unknown` when they matter.
    fn __repr__(&self, py: Python<'_>) -> String {
        let mut out = format!(
            "fimql.compile({}, scope={}",
            repr(py, &self.source),
            repr(py, self.scope.as_str())
        );
        if let Some(now) = self.clock() {
            out.push_str(&format!(
                ", now={}",
                repr(
                    py,
                    &now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                )
            ));
        }
        if self.allow_unknown {
            out.push_str(", allow_unknown=True");
        }
        out.push(')');
        out
    }

    /// Filters are equal when compiled from the same text, scope and `allow_unknown`, and, when
    /// a date of the filter is relative to the clock, the same clock.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyFilter>()
            .is_ok_and(|o| self.key() == o.get().key())
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.key().hash(&mut h);
        h.finish()
    }
}

impl PyFilter {
    /// The clock, when some date of the filter is relative to it (`now-7d`).
    fn clock(&self) -> Option<DateTime<Utc>> {
        self.filter.uses_clock().then_some(self.now)
    }

    /// What equality and hashing go by.
    fn key(&self) -> (&str, &'static str, bool, Option<DateTime<Utc>>) {
        (
            &self.source,
            self.scope.as_str(),
            self.allow_unknown,
            self.clock(),
        )
    }
}

/// The matching events of a file, as `Filter.filter_file` yields them.
#[pyclass(frozen, module = "fimql")]
pub struct Events {
    state: Mutex<EventsState>,
}

struct EventsState {
    reader: Reader,
    /// Whether the file's first record was looked at for a wrapper of events, and what was
    /// found, to warn of.
    looked: bool,
    wraps: Option<(u64, usize)>,
    matcher: Owned,
    /// The batch the queue refers to.
    batch: Option<Batch>,
    queue: VecDeque<Outcome>,
    done: bool,
    name: String,
    errors: Option<Py<PyList>>,
    loads: Py<PyAny>,
}

impl EventsState {
    /// Reads the next batch and matches it (the GIL is released by the caller). False at the end.
    fn fill(&mut self) -> io::Result<bool> {
        if let Some(old) = self.batch.take() {
            self.reader.recycle(old.bytes);
        }
        let Some(batch) = self.reader.next_batch()? else {
            return Ok(false);
        };
        self.wraps = self.wraps.or(first_record_wraps(&batch, &mut self.looked));
        let queue = &mut self.queue;
        self.matcher.with_dependent_mut(|_, m| {
            for item in &batch.items {
                match evaluate(m, &batch, item) {
                    Outcome::Miss => {}
                    o => queue.push_back(o),
                }
            }
        });
        self.batch = Some(batch);
        Ok(true)
    }
}

#[pymethods]
impl Events {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Ok(mut guard) = self.state.try_lock() else {
            return Err(PyValueError::new_err(
                "the events iterator is already running",
            ));
        };
        let st = &mut *guard;
        loop {
            match st.queue.pop_front() {
                Some(Outcome::Hit(s, e)) => {
                    let bytes = st.batch.as_ref().map_or(&[][..], |b| &b.bytes[s..e]);
                    let event = st.loads.call1(py, (PyBytes::new(py, bytes),))?;
                    return Ok(Some(event));
                }
                Some(Outcome::Bad(b)) => {
                    let err = b.into_err(py, &st.name);
                    match &st.errors {
                        Some(list) => collect(py, list.bind(py), err)?,
                        None => {
                            st.done = true;
                            st.queue.clear();
                            return Err(err);
                        }
                    }
                }
                Some(Outcome::Miss) => {}
                None if st.done => return Ok(None),
                None => {
                    let filled = py.detach(|| st.fill());
                    if let Some((line, n)) = st.wraps.take() {
                        warn_wrapped(py, &st.name, line, n)?;
                    }
                    match filled {
                        Ok(true) => {}
                        Ok(false) => st.done = true,
                        Err(e) => {
                            st.done = true;
                            let err = io_error(&e, &st.name);
                            match &st.errors {
                                // The events before it were yielded; the iteration ends.
                                Some(list) => collect(py, list.bind(py), err)?,
                                None => return Err(err),
                            }
                        }
                    }
                    py.check_signals()?;
                }
            }
        }
    }
}

/// The `span`s of the term nodes of an explained tree, from bytes to code points of `src`.
fn spans_to_code_points(node: &mut serde_json::Value, src: &str) {
    if let Some(span) = node.get_mut("span").and_then(|s| s.as_object_mut()) {
        for key in ["start", "end"] {
            if let Some(at) = span.get(key).and_then(serde_json::Value::as_u64) {
                let cp = code_points(src, usize::try_from(at).unwrap_or(usize::MAX));
                span.insert(key.to_string(), cp.into());
            }
        }
    }
    if let Some(children) = node.get_mut("children").and_then(|c| c.as_array_mut()) {
        for child in children {
            spans_to_code_points(child, src);
        }
    }
}
