#!/usr/bin/env bash
# `make demo`: the main job, end to end on the local stack, as far as it is built.
set -euo pipefail
cd "$(dirname "$0")/.."
IOTPIPE="node workloads/dist/cli.js"
echo "== starting the local stack (first run downloads Kafka and Apicurio from Maven Central)"
$IOTPIPE stack up
echo
echo "== a RuuviTag advertisement (format 5), decoded as the adapter will"
$IOTPIPE decode 0201061BFF99040512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F
echo
echo "== the stack's health"
$IOTPIPE stack status
cat <<TXT

The stack keeps running: Prometheus http://127.0.0.1:9090, Alertmanager http://127.0.0.1:9093,
mail received http://127.0.0.1:8025/api/messages, registry http://127.0.0.1:8081/apis/ccompat/v7.
Stop it with: make stack-down
TXT
