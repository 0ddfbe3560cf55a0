import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRuuvi } from '../../workloads/src/ruuvi/index.js';
import type { SensorReading } from '../../workloads/src/schema/index.js';
import { loadSimulatorConfig } from '../../workloads/src/simulator/config.js';
import { expandPacket } from '../../workloads/src/simulator/devices.js';
import { manifestDigest, type DigestRow, type Manifest } from '../../workloads/src/simulator/manifest.js';
import { AVRO_LOGICAL_TYPES } from '../../workloads/src/simulator/outputs.js';
import type { GenericReadingJson, RuuviGatewayMessage } from '../../workloads/src/simulator/payloads.js';
import { Simulator } from '../../workloads/src/simulator/simulator.js';
import {
  adminKafkaEnv,
  createTopic,
  kafkaClient,
  stackConfig,
  stackEndpoints,
  uniqueName,
} from '../support/stack.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const connectionEnv = {
  MQTT_URL: stackEndpoints.mqttUrl,
  MQTT_USERNAME: stackConfig.mqtt.user,
  MQTT_PASSWORD: stackConfig.mqtt.password,
  KAFKA_BOOTSTRAP_SERVERS: stackEndpoints.kafkaBrokers.join(','),
  // The simulator is a tool: it writes with the admin account (no stage ACLs for its topics).
  ...adminKafkaEnv,
  SCHEMA_REGISTRY_URL: stackEndpoints.registryUrl,
};

/** A modest load run with everything on: generic batches, both Ruuvi formats, two gateways. */
const runEnv = {
  ...connectionEnv,
  SIM_SEED: '20261127',
  SIM_START: '2026-11-27T06:00:00Z',
  IOT_NUM_DEVICES: '200',
  SIM_RUUVI_TAGS: '10',
  SIM_RUUVI_FORMATS: '5,3',
  SIM_GATEWAYS: '3',
  SIM_DUPLICATE_GATEWAYS: '0.4',
  SIM_RATE: '20000',
  SIM_COUNT: '6000',
  SIM_BATCH_SIZE: '250',
  SIM_CONNECTIONS: '2',
};

async function runSimulator(
  env: Record<string, string>,
  logs: string[] = [],
): Promise<{ manifest: Manifest; logs: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'it-sim-'));
  const manifestPath = join(dir, 'manifest.json');
  const sim = new Simulator(loadSimulatorConfig({ ...env, SIM_MANIFEST: manifestPath }), {
    log: (l) => logs.push(l),
  });
  const result = await sim.run();
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
  expect(result.manifest).toEqual(manifest);
  return { manifest, logs };
}

/** Lines of what was received, each reading once (a second gateway's copy is the same line). */
function uniqueRows(rows: DigestRow[]): DigestRow[] {
  const seen = new Map<string, DigestRow>();
  for (const r of rows) seen.set(`${r.reading_id}|${r.timestamp_ms}|${r.value}`, r);
  return [...seen.values()];
}

function countPerDevice(rows: Array<DigestRow & { device_id: string }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.device_id] = (out[r.device_id] ?? 0) + 1;
  return out;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c().catch(() => {});
});

