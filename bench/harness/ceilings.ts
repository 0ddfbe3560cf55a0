import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import avro from 'avsc';
import { logLevel } from 'kafkajs';
import mqtt from 'mqtt';
import postgres from 'postgres';
import type { ConnectionConfig } from '../../workloads/src/config/common.js';
import { Migrator, timescaleSupport, type DbFlavor } from '../../workloads/src/db/migrator.js';
import { AvroSerializer } from '../../workloads/src/kafka/avro.js';
import { createKafka } from '../../workloads/src/kafka/client.js';
import { sensorReadingToAvro } from '../../workloads/src/kafka/records.js';
import { loadSchemaText, type SensorReading } from '../../workloads/src/schema/index.js';
import type { GenericReading } from '../../workloads/src/simulator/devices.js';
import { ReadingGenerator } from '../../workloads/src/simulator/generator.js';
import { mqttMessages } from '../../workloads/src/simulator/outputs.js';
import { genericRecord } from '../../workloads/src/simulator/payloads.js';
import { copyLine, READING_COLUMNS } from '../../workloads/src/sink/rows.js';
import { ReadingStore } from '../../workloads/src/sink/store.js';
import { ratePerSec } from './stats.js';
import type { KafkaToolCeiling } from './tool-ceilings.js';

/** What the real parts can do alone, measured with the same data the pipeline carries. */
export interface Ceilings {
  /** The schema flavour of the pipeline's database (POSTGRES_FLAVOR), which the two below measure. */
  schema_flavor?: DbFlavor;
  /** One COPY of all rows straight into sensor_readings. */
  copy_rows_per_s: number;
  /** The sink's own transaction (COPY into staging + idempotent INSERT ... SELECT + commit). */
  staging_insert_rows_per_s: number;
  /**
   * The same two on the other flavour, in a database of the same server: the TimescaleDB
   * hypertable beside the natively partitioned table. Null where the server has one flavour only.
   */
  other_flavor?: { flavor: DbFlavor; copy_rows_per_s: number; staging_insert_rows_per_s: number } | null;
  staging_batch_size: number;
  /** Avro records produced (acks=all, idempotent) and consumed at once, first send to last receipt. */
  kafka_records_per_s: number;
  kafka_produce_records_per_s: number;
  /** Simulator-shaped JSON messages at QoS 1, published and received at once. */
  mqtt_messages_per_s: number;
  mqtt_readings_per_s: number;
  mqtt_batch_size: number;
  /** Kafka's own ProducerPerformance and ConsumerPerformance on a topic like ours (tool-ceilings.ts). */
  kafka_tool?: KafkaToolCeiling | null;
  /** Mosquitto's own C clients (mosquitto_pub -l, mosquitto_sub), QoS 1, the same messages. */
  mqtt_c_messages_per_s?: number | null;
  mqtt_c_readings_per_s?: number | null;
  rows: number;
}

/** The mean size on Kafka of our records: Avro plus the registry's 5-byte header. */
export function meanAvroRecordBytes(rows: number, seed: number): number {
  const type = avro.Type.forSchema(JSON.parse(loadSchemaText('sensor_reading')) as avro.Schema);
  const records = sampleReadings(rows, seed, Date.now(), 0.1, 1000).map(genericRecord);
  const total = records.reduce((sum, r) => sum + 5 + type.toBuffer(sensorReadingToAvro(r)).length, 0);
  return Math.round(total / Math.max(1, records.length));
}

/** The simulator's MQTT messages (topic and JSON payload) for the Mosquitto ceilings. */
export function ceilingMessages(
  rows: number,
  seed: number,
  prefix: string,
  batchSize: number,
): ReturnType<typeof mqttMessages> {
  const units = sampleReadings(rows, seed, Date.now(), 0.1, 1000).map((reading) => ({
    kind: 'generic' as const,
    timestampMs: reading.timestamp_ms,
    reading,
    anomaly: null,
  }));
  return mqttMessages(units, {
    batchSize,
    mqttTopicPrefix: `${prefix}iotpipe/sim`,
    ruuviTopicPrefix: `${prefix}ruuvi`,
  });
}

/** The simulator's generic readings (seeded, no Ruuvi tags): what the pipeline will carry. */
export function sampleReadings(
  count: number,
  seed: number,
  startMs: number,
  intervalSec: number,
  devices: number,
): GenericReading[] {
  const gen = new ReadingGenerator({
    seed,
    startMs,
    intervalSec,
    numDevices: devices,
    deviceTypes: ['temperature', 'humidity', 'pressure', 'motion', 'light'],
    anomalyProbability: 0.05,
    ruuviTags: 0,
    ruuviFormats: [5],
    gateways: 1,
    duplicateGatewayShare: 0,
    gatewayTime: true,
  });
  const out: GenericReading[] = [];
  while (out.length < count) {
    const unit = gen.next();
    if (unit.kind === 'generic') out.push(unit.reading);
  }
  return out;
}

const since = (t0: number) => performance.now() - t0;

/**
 * The database ceilings on the flavour other than `flavor`, in a database of its own on the
 * same server (created, migrated with that flavour, dropped): null where the server cannot
 * have it (no TimescaleDB, or TimescaleDB installed but not preloaded).
 */
