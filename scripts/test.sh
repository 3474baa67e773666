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
