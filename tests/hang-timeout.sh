# shellcheck shell=bash disable=SC2034
# Sourced by tests/run.sh and tests/check-hang-timeout.sh: how long one test may run before the test host is dumped and
# ended, so a hang fails its test run in minutes instead of holding CI. The longest test takes seconds and a Redis
# Cluster fixture's start-up under a minute, even on a loaded 2-core machine; three minutes bounds them with room.
hang_timeout="${EVENTMANAGER_HANG_TIMEOUT:-3m}"
hang_args=(--blame-hang-timeout "$hang_timeout" --blame-hang-dump-type mini)

# Names on standard error each test that was running when its host ended early, ended for hanging or crashed (from the
# blame collector's sequence files), and prints how many there were.
report_hangs() {
  local results="$1" count=0 name
  while IFS= read -r name; do
    echo "HANG OR CRASH: ${name} did not finish: its test host crashed, or was dumped and ended after ${hang_timeout} (see ${results})." >&2
    count=$((count + 1))
  done < <(grep -rhoE '<Test Name="[^"]+"[^>]*Completed="False"' --include='Sequence_*.xml' "$results" 2>/dev/null |
    sed -E 's/<Test Name="([^"]+)".*/\1/' | sort -u)
  echo "$count"
}
