#!/usr/bin/env bash
# Assembles the content of Strimzi's two images from its Maven build (maven-build.sh) and Maven
# Central, the way Strimzi's docker-images/ Makefiles lay it out, into the cache; the
# Containerfiles beside this script only copy it.
#
#   assemble.sh        assemble unless cached; prints the output directory
#
# Output: $cache/strimzi-<version>-images-<key>/
#   operator/       /opt/strimzi of the operator image: bin/ (the run scripts of the cluster,
#                   topic and user operators and kafka-init, launch_java.sh) and lib/
#   kafka/home/     /opt/kafka of the Kafka image: libs/ (the Kafka distribution's jars from Maven
#                   Central, Strimzi's kafka-agent, tracing-agent and third-party libs), Strimzi's
#                   scripts, bin/ (the project's launchers, images/strimzi/kafka/bin: the Kafka
#                   release tarball with Kafka's own is not reachable), plugins/
#   kafka/jmx-exporter/   /opt/prometheus-jmx-exporter (1.0.1: see source.env)
#   install/        Strimzi's install YAML of the cluster operator (packaging/install/cluster-operator)
#   kafka-version   the Kafka version of the Kafka image: kafka-versions.yaml's default
#
# Not in the Kafka image, because Maven Central does not serve them at the versions Strimzi
# names: Strimzi OAuth 0.18.0, server-metrics-reporter 0.4.0, kafka-quotas-plugin 0.4.0; nor
# Cruise Control (LinkedIn's repository) or the Kafka Exporter (GitHub). Nothing else is
# substituted. Cold: ~1 minute (Maven Central downloads, Strimzi's class-collision check); warm: a stat.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=source.env
. "$here/source.env"
cache="${IOTPIPE_CACHE_DIR:-$HOME/.cache/iotpipe}"

fail() {
  echo "iotpipe: $1 — fix: $2" >&2
  exit 2
}

src="$("$here/maven-build.sh")"
yq="$cache/yq-$YQ_VERSION/yq"
version="$(cat "$src/release.version")"
key="$( (echo "$src" && cat "$here/assemble.sh" "$here/kafka-libs/pom.xml" "$here"/kafka/bin/*) | sha256sum | cut -c1-12)"
out="$cache/strimzi-$version-images-$key"
if [ -f "$out/.complete" ]; then
  echo "$out"
  exit 0
fi
command -v mvn >/dev/null || fail "Maven (mvn) is missing" "make deps (installs Debian's maven)"

work="$(mktemp -d "$cache/strimzi-assemble.XXXXXX")"
trap 'rm -rf "$work"' EXIT
log="$work/maven.log"
binaries="$src/docker-images/artifacts/binaries"
kafka_version="$("$yq" eval '.[] | select(.default == true) | .version' "$src/kafka-versions.yaml")"
third_party="$("$yq" eval ".[] | select(.version == \"$kafka_version\") | .third-party-libs" "$src/kafka-versions.yaml")"
[ -n "$kafka_version" ] && [ -n "$third_party" ] ||
  fail "cannot read the default Kafka version and its third-party libs from Strimzi's kafka-versions.yaml" "update images/strimzi/assemble.sh"
[ "$kafka_version" = "$STRIMZI_KAFKA_VERSION" ] ||
  fail "Strimzi $version's default Kafka is $kafka_version, images/strimzi/source.env says $STRIMZI_KAFKA_VERSION" \
    "set STRIMZI_KAFKA_VERSION=$kafka_version there"
echo "assembling Strimzi $version's operator and Kafka $kafka_version images' content (log: $log)" >&2

# Strimzi's third-party libs for this Kafka, less the artifacts Maven Central does not serve
# (see the header), and without LinkedIn's repository (unreachable: Maven would try it for each).
unserved=(kafka-oauth-common kafka-oauth-server kafka-oauth-server-plain kafka-oauth-client
  kafka-oauth-keycloak-authorizer server-metrics-reporter kafka-quotas-plugin cruise-control-metrics-reporter)
