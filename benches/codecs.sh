#!/usr/bin/env bash
# Throughput of `fimql filter` on compressed input, next to the decompressors alone.
#
#   benches/codecs.sh [COUNT]        (default COUNT=200000, seed 42: 531 MB)
#
# Generates the events once (into target/bench-data, as benches/compare.sh does), splits them into
# four NDJSON files at line ends, compresses each with `gzip -6` and with zstd (level 3: the `zstd`
# tool if installed, otherwise the crate's example `zstd_compress`), builds fimql in release mode,
# then times F1 and F4 (the filters of benches/compare.sh) with --jobs 1 and --jobs 2 on the four
# plain, gzip and zstd files, and `gzip -dc` / `zstd -dc` of the four files to /dev/null, and the
# decoder fimql uses for gzip alone (the example `gunzip`: flate2 with zlib-rs, read in pieces of
# the size fimql reads, 1 MiB), and DuckDB `threads=1` counting the same events, plain, gzip and
# zstd (found or installed as benches/compare.sh does; it decompresses them itself). DuckDB reads
# one file per input: the whole plain file, and the four compressed files joined into one (gzip
# members and zstd frames one after another), because DuckDB `threads=1` takes several times
# longer on a list of files than on one file holding the same events. The commands take turns,
# REPEAT rounds (default 3), and the fastest run of each counts: on a shared machine single runs
# move by 20% or more. Runs are warm, output goes to /dev/null. Checks that the counts of matches
# on plain, gzip and zstd input agree, then prints a Markdown table: seconds, MB/s of decompressed
# input, and the ratio to --jobs 1 on the same input; and the medians of the per-round ratios
# behind the two gzip targets (`--jobs 1` / `gzip -dc`, `--jobs 1` / `--jobs 2`) and of DuckDB /
# `--jobs 1` on each input, less exposed to one lucky run than ratios of best runs.
# FIMQL=path times a fimql built already instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
COUNT=${1:-200000}
REPEAT=${REPEAT:-3}
KIT=../shared/bench
DATA=target/bench-data/events-$COUNT-42.ndjson
PARTS=target/bench-data/parts-$COUNT
mkdir -p target/bench-data "$PARTS"
[ -s "$DATA" ] || python3 "$KIT/gen_events.py" --count "$COUNT" --seed 42 > "$DATA"
# FIMQL=path uses a fimql built already.
if [ -z "${FIMQL:-}" ]; then
  cargo build --release --quiet
  FIMQL=target/release/fimql
fi
# The decoder fimql uses (flate2 with zlib-rs, through fimql::stream::open_detected), alone.
cargo build --release --quiet --example gunzip
GUNZIP=target/release/examples/gunzip
BYTES=$(stat -L -c %s "$DATA")
if [ ! -s "$PARTS/part3.ndjson.zst" ]; then
  split -n l/4 -a 1 -d --additional-suffix=.ndjson "$DATA" "$PARTS/part"
  if command -v zstd > /dev/null; then
    ZSTD=(zstd -q -3 -c)
  else
    cargo build --release --quiet --example zstd_compress
    ZSTD=(target/release/examples/zstd_compress)
  fi
  for i in 0 1 2 3; do
    gzip -6 -c "$PARTS/part$i.ndjson" > "$PARTS/part$i.ndjson.gz"
    "${ZSTD[@]}" < "$PARTS/part$i.ndjson" > "$PARTS/part$i.ndjson.zst"
  done
fi
PLAIN=("$PARTS"/part?.ndjson)
GZ=("$PARTS"/part?.ndjson.gz)
ZST=("$PARTS"/part?.ndjson.zst)
# For DuckDB: the same compressed bytes as one file each.
[ -s "$PARTS/all.ndjson.gz" ] || cat "${GZ[@]}" > "$PARTS/all.ndjson.gz"
[ -s "$PARTS/all.ndjson.zst" ] || cat "${ZST[@]}" > "$PARTS/all.ndjson.zst"
declare -A ONE=([plain]=$DATA [gzip]=$PARTS/all.ndjson.gz [zstd]=$PARTS/all.ndjson.zst)
cat "${PLAIN[@]}" "${GZ[@]}" "${ZST[@]}" > /dev/null

find_duckdb

# The counts agree on every input.
for f in "$F1" "$F4"; do
  p=$("$FIMQL" filter -q --count "$f" "${PLAIN[@]}" || true)
  g=$("$FIMQL" filter -q --count "$f" "${GZ[@]}" || true)
  z=$("$FIMQL" filter -q --count "$f" "${ZST[@]}" || true)
  if [ "$p" != "$g" ] || [ "$p" != "$z" ]; then
    echo "counts differ for $f: plain $p, gzip $g, zstd $z" >&2
    exit 1
  fi
  echo "count $p: plain, gzip and zstd agree" >&2
