#!/usr/bin/env bash
# The project's one test command (README, .ci/run): installs what the tests need on a fresh Debian with Swift 6,
# then builds and runs every test, including the differential tests against the original Python tools.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: zlib and libdeflate (compression), SQLite (the station's store), ser2net (an RFC 2217 server for
# the rfc2217:// transport test), PostgreSQL (a throwaway server the line tests start themselves with initdb/pg_ctl),
# Chromium and curl (the line dashboard in a headless browser, its endpoints).
missing=()
pkg-config --exists zlib 2>/dev/null || [[ -f /usr/include/zlib.h ]] || missing+=(zlib1g-dev pkg-config)
[[ -f /usr/include/libdeflate.h ]] || missing+=(libdeflate-dev)
[[ -f /usr/include/sqlite3.h ]] || missing+=(libsqlite3-dev)
command -v ser2net >/dev/null || [[ -x /usr/sbin/ser2net ]] || missing+=(ser2net)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
  echo "installing ${missing[*]}" >&2
  sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

# Tests that compare against esptool / the NVS generator / the mock ROM loader must find them: fail, don't skip.
export ESPFLASH_VENV=$(scripts/python-env.sh)
export ESPFLASH_REQUIRE_TOOLS=1

swift build --build-tests
if (($#)); then exec swift test --skip-build "$@"; fi
# The line-of-stations tests run several station processes, PostgreSQL and Chromium at once: they run after the
# rest, alone, so that their load does not stretch the emulated chips' timing in the other tests.
line='StationLineCLITests|DashboardCLITests'
swift test --skip-build --skip "$line"
swift test --skip-build --filter "$line"
