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
# FUZZ_CORPUS (kept corpus, default .build-fuzz/corpus: campaigns accumulate), ESPFLASH_FUZZ_SANITIZERS=fuzzer (no
# AddressSanitizer: the campaign's build, about twice as fast; give it its own FUZZ_SCRATCH). scripts/test.sh runs `all 2`.
#
# A campaign: FUZZ_GOAL=N (executions per target) with FUZZ_LEDGER=DIR (default .build-fuzz/campaign) adds each run's
# figures to DIR/TARGET.tsv, skips targets whose total reached N and stops a run when it does; call it again (e.g.
# `all 300` in a loop) to resume where it stopped. The table then shows the ledger's totals.
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
goal=${FUZZ_GOAL:-0}
ledger_root=${FUZZ_LEDGER:-.build-fuzz/campaign}
build_flags="$config, -sanitize=${ESPFLASH_FUZZ_SANITIZERS:-fuzzer,address}"

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
  local ledger="$ledger_root/$target.tsv" done_before=0
  if ((goal > 0)); then
    mkdir -p "$ledger_root"
    done_before=$(ledger_total "$ledger")
    if ((done_before >= goal)); then ledger_row "$target" "$ledger"; return; fi
  fi
  local started deadline execs=0 before after left status run_log runs_flag=()
  started=$(date +%s)
  deadline=$((started + seconds))
  run_log=$(mktemp)
  before=$(find "$crashes" -type f | wc -l)
  # libFuzzer stops at a crash: go on from the corpus until the time (or the goal) is used.
  while left=$((deadline - $(date +%s))); ((left > 0)); do
    ((goal > 0)) && runs_flag=(-runs=$((goal - done_before - execs)))
    status=0
    # No allocation stack traces (3x the executions; a crash report still shows where it happened).
    ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0} SWIFT_BACKTRACE=enable=no ESPFLASH_FUZZ_TARGET=$target "$binary" -max_total_time="$left" -print_final_stats=1 \
      -rss_limit_mb=4096 -timeout=20 -artifact_prefix="$crashes/" "${runs_flag[@]}" ${FUZZ_FLAGS:-} "${dirs[@]}" >"$run_log" 2>&1 || status=$?
    cat "$run_log" >>"$log"
    local ran
    ran=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run_log" | tail -1)
    [[ -n $ran ]] || ran=$(grep -oE '^#[0-9]+' "$run_log" | tail -1 | tr -d '#')
    execs=$((execs + ${ran:-0}))
    ((status == 0)) && break
    grep -q -E 'deadly signal|ERROR: (AddressSanitizer|libFuzzer)' "$run_log" || break  # not a crash: stop
    ((goal > 0 && done_before + execs >= goal)) && break
  done
  rm -f "$run_log"
  after=$(find "$crashes" -type f | wc -l)
  local last cov ft elapsed
  elapsed=$(($(date +%s) - started))
  last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  if ((goal > 0)); then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$build_flags" "$execs" "$elapsed" "${cov:-0}" "${ft:-0}" \
      "$((after - before))" >>"$ledger"
    ledger_row "$target" "$ledger"
  else
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$execs" "$((execs / (elapsed > 0 ? elapsed : 1)))" "${cov:-0}" "${ft:-0}" \
      "$((after - before))" >>"$summary"
  fi
  if ((after > before)); then echo "$target: $((after - before)) new crash(es) in $crashes (log: $log)" >&2; fi
}

# A campaign ledger's total executions, and its summary row: executions, exec/s over all runs, the last run's
# coverage, crashes in all.
ledger_total() { [[ -f $1 ]] && awk -F'\t' '{ n += $3 } END { print n + 0 }' "$1" || echo 0; }
ledger_row() {
  awk -F'\t' -v t="$1" '{ n += $3; s += $4; cov = $5; ft = $6; c += $7 }
    END { printf "%s\t%d\t%d\t%s\t%s\t%d\n", t, n, n / (s > 0 ? s : 1), cov, ft, c }' "$2" >>"$summary"
}

pids=()
for target in $targets; do
  run_target "$target" &
  pids+=($!)
  if ((${#pids[@]} >= jobs)); then wait "${pids[0]}" || true; pids=("${pids[@]:1}"); fi
done
wait || true

echo
printf '| %-20s | %12s | %8s | %7s | %7s | %7s |\n' target execs exec/s cov ft crashes
printf '|%s|%s|%s|%s|%s|%s|\n' ---------------------- -------------- ---------- --------- --------- ---------
sort "$summary" | while IFS=$'\t' read -r target execs rate cov ft crashes; do
  printf '| %-20s | %12s | %8s | %7s | %7s | %7s |\n' "$target" "$execs" "$rate" "$cov" "$ft" "$crashes"
done
! awk -F'\t' '$6 > 0 { found = 1 } END { exit !found }' "$summary"