done
if [ "$have_duckdb" = 1 ]; then
  for input in plain gzip zstd; do
    for n in 1 4; do duck_agrees "$n" "'${ONE[$input]}'" "${PLAIN[@]}"; done
  done
fi

# once CMD...: the seconds of one run.
once() {
  { /usr/bin/time -f '%e' "$@" > /dev/null; } 2>&1 | tail -n 1
}

declare -A BEST
keep() {
  local prev=${BEST[$1]:-}
  if [ -z "$prev" ] || awk -v a="$2" -v b="$prev" 'BEGIN { exit !(a < b) }'; then
    BEST[$1]=$2
  fi
}

NAMES=()
declare -A CUR
run() {
  local name=$1
  shift
  [ "$round" = 1 ] && NAMES+=("$name")
  CUR[$name]=$(once "$@")
  keep "$name" "${CUR[$name]}"
}

# The two gzip targets as ratios of runs of the same round, for the medians printed at the end:
# `--jobs 1` / `gzip -dc` and `--jobs 1` / `--jobs 2`, on F1 and F4.
declare -A RATIOS
ratio() {
  RATIOS[$1]+="$(awk -v a="$2" -v b="$3" 'BEGIN { print a / b }') "
}

have_zstd=0
command -v zstd > /dev/null && have_zstd=1
for round in $(seq "$REPEAT"); do
  for fname in F1 F4; do
    f=${!fname}
    for input in plain gzip zstd; do
      case $input in
        plain) files=("${PLAIN[@]}") ;;
        gzip) files=("${GZ[@]}") ;;
        zstd) files=("${ZST[@]}") ;;
      esac
      run "$input|$fname|fimql --jobs 1" "$FIMQL" filter -q --jobs 1 "$f" "${files[@]}"
      run "$input|$fname|fimql --jobs 2" "$FIMQL" filter -q --jobs 2 "$f" "${files[@]}"
      if [ "$have_duckdb" = 1 ]; then
        cond=D${fname#F}
        run "$input|$fname|DuckDB threads=1" "$PYTHON" -c "$(duck "'${ONE[$input]}'" "${!cond}")"
        ratio "$fname|$input|duck" "${CUR[$input|$fname|DuckDB threads=1]}" "${CUR[$input|$fname|fimql --jobs 1]}"
      fi
    done
  done
  run "gzip|-|gzip -dc" gzip -dc "${GZ[@]}"
  run "gzip|-|zlib-rs alone" "$GUNZIP" "${GZ[@]}"
  [ "$have_zstd" = 1 ] && run "zstd|-|zstd -dc" zstd -dc "${ZST[@]}"
  for fname in F1 F4; do
    ratio "$fname|dc" "${CUR[gzip|$fname|fimql --jobs 1]}" "${CUR[gzip|-|gzip -dc]}"
    ratio "$fname|j2" "${CUR[gzip|$fname|fimql --jobs 1]}" "${CUR[gzip|$fname|fimql --jobs 2]}"
  done
done

echo "| input (4 files) | filter | command | seconds | MB/s | vs --jobs 1 |"
echo "| --- | --- | --- | ---: | ---: | ---: |"
for name in "${NAMES[@]}"; do
  IFS='|' read -r input fname cmd <<< "$name"
  secs=${BEST[$name]}
  base=${BEST[$input|$fname|fimql --jobs 1]:-}
  awk -v i="$input" -v f="$fname" -v c="$cmd" -v s="$secs" -v b="$BYTES" -v base="$base" 'BEGIN {
    ratio = (base != "" && c != "fimql --jobs 1") ? sprintf("%.2fx", base / s) : "";
    printf "| %s | %s | `%s` | %.2f | %.0f | %s |\n", i, f, c, s, b / s / 1e6, ratio }'
done
echo
echo "Best of $REPEAT alternating rounds; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "Gzip, per-round ratios, median (min–max):"
echo
echo "| filter | \`--jobs 1\` / \`gzip -dc\` | \`--jobs 1\` / \`--jobs 2\` |"
echo "| --- | ---: | ---: |"
for fname in F1 F4; do
  # shellcheck disable=SC2086 # the ratios are words
  echo "| $fname | $(spread ${RATIOS[$fname|dc]}) | $(spread ${RATIOS[$fname|j2]}) |"
done
if [ "$have_duckdb" = 1 ]; then
  echo
  echo "DuckDB \`threads=1\` / \`fimql --jobs 1\`, per-round ratios, median (min–max):"
  echo
  echo "| filter | plain | gzip | zstd |"
  echo "| --- | ---: | ---: | ---: |"
  for fname in F1 F4; do
    # shellcheck disable=SC2086 # the ratios are words
    echo "| $fname | $(spread ${RATIOS[$fname|plain|duck]}) | $(spread ${RATIOS[$fname|gzip|duck]}) | $(spread ${RATIOS[$fname|zstd|duck]}) |"
  done
fi
