//! The builder: filters made from Python values, escaped and quoted so that a script never pastes
//! raw values into filter text.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use chrono::NaiveDate;
use fimql::ast::{Bound as Limit, ExprKind, Form, Predicate, Value};
use fimql::builder::{self, BuildError, Condition, End, Point};
use fimql::{Expr, Span};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDate, PyInt, PyString, PyTuple};

use crate::convert::{strings, type_name};
use crate::diag::{FilterText, Reduce, Surrogate, argument_text, filter_error, repr, text_or};

/// A `FilterError` for a condition that cannot be written.
fn build_error(py: Python<'_>, e: &BuildError) -> PyErr {
    filter_error(py, &[e.diagnostic()], "")
}

/// The text of a value (or name) given to the builder; `what` names it. A lone surrogate (a
/// Python `str` can hold one, as `"\udcff"`) cannot be written in a filter: a `FilterError`, as
/// other values that cannot be written are, with the code the parser gives a character it
/// refuses (raised at once: the condition cannot hold the value to fail at `build()`).
fn builder_text(s: &Bound<'_, PyString>, what: &str) -> PyResult<String> {
    text_or(s, |found: Surrogate| {
        let d = fimql::Diagnostic::error(
            fimql::error::Code::UnexpectedToken,
            fimql::Span::default(),
            format!(
                "{what} holds {}, which is not a character",
                found.describe()
            ),
        )
        .with_help(
            "a filter is Unicode text: a surrogate comes only in a pair; decode the bytes the \
             value came from with errors=\"strict\" to find where it came from",
        );
        filter_error(s.py(), &[d], "")
    })
}

/// `value` written in a filter so that it means exactly `value`.
///
/// `form` picks how it matches (`grammar.md`): `"bare"` (the default) is a case-insensitive match
/// of the whole value, with every special character escaped (`*` and `?` are literal);
/// `"exact"` is case-sensitive, in backticks; `"phrase"` is a case-insensitive substring, in
/// double quotes.
///
/// >>> fimql.quote("C:\\temp\\*.exe")
/// 'C\\:\\\\temp\\\\\\*.exe'
/// >>> fimql.quote("Added", "exact")
/// '`Added`'
#[pyfunction]
#[pyo3(signature = (value, form = "bare"))]
pub fn quote(value: &Bound<'_, PyString>, form: &str) -> PyResult<String> {
    let value = argument_text(value, "quote: the value")?;
    let form = match form {
        "bare" => Form::Bare,
        "exact" => Form::Backtick,
        "phrase" => Form::Double,
        other => {
            return Err(PyValueError::new_err(format!(
                "form must be \"bare\", \"exact\" or \"phrase\", not {other:?}"
            )));
        }
    };
    if value.is_empty() {
        return Err(PyValueError::new_err(
            "a filter cannot hold an empty value (use `NOT field:*` for a missing field)",
        ));
    }
    Ok(Value::new(form, &value).to_string())
}

/// A value to compare with or bound a range by: an int, a `datetime` (a naive one is UTC), a
/// `date`, or text (such as `now-7d`).
fn point(v: &Bound<'_, PyAny>, what: &str) -> PyResult<Point> {
    if v.cast::<PyBool>().is_ok() {
        return Err(PyTypeError::new_err(
            "a bool is not a value to compare with",
        ));
    }
    if v.cast::<PyInt>().is_ok() {
        return v.extract::<i64>().map(Point::Int).map_err(|_| {
            PyValueError::new_err(format!(
                "{v} does not fit in 64 bits, the range of the filter language's integers"
            ))
        });
    }
    if let Some(t) = crate::convert::datetime_utc(v)? {
        return Ok(Point::Instant(t));
    }
    if v.cast::<PyDate>().is_ok() {
        return Ok(Point::Date(v.extract::<NaiveDate>()?));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Point::Text(builder_text(s, what)?));
    }
    Err(PyTypeError::new_err(format!(
        "expected an int, a datetime, a date or a str, not {}",
        type_name(v)
    )))
}

fn end(v: &Bound<'_, PyAny>, what: &str) -> PyResult<End> {
    if v.is_none() {
        Ok(End::Open)
    } else {
        point(v, what).map(End::from)
    }
}

/// A condition under construction: combine with `&` (AND), `|` (OR) and `~` (NOT); `str()` or
/// `build()` gives the filter text. Conditions compare (and hash) by the filter they make.
///
/// A condition pickles as the filter it writes, read back into an equal condition; one that
/// cannot be written (an empty value) raises its `FilterError` when pickled.
#[pyclass(frozen, module = "fimql", name = "Condition")]
#[derive(Clone)]
pub struct PyCondition {
    shape: Shape,
}

