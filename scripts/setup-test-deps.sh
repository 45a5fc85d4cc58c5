#!/usr/bin/env bash
# Makes sure the real servers the tests start are installed: redis-server, PostgreSQL
# (initdb/pg_ctl), prometheus/promtool and stress-ng (the loaded suite). Installs what is missing when run as root;
# otherwise prints the exact command to run and fails.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v stress-ng >/dev/null 2>&1 || missing+=(stress-ng)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing test dependencies: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing test dependencies: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packages start system-wide services on install; the tests run their own on ephemeral ports.
for svc in redis-server prometheus prometheus-node-exporter postgresql; do
  (command -v systemctl >/dev/null 2>&1 && systemctl stop "$svc") >/dev/null 2>&1 || true
  (command -v service >/dev/null 2>&1 && service "$svc" stop) >/dev/null 2>&1 || true
done
echo "Test dependencies installed."
