#!/usr/bin/env bash
# Type-checks the gateway's ESP-IDF glue (firmware/esp32-gateway/main/*.c) against the real
# ESP-IDF v5.3.5 headers with the host gcc, for each configuration in CONFIGS below:
#   1. unpacks the vendored headers tarball (sha256 checked) into the cache;
#   2. installs esp-idf-kconfig (requirements.txt, hashes checked) and the ESP-IDF Component
#      Manager into the cache, and checks main/idf_component.yml with the latter;
#   3. generates sdkconfig.h from the project's sdkconfig.defaults (+ sdkconfig.defaults.<target>)
#      and ESP-IDF's Kconfig tree, as idf.py would; an unknown symbol in our defaults fails;
#   4. runs gcc -fsyntax-only on every glue file: ESP-IDF's include folders are -isystem, so
#      warnings inside ESP-IDF's own headers (written for a 32-bit target) are not reported,
#      while every warning in our files is an error.
# Nothing is compiled for the chip and nothing is linked: this proves the glue uses ESP-IDF's
# API as declared (names, fields, argument types, Kconfig symbols), not that it runs.
#
# Settings (environment):
#   IOTPIPE_VENDOR_DIR  folder holding esp-idf-v5.3.5-headers.tar.gz (default ../shared/vendor,
#                       relative to the repository root)
#   IOTPIPE_CACHE_DIR   cache for the unpacked headers and kconfgen (default ~/.cache/iotpipe)
# Usage: typecheck.sh [--plant-mistakes]
#   --plant-mistakes  the test of this test: checks two copies of the project, one with a struct
#                     field misspelt in the glue, one with a misspelt option in sdkconfig.defaults,
#                     and succeeds only if each is refused for its mistake.
set -euo pipefail
export LC_ALL=C # plain quotes in gcc's messages, which the planted-field check reads
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
project="$root/firmware/esp32-gateway"
out="$root/firmware/build-idf-typecheck"
cache="${IOTPIPE_CACHE_DIR:-$HOME/.cache/iotpipe}"
vendor="${IOTPIPE_VENDOR_DIR:-$root/../shared/vendor}"

IDF_VERSION=5.3.5
IDF_TARBALL=esp-idf-v$IDF_VERSION-headers.tar.gz
IDF_TARBALL_SHA256=c36caa6b8e09a08977783ccfb0fb2a5036703e7f10b0151e831271e97ecf50f4
KCONFIG_VERSION=2.5.4 # the one pin in requirements.txt; named here for the cache folder
# ESP-IDF 5.3's own choice is idf-component-manager 2.x; its dependencies come as pip resolves them.
COMPONENT_MANAGER_VERSION=2.2.2

# name:target:expectation, one per configuration checked. esp32 is the classic chip (BLE 4.2,
# legacy scan); esp32c3 gets sdkconfig.defaults.esp32c3 (extended advertising, the E1 path).
# The expectation (+SYMBOL set, -SYMBOL unset in the generated sdkconfig.h) proves each
# configuration takes the code path it is here for.
CONFIGS=(esp32:esp32:-CONFIG_BT_NIMBLE_EXT_ADV esp32c3-ext-adv:esp32c3:+CONFIG_BT_NIMBLE_EXT_ADV)

fail() { echo "idf-typecheck: $*" >&2; exit 1; }

plant=
case "${1:-}" in
  --plant-mistakes) plant=1 ;;
  '') ;;
  *) fail "unknown argument $1 (usage: typecheck.sh [--plant-mistakes])" ;;
esac

command -v gcc >/dev/null || fail "gcc is missing (Debian: gcc)"
command -v python3 >/dev/null || fail "python3 is missing"

# 1. ESP-IDF headers, unpacked once per tarball checksum.
tarball="$vendor/$IDF_TARBALL"
[ -f "$tarball" ] || fail "$tarball not found: set IOTPIPE_VENDOR_DIR to the folder holding $IDF_TARBALL (README.md, IOTPIPE_VENDOR_DIR; upstream: github.com/espressif/esp-idf v$IDF_VERSION, headers, Kconfig and sdkconfig.rename files only)"
idf_dir="$cache/esp-idf-v$IDF_VERSION-headers-${IDF_TARBALL_SHA256:0:12}"
if [ ! -f "$idf_dir/.unpacked" ]; then
  actual=$(sha256sum "$tarball" | cut -d' ' -f1)
  [ "$actual" = "$IDF_TARBALL_SHA256" ] || fail "$tarball has sha256 $actual, expected $IDF_TARBALL_SHA256"
  echo "unpacking $IDF_TARBALL into $idf_dir"
  rm -rf "$idf_dir.tmp" && mkdir -p "$idf_dir.tmp"
  tar -xzf "$tarball" -C "$idf_dir.tmp" --strip-components=1
  touch "$idf_dir.tmp/.unpacked"
  rm -rf "$idf_dir" && mv "$idf_dir.tmp" "$idf_dir"
fi

# 2. Python tools from PyPI, each installed once per version into a folder of its own.
pip_into() { # dir what pip-arguments...
  local dir=$1 what=$2
  shift 2
  [ -f "$dir/.installed" ] && return 0
  echo "installing $what into $dir"
  rm -rf "$dir.tmp"
  python3 -m pip install -q --disable-pip-version-check --no-warn-conflicts --root-user-action=ignore \
    --target "$dir.tmp" "$@"
  touch "$dir.tmp/.installed"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
}
# kconfgen (esp-idf-kconfig): no dependencies on Linux, so its hash pins all of it.
kconfig_dir="$cache/esp-idf-kconfig-$KCONFIG_VERSION"
pip_into "$kconfig_dir" "esp-idf-kconfig $KCONFIG_VERSION" --no-deps --require-hashes -r "$here/requirements.txt"
# The component manager, for main/idf_component.yml (the ESP-IDF range the gateway states).
manager_dir="$cache/idf-component-manager-$COMPONENT_MANAGER_VERSION"
pip_into "$manager_dir" "idf-component-manager $COMPONENT_MANAGER_VERSION" "idf-component-manager==$COMPONENT_MANAGER_VERSION"
check_manifest() { # project
  PYTHONPATH="$manager_dir" python3 "$here/check_manifest.py" "$1/main/idf_component.yml" "$1/main/gw.h" "$IDF_VERSION"
}

# 3. sdkconfig.h for one configuration, as ESP-IDF's build (tools/cmake/kconfig.cmake) makes it:
# every component's Kconfig and Kconfig.projbuild, ours included, sourced from two generated
# files whose paths reach the root Kconfig through the environment.
generate_sdkconfig() { # dir target project
  local dir=$1 target=$2 project=$3 c
  mkdir -p "$dir"
  : >"$dir/kconfigs.in"
  : >"$dir/kconfigs_projbuild.in"
  for c in "$idf_dir"/components/*/Kconfig "$idf_dir/components/mqtt/esp-mqtt/Kconfig"; do
    echo "source \"$c\"" >>"$dir/kconfigs.in"
  done
  for c in "$idf_dir"/components/*/Kconfig.projbuild "$project"/main/Kconfig.projbuild; do
    echo "source \"$c\"" >>"$dir/kconfigs_projbuild.in"
  done
  local renames
  renames=$(find "$idf_dir/components" -maxdepth 2 \( -name sdkconfig.rename -o -name "sdkconfig.rename.$target" \) | sort | paste -sd ';')
  cat >"$dir/config.env" <<EOF
{
  "COMPONENT_KCONFIGS_SOURCE_FILE": "$dir/kconfigs.in",
  "COMPONENT_KCONFIGS_PROJBUILD_SOURCE_FILE": "$dir/kconfigs_projbuild.in",
  "COMPONENT_SDKCONFIG_RENAMES": "$renames",
  "IDF_TARGET": "$target",
  "IDF_TOOLCHAIN": "gcc",
  "IDF_ENV_FPGA": "",
  "IDF_PATH": "$idf_dir",
  "IDF_VERSION": "$IDF_VERSION",
  "IDF_INIT_VERSION": "$IDF_VERSION"
}
EOF
  local defaults=(--defaults "$project/sdkconfig.defaults")
  [ -f "$project/sdkconfig.defaults.$target" ] && defaults+=(--defaults "$project/sdkconfig.defaults.$target")
  rm -f "$dir/sdkconfig"
  (cd "$dir" && PYTHONPATH="$kconfig_dir" python3 -m kconfgen --list-separator=semicolon \
    --kconfig "$idf_dir/Kconfig" --sdkconfig-rename "$idf_dir/sdkconfig.rename" \
    --config "$dir/sdkconfig" "${defaults[@]}" --env-file "$dir/config.env" \
    --output header "$dir/sdkconfig.h" --output config "$dir/sdkconfig") >"$dir/kconfgen.log" 2>&1 ||
    { cat "$dir/kconfgen.log" >&2; fail "kconfgen failed for $target"; }
  # kconfgen only warns about a symbol it does not know; in our defaults that is a mistake.
  if grep -i 'warning' "$dir/kconfgen.log" >&2; then
    fail "sdkconfig.defaults for $target: the warnings above (a misspelt or removed option?)"
  fi
}

