#!/usr/bin/env bash
# `make test`: installs what is missing, starts what the tests need, runs every suite, stops
# what it started, prints a summary. A failing suite does not stop the others.
set -uo pipefail
cd "$(dirname "$0")/.."
export IOTPIPE_ROOT="$PWD"
IOTPIPE="node workloads/dist/cli.js"
results=()
failed=0
started_stack=

suite() { # name, command...
  local name=$1; shift
  local t0=$SECONDS
  echo "=== suite: $name"
  if "$@"; then
    results+=("ok    $name ($((SECONDS - t0)) s)")
  else
    results+=("FAIL  $name ($((SECONDS - t0)) s)")
    failed=$((failed + 1))
  fi
}

cleanup() {
  if [ -n "$started_stack" ] && [ -f workloads/dist/cli.js ]; then $IOTPIPE stack down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

t_all=$SECONDS
make --no-print-directory build || { echo "build failed: nothing was tested"; exit 1; }

suite lint npx eslint . --max-warnings 0
suite format npx prettier --check . --log-level warn
suite typescript-unit npx vitest run --project unit
if grep -q '^test-firmware:' mk/*.mk 2>/dev/null; then suite firmware-c make --no-print-directory test-firmware; fi

if $IOTPIPE stack status >/dev/null 2>&1; then
  echo "the local stack was already running: using it, and leaving it running"
else
  started_stack=1
  suite stack-up $IOTPIPE stack up
fi
suite integration npx vitest run --project integration
if grep -q '^test-cluster:' mk/*.mk 2>/dev/null; then suite control-plane make --no-print-directory test-cluster; fi
if [ -n "$started_stack" ]; then
  suite stack-down npx vitest run --project teardown
  started_stack=
else
  results+=("note  stack-down not run: the stack was running before make test, so it is left up")
fi

echo
echo "=== summary ($((SECONDS - t_all)) s)"
printf '%s\n' "${results[@]}"
total=$(printf '%s\n' "${results[@]}" | grep -cE '^(ok|FAIL)')
echo "suites: $((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
