"""Pickling: a Filter is compiled again from its text and options; a FilterError keeps its
message and diagnostics; both cross process boundaries (multiprocessing)."""

from __future__ import annotations

import copy
import json
import multiprocessing
import pickle
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

import fimql

from conftest import BENCH_FILTERS, EXAMPLES, Cli

PROTOCOLS = range(2, pickle.HIGHEST_PROTOCOL + 1)


def roundtrip(f: fimql.Filter, protocol: int) -> fimql.Filter:
    back = pickle.loads(pickle.dumps(f, protocol=protocol))
    assert isinstance(back, fimql.Filter)
    return back


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_filter_is_the_same_filter_after_a_round_trip(protocol: int) -> None:
    events = [json.loads(line) for line in EXAMPLES.read_text().splitlines() if line.strip()]
    for src in [*BENCH_FILTERS.values(), "severity>=3 AND NOT type:Registry"]:
        f = fimql.compile(src)
        back = roundtrip(f, protocol)
        assert (back.source, back.scope, back.paths) == (f.source, f.scope, f.paths)
        assert [back.matches(e) for e in events] == [f.matches(e) for e in events]
        assert back.explain(events[0]) == f.explain(events[0])
    # The options: scope, allow_unknown, and the warnings they give.
    inc = fimql.compile("status:OPEN", scope="incidents")
    assert roundtrip(inc, protocol).scope == "incidents"
    raw = fimql.compile("custom.field:x AND action:Create", allow_unknown=True)
    back = roundtrip(raw, protocol)
    assert back.matches({"data": {"custom": {"field": "x"}, "action": "Create"}})
    assert [str(w) for w in back.warnings] == [str(w) for w in raw.warnings]
    assert copy.deepcopy(raw).source == raw.source and copy.copy(raw).source == raw.source


def test_relative_dates_keep_the_clock_they_were_resolved_at() -> None:
    src = "dateTime:[now-1d..now]"
    # A fixed clock, and the current one (taken at compilation): both travel with the filter.
    fixed = fimql.compile(src, now=datetime(2023, 1, 26, 12, 0, tzinfo=timezone.utc))
    event = {"data": {"dateTime": "2023-01-26T00:00:00.000+0000"}}
    assert fixed.matches(event)
    back = roundtrip(fixed, pickle.HIGHEST_PROTOCOL)
    assert back.matches(event)
    assert back.explain(event) == fixed.explain(event)
    current = fimql.compile(src)
    # The rule in words names the instants `now` was resolved to.
    rule = current.explain(event)["tree"]["rule"]
    assert "2023" not in rule
    assert roundtrip(current, pickle.HIGHEST_PROTOCOL).explain(event)["tree"]["rule"] == rule


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_filter_error_keeps_its_message_and_diagnostics(protocol: int) -> None:
    with pytest.raises(fimql.FilterError) as info:
        fimql.compile("actoin:Create AND platfrom:WINDOWS")
    err = info.value
    back = pickle.loads(pickle.dumps(err, protocol=protocol))
    assert type(back) is fimql.FilterError and isinstance(back, ValueError)
    assert str(back) == str(err) and back.args == err.args
    assert len(back.diagnostics) == len(err.diagnostics) >= 2
    for d, e in zip(back.diagnostics, err.diagnostics):
        assert isinstance(d, fimql.Diagnostic)
        assert d.to_dict() == e.to_dict()
        assert (str(d), repr(d)) == (str(e), repr(e))
    # Diagnostics alone, and a RecordError with its attributes.
    d = err.diagnostics[0]
    assert d.help and "did you mean `action`" in d.help
    assert pickle.loads(pickle.dumps(d, protocol=protocol)).to_dict() == d.to_dict()
    with pytest.raises(fimql.RecordError) as rec:
        fimql.compile("action:Create").matches(b'{"data": ')
    r = pickle.loads(pickle.dumps(rec.value, protocol=protocol))
    assert (r.path, r.line, r.code, r.message, str(r)) == (
        rec.value.path,
        rec.value.line,
        rec.value.code,
        rec.value.message,
        str(rec.value),
    )


