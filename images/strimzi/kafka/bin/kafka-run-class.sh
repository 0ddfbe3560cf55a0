#!/usr/bin/env bash
# Runs a Java main class of Kafka with every jar of $KAFKA_HOME/libs on the classpath, taking its
# JVM options from the environment variables Kafka's own launcher reads (Strimzi's kafka_run.sh
# sets them): KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_GC_LOG_OPTS, KAFKA_JMX_OPTS,
# KAFKA_LOG4J_OPTS, KAFKA_OPTS, LOG_DIR.
#
# The project's own launcher: the Kafka release tarball, whose bin/ scripts Strimzi's image
# copies, is not reachable from where these images are built; its jars come from Maven Central.
#   kafka-run-class.sh <main class> [args...]
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 <main class> [args...]" >&2
  exit 1
fi
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
log_dir="${LOG_DIR:-$home/logs}"
# Kafka's defaults for a tool; kafka-server-start.sh sets the broker's heap before calling this.
heap="${KAFKA_HEAP_OPTS:--Xmx256M}"
performance="${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}"
jmx="${KAFKA_JMX_OPTS:--Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.authenticate=false -Dcom.sun.management.jmxremote.ssl=false}"
if [ -n "${JMX_PORT:-}" ]; then
  jmx="$jmx -Dcom.sun.management.jmxremote.port=$JMX_PORT"
  [ -z "${RMI_PORT:-}" ] || jmx="$jmx -Dcom.sun.management.jmxremote.rmi.port=$RMI_PORT"
fi
# The options are lists of words: split them the way a shell would, on purpose.
# shellcheck disable=SC2086
exec "$java" $heap $performance ${KAFKA_GC_LOG_OPTS:-} $jmx ${KAFKA_LOG4J_OPTS:-} \
  "-Dkafka.logs.dir=$log_dir" -cp "$home/libs/*" ${KAFKA_OPTS:-} "$@"
