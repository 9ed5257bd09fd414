"""fimql.check, fimql.format and fimql.parse, against the command line."""

from __future__ import annotations

import datetime
import json
import pickle

import pytest

import fimql

from conftest import Cli


def test_a_valid_filter_has_no_diagnostics() -> None:
    report = fimql.check("action:Create AND severity>=4")
    assert report.valid
    assert report.diagnostics == [] and report.errors == [] and report.warnings == []
    assert report.filter == "action:Create AND severity>=4"
    assert report.scope == "events"
    assert str(report) == "valid: 0 errors, 0 warnings\n"


def test_an_unknown_token_is_an_error_with_a_did_you_mean() -> None:
    src = "actoin:Create"
    report = fimql.check(src)
    assert not report.valid
    [d] = report.errors
    assert d.code == "unknown-token"
    assert d.severity == "error"
    assert src[d.start : d.end] == "actoin"
    assert (d.line, d.column) == (1, 1)
    assert d.help is not None and "action" in d.help
    assert d.to_dict()["code"] == "unknown-token"
    assert "^^^^^^" in str(d)
    assert repr(d).startswith("Diagnostic(code='unknown-token', severity='error', start=0, end=6, ")


def test_spans_are_code_points_on_non_ascii_filters() -> None:
    # Each of "é", "ü" and "日本" takes more than one byte in UTF-8.
    src = 'file.name:"résumé" AND\n  asset.name:"日本" AND actoin:Create AND severity:\'Größe\''
    report = fimql.check(src)
    codes = [(d.code, src[d.start : d.end]) for d in report.errors]
    assert ("unknown-token", "actoin") in codes
    assert ("type-mismatch", "'Größe'") in codes
    d = next(d for d in report.errors if src[d.start : d.end] == "actoin")
    line_start = src.index("\n") + 1
    assert d.line == 2
    assert d.column == d.start - line_start + 1
    # The same diagnostics, by bytes, from the command line's JSON output.
    b = src.encode()
    assert b.index("actoin".encode()) != src.index("actoin")
    assert d.start == src.index("actoin")


def test_warnings_do_not_make_a_filter_invalid() -> None:
    report = fimql.check("action:Create OR action:Delete AND severity:4")
    assert report.valid
    [w] = report.warnings
    assert w.code == "mixed-and-or" and w.severity == "warning"
    assert str(report).endswith("valid: 0 errors, 1 warning\n")


@pytest.mark.parametrize(
    "src",
    [
        "actoin:Create severity:4",
        "severity:high AND file.name:'naïve",
        "action:Creat OR dateTime>='2016-12-31'",
        "(action:Create",
        "asset.name:Bücher AND sevérité>3",
    ],
)
def test_the_rendering_is_what_the_command_line_prints(cli: Cli, src: str) -> None:
    report = fimql.check(src)
    run = cli("check", src)
    assert run.returncode == (0 if report.valid else 1)
    assert str(report) == run.stderr


def test_the_diagnostics_agree_with_the_command_lines_json(cli: Cli) -> None:
    src = "sévérité:4 AND actoin:Créate AND severity:[5..1]"
    out = json.loads(cli("check", "--format", "json", src).stdout)
    ours = fimql.check(src).diagnostics
    assert len(ours) == len(out["diagnostics"])
    b = src.encode()
    for d, j in zip(ours, out["diagnostics"]):
        assert (d.code, d.severity, d.message, d.help) == (j["code"], j["severity"], j["message"], j.get("help"))
        assert (d.line, d.column) == (j["line"], j["column"])
        # Code points here, bytes there.
        assert len(src[: d.start].encode()) == j["span"]["start"]
        assert len(src[: d.end].encode()) == j["span"]["end"]
        assert src[d.start : d.end].encode() == b[j["span"]["start"] : j["span"]["end"]]


def test_labels_agree_with_the_command_lines_json(cli: Cli) -> None:
    src = "(sévérité:4 AND (action:Create"
    out = json.loads(cli("check", "--format", "json", src).stdout)
    ours = fimql.check(src).diagnostics
    assert len(ours) == len(out["diagnostics"])
    found = 0
    for d, j in zip(ours, out["diagnostics"]):
        theirs = j.get("labels", [])
        assert len(d.labels) == len(theirs)
        for (start, end, message), label in zip(d.labels, theirs):
            found += 1
            # Code points here, bytes there.
            assert len(src[:start].encode()) == label["span"]["start"]
            assert len(src[:end].encode()) == label["span"]["end"]
            assert message == label["message"]
            assert message in str(d)
        assert d.to_dict()["labels"] == [
            {"start": s, "end": e, "message": m} for s, e, m in d.labels
        ]
    assert found > 0, out
    # Labels survive pickling, and count in equality.
    d = next(d for d in ours if d.labels)
    assert pickle.loads(pickle.dumps(d)).labels == d.labels


