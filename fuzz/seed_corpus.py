#!/usr/bin/env python3
"""Builds the fuzzers' seed corpora (fuzz/corpus/<target>/) from the project's tests and the
shared conformance files. Run from anywhere: python3 fuzz/seed_corpus.py"""
import hashlib
import json
import pathlib
import re

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
CONF = ROOT.parent / "shared" / "spec" / "conformance"
LANG = ROOT.parent / "shared" / "spec" / "language.md"


def put(target, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = FUZZ / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


filters = set()
for name in ["errors.json", "warnings.json", "match.json", "match-incidents.json"]:
    for case in json.loads((CONF / name).read_text())["cases"]:
        filters.add(case["filter"])
for case in json.loads((CONF / "format.json").read_text())["cases"]:
    filters.add(case["input"])
    filters.add(case["canonical"])
block = LANG.read_text().split("```")[1]
filters.update(l.strip() for l in block.splitlines() if l.strip())
grammar = ROOT / "grammar.md"
if grammar.exists():
    for m in re.finditer(r"```fimql-[a-z]+\n(.*?)```", grammar.read_text(), re.S):
        for line in m.group(1).splitlines():
            line = line.split(": ", 1)[-1] if line.startswith(tuple("abcdefghijklmnopqrstuvwxyz")) and ": " in line and line.split(": ", 1)[0].replace("-", "").isalpha() else line
            line = line.split(" => ")[0]
            if line.strip():
                filters.add(line.strip())

events = []
for name in ["events.ndjson", "incidents.ndjson"]:
    text = (CONF / name).read_text()
    events += [l for l in text.splitlines() if l.strip()]
    put("filter_stream", text)
    arr = [json.loads(l) for l in text.splitlines() if l.strip()]
    put("filter_stream", json.dumps(arr, indent=2))
    put("filter_stream", "\n".join(json.dumps(e, indent=1) for e in arr))

for f in sorted(filters):
    put("parse", f)
    put("validate", f)
for i, f in enumerate(sorted(filters)):
    put("eval", f.encode() + b"\0" + events[i % len(events)].encode())
print(f"{len(filters)} filters, {len(events)} events")
