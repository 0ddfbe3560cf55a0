#!/usr/bin/env bash
# `make test`: installs what is missing, starts what the tests need, runs every suite, stops
# what it started, prints a summary. A failing suite does not stop the others.
set -uo pipefail
cd "$(dirname "$0")/.."
export IOTPIPE_ROOT="$PWD"
STACK="node local/dist/stack-cli.js"
CLUSTER="node local/dist/cluster/cli.js"
results=()
failed=0
started_stack=

# Each suite's output is kept under .state/test-logs; a failing suite's failing tests and first
# error lines are repeated under the summary, so the tail of a CI log names what broke.
log_dir=.state/test-logs
mkdir -p "$log_dir"
rm -f "$log_dir"/*.log
failures=()

suite() { # name, command...
  local name=$1; shift
  local t0=$SECONDS
  echo "=== suite: $name"
  if "$@" 2>&1 | tee "$log_dir/$name.log"; then
    results+=("ok    $name ($((SECONDS - t0)) s)")
  else
    results+=("FAIL  $name ($((SECONDS - t0)) s)")
    failed=$((failed + 1))
    failures+=("--- $name (full output: $log_dir/$name.log)")
    local detail
    detail=$(sed 's/\x1b\[[0-9;]*m//g' "$log_dir/$name.log" |
      grep -E '(^ *(FAIL|×|✗) )|AssertionError|Error:|error TS|^ *[0-9]+:[0-9]+ +error' | awk '!seen[$0]++' | head -n 25)
    failures+=("${detail:-(no failure line recognised; see the log)}")
  fi
}

started_cluster=
has_target() { grep -q "^$1:" mk/*.mk 2>/dev/null; }

started_node=
cleanup() {
  if [ -n "$started_node" ]; then $CLUSTER down --node >/dev/null 2>&1 || true; fi
  if [ -n "$started_cluster" ]; then $CLUSTER down >/dev/null 2>&1 || true; fi
  if [ -n "$started_stack" ] && [ -f local/dist/stack-cli.js ]; then $STACK down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

t_all=$SECONDS
make --no-print-directory build || { echo "build failed: nothing was tested"; exit 1; }

suite typecheck npx tsc -p tsconfig.typecheck.json
suite lint npx eslint . --max-warnings 0
suite format npx prettier --check . --log-level warn
suite typescript-unit npx vitest run --project unit
has_target test-firmware && suite firmware-c make --no-print-directory test-firmware
has_target test-monitoring && suite monitoring-rules make --no-print-directory test-monitoring
# Container images with podman (cold: minutes; unchanged: seconds), then what they must not hold.
suite images make --no-print-directory images
suite images-check npx vitest run --project images

if $STACK status >/dev/null 2>&1; then
  echo "the local stack was already running: using it, and leaving it running"
else
  started_stack=1
  suite stack-up $STACK up
fi
suite integration npx vitest run --project integration
suite end-to-end npx vitest run --project e2e
has_target bench-smoke && suite bench-smoke make --no-print-directory bench-smoke
# One control plane serves the Kubernetes suites; started here unless one is running.
if $CLUSTER status >/dev/null 2>&1; then
  echo "the local control plane was already running: using it, and leaving it running"
else
  started_cluster=1
  suite cluster-up $CLUSTER up
fi
has_target test-cluster && suite control-plane make --no-print-directory test-cluster
has_target test-manifests && suite manifests make --no-print-directory test-manifests
has_target test-operator && suite operator make --no-print-directory test-operator
# Chaos last while both the stack and the control plane are up: it breaks and restores them.
has_target chaos && suite chaos make --no-print-directory chaos
if [ -n "$started_cluster" ]; then
  suite cluster-down $CLUSTER down
  started_cluster=
fi
# The single-node cluster (`cluster up --node`): the node suite brings it up and runs the platform
# on it; then `cluster down --node` must leave the machine as it found it.
if $CLUSTER status --node >/dev/null 2>&1; then
  echo "the single-node cluster was already running: using it, and leaving it running"
  suite node npx vitest run --project node
else
  started_node=1
  suite node npx vitest run --project node
  suite node-down npx vitest run --project node-teardown
  started_node=
fi
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
if [ "$failed" -gt 0 ]; then
  echo
  echo "=== what failed"
  printf '%s\n' "${failures[@]}"
fi
echo "suites: $((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
