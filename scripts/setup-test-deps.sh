#!/usr/bin/env bash
# Makes sure the real programs the tests run are installed: redis-server, PostgreSQL
# (initdb/pg_ctl), prometheus/promtool, prometheus-alertmanager (alert delivery), podman with
# runc and debootstrap (the service image is built and run), openssl (throwaway certificate
# authorities for the TLS tests) and stress-ng (the loaded suite).
# Installs what is missing when run as root; otherwise prints the exact command to run and fails.
# Nothing is skipped: a test whose program is missing fails, naming its Debian package.
set -euo pipefail

# program → the Debian package that brings it
declare -A PACKAGE=(
  [redis-server]=redis-server
  [promtool]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [podman]=podman
  [runc]=runc
  [debootstrap]=debootstrap
  [stress-ng]=stress-ng
  [openssl]=openssl
)

have_initdb() { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
# debootstrap and runc live in /usr/sbin, which a non-root PATH may not hold.
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

missing_packages() {
  local out=()
  for program in "${!PACKAGE[@]}"; do have "$program" || out+=("${PACKAGE[$program]}"); done
  have_initdb || out+=(postgresql)
  printf '%s\n' "${out[@]}" | sort -u | sed '/^$/d'
}

mapfile -t missing < <(missing_packages)
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
# podman as measured to work here: with its recommended packages (buildah, fuse-overlayfs, catatonit, …).
plain=() containers=()
for p in "${missing[@]}"; do
  case "$p" in podman | runc | debootstrap) containers+=("$p") ;; *) plain+=("$p") ;; esac
done
if [ ${#plain[@]} -gt 0 ]; then apt-get install -y -qq --no-install-recommends "${plain[@]}" >/dev/null; fi
if [ ${#containers[@]} -gt 0 ]; then apt-get install -y -qq "${containers[@]}" >/dev/null; fi
# The packages start system-wide services on install; the tests run their own on ephemeral ports.
for svc in redis-server prometheus prometheus-node-exporter prometheus-alertmanager postgresql; do
  (command -v systemctl >/dev/null 2>&1 && systemctl stop "$svc") >/dev/null 2>&1 || true
  (command -v service >/dev/null 2>&1 && service "$svc" stop) >/dev/null 2>&1 || true
done

mapfile -t still < <(missing_packages)
if [ ${#still[@]} -gt 0 ]; then
  echo "Test dependencies still missing after install: ${still[*]}" >&2
  exit 1
fi
echo "Test dependencies installed."
