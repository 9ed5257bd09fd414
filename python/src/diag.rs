//! Diagnostics as Python objects: offsets in code points of the Python string, the caret
//! rendering of the library, and the exceptions that carry them.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, OnceLock};

use fimql::{Diagnostic, Location, Span};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

create_exception!(
    fimql,
    FilterError,
    PyValueError,
    "A filter that cannot be used: its syntax, tokens, types or values are wrong.\n\n\
     `str(error)` is the caret rendering of every problem (the one `fimql check` prints);\n\
     `error.diagnostics` lists them as `Diagnostic` objects (an empty list on an instance made\n\
     by hand, `FilterError(\"message\")`)."
);

create_exception!(
    fimql,
    RecordError,
    PyValueError,
    "An event record that cannot be read: malformed JSON, not an object, or longer than the\n\
     record size cap.\n\n\
     Attributes: `path` (the file, or None), `line` (1-based line where the record starts in the\n\
     file, or the line within the record for a single record), `code` (`invalid-record` or\n\
     `record-too-long`) and `message` (what is wrong, without the file and line). On an instance\n\
     made by hand (`RecordError(\"message\")`), `path` and `line` are None, `code` is\n\
     `invalid-record` and `message` is the text."
);

/// What an attribute of `FilterError` or `RecordError` reads as on an instance made by hand
/// (`FilterError("x")`), which has none of the attributes the package sets on those it raises:
/// `diagnostics` an empty list, `path` and `line` None, `code` `invalid-record`, `message` the
/// text. A descriptor with `__get__` alone, so that an attribute set on the instance (as the
/// package sets them, and as unpickling does) takes precedence.
#[pyclass(frozen, module = "fimql", name = "_ErrorDefault")]
pub struct ErrorDefault {
    attr: &'static str,
}

#[pymethods]
impl ErrorDefault {
    fn __get__<'py>(
        &self,
        py: Python<'py>,
        instance: Option<&Bound<'py, PyAny>>,
        _owner: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Ok(match self.attr {
            "diagnostics" => PyList::empty(py).into_any(),
            "code" => PyString::new(py, fimql::error::Code::InvalidRecord.as_str()).into_any(),
            "message" => match instance.filter(|i| !i.is_none()) {
                Some(i) => i.str()?.into_any(),
                None => PyString::new(py, "").into_any(),
            },
            _ => py.None().into_bound(py),
        })
    }
}

/// Sets the attributes of `FilterError` and `RecordError` that an instance made by hand reads
/// (see [`ErrorDefault`]).
pub fn error_defaults(py: Python<'_>) -> PyResult<()> {
    let set = |ty: Bound<'_, pyo3::types::PyType>, attrs: &[&'static str]| -> PyResult<()> {
        for &attr in attrs {
            ty.setattr(attr, Py::new(py, ErrorDefault { attr })?)?;
        }
        Ok(())
    };
    set(py.get_type::<FilterError>(), &["diagnostics"])?;
    set(
        py.get_type::<RecordError>(),
        &["path", "line", "code", "message"],
    )
}

/// Byte offset `at` of `src` as an offset in code points (the index a Python `str` uses).
pub fn code_points(src: &str, at: usize) -> usize {
    Span::locate_all(src, &[at])[0].char_offset
}

/// One problem in a filter.
///
/// `start` and `end` are offsets in code points of the filter string (so `filter[d.start:d.end]`
/// is the text the problem is about); `line` and `column` are 1-based, the column in code points.
/// `str(d)` draws the filter with a caret line under the problem and the help.
#[pyclass(frozen, module = "fimql", name = "Diagnostic")]
pub struct PyDiagnostic {
    /// The stable code, e.g. `unknown-token` or `missing-operator`.
    #[pyo3(get)]
    code: String,
    /// `"error"` or `"warning"`.
    #[pyo3(get)]
    severity: String,
    /// One sentence saying what is wrong.
    #[pyo3(get)]
    message: String,
    /// A suggestion, when one helps (a did-you-mean, the fix).
    #[pyo3(get)]
    help: Option<String>,
    /// Start of the span, in code points of the filter.
    #[pyo3(get)]
    start: usize,
    /// End of the span (exclusive), in code points of the filter.
    #[pyo3(get)]
    end: usize,
    /// 1-based line of the span's start.
    #[pyo3(get)]
    line: usize,
    /// 1-based column of the span's start, in code points.
    #[pyo3(get)]
    column: usize,
    /// Other places the problem points at (an unclosed `(`, say), as `(start, end, message)`
    /// in code points, as `str(d)` draws them.
    #[pyo3(get)]
    labels: Vec<(usize, usize, String)>,
    /// The caret rendering, drawn from `source` when first asked for: a long filter can have
    /// many problems, and drawing each against the whole text up front would take time in the
    /// square of the filter's length.
    rendered: OnceLock<String>,
    /// The library's diagnostic and its filter (none when unpickled: `rendered` is set).
    source: Option<(Diagnostic, Arc<str>)>,
}

