#!/usr/bin/env bash
# Side-by-side throughput of `fimql filter` and the baselines on the benchmark kit's data.
#
#   benches/compare.sh [COUNT]        (default COUNT=200000, seed 42: 531 MB)
#
# Generates the events once (into target/bench-data), builds fimql in release mode, then runs
# F1..F4 through: fimql --jobs 1, fimql --jobs 2, fimql --jobs 1 --prefilter, the Python baseline
# py_filter.py, jq (if installed) and DuckDB read_json with threads=1 (if the Python package
# `duckdb` is importable by $PYTHON, default python3; otherwise it is installed into a virtual
# environment under target/, unless NO_DUCKDB is set). The commands take turns, REPEAT rounds
# (default 3; jq runs once, it is far behind), and the fastest run of each counts, for every tool
# alike: on a shared machine single runs move by 20% or more, and taking turns spreads a slow
# phase over all tools. Runs are warm (the file is read once before the first run so it is in the
# page cache), with output to /dev/null.
# Prints a Markdown table: seconds, events/s, MB/s, max RSS and the ratio to py_filter.py; then,
# per filter, the median of the per-round ratios py_filter.py / --jobs 1, DuckDB / --jobs 1 (DuckDB
# runs right after --jobs 1 in each round) and --jobs 1 / --jobs 2, and DuckDB / the ceiling: reading,
# splitting and checking every record with fimql's scanner, evaluating nothing
# (examples/ceiling.rs, run right after DuckDB), which no filter can beat. Checks first that
# DuckDB's conditions count the events fimql's filters do.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
COUNT=${1:-200000}
REPEAT=${REPEAT:-3}
KIT=../shared/bench
DATA=target/bench-data/events-$COUNT-42.ndjson
mkdir -p target/bench-data
[ -s "$DATA" ] || python3 "$KIT/gen_events.py" --count "$COUNT" --seed 42 > "$DATA"
cargo build --release --quiet
cargo build --release --quiet --example ceiling
FIMQL=target/release/fimql
CEILING=target/release/examples/ceiling
BYTES=$(stat -L -c %s "$DATA")
cat "$DATA" > /dev/null

# jq programs equivalent to py_filter.py.
J1='select(.data.action == "Create")'
J2='select(.data | ((.dateTime // "") >= "2023-03-01T00:00:00.000" and (.dateTime // "") < "2023-07-01" and (.action == "Content" or .action == "Attributes") and .fileAttribute.hidden == "Added"))'
J3='select(.data | ((.asset.name // "") | ascii_downcase | startswith("desktop")) and ((.actor.process // "") | ascii_downcase) != "explorer.exe")'
J4='select(.data | ((((.severity // 0) >= 4 and .platform == "WINDOWS" and any(.profiles[]?.rules[]?; (.name // "") | contains("CR_"))) or (any(.asset.tags[]?; . == "8543820") and ((.fullPath // "") | ascii_downcase | contains("\\windows\\")) and (.action == "Delete" | not))) and ((.platform == "LINUX" and .type == "Directory") | not) and (.action == "Content" or (.actor.userName == "SYSTEM" | not))))'

find_duckdb
have_jq=0
command -v jq >/dev/null && have_jq=1

# once CMD...: one run, as "SECONDS MAX-RSS-KB".
once() {
  { /usr/bin/time -f '%e %M' "$@" > /dev/null; } 2>&1 | tail -n 1
}

# keep NAME "SECONDS RSS": remembers the fastest run of NAME.
declare -A BEST
keep() {
  local prev=${BEST[$1]:-}
  if [ -z "$prev" ] || awk -v a="${2% *}" -v b="${prev% *}" 'BEGIN { exit !(a < b) }'; then
    BEST[$1]=$2
  fi
}

