#!/usr/bin/env bash
# Shows that a hanging test fails fast: runs tests/HangProbe (one test that never ends, kept out of the suite) with the
# same hang settings as tests/run.sh, but a 20-second limit, and checks that the run fails within two minutes, names
# the hanging test and leaves a dump. Exits non-zero if any of that does not happen.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tests/hang-timeout.sh
EVENTMANAGER_HANG_TIMEOUT=20s source tests/hang-timeout.sh

results=$(mktemp -d)
log="$results/log.txt"
dotnet build tests/HangProbe -c Release >"$log" 2>&1 || { cat "$log"; echo "The hang probe did not build." >&2; exit 1; }
start=$SECONDS
status=0
timeout 300 dotnet test tests/HangProbe -c Release --no-build "${hang_args[@]}" --logger trx --results-directory "$results" \
  >>"$log" 2>&1 || status=$?
elapsed=$((SECONDS - start))
hangs=$(report_hangs "$results" 2>&1 >/dev/null)

problems=()
[ "$status" -ne 0 ] || problems+=("the run succeeded")
[ "$status" -ne 124 ] || problems+=("the run was still going after 300 s")
[ "$elapsed" -le 120 ] || problems+=("the run took ${elapsed} s")
grep -q 'HangTests.AwaitSignalNobodySets_NeverEnds' <<<"$hangs" || problems+=("the hanging test was not named")
find "$results" -name '*_hangdump.dmp' | grep -q . || problems+=("no dump was written")
if [ "${#problems[@]}" -ne 0 ]; then
  cat "$log"
  printf 'Hang check failed: %s.\n' "${problems[@]}" >&2
  echo "The probe's results and any dump are in ${results}." >&2
  exit 1
fi
echo "Hang check: a test that never ends failed its run in ${elapsed} s with a dump; ${hangs}"
rm -rf "$results"
