#!/usr/bin/env bash
# Records what esptool 5.6.0 `image-info` says about every file under Fixtures/images (the copy of esptool's own
# test/images folder, plus made-here/): Fixtures/images/image-info/PATH.txt holds stdout without esptool's
# version banner, PATH.err the exit code on its first line ("exit N") and then stderr.
# Usage: Tools/record-image-info.sh      (uses .build/venv from scripts/python-env.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
esptool=$("$root/scripts/python-env.sh")/bin/esptool
cd "$root/Fixtures/images"
rm -rf image-info
find . -type f ! -path "./image-info/*" ! -name README.md | sed 's|^\./||' | sort | while read -r f; do
  mkdir -p "image-info/$(dirname "$f")"
  set +e
  "$esptool" image-info "$f" > "image-info/$f.out" 2> "image-info/$f.stderr"
  status=$?
  set -e
  tail -n +2 "image-info/$f.out" > "image-info/$f.txt"
  { echo "exit $status"; cat "image-info/$f.stderr"; } > "image-info/$f.err"
  rm "image-info/$f.out" "image-info/$f.stderr"
done
