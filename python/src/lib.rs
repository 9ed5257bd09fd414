//! The native half of the `fimql` Python package: the library's parser, checker, printer and
//! matcher as Python functions and classes. `python/fimql/__init__.py` re-exports them; the
//! types are described in `python/fimql/_fimql.pyi`.

mod build;
mod convert;
mod diag;
mod filter;

use fimql::validate::validate_query;
use fimql::{Diagnostic, Options, RequestKind, Span};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::convert::{instant, scope as scope_of};
use crate::diag::{FilterError, FilterText, PyDiagnostic, RecordError, diagnostics, filter_error};
use crate::filter::{Events, PyFilter};

/// Options for `scope`, `now` and `allow_unknown`, as the command line sets them.
fn options(scope: &str, now: Option<&Bound<'_, PyAny>>, allow_unknown: bool) -> PyResult<Options> {
    let mut opts = Options::new(scope_of(scope)?).allow_unknown(allow_unknown);
    if let Some(now) = now.filter(|n| !n.is_none()) {
        opts = opts.now(instant(now)?);
    }
    Ok(opts)
}

/// The arguments of `Report._restore` (and of `fimql.check`): text, scope, clock,
/// `allow_unknown`.
type CheckArgs = (String, &'static str, chrono::DateTime<chrono::Utc>, bool);

/// The result of `fimql.check`: `valid`, and every problem found, errors and warnings.
///
/// `str(report)` is what `fimql check` prints: each problem drawn under the filter with a caret
/// and its help, then a summary line.
#[pyclass(frozen, module = "fimql", name = "Report")]
struct Report {
    /// The filter checked.
    #[pyo3(get)]
    filter: String,
    /// The scope it was checked in.
    #[pyo3(get)]
    scope: &'static str,
    /// Whether the filter has no errors (warnings allowed).
    #[pyo3(get)]
    valid: bool,
    diagnostics: Vec<Py<PyDiagnostic>>,
    rendered: String,
    /// The clock relative dates were checked against, and `allow_unknown` (for pickling).
    now: chrono::DateTime<chrono::Utc>,
    allow_unknown: bool,
}

#[pymethods]
impl Report {
    /// Every problem, errors and warnings, in the order found.
    #[getter]
    fn diagnostics(&self, py: Python<'_>) -> Vec<Py<PyDiagnostic>> {
        self.diagnostics.iter().map(|d| d.clone_ref(py)).collect()
    }

    /// The errors.
    #[getter]
    fn errors(&self, py: Python<'_>) -> Vec<Py<PyDiagnostic>> {
        self.pick(py, true)
    }

    /// The warnings.
    #[getter]
    fn warnings(&self, py: Python<'_>) -> Vec<Py<PyDiagnostic>> {
        self.pick(py, false)
    }

    /// A report unpickled (see `__reduce__`): the filter checked again with the same scope,
    /// clock and `allow_unknown`; not part of the API.
    #[staticmethod]
    #[pyo3(name = "_restore")]
    fn restore(
        py: Python<'_>,
        filter: String,
        scope: &str,
        now: &Bound<'_, PyAny>,
        allow_unknown: bool,
    ) -> PyResult<Report> {
        check(py, FilterText(filter), scope, Some(now), allow_unknown)
    }

    /// Pickling: the filter, scope, clock and `allow_unknown`; unpickling checks it again.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<diag::Reduce<'py, CheckArgs>> {
        let restore = py.get_type::<Report>().getattr("_restore")?;
        Ok((
            restore,
            (
                self.filter.clone(),
                self.scope,
                self.now,
                self.allow_unknown,
            ),
        ))
    }

    fn __str__(&self) -> &str {
        &self.rendered
    }

    /// Equal when they check the same filter the same way (scope, clock, `allow_unknown`) and
    /// find the same diagnostics.
    fn __eq__(&self, other: &Report) -> bool {
        (
            &self.filter,
            self.scope,
            self.now,
            self.allow_unknown,
            &self.rendered,
        ) == (
            &other.filter,
            other.scope,
            other.now,
            other.allow_unknown,
            &other.rendered,
        ) && self.diagnostics.len() == other.diagnostics.len()
            && self
                .diagnostics
                .iter()
                .zip(&other.diagnostics)
                .all(|(a, b)| a.get().eq_diagnostic(b.get()))
    }

    fn __hash__(&self) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(
            &(&self.filter, self.scope, self.now, &self.rendered),
            &mut h,
        );
        std::hash::Hasher::finish(&h)
    }

    fn __repr__(&self) -> String {
        format!(
            "Report(valid={}, diagnostics={})",
            if self.valid { "True" } else { "False" },
            self.diagnostics.len()
        )
    }
}