describe('iotpipe simulate', () => {
  it('MQTT output: what a subscriber receives, decoded, matches the manifest', async () => {
    const id = uniqueName('it-sim');
    const simPrefix = `${id}/sim`;
    const ruuviPrefix = `${id}/ruuvi`;
    const subscriber = await mqtt.connectAsync(stackEndpoints.mqttUrl, {
      clientId: `${id}-sub`,
      username: stackConfig.mqtt.user,
      password: stackConfig.mqtt.password,
      clean: true,
    });
    cleanups.push(() => subscriber.endAsync(true));
    const received: Array<DigestRow & { device_id: string }> = [];
    let messages = 0;
    let ruuviMessages = 0;
    let arrays = 0;
    const problems: string[] = [];
    subscriber.on('message', (topic, payload) => {
      messages++;
      try {
        if (topic.startsWith(`${ruuviPrefix}/`)) {
          ruuviMessages++;
          const [gw, tag] = topic.slice(ruuviPrefix.length + 1).split('/');
          const msg = JSON.parse(payload.toString('utf8')) as RuuviGatewayMessage;
          if (msg.gw_mac !== gw) problems.push(`gw_mac ${msg.gw_mac} on topic of ${gw}`);
          if (msg.ts === undefined || msg.ts !== msg.gwts) problems.push(`no gateway time on ${topic}`);
          const mac = tag!.toLowerCase();
          // the adapter's path: raw advertisement -> decoder -> one reading per measurement
          received.push(...expandPacket(decodeRuuvi(msg.data, { mac }), mac, Number(msg.ts) * 1000));
        } else {
          const json = JSON.parse(payload.toString('utf8')) as GenericReadingJson | GenericReadingJson[];
          if (Array.isArray(json)) arrays++;
          for (const r of Array.isArray(json) ? json : [json]) {
            received.push({
              reading_id: `${r.device_id}#${r.sequence}`,
              device_id: r.device_id,
              timestamp_ms: Date.parse(r.timestamp),
              value: r.value,
            });
          }
        }
      } catch (e) {
        problems.push(`${topic}: ${(e as Error).message}`);
      }
    });
    await subscriber.subscribeAsync([`${simPrefix}/#`, `${ruuviPrefix}/#`], { qos: 1 });

    const { manifest } = await runSimulator({
      ...runEnv,
      SIM_MQTT_TOPIC_PREFIX: simPrefix,
      SIM_RUUVI_TOPIC_PREFIX: ruuviPrefix,
      SIM_MQTT_CLIENT_ID: `${id}-pub`,
    });
    // Every publish was PUBACKed before run() returned; wait for the broker to hand them all on.
    for (let i = 0; i < 600 && messages < manifest.messages; i++)
      await new Promise((r) => setTimeout(r, 100));

    expect(problems).toEqual([]);
    expect(manifest.errors).toBe(0);
    expect(messages).toBe(manifest.messages);
    expect(arrays).toBeGreaterThan(0);
    expect(manifest.duplicate_deliveries).toBeGreaterThan(0);
    expect(ruuviMessages).toBeGreaterThan(manifest.duplicate_deliveries);
    const unique = uniqueRows(received);
    expect(received.length - unique.length).toBeGreaterThan(0); // the second gateways' copies
    expect(unique).toHaveLength(manifest.total);
    expect(manifest.total).toBeGreaterThanOrEqual(6000);
    expect(manifestDigest(unique)).toBe(manifest.digest);
    expect(countPerDevice(unique as Array<DigestRow & { device_id: string }>)).toEqual(
      manifest.counts_per_device,
    );
    expect(manifest.anomalous_reading_ids.length).toBeGreaterThan(0);
  });

  it('MQTT output: a broker not there yet is waited for with backoff, then gets every message', async () => {
    const id = uniqueName('it-sim-late');
    const subscriber = await mqtt.connectAsync(stackEndpoints.mqttUrl, {
      clientId: `${id}-sub`,
      username: stackConfig.mqtt.user,
      password: stackConfig.mqtt.password,
      clean: true,
    });
    cleanups.push(() => subscriber.endAsync(true));
    let messages = 0;
    subscriber.on('message', () => messages++);
    await subscriber.subscribeAsync(`${id}/#`, { qos: 1 });
    // The broker as the simulator sees it: a port where nothing listens yet (connection refused).
    const broker = new TcpProxy('127.0.0.1', stackConfig.mqtt.port);
    await broker.reserve();
    cleanups.push(() => broker.cut());
    const logs: string[] = [];
    const run = runSimulator(
      {
        ...runEnv,
        MQTT_URL: `mqtt://127.0.0.1:${broker.port}`,
        SIM_COUNT: '500',
        SIM_CONNECTIONS: '1',
        SIM_MQTT_TOPIC_PREFIX: `${id}/sim`,
        SIM_RUUVI_TOPIC_PREFIX: `${id}/ruuvi`,
        SIM_MQTT_CLIENT_ID: `${id}-pub`,
      },
      logs,
    );
    let failed = false;
    void run.catch(() => (failed = true));
    for (let i = 0; i < 300 && !failed && !logs.some((l) => l.startsWith('MQTT connect failing')); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(failed, 'the simulator gave up on a broker that is not there yet').toBe(false);
    expect(logs.find((l) => l.startsWith('MQTT connect failing'))).toMatch(
      /retrying with backoff: .*ECONNREFUSED/,
    );
    await broker.open();
    const { manifest } = await run;
    expect(logs).toContain('MQTT connect recovered');
    for (let i = 0; i < 600 && messages < manifest.messages; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(manifest.errors).toBe(0);
    expect(manifest.total).toBeGreaterThanOrEqual(500);
    expect(messages).toBe(manifest.messages);
  });

  it('Kafka output: records decoded through the registry match the manifest', async () => {
    const topic = uniqueName('it-sim');
    await createTopic(topic, 3);
    cleanups.push(async () => {
      const admin = kafkaClient().admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic] }).finally(() => admin.disconnect());
    });
    const { manifest } = await runSimulator({ ...runEnv, SIM_OUTPUT: 'kafka', KAFKA_TOPIC: topic });
    expect(manifest.errors).toBe(0);

    const registry = new SchemaRegistry(
      { host: stackEndpoints.registryUrl },
      { [SchemaType.AVRO]: { logicalTypes: AVRO_LOGICAL_TYPES } },
    );
    const compat = await fetch(`${stackEndpoints.registryUrl}/config/${topic}-value`);
    expect(((await compat.json()) as { compatibilityLevel: string }).compatibilityLevel).toBe('BACKWARD');

    const consumer = kafkaClient().consumer({ groupId: uniqueName('it-sim-group') });
    cleanups.push(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const records: SensorReading[] = [];
    const problems: string[] = [];
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ message }) => {
        const r = (await registry.decode(message.value!)) as SensorReading;
        if (message.key?.toString() !== r.device_id)
          problems.push(`key ${message.key?.toString()} for ${r.device_id}`);
        records.push(r);
        if (records.length >= manifest.messages) done();
      },
    });
    await Promise.race([all, new Promise((r) => setTimeout(r, 120_000))]);
    await consumer.disconnect();

    expect(problems).toEqual([]);
    expect(records).toHaveLength(manifest.messages);
    const rows = records.map((r) => ({
      reading_id: r.reading_id,
      device_id: r.device_id,
      timestamp_ms: r.timestamp.getTime(),
      value: r.value,
    }));
    const unique = uniqueRows(rows);
    expect(unique).toHaveLength(manifest.total);
    expect(manifestDigest(unique)).toBe(manifest.digest);
    expect(countPerDevice(unique as Array<DigestRow & { device_id: string }>)).toEqual(
      manifest.counts_per_device,
    );
    const sources = new Set(records.map((r) => `${r.source}/${r.time_source}`));
    expect([...sources].sort()).toEqual(['RUUVI_GATEWAY/GATEWAY', 'SIMULATOR/DEVICE']);
    const gatewayCopies = records.filter((r) => r.source === 'RUUVI_GATEWAY').length;
    const ruuviReadings = Object.entries(manifest.counts_per_device)
      .filter(([d]) => !d.startsWith('sim-'))
      .reduce((n, [, c]) => n + c, 0);
    expect(gatewayCopies).toBeGreaterThan(ruuviReadings); // duplicates delivered, counted once
  });
});
