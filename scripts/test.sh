#!/usr/bin/env bash
# The project's one test command (README, .ci/run): installs what the tests need on a fresh Debian with Swift 6,
# then builds and runs every test, including the differential tests against the original Python tools.
set -euo pipefail
cd "$(dirname "$0")/.."

if { ! pkg-config --exists zlib 2>/dev/null && [[ ! -f /usr/include/zlib.h ]]; } || [[ ! -f /usr/include/libdeflate.h ]]; then
  echo "installing zlib1g-dev libdeflate-dev" >&2
  if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq zlib1g-dev libdeflate-dev pkg-config >&2
  else sudo apt-get update -qq && sudo apt-get install -y -qq zlib1g-dev libdeflate-dev pkg-config >&2; fi
fi

# Tests that compare against esptool / the NVS generator / the mock ROM loader must find them: fail, don't skip.
export ESPFLASH_VENV=$(scripts/python-env.sh)
export ESPFLASH_REQUIRE_TOOLS=1

swift build --build-tests
swift test --skip-build "$@"