/// What a [`PyCondition`] holds. The parts of an AND (or OR) are a persistent vector, shared by
/// the conditions made from one another (each part behind an `Arc`, so that what the vector
/// copies is pointers): adding a part at either end costs O(log n) and copies no part, so that a
/// chain made in a loop (`c = c | x`, `c = x | c`, `c = or_(c, x)`, or two conditions made from
/// one) costs time linear in its length.
#[derive(Clone)]
enum Shape {
    /// A condition made whole.
    Made(Condition),
    /// The AND (or OR) of the parts.
    Join {
        and: bool,
        parts: imbl::Vector<Arc<Condition>>,
    },
}

fn cond(inner: Condition) -> PyCondition {
    PyCondition {
        shape: Shape::Made(inner),
    }
}

impl PyCondition {
    /// The condition made whole (the builder flattens nested ANDs and ORs).
    pub(crate) fn condition(&self) -> Condition {
        match &self.shape {
            Shape::Made(c) => c.clone(),
            Shape::Join { and: true, parts } => builder::and(parts.iter().map(|c| (**c).clone())),
            Shape::Join { and: false, parts } => builder::or(parts.iter().map(|c| (**c).clone())),
        }
    }

    /// The parts of this condition as an AND (`and`) or an OR: its own parts when it is one,
    /// else itself alone.
    fn parts(&self, and: bool) -> imbl::Vector<Arc<Condition>> {
        match &self.shape {
            Shape::Join { and: same, parts } if *same == and => parts.clone(),
            _ => imbl::Vector::unit(Arc::new(self.condition())),
        }
    }

    /// The AND (or OR) of `items`, in order.
    fn join<'a>(items: impl IntoIterator<Item = &'a PyCondition>, and: bool) -> PyCondition {
        let mut parts = imbl::Vector::new();
        for c in items {
            parts.append(c.parts(and));
        }
        PyCondition {
            shape: Shape::Join { and, parts },
        }
    }
}

#[pymethods]
impl PyCondition {
    /// The filter text; raises `FilterError` when the condition cannot be written (an empty
    /// value, a bad field name, nesting too deep).
    fn build(&self, py: Python<'_>) -> PyResult<String> {
        match self.condition().build() {
            Ok(q) => Ok(q.to_string()),
            Err(e) => Err(build_error(py, &e)),
        }
    }

    fn __and__(&self, other: &PyCondition) -> PyCondition {
        PyCondition::join([self, other], true)
    }

    fn __or__(&self, other: &PyCondition) -> PyCondition {
        PyCondition::join([self, other], false)
    }

    /// A condition unpickled (see `__reduce__`): the filter it wrote, read back into the same
    /// condition; not part of the API.
    #[staticmethod]
    #[pyo3(name = "_restore")]
    fn restore(py: Python<'_>, filter: FilterText) -> PyResult<PyCondition> {
        let filter = filter.0;
        // No cap on length: a condition built in a loop may be longer than a filter the parser
        // takes by default; nesting is within the default, as `build()` checked.
        let opts = fimql::Options::default().max_len(usize::MAX);
        let query = fimql::parse_with(&filter, &opts)
            .map_err(|e| filter_error(py, e.diagnostics(), &filter))?;
        rebuilt(&query.expr).map(cond).ok_or_else(|| {
            PyValueError::new_err(format!(
                "`{filter}` is not a filter the builder writes (a `field:(a OR b)` group)"
            ))
        })
    }

    /// Pickling: the filter text, which `_restore` reads back into an equal condition. A
    /// condition that cannot be written (an empty value, nesting too deep) raises its
    /// `FilterError`, as `build()` does.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Reduce<'py, (String,)>> {
        let restore = py.get_type::<PyCondition>().getattr("_restore")?;
        Ok((restore, (self.build(py)?,)))
    }

    /// A condition does not change: a copy is itself.
    fn __copy__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __deepcopy__<'py>(slf: PyRef<'py, Self>, _memo: &Bound<'py, PyAny>) -> PyRef<'py, Self> {
        slf
    }

    fn __invert__(&self) -> PyCondition {
        cond(builder::not(self.condition()))
    }

    /// The filter text, or for a condition that cannot be written (an empty value) what
    /// `repr` shows: printing and logging never raise; `build()` does.
    fn __str__(&self, py: Python<'_>) -> String {
        self.build(py).unwrap_or_else(|_| self.__repr__(py))
    }

    /// Equal when they make the same filter (the same tree: `a & b` is not `b & a`).
    fn __eq__(&self, other: &PyCondition) -> bool {
        self.condition() == other.condition()
    }

    fn __hash__(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.condition().to_string().hash(&mut h);
        h.finish()
    }

    /// A condition has no truth value: `a and b` would be `b` alone, silently.
    fn __bool__(&self) -> PyResult<bool> {
        Err(PyTypeError::new_err(
            "a Condition has no truth value: combine conditions with & (and), | (or) and ~ (not), \
             not with the keywords and, or, not",
        ))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("Condition({})", repr(py, &self.condition().to_string()))
    }
}

