#!/usr/bin/env bash
# Throughput of the Python package (python/) beside the Python baseline and the command line.
#
#   benches/python.sh [COUNT...]      (default: 50000 200000 events, seed 42)
#
# Generates the events with the benchmark kit (into target/bench-data, shared with compare.sh),
# builds the release CLI and a release wheel (`maturin build --release`), installs the wheel into a
# virtual environment under target/, then times F1-F4 with python/benches/bench.py: py_filter.py,
# `fimql filter --count --jobs 1`, Filter.count_file, a loop of Filter.matches(line bytes) and a
# loop of Filter.matches(json.loads(line)). The ways take turns, REPEAT rounds (default 5); the
# median of each counts. Prints Markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then set -- 50000 200000; fi
COUNTS=("$@")
REPEAT=${REPEAT:-5}
KIT=../shared/bench
mkdir -p target/bench-data
FILES=()
for n in "${COUNTS[@]}"; do
    data=target/bench-data/events-$n-42.ndjson
    [ -s "$data" ] || python3 "$KIT/gen_events.py" --count "$n" --seed 42 > "$data"
    FILES+=("$data")
done
cargo build --release --quiet --bin fimql
venv=target/python-bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r python/requirements-dev.txt
rm -rf target/wheels
"$venv/bin/maturin" build --quiet --release --manifest-path python/Cargo.toml \
    --interpreter "$venv/bin/python" --out target/wheels
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps target/wheels/fimql-*.whl
"$venv/bin/python" python/benches/bench.py --kit "$KIT" --fimql target/release/fimql \
    --repeat "$REPEAT" "${FILES[@]}"
