#!/usr/bin/env bash
# Starts a Kafka broker and/or KRaft controller: kafka-server-start.sh <server.properties>
# [--override key=value ...]. The broker's default heap is Kafka's (1 GiB) unless KAFKA_HEAP_OPTS
# says otherwise (Strimzi sets it from the container's memory). See kafka-run-class.sh for why
# this launcher is the project's own.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 <server.properties> [--override property=value]..." >&2
  exit 1
fi
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}"
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" kafka.Kafka "$@"
