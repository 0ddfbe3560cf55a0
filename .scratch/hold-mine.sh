#!/usr/bin/env bash
# Hold: the secured stack from this branch (fresh state), the Kafka-touching integration suites,
# the security suite, bench-smoke and its figures, the pipeline stages via stack up --pipeline.
set -u
cd /work/wt/i18kafka
export PATH=$HOME/.cache/iotpipe/node-v24.19.0/bin:$PATH
export IOTPIPE_STATE_DIR=/work/wt/i18kafka/.state
T0=$SECONDS
echo "== hold start $(date -u +%T)"
rm -rf "$IOTPIPE_STATE_DIR"
node workloads/dist/cli.js stack up; echo "stack up rc=$? ($((SECONDS-T0)) s)"
node workloads/dist/cli.js stack status; echo "status rc=$?"
npx vitest run --project integration tests/integration/security-kafka.test.ts tests/integration/stack.test.ts \
  tests/integration/processor.test.ts tests/integration/sink.test.ts tests/integration/adapter.test.ts \
  tests/integration/adapter-outage.test.ts tests/integration/adapter-crash.test.ts tests/integration/simulator.test.ts \
  tests/integration/firmware-messages.test.ts tests/integration/alerting-queries.test.ts 2>&1 | tail -60
echo "integration done ($((SECONDS-T0)) s)"
node workloads/dist/cli.js bench --rates 1000 --step-sec 3 --ceiling-rows 2000 --out /work/wt/i18kafka/.scratch/bench-after 2>&1 | tail -25
echo "bench done ($((SECONDS-T0)) s)"
node workloads/dist/cli.js stack up --pipeline 2>&1 | tail -20; echo "pipeline rc=$?"
node workloads/dist/cli.js stack down; echo "down rc=$? ($((SECONDS-T0)) s) $(date -u +%T)"
