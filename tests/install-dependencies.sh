#!/usr/bin/env bash
# Installs the real servers the tests and benchmarks run against, when missing: Debian's redis-server (with redis-cli and
# redis-benchmark). The Redis tests start private servers from it on free loopback ports; the system-wide one is stopped.
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
