"""Throughput of the Python package beside the Python baseline and the command line.

usage: python bench.py --kit DIR --fimql BIN --repeat N FILE...

For each FILE and each benchmark filter F1-F4, the commands take turns, N rounds, and the median of
each counts:
  py_filter.py            the baseline script (json.loads per line + a Python expression), a process
  fimql --jobs 1          `fimql filter --count --jobs 1`, a process (release build)
  count_file              Filter.count_file(path), in this process
  matches(bytes) loop     for line in open(path, "rb"): filter.matches(line)
  matches(dict) loop      for line in open(path, "rb"): filter.matches(json.loads(line))
                          (json.loads included: what a script reading NDJSON pays)
  matches(dict) only      the same, timing only the matches calls (json.loads excluded: the
                          events are parsed 10,000 at a time outside the clock)
Every way must count the same events. Prints Markdown tables of seconds and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from itertools import islice
from typing import Callable

import fimql

FILTERS = {
    "F1": "action:Create",
    "F2": "dateTime:['2023-03-01T00:00:00.000Z'..'2023-06-30T23:59:59.999Z'] AND "
    "(action:Content OR action:Attributes) AND file.attribute.hidden:`Added`",
    "F3": "asset.name:DESKTOP* AND NOT actor.process:explorer.exe",
    "F4": "((severity>=4 AND platform:WINDOWS AND profiles.rules.name:*CR_*) OR "
    '(asset.tags:8543820 AND file.fullPath:"\\\\windows\\\\" AND NOT action:Delete)) '
    "AND NOT (platform:LINUX AND type:Directory) AND "
    "(action:Content OR NOT actor.userName:SYSTEM)",
}
WAYS = [
    "py_filter.py",
    "fimql --jobs 1",
    "count_file",
    "matches(bytes) loop",
    "matches(dict) loop",
    "matches(dict) only",
]


def timed(run: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    n = run()
    return time.perf_counter() - start, n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kit", required=True)
    ap.add_argument("--fimql", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    baseline = os.path.join(args.kit, "py_filter.py")
    rows = []
    for path in args.files:
        events = sum(1 for _ in open(path, "rb"))
        size = os.path.getsize(path)
        with open(path, "rb") as fh:  # into the page cache
            while fh.read(1 << 24):
                pass
        for name, src in FILTERS.items():
            f = fimql.compile(src)

            def py_filter() -> int:
                out = subprocess.run(
                    [sys.executable, baseline, name, path], capture_output=True, check=True
                ).stdout
                return out.count(b"\n")

            def cli() -> int:
                out = subprocess.run(
                    [args.fimql, "filter", "--count", "--jobs", "1", "--quiet", src, path],
                    capture_output=True,
                    check=True,
                ).stdout
                return int(out)

            def count_file() -> int:
                return f.count_file(path)

            def bytes_loop() -> int:
                m = f.matches
                n = 0
                with open(path, "rb") as fh:
                    for line in fh:
                        if m(line):
                            n += 1
                return n

            def dict_loop() -> int:
                m = f.matches
                loads = json.loads
                n = 0
                with open(path, "rb") as fh:
                    for line in fh:
                        if m(loads(line)):
                            n += 1
                return n

            def dict_only() -> tuple[float, int]:
                m = f.matches
                loads = json.loads
                n = 0
                secs = 0.0
                with open(path, "rb") as fh:
                    while True:
                        chunk = [loads(line) for line in islice(fh, 10_000)]
                        if not chunk:
                            return secs, n
                        start = time.perf_counter()
                        for event in chunk:
                            if m(event):
                                n += 1
                        secs += time.perf_counter() - start

            runs: dict[str, list[float]] = {w: [] for w in WAYS}
            counts: dict[str, set[int]] = {w: set() for w in WAYS}
            for _ in range(args.repeat):
                ways = [py_filter, cli, count_file, bytes_loop, dict_loop]
                for way, fn in zip(WAYS, [*ways, None]):
                    secs, n = timed(fn) if fn else dict_only()
                    runs[way].append(secs)
                    counts[way].add(n)
            found = set().union(*counts.values())
            if len(found) != 1:
                sys.exit(f"{path} {name}: the ways disagree: {counts}")
            med = {w: statistics.median(runs[w]) for w in WAYS}
            rows.append((events, size, name, found.pop(), med))
            print(f"{events} {name} done", file=sys.stderr)

    print("Median seconds (events/s):\n")
    print("| events | filter | matches | " + " | ".join(WAYS) + " |")
    print("|---|---|---|" + "---|" * len(WAYS))
    for events, size, name, n, med in rows:
        cells = " | ".join(f"{med[w]:.3f} ({events / med[w] / 1000:.0f}k)" for w in WAYS)
        print(f"| {events:,} | {name} | {n:,} | {cells} |")
    print("\nRatios (from the medians):\n")
    print(
        "| events | filter | py_filter.py / count_file | count_file vs fimql --jobs 1 "
        "| py_filter.py / matches(bytes) loop | py_filter.py / matches(dict) loop "
        "| matches(dict) only, per event |"
    )
    print("|---|---|---|---|---|---|---|")
    for events, size, name, n, med in rows:
        py = med["py_filter.py"]
        cli_over = med["count_file"] / med["fimql --jobs 1"] - 1
        print(
            f"| {events:,} | {name} | {py / med['count_file']:.1f}x "
            f"| {cli_over * 100:+.0f}% time "
            f"| {py / med['matches(bytes) loop']:.1f}x "
            f"| {py / med['matches(dict) loop']:.1f}x "
            f"| {med['matches(dict) only'] / events * 1e6:.2f} µs |"
        )


if __name__ == "__main__":
    main()
