#!/usr/bin/env bash
# Benchmarks `espflash-swift nvs` against the original Python tools (not a test):
#  (a) 1,000 devices: `nvs batch` vs ESP-IDF mfg_gen.py on the same config/values CSVs (outputs compared);
#  (b) one 1 MB image with 20,000 entries: `nvs generate` vs esp-idf-nvs-partition-gen 0.3.0 `generate`;
#  (c) the same image encrypted (`nvs encrypt --inputkey`, XTS-AES-256) vs 0.3.0 `encrypt`;
#  (d) 200 Wi-Fi access-point rows (each ap.ssid/ap.passwd/ap.authmode triple adds a PBKDF2-derived ap.pmk_info).
# mfg_gen.py is not on PyPI: it is read from an esp-idf checkout (ESP_IDF_REPO, a git dir; default the local
# mirror) into the scratch folder, never into the repository.
# Times with hyperfine (warm-up runs, mean of RUNS; both tools in one call so machine load affects both alike),
# else one timed run each.
# File creation on ext4 is many times slower for minutes after thousands of files were deleted nearby (the inode
# allocator skips recently deleted inodes), which swamps (a) for both tools; BENCH_TMPDIR=/some-new-top-level-dir
# puts the scratch folder away from such deletions (e.g. earlier runs of this script or of the tests).
# Usage: scripts/bench-nvs.sh [DEVICES]     (env RUNS, default 5; BENCH_TMPDIR, default the system temp folder)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
devices=${1:-1000}
runs=${RUNS:-5}
venv=${ESPFLASH_VENV:-$("$root/scripts/python-env.sh")}
# The statically linked build, as a production line would deploy it (no shared Swift runtime to load).
swift build -c release --static-swift-stdlib --package-path "$root" >&2
bin=$root/.build/release/espflash-swift
idf_repo=${ESP_IDF_REPO:-/work/.mirror/espressif+esp-idf/repo}
work=$(mktemp -d ${BENCH_TMPDIR:+-p "$BENCH_TMPDIR"})
trap 'rm -rf "$work"' EXIT
git -C "$idf_repo" show master:tools/mass_mfg/mfg_gen.py > "$work/mfg_gen.py"

now() { date +%s.%N; }
ratio() { python3 -c "print(f'{$1/$2:.1f}')"; }
# mean_pair NAME_A CMD_A NAME_B CMD_B: prints "MEAN_A MEAN_B" in seconds. The commands run through a shell
# (hyperfine subtracts its start-up time), so $(...) in them is expanded for every run.
mean_pair() {
  if command -v hyperfine > /dev/null; then
    hyperfine --warmup 1 --runs "$runs" --export-json "$work/h.json" -n "$1" "$2" -n "$3" "$4" >&2
    python3 - "$work/h.json" <<'PY'
import json, sys
r = [x["mean"] for x in json.load(open(sys.argv[1]))["results"]]
print(r[0], r[1])
PY
  else
    local t0 t1 t2
    t0=$(now); bash -c "$2" > /dev/null; t1=$(now); bash -c "$4" > /dev/null; t2=$(now)
    python3 -c "print($t1-$t0, $t2-$t1)"
  fi
}

# ---- (a) mass manufacturing --------------------------------------------------------------------------------
cd "$work"
mkdir files && head -c 1200 /dev/urandom | base64 > files/cert.pem
printf 'app,namespace,\nserial_no,data,string\ndevice_no,data,u32\nbatch,data,string,REPEAT\nhw_rev,data,u8,REPEAT\nmac,data,hex2bin\ncalib,namespace,\ncert,file,string\noffset,data,i32\nblob,data,base64\n' > config.csv
python3 - "$devices" > values.csv <<'PY'
import base64, random, sys
r = random.Random(7)
print('id,serial_no,device_no,batch,hw_rev,mac,cert,offset,blob')
for i in range(1, int(sys.argv[1]) + 1):
    first = i == 1
    print(f"{i},SN{i:06d},{1000 + i},{'B2026-01' if first else ''},{3 if first else ''},"
          f"246f28{i:06x},files/cert.pem,{r.randint(-99, 99)},{base64.b64encode(bytes(r.randrange(256) for _ in range(64))).decode()}")
PY
"$venv/bin/python" mfg_gen.py generate config.csv values.csv dev 0x6000 --outdir py_out > /dev/null
"$bin" nvs batch --conf config.csv --values values.csv --size 0x6000 --prefix dev --outdir swift_out > /dev/null
diff -r py_out/bin swift_out/bin > /dev/null && diff -r py_out/csv swift_out/csv > /dev/null && same_a=identical || same_a=DIFFERENT
# Every run writes into a new output folder (nvs batch never overwrites). Nothing is deleted while timing: ext4
# makes file creation much slower for a few seconds after thousands of files were removed, for both tools alike.
read -r py_a sw_a < <(mean_pair mfg_gen.py "$venv/bin/python mfg_gen.py generate config.csv values.csv dev 0x6000 --outdir runs/py-\$(date +%s%N)" \
  "nvs batch" "$bin nvs batch --conf config.csv --values values.csv --size 0x6000 --prefix dev --outdir runs/swift-\$(date +%s%N)")

