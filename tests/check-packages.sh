#!/usr/bin/env bash
# Packs every package into a local folder feed under a version of its own (so no cached copy can stand in), checks what a
# NuGet user gets from each (its own README without relative links, its own tags, XML docs, a .snupkg whose PDB embeds
# every source under a deterministic path; package validation runs in pack), then builds and runs tests/PackageConsumer
# against the packages, not project references. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

feed=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$feed" "$work"' EXIT
version="0.1.0-ci.$(date -u +%Y%m%d%H%M%S).$$"
packages=(EventManager EventManager.Redis EventManager.Sockets EventManager.AspNetCore EventManager.Client)
failures=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}

for package in "${packages[@]}"; do
  dotnet pack "src/$package/$package.csproj" -c Release -o "$feed" -p:Version="$version" --nologo -v q >"$work/pack-$package.log" 2>&1 ||
    { cat "$work/pack-$package.log"; fail "$package: dotnet pack"; continue; }
done

declare -A tags_seen
for package in "${packages[@]}"; do
  nupkg="$feed/$package.$version.nupkg"
  snupkg="$feed/$package.$version.snupkg"
  [[ -f "$nupkg" ]] || { fail "$package: no .nupkg"; continue; }
  [[ -f "$snupkg" ]] || fail "$package: no .snupkg"
  nuspec=$(unzip -p "$nupkg" "$package.nuspec") || { fail "$package: no nuspec"; continue; }
  # Listed once into a variable: 'unzip -l | grep -q' under pipefail fails when grep stops reading early.
  listing=$(unzip -l "$nupkg")
  grep -q '<readme>README.md</readme>' <<<"$nuspec" || fail "$package: the nuspec names no README"
  readme=$(unzip -p "$nupkg" README.md 2>/dev/null) || { fail "$package: no README.md in the package"; readme=""; }
  grep -q "^# $package\$" <<<"$readme" || fail "$package: the README is not the package's own"
  if grep -Pq '\]\((?!https?://)' <<<"$readme"; then fail "$package: the README has a relative link"; fi
  grep -q "lib/net10.0/$package.xml" <<<"$listing" || fail "$package: no XML documentation"
  tags=$(grep -oP '(?<=<tags>)[^<]*' <<<"$nuspec" || true)
  [[ -n "$tags" ]] || fail "$package: no tags"
  [[ -z "${tags_seen[$tags]:-}" ]] || fail "$package: the same tags as ${tags_seen[$tags]}"
  tags_seen[$tags]=$package
  if [[ -f "$snupkg" ]]; then
    if unzip -p "$snupkg" "lib/net10.0/$package.pdb" >"$work/$package.pdb"; then
      dotnet run tests/PackageConsumer/tools/check-pdb.cs -- "$work/$package.pdb" || fail "$package: symbols"
    else
      fail "$package: no PDB in the symbols package"
    fi
  fi
done

consumer_log="$work/consumer.log"
if dotnet build tests/PackageConsumer -c Release -p:EventManagerVersion="$version" -p:RestoreAdditionalProjectSources="$feed" --nologo -v q >"$consumer_log" 2>&1; then
  dotnet run --no-build -c Release --project tests/PackageConsumer || fail "the package consumer app"
  grep -q "$feed" tests/PackageConsumer/obj/project.assets.json || fail "the consumer did not restore from the local feed"
else
  cat "$consumer_log"
  fail "the package consumer app does not build against the packages"
fi

echo "packages: ${#packages[@]} packed as $version, $failures problems"
[[ $failures -eq 0 ]]
