#!/usr/bin/env bash
# Startup-bound benchmark: partition-table on a 10-entry CSV, this tool vs gen_esp32part.py, in one run.
# gen_esp32part.py is not part of this repository: pass its path as GEN=... (ESP-IDF v5.5,
# components/partition_table/gen_esp32part.py); without it the script looks for a local esp-idf mirror.
# Uses hyperfine when installed, else a timed loop.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-50}
gen=${GEN:-}
if [[ -z $gen ]]; then
  mirror=/work/.mirror/espressif+esp-idf/repo
  [[ -d $mirror ]] || { echo "set GEN=/path/to/gen_esp32part.py (ESP-IDF v5.5)" >&2; exit 2; }
  gen=$(mktemp --suffix=.py)
  git -C "$mirror" show v5.5:components/partition_table/gen_esp32part.py > "$gen"
fi
# The statically linked build, as a production line would deploy it (no shared Swift runtime to load).
swift build -c release --static-swift-stdlib >&2
bin=.build/release/espflash-swift
work=$(mktemp -d)
cat > "$work/ten.csv" <<'CSV'
# Name,   Type, SubType, Offset,  Size, Flags
nvs,      data, nvs,     0x9000,  0x6000,
phy_init, data, phy,     0xf000,  0x1000,
otadata,  data, ota,     0x10000, 0x2000,
nvs_key,  data, nvs_keys,,        0x1000, encrypted
fctry,    data, nvs,     ,        0x1000, readonly
factory,  app,  factory, 0x20000, 1M,
ota_0,    app,  ota_0,   ,        1M,
ota_1,    app,  ota_1,   ,        1M,
storage,  data, spiffs,  ,        256K,
at_cust,  0x40, 0,       ,        0xE000,
CSV
python3 "$gen" -q "$work/ten.csv" "$work/py.bin"
$bin partition-table "$work/ten.csv" -o "$work/swift.bin"
cmp "$work/py.bin" "$work/swift.bin" && echo "outputs identical"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/bench.json" \
    -n gen_esp32part.py "python3 $gen -q $work/ten.csv $work/py.bin" \
    -n espflash-swift "$bin partition-table $work/ten.csv -o $work/swift.bin"
  python3 - "$work/bench.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
py, sw = r["gen_esp32part.py"], r["espflash-swift"]
print(f"mean per call: gen_esp32part.py {py*1000:.1f} ms, espflash-swift {sw*1000:.2f} ms, ratio {py/sw:.1f}x")
PY
else
  t0=$(date +%s%N); for _ in $(seq "$runs"); do python3 "$gen" -q "$work/ten.csv" "$work/py.bin"; done; t1=$(date +%s%N)
  for _ in $(seq "$runs"); do $bin partition-table "$work/ten.csv" -o "$work/swift.bin"; done; t2=$(date +%s%N)
  awk -v a=$(( (t1-t0)/runs )) -v b=$(( (t2-t1)/runs )) 'BEGIN{printf "mean per call: gen_esp32part.py %.1f ms, espflash-swift %.2f ms, ratio %.1fx\n", a/1e6, b/1e6, a/b}'
fi
