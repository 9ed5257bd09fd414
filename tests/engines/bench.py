#!/usr/bin/env python3
"""F1-F4 of the benchmark kit through `fimql filter`, DuckDB and Spark local[2], side by side in
one run, on one file. Each tool counts the matches of each filter; times are wall-clock seconds.

    target/engines-venv/bin/python tests/engines/bench.py --fimql target/release/fimql \
        --file target/bench200k.ndjson [--repeat 2]

The engines run the script of `fimql translate --query FILE` (the full catalog schema, both
record forms), wrapped in a count. Spark's first run of each filter includes query planning and
JIT warm-up; the best of --repeat runs is reported, like for the other tools.
"""
import argparse
import os
import subprocess
import time

FILTERS = {
    "F1": "action:Create",
    "F2": "dateTime:['2023-03-01T00:00:00.000Z'..'2023-06-30T23:59:59.999Z'] AND (action:Content OR action:Attributes) AND file.attribute.hidden:`Added`",
    "F3": "asset.name:DESKTOP* AND NOT actor.process:explorer.exe",
    "F4": "((severity>=4 AND platform:WINDOWS AND profiles.rules.name:*CR_*) OR (asset.tags:8543820 AND file.fullPath:\"\\\\windows\\\\\" AND NOT action:Delete)) AND NOT (platform:LINUX AND type:Directory) AND (action:Content OR NOT actor.userName:SYSTEM)",
}
EXPECTED = {"F1": 40185, "F2": 3764, "F3": 58036, "F4": 34168}


def script(fimql, engine, flt, path):
    return subprocess.run(
        [fimql, "translate", "--to", engine, "--query", path, flt], check=True, capture_output=True, text=True
    ).stdout


def best(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), times, result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fimql", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--tools", default="fimql,duckdb1,duckdb2,spark")
    args = ap.parse_args()
    tools = args.tools.split(",")
    path = os.path.abspath(args.file)
    n = sum(1 for _ in open(path, "rb"))
    print(f"{n} events, {os.path.getsize(path)} bytes; load average {os.getloadavg()}")
    rows = {}

    def fimql_count(flt, jobs):
        out = subprocess.run(
            [args.fimql, "filter", "-q", "-c", "-j", str(jobs), flt, path], capture_output=True, text=True
        ).stdout
        return int(out.split()[-1])

    import duckdb

    con = duckdb.connect()
    spark = None
    if "spark" in tools:
        from pyspark.sql import SparkSession

        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")

    for name, flt in FILTERS.items():
        r = {}
        if "fimql" in tools:
            r["fimql -j1"] = best(lambda: fimql_count(flt, 1), args.repeat)
            r["fimql -j2"] = best(lambda: fimql_count(flt, 2), args.repeat)
        for threads in (1, 2):
            if f"duckdb{threads}" in tools:
                con.execute(f"SET threads = {threads}")
                sql = script(args.fimql, "duckdb", flt, path)
                *setup, last = [s for s in sql.split(";\n") if s.strip()]
                for s in setup:
                    con.execute(s)
                r[f"duckdb threads={threads}"] = best(
                    lambda: con.execute(f"SELECT count(*) FROM ({last})").fetchone()[0], args.repeat
                )
        if spark is not None:
            sql = script(args.fimql, "spark", flt, path)
            *setup, last = [s for s in sql.split(";\n") if s.strip()]
            for s in setup:
                spark.sql(s)
            r["spark local[2]"] = best(lambda: spark.sql(last).count(), args.repeat)
        rows[name] = r
        for tool, (t, ts, count) in r.items():
            ok = "ok" if count == EXPECTED[name] else f"WRONG (want {EXPECTED[name]})"
            print(f"{name} {tool:22} {t:8.2f}s  {n / t:10.0f} ev/s  count {count} {ok}  runs {[round(x, 2) for x in ts]}", flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
