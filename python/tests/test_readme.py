"""The Python examples of README.md ("From Python"), run as they are."""

from __future__ import annotations

import io
import json
import re
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conftest import EXAMPLES, ROOT, Cli


def examples() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## From Python\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def example(first_line: str) -> str:
    [code] = [c for c in examples() if c.startswith(first_line)]
    return code


def run(code: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["script.py", *argv])
    exec(compile(code, "README.md", "exec"), {"__name__": "__main__"})


def test_the_section_has_the_three_examples() -> None:
    assert len(examples()) == 3


def test_the_builder_example(monkeypatch: pytest.MonkeyPatch) -> None:
    run(example("import fimql\n\nhost"), [], monkeypatch)


class FakeResponse(io.BytesIO):
    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def test_the_search_script_posts_a_valid_request(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sent: list[urllib.request.Request] = []
    reply = [{"sortValues": [1], "data": {"dateTime": "2023-01-25T21:06:31.867+0000", "fullPath": "C:\\x.exe"}}]

    def urlopen(request: urllib.request.Request, *args: Any, **kwargs: Any) -> FakeResponse:
        sent.append(request)
        return FakeResponse(json.dumps(reply).encode())

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    monkeypatch.setenv("QUALYS_TOKEN", "t0ken")
    run(example("# search.py"), ["action:Create AND severity>=4"], monkeypatch)
    [request] = sent
    assert request.get_method() == "POST"
    assert request.full_url.endswith("/fim/v2/events/search")
    assert request.get_header("Authorization") == "Bearer t0ken"
    assert isinstance(request.data, bytes)
    assert json.loads(request.data) == {"filter": "action:Create AND severity>=4", "pageSize": 100}
    assert capsys.readouterr().out == "2023-01-25T21:06:31.867+0000 C:\\x.exe\n"


def test_the_search_script_sends_nothing_for_a_bad_filter(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def urlopen(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("nothing may be sent")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    monkeypatch.setenv("QUALYS_TOKEN", "t0ken")
    with pytest.raises(SystemExit) as info:
        run(example("# search.py"), ["actoin:Create severity:4"], monkeypatch)
    message = str(info.value.code)
    assert "in `filter`:" in message and "error[missing-operator]" in message and "^" in message


def test_the_offline_script(cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    run(example("# offline.py"), [str(EXAMPLES)], monkeypatch)
    out = capsys.readouterr()
    lines = out.out.splitlines()
    want = cli("filter", "--count", "--quiet", "action:Create AND severity>=4", str(EXAMPLES)).stdout.strip()
    assert int(want) > 0
    assert len(lines) == int(want) + 1
    assert lines[-1].startswith(f"{want} events; {{")
    assert all(" Create " in line for line in lines[:-1])
    assert out.err == ""


def test_the_offline_script_reports_a_malformed_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = EXAMPLES.read_text().splitlines()
    damaged = tmp_path / "damaged.ndjson"
    damaged.write_text("\n".join(lines[:3] + ['{"data": {"action": '] + lines[3:]) + "\n")
    run(example("# offline.py"), [str(damaged)], monkeypatch)
    out = capsys.readouterr()
    assert out.out.splitlines()[-1].endswith("}")
    assert f"{damaged}:4:" in out.err
    assert len(out.err.splitlines()) == 1


def test_the_package_readme_examples_run() -> None:
    text = (ROOT / "python" / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, "python/README.md", "exec"), {"__name__": "__main__"})
