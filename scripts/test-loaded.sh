#!/usr/bin/env bash
# The whole suite on a busy machine: the same tests as `npm test`, beside stress-ng's CPU, I/O and
# memory stressors (load average well above the core count), as a shared CI machine can be. The
# stressors stop with the suite, on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-test-deps.sh
cores=$(nproc)
echo "== load: stress-ng --cpu $cores --io 1 --hdd 1 --vm 1 (beside the suite)"
# The hdd stressor's files go to a temp directory of their own, never the checkout.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-stress-XXXXXX")
stress-ng --cpu "$cores" --cpu-load 90 --io 1 --hdd 1 --hdd-bytes 256M --vm 1 --vm-bytes 512M --temp-path "$scratch" --timeout 3h --quiet &
load=$!
trap 'kill "$load" 2>/dev/null || true; wait "$load" 2>/dev/null || true; rm -rf "$scratch"' EXIT
bash scripts/test.sh "$@"
