# Shared by the benchmark scripts (sourced, not run): the four benchmark filters of the benchmark
# kit, the same conditions for DuckDB, finding DuckDB, and the median of per-round ratios.

F1='action:Create'
F2="dateTime:['2023-03-01T00:00:00.000Z'..'2023-06-30T23:59:59.999Z'] AND (action:Content OR action:Attributes) AND file.attribute.hidden:\`Added\`"
F3='asset.name:DESKTOP* AND NOT actor.process:explorer.exe'
F4='((severity>=4 AND platform:WINDOWS AND profiles.rules.name:*CR_*) OR (asset.tags:8543820 AND file.fullPath:"\\windows\\" AND NOT action:Delete)) AND NOT (platform:LINUX AND type:Directory) AND (action:Content OR NOT actor.userName:SYSTEM)'

# DuckDB: read_json with an explicit schema of the needed fields, and F1..F4 as SQL conditions.
DUCK_COLS="{'data': 'STRUCT(action VARCHAR, dateTime VARCHAR, fileAttribute STRUCT(hidden VARCHAR), asset STRUCT(name VARCHAR, tags VARCHAR[]), actor STRUCT(process VARCHAR, userName VARCHAR), severity BIGINT, platform VARCHAR, profiles STRUCT(rules STRUCT(name VARCHAR)[])[], fullPath VARCHAR, type VARCHAR)'}"
D1="data.action = 'Create'"
D2="coalesce(data.dateTime, '') >= '2023-03-01T00:00:00.000' AND coalesce(data.dateTime, '') < '2023-07-01' AND data.action IN ('Content', 'Attributes') AND data.fileAttribute.hidden = 'Added'"
D3="starts_with(lower(coalesce(data.asset.name, '')), 'desktop') AND lower(coalesce(data.actor.process, '')) <> 'explorer.exe'"
D4="((coalesce(data.severity, 0) >= 4 AND data.platform = 'WINDOWS' AND len(list_filter(flatten(list_transform(coalesce(data.profiles, []), lambda p: coalesce(p.rules, []))), lambda r: contains(coalesce(r.name, ''), 'CR_'))) > 0) OR (list_contains(coalesce(data.asset.tags, []), '8543820') AND contains(lower(coalesce(data.fullPath, '')), '\\windows\\') AND coalesce(data.action <> 'Delete', true))) AND NOT coalesce(data.platform = 'LINUX' AND data.type = 'Directory', false) AND (coalesce(data.action = 'Content', false) OR NOT coalesce(data.actor.userName = 'SYSTEM', false))"

# find_duckdb: sets have_duckdb to 1 and PYTHON to a Python that imports duckdb ($PYTHON,
# default python3, or a virtual environment under target/ where it is installed from the package
# registry unless NO_DUCKDB is set); have_duckdb=0 otherwise.
find_duckdb() {
  PYTHON=${PYTHON:-python3}
  have_duckdb=0
  if ! "$PYTHON" -c 'import duckdb' 2>/dev/null && [ -z "${NO_DUCKDB:-}" ]; then
    [ -x target/bench-venv/bin/python ] || python3 -m venv target/bench-venv
    target/bench-venv/bin/pip install --quiet duckdb >/dev/null 2>&1 && PYTHON=target/bench-venv/bin/python
  fi
  "$PYTHON" -c 'import duckdb' 2>/dev/null && have_duckdb=1
  return 0
}

# duck SOURCE CONDITION: the DuckDB program (one thread) that prints how many events of SOURCE
# (a file name as a SQL string; DuckDB decompresses .gz and .zst itself) meet CONDITION.
duck() {
  echo "
import duckdb, sys
con = duckdb.connect()
con.execute('SET threads=1')
con.execute('SET enable_progress_bar=false')
n = con.execute(r\"SELECT count(*) FROM read_json($1, format='newline_delimited', columns=$DUCK_COLS) WHERE $2\").fetchone()[0]
print(n)"
}

# spread RATIO...: "median (min–max)" of per-round ratios.
spread() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
    printf "%.2f (%.2f–%.2f)", m, v[1], v[NR] }'
}

# duck_agrees N SOURCE FILE...: checks that DuckDB's condition DN counts as many events in SOURCE
# (a file name as a SQL string) as `$FIMQL filter --count` with FN in FILE... (the same events),
# so that the two tools are timed on the same question; stops the script when they differ.
duck_agrees() {
  local n=$1 source=$2 d f cond filter
  shift 2
  cond=D$n filter=F$n
  d=$("$PYTHON" -c "$(duck "$source" "${!cond}")" 2>/dev/null)
  f=$("$FIMQL" filter -q --count "${!filter}" "$@" || true)
  if [ "$d" != "$f" ]; then
    echo "F$n: DuckDB counts $d events, fimql $f" >&2
    exit 1
  fi
  echo "F$n: DuckDB and fimql count $f" >&2
}
