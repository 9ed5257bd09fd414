#!/usr/bin/env bash
# Record-size sweep: `fimql filter --count --jobs 1` on inputs of three events, the middle one
# carrying a `newContent` string of SIZE MB (a text file with quotes and backslashes, escaped),
# in each layout (NDJSON, a JSON array, pretty-printed objects one after another).
#
#   benches/record_size.sh [SIZE...]        (default: 4 16 60, in MB; the cap is 64 MiB)
#
# Builds fimql in release mode (or uses $FIMQL), generates the inputs into target/bench-data once,
# and prints a Markdown table: input bytes, seconds (the fastest of REPEAT runs, default 3, warm),
# MB/s, and the time per MB relative to the smallest size of the same layout (1.00 = linear).
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-3}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(4 16 60)
if [ -z "${FIMQL:-}" ]; then
    cargo build --release --quiet
    FIMQL=target/release/fimql
fi
DIR=target/bench-data
mkdir -p "$DIR"
FILTER='action:Content AND file.name:"app.conf"'

gen() { # SIZE LAYOUT
    python3 - "$1" "$2" <<'PY'
import json, sys
size, layout = int(sys.argv[1]) * 1_000_000, sys.argv[2]
def event(i, content):
    return {"id": f"e{i}", "dateTime": "2024-05-01T10:00:00.000Z", "action": "Content",
            "data": {"id": f"e{i}", "name": "app.conf", "action": "Content", "type": "File",
                     "fullPath": "/etc/app/app.conf", "platform": "LINUX",
                     "asset": {"agentId": "a-1", "name": "host-1"},
                     "oldContent": "x", "newContent": content}}
line = 'a line of a config file with "quotes" and \\ backslashes\n'
content = (line * (size // len(line) + 1))[:size]
events = [event(0, "small"), event(1, content), event(2, "small")]
out = sys.stdout
if layout == "ndjson":
    for e in events:
        out.write(json.dumps(e) + "\n")
elif layout == "array":
    out.write(json.dumps(events, indent=2) + "\n")
else:
    for e in events:
        out.write(json.dumps(e, indent=2) + "\n")
PY
}

echo "| layout | record | input bytes | seconds | MB/s | time per MB vs smallest |"
echo "|---|---:|---:|---:|---:|---:|"
for layout in ndjson array pretty; do
    base=""
    for size in "${SIZES[@]}"; do
        f="$DIR/record-$size-$layout.json"
        [ -s "$f" ] || gen "$size" "$layout" > "$f"
        bytes=$(stat -c %s "$f")
        cat "$f" > /dev/null
        best=""
        for _ in $(seq "$REPEAT"); do
            start=$(date +%s.%N)
            n=$("$FIMQL" filter --count --jobs 1 "$FILTER" "$f")
            t=$(echo "$(date +%s.%N) - $start" | bc -l)
            [ "$n" = 3 ] || { echo "expected 3 matches in $f, got $n" >&2; exit 1; }
            if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
        done
        per=$(echo "$best / $bytes" | bc -l)
        [ -n "$base" ] || base=$per
        printf '| %s | %s MB | %s | %.3f | %.0f | %.2f |\n' "$layout" "$size" "$bytes" "$best" \
            "$(echo "$bytes / $best / 1000000" | bc -l)" "$(echo "$per / $base" | bc -l)"
    done
done
