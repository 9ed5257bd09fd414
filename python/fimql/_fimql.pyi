"""Type stubs of the native module ``fimql._fimql`` (re-exported by ``fimql``)."""

import datetime
import os
from typing import Any, Iterable, Iterator, Literal, Mapping, NoReturn, Optional, Union, final

__all__ = [
    "Condition",
    "Diagnostic",
    "Events",
    "Field",
    "Filter",
    "FilterError",
    "Finding",
    "RecordError",
    "Report",
    "RequestReport",
    "__version__",
    "and_",
    "check",
    "check_request",
    "compile",
    "field",
    "format",
    "not_",
    "or_",
    "parse",
    "quote",
]

__version__: str

_Scope = Literal["events", "incidents"]
_Now = Union[str, datetime.datetime, None]
_Path = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
# A `Mapping` so that a TypedDict type checks; at run time the event must be a dict.
_Event = Union[Mapping[str, Any], str, bytes, bytearray]
_Kind = Literal[
    "incident-approve",
    "incident-create",
    "correlation-rule-create",
    "correlation-rule-update",
    "event-search",
    "event-count",
    "incident-search",
]
_Point = Union[int, datetime.datetime, datetime.date, str]
# Where file methods put malformed records (``RecordError``) and a read error that ends the
# reading (``OSError``: a truncated or corrupt compressed file): a list that can hold both
# (``list[RecordError]`` cannot: an ``OSError`` may be appended to it).
_Errors = Union[
    list[Union[RecordError, OSError]], list[Exception], list[BaseException], list[object], None
]

class FilterError(ValueError):
    """A filter that cannot be used. ``str(error)`` is the caret rendering of every problem."""

    diagnostics: list[Diagnostic]
    """Every problem; an empty list on an instance made by hand (``FilterError("message")``)."""

class RecordError(ValueError):
    """An event record that cannot be read (malformed JSON, not an object, too long). On an
    instance made by hand (``RecordError("message")``), ``path`` and ``line`` are None,
    ``code`` is ``invalid-record`` and ``message`` is the text."""

    path: Optional[str]
    """The file, or None for a record given to ``Filter.matches``."""
    line: Optional[int]
    """1-based line where the record starts in the file (within the record for ``matches``)."""
    code: str
    """``invalid-record`` or ``record-too-long``."""
    message: str
    """What is wrong, without the file and line. A position within the record (``at line 2
    column 8 of the record``) counts columns in bytes of its UTF-8, as the command line does."""

@final
class Diagnostic:
    """One problem in a filter; offsets and columns in code points of the filter string.
    Diagnostics compare and hash by their fields and rendering."""

    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

    @property
    def code(self) -> str:
        """The stable code, e.g. ``unknown-token``."""
    @property
    def severity(self) -> Literal["error", "warning"]:
        """``"error"`` or ``"warning"``."""
    @property
    def message(self) -> str:
        """One sentence saying what is wrong."""
    @property
    def help(self) -> Optional[str]:
        """A suggestion, when one helps."""
    @property
    def start(self) -> int:
        """Start of the span, in code points."""
    @property
    def end(self) -> int:
        """End of the span (exclusive), in code points."""
    @property
    def line(self) -> int:
        """1-based line of the span's start."""
    @property
    def column(self) -> int:
        """1-based column of the span's start, in code points."""
    @property
    def labels(self) -> list[tuple[int, int, str]]:
        """Other places the problem points at (an unclosed ``(``, say), as ``(start, end,
        message)`` in code points, as ``str(d)`` draws them."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict; ``labels`` as a list of dicts (``start``, ``end``,
        ``message``)."""

