#!/usr/bin/env bash
# The USB-Serial/JTAG watchdog at realistic timing (not a test; the test suite runs the same with a 1 s watchdog):
# an emulated ESP32-C3 on its USB-Serial/JTAG, its RTC and super watchdogs left running by the app's bootloader
# (9 s, ESP-IDF's default), and a write that takes about a minute (600 KB of random data, uncompressed, at
# 115200 baud under the baud model, typical flash timing). With --before usb-reset this tool disables the watchdogs after connecting and the
# write ends verified; with --before no-reset (the port not known to be USB-Serial/JTAG, as esptool 5.6 over a pty)
# the watchdog resets the chip into its flash part way and the write fails.
# Usage: scripts/usj-watchdog.sh            (uses .build/release/espflash-swift; ESPFLASH_BIN overrides)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${ESPFLASH_BIN:-$root/.build/release/espflash-swift}
[[ -x $bin ]] || swift build -c release >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/data.bin" <<'PY'
import random, sys
random.seed(7)
open(sys.argv[1], 'wb').write(bytes(random.getrandbits(8) for _ in range(600 * 1024)))
PY

run() {
  local before=$1
  rm -f "$work/port" "$work/flash.bin"
  "$bin" emulate --chip esp32c3 --pty --port-file "$work/port" --flash "$work/flash.bin" --usb-serial-jtag \
    --watchdog-seconds 9 --baud-model 115200 --flash-timing typical 2>"$work/emu-$before.log" &
  local emu=$!
  for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.05; done
  local start end status=0
  start=$(date +%s.%N)
  "$bin" write-flash -p "$(cat "$work/port")" --before "$before" --no-compress 0x10000 "$work/data.bin" >"$work/out-$before.txt" 2>&1 || status=$?
  end=$(date +%s.%N)
  kill -INT $emu; wait $emu || true
  printf "%-10s exit %d after %6.1f s; %s\n" "$before" "$status" "$(echo "$end - $start" | bc -l)" \
    "$(grep -E 'written and verified|FAILED|failed' "$work/out-$before.txt" | head -1 | sed 's/^ *//')"
  { grep '^boot' "$work/emu-$before.log" || true; } | sed 's/^/    emulator: /'
}

run usb-reset
run no-reset
