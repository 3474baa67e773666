#!/usr/bin/env bash
# The fault campaigns of README "Reliability": seeded flashes through the built binary over every transport
# (virtual://, socket://, a pty behind --pty-link, rfc2217://), each fault kind in turn (corrupt-rx, drop-reply,
# truncate-reply, delay-reply, disconnect-after, reenumerate-after, reset-after, and a mix), every outcome judged
# from the emulated flash file; then the station killed with -9 at random points, counting records lost and units
# doubled. The CI sample of both runs in scripts/test.sh.
#   scripts/fault-campaign.sh [FLASH_RUNS=1000] [STATION_RUNS=200] [SEED=1]
# Environment: ESPFLASH_CAMPAIGN_JOBS (parallel flashes, 2). The table also goes to .build/fault-campaign.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000}
station=${2:-200}
seed=${3:-1}
export ESPFLASH_VENV=$(scripts/python-env.sh)
export ESPFLASH_REQUIRE_TOOLS=1
swift build --build-tests >&2
report=.build/fault-campaign.txt
start=$(date +%s)
status=0
ESPFLASH_CAMPAIGN_RUNS=$runs ESPFLASH_CAMPAIGN_SEED=$seed ESPFLASH_CAMPAIGN_REPORT=$report \
  swift test --skip-build --filter 'FaultCampaignTests' 2>&1 | grep -v '^↳ ///' | tee .build/fault-campaign.log || status=1
if ((station > 0)); then
  ESPFLASH_STATION_KILL_RUNS=$station swift test --skip-build --filter 'killedAgainAndAgain' 2>&1 \
    | grep -E 'station kill -9|✔|✘' | tee -a .build/fault-campaign.log || status=1
fi
echo "fault campaign: $(( $(date +%s) - start )) s in all; table in $report" >&2
exit $status