/// The builder's condition for a tree parsed from the text the builder wrote: the same calls
/// that made it, so that it is equal to the condition written. None for what the builder does
/// not write (a `field:(a OR b)` group).
fn rebuilt(e: &Expr) -> Option<Condition> {
    let all = |xs: &[Expr]| xs.iter().map(rebuilt).collect::<Option<Vec<_>>>();
    Some(match &e.kind {
        ExprKind::And(xs) => builder::and(all(xs)?),
        ExprKind::Or(xs) => builder::or(all(xs)?),
        ExprKind::Not(x) => builder::not(rebuilt(x)?),
        ExprKind::Term(t) => {
            let f = builder::field(t.field.name.clone());
            let value = |v: &Value| Value {
                span: Span::default(),
                ..v.clone()
            };
            // Range ends and comparisons: an int is written bare, anything else (a date, an
            // instant, text) single-quoted from its text.
            let point = |v: &Value| match (v.form, v.raw.parse::<i64>()) {
                (Form::Bare, Ok(i)) => Point::Int(i),
                _ => Point::Text(v.text()),
            };
            let end = |b: &Limit| match b {
                Limit::Open(_) => End::Open,
                Limit::Value(v) => End::At(point(v)),
            };
            match &t.predicate {
                Predicate::Present(_) => f.present(),
                Predicate::Value(v) => f.value(value(v)),
                Predicate::List(vs, _) => f.list(vs.iter().map(value)),
                Predicate::Group(..) => return None,
                Predicate::Range(lo, hi, _) => f.range(end(lo), end(hi)),
                Predicate::Compare(op, v) => f.compare(*op, point(v)),
            }
        }
    })
}

/// A field (token) to make a term with; see `fimql.field`. A value (or name) holding a lone
/// surrogate (`"\udcff"`: not a character) raises `FilterError` at once.
#[pyclass(frozen, module = "fimql", name = "Field")]
pub struct PyField {
    name: String,
}

impl PyField {
    fn start(&self) -> builder::FieldRef {
        builder::field(self.name.clone())
    }

    /// The text of a value for this field (see [`builder_text`]).
    fn value(&self, v: &Bound<'_, PyString>) -> PyResult<String> {
        builder_text(v, &self.what())
    }

    /// The text of each item of a list of values for this field, in turn.
    fn item_text<'py>(&self) -> impl FnMut(&Bound<'py, PyString>) -> PyResult<String> + '_ {
        let mut index = 0;
        move |s| {
            let what = format!("item {index} of the values for `{}`", self.name);
            index += 1;
            builder_text(s, &what)
        }
    }

    /// How an error names a value for this field.
    fn what(&self) -> String {
        format!("the value for `{}`", self.name)
    }
}

#[pymethods]
impl PyField {
    /// `field:value`, bare and escaped: a case-insensitive match of the whole value (`*` and `?`
    /// are literal).
    fn eq(&self, value: &Bound<'_, PyString>) -> PyResult<PyCondition> {
        Ok(cond(self.start().eq(self.value(value)?)))
    }

    /// ``field:`value` ``: an exact, case-sensitive match.
    fn exact(&self, value: &Bound<'_, PyString>) -> PyResult<PyCondition> {
        Ok(cond(self.start().exact(self.value(value)?)))
    }

    /// `field:"value"`: a case-insensitive substring of a text token.
    fn phrase(&self, value: &Bound<'_, PyString>) -> PyResult<PyCondition> {
        Ok(cond(self.start().phrase(self.value(value)?)))
    }

    /// `field:pattern` with the pattern as written: `*` and `?` are wildcards.
    fn wildcard(&self, pattern: &Bound<'_, PyString>) -> PyResult<PyCondition> {
        let pattern = builder_text(pattern, &format!("the pattern for `{}`", self.name))?;
        Ok(cond(self.start().wildcard(pattern)))
    }

    /// `field:true` or `field:false`.
    fn is_(&self, value: bool) -> PyCondition {
        cond(self.start().is(value))
    }

    /// `field:*`: the field has a value.
    fn present(&self) -> PyCondition {
        cond(self.start().present())
    }

