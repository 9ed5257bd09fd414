#!/usr/bin/env bash
# The Python package's checks, run by .ci/run: builds the package (debug) into a virtual
# environment under target/, then runs mypy --strict on its stubs and tests, stubtest (the stubs
# against the built module), and pytest, whose tests compare with the `fimql` command line (debug
# build).
# Idempotent and quick on a second run: the environment is made once, the pinned tools are
# installed again only when python/requirements-dev.txt changes, and cargo builds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/python-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! cmp -s python/requirements-dev.txt "$venv/requirements-dev.txt"; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r python/requirements-dev.txt
    cp python/requirements-dev.txt "$venv/requirements-dev.txt"
fi
cargo build --quiet --bin fimql
VIRTUAL_ENV="$PWD/$venv" PATH="$PWD/$venv/bin:$PATH" \
    "$venv/bin/maturin" develop --quiet --manifest-path python/Cargo.toml
export MYPY_CACHE_DIR="$PWD/target/mypy-cache"
"$venv/bin/mypy" --strict python/fimql python/tests
# The stubs against the built module: every name, signature and class as it is at run time.
(cd python && "../$venv/bin/python" -m mypy.stubtest fimql)
FIMQL_BIN="$PWD/target/debug/fimql" PYTHONDONTWRITEBYTECODE=1 \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests
