// The original README's example RuuviTag, c6:8d:c6:26:39:a6, which its per-device queries name:
// published as its Ruuvi Gateway would (MQTT, format 5, gateway-stamped) through the running
// pipeline, every 10 minutes over the last 6 hours with a 50-minute gap (what the README's gap
// query looks for), then waited for in the database. `make demo` runs it; running it again in
// the same 10 minutes publishes the same readings, which the pipeline stores once.
//
//   npx tsx scripts/readme-tag.ts        (MQTT_* and DATABASE_URL/POSTGRES_*: the local stack's by default)
import mqtt from 'mqtt';
import postgres from 'postgres';
import { loadConnectionConfig } from '../workloads/src/config/common.js';
import { bytesToHex, encodeFormat5Advertisement } from '../workloads/src/ruuvi/index.js';
import { ruuviGatewayTopic, type RuuviGatewayMessage } from '../workloads/src/simulator/payloads.js';
import { README_DEVICE } from './readme-queries.js';

const TAG_MAC = 'c6:8d:c6:26:39:a6';
const GATEWAY_MAC = 'F0:0D:00:00:15:01';
const SLOT_MS = 600_000;

/** The tag's advertisements: times on the 10-minute grid, the 5th hour back left out for 50 minutes. */
export function readmeTagHistory(now: number): Array<{ timeMs: number; message: RuuviGatewayMessage }> {
  const end = Math.floor(now / SLOT_MS) * SLOT_MS;
  const out: Array<{ timeMs: number; message: RuuviGatewayMessage }> = [];
  for (let i = 0; i < 36; i++) {
    if (i >= 10 && i < 15) continue; // slots 10..14 silent: 60 minutes between two readings
    const timeMs = end - (35 - i) * SLOT_MS;
    const advertisement = encodeFormat5Advertisement({
      mac: TAG_MAC,
      temperature: 21 + i / 10,
      humidity: 40 + (i % 5),
      pressure: 100_500 + i * 10,
      accelerationX: 0,
      accelerationY: 0,
      accelerationZ: 1,
      batteryVoltage: 3.0 - i * 0.001,
      txPower: 4,
      movementCounter: 0,
      measurementSequence: (timeMs / SLOT_MS) % 65_534,
    });
    const seconds = String(timeMs / 1000);
    out.push({
      timeMs,
      message: {
        gw_mac: GATEWAY_MAC,
        rssi: -60,
        aoa: [],
        gwts: seconds,
        ts: seconds,
        data: bytesToHex(advertisement).toUpperCase(),
        coords: '',
      },
    });
  }
  return out;
}

async function main(): Promise<void> {
  const connection = loadConnectionConfig();
  const history = readmeTagHistory(Date.now());
  const client = await mqtt.connectAsync(connection.mqttUrl, {
    clientId: `iotpipe-readme-tag-${process.pid}`,
    username: connection.mqttUsername,
    password: connection.mqttPassword,
    clean: true,
    connectTimeout: 10_000,
  });
  try {
    for (const { message } of history) {
      await client.publishAsync(ruuviGatewayTopic('ruuvi', GATEWAY_MAC, TAG_MAC), JSON.stringify(message), {
        qos: 1,
      });
    }
  } finally {
    await client.endAsync();
  }
  const times = history.map((h) => new Date(h.timeMs).toISOString());
  const sql = postgres(connection.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from sensor_readings
         where device_id = ${README_DEVICE} and "timestamp" = any(${times}::timestamptz[])`;
      if ((row?.n ?? 0) >= history.length) break;
      if (Date.now() > deadline) {
        throw new Error(
          `${row?.n ?? 0} of ${history.length} readings of ${README_DEVICE} stored after 2 minutes: is the pipeline running (make stack-logs)?`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  console.log(
    `   ${TAG_MAC}: ${history.length} advertisements over the last 6 hours (one 60-minute gap), stored`,
  );
}

await main();