    /// `field:[a, b]`: any of the values, each a case-insensitive whole-value match. `values`
    /// is any iterable of `str` (a list, a tuple); a single `str` is a `TypeError`.
    fn any_of(&self, values: &Bound<'_, PyAny>) -> PyResult<PyCondition> {
        let values = strings(values, "any_of", self.item_text())?;
        Ok(cond(self.start().any_of(values)))
    }

    /// ``field:[`a`, `b`]``: any of the values, exactly. `values` as for `any_of`.
    fn exact_any_of(&self, values: &Bound<'_, PyAny>) -> PyResult<PyCondition> {
        let values = strings(values, "exact_any_of", self.item_text())?;
        Ok(cond(self.start().exact_any_of(values)))
    }

    /// `field:[low..high]`, both ends included; `None` leaves an end open (`*`).
    ///
    /// Each end is an `int`, a `datetime` (written in UTC; a naive one is taken as UTC), a
    /// `date` (midnight UTC of that day: as `high` it leaves the rest of the day out), or a
    /// `str` written as the filter reads it (`"now-7d"`, `"2024-01-01"`). A `bool` or another
    /// type is a `TypeError`.
    fn range(&self, low: &Bound<'_, PyAny>, high: &Bound<'_, PyAny>) -> PyResult<PyCondition> {
        let (low, high) = (
            end(low, &format!("the low end for `{}`", self.name))?,
            end(high, &format!("the high end for `{}`", self.name))?,
        );
        Ok(cond(self.start().range(low, high)))
    }

    /// `field>value`. `value` is an `int`, a `datetime` (written in UTC; a naive one is taken
    /// as UTC), a `date` (midnight UTC of that day, so `gt(d)` takes in the rest of day `d` and
    /// `le(d)` leaves it out: for whole days use `ge` and `lt` with the next day), or a `str`
    /// (`"now-7d"`); a `bool` or another type is a `TypeError`.
    fn gt(&self, value: &Bound<'_, PyAny>) -> PyResult<PyCondition> {
        Ok(cond(self.start().gt(point(value, &self.what())?)))
    }

    /// `field>=value`. `value` as for `gt`: an `int`, a `datetime` (a naive one is taken as
    /// UTC), a `date`, or a `str`.
    fn ge(&self, value: &Bound<'_, PyAny>) -> PyResult<PyCondition> {
        Ok(cond(self.start().ge(point(value, &self.what())?)))
    }

    /// `field<value`. `value` as for `gt`: an `int`, a `datetime` (a naive one is taken as
    /// UTC), a `date`, or a `str`.
    fn lt(&self, value: &Bound<'_, PyAny>) -> PyResult<PyCondition> {
        Ok(cond(self.start().lt(point(value, &self.what())?)))
    }

    /// `field<=value`. `value` as for `gt`: an `int`, a `datetime` (a naive one is taken as
    /// UTC), a `date`, or a `str`.
    fn le(&self, value: &Bound<'_, PyAny>) -> PyResult<PyCondition> {
        Ok(cond(self.start().le(point(value, &self.what())?)))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("fimql.field({})", repr(py, &self.name))
    }
}

/// Starts a term on a field (token), e.g. `fimql.field("action").eq(user_input)`. A name
/// holding a lone surrogate raises `FilterError`.
#[pyfunction]
pub fn field(name: &Bound<'_, PyString>) -> PyResult<PyField> {
    Ok(PyField {
        name: builder_text(name, "the field name")?,
    })
}

/// All of the conditions (AND).
#[pyfunction]
#[pyo3(signature = (*conditions))]
pub fn and_(conditions: &Bound<'_, PyTuple>) -> PyResult<PyCondition> {
    let items = conditions_of(conditions)?;
    Ok(PyCondition::join(items.iter().map(|c| &**c), true))
}

/// Any of the conditions (OR).
#[pyfunction]
#[pyo3(signature = (*conditions))]
pub fn or_(conditions: &Bound<'_, PyTuple>) -> PyResult<PyCondition> {
    let items = conditions_of(conditions)?;
    Ok(PyCondition::join(items.iter().map(|c| &**c), false))
}

fn conditions_of<'py>(items: &Bound<'py, PyTuple>) -> PyResult<Vec<PyRef<'py, PyCondition>>> {
    items
        .iter()
        .map(|c| Ok(c.extract::<PyRef<'py, PyCondition>>()?))
        .collect()
}

/// The condition negated (NOT); the same as `~condition`.
#[pyfunction]
pub fn not_(condition: &PyCondition) -> PyCondition {
    cond(builder::not(condition.condition()))
}