def test_scope_and_clock() -> None:
    assert fimql.check("status:OPEN", scope="incidents").valid
    assert not fimql.check("status:OPEN", scope="events").valid
    with pytest.raises(ValueError, match="incidents"):
        fimql.check("action:Create", scope="incident")  # type: ignore[arg-type]
    assert fimql.check("dateTime>='now-7d'", now="2023-01-10T12:00:00Z").valid
    aware = datetime.datetime(2023, 1, 10, 12, tzinfo=datetime.timezone.utc)
    assert fimql.check("dateTime>='now-7d'", now=aware).valid
    assert fimql.check("dateTime>='now-7d'", now=datetime.datetime(2023, 1, 10)).valid
    with pytest.raises(ValueError, match="timestamp"):
        fimql.check("action:Create", now="yesterday")
    with pytest.raises(TypeError):
        fimql.check("action:Create", now=12)  # type: ignore[arg-type]


def test_allow_unknown() -> None:
    report = fimql.check("custom.field:x")
    assert not report.valid
    # The help names this package's switch, not the command line's.
    assert (report.errors[0].help or "").endswith("pass `allow_unknown=True`")
    with pytest.raises(fimql.FilterError) as err:
        fimql.compile("custom.field:x")
    assert "pass `allow_unknown=True`" in str(err.value)
    assert fimql.check("custom.field:x", allow_unknown=True).valid


def test_format_is_what_fmt_prints(cli: Cli) -> None:
    src = "action : create and (severity>=4 or file.name:'x y')  and not asset.name:DESKTOP*"
    assert fimql.format(src) + "\n" == cli("fmt", src).stdout
    assert fimql.format(src, pretty=True) + "\n" == cli("fmt", "--pretty", src).stdout
    # Canonical text is a fixed point.
    assert fimql.format(fimql.format(src)) == fimql.format(src)


def test_parse_is_what_parse_prints(cli: Cli) -> None:
    src = "dateTime:['2023-01-01'..*] AND NOT file.name:`Bücher` AND action:[Create, Delete]"
    assert fimql.parse(src) == json.loads(cli("parse", "--format", "json", src).stdout)


@pytest.mark.parametrize("call", [fimql.format, fimql.parse])
def test_a_syntax_error_raises_filter_error(call: object) -> None:
    src = "action:Create AND"
    with pytest.raises(fimql.FilterError) as info:
        call(src)  # type: ignore[operator]
    err = info.value
    assert isinstance(err, ValueError)
    [d] = err.diagnostics
    assert d.code == "expected-term"
    assert str(err) == str(d).rstrip()


def test_lone_surrogates_are_filter_errors_with_a_caret() -> None:
    # A Python str can hold half of a surrogate pair, which has no UTF-8 form: a FilterError
    # pointing at it (in code points), not the UnicodeEncodeError of the conversion.
    for call in (fimql.check, fimql.compile, fimql.format, fimql.parse):
        with pytest.raises(fimql.FilterError) as info:
            call("file.name:ab\udcff OR x\ud800")
        [d] = info.value.diagnostics
        assert d.code == "unexpected-token"
        assert "U+DCFF" in d.message
        assert (d.start, d.end) == (12, 13)
        assert "file.name:ab\ufffd OR x\ufffd" in str(info.value)
    # A proper pair is one character, and fine.
    assert fimql.check("file.name:\U0001f600").valid
    # Python pairs no surrogates in a str: two halves of a pair are two code points, each its
    # own problem; positions count astral characters as one code point.
    for text, at in (("a:\ud83d\ude00", 2), ("\U0001f600 a:\udcff", 4), ("\ud83d\ude00 a:\udcff", 0)):
        with pytest.raises(fimql.FilterError) as info:
            fimql.compile(text)
        [d] = info.value.diagnostics
        assert (d.start, d.end) == (at, at + 1), text
        assert text[d.start] >= "\ud800"


def stub_docstring(name: str) -> str:
    """The docstring of the function `name` in the type stubs."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(fimql.__file__).parent / "_fimql.pyi").read_text())
    [fn] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    return ast.get_docstring(fn) or ""


def test_parse_spans_are_utf8_byte_offsets_as_documented() -> None:
    src = "file.name:日本 AND x:\"é\""
    tree = fimql.parse(src)
    terms = tree["expr"]["kind"]["and"]
    spans = [t["kind"]["term"]["predicate"]["value"]["span"] for t in terms]
    raw = src.encode()
    assert [raw[s["start"] : s["end"]].decode() for s in spans] == ["日本", '"é"']
    # Not indexes of the str: the second value is elsewhere there.
    assert src[spans[1]["start"] : spans[1]["end"]] != '"é"'
    # Both docstrings say so (the README does too).
    for doc in (stub_docstring("parse"), fimql.parse.__doc__ or ""):
        text = " ".join(doc.split())
        assert "byte offsets into the UTF-8 encoding of the filter" in text, doc
        assert "filter.encode()[start:end]" in text
