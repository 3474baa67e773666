#!/usr/bin/env bash
# Benchmark: merge a 16 MB padded factory image from 8 inputs with espflash-swift and with esptool 5.6.0
# merge-bin, check both outputs are identical, and print the mean times and the ratio.
# Uses hyperfine when installed, otherwise a loop timed with date +%s%N.
# Usage: scripts/bench-merge.sh [RUNS]   (default 10; builds the static release binary, needs the tools virtualenv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-10}
# The statically linked build, as a production line would deploy it (no shared Swift runtime to load).
swift build -c release --static-swift-stdlib --package-path "$root" >&2
bin=$root/.build/release/espflash-swift
venv=${ESPFLASH_VENV:-$("$root/scripts/python-env.sh")}
esptool=$venv/bin/esptool

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 8 inputs: a real bootloader (its header gets patched, SHA-256 recomputed) and 7 pseudo-random files
# spread over 16 MB, 2.6 MB of data in all.
cp "$root/Fixtures/images/bootloader_esp32_v5_2.bin" "$work/bootloader.bin"
python3 - "$work" <<'PY'
import random, sys
random.seed(5)
sizes = {"partitions.bin": 0xC00, "nvs.bin": 0x4000, "otadata.bin": 0x2000, "app0.bin": 0x100000,
         "app1.bin": 0x100000, "storage.bin": 0x40000, "tail.bin": 0x8000}
for name, size in sizes.items():
    open(f"{sys.argv[1]}/{name}", "wb").write(random.randbytes(size))
PY
pairs=(0x1000 "$work/bootloader.bin" 0x8000 "$work/partitions.bin" 0x9000 "$work/nvs.bin" 0xd000 "$work/otadata.bin"
       0x10000 "$work/app0.bin" 0x200000 "$work/app1.bin" 0x800000 "$work/storage.bin" 0xff8000 "$work/tail.bin")
flash=(-fm dio -ff 40m -fs 16MB)
ours=("$bin" merge-bin --chip esp32 -o "$work/ours.bin" --pad-to-size 16MB "${flash[@]}" "${pairs[@]}")
theirs=("$esptool" --chip esp32 merge-bin -o "$work/theirs.bin" --pad-to-size 16MB "${flash[@]}" "${pairs[@]}")

"${ours[@]}" > /dev/null
"${theirs[@]}" > /dev/null 2>&1
cmp "$work/ours.bin" "$work/theirs.bin"
echo "outputs identical: $(stat -c %s "$work/ours.bin") bytes"

quote() { printf '%q ' "$@"; }
if command -v hyperfine > /dev/null; then
  hyperfine --warmup 3 --runs "$runs" -N --export-json "$work/h.json" \
    -n espflash-swift "$(quote "${ours[@]}")" -n esptool "$(quote "${theirs[@]}")"
  python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"espflash-swift {r['espflash-swift']*1000:.1f} ms, esptool {r['esptool']*1000:.1f} ms, ratio {r['esptool']/r['espflash-swift']:.1f}x")
PY
else
  mean_ms() {
    local start end
    start=$(date +%s%N)
    for ((i = 0; i < runs; i++)); do "$@" > /dev/null 2>&1; done
    end=$(date +%s%N)
    echo $(( (end - start) / runs / 1000000 ))
  }
  a=$(mean_ms "${ours[@]}")
  b=$(mean_ms "${theirs[@]}")
  echo "espflash-swift ${a} ms, esptool ${b} ms (mean of $runs runs each), ratio $(python3 -c "print(f'{$b/max($a,1):.1f}x')")"
fi
