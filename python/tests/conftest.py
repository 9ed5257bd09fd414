"""Shared fixtures: the repository, the `fimql` command line to compare with, event files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "events.ndjson"
BENCH_KIT = ROOT.parent / "shared" / "bench"

# The four benchmark filters (see BENCHMARKS.md).
BENCH_FILTERS = {
    "F1": "action:Create",
    "F2": "dateTime:['2023-03-01T00:00:00.000Z'..'2023-06-30T23:59:59.999Z'] AND "
    "(action:Content OR action:Attributes) AND file.attribute.hidden:`Added`",
    "F3": "asset.name:DESKTOP* AND NOT actor.process:explorer.exe",
    "F4": "((severity>=4 AND platform:WINDOWS AND profiles.rules.name:*CR_*) OR "
    '(asset.tags:8543820 AND file.fullPath:"\\\\windows\\\\" AND NOT action:Delete)) '
    "AND NOT (platform:LINUX AND type:Directory) AND "
    "(action:Content OR NOT actor.userName:SYSTEM)",
}

Cli = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture(scope="session")
def cli() -> Cli:
    """Runs the `fimql` command line (FIMQL_BIN, default target/debug/fimql) with arguments."""
    binary = Path(os.environ.get("FIMQL_BIN", ROOT / "target" / "debug" / "fimql"))
    if not binary.exists():
        pytest.fail(f"the fimql binary is needed: build it with `cargo build` or set FIMQL_BIN ({binary})")

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(binary), *args], capture_output=True, text=True, input=input, check=False
        )

    return run


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 events from the benchmark generator (seed 7), NDJSON."""
    out = tmp_path_factory.mktemp("gen") / "events.ndjson"
    with out.open("wb") as f:
        subprocess.run(
            [sys.executable, str(BENCH_KIT / "gen_events.py"), "--count", "3000", "--seed", "7"],
            stdout=f,
            check=True,
        )
    return out
