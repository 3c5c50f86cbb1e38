#!/usr/bin/env bash
# The whole test run, its own set-up included: system packages, npm dependencies, static checks,
# unit tests, the bundle, integration tests (real JupyterHub, real apps, real browser).
# Ends with the plain line "N passed, M failed" over all suites; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

setup_failed() { # a required part could not be set up: say which, and count it as a failure
  echo "set-up failed: $1 (see the lines above); no test can run without it" >&2
  echo "0 passed, 1 failed"
  exit 3
}
bash test/setup/install-system-deps.sh || setup_failed "Debian packages (JupyterHub, R, Shiny, Notebook, Chromium)"
# The container tests need a Docker engine: installed and started here, or the run stops (never skips).
bash test/setup/docker-engine.sh || setup_failed "the Docker engine"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund || setup_failed "npm dependencies"
fi

mkdir -p test/artifacts
passed=0
failed=0
failures=()

check() { # a static check counts as one test
  local name=$1
  shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

suite() { # a vitest project; its test counts come from the JSON report
  local project=$1
  local report="test/artifacts/vitest-$project.json"
  rm -f "$report"
  echo "== vitest $project"
  npx vitest run --project "$project" --reporter=default --reporter=json --outputFile.json="$report"
  local status=$?
  local counts
  counts=$(node -e '
    const r = require(require("node:path").resolve(process.argv[1]));
    const other = r.numTotalTests - r.numPassedTests - r.numFailedTests - r.numPendingTests - r.numTodoTests;
    // Skipped (pending/todo) tests count as failed: nothing here may skip.
    console.log(r.numPassedTests, r.numFailedTests + other + r.numPendingTests + r.numTodoTests);
  ' "$report" 2>/dev/null) || counts=""
  if [[ ! "$counts" =~ ^[0-9]+\ [0-9]+$ ]]; then
    failed=$((failed + 1))
    failures+=("vitest $project: no readable report (exit $status)")
    return
  fi
  local p=${counts% *} f=${counts#* }
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$f" -gt 0 ]; then failures+=("vitest $project: $f failed"); fi
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    failed=$((failed + 1))
    failures+=("vitest $project exited $status")
  fi
}

check "typecheck" npx tsc -p tsconfig.json
check "lint" npx eslint --max-warnings 0 .
check "format" npx prettier --check --log-level warn .
suite unit
check "build" npm run --silent build
suite integration

echo
if [ ${#failures[@]} -gt 0 ]; then
  echo "Failures:"
  printf '  - %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