impl PyDiagnostic {
    /// The diagnostic `d` of the filter `src`, whose span starts at `start` and ends at
    /// `end_chars` code points, and whose labels' spans are at `labels` (code points, in order).
    fn at(
        d: &Diagnostic,
        src: &Arc<str>,
        start: Location,
        end_chars: usize,
        labels: &[Location],
    ) -> PyDiagnostic {
        PyDiagnostic {
            labels: d
                .labels
                .iter()
                .zip(labels.chunks_exact(2))
                .map(|(l, at)| (at[0].char_offset, at[1].char_offset, l.message.clone()))
                .collect(),
            code: d.code.as_str().to_string(),
            severity: d.severity.to_string(),
            message: d.message.clone(),
            help: d.help.clone(),
            start: start.char_offset,
            end: end_chars,
            line: start.line,
            column: start.column,
            rendered: OnceLock::new(),
            source: Some((d.clone(), Arc::clone(src))),
        }
    }

    /// The caret rendering of the library (`str(d)`).
    fn rendered(&self) -> &str {
        self.rendered.get_or_init(|| match &self.source {
            Some((d, src)) => d.render(src).to_string(),
            None => String::new(),
        })
    }

    pub fn is_error(&self) -> bool {
        self.severity == "error"
    }
}

#[pymethods]
impl PyDiagnostic {
    /// The diagnostic as a dict of its fields (`code`, `severity`, `message`, `help`, `start`,
    /// `end`, `line`, `column`), e.g. for a JSON log.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("code", &self.code)?;
        d.set_item("severity", &self.severity)?;
        d.set_item("message", &self.message)?;
        d.set_item("help", &self.help)?;
        d.set_item("start", self.start)?;
        d.set_item("end", self.end)?;
        d.set_item("line", self.line)?;
        d.set_item("column", self.column)?;
        let labels = PyList::empty(py);
        for (start, end, message) in &self.labels {
            let l = PyDict::new(py);
            l.set_item("start", start)?;
            l.set_item("end", end)?;
            l.set_item("message", message)?;
            labels.append(l)?;
        }
        d.set_item("labels", labels)?;
        Ok(d)
    }

    /// A diagnostic unpickled (see `__reduce__`); not part of the API.
    #[staticmethod]
    #[pyo3(name = "_restore")]
    #[allow(clippy::too_many_arguments)]
    fn restore(
        code: String,
        severity: String,
        message: String,
        help: Option<String>,
        start: usize,
        end: usize,
        line: usize,
        column: usize,
        rendered: String,
        labels: Vec<(usize, usize, String)>,
    ) -> PyDiagnostic {
        PyDiagnostic {
            labels,
            code,
            severity,
            message,
            help,
            start,
            end,
            line,
            column,
            rendered: OnceLock::from(rendered),
            source: None,
        }
    }

    /// Pickling (a `FilterError` holds its diagnostics): the fields and the rendering.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Reduce<'py, DiagnosticState<'_>>> {
        let restore = py.get_type::<PyDiagnostic>().getattr("_restore")?;
        Ok((
            restore,
            (
                &self.code,
                &self.severity,
                &self.message,
                self.help.as_deref(),
                self.start,
                self.end,
                self.line,
                self.column,
                self.rendered(),
                self.labels.clone(),
            ),
        ))
    }

    fn __str__(&self) -> &str {
        self.rendered()
    }

    /// Equal when every field and the rendering (which shows the filter) are.
    fn __eq__(&self, other: &PyDiagnostic) -> bool {
        self.eq_diagnostic(other)
    }

    fn __hash__(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.key().hash(&mut h);
        h.finish()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Diagnostic(code={}, severity={}, start={}, end={}, message={})",
            repr(py, &self.code),
            repr(py, &self.severity),
            self.start,
            self.end,
            repr(py, &self.message)
        )
    }
}

