#!/usr/bin/env bash
# The project's one test command (README, .ci/run): installs what the tests need on a fresh Debian with Swift 6,
# then builds and runs every test, including the differential tests against the original Python tools.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: zlib and libdeflate (compression), ser2net (an RFC 2217 server for the rfc2217:// transport test).
missing=()
pkg-config --exists zlib 2>/dev/null || [[ -f /usr/include/zlib.h ]] || missing+=(zlib1g-dev pkg-config)
[[ -f /usr/include/libdeflate.h ]] || missing+=(libdeflate-dev)
[[ -f /usr/include/sqlite3.h ]] || missing+=(libsqlite3-dev)
command -v ser2net >/dev/null || [[ -x /usr/sbin/ser2net ]] || missing+=(ser2net)
if ((${#missing[@]})); then
  echo "installing ${missing[*]}" >&2
  sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq "${missing[@]}" >&2
fi

# Tests that compare against esptool / the NVS generator / the mock ROM loader must find them: fail, don't skip.
export ESPFLASH_VENV=$(scripts/python-env.sh)
export ESPFLASH_REQUIRE_TOOLS=1

swift build --build-tests
swift test --skip-build "$@"

# Fuzz smoke (README, "Fuzzing"): every libFuzzer target for 2 seconds, two at a time. It builds in .build with the
# test build's dependencies (about 40 s), so the next plain `swift build` recompiles the instrumented modules (about
# 30 s). Skipped when tests are filtered, or with ESPFLASH_FUZZ_SMOKE=0.
if (($# == 0)) && [[ ${ESPFLASH_FUZZ_SMOKE:-1} != 0 ]]; then
  FUZZ_CONFIG=debug FUZZ_SCRATCH=.build FUZZ_CORPUS=.build/fuzz-corpus FUZZ_JOBS=2 scripts/fuzz.sh all 2
fi
