#!/usr/bin/env bash
# Resource bounds (issue 16): large inputs end in bounded time and memory, or are refused with a clear limit.
# Builds the README's binary, makes the inputs in a temporary folder and runs each case under /usr/bin/time -v,
# printing wall time, peak RSS, exit code and the first line of stderr:
#   - a 100,000-line partition CSV (refused: a binary table holds at most 95 entries) and its --json reading
#   - a 16 MB NVS partition from 200,000 rows, then `nvs inspect` of that image
#   - a 64 MB merge (four 16 MB files) and a 64 MB merge as UF2
#   - image-info of a 100 MB file (an app image followed by 0xFF), and of /dev/zero (refused at 256 MB)
# The CI-sized sample of these is Tests/EndToEndTests/ResourceBoundsCLITests.swift.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib >&2
tool="$PWD/.build/release/espflash-swift"
work=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/bench-bounds.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

python3 - <<'EOF'
with open('partitions_100k.csv', 'w') as f:
    f.write('# Name, Type, SubType, Offset, Size, Flags\n')
    for i in range(100_000):
        f.write(f'p{i}, 0x40, 0x00, , 4K,\n')
with open('nvs_200k.csv', 'w') as f:
    f.write('key,type,encoding,value\n')
    for i in range(200_000):
        if i % 50_000 == 0:
            f.write(f'ns{i // 50_000},namespace,,\n')
        f.write(f'k{i % 100_000},data,u32,{i}\n')
import os
for n in range(4):
    with open(f'part{n}.bin', 'wb') as f:
        f.write(os.urandom(16 << 20))
EOF
"$tool" image make-app --chip esp32 -o app.bin >/dev/null
cp app.bin app_100MB.bin
head -c $((100 * 1024 * 1024 - $(stat -c %s app.bin))) /dev/zero | tr '\0' '\377' >>app_100MB.bin

printf '| %-44s | %8s | %10s | %4s | %s\n' case seconds "peak RSS" exit "first stderr line"
printf '|%s|%s|%s|%s|%s\n' ---------------------------------------------- ---------- ------------ ------ ------------------
run() {
  local name=$1
  shift
  local status=0
  /usr/bin/time -v -o time.txt "$tool" "$@" >out.txt 2>err.txt || status=$?
  local seconds rss
  seconds=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' time.txt | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' time.txt)
  printf '| %-44s | %8s | %7d MB | %4s | %s\n' "$name" "$seconds" $((rss / 1024)) "$status" "$(head -1 err.txt | cut -c1-100)"
}
run "partition-table, 100,000-line CSV -> binary" partition-table partitions_100k.csv -o table.bin
run "partition-table, 100,000-line CSV --json" partition-table partitions_100k.csv --json --no-verify
run "nvs generate, 200,000 rows -> 16 MB" nvs generate nvs_200k.csv nvs_16MB.bin 16MB
run "nvs inspect, that 16 MB image" nvs inspect nvs_16MB.bin
run "merge-bin, 4 x 16 MB -> 64 MB" merge-bin --chip esp32 -o merged.bin 0x0 part0.bin 0x1000000 part1.bin 0x2000000 part2.bin 0x3000000 part3.bin
run "merge-bin, 4 x 16 MB -> UF2" merge-bin --chip esp32 --format uf2 -o merged.uf2 0x0 part0.bin 0x1000000 part1.bin 0x2000000 part2.bin 0x3000000 part3.bin
run "image-info, 100 MB file" image-info app_100MB.bin
run "image-info, /dev/zero" image-info /dev/zero