def actions_matched(f: fimql.Filter, path: str) -> list[str]:
    """The actions of the events `f` matches in `path` (run in a worker process)."""
    return [str(e["data"]["action"]) for e in f.filter_file(path)]


def compile_in_worker(src: str) -> fimql.Filter:
    """A filter compiled in a worker process, sent back."""
    return fimql.compile(src)


def error_in_worker(src: str) -> fimql.FilterError:
    """The FilterError a worker process gets, sent back."""
    try:
        fimql.compile(src)
    except fimql.FilterError as e:
        return e
    raise AssertionError("no error")


def test_filters_and_errors_cross_a_multiprocessing_pool(cli: Cli, tmp_path: Path) -> None:
    path = str(EXAMPLES)
    filters = [fimql.compile(src) for src in BENCH_FILTERS.values()]
    # A fresh interpreter per worker: everything goes through pickle.
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        counts = pool.starmap(fimql.Filter.count_file, [(f, path) for f in filters])
        actions = pool.starmap(actions_matched, [(f, path) for f in filters])
        back = pool.map(compile_in_worker, list(BENCH_FILTERS.values()))
        errors = pool.map(error_in_worker, ["actoin:Create"])
    for src, f, n, acts, b in zip(BENCH_FILTERS.values(), filters, counts, actions, back):
        run = cli("filter", "--count", "--quiet", src, path)
        assert n == int(run.stdout) == f.count_file(path), src
        assert acts == actions_matched(f, path), src
        assert b.source == src and b.count_file(path) == n
    assert isinstance(errors[0], fimql.FilterError)
    assert errors[0].diagnostics[0].code == "unknown-token"
    assert "did you mean `action`" in str(errors[0])


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_report_is_the_same_report_after_a_round_trip(protocol: int) -> None:
    clock = datetime(2023, 1, 26, 12, 0, tzinfo=timezone.utc)
    for report in [
        fimql.check("actoin:Create AND severity>=9"),
        fimql.check("status:OPEN", scope="incidents"),
        fimql.check("custom.field:x", allow_unknown=True),
        fimql.check("dateTime>now-7d", now=clock),
        fimql.check("dateTime>now-7d"),
        fimql.check("action:(Create"),
    ]:
        back = pickle.loads(pickle.dumps(report, protocol=protocol))
        assert isinstance(back, fimql.Report)
        assert (back.filter, back.scope, back.valid) == (report.filter, report.scope, report.valid)
        assert str(back) == str(report)
        assert [d.to_dict() for d in back.diagnostics] == [d.to_dict() for d in report.diagnostics]
    assert copy.deepcopy(fimql.check("actoin:x")).valid is False


def test_diagnostics_and_reports_compare_by_value() -> None:
    now = "2023-06-01T00:00:00Z"
    a, b = fimql.check("actoin:x AND", now=now), fimql.check("actoin:x AND", now=now)
    assert a == b and hash(a) == hash(b)
    assert a.diagnostics == b.diagnostics and len({*a.diagnostics, *b.diagnostics}) == len(a.diagnostics)
    assert pickle.loads(pickle.dumps(a.diagnostics)) == a.diagnostics
    assert pickle.loads(pickle.dumps(a)) == a
    # Another filter, scope or clock is another report; the same problem elsewhere another diagnostic.
    assert fimql.check("actoin:y AND", now=now) != a
    assert fimql.check("actoin:x AND", now="2023-06-02T00:00:00Z") != a
    assert fimql.check("actoin:x AND", "incidents", now=now) != a
    assert fimql.check(" actoin:x AND", now=now).diagnostics[0] != a.diagnostics[0]
    assert a != "actoin:x AND"


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_errors_made_by_hand_have_the_attributes_of_raised_ones(protocol: int) -> None:
    # What a script raises itself (or a test double) reads like what the package raises.
    err = fimql.FilterError("no filter given")
    assert (err.diagnostics, str(err), err.args) == ([], "no filter given", ("no filter given",))
    err.diagnostics.append(fimql.check("actoin:x").diagnostics[0])
    assert fimql.FilterError("other").diagnostics == []  # a fresh list each time
    rec = fimql.RecordError("bad record")
    assert (rec.path, rec.line, rec.code, rec.message, str(rec)) == (
        None,
        None,
        "invalid-record",
        "bad record",
        "bad record",
    )
    # Set attributes win over the defaults, and both survive pickling.
    rec.path, rec.line = "export.ndjson", 7
    back = pickle.loads(pickle.dumps(rec, protocol=protocol))
    assert type(back) is fimql.RecordError
    assert (back.path, back.line, back.code, back.message, str(back)) == (
        "export.ndjson",
        7,
        "invalid-record",
        "bad record",
        "bad record",
    )
    plain = pickle.loads(pickle.dumps(fimql.FilterError("x"), protocol=protocol))
    assert type(plain) is fimql.FilterError and (plain.diagnostics, str(plain)) == ([], "x")
    # A subclass reads the same.
    class MyError(fimql.FilterError):
        pass

    assert MyError("y").diagnostics == []


