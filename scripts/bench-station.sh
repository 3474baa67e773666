#!/usr/bin/env bash
# Station throughput: the demo's 4 MB ESP32 factory image with a per-module factory_param (and NVS), flashed onto
# line ports that model a 921600-baud UART and a typical SPI NOR flash (virtual://esp32?line=…&baud-model=921600
# &flash-timing=typical), then booted and AT-tested. Modules per minute with 1 port and with 8 ports, from the
# records' own times (first module start to last module end); the goal is 8 ports ≥ 0.9 × 8 × 1 port.
#   scripts/bench-station.sh [MODULES_PER_PORT]      (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
per_port=${1:-3}
swift build -c release >&2
tool=$PWD/.build/release/espflash-swift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scripts/station-inputs.sh "$tool" "$work" $((per_port * 9 + 8)) "baud = 921600"

# Runs the station on N line ports; prints modules per minute (records' first start to last finish).
rate() {
  local ports=$1 modules=$2 args=()
  for ((p = 1; p <= ports; p++)); do
    args+=(--port "virtual://esp32?line=$((p + 10 * ports))&baud-model=921600&flash-timing=typical")
  done
  "$tool" station run "$work/recipe.toml" --db "$work/bench-$ports.db" --modules "$modules" --json "${args[@]}" > "$work/run-$ports.ndjson"
  python3 - "$work/run-$ports.ndjson" <<'PY'
import json, sys
records = [e["record"] for e in map(json.loads, open(sys.argv[1])) if e["event"] == "record"]
assert all(r["result"] == "passed" for r in records), [r["error"] for r in records if r["result"] != "passed"]
start = min(r["started_at"] for r in records); end = max(r["finished_at"] for r in records)
from datetime import datetime
t = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
seconds = t(end) - t(start)
per = sum(r["milliseconds"] for r in records) / len(records) / 1000
sent = sum(r["bytes_sent"] for r in records) / len(records)
print(f"{len(records) / seconds * 60:.2f} {len(records)} {seconds:.1f} {per:.2f} {sent:.0f}")
PY
}

read -r one n1 s1 p1 b1 < <(rate 1 "$per_port")
read -r eight n8 s8 p8 b8 < <(rate 8 $((8 * per_port)))
echo "1 port:  $n1 modules in $s1 s: $one modules/min ($p1 s per module, $b1 bytes sent per module)"
echo "8 ports: $n8 modules in $s8 s: $eight modules/min ($p8 s per module)"
python3 - "$one" "$eight" <<'PY'
import sys
one, eight = map(float, sys.argv[1:])
ratio = eight / (8 * one)
print(f"8 ports / (8 x 1 port) = {ratio:.3f} (goal >= 0.9)")
sys.exit(0 if ratio >= 0.9 else 1)
PY
