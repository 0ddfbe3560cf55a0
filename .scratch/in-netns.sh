#!/usr/bin/env bash
# Runs one hold script inside a private network namespace (its own 127.0.0.1), under the stack lock,
# so this branch's stack never meets the default-port stack of the CI run in the root namespace.
set -u
NS=i18kafka
ip netns del $NS 2>/dev/null
ip netns add $NS
ip -n $NS link set lo up
ip netns exec $NS "$@"
echo "hold script rc=$?"
ip netns exec $NS env IOTPIPE_STATE_DIR=${IOTPIPE_STATE_DIR:-/work/wt/i18kafka/.state} node /work/wt/i18kafka/workloads/dist/cli.js stack down >/dev/null 2>&1
for pid in $(ip netns pids $NS); do kill -9 "$pid" 2>/dev/null; done
ip netns del $NS
echo "netns $NS removed $(date -u +%T)"
