#!/usr/bin/env python3
"""Runs fimql's SQL translations on the real engines (DuckDB and Spark local) and checks that they
select exactly the events the spec and `fimql filter` select.

1. Every case of match.json and match-incidents.json, through `fimql translate --query` (the whole
   script), on each engine: the ids must be the expected ones.
2. Hand-written edge filters and random filters from the crate's generator
   (examples/gen_filters.rs): in scope events over events from gen_events.py, the conformance
   events and tests/engines/extra.ndjson; in scope incidents over the conformance incidents and
   tests/engines/extra-incidents.ndjson. Each engine must return exactly the ids `fimql filter`
   returns. The expressions (`fimql translate`, no --query) run in batches over the view that the
   --query script creates.

Any disagreement prints the filter, the SQL and the id sets, and the exit status is 1.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))


# Hand-written filters for cases random values rarely hit (extra.ndjson holds the events).
EDGE = [
    "asset.name:istanbul*",
    "asset.name:İSTANBUL*",
    "file.name:i",
    "file.name:\"i\"",
    "file.name:?",
    "file.name:??",
    "file.fullPath:?",
    "file.fullPath:i̇",
    "actor.userName:\"kelvin k\"",
    "actor.userName:*K",
    "file.name:50\\%\\_off*",
    "file.name:*%*",
    "file.name:*!*",
    "file.name:\"line\nbreak\"",
    "file.name:line?break",
    "file.fullPath:*\\$\\{env\\:HOME\\}",
    "file.fullPath:\"it's \\\"q\\\"\"",
    "severity:5 OR severity:4",
    "severity:[-1..0]",
    "severity>9223372036854775806",
    "baseline:true",
    "NOT baseline:false",
    "dateTime:'2023-03-05'",
    "dateTime:['2024-02-29T23:59:59.999999999Z'..'2024-02-29T23:59:59.999999999Z']",
    "dateTime>='2024-02-29T23:59:59.999999998Z'",
    "dateTime:['2023-06-28T00:48:50.548123456Z'..'2023-06-28T00:48:50.548123456Z']",
    "dateTime:['2022-12-16T10:51:19.859Z'..'2022-12-16T10:51:19.859Z']",
    "processedTime:['2022-12-16T10:51:19.859Z'..'2022-12-16T10:51:19.859Z']",
    "processedTime:*",
    "dateTime:'2023-06-01T01:00:00Z'",
    "NOT dateTime:[*..*]",
    "profiles.rules.name:a_b",
    "profiles.rules.severity:4",
    "profiles.name:*😀",
    "asset.tags:8543820",
    "asset.hostId:*",
    "asset.interfaces.address:*",
    "NOT asset.interfaces.address:10.0.0.1",
    "file.attributes.old:*",
    "actor.processID:42",
    "file.attribute.hidden:`added`",
    "platform:WINDOWS AND NOT file.attribute.readonly:added",
]


def record_id(line):
    rec = json.loads(line)
    data = rec.get("data")
    if isinstance(data, dict):
        rec = data
    return rec.get("id")


def run(cmd, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode not in (0, 1):
        raise RuntimeError(f"{cmd!r} failed ({p.returncode}): {p.stderr}")
    return p


class DuckEngine:
    name = "duckdb"

    def __init__(self):
        import duckdb

        self.duckdb = duckdb
        self.con = duckdb.connect()
        self.version = duckdb.__version__

    def run_script(self, script):
        self.con.execute("DROP VIEW IF EXISTS fimql_events")
        rows = self.con.execute(script).fetchall()
        cols = [d[0] for d in self.con.description]
        i = cols.index("id")
        return sorted(r[i] for r in rows)

    def setup(self, script):
        # Every statement but the last creates the views.
        stmts = [s for s in script.split(";\n") if s.strip()]
        for s in stmts[:-1]:
            self.con.execute(s)
        self.con.execute("CREATE OR REPLACE TEMPORARY TABLE fimql_cached AS SELECT * FROM fimql_events")

    def batch(self, exprs):
        cols = ", ".join(f"({e}) AS c{i}" for i, e in enumerate(exprs))
        rows = self.con.execute(f"SELECT id, {cols} FROM fimql_cached").fetchall()
        return rows


class SparkEngine:
    name = "spark"

    def __init__(self):
        from pyspark.sql import SparkSession

        self.spark = (
            SparkSession.builder.master("local[2]")
            .appName("fimql-engines")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.driver.memory", "1g")
            .config("spark.sql.codegen.wholeStage", "true")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self.version = self.spark.version

    def statements(self, script):
        return [s for s in script.split(";\n") if s.strip()]

    def run_script(self, script):
        stmts = self.statements(script)
        df = None
        for s in stmts:
            df = self.spark.sql(s)
        return sorted(r["id"] for r in df.collect())

    def setup(self, script):
        stmts = self.statements(script)
        for s in stmts[:-1]:
            self.spark.sql(s)
        # A new name per setup: a cached view cannot outlive a change of the view under it.
        self.setups = getattr(self, "setups", 0) + 1
        self.cached = f"fimql_cached{self.setups}"
        self.spark.sql(f"CACHE TABLE {self.cached} AS SELECT * FROM fimql_events")

    def batch(self, exprs):
        cols = ", ".join(f"({e}) AS c{i}" for i, e in enumerate(exprs))
        return [tuple(r) for r in self.spark.sql(f"SELECT id, {cols} FROM {self.cached}").collect()]


def translate(fimql, engine, flt, scope="events", now=None, query=None):
    cmd = [fimql, "translate", "--to", engine, "--scope", scope]
    if now:
        cmd += ["--now", now]
    if query:
        cmd += ["--query", query]
    cmd.append(flt)
    p = run(cmd, check=False)
    if p.returncode != 0:
        return None, p.stderr
    return p.stdout, None


def reference_ids(fimql, flt, path, now, scope="events"):
    cmd = [fimql, "filter", "-q", "-j", "1", "--scope", scope, "--now", now, flt, path]
    p = run(cmd)
    return sorted(record_id(l) for l in p.stdout.splitlines() if l.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fimql", required=True)
    ap.add_argument("--gen", required=True, help="the gen_filters example binary")
    ap.add_argument("--shared", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--engines", default="duckdb,spark")
    ap.add_argument("--random", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--events", type=int, default=400)
    ap.add_argument("--batch", type=int, default=25)
    args = ap.parse_args()

    conf = os.path.join(args.shared, "spec", "conformance")
    os.makedirs(args.work, exist_ok=True)
    mixed = os.path.join(args.work, "mixed.ndjson")
    gen = subprocess.run(
        [sys.executable, os.path.join(args.shared, "bench", "gen_events.py"), "--count", str(args.events), "--seed", "11"],
        capture_output=True, text=True, check=True,
    ).stdout
    with open(mixed, "w") as out:
        out.write(gen)
        for f in (os.path.join(conf, "events.ndjson"), os.path.join(HERE, "extra.ndjson")):
            with open(f) as src:
                out.write(src.read())

    engines = []
    for name in args.engines.split(","):
        t = time.time()
        engines.append(DuckEngine() if name == "duckdb" else SparkEngine())
        print(f"{name} {engines[-1].version} ready in {time.time() - t:.1f}s", flush=True)

    failures = 0
    checks = 0

    # 1. Conformance cases, whole scripts.
    for fname in ("match.json", "match-incidents.json"):
        with open(os.path.join(conf, fname)) as f:
            suite = json.load(f)
        path = os.path.join(conf, suite["events"])
        for case in suite["cases"]:
            scope = case.get("scope", suite.get("scope", "events"))
            want = sorted(case["match"])
            for eng in engines:
                script, err = translate(args.fimql, eng.name, case["filter"], scope, case.get("now"), path)
                checks += 1
                if script is None:
                    failures += 1
                    print(f"FAIL [{eng.name}] {fname}: {case['filter']!r} not translated: {err}")
                    continue
                try:
                    got = eng.run_script(script)
                except Exception as e:  # noqa: BLE001
                    failures += 1
                    print(f"FAIL [{eng.name}] {fname}: {case['filter']!r} engine error: {e}\n{script}")
                    continue
                if got != want:
                    failures += 1
                    print(f"FAIL [{eng.name}] {fname}: {case['filter']!r}\n  want {want}\n  got  {got}\n{script}")
    print(f"conformance: {checks} engine runs, {failures} failures", flush=True)

    # 2. Random (and hand-written) filters against `fimql filter`, in both scopes.
    now = "2023-06-01T00:00:00Z"
    incidents = os.path.join(args.work, "incidents.ndjson")
    with open(incidents, "w") as out:
        for f in (os.path.join(conf, "incidents.ndjson"), os.path.join(HERE, "extra-incidents.ndjson")):
            with open(f) as src:
                out.write(src.read())
    random_failures = 0
    total = checks
    for scope, path, count, edge in (
        ("events", mixed, args.random, EDGE),
        ("incidents", incidents, max(args.random // 5, 0), []),
    ):
        lines = subprocess.run(
            [args.gen, "--seed", str(args.seed), "--count", str(count), "--now", now, "--sample", path, "--scope", scope],
            capture_output=True, text=True, check=True,
        ).stdout.splitlines()
        filters = edge + [json.loads(l) for l in lines]
        n_events = sum(1 for l in open(path) if l.strip())
        random_failures += differential(args, engines, scope, path, filters, now, n_events)
        total += len(filters) * len(engines)
    failures += random_failures
    print(f"engines: {total - failures} passed, {failures} failed")
    return 1 if failures else 0


def differential(args, engines, scope, path, filters, now, n_events):
    """Each engine must select exactly what `fimql filter` selects; returns the failures."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        refs = list(pool.map(lambda f: reference_ids(args.fimql, f, path, now, scope), filters))
        sqls = {
            eng.name: list(pool.map(lambda f, e=eng.name: translate(args.fimql, e, f, scope, now), filters))
            for eng in engines
        }
    failures = 0
    nonempty = sum(1 for r in refs if r)
    for eng in engines:
        t = time.time()
        untranslatable = 0
        script, err = translate(args.fimql, eng.name, "id:*", scope, now, path)
        eng.setup(script)
        todo = []
        for i, (sql, err) in enumerate(sqls[eng.name]):
            if sql is None:
                untranslatable += 1
                if "untranslatable" not in err:
                    failures += 1
                    print(f"FAIL [{eng.name}] {filters[i]!r} not translated: {err}")
                continue
            todo.append((i, sql.strip()))
        for k in range(0, len(todo), args.batch):
            chunk = todo[k : k + args.batch]
            try:
                results = [(chunk, eng.batch([s for _, s in chunk]))]
            except Exception:  # noqa: BLE001
                # One by one, to name the culprit (and still check the others).
                results = []
                for i, s in chunk:
                    try:
                        results.append(([(i, s)], eng.batch([s])))
                    except Exception as e1:  # noqa: BLE001
                        failures += 1
                        print(f"FAIL [{eng.name}] engine error on {filters[i]!r}: {str(e1)[:2000]}\n  SQL: {s}")
            for part, rows in results:
                for j, (i, s) in enumerate(part):
                    got = sorted(r[0] for r in rows if r[j + 1])
                    nulls = sum(1 for r in rows if r[j + 1] is None)
                    if got != refs[i] or nulls:
                        failures += 1
                        print(
                            f"FAIL [{eng.name}] filter: {filters[i]!r}\n  SQL: {s}\n"
                            f"  fimql filter: {refs[i]}\n  {eng.name}: {got} (null results: {nulls})\n"
                            f"  only fimql: {sorted(set(refs[i]) - set(got))}  only {eng.name}: {sorted(set(got) - set(refs[i]))}"
                        )
        print(
            f"differential [{eng.name}, {scope}]: {len(filters)} filters over {n_events} records, "
            f"{nonempty} select some, {untranslatable} untranslatable, {time.time() - t:.1f}s",
            flush=True,
        )
    return failures


if __name__ == "__main__":
    sys.exit(main())