# 4. The include folders the glue's headers need, for one target.
include_flags() { # sdkconfig_dir target arch
  local dir=$1 target=$2 arch=$3 c=$idf_dir/components
  local -a sys=(
    "$dir"
    "$c/newlib/platform_include"
    "$c/esp_common/include" "$c/esp_system/include" "$c/esp_rom/include" "$c/esp_rom/$target/include"
    "$c/esp_hw_support/include" "$c/esp_hw_support/include/soc" "$c/esp_hw_support/port/$target/include"
    "$c/soc/include" "$c/soc/$target/include" "$c/hal/include" "$c/hal/$target/include" "$c/hal/platform_port/include"
    "$c/log/include" "$c/heap/include"
    "$c/freertos/config/include" "$c/freertos/config/include/freertos" "$c/freertos/config/$arch/include"
    "$c/freertos/FreeRTOS-Kernel/include" "$c/freertos/FreeRTOS-Kernel/portable/$arch/include"
    "$c/freertos/FreeRTOS-Kernel/portable/$arch/include/freertos"
    "$c/freertos/esp_additions/include" "$c/freertos/esp_additions/include/freertos"
    "$c/esp_event/include" "$c/esp_timer/include" "$c/nvs_flash/include" "$c/esp_partition/include"
    "$c/esp_wifi/include" "$c/esp_wifi/include/local" "$c/esp_wifi/wifi_apps/include"
    "$c/esp_netif/include" "$c/lwip/include" "$c/lwip/port/include" "$c/lwip/port/freertos/include"
    "$c/lwip/port/esp32xx/include" "$c/lwip/lwip/src/include"
    "$c/mqtt/esp-mqtt/include" "$c/esp-tls" "$c/esp-tls/esp-tls-crypto" "$c/tcp_transport/include"
    "$c/esp_phy/include" "$c/esp_coex/include" "$c/bt/include/$target/include"
    "$c/bt/host/nimble/nimble/nimble/include" "$c/bt/host/nimble/nimble/nimble/host/include"
    "$c/bt/host/nimble/nimble/nimble/host/util/include" "$c/bt/host/nimble/nimble/nimble/transport/include"
    "$c/bt/host/nimble/nimble/porting/nimble/include"
    "$c/bt/host/nimble/nimble/porting/npl/freertos/include" "$c/bt/host/nimble/port/include"
    "$c/bt/host/nimble/esp-hci/include" "$c/bt/common/osi/include" "$c/bt/porting/include"
    "$c/$arch/include" "$c/$arch/$target/include"
  )
  local d
  for d in "${sys[@]}"; do [ -d "$d" ] && printf -- '-isystem\n%s\n' "$d"; done
  return 0
}

