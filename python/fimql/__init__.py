"""Check, format, compile and match Qualys FIM API filters.

The filter language of the Qualys FIM (File Integrity Monitoring) API, from the same Rust library
as the ``fimql`` command line::

    import fimql

    report = fimql.check("actoin:Create")          # every problem, with carets and hints
    if not report.valid:
        print(report)

    f = fimql.compile("action:Create AND severity>=4")
    f.matches({"data": {"action": "Create", "severity": 5}})   # True
    f.count_file("export.ndjson.gz")                           # like `fimql filter --count`

    # Values from elsewhere go in through the builder, escaped and quoted:
    cond = fimql.field("asset.name").eq(user_input) & fimql.field("severity").ge(4)
    text = cond.build()
"""

from ._fimql import (
    Condition,
    Diagnostic,
    Events,
    Field,
    Filter,
    FilterError,
    Finding,
    RecordError,
    Report,
    RequestReport,
    __version__,
    and_,
    check,
    check_request,
    compile,
    field,
    format,
    not_,
    or_,
    parse,
    quote,
)

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