impl PyDiagnostic {
    /// `==` on diagnostics.
    pub fn eq_diagnostic(&self, other: &PyDiagnostic) -> bool {
        self.key() == other.key()
    }

    /// What equality and the hash go by.
    #[allow(clippy::type_complexity)]
    fn key(
        &self,
    ) -> (
        &str,
        &str,
        &str,
        Option<&str>,
        [usize; 4],
        &str,
        &[(usize, usize, String)],
    ) {
        (
            &self.code,
            &self.severity,
            &self.message,
            self.help.as_deref(),
            [self.start, self.end, self.line, self.column],
            self.rendered(),
            &self.labels,
        )
    }
}

/// What `__reduce__` returns: the callable that rebuilds an object, and its arguments.
pub type Reduce<'py, A> = (Bound<'py, PyAny>, A);

/// The arguments of `Diagnostic._restore`, in order.
type DiagnosticState<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    usize,
    usize,
    usize,
    usize,
    &'a str,
    Vec<(usize, usize, String)>,
);

/// `s` as Python writes it in a repr: `'text'`.
pub fn repr(py: Python<'_>, s: &str) -> String {
    pyo3::types::PyString::new(py, s)
        .repr()
        .map_or_else(|_| format!("{s:?}"), |r| r.to_string())
}

/// Python diagnostics of `diags`, made from `src`.
pub fn diagnostics(
    py: Python<'_>,
    diags: &[Diagnostic],
    src: &str,
) -> PyResult<Vec<Py<PyDiagnostic>>> {
    // Every span's ends (the labels' after the diagnostics') located in one pass over the
    // filter.
    let ends: Vec<usize> = diags
        .iter()
        .flat_map(|d| [d.span.start, d.span.end])
        .chain(
            diags
                .iter()
                .flat_map(|d| &d.labels)
                .flat_map(|l| [l.span.start, l.span.end]),
        )
        .collect();
    let at = Span::locate_all(src, &ends);
    let (spans, mut labels) = at.split_at(2 * diags.len());
    let src: Arc<str> = Arc::from(src);
    diags
        .iter()
        .zip(spans.chunks_exact(2))
        .map(|(d, ends)| {
            let (mine, rest) = labels.split_at(2 * d.labels.len());
            labels = rest;
            Py::new(
                py,
                PyDiagnostic::at(d, &src, ends[0], ends[1].char_offset, mine),
            )
        })
        .collect()
}

