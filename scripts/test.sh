#!/usr/bin/env bash
# Every test: type-check, then the Jest suites (unit, integration against real servers,
# generated-artifact checks), then the suites that compile, install and spawn at full CPU (every
# package built, packed and installed outside the checkout; the bulwark CLI; every accepted
# declaration through every generator; the service image built and run with podman): apart, so
# the timing-sensitive fault suite does not share the machine with them.
# Installs missing Debian packages first when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== node $(node --version) ($(command -v node))"
bash scripts/setup-test-deps.sh
echo "== typecheck"
npx tsc --noEmit -p tsconfig.json
if [ $# -gt 0 ]; then
  echo "== jest $*"
  exec npx jest --ci "$@"
fi
mkdir -p .tmp
rm -f .tmp/jest-results.json .tmp/jest-packages.json
rc=0
echo "== jest"
HEAVY=('/test/packages/' '/test/cli/' '/test/declaration/' '/test/image/')
npx jest --ci --json --outputFile=.tmp/jest-results.json --testPathIgnorePatterns "${HEAVY[@]}" || rc=$?
echo "== jest: packages, CLI, accepted declarations, the service image"
npx jest --ci --json --outputFile=.tmp/jest-packages.json "${HEAVY[@]}" || rc=$?
node -e '
const runs = [".tmp/jest-results.json", ".tmp/jest-packages.json"].map((f) => { try { return require("./" + f); } catch { return undefined; } }).filter(Boolean);
const sum = (k) => runs.reduce((n, r) => n + r[k], 0);
const skipped = sum("numPendingTests") + sum("numTodoTests");
console.log(`${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $rc
