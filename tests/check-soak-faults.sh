#!/usr/bin/env bash
# Shows that the soak's checks can fail: runs the 2-minute soak once clean and once with each deliberate library defect
# (--inject-fault), and checks that the clean run passes and that each fault makes the soak exit non-zero with the check
# that guards against it failing. About 13 minutes; not part of .ci/run, for that reason. Logs go to TestResults-soak/.
# EVENTMANAGER_SOAK_FAULTS="mirror-drop gap-miscount" runs only those (none is the clean run).
set -euo pipefail
cd "$(dirname "$0")/.."

logs="$(pwd)/TestResults-soak"
rm -rf "$logs"
mkdir -p "$logs"
dotnet build tests/EventManager.Soak -c Release >"$logs/build.log" 2>&1 || { cat "$logs/build.log"; exit 1; }

# fault -> the check (a substring of its line) that must fail
declare -A guarded_by=(
  [mirror-drop]="events lost by mirrors after Redis had them"
  [replay-skip]="events lost by clients"
  [frame-duplicate]="duplicates"
  [gap-miscount]="dropped / told in gap frames"
)

problems=0
echo "commit $(git rev-parse --short HEAD)"
for fault in ${EVENTMANAGER_SOAK_FAULTS:-none mirror-drop replay-skip frame-duplicate gap-miscount}; do
  args=(--minutes 2)
  [ "$fault" = none ] || args+=(--inject-fault "$fault")
  status=0
  dotnet run -c Release --no-build --project tests/EventManager.Soak -- "${args[@]}" >"$logs/$fault.log" 2>&1 || status=$?
  failing=$(grep '^FAIL' "$logs/$fault.log" | sed -E 's/^FAIL +//; s/  +.*//' | paste -sd ';' - || true)
  if [ "$fault" = none ]; then
    verdict=$([ "$status" -eq 0 ] && echo "as expected" || echo "UNEXPECTED")
  else
    verdict=$([ "$status" -ne 0 ] && grep -q "^FAIL.*${guarded_by[$fault]}" "$logs/$fault.log" && echo "as expected" || echo "UNEXPECTED")
  fi
  [ "$verdict" = "as expected" ] || problems=$((problems + 1))
  echo "${fault}: exit ${status}, failing checks: ${failing:-none} (${verdict})"
done

[ "$problems" -eq 0 ]