impl Report {
    fn pick(&self, py: Python<'_>, errors: bool) -> Vec<Py<PyDiagnostic>> {
        self.diagnostics
            .iter()
            .filter(|d| d.get().is_error() == errors)
            .map(|d| d.clone_ref(py))
            .collect()
    }
}

/// Checks a filter: syntax, tokens, types, values and dates, every problem in one pass (what
/// `fimql check` does).
///
/// `scope` is `"events"` or `"incidents"`; `now` fixes the clock for relative dates (`now-7d`),
/// as a timestamp string or a `datetime`; `allow_unknown` accepts tokens outside the catalog.
/// A `str` holding a lone surrogate (not Unicode text) raises `FilterError`, as it does in
/// `format`, `parse` and `compile`.
#[pyfunction]
#[pyo3(signature = (filter, scope = "events", now = None, *, allow_unknown = false))]
fn check(
    py: Python<'_>,
    filter: FilterText,
    scope: &str,
    now: Option<&Bound<'_, PyAny>>,
    allow_unknown: bool,
) -> PyResult<Report> {
    let filter = filter.0;
    let mut opts = options(scope, now, allow_unknown)?;
    // The clock, fixed (to the microsecond, what a `datetime` holds) so that a pickled report
    // is checked again against the same instant.
    let clock = opts
        .now
        .unwrap_or_else(|| chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6));
    opts = opts.now(clock);
    let diags: Vec<Diagnostic> = match fimql::parse_with(&filter, &opts) {
        Ok(query) => validate_query(&query, &opts),
        Err(e) => e.into_vec(),
    }
    .into_iter()
    .map(|d| d.name_allow_unknown(ALLOW_UNKNOWN))
    .collect();
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let valid = errors == 0;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let rendered = format!(
        "{}{}: {errors} error{}, {warnings} warning{}\n",
        fimql::error::render(&diags, &filter),
        if valid { "valid" } else { "invalid" },
        plural(errors),
        plural(warnings),
    );
    Ok(Report {
        diagnostics: diagnostics(py, &diags, &filter)?,
        scope: opts.scope.as_str(),
        filter,
        valid,
        rendered,
        now: clock,
        allow_unknown,
    })
}

/// How the help of `unknown-token` names the switch that reads raw JSON paths.
const ALLOW_UNKNOWN: Option<&str> = Some("pass `allow_unknown=True`");

/// The filter in canonical form (what `fimql fmt` prints), or broken over indented lines with
/// `pretty=True`. Raises `FilterError` on a syntax error.
#[pyfunction]
#[pyo3(signature = (filter, pretty = false))]
fn format(py: Python<'_>, filter: FilterText, pretty: bool) -> PyResult<String> {
    let filter = filter.0;
    match fimql::parse(&filter) {
        Ok(q) if pretty => Ok(format!("{:#}", q.expr)),
        Ok(q) => Ok(q.to_string()),
        Err(e) => Err(filter_error(py, e.diagnostics(), &filter)),
    }
}

/// The syntax tree of a filter as a dict, exactly as `fimql parse --format json` prints it.
/// Raises `FilterError` on a syntax error.
///
/// Its spans (`{"start": ..., "end": ...}`) are byte offsets into the UTF-8 encoding of the
/// filter, not indexes of the `str`: `filter.encode()[start:end].decode()` is the text a node
/// was read from. (Offsets elsewhere in the package, in diagnostics and in `Filter.explain`,
/// count code points of the `str`.)
#[pyfunction]
fn parse<'py>(py: Python<'py>, filter: FilterText) -> PyResult<Bound<'py, PyAny>> {
    let filter = filter.0;
    match fimql::parse(&filter) {
        Ok(q) => {
            let json = serde_json::to_value(&q)
                .map_err(|e| PyValueError::new_err(format!("cannot serialize the tree: {e}")))?;
            Ok(pythonize::pythonize(py, &json)?)
        }
        Err(e) => Err(filter_error(py, e.diagnostics(), &filter)),
    }
}

/// Compiles a filter for matching events. Raises `FilterError` (a `ValueError`) with every problem
/// when the filter cannot be used; warnings are on the filter's `warnings`.
///
/// `scope`, `now` and `allow_unknown` as for `check`; with `allow_unknown`, an unknown token is
/// read as a raw JSON path (typed as text).
#[pyfunction]
#[pyo3(signature = (filter, scope = "events", now = None, allow_unknown = false))]
fn compile(
    py: Python<'_>,
    filter: FilterText,
    scope: &str,
    now: Option<&Bound<'_, PyAny>>,
    allow_unknown: bool,
) -> PyResult<PyFilter> {
    let filter = filter.0;
    let mut opts = options(scope, now, allow_unknown)?;
    // The clock relative dates are resolved against (the current time unless `now` is given, as
    // compilation does), kept for pickling: to the microsecond, what a `datetime` holds.
    let clock = opts
        .now
        .unwrap_or_else(|| chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6));
    opts = opts.now(clock);
    match fimql::compile(&filter, &opts) {
        Ok(f) => PyFilter::new(py, f, filter, opts.scope, clock, allow_unknown),
        Err(e) => Err(filter_error(
            py,
            e.name_allow_unknown(ALLOW_UNKNOWN).diagnostics(),
            &filter,
        )),
    }
}

