#!/usr/bin/env bash
# The main job on a fresh Debian machine with Swift 6: installs zlib if needed, builds the release binary, builds
# the ESP32 AT v2.4 at_customize.bin from Fixtures/ and prints it back as CSV and JSON. Outputs go to out/.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! pkg-config --exists zlib 2>/dev/null && [[ ! -f /usr/include/zlib.h ]]; then
  if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq zlib1g-dev pkg-config >&2
  else sudo apt-get update -qq && sudo apt-get install -y -qq zlib1g-dev pkg-config >&2; fi
fi

swift build -c release >&2
bin=.build/release/espflash-swift
mkdir -p out
csv=Fixtures/partition/at_customize/in/at_customize_v2.4_esp32.csv

echo "== $bin partition-table $csv -o out/at_customize.bin"
$bin partition-table "$csv" -o out/at_customize.bin
ls -l out/at_customize.bin
echo "== $bin partition-table out/at_customize.bin"
$bin partition-table out/at_customize.bin
echo "== $bin partition-table out/at_customize.bin --json (first entry)"
$bin partition-table out/at_customize.bin --json | head -16
