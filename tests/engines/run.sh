#!/usr/bin/env bash
# Runs the SQL translations on the real engines (DuckDB, and Spark in local mode on the machine's
# Java 17) and checks them against the conformance cases and `fimql filter`.
# Idempotent: the virtual environment under target/ is created and filled only once.
# Needs ../shared beside the project, python3 with venv, Java 17 for Spark, and the Python package
# registry. Environment: FIMQL_ENGINES (default duckdb,spark), FIMQL_RANDOM (default 500).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/engines-venv
engines=${FIMQL_ENGINES:-duckdb,spark}
if ! "$venv/bin/python" -c 'import duckdb, pyspark' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'duckdb>=1.3' 'pyspark>=3.5'
fi
if [[ $engines == *spark* ]] && ! java -version >/dev/null 2>&1; then
    echo "tests/engines: Spark needs Java 17 (java -version fails)" >&2
    exit 2
fi
cargo build --quiet --bin fimql --example gen_filters
PYTHONDONTWRITEBYTECODE=1 exec "$venv/bin/python" tests/engines/driver.py \
    --fimql target/debug/fimql \
    --gen target/debug/examples/gen_filters \
    --shared ../shared \
    --work target/engines \
    --engines "$engines" \
    --random "${FIMQL_RANDOM:-500}"
