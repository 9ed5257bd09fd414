"""Filter.explain: why an event matched, as `fimql explain --events` tells it."""

from __future__ import annotations

import json
from typing import Any

import pytest

import fimql

from conftest import BENCH_FILTERS, EXAMPLES, Cli


def bytes_to_code_points(node: dict[str, Any], src: str) -> dict[str, Any]:
    """The command line's tree (byte spans) with spans in code points, as the package gives them."""
    out = dict(node)
    if "span" in node:
        b = src.encode()
        out["span"] = {k: len(b[: node["span"][k]].decode()) for k in ("start", "end")}
    out["children"] = [bytes_to_code_points(c, src) for c in node["children"]]
    return out


@pytest.mark.parametrize(
    "src",
    [*BENCH_FILTERS.values(), 'asset.name:"büro" OR (action:Create AND NOT file.name:`日本.exe`)'],
)
def test_explain_agrees_with_the_command_line_and_matches(cli: Cli, src: str) -> None:
    f = fimql.compile(src)
    run = cli("explain", src, "--events", str(EXAMPLES), "--format", "json")
    assert run.returncode in (0, 1), run.stderr
    want = [json.loads(line) for line in run.stdout.splitlines()]
    records = [line for line in EXAMPLES.read_bytes().splitlines() if line.strip()]
    assert len(want) == len(records)
    for record, w in zip(records, want):
        for event in (record, record.decode(), json.loads(record)):
            why = f.explain(event)
            assert why["matched"] is f.matches(event) is w["matched"]
            assert why["applies_to"] == w["applies_to"]
            assert why["tree"] == bytes_to_code_points(w["tree"], src)


def test_the_tree_points_into_the_filter_in_code_points() -> None:
    src = 'file.name:"résumé" AND NOT action:Delete'
    f = fimql.compile(src)
    why = f.explain({"name": "Résumé.docx", "action": "Create"})
    assert why["matched"] is True and why["applies_to"] == "event"
    first, negation = why["tree"]["children"]
    assert src[first["span"]["start"] : first["span"]["end"]] == 'file.name:"résumé"'
    assert first["values"] == [{"value": "Résumé.docx", "passed": True}]
    term = negation["children"][0]
    assert src[term["span"]["start"] : term["span"]["end"]] == "action:Delete"
    assert (negation["kind"], negation["verdict"], term["verdict"]) == ("not", True, False)
    missing = f.explain({"data": {"action": "Create"}})
    assert missing["applies_to"] == "data" and missing["tree"]["children"][0]["missing"] is True
    assert missing["tree"]["decided_by"] == 0


def test_explain_refuses_what_matches_refuses() -> None:
    f = fimql.compile("action:Create")
    with pytest.raises(fimql.RecordError):
        f.explain(b'{"action": ')
    with pytest.raises(TypeError):
        f.explain(3)  # type: ignore[arg-type]