/// The `FilterError` for `diags` (made from `src`): the rendering as message, the diagnostics as
/// `.diagnostics`.
pub fn filter_error(py: Python<'_>, diags: &[Diagnostic], src: &str) -> PyErr {
    let err = FilterError::new_err(fimql::error::render(diags, src).trim_end().to_string());
    match diagnostics(py, diags, src).and_then(|list| err.value(py).setattr("diagnostics", list)) {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// A `ValueError` for a bad name given to a function (a scope, a request kind): the library's
/// `unknown-name` diagnostic with its did-you-mean.
pub fn name_error(d: &Diagnostic) -> PyErr {
    PyValueError::new_err(d.render_detached().to_string().trim_end().to_string())
}

/// A `RecordError` with its attributes.
pub fn record_error(
    py: Python<'_>,
    path: Option<&str>,
    line: Option<u64>,
    code: &str,
    message: &str,
) -> PyErr {
    // A record given alone (`Filter.matches`) has its position in the message already (`... at
    // line 2 column 8 of the record`), which `line` repeats: the message alone, then. A file's
    // record is named by the file and the line it starts on, as `fimql filter` names it.
    let text = match (path, line) {
        (Some(p), Some(l)) => format!("{p}:{l}: {message}"),
        (Some(p), None) => format!("{p}: {message}"),
        (None, _) => message.to_string(),
    };
    let err = RecordError::new_err(text);
    let set = || -> PyResult<()> {
        let v = err.value(py);
        v.setattr("path", path)?;
        v.setattr("line", line)?;
        v.setattr("code", code)?;
        v.setattr("message", message)?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// Appends `err`'s exception object to `list`.
pub fn collect(py: Python<'_>, list: &Bound<'_, PyList>, err: PyErr) -> PyResult<()> {
    list.append(err.value(py))
}

/// A filter's text from Python. A Python `str` can hold a lone surrogate (half of a UTF-16
/// pair, as `"\udcff"`), which is not Unicode text and has no UTF-8 form: such a filter is a
/// `FilterError` with a caret under the surrogate, as any other character the language refuses,
/// rather than the `UnicodeEncodeError` of converting it.
pub struct FilterText(pub String);

impl<'py> FromPyObject<'_, 'py> for FilterText {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        let s = obj.cast::<PyString>()?;
        match s.to_cow() {
            Ok(text) => Ok(FilterText(text.into_owned())),
            Err(_) => Err(lone_surrogate(obj.py(), &s)),
        }
    }
}

/// Where a `str` holds a lone surrogate: the text with U+FFFD in place of each surrogate (one
/// code point each, so that positions stay those of the Python string), and the first, as its
/// byte offset in that text, its index in code points of the `str`, and its value. Python pairs no
/// surrogates in a `str` (`"\ud83d\ude00"` is two code points, not 😀), so each is read alone.
pub struct Surrogate {
    pub text: String,
    pub at: usize,
    pub index: usize,
    pub unit: u32,
}

impl Surrogate {
    /// The first lone surrogate of `s`, or None when `s` is Unicode text.
    pub fn find(s: &Bound<'_, PyString>) -> PyResult<Option<Surrogate>> {
        let bytes: Vec<u8> = s
            .call_method1("encode", ("utf-32-le", "surrogatepass"))?
            .extract()?;
        let mut text = String::with_capacity(bytes.len() / 4);
        let mut first = None;
        for (index, p) in bytes.chunks_exact(4).enumerate() {
            let p = u32::from_le_bytes([p[0], p[1], p[2], p[3]]);
            match char::from_u32(p) {
                Some(c) => text.push(c),
                None => {
                    if first.is_none() {
                        first = Some((text.len(), index, p));
                    }
                    text.push(char::REPLACEMENT_CHARACTER);
                }
            }
        }
        Ok(first.map(|(at, index, unit)| Surrogate {
            text,
            at,
            index,
            unit,
        }))
    }

    /// `"a lone surrogate (U+DCFF) at index 3"`.
    pub fn describe(&self) -> String {
        format!(
            "a lone surrogate (U+{:04X}) at index {}",
            self.unit, self.index
        )
    }
}

/// The text of `s`, or the error `err` makes from its first lone surrogate (a Python `str` can
/// hold one, as `"\udcff"`; it is not Unicode text and has no UTF-8 form) instead of the
/// `UnicodeEncodeError` of converting it.
pub fn text_or(s: &Bound<'_, PyString>, err: impl FnOnce(Surrogate) -> PyErr) -> PyResult<String> {
    match s.to_cow() {
        Ok(text) => Ok(text.into_owned()),
        Err(e) => match Surrogate::find(s)? {
            Some(found) => Err(err(found)),
            None => Err(e),
        },
    }
}

/// The text of an argument that is not a filter (a scope, a request kind, a clock, a token to
/// group by): a `ValueError` naming `what` for a lone surrogate.
pub fn argument_text(s: &Bound<'_, PyString>, what: &str) -> PyResult<String> {
    text_or(s, |found| {
        PyValueError::new_err(format!(
            "{what}: {} is not a character (the text must be Unicode: a surrogate comes only \
             in a pair)",
            found.describe()
        ))
    })
}

/// The `FilterError` for a filter with surrogates: the text shown with U+FFFD in their places,
/// the caret under the first.
fn lone_surrogate(py: Python<'_>, s: &Bound<'_, PyString>) -> PyErr {
    let found = match Surrogate::find(s) {
        Ok(Some(found)) => found,
        Ok(None) => return PyValueError::new_err("the filter is not valid Unicode"),
        Err(e) => return e,
    };
    let (at, unit) = (found.at, found.unit);
    let d = Diagnostic::error(
        fimql::error::Code::UnexpectedToken,
        Span::new(at, at + char::REPLACEMENT_CHARACTER.len_utf8()),
        format!("a lone surrogate (U+{unit:04X}) is not a character"),
    )
    .with_help(
        "the filter must be Unicode text: a surrogate comes only in a pair; \
         decode the filter's bytes with errors=\"strict\" to find where it came from",
    );
    filter_error(py, &[d], &found.text)
}
