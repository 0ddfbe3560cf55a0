// Helpers for the adapter's integration suites. The consumer side deliberately shares no code
// with the adapter's encoder: it fetches the writer schema by id from the registry's
// Confluent-compatible API and decodes with avsc directly.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import avro from 'avsc';
import type { Consumer, KafkaMessage } from 'kafkajs';
import mqtt, { type MqttClient } from 'mqtt';
import { kafkaClient, stackConfig, stackEndpoints, stageKafkaEnv, uniqueName } from '../support/stack.js';

export const registryUrl = stackEndpoints.registryUrl;
// IOTPIPE_CLI runs another build of the CLI (e.g. an installed image's) under the same suite.
export const cliPath = process.env.IOTPIPE_CLI ?? join(stackConfig.repoRoot, 'workloads', 'dist', 'cli.js');
// The in-process adapters get an explicit env map; ADAPTER_KAFKA_CLIENT from the suite's own
// environment still picks their Kafka client (unset: the adapter's default). Spawned adapters
// inherit it anyway. Either client authenticates as the adapter's own Kafka account (the tests
// grant it their topics with grantStages).
export const kafkaClientEnv = {
  ADAPTER_KAFKA_CLIENT: process.env.ADAPTER_KAFKA_CLIENT ?? '',
  ...stageKafkaEnv('adapter'),
};

const schemaCache = new Map<number, avro.Type>();

export async function fetchSchemaText(id: number): Promise<string> {
  const res = await fetch(`${registryUrl}/schemas/ids/${id}`);
  if (!res.ok) throw new Error(`registry GET /schemas/ids/${id}: ${res.status}`);
  return ((await res.json()) as { schema: string }).schema;
}

export async function writerType(id: number): Promise<avro.Type> {
  let t = schemaCache.get(id);
  if (!t) {
    t = avro.Type.forSchema(JSON.parse(await fetchSchemaText(id)) as avro.Schema);
    schemaCache.set(id, t);
  }
  return t;
}

/** Confluent wire format -> { schemaId, value } decoded with the writer's schema. */
export async function decodeConfluent(
  buf: Buffer,
  reader?: avro.Type,
): Promise<{ schemaId: number; value: Record<string, unknown> }> {
  if (buf[0] !== 0) throw new Error(`magic byte ${buf[0]} is not 0`);
  const schemaId = buf.readInt32BE(1);
  const writer = await writerType(schemaId);
  const body = buf.subarray(5);
  const value = reader
    ? (reader.fromBuffer(body, reader.createResolver(writer)) as Record<string, unknown>)
    : (writer.fromBuffer(body) as Record<string, unknown>);
  return { schemaId, value };
}

export interface Collected {
  key: string;
  value: Buffer;
  partition: number;
  offset: string;
}

/** Reads a topic from the beginning into `records` until stopped. */
export async function collect(topic: string): Promise<{ records: Collected[]; consumer: Consumer }> {
  const records: Collected[] = [];
  const consumer = kafkaClient().consumer({ groupId: uniqueName('it-adapter-read') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }: { message: KafkaMessage; partition: number }) => {
      records.push({
        key: message.key?.toString() ?? '',
        value: message.value!,
        partition,
        offset: message.offset,
      });
    },
  });
  return { records, consumer };
}

/** Total records in a topic: the sum of the partitions' high watermarks (fresh topics start at 0). */
export async function topicSize(topic: string): Promise<number> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  limitMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function publisher(): Promise<MqttClient> {
  return mqtt.connectAsync(stackEndpoints.mqttUrl, {
    username: stackConfig.mqtt.user,
    password: stackConfig.mqtt.password,
    clientId: uniqueName('it-pub'),
  });
}

/** Parses Prometheus text into `name{labels}` -> value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return parseMetrics(await res.text());
}

/** `node workloads/dist/cli.js adapter` with env; stderr kept for the failure message. */
export function spawnAdapter(env: Record<string, string>): { child: ChildProcess; log: string[] } {
  const log: string[] = [];
  const child = spawn(process.execPath, [cliPath, 'adapter'], {
    env: { ...process.env, ...stageKafkaEnv('adapter'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => log.push(d.toString()));
  return { child, log };
}

export { TcpProxy } from '../support/tcp-proxy.js';
