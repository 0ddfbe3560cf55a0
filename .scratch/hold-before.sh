#!/usr/bin/env bash
# Hold: the bench-smoke command on main's code (the CI checkout, unsecured Kafka), for the before figures.
set -u
cd /work/citest
export PATH=$HOME/.cache/iotpipe/node-v24.19.0/bin:$PATH
export IOTPIPE_STATE_DIR=/work/wt/i18kafka/.state-before
T0=$SECONDS
echo "== before hold start $(date -u +%T) $(git log --oneline -1)"
node workloads/dist/cli.js stack up; echo "stack up rc=$? ($((SECONDS-T0)) s)"
node workloads/dist/cli.js bench --rates 1000 --step-sec 3 --ceiling-rows 2000 --out /work/wt/i18kafka/.scratch/bench-before 2>&1 | tail -25
echo "bench done ($((SECONDS-T0)) s)"
node workloads/dist/cli.js stack down; echo "down rc=$? ($((SECONDS-T0)) s) $(date -u +%T)"
