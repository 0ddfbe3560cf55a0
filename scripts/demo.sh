#!/usr/bin/env bash
# `make demo`: the main job end to end on the local stack — simulated sensors and virtual
# RuuviTags -> Mosquitto -> adapter -> Kafka -> sink -> PostgreSQL, with the processor raising
# alerts — then a summary from the database.
set -euo pipefail
cd "$(dirname "$0")/.."
IOTPIPE="node workloads/dist/cli.js"
STACK="node local/dist/stack-cli.js"
state="${IOTPIPE_STATE_DIR:-$PWD/.state}"
mkdir -p "$state/demo"
readings="${DEMO_READINGS:-30000}"
rate="${DEMO_RATE:-3000}"

echo "== 1. the local stack and the pipeline (first run downloads Kafka and Apicurio from Maven Central)"
$STACK up --pipeline

echo
echo "== 2. a RuuviTag advertisement (format 5), decoded as the adapter does"
$IOTPIPE decode 0201061BFF99040512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F | head -6

psql_count() {
  PGPASSWORD="${POSTGRES_PASSWORD:-iot_password}" psql -h 127.0.0.1 -p "${IOTPIPE_POSTGRES_PORT:-5432}" \
    -U "${POSTGRES_USER:-iot_user}" -d "${POSTGRES_DB:-iot_data}" -Atc "select count(*) from sensor_readings"
}
before=$(psql_count)

echo
echo "== 3. simulating $readings readings at $rate/s: 500 sensors, 20 RuuviTags heard by 2 gateways"
$IOTPIPE simulate --count "$readings" --rate "$rate" --devices 500 --ruuvi-tags 20 --gateways 2 \
  --duplicate-gateways 0.25 --start "$(($(date +%s) * 1000 - 3600000))" --manifest "$state/demo/manifest.json"
expected=$(node -e "console.log(require('$state/demo/manifest.json').total)")

echo
echo "== 4. waiting for the sink: $expected new readings expected in sensor_readings"
deadline=$((SECONDS + 300))
while :; do
  now=$(psql_count)
  stored=$((now - before))
  printf '\r   stored %d / %d' "$stored" "$expected"
  [ "$stored" -ge "$expected" ] && break
  if [ $SECONDS -gt $deadline ]; then echo; echo "the sink did not catch up in 5 minutes: make stack-logs" >&2; exit 1; fi
  sleep 1
done
echo
[ "$stored" -eq "$expected" ] && echo "   exactly the simulator's manifest: $stored readings, none missing, none twice" \
  || { echo "   MISMATCH: $stored stored, $expected sent" >&2; exit 1; }

echo
echo "== 5. the original README's example RuuviTag, as its Ruuvi Gateway sends it (6 hours of history)"
npx --no-install tsx scripts/readme-tag.ts

echo
echo "== 6. from the database"
$IOTPIPE query summary | head -15
echo
$IOTPIPE query anomalies | head -8

echo
echo "== 7. every query of the original README, on iot_data (rows each returned)"
npx --no-install tsx scripts/readme-queries.ts

echo
$STACK status
cat <<TXT

Everything keeps running. Look at:
  Prometheus    http://127.0.0.1:9090   (alerts: http://127.0.0.1:9090/alerts)
  Alertmanager  http://127.0.0.1:9093   mail it sent: http://127.0.0.1:8025/api/messages
  registry      http://127.0.0.1:8081/apis/ccompat/v7/subjects
  metrics       adapter :8002, sink :8003, processor :8001 (/metrics)
  database      psql postgres://iot_user:iot_password@127.0.0.1:5432/iot_data
  queries       node workloads/dist/cli.js query --help
Stop it all with: make stack-down
TXT
