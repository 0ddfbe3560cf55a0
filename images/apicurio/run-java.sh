#!/bin/sh
# Starts the Quarkus application in /deployments: JAVA_OPTS (default: listen on all addresses,
# Quarkus's JBoss log manager) then JAVA_OPTS_APPEND, as the upstream image's launcher reads them.
# Without -Xmx in them the JVM sizes its heap from the container's memory limit (MaxRAMPercentage).
set -eu
: "${JAVA_OPTS=-Dquarkus.http.host=0.0.0.0 -Djava.util.logging.manager=org.jboss.logmanager.LogManager}"
# shellcheck disable=SC2086  # both are lists of options
exec java $JAVA_OPTS ${JAVA_OPTS_APPEND:-} -jar /deployments/quarkus-run.jar "$@"
