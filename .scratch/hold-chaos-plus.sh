#!/usr/bin/env bash
set -u
cd /work/wt/i18kafka
export PATH=$HOME/.cache/iotpipe/node-v24.19.0/bin:$PATH
export IOTPIPE_STATE_DIR=/work/wt/i18kafka/.state
T0=$SECONDS
echo "== chaos hold start $(date -u +%T)"
node workloads/dist/cli.js stack up >/dev/null; echo "stack up rc=$? ($((SECONDS-T0)) s)"
npx vitest run --project integration tests/integration/stack.test.ts 2>&1 | grep -E "Tests|✓|×|FAIL" | tail -20
npx vitest run --project chaos tests/chaos/1-kafka-broker.test.ts tests/chaos/2-two-brokers.test.ts tests/chaos/3-partition.test.ts 2>&1 | tail -40
echo "chaos done ($((SECONDS-T0)) s)"
node workloads/dist/cli.js stack down; echo "down rc=$? ($((SECONDS-T0)) s) $(date -u +%T)"
