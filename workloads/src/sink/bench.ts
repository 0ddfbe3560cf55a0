// Benchmark, not a test: the sink's rate (Kafka -> PostgreSQL, rows/s) beside the raw COPY rate
// into the same table on the same database, and the store's rate per batch size.
//
//   node workloads/dist/sink/bench.js            (BENCH_ROWS=50000 by default)
//
// Uses the local stack (or the usual KAFKA_*/SCHEMA_REGISTRY_URL/DATABASE_URL). Creates its own
// database (iot_user may CREATE DATABASE) and topic, and drops both at the end.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { loadConnectionConfig } from '../config/common.js';
import { Migrator } from '../db/migrator.js';
import { AvroSerializer } from '../kafka/avro.js';
import { createKafka } from '../kafka/client.js';
import { sensorReadingToAvro } from '../kafka/records.js';
import { loadSchemaText, type SensorReading } from '../schema/index.js';
import { loadSinkConfig } from './config.js';
import { copyLine, READING_COLUMNS } from './rows.js';
import { KafkaSink } from './sink.js';
import { ReadingStore } from './store.js';

const rows = Number(process.env.BENCH_ROWS ?? 50_000);
const devices = 500;

function readings(count: number, prefix: string): SensorReading[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const d = i % devices;
    const seq = Math.floor(i / devices);
    const device_id = `${prefix}-${d}_temperature`;
    return {
      reading_id: `${device_id}#${seq}`,
      device_id,
      device_type: 'temperature_sensor',
      timestamp: new Date(now - 3_600_000 + seq * 1000),
      value: 20 + Math.sin(i),
      unit: '°C',
      location: null,
      battery_level: 87.5,
      signal_strength: -60,
      firmware_version: 'sim-1.0',
      is_anomaly: false,
      metadata: null,
      gateway_id: null,
      measurement_sequence: seq,
      source: 'SIMULATOR',
      time_source: 'DEVICE',
    };
  });
}

const rate = (n: number, ms: number) =>
  `${Math.round((n / ms) * 1000)} rows/s (${n} rows in ${(ms / 1000).toFixed(2)} s)`;

async function main(): Promise<void> {
  const base = loadConnectionConfig();
  const dbName = `iotpipe_bench_${Date.now().toString(36)}`;
  const admin = postgres(base.databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${dbName}`);
  const url = new URL(base.databaseUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  const topic = `bench-sink-${Date.now().toString(36)}`;
  const kafka = createKafka(base, 'iotpipe-bench');
  const kadmin = kafka.admin();
  try {
    await new Migrator({ databaseUrl }).migrate();
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });

    // 1. Raw COPY of all rows, one statement, straight into sensor_readings.
    const raw = readings(rows, 'copy');
    let t = performance.now();
    const copy = await sql
      .unsafe(`copy sensor_readings (${READING_COLUMNS.map((c) => `"${c}"`).join(', ')}) from stdin`)
      .writable();
    await pipeline(
      Readable.from(raw.map((r) => copyLine(0, r).slice(2))), // drop the staging-only `ord` field
      copy,
    );
    console.log(`raw COPY into sensor_readings:        ${rate(rows, performance.now() - t)}`);

    // 2. The store alone (staging COPY + idempotent INSERT ... SELECT + commit) per batch size.
    const store = new ReadingStore(databaseUrl);
    store.start();
    for (const batch of [50, 250, 1000, 5000]) {
      const data = readings(Math.min(rows, 20_000), `store${batch}`);
      t = performance.now();
      for (let i = 0; i < data.length; i += batch) {
        await store.write(data.slice(i, i + batch).map((r, k) => copyLine(k, r)));
      }
      console.log(
        `store, batch ${String(batch).padEnd(5)}:                 ${rate(data.length, performance.now() - t)}`,
      );
    }
    await store.stop();

    // 3. The whole sink: records already in Kafka, measured from the first stored row to the last.
    await kadmin.connect();
    await kadmin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 6,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
    });
    const serializer = AvroSerializer.forUrl<SensorReading>(
      base.schemaRegistryUrl,
      `${topic}-value`,
      loadSchemaText('sensor_reading'),
      sensorReadingToAvro,
    );
    await serializer.start();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const produced = readings(rows, 'sink');
    for (let i = 0; i < produced.length; i += 2000) {
      await producer.send({
        topic,
        acks: -1,
        messages: produced.slice(i, i + 2000).map((r) => ({ key: r.device_id, value: serializer.encode(r) })),
      });
    }
    await producer.disconnect();
    const count = async () =>
      Number((await sql`select count(*)::int as n from sensor_readings where device_id like 'sink-%'`)[0]!.n);
    const config = loadSinkConfig({
      ...process.env,
      DATABASE_URL: databaseUrl,
      KAFKA_TOPIC: topic,
      SINK_GROUP_ID: `${topic}-group`,
      SINK_METRICS_PORT: '0',
      SINK_METRICS_HOST: '127.0.0.1',
    });
    const sink = new KafkaSink(config, () => {});
    const started = performance.now();
    await sink.start();
    let first = 0;
    for (;;) {
      const n = await count();
      if (n > 0 && first === 0) first = performance.now();
      if (n >= rows) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const end = performance.now();
    await sink.stop();
    console.log(`sink (batch ${config.batchSize}), first to last row:  ${rate(rows, end - first)}`);
    console.log(`sink, including start-up (migrate, join): ${rate(rows, end - started)}`);
    await sql.end();
  } finally {
    await kadmin.deleteTopics({ topics: [topic] }).catch(() => {});
    await kadmin.disconnect().catch(() => {});
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

await main();
