"""fimql.check_request, against `fimql request check`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import fimql

from conftest import Cli


def test_a_valid_search_body() -> None:
    body = {"filter": "action:Create AND severity>=4", "pageSize": 100}
    report = fimql.check_request(body)
    assert report.valid
    assert report.kind == "event-search" and report.kind_detected
    assert report.errors == []
    assert fimql.check_request(json.dumps(body), kind="event-search").kind_detected is False
    assert fimql.check_request(json.dumps(body).encode()).valid


def test_a_bad_filter_in_a_body_points_into_the_filter_in_code_points() -> None:
    src = "asset.name:'Bücher' AND actoin:Create"
    report = fimql.check_request({"filter": src, "pageSize": 10})
    assert not report.valid
    [f] = report.errors
    assert (f.path, f.code, f.severity, f.scope, f.source) == ("filter", "unknown-token", "error", "events", src)
    assert f.start is not None and f.end is not None
    assert src[f.start : f.end] == "actoin"
    assert (f.line, f.column) == (1, src.index("actoin") + 1)
    assert "in `filter`:" in str(f) and "^^^^^^" in str(f)


def test_findings_without_text_and_warnings() -> None:
    report = fimql.check_request({"filter": "action:Create", "pagesize": 10})
    assert report.valid
    [w] = report.warnings
    assert (w.code, w.path, w.source, w.start, w.line) == ("unknown-field", "pagesize", None, None, None)


def test_invalid_json_points_into_the_body() -> None:
    body = '{"filter": "näme:x", }'
    report = fimql.check_request(body)
    [f] = report.findings
    assert f.code == "invalid-json" and f.source == body
    assert f.start is not None and body[f.start] == "}"


def test_bad_kinds_and_bodies() -> None:
    with pytest.raises(ValueError, match="event-search"):
        fimql.check_request({"filter": "action:Create"}, kind="event-serch")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fimql.check_request({"filter": object()})
    assert not fimql.check_request([]).valid


@pytest.mark.parametrize(
    "body",
    [
        {"filter": "actoin:Create severity:4", "pageSize": 0},
        {"name": "n", "filters": ["action:Create", "dateTime>'yesterday'"], "reviewers": ["ann", "ann"]},
        {"approvalStatus": "DONE", "changeType": "OTHER", "dispositionCategory": "PATCHING"},
    ],
)
def test_the_rendering_is_what_the_command_line_prints(cli: Cli, tmp_path: Path, body: object) -> None:
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body))
    report = fimql.check_request(path.read_text())
    run = cli("request", "check", str(path))
    assert run.returncode == (0 if report.valid else 1)
    assert str(report) == run.stdout
    out = json.loads(cli("request", "check", "--format", "json", str(path)).stdout)
    assert [(f.path, f.code) for f in report.findings] == [(j["path"], j["code"]) for j in out["findings"]]


def test_a_body_too_deep_for_json_dumps_is_a_value_error() -> None:
    body: Any = 1
    for _ in range(5000):
        body = [body]
    with pytest.raises(ValueError) as info:
        fimql.check_request(body)
    assert type(info.value) is ValueError
    assert str(info.value).startswith("the body nests too deep to write as JSON text")
    # Deep, but within what json.dumps writes: invalid JSON, found like any other.
    body = 1
    for _ in range(300):
        body = [body]
    assert [f.code for f in fimql.check_request(body).errors] == ["invalid-json"]


def test_a_finding_as_a_dict() -> None:
    report = fimql.check_request({"filter": "actoin:Create", "pageSize": 10}, kind="event-search")
    f = report.findings[0]
    d = f.to_dict()
    assert d == {
        "path": f.path,
        "code": f.code,
        "severity": f.severity,
        "message": f.message,
        "help": f.help,
        "source": f.source,
        "scope": f.scope,
        "start": f.start,
        "end": f.end,
        "line": f.line,
        "column": f.column,
    }
    assert d["code"] == "unknown-token" and d["path"] == "filter"
    json.dumps(d)
