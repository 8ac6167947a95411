#!/usr/bin/env bash
# Runs every test project and ends with "N passed, N failed" read from the test results.
# First installs what the tests run against when it is missing (see install-dependencies.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is required (dotnet was not found on PATH)." >&2
  exit 2
fi

bash tests/install-dependencies.sh
# shellcheck source=tests/hang-timeout.sh
source tests/hang-timeout.sh

results="$(pwd)/TestResults"
rm -rf "$results"
mkdir -p "$results"

status=0
dotnet test EventManager.sln -c Release "${hang_args[@]}" \
  --logger "trx" --logger "console;verbosity=minimal" \
  --results-directory "$results" || status=$?

# The Redis suite again against the newest StackExchange.Redis 3.x: the package references 2.13, the lowest release with
# the APIs it uses, and an app may bring either major (docs/redis.md).
dotnet test tests/EventManager.Redis.Tests -c Release -p:StackExchangeRedisVersion=3.4.35 "${hang_args[@]}" \
  --logger "trx;LogFileName=redis-stackexchange-3.trx" --logger "console;verbosity=minimal" \
  --results-directory "$results" || status=$?

passed=0
failed=0
shopt -s nullglob
trx_files=("$results"/*.trx)
for trx in "${trx_files[@]}"; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

# A test host ended for hanging reports no failure of its own in the results: count each hanging test as one.
hangs=$(report_hangs "$results")
failed=$((failed + hangs))

if [ "${#trx_files[@]}" -eq 0 ]; then
  echo "No test results were written." >&2
  status=1
fi

echo "${passed} passed, ${failed} failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