@final
class Report:
    """The result of ``check``. ``str(report)`` is what ``fimql check`` prints. It pickles: the
    filter is checked again with the same scope, clock and ``allow_unknown``. Reports compare
    equal when they check the same filter the same way and find the same diagnostics."""

    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

    @property
    def filter(self) -> str: ...
    @property
    def scope(self) -> _Scope: ...
    @property
    def valid(self) -> bool:
        """Whether the filter has no errors (warnings allowed)."""
    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every problem, in the order found."""
    @property
    def errors(self) -> list[Diagnostic]: ...
    @property
    def warnings(self) -> list[Diagnostic]: ...

@final
class Filter:
    """A compiled filter (see ``compile``). It pickles: it is compiled again from its text,
    scope, ``allow_unknown`` and the instant ``now`` stood for. Filters are equal (and hash
    alike) when compiled from the same text, scope and ``allow_unknown`` and, when a date of
    the filter is relative to the clock (``now-7d``), the same clock; ``repr`` shows that
    clock."""

    @property
    def source(self) -> str:
        """The filter as given."""
    @property
    def scope(self) -> _Scope: ...
    @property
    def warnings(self) -> list[Diagnostic]: ...
    @property
    def paths(self) -> list[str]:
        """The JSON paths the filter reads, dotted."""
    def matches(self, event: _Event) -> bool:
        """Whether one event (a dict, or JSON text as str or bytes, a leading UTF-8 byte order
        mark skipped) matches.

        JSON text is read whole: any malformed part, a lone surrogate or nesting deeper than 127
        lists and objects is a ``RecordError``. A dict is read only along the filter's paths
        (``paths``; inside ``data`` for a search-response element): values elsewhere are not
        looked at, so their types, depth and strings are not checked, and such a dict can match
        where its JSON text would be a ``RecordError``. Along those paths it is held to what
        JSON text is: a lone surrogate in a key or string, or nesting deeper than 127 lists and
        dicts (or a container holding itself), is a ``RecordError``; a value that is not JSON
        (a set, a non-str key) a ``TypeError``. ``explain`` reads a dict whole."""
    def explain(self, event: _Event) -> dict[str, Any]:
        """Why one event matches, or does not: the tree with verdicts and the values found.
        A term's ``span`` counts code points of ``source`` (``source[start:end]`` is the
        term)."""
    def filter_file(self, path: _Path, *, errors: _Errors = None) -> Events:
        """The matching events of an exported file, in order, as dicts. With ``errors``,
        malformed records are appended there as ``RecordError`` and a read error (a truncated
        compressed file) as ``OSError``, which ends the iteration; without, they raise."""
    def count_file(self, path: _Path, *, errors: _Errors = None) -> int:
        """The number of matching events in an exported file. With ``errors``, malformed records
        are appended there as ``RecordError`` and a read error (a truncated compressed file) as
        ``OSError``, and the count of what was read before it is returned; without, they
        raise."""
    def group_by(
        self,
        path: _Path,
        tokens: Iterable[str],
        *,
        errors: _Errors = None,
    ) -> dict[str, Any]:
        """Counts of the matching events per value of the tokens (FIM count shape); numbers
        count under their text as written in the record."""

@final
class Events(Iterator[dict[str, Any]]):
    """The matching events of a file (see ``Filter.filter_file``)."""

    def __iter__(self) -> Events: ...
    def __next__(self) -> dict[str, Any]: ...

@final
class Finding:
    """One problem of a request body."""

    @property
    def path(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def severity(self) -> Literal["error", "warning"]: ...
    @property
    def message(self) -> str: ...
    @property
    def help(self) -> Optional[str]: ...
    @property
    def source(self) -> Optional[str]:
        """The text the span points into: the embedded filter, or the body for invalid JSON."""
    @property
    def scope(self) -> Optional[_Scope]: ...
    @property
    def start(self) -> Optional[int]:
        """Start of the span in ``source``, in code points (``source[start:end]``)."""
    @property
    def end(self) -> Optional[int]:
        """End of the span (exclusive) in ``source``, in code points."""
    @property
    def line(self) -> Optional[int]:
        """1-based line of the span's start in ``source``."""
    @property
    def column(self) -> Optional[int]:
        """1-based column of the span's start, in code points."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""

@final
class RequestReport:
    """The result of ``check_request``. ``str(report)`` is what ``fimql request check`` prints."""

    @property
    def valid(self) -> bool: ...
    @property
    def kind(self) -> Optional[str]: ...
    @property
    def kind_detected(self) -> bool: ...
    @property
    def findings(self) -> list[Finding]: ...
    @property
    def errors(self) -> list[Finding]: ...
    @property
    def warnings(self) -> list[Finding]: ...

@final
class Condition:
    """A condition under construction; ``&``, ``|`` and ``~`` combine, ``build()`` writes it.

    Conditions compare and hash by the filter they make. A condition pickles as the filter it
    writes, read back into an equal condition; one that cannot be written (an empty value)
    raises its ``FilterError`` when pickled. A copy is the condition itself."""

    def build(self) -> str:
        """The filter text; raises ``FilterError`` when it cannot be written."""
    def __str__(self) -> str:
        """The filter text, or what ``repr`` shows when it cannot be written (never raises)."""
    def __and__(self, other: Condition, /) -> Condition: ...
    def __rand__(self, other: Condition, /) -> Condition: ...
    def __or__(self, other: Condition, /) -> Condition: ...
    def __ror__(self, other: Condition, /) -> Condition: ...
    def __invert__(self) -> Condition: ...
    def __eq__(self, other: object, /) -> bool:
        """Equal when they make the same filter (``a & b`` is not ``b & a``)."""
    def __hash__(self) -> int: ...
    def __copy__(self) -> Condition: ...
    def __deepcopy__(self, _memo: Any, /) -> Condition: ...
    def __bool__(self) -> NoReturn:
        """Raises ``TypeError``: combine with ``&``, ``|`` and ``~``, not ``and``, ``or``,
        ``not``."""

@final
class Field:
    """A field to make a term with (see ``field``). A value (or name) holding a lone surrogate
    (``"\\udcff"``: not a character) raises ``FilterError`` at once."""

    def eq(self, value: str) -> Condition:
        """Case-insensitive match of the whole value, escaped (``*`` and ``?`` literal)."""
    def exact(self, value: str) -> Condition:
        """Exact, case-sensitive match (backticks)."""
    def phrase(self, value: str) -> Condition:
        """Case-insensitive substring (double quotes)."""
    def wildcard(self, pattern: str) -> Condition:
        """A bare pattern as written: ``*`` and ``?`` are wildcards."""
    def is_(self, value: bool) -> Condition: ...
    def present(self) -> Condition: ...
    def any_of(self, values: Iterable[str]) -> Condition:
        """Any of the values (a list, a tuple...; a single str is a ``TypeError``)."""
    def exact_any_of(self, values: Iterable[str]) -> Condition:
        """Any of the values, exactly (backticks)."""
    def range(self, low: Optional[_Point], high: Optional[_Point]) -> Condition:
        """``field:[low..high]``, both ends included, ``None`` open. An end is an ``int``, a
        ``datetime`` (written in UTC; a naive one is taken as UTC), a ``date`` (midnight UTC
        of that day: as ``high`` it leaves the rest of the day out) or a ``str``
        (``"now-7d"``); a ``bool`` is a ``TypeError``."""
    def gt(self, value: _Point) -> Condition:
        """``field>value``: an ``int``, a ``datetime`` (a naive one is taken as UTC), a
        ``date`` (midnight UTC of that day, so ``gt(d)`` takes in the rest of day ``d`` and
        ``le(d)`` leaves it out: for whole days use ``ge`` and ``lt`` with the next day) or a
        ``str`` (``"now-7d"``)."""
    def ge(self, value: _Point) -> Condition:
        """``field>=value``; ``value`` as for ``gt``."""
    def lt(self, value: _Point) -> Condition:
        """``field<value``; ``value`` as for ``gt``."""
    def le(self, value: _Point) -> Condition:
        """``field<=value``; ``value`` as for ``gt``."""

def check(
    filter: str,
    scope: _Scope = "events",
    now: _Now = None,
    *,
    allow_unknown: bool = False,
) -> Report:
    """Checks a filter; every problem in one pass.

    A ``str`` holding a lone surrogate (not Unicode text) raises ``FilterError``.
    """

def format(filter: str, pretty: bool = False) -> str:
    """The filter in canonical (or pretty) form; ``FilterError`` on a syntax error."""

def parse(filter: str) -> dict[str, Any]:
    """The syntax tree exactly as ``fimql parse --format json`` prints it; ``FilterError`` on a
    syntax error.

    Its spans are byte offsets into the UTF-8 encoding of the filter, not indexes of the
    ``str``: ``filter.encode()[start:end].decode()`` is the text a node was read from.
    (Diagnostics and ``Filter.explain`` count code points of the ``str``.)
    """

def compile(
    filter: str,
    scope: _Scope = "events",
    now: _Now = None,
    allow_unknown: bool = False,
) -> Filter:
    """Compiles a filter for matching; ``FilterError`` when it cannot be used."""

def check_request(
    body: Union[Mapping[str, Any], list[Any], str, bytes],
    kind: Optional[_Kind] = None,
    *,
    allow_unknown: bool = False,
) -> RequestReport:
    """Checks a FIM API request body and every filter in it."""

def quote(value: str, form: Literal["bare", "exact", "phrase"] = "bare") -> str:
    """``value`` written so that it means exactly ``value`` in a filter."""

def field(name: str) -> Field:
    """Starts a term on a field (token). A name holding a lone surrogate raises
    ``FilterError``."""

def and_(*conditions: Condition) -> Condition:
    """All of the conditions."""

def or_(*conditions: Condition) -> Condition:
    """Any of the conditions."""

def not_(condition: Condition) -> Condition:
    """The condition negated."""