/// One problem of a request body: the JSON path of the value it is about and what is wrong.
///
/// For a problem inside an embedded filter, `source` is that filter, `scope` the scope it was
/// checked in, and `start`, `end`, `line`, `column` point into it (in code points); for invalid
/// JSON, `source` is the body. Otherwise these are `None`. `str(finding)` is its rendering.
#[pyclass(frozen, module = "fimql", name = "Finding")]
struct Finding {
    /// The JSON path (`filter`, `reviewers[3]`), empty for the whole body.
    #[pyo3(get)]
    path: String,
    /// The stable code.
    #[pyo3(get)]
    code: String,
    /// `"error"` or `"warning"`.
    #[pyo3(get)]
    severity: String,
    /// What is wrong.
    #[pyo3(get)]
    message: String,
    /// A suggestion, when one helps.
    #[pyo3(get)]
    help: Option<String>,
    /// The text the span points into.
    #[pyo3(get)]
    source: Option<String>,
    /// For a filter problem, the scope of the filter.
    #[pyo3(get)]
    scope: Option<&'static str>,
    /// Start of the span in `source`, in code points (an index of the `str`).
    #[pyo3(get)]
    start: Option<usize>,
    /// End of the span in `source`, in code points.
    #[pyo3(get)]
    end: Option<usize>,
    /// 1-based line in `source`.
    #[pyo3(get)]
    line: Option<usize>,
    /// 1-based column in `source`, in code points.
    #[pyo3(get)]
    column: Option<usize>,
    rendered: String,
}

/// The result of `fimql.check_request`.
///
/// `valid` is whether the body has no errors; `findings` lists every problem (errors and
/// warnings, e.g. unknown fields); `kind` is the request kind checked. `str(report)` is what
/// `fimql request check` prints.
#[pyclass(frozen, module = "fimql", name = "RequestReport")]
struct RequestReport {
    /// Whether the body has no errors (warnings allowed).
    #[pyo3(get)]
    valid: bool,
    /// The kind of request checked (`event-search`, ...), or None when it could not be told.
    #[pyo3(get)]
    kind: Option<&'static str>,
    /// Whether the kind was detected from the fields rather than given.
    #[pyo3(get)]
    kind_detected: bool,
    findings: Vec<(Py<Finding>, bool)>,
    rendered: String,
}

#[pymethods]
impl RequestReport {
    /// Every problem, in the order found.
    #[getter]
    fn findings(&self, py: Python<'_>) -> Vec<Py<Finding>> {
        self.findings.iter().map(|(f, _)| f.clone_ref(py)).collect()
    }

    /// The errors.
    #[getter]
    fn errors(&self, py: Python<'_>) -> Vec<Py<Finding>> {
        self.findings
            .iter()
            .filter(|(_, e)| *e)
            .map(|(f, _)| f.clone_ref(py))
            .collect()
    }

    /// The warnings.
    #[getter]
    fn warnings(&self, py: Python<'_>) -> Vec<Py<Finding>> {
        self.findings
            .iter()
            .filter(|(_, e)| !*e)
            .map(|(f, _)| f.clone_ref(py))
            .collect()
    }

    fn __str__(&self) -> &str {
        &self.rendered
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "RequestReport(valid={}, kind={}, findings={})",
            if self.valid { "True" } else { "False" },
            self.kind
                .map_or_else(|| "None".to_string(), |k| diag::repr(py, k)),
            self.findings.len()
        )
    }
}

#[pymethods]
impl Finding {
    fn __str__(&self) -> &str {
        &self.rendered
    }

    /// The finding as a dict of its fields (`path`, `code`, `severity`, `message`, `help`,
    /// `source`, `scope`, `start`, `end`, `line`, `column`), e.g. for a JSON log.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let d = pyo3::types::PyDict::new(py);
        d.set_item("path", &self.path)?;
        d.set_item("code", &self.code)?;
        d.set_item("severity", &self.severity)?;
        d.set_item("message", &self.message)?;
        d.set_item("help", &self.help)?;
        d.set_item("source", &self.source)?;
        d.set_item("scope", self.scope)?;
        d.set_item("start", self.start)?;
        d.set_item("end", self.end)?;
        d.set_item("line", self.line)?;
        d.set_item("column", self.column)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Finding(path={}, code={}, severity={}, message={})",
            diag::repr(py, &self.path),
            diag::repr(py, &self.code),
            diag::repr(py, &self.severity),
            diag::repr(py, &self.message)
        )
    }
}

