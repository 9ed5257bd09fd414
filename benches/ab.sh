#!/usr/bin/env bash
# Two builds of fimql side by side: `fimql filter --jobs 1` on F1..F4, the two binaries taking
# turns, ROUNDS rounds (default 5). Prints the fastest run of each and the median of the
# per-round ratios after/before. Outputs go to /dev/null; the file is read once first so that it
# is in the page cache.
#
#   benches/ab.sh BEFORE_BIN AFTER_BIN FILE [ROUNDS]
set -euo pipefail
BEFORE=$1 AFTER=$2 DATA=$3 ROUNDS=${4:-5}
. "$(dirname "$0")/common.sh"
cat "$DATA" > /dev/null
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" > /dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
echo "| filter | before (best) | after (best) | median after/before |"
echo "|---|---|---|---|"
for i in 1 2 3 4; do
  eval "f=\$F$i"
  before=() after=() ratios=()
  for _ in $(seq "$ROUNDS"); do
    a=$(seconds "$BEFORE" filter --jobs 1 "$f" "$DATA")
    b=$(seconds "$AFTER" filter --jobs 1 "$f" "$DATA")
    before+=("$a") after+=("$b") ratios+=("$(echo "$b / $a" | bc -l)")
  done
  best() { printf '%s\n' "$@" | sort -n | head -1; }
  median=$(printf '%s\n' "${ratios[@]}" | sort -n | sed -n "$(((ROUNDS + 1) / 2))p")
  printf '| F%d | %.3f s | %.3f s | %.2f |\n' "$i" "$(best "${before[@]}")" "$(best "${after[@]}")" "$median"
done
