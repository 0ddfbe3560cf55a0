#!/usr/bin/env bash
# Kafka's storage tool (format, info, random-uuid, ...), as Strimzi's kafka_run.sh calls it to
# format the KRaft log directories. See kafka-run-class.sh for why this launcher is the
# project's own.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
