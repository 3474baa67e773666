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
# Two passes. Swift's async pool has one thread per core, and the end-to-end tests that wait on processes hold it; so
# the tests that measure time (an emulated chip's long erase, a station waiting for the next module, how long an
# allocation waits while four stores contend for one pool) and the line-of-stations tests (several station
# processes, PostgreSQL and Chromium at once) run after the rest, alone.
# Each pass has a time limit far above its usual time (about 4 min and 1 min): a test that hangs fails the run with
# the processes it left, instead of running into CI's limit. Output is line-buffered, so the log shows how far it got.
run_pass() {
  local limit=$1 status=0 watchdog
  shift
  # Just before the limit, the processes still running (the hung test's children among them) go to the log.
  (sleep $((limit - 10)) && echo "error: the test pass ($*) is about to exceed ${limit} s; processes running:" >&2 \
    && ps -eo pid,ppid,etime,stat,args --forest >&2) &
  watchdog=$!
  timeout --kill-after=30 "$limit" stdbuf -oL -eL swift test --skip-build "$@" || status=$?
  # Its sleep first: left behind, it would hold the log's pipe open for the rest of the limit.
  pkill -P "$watchdog" sleep 2>/dev/null || true
  kill "$watchdog" 2>/dev/null || true
  ((status != 124)) || echo "error: the test pass ($*) did not finish within ${limit} s" >&2
  return "$status"
}
timed='HardwareGapTests|PresenceTests|StoreLineTests|StationLineCLITests|DashboardCLITests'
run_pass 1500 --skip "$timed"
run_pass 900 --filter "$timed"

# Fuzz smoke (README, "Fuzzing"): every libFuzzer target for 2 seconds, two at a time. It builds in .build with the
# test build's dependencies (about 40 s), so the next plain `swift build` recompiles the instrumented modules (about
# 30 s). Skipped with ESPFLASH_FUZZ_SMOKE=0.
if [[ ${ESPFLASH_FUZZ_SMOKE:-1} != 0 ]]; then
  FUZZ_CONFIG=debug FUZZ_SCRATCH=.build FUZZ_CORPUS=.build/fuzz-corpus FUZZ_JOBS=2 scripts/fuzz.sh all 2
fi
