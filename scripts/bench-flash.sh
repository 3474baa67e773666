#!/usr/bin/env bash
# Flashing benchmark (not a test): a dense app and a 4 MB merged factory image onto a blank emulated ESP32, and
# the factory image onto a chip full of old data (emulate --baud-model 921600 --flash-timing typical), this tool vs
# esptool 5.6.0 --no-stub -z, one after the other in the same run. Prints wall time, bytes on the wire (the
# emulator's count of bytes it received), the bytes the ROM hashed with SPI_FLASH_MD5 (timed at 2 MiB/s under
# --flash-timing typical) and their ratio to the image, and two limits, both compressed non-0xFF bytes x 10 / baud
# plus erase and page-program time plus one MD5 pass over the image (the least a verified write needs):
# - rom: the least erase + program time any plan of FLASH_BEGIN ranges can get from the ROM, whose erase uses 64 KB
#   block erases only strictly inside a range (esp_rom_spiflash_erase_area; FlashTiming/ErasePlan.swift), found by
#   trying every cut; old data must be erased, 0xFF sectors on a blank chip need nothing;
# - ideal: every sector to erase (the non-0xFF ones, or all on a dirty chip) in whole 64 KB blocks where aligned,
#   only the non-0xFF pages programmed: what a loader with direct block erase could reach, not the ROM.
# Usage: scripts/bench-flash.sh            (builds .build/release/espflash-swift as the README does; ESPFLASH_BIN overrides)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${ESPFLASH_BIN:-$root/.build/release/espflash-swift}
[[ -n ${ESPFLASH_BIN:-} ]] || swift build -c release --static-swift-stdlib >&2
venv=$(scripts/python-env.sh)
baud=921600
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

app=Fixtures/images/esp_idf_blink_esp32s2.bin
factory=$work/factory_4MB.bin
# The factory image: bootloader, the app at 0x10000 and a second copy in an OTA slot, 0xFF to 4 MB.
"$venv/bin/esptool" --chip esp32 merge-bin -o "$factory" --pad-to-size 4MB \
  0x1000 Fixtures/images/bootloader_esp32.bin 0x10000 "$app" 0x210000 "$app" >/dev/null

# The limits for IMAGE at ADDRESS (seconds) on a blank or dirty chip, from the figures the emulator uses.
limit() {
  "$venv/bin/python" - "$1" "$2" "$baud" "$3" <<'PY'
import sys, zlib
data = open(sys.argv[1], 'rb').read(); address = int(sys.argv[2], 0); baud = int(sys.argv[3]); dirty = sys.argv[4] == 'dirty'
S, ES, EB, PP = 4096, 0.045, 0.150, 0.0007
lead = address % S
data = b'\xff' * lead + data
sectors = [data[i:i + S] for i in range(0, len(data), S)]
first = (address - lead) // S
n = len(sectors)
dense = [bool(s.strip(b'\xff')) for s in sectors]
wire = len(zlib.compress(b''.join(s for s, d in zip(sectors, dense) if d), 9)) * 10 / baud
def rom(s, e):  # esp_rom_spiflash_erase_area over absolute sectors [s, e)
    total = e - s
    head = min(16 - s % 16, total); rest = total - head
    blocks = (rest - 1) // 16 if rest > 16 else 0
    return (head + rest - 16 * blocks) * ES + blocks * EB
program_sector = S // 256 * PP
best = [0.0] + [float('inf')] * n
for e in range(1, n + 1):
    blank = True
    for s in range(e - 1, -1, -1):
        blank = blank and not dense[s]
        erase = rom(first + s, first + e)
        c = best[s] + erase + (e - s) * program_sector  # a data range
        if blank:
            c = min(c, best[s] + (erase if dirty else 0))  # erased only, or nothing
        best[e] = min(best[e], c)
program = sum((len(s) + 255) // 256 for s, d in zip(sectors, dense) if d) * PP
ideal_erase, k = 0.0, 0
while k < n:
    if not (dirty or dense[k]): k += 1; continue
    a = first + k
    run = all(dirty or dense[k + j] for j in range(16)) if k + 16 <= n else False
    if a % 16 == 0 and run: ideal_erase += EB; k += 16
    else: ideal_erase += ES; k += 1
md5 = len(data) / (2 * 1024 * 1024)  # one SPI_FLASH_MD5 pass over the image
print(f"{wire + best[n] + md5:.2f} {wire + ideal_erase + program + md5:.2f} {wire:.2f} {best[n]:.2f} {ideal_erase:.2f} {program:.2f} {md5:.2f}")
PY
}

# run TOOL IMAGE ADDRESS [OLD] -> "seconds wire_bytes md5_bytes"; OLD is the flash the chip holds before (default blank)
run() {
  local tool=$1 image=$2 address=$3 old=${4:-}
  rm -f "$work/port" "$work/flash.bin" "$work/emu.log"
  [[ -z $old ]] || cp "$old" "$work/flash.bin"
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

# A chip full of old data: 4 MB of random bytes.
head -c 4194304 /dev/urandom > "$work/old.bin"

printf "%-22s %-15s %9s %12s %12s %8s %8s %8s\n" image tool seconds wire_bytes md5_bytes x_image x_rom x_ideal
for case in "app:$app:0x10000:blank" "factory_4MB:$factory:0x0:blank" "factory_4MB_dirty:$factory:0x0:dirty"; do
  IFS=: read -r name image address chip <<<"$case"
  read -r lim ideal wire erase ideal_erase program md5pass <<<"$(limit "$image" "$address" "$chip")"
  size=$(stat -c %s "$image")
  old=; [[ $chip == dirty ]] && old=$work/old.bin
  for tool in espflash-swift esptool; do
    read -r secs bytes md5 <<<"$(run "$tool" "$image" "$address" "$old")"
    printf "%-22s %-15s %9.2f %12d %12d %8.2f %8.2f %8.2f\n" "$name" "$tool" "$secs" "$bytes" "$md5" "$(echo "$md5 / $size" | bc -l)" \
      "$(echo "$secs / $lim" | bc -l)" "$(echo "$secs / $ideal" | bc -l)"
  done
  printf "%-22s %-15s %9.2f   (wire %.2f s + erase and program %.2f s + one MD5 pass %.2f s)\n" "$name" "rom limit" "$lim" "$wire" "$erase" "$md5pass"
  printf "%-22s %-15s %9.2f   (wire %.2f s + erase %.2f s + program %.2f s + one MD5 pass %.2f s)\n" "$name" "ideal" "$ideal" "$wire" "$ideal_erase" "$program" "$md5pass"
done
