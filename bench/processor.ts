// Benchmark of `iotpipe process` (not a test): how fast the stream processor drains a backlog of
// Avro readings, and whether it keeps up with a steady input rate with bounded lag. Run on a
// running local stack:
//   node --import tsx bench/processor.ts [quick] [rate=<readings/s>] [seconds=<s>]
// Results print as JSON lines and are written to bench/results/processor-<time>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Producer } from 'kafkajs';
import { AVRO_OPTIONS, loadProcessorConfig, StreamProcessor } from '../workloads/src/processor/index.js';
import { loadSchemaText, type SensorReading } from '../workloads/src/schema/index.js';
import {
  adminKafkaEnv,
  createTopic,
  kafkaClient,
  stackConfig,
  stackEndpoints,
  uniqueName,
} from '../tests/support/stack.js';

const quick = process.argv.includes('quick');
const arg = (name: string, fallback: number) => {
  const a = process.argv.find((x) => x.startsWith(`${name}=`));
  return a ? Number(a.slice(name.length + 1)) : fallback;
};
const BACKLOG = quick ? 20_000 : 100_000;
const DEVICES = 1000;
const RATE = arg('rate', quick ? 2000 : 5000);
const SECONDS = arg('seconds', quick ? 10 : 30);
const results: Array<Record<string, string | number>> = [];
const log = (line: string) => process.stderr.write(`${line}\n`);
const registry = new SchemaRegistry(
  { host: stackEndpoints.registryUrl },
  { [SchemaType.AVRO]: { ...AVRO_OPTIONS } },
);

function record(row: Record<string, string | number>): void {
  results.push(row);
  log(JSON.stringify(row));
}

let seq = 0;
function reading(i: number, now: number): SensorReading {
  const device = `bench-${String(i % DEVICES).padStart(4, '0')}_temperature`;
  seq++;
  return {
    reading_id: `${device}#${seq}`,
    device_id: device,
    device_type: 'temperature_sensor',
    timestamp: new Date(now),
    value: 21 + Math.sin(seq / 50) + (seq % 997 === 0 ? 30 : 0),
    unit: '°C',
    location: null,
    battery_level: 80,
    signal_strength: -60,
    firmware_version: 'sim-1.0',
    is_anomaly: seq % 100 === 0,
    metadata: null,
    gateway_id: null,
    measurement_sequence: seq,
    source: 'SIMULATOR',
    time_source: 'DEVICE',
  };
}

async function newTopic(prefix: string): Promise<{ topic: string; schemaId: number }> {
  const topic = uniqueName(prefix);
  await createTopic(topic, 6);
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: loadSchemaText('sensor_reading') },
    { subject: `${topic}-value` },
  );
  return { topic, schemaId: id };
}

async function produce(
  producer: Producer,
  topic: string,
  schemaId: number,
  from: number,
  n: number,
): Promise<void> {
  const now = Date.now();
  const messages = await Promise.all(
    Array.from({ length: n }, async (_, k) => {
      const r = reading(from + k, now);
      return { key: r.device_id, value: await registry.encode(schemaId, r) };
    }),
  );
  await producer.send({ topic, acks: -1, messages });
}

/** Records not yet committed by the group: high watermarks minus committed offsets. */
async function lagOf(topic: string, groupId: string): Promise<number> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return ends.reduce((n, e) => n + Number(e.high) - Math.max(0, done.get(e.partition) ?? 0), 0);
  } finally {
    await admin.disconnect();
  }
}

function processorFor(topic: string, groupId: string): StreamProcessor {
  return new StreamProcessor(
    loadProcessorConfig({
      // A measuring tool: the processors run as the stack's admin account on its own topics.
      ...adminKafkaEnv,
      KAFKA_TOPIC: topic,
      KAFKA_ALERTS_TOPIC: `${topic}-alerts`,
      PROCESSOR_GROUP_ID: groupId,
      PROCESSOR_METRICS_PORT: '0',
      PROCESSOR_METRICS_HOST: stackConfig.host,
      PROCESSOR_FROM_BEGINNING: 'true',
    }),
    () => {},
  );
}

async function backlog(producer: Producer): Promise<void> {
  const { topic, schemaId } = await newTopic('bench-proc-backlog');
  await createTopic(`${topic}-alerts`, 3);
  for (let i = 0; i < BACKLOG; i += 5000)
    await produce(producer, topic, schemaId, i, Math.min(5000, BACKLOG - i));
  const groupId = uniqueName('bench-proc');
  const processor = processorFor(topic, groupId);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await processor.start();
  let maxLag = 0;
  for (;;) {
    const lag = await lagOf(topic, groupId);
    maxLag = Math.max(maxLag, lag);
    if (lag === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  const metrics = await processor.metrics.registry.getSingleMetricAsString('iot_alerts_published_total');
  await processor.stop();
  record({
    scenario: `backlog: ${BACKLOG} readings, ${DEVICES} devices, 6 partitions (start + join included)`,
    readings: BACKLOG,
    seconds: Number(seconds.toFixed(2)),
    readings_per_s: Math.round(BACKLOG / seconds),
    cpu_pct_of_one_core: Math.round((used.user + used.system) / 10 / (seconds * 1000)),
    alerts: metrics
      .split('\n')
      .filter((l) => l.startsWith('iot_alerts_published_total{'))
      .map((l) => l.replace(/^iot_alerts_published_total\{type="(\w+)"\} /, '$1='))
      .join(' '),
  });
}

async function steady(producer: Producer): Promise<void> {
  const { topic, schemaId } = await newTopic('bench-proc-steady');
  await createTopic(`${topic}-alerts`, 3);
  const groupId = uniqueName('bench-proc');
  const processor = processorFor(topic, groupId);
  await processor.start();
  // Wait until the group has joined before producing, so the start is not counted as lag.
  while (
    !(await processor.metrics.registry.getSingleMetricAsString('iot_consumer_lag')).includes('partition=')
  ) {
    await produce(producer, topic, schemaId, 0, 6);
    await new Promise((r) => setTimeout(r, 250));
  }
  let maxLag = 0;
  let produced = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxLag = Math.max(maxLag, await lagOf(topic, groupId));
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  const tickMs = 100;
  const perTick = Math.max(1, Math.round((RATE * tickMs) / 1000));
  const t0 = performance.now();
  let behind = 0;
  for (let tick = 0; tick < (SECONDS * 1000) / tickMs; tick++) {
    await produce(producer, topic, schemaId, produced, perTick);
    produced += perTick;
    const due = t0 + (tick + 1) * tickMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else behind++;
  }
  const producedSeconds = (performance.now() - t0) / 1000;
  const stopAt = performance.now();
  while ((await lagOf(topic, groupId)) > 0) await new Promise((r) => setTimeout(r, 200));
  const drainMs = performance.now() - stopAt;
  sampling = false;
  await sampler;
  await processor.stop();
  record({
    scenario: `steady: ${RATE} readings/s for ${SECONDS} s, ${DEVICES} devices`,
    readings: produced,
    achieved_input_per_s: Math.round(produced / producedSeconds),
    producer_ticks_late: behind,
    max_lag_records: maxLag,
    max_lag_seconds_of_input: Number((maxLag / RATE).toFixed(2)),
    drain_after_stop_ms: Math.round(drainMs),
  });
}

const producer = kafkaClient().producer({ idempotent: true });
await producer.connect();
try {
  await backlog(producer);
  await steady(producer);
} finally {
  await producer.disconnect();
}
const dir = join(stackConfig.repoRoot, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `processor-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ quick, rate: RATE, seconds: SECONDS, results }, null, 2)}\n`);
log(`written to ${file}`);