third_party_pom="$work/thirdparty-pom.xml"
cp "$src/docker-images/artifacts/kafka-thirdparty-libs/$third_party/pom.xml" "$third_party_pom"
perl -0pi -e 's|\s*<repositories>.*?</repositories>||s' "$third_party_pom"
for artifact in "${unserved[@]}"; do
  perl -0pi -e "s|\\s*<dependency>\\s*<groupId>[^<]*</groupId>\\s*<artifactId>$artifact</artifactId>.*?</dependency>||s" "$third_party_pom"
  ! grep -q "<artifactId>$artifact</artifactId>" "$third_party_pom" ||
    fail "could not leave $artifact out of Strimzi's third-party libs" "update images/strimzi/assemble.sh for this Strimzi source"
done

stage="$work/out"
kafka_home="$stage/kafka/home"
mkdir -p "$kafka_home/libs" "$kafka_home/plugins" "$stage/kafka/jmx-exporter" "$stage/install"
{
  mvn -B dependency:copy-dependencies -f "$here/kafka-libs/pom.xml" -Dkafka.version="$kafka_version" \
    -DoutputDirectory="$kafka_home/libs"
  mvn -B dependency:copy-dependencies -f "$third_party_pom" -DoutputDirectory="$work/thirdparty"
  mvn -B dependency:copy -Dartifact="io.prometheus.jmx:jmx_prometheus_javaagent:$JMX_EXPORTER_VERSION" \
    -DoutputDirectory="$stage/kafka/jmx-exporter"
} >"$log" 2>&1 || {
  cp "$log" "$cache/strimzi-$version-assemble.log"
  fail "fetching the Kafka $kafka_version libs failed: $(grep -m1 -E '^\[ERROR\]' "$log" || tail -1 "$log")" \
    "see $cache/strimzi-$version-assemble.log"
}

# Strimzi's own check (docker-images/artifacts/build.sh with kafka-based/find-classpath-collision.sh,
# run on the directory rather than inside a built image): jars of the Kafka distribution that
# already hold different classes of one name are accepted, with the third-party ignore list; any
# other collision the third-party libs bring fails the build.
scripts="$src/docker-images/artifacts"
"$scripts/extract-jars.sh" "$kafka_home/libs" "$work/classes-kafka"
{
  "$scripts/find-colliding-classes.sh" "$work/classes-kafka" | awk '{print $1}' | sort -u
  cat "$scripts/kafka-thirdparty-libs/$third_party/ignorelist"
} | sed '/^$/d' >"$work/ignorelist"
cp -p "$work/thirdparty"/*.jar "$kafka_home/libs/"
"$scripts/extract-jars.sh" "$kafka_home/libs" "$work/classes-all"
collisions="$("$scripts/find-colliding-classes.sh" "$work/classes-all" | awk '{printf("%s\t%s\n",$1,$2)}' |
  grep -vFf "$work/ignorelist" || true)"
[ -z "$collisions" ] || fail "Strimzi's third-party libs collide with Kafka $kafka_version's: $(head -3 <<<"$collisions" | tr '\n\t' '; ')" \
  "exclude the duplicate dependency (Strimzi's find-classpath-collision.sh explains)"
rm -rf "$work/classes-kafka" "$work/classes-all"

unzip -qoj "$binaries/kafka-agent-$version-dist.zip" "lib/io.strimzi.kafka-agent-$version.jar" -d "$work"
unzip -qoj "$binaries/tracing-agent-$version-dist.zip" "lib/io.strimzi.tracing-agent-$version.jar" -d "$work"
mv "$work/io.strimzi.kafka-agent-$version.jar" "$kafka_home/libs/kafka-agent-$version.jar"
mv "$work/io.strimzi.tracing-agent-$version.jar" "$kafka_home/libs/tracing-agent-$version.jar"
cp -p "$src/docker-images/kafka-based/kafka/scripts/"* "$kafka_home/"
cp -rp "$here/kafka/bin" "$kafka_home/bin"

# The operator image: Strimzi's docker-images/operator/Makefile unpacks these four dist archives.
mkdir -p "$stage/operator/bin"
for dist in topic-operator user-operator kafka-init cluster-operator; do
  unzip -qo "$binaries/$dist-$version-dist.zip" -d "$stage/operator"
done
cp -p "$src/docker-images/operator/scripts/"* "$stage/operator/bin/"
cp -p "$src/packaging/install/cluster-operator/"*.yaml "$stage/install/"
echo "$kafka_version" >"$stage/kafka-version"
chmod -R a+rX,go-w "$stage"

rm -rf "$out" && mv "$stage" "$out"
touch "$out/.complete"
echo "$out"