# row TOOL FILTER-NAME "SECONDS RSS": prints one table row.
row() {
  local tool=$1 f=$2 out=$3
  local secs=${out% *} rss=${out#* }
  awk -v tool="$tool" -v f="$f" -v s="$secs" -v rss="$rss" -v n="$COUNT" -v b="$BYTES" -v py="${PY:-0}" 'BEGIN {
    ratio = (py > 0) ? sprintf("%.1fx", py / s) : "1.0x";
    rss = (rss > 0) ? sprintf("%.0f", rss / 1024) : "";
    printf "| %s | %s | %.2f | %.0fk | %.0f | %s | %s |\n", tool, f, s, n / s / 1000, b / s / 1e6, rss, ratio }'
}

if [ $have_duckdb = 1 ]; then
  for n in 1 2 3 4; do duck_agrees "$n" "'$DATA'" "$DATA"; done
fi
echo "| tool | filter | seconds | events/s | MB/s | max RSS (MB) | vs py_filter |"
echo "|---|---|---|---|---|---|---|"
ROUNDS=()
for i in 1 2 3 4; do
  f=F$i; fil=F$i; jqf=J$i; dq=D$i
  BEST=()
  PY_J1=(); J1_J2=(); DU_J1=(); DU_CE=()
  # The tools take turns, round after round, so that a change in the machine's speed (common
  # on shared machines) falls on all of them alike; the fastest run of each counts.
  for k in $(seq "$REPEAT"); do
    py=$(once python3 "$KIT/py_filter.py" "$f" "$DATA"); keep py "$py"
    j1=$(once "$FIMQL" filter --jobs 1 --quiet "${!fil}" "$DATA"); keep j1 "$j1"
    if [ $have_duckdb = 1 ]; then
      du=$(once "$PYTHON" -c "$(duck "'$DATA'" "${!dq}")"); keep duck "$du"
      DU_J1+=("$(awk -v a="${du% *}" -v b="${j1% *}" 'BEGIN { print a / b }')")
      ce=$(once "$CEILING" "$DATA"); keep ceiling "$ce"
      DU_CE+=("$(awk -v a="${du% *}" -v b="${ce% *}" 'BEGIN { print a / b }')")
    fi
    j2=$(once "$FIMQL" filter --jobs 2 --quiet "${!fil}" "$DATA"); keep j2 "$j2"
    # Ratios of runs made next to each other, less exposed to a lucky single run.
    PY_J1+=("$(awk -v a="${py% *}" -v b="${j1% *}" 'BEGIN { print a / b }')")
    J1_J2+=("$(awk -v a="${j1% *}" -v b="${j2% *}" 'BEGIN { print a / b }')")
    keep pre "$(once "$FIMQL" filter --jobs 1 --prefilter --quiet "${!fil}" "$DATA")"
  done
  PY=${BEST[py]% *}
  row "py_filter.py" "$f" "${PY} 0"
  row "fimql --jobs 1" "$f" "${BEST[j1]}"
  row "fimql --jobs 2" "$f" "${BEST[j2]}"
  row "fimql --jobs 1 --prefilter" "$f" "${BEST[pre]}"
  if [ $have_jq = 1 ]; then row "jq" "$f" "$(once jq -c "${!jqf}" "$DATA")"; fi
  if [ $have_duckdb = 1 ]; then
    row "DuckDB threads=1" "$f" "${BEST[duck]}"
    row "ceiling: read + check, no filter" "$f" "${BEST[ceiling]}"
  fi
  du_j1=-; du_ce=-
  [ ${#DU_J1[@]} -gt 0 ] && du_j1=$(spread "${DU_J1[@]}") && du_ce=$(spread "${DU_CE[@]}")
  ROUNDS+=("| $f | $(spread "${PY_J1[@]}") | $du_j1 | $du_ce | $(spread "${J1_J2[@]}") |")
done
echo
echo "Per round ($REPEAT rounds), median (min–max):"
echo
echo "| filter | py_filter.py / fimql --jobs 1 | DuckDB threads=1 / fimql --jobs 1 | DuckDB threads=1 / ceiling | fimql --jobs 1 / --jobs 2 |"
echo "|---|---|---|---|---|"
printf '%s\n' "${ROUNDS[@]}"
