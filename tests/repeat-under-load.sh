#!/usr/bin/env bash
# Repeatability: runs tests/run.sh RUNS times in a row (default 10) with BURNERS processes (default 2) spinning on the
# CPU beside it, as a busy CI machine would, and prints one line per run and a summary. Exits non-zero if any run failed.
# Each run's output is kept in TestResults-repeat/run-N.log.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
burners="${2:-2}"
[[ "$runs" =~ ^[1-9][0-9]*$ && "$burners" =~ ^[0-9]+$ ]] || { echo "usage: $0 [runs] [burners]" >&2; exit 2; }

logs="$(pwd)/TestResults-repeat"
rm -rf "$logs"
mkdir -p "$logs"

burner_pids=()
stop_burners() { [ "${#burner_pids[@]}" -eq 0 ] || kill "${burner_pids[@]}" 2>/dev/null || true; }
trap stop_burners EXIT
for _ in $(seq "$burners"); do
  bash -c 'while :; do :; done' &
  burner_pids+=("$!")
done

echo "$(date -u +%FT%TZ) commit $(git rev-parse --short HEAD), ${runs} runs, ${burners} CPU burners, $(nproc) cores"
green=0
for run in $(seq "$runs"); do
  start=$SECONDS
  if bash tests/run.sh >"$logs/run-${run}.log" 2>&1; then
    green=$((green + 1))
    outcome="green"
  else
    outcome="RED"
    # The next run starts by clearing TestResults: keep this one's results and any hang dump.
    cp -r TestResults "$logs/run-${run}-results"
  fi
  echo "run ${run}: ${outcome}, $(tail -1 "$logs/run-${run}.log"), $((SECONDS - start)) s"
done

echo "${green} of ${runs} runs green"
[ "$green" -eq "$runs" ]
