"""Pitfalls a new user met: conditions combined with `and`, single strings where a list of
tokens goes, a byte order mark, a truncated compressed file, and what `repr` and `==` of a
Filter say."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

import fimql

from conftest import Cli


def test_a_condition_has_no_truth_value() -> None:
    a = fimql.field("action").eq("Create")
    b = fimql.field("severity").ge(4)
    with pytest.raises(TypeError, match=r"use|combine.*&.*\|.*~"):
        bool(a)
    # `a and b` would silently be `b` alone; `not a` would be False.
    with pytest.raises(TypeError, match="and, or, not"):
        _ = a and b
    with pytest.raises(TypeError):
        _ = a or b
    with pytest.raises(TypeError):
        _ = not a
    # The operators are the way.
    assert (a & b).build() == "action:Create AND severity>=4"
    assert (a | ~b).build() == "action:Create OR NOT severity>=4"


def test_several_values_are_any_iterable_of_strings_but_not_one_string(tmp_path: Path) -> None:
    f = fimql.field("action")
    want = f.any_of(["Create", "Delete"]).build()
    assert f.any_of(("Create", "Delete")).build() == want
    assert f.any_of(v for v in ["Create", "Delete"]).build() == want
    assert f.exact_any_of(("Create",)).build() == f.exact_any_of(["Create"]).build()
    for call in (f.any_of, f.exact_any_of):
        with pytest.raises(TypeError, match=r"list of strings, not a single str"):
            call("Create")
        with pytest.raises(TypeError, match="every item is a str, not int"):
            call(["Create", 4])  # type: ignore[list-item]
    path = tmp_path / "ev.ndjson"
    path.write_text(
        '{"platform":"WINDOWS","action":"Create"}\n{"platform":"LINUX","action":"Create"}\n'
    )
    compiled = fimql.compile("action:Create")
    by_list = compiled.group_by(path, ["platform"])
    assert by_list == {"WINDOWS": 1, "LINUX": 1}
    assert compiled.group_by(path, ("platform",)) == by_list
    assert compiled.group_by(path, ("platform", "action")) == compiled.group_by(
        path, ["platform", "action"]
    )
    with pytest.raises(TypeError, match=r"group_by: tokens: pass a list of strings, not a single str \(e\.g\. \['platform'\]\)"):
        compiled.group_by(path, "platform")
    with pytest.raises(TypeError, match="not int"):
        compiled.group_by(path, 5)  # type: ignore[arg-type]


def test_matches_skips_a_byte_order_mark_like_the_file_readers(tmp_path: Path, cli: Cli) -> None:
    f = fimql.compile("action:Create")
    record = '{"action":"Create"}'
    assert f.matches(b"\xef\xbb\xbf" + record.encode())
    assert f.matches(bytearray(b"\xef\xbb\xbf" + record.encode()))
    assert f.matches("\ufeff" + record)
    assert f.explain(b"\xef\xbb\xbf" + record.encode())["matched"] is True
    assert not fimql.compile("action:Delete").matches(b"\xef\xbb\xbf" + record.encode())
    # As a file with a BOM is read.
    path = tmp_path / "bom.ndjson"
    path.write_bytes(b"\xef\xbb\xbf" + record.encode() + b"\n")
    assert f.count_file(path) == 1
    assert cli("filter", "--count", "action:Create", str(path)).stdout.strip() == "1"
    # A BOM is not a licence for anything else.
    with pytest.raises(fimql.RecordError):
        f.matches(b"\xef\xbb\xbf\xef\xbb\xbf" + record.encode())


def test_a_truncated_gzip_counts_what_was_read_when_errors_are_collected(
    tmp_path: Path, cli: Cli
) -> None:
    lines = [
        json.dumps({"action": "Create", "n": i, "pad": f"{i:04d}" * 900}) for i in range(8)
    ]
    whole = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    path = tmp_path / "trunc.gz"
    path.write_bytes(whole[: len(whole) * 6 // 10])
    run = cli("filter", "--count", "action:Create", str(path))
    assert run.returncode == 2
    partial = int(run.stdout.strip())
    assert 0 < partial < len(lines)
    f = fimql.compile("action:Create")
    # Without a list: the first problem raises (the record cut off, or the read error).
    with pytest.raises((OSError, fimql.RecordError)):
        f.count_file(path)
    errors: list[fimql.RecordError | OSError] = []
    assert f.count_file(path, errors=errors) == partial
    read_errors = [e for e in errors if isinstance(e, OSError)]
    assert len(read_errors) == 1 and str(path) in str(read_errors[0]), errors
    assert errors[-1] is read_errors[0]
    # The events read before it, then the end of the iteration.
    errors2: list[fimql.RecordError | OSError] = []
    assert len(list(f.filter_file(path, errors=errors2))) == partial
    assert isinstance(errors2[-1], OSError)
    errors3: list[fimql.RecordError | OSError] = []
    assert f.group_by(path, ["action"], errors=errors3) == {"Create": partial}
    assert isinstance(errors3[-1], OSError)


def test_a_filter_repr_shows_the_clock_it_depends_on_and_equality_follows_it() -> None:
    clock = datetime(2023, 1, 26, 12, 0, tzinfo=timezone.utc)
    rel = fimql.compile("dateTime>now-7d", now=clock)
    assert repr(rel) == (
        "fimql.compile('dateTime>now-7d', scope='events', now='2023-01-26T12:00:00Z')"
    )
    assert repr(fimql.compile("action:Create")) == "fimql.compile('action:Create', scope='events')"
    raw = fimql.compile("custom.x:1", allow_unknown=True)
    assert repr(raw) == "fimql.compile('custom.x:1', scope='events', allow_unknown=True)"
    # The repr, evaluated, is the same filter.
    assert eval(repr(rel), {"fimql": fimql}) == rel
    # Equal by text and options; the clock counts only where the text mentions `now`.
    assert fimql.compile("action:Create") == fimql.compile("action:Create")
    assert hash(fimql.compile("action:Create")) == hash(fimql.compile("action:Create"))
    assert len({fimql.compile("action:Create"), fimql.compile("action:Create")}) == 1
    assert fimql.compile("action:Create") != fimql.compile("action:Delete")
    assert fimql.compile("custom.x:1", scope="incidents", allow_unknown=True) != raw
    assert fimql.compile("custom.x:1", allow_unknown=True) == raw
    assert rel != fimql.compile("dateTime>now-7d", now=datetime(2024, 1, 1, tzinfo=timezone.utc))
    assert rel == fimql.compile("dateTime>now-7d", now=clock)
    assert fimql.compile("action:Create") != "action:Create"  # type: ignore[comparison-overlap]
    # A word that merely contains `now` does not bring the clock in.
    for text in ("file.name:known_hosts", "asset.name:SNOW*", 'file.fullPath:"now"'):
        a = fimql.compile(text, now=clock)
        b = fimql.compile(text, now=datetime(2024, 1, 1, tzinfo=timezone.utc))
        assert a == b and hash(a) == hash(b), text
        assert "now=" not in repr(a), repr(a)


def test_a_value_that_is_not_json_on_the_filters_path_is_refused_by_matches_too() -> None:
    import collections
    import types

    f = fimql.compile("action:Create AND asset.name:web1")
    for event in (
        {"action": "Create", "asset": collections.UserDict({"name": "web1"})},
        {"action": "Create", "asset": types.MappingProxyType({"name": "web1"})},
        {"data": types.MappingProxyType({"action": "Create", "asset": {"name": "web1"}})},
        {"action": "Create", "asset": {"web1"}},
    ):
        with pytest.raises(TypeError):
            f.matches(event)
        with pytest.raises(TypeError):
            f.explain(event)
    # A scalar where the path goes on is no value there, as in JSON.
    assert not f.matches({"action": "Create", "asset": "web1"})
    assert f.matches({"data": {"action": "Create", "asset": {"name": "web1"}}})


def test_many_diagnostics_of_one_long_filter() -> None:
    # Every term of a long filter wrong: each diagnostic has its own offsets, line and column,
    # and its rendering is drawn when asked for.
    n = 3000
    text = "\n".join(["actoin:x AND"] * (n - 1) + ["actoin:x"])
    report = fimql.check(text)
    diags = report.diagnostics
    assert len(diags) == n and all(d.code == "unknown-token" for d in diags)
    for i in (0, 1, n // 2, n - 1):
        d = diags[i]
        assert (d.line, d.column) == (i + 1, 1)
        assert text[d.start : d.end] == "actoin"
    assert f"--> {n}:1" in str(diags[-1]) and "did you mean `action`" in str(diags[-1])


def test_builder_docstrings_name_the_types_and_utc() -> None:
    for method in (fimql.Field.gt, fimql.Field.range):
        doc = method.__doc__ or ""
        for word in ("int", "datetime", "date", "str", "naive", "UTC"):
            assert word in doc, (method, word, doc)
    # What the docstrings say: a naive datetime is written as UTC.
    naive = fimql.field("dateTime").ge(datetime(2024, 1, 2, 3, 4, 5))
    aware = fimql.field("dateTime").ge(datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    assert naive.build() == aware.build()
    # And a date is midnight UTC: `le(d)` leaves day `d` out, `gt(d)` takes it in, as said.
    from datetime import date

    for method in (fimql.Field.gt, fimql.Field.range):
        assert "midnight UTC" in (method.__doc__ or ""), method
    noon = {"dateTime": "2024-01-31T12:00:00.000Z"}
    day = date(2024, 1, 31)
    assert not fimql.compile(fimql.field("dateTime").le(day).build()).matches(noon)
    assert fimql.compile(fimql.field("dateTime").gt(day).build()).matches(noon)
    whole = fimql.field("dateTime").ge(day) & fimql.field("dateTime").lt(date(2024, 2, 1))
    assert fimql.compile(whole.build()).matches(noon)
    with pytest.raises(TypeError, match="bool"):
        fimql.field("severity").ge(True)
