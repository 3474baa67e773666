#!/usr/bin/env bash
# Flashing benchmark (not a test): a dense app and a 4 MB merged factory image onto a blank emulated ESP32
# (emulate --baud-model 921600 --flash-timing typical, which also times SPI_FLASH_MD5 at 2 MiB/s), this tool vs
# esptool 5.6.0 --no-stub -z, one after the other in the same run. Prints wall time, bytes on the wire (the
# emulator's count of bytes it received), the bytes the ROM hashed with SPI_FLASH_MD5 and their ratio to the image,
# and the model limit: compressed non-0xFF bytes x 10 / baud + erase and program time of the non-0xFF sectors + one
# MD5 pass over the image at 2 MiB/s.
# Usage: scripts/bench-flash.sh            (uses .build/release/espflash-swift; ESPFLASH_BIN overrides)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${ESPFLASH_BIN:-$root/.build/release/espflash-swift}
[[ -x $bin ]] || swift build -c release >&2
venv=$(scripts/python-env.sh)
baud=921600
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

app=Fixtures/images/esp_idf_blink_esp32s2.bin
factory=$work/factory_4MB.bin
# The factory image: bootloader, the app at 0x10000 and a second copy in an OTA slot, 0xFF to 4 MB.
"$venv/bin/esptool" --chip esp32 merge-bin -o "$factory" --pad-to-size 4MB \
  0x1000 Fixtures/images/bootloader_esp32.bin 0x10000 "$app" 0x210000 "$app" >/dev/null

# The model limit for IMAGE at ADDRESS (seconds), from the same figures the emulator uses (FlashTiming.swift).
limit() {
  "$venv/bin/python" - "$1" "$2" "$baud" <<'PY'
import sys, zlib
data = open(sys.argv[1], 'rb').read(); address = int(sys.argv[2], 0); baud = int(sys.argv[3])
S = 4096
lead = address % S
data = b'\xff' * lead + data
sectors = [data[i:i + S] for i in range(0, len(data), S)]
first = (address - lead) // S
dense = [i for i, s in enumerate(sectors) if s.strip(b'\xff')]
wire = len(zlib.compress(b''.join(sectors[i] for i in dense), 9)) * 10 / baud
erase = 0.0
i = 0
dense_set = set(first + d for d in dense)
ordered = sorted(dense_set)
k = 0
while k < len(ordered):
    s = ordered[k]
    if s % 16 == 0 and all(s + j in dense_set for j in range(16)):
        erase += 0.150; k += 16
    else:
        erase += 0.045; k += 1
program = sum((len(sectors[d]) + 255) // 256 for d in dense) * 0.0007
md5 = len(data) / (2 * 1024 * 1024)  # one SPI_FLASH_MD5 pass over the image: the least a verified write needs
print(f"{wire + erase + program + md5:.2f} {wire:.2f} {erase:.2f} {program:.2f} {md5:.2f}")
PY
}

# run TOOL IMAGE ADDRESS -> "seconds wire_bytes md5_bytes"
run() {
  local tool=$1 image=$2 address=$3
  rm -f "$work/port" "$work/flash.bin" "$work/emu.log"
  "$bin" emulate --chip esp32 --listen 127.0.0.1:0 --port-file "$work/port" --flash "$work/flash.bin" \
    --baud-model $baud --flash-timing typical 2>"$work/emu.log" &
  local emu=$!
  for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.05; done
  local port
  port=$(cat "$work/port")
  local start end
  start=$(date +%s.%N)
  if [[ $tool == espflash-swift ]]; then
    # The blink app is an ESP32-S2 build (real code, real compressibility): --force passes the chip guard, which
    # esptool applies only at the bootloader offset.
    "$bin" write-flash -p "$port" --after no-reset --force "$address" "$image" >/dev/null 2>&1
  else
    "$venv/bin/esptool" --chip esp32 -p "$port" --before no-reset --after no-reset --no-stub write-flash -z "$address" "$image" >/dev/null
  fi
  end=$(date +%s.%N)
  kill -INT $emu; wait $emu || true
  cmp -s <(head -c $(( $(stat -c %s "$image") )) <(tail -c +$(( address + 1 )) "$work/flash.bin")) "$image" || { echo "FLASH MISMATCH ($tool)" >&2; exit 1; }
  local bytes md5
  bytes=$(sed -n 's/^wire: \([0-9]*\) bytes in.*/\1/p' "$work/emu.log")
  md5=$(sed -n 's/^md5: \([0-9]*\) bytes hashed.*/\1/p' "$work/emu.log")
  echo "$(echo "$end - $start" | bc -l) $bytes $md5"
}

printf "%-22s %-15s %9s %12s %12s %9s %10s\n" image tool seconds wire_bytes md5_bytes x_image x_limit
for case in "app:$app:0x10000" "factory_4MB:$factory:0x0"; do
  IFS=: read -r name image address <<<"$case"
  read -r lim wire erase program md5pass <<<"$(limit "$image" "$address")"
  size=$(stat -c %s "$image")
  for tool in espflash-swift esptool; do
    read -r secs bytes md5 <<<"$(run "$tool" "$image" "$address")"
    printf "%-22s %-15s %9.2f %12d %12d %9.2f %10.2f\n" "$name" "$tool" "$secs" "$bytes" "$md5" "$(echo "$md5 / $size" | bc -l)" \
      "$(echo "$secs / $lim" | bc -l)"
  done
  printf "%-22s %-15s %9.2f   (wire %.2f s + erase %.2f s + program %.2f s + one MD5 pass %.2f s)\n" "$name" "model limit" "$lim" \
    "$wire" "$erase" "$program" "$md5pass"
done