export async function otherFlavorCeilings(
  databaseUrl: string,
  flavor: DbFlavor,
  name: string,
  rows: number,
  seed: number,
  batchSize: number,
): Promise<{ flavor: DbFlavor; copy: number; staging: number } | null> {
  const other: DbFlavor = flavor === 'timescale' ? 'native' : 'timescale';
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const server = await timescaleSupport(admin);
    if (other === 'timescale' && !(server.installed && server.preloaded)) return null;
    await admin.unsafe(`create database ${name}`);
    try {
      const url = new URL(databaseUrl);
      url.pathname = `/${name}`;
      await new Migrator({ databaseUrl: url.toString(), flavor: other }).migrate();
      const db = await databaseCeilings(url.toString(), rows, seed, batchSize);
      return { flavor: other, ...db };
    } finally {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Raw COPY into sensor_readings, then the sink's staging transaction in its batch size. */
export async function databaseCeilings(
  databaseUrl: string,
  rows: number,
  seed: number,
  batchSize: number,
): Promise<{ copy: number; staging: number }> {
  const now = Date.now();
  // Two disjoint sets of readings in the last hours (partitions exist for today).
  const raw = sampleReadings(rows, seed, now - 3 * 3600_000, 0.1, 1000).map(genericRecord);
  const staged = sampleReadings(rows, seed + 1, now - 2 * 3600_000, 0.1, 1000).map(genericRecord);
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const lines = raw.map((r) => copyLine(0, r).slice(2)); // drop the staging-only `ord` field
    const t0 = performance.now();
    const copy = await sql
      .unsafe(`copy sensor_readings (${READING_COLUMNS.map((c) => `"${c}"`).join(', ')}) from stdin`)
      .writable();
    await pipeline(Readable.from(chunk(lines, 1000).map((c) => c.join(''))), copy);
    const copyRate = ratePerSec(rows, since(t0));

    const store = new ReadingStore(databaseUrl);
    store.start();
    let inserted = 0;
    const t1 = performance.now();
    try {
      for (const part of chunk(staged, batchSize)) {
        inserted += await store.write(part.map((r, k) => copyLine(k, r)));
      }
    } finally {
      await store.stop();
    }
    const stagingRate = ratePerSec(rows, since(t1));
    if (inserted !== rows) throw new Error(`staging ceiling inserted ${inserted} of ${rows} rows`);
    await sql`truncate sensor_readings`;
    return { copy: copyRate, staging: stagingRate };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Produce (acks=all, idempotent, as the adapter) and consume (decoding, as the sink) at once. */
export async function kafkaCeiling(
  connection: ConnectionConfig,
  topic: string,
  groupId: string,
  rows: number,
  seed: number,
): Promise<{ both: number; produce: number }> {
  const records: SensorReading[] = sampleReadings(rows, seed + 2, Date.now(), 0.1, 1000).map(genericRecord);
  const serializer = AvroSerializer.forUrl<SensorReading>(
    connection.schemaRegistryUrl,
    `${topic}-value`,
    loadSchemaText('sensor_reading'),
    sensorReadingToAvro,
  );
  await serializer.start();
  const type = avro.Type.forSchema(JSON.parse(loadSchemaText('sensor_reading')) as avro.Schema);
  const kafka = createKafka(connection, `${topic}-ceiling`, { logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await producer.connect();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let consumed = 0;
    let lastAt = 0;
    let resolveDone = () => {};
    const done = new Promise<void>((r) => (resolveDone = r));
    const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (m.value) type.fromBuffer(m.value.subarray(5));
        }
        consumed += batch.messages.length;
        lastAt = performance.now();
        if (consumed >= rows) resolveDone();
      },
    });
    await joined;
    const t0 = performance.now();
    for (const part of chunk(records, 2000)) {
      await producer.send({
        topic,
        acks: -1,
        messages: part.map((r) => ({ key: r.device_id, value: serializer.encode(r) })),
      });
    }
    const produced = since(t0);
    await withTimeout(done, 120_000, `consuming ${rows} records from ${topic}`);
    return { both: ratePerSec(rows, lastAt - t0), produce: ratePerSec(rows, produced) };
  } finally {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
  }
}

/** Publish the simulator's messages at QoS 1 (64 in flight) while a subscriber receives them. */
export async function mqttCeiling(
  connection: ConnectionConfig,
  prefix: string,
  clientId: string,
  rows: number,
  seed: number,
  batchSize: number,
): Promise<{ messages: number; readings: number }> {
  const messages = ceilingMessages(rows, seed + 3, prefix, batchSize);
  const options = { username: connection.mqttUsername, password: connection.mqttPassword, clean: true };
  const sub = await mqtt.connectAsync(connection.mqttUrl, { ...options, clientId: `${clientId}-sub` });
  const pub = await mqtt.connectAsync(connection.mqttUrl, { ...options, clientId: `${clientId}-pub` });
  try {
    let received = 0;
    let lastAt = 0;
    let resolveDone = () => {};
    const done = new Promise<void>((r) => (resolveDone = r));
    sub.on('message', () => {
      lastAt = performance.now();
      if (++received >= messages.length) resolveDone();
    });
    await sub.subscribeAsync(`${prefix}iotpipe/sim/#`, { qos: 1 });
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < messages.length) {
        const m = messages[next++]!;
        await pub.publishAsync(m.topic, m.payload, { qos: 1 });
      }
    };
    await Promise.all(Array.from({ length: 64 }, lane));
    await withTimeout(done, 120_000, `receiving ${messages.length} MQTT messages`);
    const ms = lastAt - t0;
    return { messages: ratePerSec(messages.length, ms), readings: ratePerSec(rows, ms) };
  } finally {
    await pub.endAsync(true).catch(() => {});
    await sub.endAsync(true).catch(() => {});
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`benchmark: timed out after ${ms / 1000} s ${what}; is the stack healthy?`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
