#!/usr/bin/env bash
# Installs what the tests and benchmarks run against, when missing: Debian's redis-server (with redis-cli and
# redis-benchmark; the Redis tests start private servers from it on free loopback ports, the system-wide one is stopped),
# Node.js, the npm packages of the independent socket clients (ws, eventsource) from their committed lockfile, and
# Debian's chromium and chromium-driver for the dashboard's browser test, and unzip for the package checks.
set -euo pipefail

install_packages() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then
  echo "Installing redis-server (Debian package) for the Redis tests..."
  install_packages redis-server redis-tools
  (command -v systemctl >/dev/null 2>&1 && systemctl stop redis-server 2>/dev/null) || service redis-server stop 2>/dev/null || true
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "Installing Node.js (Debian packages) for the socket client tests..."
  install_packages nodejs npm
fi

node_clients="$(cd "$(dirname "$0")" && pwd)/EventManager.AspNetCore.Tests/node"
if [ ! -d "$node_clients/node_modules" ] || [ "$node_clients/package-lock.json" -nt "$node_clients/node_modules" ]; then
  (cd "$node_clients" && npm ci --no-audit --no-fund --loglevel=error)
fi

if ! command -v unzip >/dev/null 2>&1; then
  echo "Installing unzip for the package checks (tests/check-packages.sh)..."
  install_packages unzip
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "Installing chromium and chromium-driver (Debian packages) for the browser test..."
  install_packages chromium chromium-driver
fi
