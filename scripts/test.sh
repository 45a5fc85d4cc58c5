#!/usr/bin/env bash
# Every test: type-check, then the Jest suites (unit, integration against real servers,
# generated-artifact checks). Installs missing Debian packages first when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== node $(node --version) ($(command -v node))"
bash scripts/setup-test-deps.sh
echo "== typecheck"
npx tsc --noEmit -p tsconfig.json
echo "== jest"
mkdir -p .tmp
set +e
npx jest --ci --json --outputFile=.tmp/jest-results.json "$@"
rc=$?
set -e
node -e '
const r = require("./.tmp/jest-results.json");
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $rc