def conditions() -> list[fimql.Condition]:
    """Conditions made with every builder call, values the language treats specially among them."""
    f = fimql.field
    since = datetime(2023, 6, 1, 2, 0, 0, 123000, tzinfo=timezone.utc)
    return [
        f("action").eq("Create"),
        f("file.fullPath").eq("C:\\temp\\*.exe (1) AND x:y"),
        f("file.name").exact("it's `tick` 日本語"),
        f("file.fullPath").phrase('\\windows\\ "system32"'),
        f("asset.name").wildcard("DESKTOP-?7*"),
        f("file.attribute.hidden").is_(False),
        f("asset.tags").present(),
        f("action").any_of(["Create", "a b", "*"]),
        f("action").exact_any_of(("Create", "Content")),
        f("severity").range(3, None) & f("severity").range(None, -1),
        f("dateTime").range(since, date(2024, 1, 9)) | f("dateTime").range("now-7d", "now"),
        f("dateTime").gt(since) & f("dateTime").le("2024-01-01") & f("severity").lt(5),
        f("severity").ge(4) | ~f("platform").eq("WINDOWS"),
        fimql.not_(fimql.and_(f("a").eq("x"), fimql.or_(f("b").eq("y"), ~~f("c").eq("'z'")))),
        f("custom.path").range("a'b", "c\\d"),
    ]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_condition_pickles_and_copies(protocol: int) -> None:
    for cond in conditions():
        back = pickle.loads(pickle.dumps(cond, protocol=protocol))
        assert type(back) is fimql.Condition
        assert back == cond and hash(back) == hash(cond), cond
        assert back.build() == cond.build()
        # Still a condition to build on.
        assert (back & fimql.field("x").present()) == (cond & fimql.field("x").present())
        assert copy.copy(cond) == cond and copy.deepcopy(cond) == cond
        assert copy.deepcopy([cond, cond])[0] == cond
    # Several in one pickle, and inside other objects.
    many = conditions()
    assert pickle.loads(pickle.dumps({"conds": many}, protocol=protocol)) == {"conds": many}


def test_a_long_condition_pickles() -> None:
    # Longer than a filter the parser takes by default (1 MiB): a chain built in a loop.
    cond = fimql.or_(*(fimql.field("asset.name").eq(f"host-{i:04d}-" + "x" * 600) for i in range(2_000)))
    assert len(cond.build()) > 1 << 20
    assert pickle.loads(pickle.dumps(cond)) == cond


def test_a_condition_that_cannot_be_written_does_not_pickle() -> None:
    # Its FilterError, as build() raises it, rather than a condition that stands for nothing.
    for cond in (fimql.field("action").eq(""), fimql.field("a b").present(), fimql.and_()):
        with pytest.raises(fimql.FilterError) as info:
            pickle.dumps(cond)
        with pytest.raises(fimql.FilterError) as built:
            cond.build()
        assert str(info.value) == str(built.value)