# ---- (b) one 1 MB image with 20,000 entries ----------------------------------------------------------------
python3 > big.csv <<'PY'
print('key,type,encoding,value')
print('bench,namespace,,')
for i in range(20000):
    if i % 4 == 3:
        print(f'str{i},data,string,value number {i}')
    else:
        print(f'num{i},data,u32,{i * 7919 % 4294967296}')
PY
"$venv/bin/python" -m esp_idf_nvs_partition_gen generate big.csv py_big.bin 0x100000 > /dev/null
"$bin" nvs generate big.csv swift_big.bin 0x100000 > /dev/null
cmp -s py_big.bin swift_big.bin && same_b=identical || same_b=DIFFERENT
read -r py_b sw_b < <(mean_pair nvs_partition_gen "$venv/bin/python -m esp_idf_nvs_partition_gen generate big.csv py_big.bin 0x100000" \
  "nvs generate" "$bin nvs generate big.csv swift_big.bin 0x100000")

# ---- (c) the same image encrypted -------------------------------------------------------------------------
head -c 64 /dev/urandom > keys64.bin && python3 -c "import sys; sys.stdout.buffer.write(open('keys64.bin','rb').read() + bytes(4) + b'\xff' * 4028)" > keys.bin
"$venv/bin/python" -m esp_idf_nvs_partition_gen encrypt big.csv py_enc.bin 0x100000 --inputkey keys.bin > /dev/null
"$bin" nvs encrypt big.csv swift_enc.bin 0x100000 --inputkey keys.bin > /dev/null
cmp -s py_enc.bin swift_enc.bin && same_c=identical || same_c=DIFFERENT
read -r py_c sw_c < <(mean_pair "nvs_partition_gen encrypt" "$venv/bin/python -m esp_idf_nvs_partition_gen encrypt big.csv py_enc.bin 0x100000 --inputkey keys.bin" \
  "nvs encrypt" "$bin nvs encrypt big.csv swift_enc.bin 0x100000 --inputkey keys.bin")

# ---- (d) 200 access-point rows ------------------------------------------------------------------------------
python3 > ap.csv <<'PY'
print('key,type,encoding,value')
print('nvs.net80211,namespace,,')
for i in range(200):
    print(f'ap.ssid,data,string,station-{i}')
    print(f'ap.passwd,data,string,passphrase-{i:04d}')
    print('ap.authmode,data,u8,3')
PY
"$venv/bin/python" -m esp_idf_nvs_partition_gen generate ap.csv py_ap.bin 0x40000 > /dev/null
"$bin" nvs generate ap.csv swift_ap.bin 0x40000 > /dev/null 2>&1
cmp -s py_ap.bin swift_ap.bin && same_d=identical || same_d=DIFFERENT
read -r py_d sw_d < <(mean_pair "nvs_partition_gen (AP rows)" "$venv/bin/python -m esp_idf_nvs_partition_gen generate ap.csv py_ap.bin 0x40000" \
  "nvs generate (AP rows)" "$bin nvs generate ap.csv swift_ap.bin 0x40000 2>/dev/null")

printf '(a) %d devices, 0x6000 each (mean): mfg_gen.py %.2f s, nvs batch %.3f s -> %sx faster (outputs %s)\n' \
  "$devices" "$py_a" "$sw_a" "$(ratio "$py_a" "$sw_a")" "$same_a"
printf '(b) 1 MB image, 20000 entries (mean): nvs_partition_gen 0.3.0 %.2f s, nvs generate %.3f s -> %sx faster (outputs %s)\n' \
  "$py_b" "$sw_b" "$(ratio "$py_b" "$sw_b")" "$same_b"
printf '(c) the same image encrypted (mean): nvs_partition_gen 0.3.0 %.2f s, nvs encrypt %.3f s -> %sx faster (outputs %s)\n' \
  "$py_c" "$sw_c" "$(ratio "$py_c" "$sw_c")" "$same_c"
printf '(d) 200 access-point rows (mean): nvs_partition_gen 0.3.0 %.2f s, nvs generate %.3f s -> %sx faster (outputs %s)\n' \
  "$py_d" "$sw_d" "$(ratio "$py_d" "$sw_d")" "$same_d"
[[ $same_a == identical && $same_b == identical && $same_c == identical && $same_d == identical ]]
