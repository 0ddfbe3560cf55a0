#!/usr/bin/env bash
# Builds TimescaleDB from its release source against Debian's PostgreSQL and installs it there.
#
#   install.sh [install]   install when missing (build when the cache has no build): `make deps`
#   install.sh build       only build into the cache (for image builders; needs no root)
#   install.sh source      print the path of the checked release source (fetched when needed):
#                          what the image recipe (images/timescaledb) copies into its context
#
# Layers, each skipped when already done:
#   1. installed: the library and SQL files of this version are in PostgreSQL's directories;
#   2. built: $cache/timescaledb-<version>-pg<PostgreSQL version>-<patches digest>/root holds
#      `make install DESTDIR=` output, copied into place in a second;
#   3. source: IOTPIPE_VENDOR_DIR/timescaledb-<version>.tar.gz (default ../shared/vendor beside the
#      checkout), else the upstream release from GitHub into $cache/downloads; sha256 checked.
# The release source is built with the patches in patches/ (each says why). A build needs a
# PostgreSQL at least as new as the headers it saw (a build for 15.20 calls functions 15.18
# lacks), so the cache key names the minor version; an installed build counts as installed while
# its version and patches are ours (the marker beside the extension says), also after Debian
# moves PostgreSQL to a newer minor. An installation without the marker (another packager's) is
# left alone.
# Build: about 2.5 minutes of CPU on 2 cores. POSTGRES_FLAVOR=native skips all of it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
. "$here/versions.env"
action="${1:-install}"
cache="${IOTPIPE_CACHE_DIR:-$HOME/.cache/iotpipe}"
vendor="${IOTPIPE_VENDOR_DIR:-$here/../../../shared/vendor}"
version="$TIMESCALEDB_VERSION"
major="$TIMESCALEDB_PG_MAJOR"
pg_config="/usr/lib/postgresql/$major/bin/pg_config"

fail() {
  echo "iotpipe: $1 — fix: $2" >&2
  exit 2
}

case "$action" in install | build | source) ;; *) fail "unknown action '$action'" "use install, build or source" ;; esac

# The release source, checked: the archive's own sha256 (the vendor copy's), or, for an archive
# gzipped elsewhere (GitHub's), the sha256 of the tar inside it.
source_archive() {
  local vendored="$vendor/timescaledb-$version.tar.gz" download="$cache/downloads/timescaledb-$version.tar.gz"
  if [ -f "$vendored" ]; then
    [ "$(sha256sum "$vendored" | cut -d' ' -f1)" = "$TIMESCALEDB_SOURCE_SHA256" ] ||
      fail "$vendored does not have the sha256 in local/timescaledb/versions.env" "replace it with the $version release source"
    echo "$vendored"
    return
  fi
  if [ ! -f "$download" ]; then
    echo "fetching TimescaleDB $version source from $TIMESCALEDB_SOURCE_URL (no $vendored)" >&2
    mkdir -p "$cache/downloads"
    curl -fsSL --retry 2 --connect-timeout 20 -o "$download.part" "$TIMESCALEDB_SOURCE_URL" ||
      fail "cannot download $TIMESCALEDB_SOURCE_URL and there is no $vendored" \
        "put the release source there (or point IOTPIPE_VENDOR_DIR at a folder holding timescaledb-$version.tar.gz), or run plain PostgreSQL with POSTGRES_FLAVOR=native"
    mv "$download.part" "$download"
  fi
  if [ "$(sha256sum "$download" | cut -d' ' -f1)" != "$TIMESCALEDB_SOURCE_SHA256" ] &&
    [ "$(gzip -dc "$download" | sha256sum | cut -d' ' -f1)" != "$TIMESCALEDB_SOURCE_TAR_SHA256" ]; then
    rm -f "$download"
    fail "the downloaded $TIMESCALEDB_SOURCE_URL is not the $version release source (sha256 differs)" "retry; if it persists, the upstream archive changed"
  fi
  echo "$download"
}

if [ "$action" = source ]; then
  source_archive
  exit 0
fi
if [ "${POSTGRES_FLAVOR:-auto}" = native ]; then exit 0; fi

[ -x "$pg_config" ] || fail "$pg_config is missing" "run local/install-deps.sh (installs postgresql-server-dev-$major)"
pkglibdir="$("$pg_config" --pkglibdir)"
extdir="$("$pg_config" --sharedir)/extension"
pg_version="$("$pg_config" --version | awk '{print $2}')"
patches_digest="$(cat "$here"/patches/*.patch 2>/dev/null | sha256sum | cut -c1-12)"
build_key="$version-pg$pg_version-$patches_digest"
built="$cache/timescaledb-$build_key"
marker="$extdir/timescaledb--$version.iotpipe-build"

installed() {
  [ -f "$pkglibdir/timescaledb.so" ] && [ -f "$pkglibdir/timescaledb-$version.so" ] &&
    [ -f "$extdir/timescaledb--$version.sql" ] &&
    grep -q "^default_version = '$version'" "$extdir/timescaledb.control" 2>/dev/null &&
    { [ ! -f "$marker" ] || [ "$(sed 's/-pg[^-]*-/-/' "$marker")" = "$version-$patches_digest" ]; }
}
if [ "$action" = install ] && installed; then exit 0; fi

work=
trap '[ -z "$work" ] || rm -rf "$work"' EXIT
build() {
  local archive
  archive="$(source_archive)"
  mkdir -p "$cache"
  work="$(mktemp -d "$cache/timescaledb-build.XXXXXX")"
  echo "building TimescaleDB $version for PostgreSQL $major (about 2 minutes of CPU; once, cached in $built)" >&2
  tar -xzf "$archive" -C "$work"
  local src="$work/timescaledb-$version" log="$work/build.log" p
  for p in "$here"/patches/*.patch; do
    [ -f "$p" ] || continue
    patch -s -d "$src" -p1 <"$p" || fail "patch $p does not apply to TimescaleDB $version" "fix the patch"
  done
  # Tests off (the test directories stay: CMake adds them regardless); telemetry off by default
  # in the build as well as in the stack's configuration, so nothing ever reports home.
  if ! {
    cmake -S "$src" -B "$src/build" -DPG_CONFIG="$pg_config" -DCMAKE_BUILD_TYPE=Release \
      -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF -DSEND_TELEMETRY_DEFAULT=OFF &&
      make -C "$src/build" -j"$(nproc)" &&
      make -C "$src/build" install DESTDIR="$work/root"
  } >"$log" 2>&1; then
    cp "$log" "$cache/timescaledb-$version-build.log"
    fail "building TimescaleDB $version failed: $(grep -m1 -E 'error:|Error' "$log" || tail -1 "$log")" \
      "see $cache/timescaledb-$version-build.log"
  fi
  rm -rf "$built.tmp" && mkdir -p "$built.tmp"
  echo "$build_key" >"$work/root$marker"
  mv "$work/root" "$built.tmp/root"
  rm -rf "$built" && mv "$built.tmp" "$built"
}

[ -f "$built/root$pkglibdir/timescaledb-$version.so" ] || build
[ "$action" = build ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  fail "TimescaleDB $version is built but not installed into PostgreSQL $major" "sudo $0"
fi
echo "installing TimescaleDB $version into PostgreSQL $major ($pkglibdir, $extdir)" >&2
# Files only: the directories exist and keep their owners, modes and times.
tar -C "$built/root" -cf - . | tar -C / -xf - --no-overwrite-dir
installed || fail "TimescaleDB $version is still not complete in $pkglibdir and $extdir after copying $built" "remove $built and run make deps again"