# The partition table against the generated configuration: inside the flash, after the table,
# no overlaps, apps on 64 KB boundaries, and the two slots an over-the-air update needs.
check_partitions() { # sdkconfig_dir project
  local h=$1/sdkconfig.h csv=$2/partitions.csv flash table
  flash=$(sed -n 's/^#define CONFIG_ESPTOOLPY_FLASHSIZE "\([0-9]*\)MB"$/\1/p' "$h")
  table=$(sed -n 's/^#define CONFIG_PARTITION_TABLE_OFFSET \(0x[0-9a-fA-F]*\)$/\1/p' "$h")
  [ -n "$flash" ] && [ -n "$table" ] || fail "no flash size or partition table offset in $h"
  grep -q '^#define CONFIG_PARTITION_TABLE_CUSTOM_FILENAME "partitions.csv"$' "$h" || fail "the custom partition table is not selected"
  awk -F',' -v flash=$((flash * 1024 * 1024)) -v table_end=$((table + 0x1000)) '
    function num(s,   v, i) { gsub(/ /, "", s); if (s !~ /^0[xX]/) return s + 0
      v = 0; for (i = 3; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
      return v }
    /^[ \t]*#/ || NF < 5 { next }
    { name = $1; gsub(/ /, "", name); type = $2; gsub(/ /, "", type); sub_ = $3; gsub(/ /, "", sub_)
      off = num($4); size = num($5)
      if (off < end) { print name " overlaps the previous partition or the table"; bad = 1 }
      if (type == "app" && off % 65536) { print name " is not on a 64 KB boundary"; bad = 1 }
      end = off + size; seen[sub_] = 1 }
    BEGIN { end = table_end }
    END {
      if (end > flash) { printf "the partitions end at 0x%x, past the %d MB flash\n", end, flash / 1048576; bad = 1 }
      if (!seen["ota"] || !seen["ota_0"] || !seen["ota_1"]) { print "no otadata + ota_0 + ota_1 for over-the-air updates"; bad = 1 }
      exit bad }' "$csv" || fail "$csv does not fit the configuration (above)"
}

check_config() { # name target project
  local name=$1 target=$2 project=$3 dir="$out/$1" arch defines
  case "$target" in
    esp32 | esp32s3) arch=xtensa defines=(-D__XTENSA__=1) ;;
    esp32c3 | esp32c6) arch=riscv defines=(-D__riscv=1 -D__riscv_xlen=32) ;;
    *) fail "no type-check flags for target $target" ;;
  esac
  generate_sdkconfig "$dir" "$target" "$project"
  check_partitions "$dir" "$project"
  mapfile -t incs < <(include_flags "$dir" "$target" "$arch")
  local f rc=0
  for f in "$project"/main/*.c; do
    gcc -std=gnu17 -fsyntax-only -Wall -Wextra -Wshadow -Werror -fdiagnostics-color=never \
      -DESP_PLATFORM -DIDF_VER="\"v$IDF_VERSION\"" "${defines[@]}" \
      -I "$project/main" -I "$project/components/ruuvi_core/include" "${incs[@]}" -isystem "$here/stand-ins" \
      "$f" || rc=1
  done
  return $rc
}

if [ -n "$plant" ]; then
  rm -rf "$out"/planted*
  planted() { # name: a fresh copy of the project to plant a mistake in
    local copy="$out/$1-project"
    mkdir -p "$copy/components"
    cp -r "$project/main" "$project"/sdkconfig.defaults* "$project/partitions.csv" "$copy/"
    cp -r "$project/components/ruuvi_core" "$copy/components/"
    echo "$copy"
  }
  expect_refusal() { # name target project message
    if (check_config "$1" "$2" "$3") >"$out/$1.log" 2>&1; then
      fail "$1: the planted mistake passed the type-check: the check cannot fail"
    fi
    grep -qF "$4" "$out/$1.log" || { cat "$out/$1.log" >&2; fail "$1 failed, but not for the planted mistake ($4)"; }
    echo "ok: $1 refused: $4"
  }
  # esp_mqtt_client_config_t's outbox has 'limit', not 'limit_bytes'
  p=$(planted planted-field)
  grep -q 'cfg.outbox.limit = ' "$p/main/gw_net.c" || fail "the line to plant the field in is gone from gw_net.c: update --plant-mistakes"
  sed -i 's/cfg\.outbox\.limit = /cfg.outbox.limit_bytes = /' "$p/main/gw_net.c"
  expect_refusal planted-field esp32 "$p" "has no member named 'limit_bytes'"
  # an option ESP-IDF does not have (the real one is CONFIG_BT_NIMBLE_EXT_ADV)
  p=$(planted planted-option)
  echo 'CONFIG_BT_NIMBLE_EXT_ADVERTISING=y' >>"$p/sdkconfig.defaults"
  expect_refusal planted-option esp32 "$p" "unknown kconfig symbol 'BT_NIMBLE_EXT_ADVERTISING'"
  # a manifest range that disagrees with gw.h's guards
  p=$(planted planted-range)
  sed -i 's/<6.0.0/<7.0.0/' "$p/main/idf_component.yml"
  if (check_manifest "$p") >"$out/planted-range.log" 2>&1; then
    fail "planted-range: a manifest admitting ESP-IDF 6 passed: the check cannot fail"
  fi
  grep -qF "ESP-IDF 6.0.0: idf_component.yml says True, gw.h says False" "$out/planted-range.log" ||
    { cat "$out/planted-range.log" >&2; fail "planted-range failed, but not for the planted range"; }
  echo "ok: planted-range refused: idf_component.yml admits ESP-IDF 6.0.0, gw.h does not"
  exit 0
fi

check_manifest "$project"
for entry in "${CONFIGS[@]}"; do
  IFS=: read -r name target expect <<<"$entry"
  check_config "$name" "$target" "$project"
  symbol=${expect:1}
  if grep -q "^#define $symbol 1\$" "$out/$name/sdkconfig.h"; then set=+; else set=-; fi
  [ "$set" = "${expect:0:1}" ] || fail "$name: expected $symbol ${expect:0:1} (+ set, - unset) in the generated sdkconfig.h"
  echo "ok: ESP-IDF glue type-checks for $name (target $target, $expect, ESP-IDF v$IDF_VERSION headers)"
done