/// Checks a FIM API request body (e.g. for `/fim/v2/events/search`) before it is sent: JSON
/// syntax, the kind (detected from the fields when `kind` is None), every field, and every
/// embedded filter in its scope (what `fimql request check` does).
///
/// `body` is a dict (or list) or the JSON text as str or bytes. Kinds: `incident-approve`,
/// `incident-create`, `correlation-rule-create`, `correlation-rule-update`, `event-search`,
/// `event-count`, `incident-search`.
#[pyfunction]
#[pyo3(signature = (body, kind = None, *, allow_unknown = false))]
fn check_request(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    kind: Option<&Bound<'_, PyString>>,
    allow_unknown: bool,
) -> PyResult<RequestReport> {
    let kind = match kind {
        Some(k) => Some(
            diag::argument_text(k, "kind")?
                .parse::<RequestKind>()
                .map_err(|d| diag::name_error(&d))?,
        ),
        None => None,
    };
    let text: String = if let Ok(s) = body.cast::<PyString>() {
        diag::text_or(s, |found| {
            PyValueError::new_err(format!(
                "the body is not Unicode text: {} is not a character",
                found.describe()
            ))
        })?
    } else if let Ok(b) = body.cast::<PyBytes>() {
        String::from_utf8(b.as_bytes().to_vec())
            .map_err(|e| PyValueError::new_err(format!("the body is not UTF-8: {e}")))?
    } else {
        // A body nested deeper than Python's recursion limit: json.dumps raises RecursionError,
        // which says nothing about the body.
        py.import("json")?
            .getattr("dumps")?
            .call1((body,))
            .map_err(|e| {
                if e.is_instance_of::<pyo3::exceptions::PyRecursionError>(py) {
                    PyValueError::new_err(
                        "the body nests too deep to write as JSON text (a request body nests a \
                         few levels; JSON text deeper than 127 is not read)",
                    )
                } else {
                    e
                }
            })?
            .extract()?
    };
    let report = fimql::check_request_with(
        &text,
        kind,
        &Options::default().allow_unknown(allow_unknown),
    );
    let mut findings = Vec::with_capacity(report.findings.len());
    for f in &report.findings {
        let d = &f.diagnostic;
        let at = f.source.as_deref().map(|src| {
            // One location per offset given.
            let at = Span::locate_all(src, &[d.span.start, d.span.end]);
            (
                at[0].char_offset,
                at[1].char_offset,
                at[0].line,
                at[0].column,
            )
        });
        let finding = Finding {
            path: f.path.clone(),
            code: d.code.as_str().to_string(),
            severity: d.severity.to_string(),
            message: d.message.clone(),
            help: d.help.clone(),
            source: f.source.clone(),
            scope: f.scope.map(|s| s.as_str()),
            start: at.map(|a| a.0),
            end: at.map(|a| a.1),
            line: at.map(|a| a.2),
            column: at.map(|a| a.3),
            rendered: f.render(),
        };
        findings.push((Py::new(py, finding)?, f.is_error()));
    }
    Ok(RequestReport {
        valid: !report.has_errors(),
        kind: report.kind.map(|k| k.as_str()),
        kind_detected: report.kind_detected,
        findings,
        rendered: report.render(),
    })
}

/// Check, format, compile and match Qualys FIM API filters (the native module; import `fimql`).
#[pymodule]
fn _fimql(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("FilterError", py.get_type::<FilterError>())?;
    m.add("RecordError", py.get_type::<RecordError>())?;
    diag::error_defaults(py)?;
    m.add_class::<PyDiagnostic>()?;
    m.add_class::<Report>()?;
    m.add_class::<PyFilter>()?;
    m.add_class::<Events>()?;
    m.add_class::<Finding>()?;
    m.add_class::<RequestReport>()?;
    m.add_class::<build::PyCondition>()?;
    m.add_class::<build::PyField>()?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(format, m)?)?;
    m.add_function(wrap_pyfunction!(parse, m)?)?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(check_request, m)?)?;
    m.add_function(wrap_pyfunction!(build::quote, m)?)?;
    m.add_function(wrap_pyfunction!(build::field, m)?)?;
    m.add_function(wrap_pyfunction!(build::and_, m)?)?;
    m.add_function(wrap_pyfunction!(build::or_, m)?)?;
    m.add_function(wrap_pyfunction!(build::not_, m)?)?;
    Ok(())
}
