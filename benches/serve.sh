#!/usr/bin/env bash
# Answer times of `fimql serve` over HTTP: one `POST /api/query` per filter (the count, the
# histogram and the first page of 50 events with the default columns, as the page asks).
#
#   benches/serve.sh [COUNT]        (default COUNT=190000, seed 42: 504 MB)
#
# Generates the events once (into target/bench-data, as benches/compare.sh does), builds fimql in
# release mode (FIMQL=path times one built already), starts `fimql serve --port 0` on the file
# (GZIP=1: on the file compressed with `gzip -6`), and sends the filters F1-F4 of
# benches/compare.sh and the empty filter (every event) in turns, REPEAT rounds (default 3),
# timing each answer with curl (`time_total`) and the server's CPU time (from /proc) meanwhile.
# Then the same filters with `fimql filter --count`, for comparison in the same run; then F1 sent
# 0.1 s into F4 (a keystroke during a query: F4 is cancelled); then the server's peak memory.
# Prints a Markdown table: best and median seconds, the median CPU seconds of the server.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
COUNT=${1:-190000}
REPEAT=${REPEAT:-3}
KIT=../shared/bench
DATA=target/bench-data/events-$COUNT-42.ndjson
mkdir -p target/bench-data
[ -s "$DATA" ] || python3 "$KIT/gen_events.py" --count "$COUNT" --seed 42 > "$DATA"
if [ -n "${GZIP:-}" ]; then
  [ -s "$DATA.gz" ] || gzip -6 -c "$DATA" > "$DATA.gz"
  DATA=$DATA.gz
fi
if [ -z "${FIMQL:-}" ]; then
  cargo build --release --quiet --bin fimql
  FIMQL=target/release/fimql
fi
out=$(mktemp -d)
"$FIMQL" serve --port 0 "$DATA" > "$out/url" 2> "$out/err" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$out"' EXIT
until [ -s "$out/url" ]; do sleep 0.1; done
url=$(head -1 "$out/url"); base=${url%%/\?token=*}; token=${url##*=}
# One client, as one page: its newer query stops its older one.
body() { python3 -c 'import json,sys; print(json.dumps({"filter": sys.argv[1], "client": "bench"}))' "$1"; }
query() {  # FILTER -> seconds; the answer in $out/r.json
  body "$1" > "$out/q.json"
  curl -s -o "$out/r.json" -w '%{time_total}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --data-binary @"$out/q.json" "$base/api/query"
}
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }  # the server's CPU time, in ticks
tck=$(getconf CLK_TCK)
names=(F1 F2 F3 F4 all)
filters=("$F1" "$F2" "$F3" "$F4" "")
declare -A times cpus cli
for ((r = 0; r < REPEAT; r++)); do
  for i in "${!names[@]}"; do
    c0=$(cpu)
    t=$(query "${filters[$i]}")
    c1=$(cpu)
    times[${names[$i]}]+="$t "
    cpus[${names[$i]}]+="$(echo "scale=2; ($c1 - $c0) / $tck" | bc) "
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
h = r["histogram"]
print("%d | %d per %s | %d | %s" % (r["count"], len(h["buckets"]), h["unit"], len(r["events"]), r["stopped"] or "-"))
' "$out/r.json" > "$out/${names[$i]}.info"
  done
done
for ((r = 0; r < REPEAT; r++)); do
  for i in "${!names[@]}"; do
    f=${filters[$i]}
    [ -n "$f" ] || f='NOT file.name:"no such name"'
    s=$( { /usr/bin/time -f %e "$FIMQL" filter --count "$f" "$DATA" > /dev/null; } 2>&1 )
    cli[${names[$i]}]+="$s "
  done
done
best() { printf '%s\n' $1 | sort -g | head -1; }
median() { printf '%s\n' $1 | sort -g | awk '{a[NR] = $1} END {printf "%.2f", a[int((NR + 1) / 2)]}'; }
echo "$(basename "$DATA"): $(stat -L -c %s "$DATA") bytes, $REPEAT rounds"
echo
echo "| filter | matches | histogram | rows | stopped | serve best s | serve median s | serve CPU s | filter --count best s |"
echo "| --- | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: |"
for n in "${names[@]}"; do
  printf '| %s | %s | %.2f | %s | %s | %.2f |\n' "$n" "$(cat "$out/$n.info")" \
    "$(best "${times[$n]}")" "$(median "${times[$n]}")" "$(median "${cpus[$n]}")" "$(best "${cli[$n]}")"
done
body "$F4" > "$out/q4.json"
curl -s -o "$out/first.json" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' --data-binary @"$out/q4.json" "$base/api/query" &
sleep 0.1
t=$(query "$F1")
wait $! || true
echo
echo "F1 sent 0.1 s into F4: answered in $t s; F4 stopped: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stopped"])' "$out/first.json")"
echo "server peak memory: $(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")"
