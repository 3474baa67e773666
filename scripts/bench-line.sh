#!/usr/bin/env bash
# A line of stations on one PostgreSQL server: STATIONS station processes (2 line ports each, no UART or flash
# timing model, so that modules come fast and allocations crowd together) flash the demo's factory image with a
# per-module factory_param and NVS image, sharing one pool of units. Reports the line's modules per minute and the
# allocate stage's time per module (mean, 95th percentile, max: the row-locked allocation under concurrency, as the
# records measure it), and checks that no unit went to two modules.
#   scripts/bench-line.sh [MODULES_PER_STATION] [STATIONS]     (default 25 4)
# ESPFLASH_TOOL=path uses that binary instead of building the README's build.
set -euo pipefail
cd "$(dirname "$0")/.."
per_station=${1:-25} stations=${2:-4}
if [[ -n ${ESPFLASH_TOOL:-} ]]; then tool=$ESPFLASH_TOOL; else
  swift build -c release --static-swift-stdlib >&2
  tool=$PWD/.build/release/espflash-swift
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
[[ -x $bin/initdb ]] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
work=$(mktemp -d)
as=(); if [[ $(id -u) -eq 0 ]]; then chown postgres "$work"; as=(runuser -u postgres --); fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { (cd "$work" && "${as[@]}" "$bin/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1) || true; rm -rf "$work"; }
trap cleanup EXIT
(cd "$work" && "${as[@]}" "$bin/initdb" -D "$work/data" -A trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null)
(cd "$work" && "${as[@]}" "$bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w start \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$work -c max_connections=100" >/dev/null)
(cd "$work" && "${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres line)
db="postgres://postgres@127.0.0.1:$port/line?sslmode=disable"

mkdir -p "$work/in"
scripts/station-inputs.sh "$tool" "$work/in" $((per_station * stations + 8))

pids=()
for ((s = 0; s < stations; s++)); do
  "$tool" station run "$work/in/recipe.toml" --db "$db" --station "line$s" --modules "$per_station" --json \
    --port "virtual://esp32?line=$((100 + 2 * s))" --port "virtual://esp32?line=$((101 + 2 * s))" \
    > "$work/run-$s.ndjson" 2> "$work/run-$s.stderr" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
((status == 0)) || { echo "a station failed (exit $status):" >&2; cat "$work"/run-*.stderr >&2; exit 1; }

python3 - "$stations" "$work"/run-*.ndjson <<'PY'
import json, sys
from datetime import datetime
stations = int(sys.argv[1])
records = [e["record"] for f in sys.argv[2:] for e in map(json.loads, open(f)) if e["event"] == "record"]
assert all(r["result"] == "passed" for r in records), [r["error"] for r in records if r["result"] != "passed"]
units = [r["unit"] for r in records]
assert len(set(units)) == len(units), "a unit went to two modules"
t = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
seconds = max(t(r["finished_at"]) for r in records) - min(t(r["started_at"]) for r in records)
allocate = sorted(r["stage_ms"].get("allocate", 0) for r in records)
p95 = allocate[min(len(allocate) - 1, int(0.95 * len(allocate)))]
print(f"{stations} stations x 2 line ports: {len(records)} modules in {seconds:.1f} s, {len(records) / seconds * 60:.1f} modules/min; "
      f"no unit twice")
print(f"allocate stage per module: mean {sum(allocate) / len(allocate):.1f} ms, p95 {p95} ms, max {allocate[-1]} ms")
PY
