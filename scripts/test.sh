#!/usr/bin/env bash
# Every test: type-check, then the Jest suites (unit, integration against real servers,
# generated-artifact checks), then the packages test (every package built, packed and installed
# into projects outside the checkout). The packages test runs on its own: it compiles and installs
# at full CPU, and the timing-sensitive fault suite should not share the machine with it.
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
npx jest --ci --json --outputFile=.tmp/jest-results.json --testPathIgnorePatterns '/test/packages/' || rc=$?
echo "== jest: packages"
npx jest --ci --json --outputFile=.tmp/jest-packages.json test/packages || rc=$?
node -e '
const runs = [".tmp/jest-results.json", ".tmp/jest-packages.json"].map((f) => { try { return require("./" + f); } catch { return undefined; } }).filter(Boolean);
const sum = (k) => runs.reduce((n, r) => n + r[k], 0);
const skipped = sum("numPendingTests") + sum("numTodoTests");
console.log(`${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $rc
