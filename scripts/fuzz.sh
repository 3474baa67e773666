#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser (README, "Fuzzing"): scripts/fuzz.sh TARGET|all SECONDS [TARGET ...]
#
# Builds Tools/fuzz (one libFuzzer binary; ESPFLASH_FUZZ_TARGET picks the FormatCatalog entry), seeds each target from
# Fixtures (plus Fixtures/fuzz/seeds/TARGET and every regression case in Fixtures/fuzz/TARGET), runs it for SECONDS
# and prints a table: target, executions, coverage (libFuzzer cov = edges, ft = features), new crashes. A crash (a
# trap, an ASan report or a failed property) is saved under .build-fuzz/crashes/TARGET/ and the run goes on until
# the time is used; keep each as a regression case in Fixtures/fuzz/TARGET/ once fixed.
#
# Environment: FUZZ_CONFIG=release|debug (default release: ~10x the executions), FUZZ_SCRATCH (the build folder,
# default .build-fuzz), FUZZ_JOBS (targets run at once, default 1), FUZZ_FLAGS (more libFuzzer flags),
# FUZZ_CORPUS (kept corpus, default .build-fuzz/corpus: campaigns accumulate). scripts/test.sh runs `all 2`.
set -euo pipefail
cd "$(dirname "$0")/.."

if (($# < 2)); then
  echo "usage: scripts/fuzz.sh TARGET|all SECONDS [TARGET ...]" >&2
  exit 64
fi
seconds=$2
config=${FUZZ_CONFIG:-release}
scratch=${FUZZ_SCRATCH:-.build-fuzz}
corpus_root=${FUZZ_CORPUS:-.build-fuzz/corpus}
jobs=${FUZZ_JOBS:-1}

# The sanitizers go on our modules only (Package.swift adds them when ESPFLASH_FUZZ is set), so the dependencies
# build as usual.
build_started=$(date +%s)
ESPFLASH_FUZZ=1 swift build -c "$config" --scratch-path "$scratch" --product espflash-fuzz >&2
binary="$scratch/$config/espflash-fuzz"
echo "fuzz build: $(($(date +%s) - build_started)) s" >&2

all_targets=$( (env -u ESPFLASH_FUZZ_TARGET "$binary" 2>&1 || true) | sed -n 's/^set ESPFLASH_FUZZ_TARGET to one of: //p')
if [[ $1 == all ]]; then targets=$all_targets; else targets="$1 ${*:3}"; fi

# Fixture files that seed each target (Tools/fuzz/seeds.tsv; at most 1 MB each, so libFuzzer's input size stays sensible).
seed_globs() { awk -F'\t' -v t="$1" '$1 == t { print $2 }' Tools/fuzz/seeds.tsv; }

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT

run_target() {
  local target=$1 seeds="$scratch/seeds/$1" corpus="$corpus_root/$1" crashes="$scratch/crashes/$1" log="$scratch/logs/$1.log"
  mkdir -p "$seeds" "$corpus" "$crashes" "$(dirname "$log")"
  for pattern in $(seed_globs "$target"); do
    for file in $pattern; do
      [[ -f $file && $(stat -c %s "$file") -le 1048576 ]] && cp -f "$file" "$seeds/$(echo "$file" | tr / _)"
    done
  done
  local dirs=("$corpus" "$seeds")
  for extra in "Fixtures/fuzz/seeds/$target" "Fixtures/fuzz/$target"; do [[ -d $extra ]] && dirs+=("$extra"); done
  : >"$log"
  local deadline=$(($(date +%s) + seconds)) execs=0 before after left status run_log
  run_log=$(mktemp)
  before=$(find "$crashes" -type f | wc -l)
  # libFuzzer stops at a crash: go on from the corpus until the time is used.
  while left=$((deadline - $(date +%s))); ((left > 0)); do
    status=0
    # No allocation stack traces (3x the executions; a crash report still shows where it happened).
    ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0} SWIFT_BACKTRACE=enable=no ESPFLASH_FUZZ_TARGET=$target "$binary" -max_total_time="$left" -print_final_stats=1 \
      -rss_limit_mb=4096 -timeout=20 -artifact_prefix="$crashes/" ${FUZZ_FLAGS:-} "${dirs[@]}" >"$run_log" 2>&1 || status=$?
    cat "$run_log" >>"$log"
    local ran
    ran=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run_log" | tail -1)
    [[ -n $ran ]] || ran=$(grep -oE '^#[0-9]+' "$run_log" | tail -1 | tr -d '#')
    execs=$((execs + ${ran:-0}))
    ((status == 0)) && break
    grep -q -E 'deadly signal|ERROR: (AddressSanitizer|libFuzzer)' "$run_log" || break  # not a crash: stop
  done
  rm -f "$run_log"
  after=$(find "$crashes" -type f | wc -l)
  local last cov ft
  last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%s\t%s\t%s\t%s\t%s\n' "$target" "$execs" "${cov:-0}" "${ft:-0}" "$((after - before))" >>"$summary"
  if ((after > before)); then echo "$target: $((after - before)) new crash(es) in $crashes (log: $log)" >&2; fi
}

pids=()
for target in $targets; do
  run_target "$target" &
  pids+=($!)
  if ((${#pids[@]} >= jobs)); then wait "${pids[0]}" || true; pids=("${pids[@]:1}"); fi
done
wait || true

echo
printf '| %-20s | %12s | %7s | %7s | %7s |\n' target execs cov ft crashes
printf '|%s|%s|%s|%s|%s|\n' ---------------------- -------------- --------- --------- ---------
sort "$summary" | while IFS=$'\t' read -r target execs cov ft crashes; do
  printf '| %-20s | %12s | %7s | %7s | %7s |\n' "$target" "$execs" "$cov" "$ft" "$crashes"
done
! awk -F'\t' '$5 > 0 { found = 1 } END { exit !found }' "$summary"
