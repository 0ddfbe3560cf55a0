#!/usr/bin/env bash
# Runs the `cluster` vitest project against the local control plane. Reuses a running one;
# otherwise starts it and stops it again afterwards, whatever the tests did.
set -euo pipefail
cd "$(dirname "$0")/../.."
cli=(node local/dist/cluster/cli.js)
started=0
if ! "${cli[@]}" status >/dev/null 2>&1; then
  "${cli[@]}" up
  started=1
fi
stop() { if [ "$started" = 1 ]; then "${cli[@]}" down; fi; }
trap stop EXIT
npx vitest run --project cluster "$@"
