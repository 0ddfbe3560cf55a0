// Every IoTPipeline spec field has an effect. A field that configures a workload is proven here:
// the operator's own env builder (workloadProcess) makes the stage's environment from a spec
// with the field at its default and again with it changed, the stage runs in-process on the
// local stack from exactly that environment (Secrets resolved as the kubelet would), and an
// observation of what it did (topics, rows, alerts, MQTT traffic, connections) differs as
// expected. A field whose effect is on the Kubernetes objects the operator makes is proven by
// the named operator test, whose title this file checks exists.
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAGES, type Stage } from '@iotpipe/contract';
import { resolveNames } from '../../operator/src/children/names.js';
import { workloadProcess } from '../../operator/src/children/workload.js';
import {
  API_VERSION,
  defaultedSpec,
  KIND,
  specField,
  type IoTPipeline,
} from '../../operator/src/crd/iotpipeline.js';
import { loadAdapterConfig, MqttKafkaAdapter } from '../../workloads/src/adapter/index.js';
import { loadProcessorConfig, StreamProcessor } from '../../workloads/src/processor/index.js';
import { AVRO_OPTIONS } from '../../workloads/src/schema/avro-types.js';
import { loadSchemaText, type SensorReading } from '../../workloads/src/schema/index.js';
import { loadSimulatorConfig } from '../../workloads/src/simulator/config.js';
import { Simulator } from '../../workloads/src/simulator/simulator.js';
import { loadSinkConfig } from '../../workloads/src/sink/config.js';
import { KafkaSink } from '../../workloads/src/sink/sink.js';
import { onlyRow } from '../support/rows.js';
import { createTopic, kafkaClient, stackConfig, stackEndpoints, uniqueName } from '../support/stack.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { collect, decodeConfluent, scrape, topicSize, waitFor } from './adapter-support.js';
import { createTestDatabase, makeReadings, type TestDatabase } from './db-support.js';

type Spec = Record<string, unknown>;
type Patch = (spec: Spec, run: Run) => void;

/** One run of a stage: the names its spec gives, and what the test set up for it. */
interface Run {
  readonly id: string;
  pipeline: IoTPipeline;
  readonly proxies: TcpProxy[];
  readonly log: string[];
}

interface WorkloadRow {
  readonly field: string;
  readonly stage: Exclude<Stage, 'simulator'> | 'simulator';
  /** The spec change (the other run keeps the field at its default). */
  readonly change: Patch;
  /** Drives the running stage and returns what it did. */
  readonly observe: (run: Run, stage: Running) => Promise<unknown>;
  readonly expect: { readonly default: unknown; readonly changed: unknown };
}

interface OperatorRow {
  readonly field: string;
  /** The test (file, title) that proves the field's effect on the objects the operator makes. */
  readonly provenBy: { readonly file: string; readonly title: string };
}

/** A field whose effect is not yet observable, said plainly (shows as a todo in the run). */
interface GapRow {
  readonly field: string;
  readonly gap: string;
}

const db: { main?: TestDatabase; other?: TestDatabase } = {};
let publisher: MqttClient;
let producer: Producer;

// --- the spec and the environment -----------------------------------------------------------

function baseSpec(id: string): Spec {
  return {
    mqtt: {
      brokerUrl: stackEndpoints.mqttUrl,
      credentialsSecret: { name: 'mqtt' },
      topicPrefix: `${id}/`,
      topicFilters: ['iotpipe/sim/#', 'ruuvitag/data'],
    },
    kafka: { topic: id, bootstrapServers: stackEndpoints.kafkaBrokers.join(',') },
    schema: { registryUrl: stackEndpoints.registryUrl },
    sink: { databaseSecret: { name: 'db', key: 'url' } },
    processor: { alertsTopic: `${id}-alerts` },
    simulator: { devices: 2, topicPrefix: 'iotpipe/sim' },
  };
}

function pipelineOf(id: string, spec: Spec): IoTPipeline {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    // A namespace per run: MQTT client ids and group names derive from it, so no run resumes
    // another's MQTT session or consumer group.
    metadata: { name: 'fields', namespace: id, uid: id },
    spec: defaultedSpec(spec),
  };
}

function secretValue(name: string, key: string): string {
  const secrets: Record<string, Record<string, string>> = {
    mqtt: { username: stackConfig.mqtt.user, password: stackConfig.mqtt.password },
    'mqtt-nobody': { username: 'nobody', password: 'not-a-password' },
    db: { url: db.main!.url },
    'db-other': { url: db.other!.url },
  };
  const value = secrets[name]?.[key];
  if (value === undefined) throw new Error(`no Secret ${name} key ${key}`);
  return value;
}

/**
 * The container's environment as the kubelet makes it from workloadProcess(): Secrets resolved,
 * the pod name from the downward API, $(VAR) expanded. Only what cannot be on a shared machine
 * is added: any free metrics port, and for the processor no start-up grace and quick sweeps.
 */
function containerEnv(stage: Stage, p: IoTPipeline): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of workloadProcess(stage, p).env) {
    let value: string;
    if (e.valueFrom && 'secretKeyRef' in e.valueFrom)
      value = secretValue(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
    else if (e.valueFrom) value = `${p.metadata.name}-${stage}-0`;
    else value = (e.value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, n: string) => env[n] ?? m);
    env[e.name] = value;
  }
  return {
    ...env,
    ADAPTER_METRICS_PORT: '0',
    SINK_METRICS_PORT: '0',
    PROCESSOR_METRICS_PORT: '0',
    ADAPTER_SESSION_EXPIRY_S: '60',
    PROCESSOR_STARTUP_GRACE_SECONDS: '0',
    PROCESSOR_SWEEP_INTERVAL_MS: '200',
    PROCESSOR_FROM_BEGINNING: 'true',
  };
}

/** Readings each simulator run sends (fast, in simulated time: SIM_RATE). */
const SIM_COUNT = 20;

// --- running a stage --------------------------------------------------------------------------

interface Running {
  readonly metricsPort: number;
  stop(): Promise<void>;
  /** The simulator's run: starts it and resolves when it sent everything. */
  readonly run?: () => Promise<void>;
}

async function startStage(stage: WorkloadRow['stage'], run: Run): Promise<Running> {
  const env = containerEnv(stage, run.pipeline);
  const log = (line: string) => run.log.push(line);
  switch (stage) {
    case 'adapter': {
      const a = new MqttKafkaAdapter(loadAdapterConfig(env), { info: log, warn: log });
      // start() waits for the MQTT connection, which a refused one never makes.
      const starting = a.start();
      let started = false;
      starting.then(() => (started = true), log);
      await waitFor(
        'the adapter running or refused',
        () => started || run.log.some((l) => MQTT_REFUSED.test(l)),
      );
      return { metricsPort: a.metricsPort, stop: () => a.stop() };
    }
    case 'sink': {
      const s = new KafkaSink(loadSinkConfig(env), log);
      await s.start();
      return { metricsPort: s.metricsPort, stop: () => s.stop() };
    }
    case 'processor': {
      const p = new StreamProcessor(loadProcessorConfig(env), log);
      await p.start();
      return { metricsPort: p.metricsPort, stop: () => p.stop() };
    }
    case 'simulator': {
      const sim = new Simulator(
        loadSimulatorConfig({ ...env, SIM_COUNT: String(SIM_COUNT), SIM_RATE: '200', SIM_SEED: '7' }),
        {
          log,
        },
      );
      // Started by the row's observation, once it listens (MQTT keeps nothing for a late subscriber).
      const run = async () => {
        await sim.start();
        await sim.finished();
      };
      return { metricsPort: 0, run, stop: async () => void (await sim.stop()) };
    }
  }
}

const MQTT_REFUSED = /not authori[sz]ed|bad user name/i;

// --- inputs and observations ----------------------------------------------------------------

const simMessage = (device: string, value: number, seq: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    device_id: `${device}_temperature`,
    device_type: 'temperature_sensor',
    timestamp: new Date().toISOString(),
    value,
    unit: '°C',
    sequence: seq,
    ...extra,
  });
const esp32Message = JSON.stringify({
  mac: 'C6:8D:C6:26:39:A6',
  temperature: 21.5,
  battery: 3.0,
  rssi: -70,
  sequence: 9,
});

async function publish(topic: string, payload: string): Promise<void> {
  await publisher.publishAsync(topic, payload, { qos: 1 });
}

/** The device ids of the readings on a topic, once `until` holds for them. */
async function readingDevices(topic: string, until: (ids: string[]) => boolean): Promise<string[]> {
  const { records, consumer } = await collect(topic);
  try {
    let ids: string[] = [];
    await waitFor(`readings on ${topic}`, async () => {
      ids = await Promise.all(
        records.map(async (r) => String((await decodeConfluent(r.value)).value.device_id)),
      );
      return until(ids);
    });
    return ids.sort();
  } finally {
    await consumer.disconnect();
  }
}

/** Alerts on a topic as `type device`, once `until` holds for them. */
async function alertsOn(topic: string, until: (alerts: string[]) => boolean): Promise<string[]> {
  const { records, consumer } = await collect(topic);
  try {
    let alerts: string[] = [];
    await waitFor(`alerts on ${topic}`, async () => {
      alerts = await Promise.all(
        records.map(async (r) => {
          const a = (await decodeConfluent(r.value)).value;
          return `${String(a.alert_type)} ${String(a.device_id)}`;
        }),
      );
      return until(alerts);
    });
    return alerts.sort();
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Publishes `inputs` and a marker reading, waits until the adapter handled all of them (received,
 * acknowledged, none in flight: the adapter writes concurrently, so the marker's record can land
 * before an earlier message's), and returns the device ids read from the topic, marker left out.
 */
async function afterMarker(
  run: Run,
  stage: Running,
  inputs: Array<[string, string]>,
  /** Messages the adapter subscribes to, the marker included (all, unless a row says fewer). */
  handled = inputs.length + 1,
): Promise<string[]> {
  for (const [topic, payload] of inputs) await publish(topic, payload);
  await publish(`${run.pipeline.spec.mqtt.topicPrefix}iotpipe/sim/marker`, simMessage('marker', 1, 1));
  await adapterHandled(stage, handled);
  const topic = resolveNames(run.pipeline).topic;
  const size = await topicSize(topic);
  return (await readingDevices(topic, (ids) => ids.length >= size)).filter((d) => d !== 'marker_temperature');
}

/** Waits until the adapter received `n` messages of its subscriptions, acknowledged them and holds none. */
async function adapterHandled(stage: Running, n: number): Promise<void> {
  await waitFor(`${n} messages handled`, async () => {
    const m = await scrape(stage.metricsPort);
    const received = [...m]
      .filter(([k]) => k.startsWith('mqtt_adapter_messages_received_total'))
      .reduce((sum, [, v]) => sum + v, 0);
    const acked = m.get('mqtt_adapter_delivery_latency_seconds_count') ?? 0;
    return received >= n && acked >= n && m.get('mqtt_adapter_in_flight_messages') === 0;
  });
}

/**
 * Readings in the Confluent wire format under `<topic>-value`, registered over the registry's
 * HTTP API and encoded with avsc (the subject's compatibility is left as the registry has it).
 */
const writers = new Map<string, { id: number; type: avro.Type }>();
async function produceReadings(run: Run, readings: SensorReading[]): Promise<void> {
  const topic = resolveNames(run.pipeline).topic;
  let writer = writers.get(topic);
  if (!writer) {
    const schema = loadSchemaText('sensor_reading');
    const res = await fetch(`${stackEndpoints.registryUrl}/subjects/${topic}-value/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema }),
    });
    if (!res.ok) throw new Error(`registering ${topic}-value: ${res.status} ${await res.text()}`);
    const { id } = (await res.json()) as { id: number };
    writer = { id, type: avro.Type.forSchema(JSON.parse(schema) as avro.Schema, { ...AVRO_OPTIONS }) };
    writers.set(topic, writer);
  }
  const w = writer;
  const messages = readings.map((r) => {
    const header = Buffer.alloc(5);
    header.writeInt32BE(w.id, 1);
    return { key: r.device_id, value: Buffer.concat([header, w.type.toBuffer(r)]) };
  });
  await producer.send({ topic, acks: -1, messages });
}

async function waitForRowsWritten(stage: Running, n: number): Promise<void> {
  await waitFor(
    `${n} rows written`,
    async () => ((await scrape(stage.metricsPort)).get('iot_sink_rows_written_total') ?? 0) >= n,
  );
}

/** This run's readings (device ids `<tag>-NN_<measurement>`, so runs sharing a database do not collide). */
const tagOf = (run: Run) => run.id.replace(/[^a-z0-9]/g, '').slice(-10);
function runReadings(run: Run, n: number, devices: number): SensorReading[] {
  return makeReadings(n, devices, 60_000).map((r) => {
    const device_id = r.device_id.replace(/^sim-/, `${tagOf(run)}-`);
    return { ...r, device_id, reading_id: r.reading_id.replace(r.device_id, device_id) };
  });
}

/** Rows of this run in `table`; 0 when the table does not exist (not made in that database). */
async function countRows(d: TestDatabase, table: string, run: Run): Promise<number> {
  const [{ exists } = { exists: false }] = await d.sql<
    { exists: boolean }[]
  >`select to_regclass(${table}) is not null as exists`;
  if (!exists) return 0;
  return onlyRow(
    await d.sql<
      { n: number }[]
    >`select count(*)::int as n from ${d.sql(table)} where device_id like ${`${tagOf(run)}-%`}`,
  ).n;
}

/** A reading of `device` (a `<name>_<measurement>` id) for the processor's rows. */
function reading(
  device: string,
  value: number,
  seq: number,
  over: Partial<SensorReading> = {},
): SensorReading {
  const [r] = makeReadings(1, 1, 1000);
  return {
    ...r!,
    device_id: device,
    reading_id: `${device}#${seq}`,
    device_type: 'temperature_sensor',
    value,
    measurement_sequence: seq,
    is_anomaly: false,
    battery_level: null,
    metadata: null,
    timestamp: new Date(Date.now() - 60_000 + seq * 100),
    ...over,
  };
}

/** MQTT messages under a topic filter while `during` runs, until `until` holds for them. */
async function mqttMessages(
  filter: string,
  during: () => Promise<void>,
  until: (topics: string[], all: Array<{ topic: string; payload: string }>) => boolean,
) {
  const sub = await mqtt.connectAsync(stackEndpoints.mqttUrl, {
    username: stackConfig.mqtt.user,
    password: stackConfig.mqtt.password,
    clientId: uniqueName('it-fields-sub'),
  });
  const seen: Array<{ topic: string; payload: string }> = [];
  sub.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
  try {
    await sub.subscribeAsync(filter, { qos: 1 });
    await during();
    await waitFor(`messages on ${filter}`, () =>
      until(
        seen.map((m) => m.topic),
        seen,
      ),
    );
    return seen;
  } finally {
    await sub.endAsync();
  }
}

/** The simulated readings of a simulator run, from its MQTT messages under the run's prefix. */
async function simulatedReadings(run: Run, stage: Running): Promise<Array<Record<string, unknown>>> {
  const readingsOf = (ms: Array<{ payload: string }>) =>
    ms.flatMap((m) => {
      const parsed = JSON.parse(m.payload) as unknown;
      return (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>;
    });
  let seen: Array<{ payload: string }> = [];
  await mqttMessages(
    `${run.id}/#`,
    () => stage.run!(),
    (_topics, all) => readingsOf((seen = all)).length >= SIM_COUNT,
  );
  return readingsOf(seen);
}

// --- the table --------------------------------------------------------------------------------

/** A spec change: `value`, or a function of the run giving it (names derived from the run's id). */
const set =
  (path: string, value: unknown): Patch =>
  (spec, run) => {
    const [section, field] = path.split('.') as [string, string | undefined];
    const v = typeof value === 'function' ? (value as (r: Run) => unknown)(run) : value;
    if (field === undefined) spec[section] = v;
    else spec[section] = { ...(spec[section] as Spec), [field]: v };
  };

function proxyTo(url: string, run: Run): string {
  const u = new URL(url.includes('://') ? url : `tcp://${url}`);
  const proxy = new TcpProxy(u.hostname, Number(u.port));
  run.proxies.push(proxy);
  return `${u.protocol}//127.0.0.1:${PROXY_PORT_PLACEHOLDER}${u.pathname === '/' ? '' : u.pathname}`;
}
const PROXY_PORT_PLACEHOLDER = '{proxy}';

const WORKLOAD_ROWS: WorkloadRow[] = [
  {
    field: 'mqtt.payloadFormats',
    stage: 'adapter',
    change: set('mqtt.payloadFormats', ['simulator', 'ruuvi-gateway']),
    observe: async (run, stage) => {
      const read = await afterMarker(run, stage, [
        [`${run.pipeline.spec.mqtt.topicPrefix}ruuvitag/data`, esp32Message],
      ]);
      return { read, deadLettered: await topicSize(resolveNames(run.pipeline).dlqTopic) };
    },
    expect: {
      default: { read: ['c6:8d:c6:26:39:a6_temperature'], deadLettered: 0 },
      changed: { read: [], deadLettered: 1 },
    },
  },
  {
    field: 'mqtt.topicFilters',
    stage: 'adapter',
    change: set('mqtt.topicFilters', ['iotpipe/sim/#']),
    observe: (run, stage) =>
      afterMarker(
        run,
        stage,
        [[`${run.pipeline.spec.mqtt.topicPrefix}ruuvitag/data`, esp32Message]],
        run.pipeline.spec.mqtt.topicFilters.includes('ruuvitag/data') ? 2 : 1,
      ),
    expect: { default: ['c6:8d:c6:26:39:a6_temperature'], changed: [] },
  },
  {
    field: 'mqtt.topicPrefix',
    stage: 'adapter',
    change: set('mqtt.topicPrefix', (run: Run) => `${run.id}-x/`),
    observe: (run, stage) =>
      // Published under the run's default prefix; the marker under the run's own.
      afterMarker(
        run,
        stage,
        [[`${run.id}/iotpipe/sim/p`, simMessage('prefixed', 5, 1)]],
        run.pipeline.spec.mqtt.topicPrefix === `${run.id}/` ? 2 : 1,
      ),
    expect: { default: ['prefixed_temperature'], changed: [] },
  },
  {
    field: 'mqtt.sharedSubscriptionGroup',
    stage: 'adapter',
    change: set('mqtt.sharedSubscriptionGroup', (run: Run) => `g-${run.id}`),
    observe: async (run) => {
      // A rival in the group `g-<id>` shares the messages only with an adapter in that group.
      const group = `g-${run.id}`;
      const rival = await mqtt.connectAsync(stackEndpoints.mqttUrl, {
        username: stackConfig.mqtt.user,
        password: stackConfig.mqtt.password,
        clientId: uniqueName('it-fields-rival'),
      });
      let rivalGot = 0;
      rival.on('message', () => rivalGot++);
      try {
        await rival.subscribeAsync(`$share/${group}/${run.pipeline.spec.mqtt.topicPrefix}iotpipe/sim/#`, {
          qos: 1,
        });
        for (let i = 0; i < 20; i++)
          await publish(`${run.pipeline.spec.mqtt.topicPrefix}iotpipe/sim/s`, simMessage(`s${i}`, i, 1));
        const topic = resolveNames(run.pipeline).topic;
        // Every message reaches the adapter or the rival (both when the adapter does not share).
        let adapterRead = 0;
        await waitFor('all 20 delivered', async () => {
          adapterRead = await topicSize(topic);
          return adapterRead === 20 || (rivalGot < 20 && adapterRead + rivalGot === 20);
        });
        return { adapterReadAll: adapterRead === 20 };
      } finally {
        await rival.endAsync();
      }
    },
    expect: { default: { adapterReadAll: true }, changed: { adapterReadAll: false } },
  },
  {
    field: 'mqtt.brokerUrl',
    stage: 'adapter',
    change: set('mqtt.brokerUrl', (run: Run) => proxyTo(stackEndpoints.mqttUrl, run)),
    observe: async (run, stage) => {
      await afterMarker(run, stage, []);
      return { throughProxy: run.proxies.some((p) => p.connections > 0) };
    },
    expect: { default: { throughProxy: false }, changed: { throughProxy: true } },
  },
  {
    field: 'mqtt.credentialsSecret',
    stage: 'adapter',
    change: set('mqtt.credentialsSecret', { name: 'mqtt-nobody' }),
    observe: async (run) => {
      let outcome = '';
      await publish(`${run.pipeline.spec.mqtt.topicPrefix}iotpipe/sim/c`, simMessage('cred', 1, 1));
      await waitFor('delivered or refused', async () => {
        if (run.log.some((l) => MQTT_REFUSED.test(l))) outcome = 'refused';
        else if ((await topicSize(resolveNames(run.pipeline).topic)) > 0) outcome = 'delivered';
        return outcome !== '';
      });
      return outcome;
    },
    expect: { default: 'delivered', changed: 'refused' },
  },
  {
    field: 'kafka.topic',
    stage: 'adapter',
    change: set('kafka.topic', (run: Run) => `${run.id}-t`),
    observe: async (run, stage) => {
      await afterMarker(run, stage, []);
      return { topic: await topicSize(run.id), named: await topicSize(`${run.id}-t`) };
    },
    expect: { default: { topic: 1, named: 0 }, changed: { topic: 0, named: 1 } },
  },
  {
    field: 'kafka.dlqTopic',
    stage: 'adapter',
    change: set('kafka.dlqTopic', (run: Run) => `${run.id}-dead`),
    observe: async (run, stage) => {
      await afterMarker(run, stage, [[`${run.pipeline.spec.mqtt.topicPrefix}iotpipe/sim/bad`, '{not json']]);
      return { dlq: await topicSize(`${run.id}-dlq`), dead: await topicSize(`${run.id}-dead`) };
    },
    expect: { default: { dlq: 1, dead: 0 }, changed: { dlq: 0, dead: 1 } },
  },
  {
    field: 'kafka.bootstrapServers',
    stage: 'adapter',
    change: set('kafka.bootstrapServers', (run: Run) =>
      proxyTo(stackEndpoints.kafkaBrokers[0]!, run).replace('tcp://', ''),
    ),
    observe: async (run, stage) => {
      await afterMarker(run, stage, []);
      return { throughProxy: run.proxies.some((p) => p.connections > 0) };
    },
    expect: { default: { throughProxy: false }, changed: { throughProxy: true } },
  },
  {
    field: 'schema.registryUrl',
    stage: 'adapter',
    change: set('schema.registryUrl', (run: Run) => proxyTo(stackEndpoints.registryUrl, run)),
    observe: async (run, stage) => {
      await afterMarker(run, stage, []);
      return { throughProxy: run.proxies.some((p) => p.connections > 0) };
    },
    expect: { default: { throughProxy: false }, changed: { throughProxy: true } },
  },
  {
    field: 'sink.table',
    stage: 'sink',
    change: set('sink.table', (run: Run) => `fields_${tagOf(run)}`),
    observe: async (run, stage) => {
      await produceReadings(run, runReadings(run, 50, 5));
      await waitForRowsWritten(stage, 50);
      return {
        sensor_readings: await countRows(db.main!, 'sensor_readings', run),
        named: await countRows(db.main!, `fields_${tagOf(run)}`, run),
      };
    },
    expect: { default: { sensor_readings: 50, named: 0 }, changed: { sensor_readings: 0, named: 50 } },
  },
  {
    field: 'sink.batchSize',
    stage: 'sink',
    change: set('sink.batchSize', 1),
    observe: async (run, stage) => {
      await produceReadings(run, runReadings(run, 60, 3));
      await waitForRowsWritten(stage, 60);
      const batches = (await scrape(stage.metricsPort)).get('iot_sink_batch_size_count') ?? 0;
      return { onePerTransaction: batches >= 60 };
    },
    expect: { default: { onePerTransaction: false }, changed: { onePerTransaction: true } },
  },
  {
    field: 'sink.consumerGroup',
    stage: 'sink',
    change: set('sink.consumerGroup', (run: Run) => `${run.id}-group`),
    observe: async (run, stage) => {
      await produceReadings(run, runReadings(run, 10, 2));
      await waitForRowsWritten(stage, 10);
      const admin = kafkaClient().admin();
      await admin.connect();
      try {
        const topic = resolveNames(run.pipeline).topic;
        const committed = async (groupId: string) =>
          (await admin.fetchOffsets({ groupId, topics: [topic] }))
            .flatMap((t) => t.partitions)
            .reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
        const groups = { default: `${run.id}.fields-sink`, named: `${run.id}-group` };
        let committedBy = { default: 0, named: 0 };
        await waitFor('offsets committed', async () => {
          committedBy = { default: await committed(groups.default), named: await committed(groups.named) };
          return committedBy.default + committedBy.named >= 10;
        });
        return committedBy;
      } finally {
        await admin.disconnect();
      }
    },
    expect: { default: { default: 10, named: 0 }, changed: { default: 0, named: 10 } },
  },
  {
    field: 'sink.databaseSecret',
    stage: 'sink',
    change: set('sink.databaseSecret', { name: 'db-other', key: 'url' }),
    observe: async (run, stage) => {
      await produceReadings(run, runReadings(run, 20, 2));
      await waitForRowsWritten(stage, 20);
      return {
        main: await countRows(db.main!, 'sensor_readings', run),
        other: await countRows(db.other!, 'sensor_readings', run),
      };
    },
    expect: { default: { main: 20, other: 0 }, changed: { main: 0, other: 20 } },
  },
  {
    field: 'processor.alertsTopic',
    stage: 'processor',
    change: set('processor.alertsTopic', (run: Run) => `${run.id}-alerts-b`),
    observe: async (run) => {
      await produceReadings(run, [reading('aa:bb:cc:dd:ee:01_temperature', 20, 1, { is_anomaly: true })]);
      await alertsOn(run.pipeline.spec.processor.alertsTopic, (a) => a.length >= 1);
      return { topic: await topicSize(`${run.id}-alerts`), named: await topicSize(`${run.id}-alerts-b`) };
    },
    expect: { default: { topic: 1, named: 0 }, changed: { topic: 0, named: 1 } },
  },
  {
    field: 'processor.zScoreThreshold',
    stage: 'processor',
    change: set('processor.zScoreThreshold', 1.5),
    observe: async (run) => {
      const dev = 'aa:bb:cc:dd:ee:02_temperature';
      const warmup = Array.from({ length: 40 }, (_, i) =>
        reading(dev, 20 + (i % 2 === 0 ? 0.5 : -0.5), i + 1),
      );
      // 2.5 standard deviations out: an outlier at 1.5, not at the default 4; then a flagged marker.
      await produceReadings(run, [
        ...warmup,
        reading(dev, 21.25, 41),
        reading('marker_temperature', 1, 1, { is_anomaly: true }),
      ]);
      const alerts = await alertsOn(run.pipeline.spec.processor.alertsTopic, (a) =>
        a.some((x) => x.includes('marker')),
      );
      return alerts.filter((a) => !a.includes('marker'));
    },
    expect: { default: [], changed: ['STATISTICAL_OUTLIER aa:bb:cc:dd:ee:02_temperature'] },
  },
  {
    field: 'processor.batteryLowPercent',
    stage: 'processor',
    change: set('processor.batteryLowPercent', 50),
    observe: async (run) => {
      await produceReadings(run, [
        reading('sim-batt_temperature', 20, 1, { battery_level: 30, source: 'SIMULATOR' }),
        reading('marker_temperature', 1, 1, { is_anomaly: true }),
      ]);
      const alerts = await alertsOn(run.pipeline.spec.processor.alertsTopic, (a) =>
        a.some((x) => x.includes('marker')),
      );
      return alerts.filter((a) => !a.includes('marker'));
    },
    expect: { default: [], changed: ['BATTERY_LOW sim-batt'] },
  },
  {
    field: 'processor.silenceAfterSeconds',
    stage: 'processor',
    change: set('processor.silenceAfterSeconds', 1),
    observe: async (run, stage) => {
      await produceReadings(run, [reading('aa:bb:cc:dd:ee:03_temperature', 20, 1)]);
      // Sweeps run every 200 ms: wait for 3 s of them, then read what was published.
      await waitFor('the reading processed', async () =>
        [...(await scrape(stage.metricsPort))].some(
          ([k, v]) => k.startsWith('iot_messages_processed_total') && v >= 1,
        ),
      );
      const t0 = Date.now();
      await waitFor('3 s of sweeps', () => Date.now() - t0 > 3000);
      await produceReadings(run, [reading('marker_temperature', 1, 1, { is_anomaly: true })]);
      const alerts = await alertsOn(run.pipeline.spec.processor.alertsTopic, (a) =>
        a.some((x) => x.includes('marker')),
      );
      return alerts.filter((a) => !a.includes('marker'));
    },
    expect: { default: [], changed: ['DEVICE_SILENT aa:bb:cc:dd:ee:03_temperature'] },
  },
  {
    field: 'processor.thresholds',
    stage: 'processor',
    change: set('processor.thresholds', { temperature: { max: 30 } }),
    observe: async (run) => {
      await produceReadings(run, [
        reading('aa:bb:cc:dd:ee:04_temperature', 35, 1),
        reading('marker_temperature', 1, 1, { is_anomaly: true }),
      ]);
      const alerts = await alertsOn(run.pipeline.spec.processor.alertsTopic, (a) =>
        a.some((x) => x.includes('marker')),
      );
      return alerts.filter((a) => !a.includes('marker'));
    },
    expect: { default: [], changed: ['THRESHOLD_EXCEEDED aa:bb:cc:dd:ee:04_temperature'] },
  },
  {
    field: 'simulator.devices',
    stage: 'simulator',
    change: set('simulator', { devices: 5, topicPrefix: 'iotpipe/sim' }),
    observe: async (run, stage) =>
      new Set((await simulatedReadings(run, stage)).map((r) => r.device_id)).size,
    expect: { default: 2, changed: 5 },
  },
  {
    field: 'simulator.deviceTypes',
    stage: 'simulator',
    change: set('simulator', { devices: 2, topicPrefix: 'iotpipe/sim', deviceTypes: ['light'] }),
    observe: async (run, stage) =>
      [...new Set((await simulatedReadings(run, stage)).map((r) => r.device_type))].sort(),
    expect: { default: ['humidity_sensor', 'temperature_sensor'], changed: ['light_sensor'] },
  },
  {
    field: 'simulator.intervalSeconds',
    stage: 'simulator',
    change: set('simulator', { devices: 2, topicPrefix: 'iotpipe/sim', intervalSeconds: 60 }),
    observe: async (run, stage) => {
      const rs = (await simulatedReadings(run, stage)).filter((r) =>
        String(r.device_id).startsWith('sim-0001'),
      );
      const times = rs.map((r) => Date.parse(String(r.timestamp))).sort((a, b) => a - b);
      return (times[1]! - times[0]!) / 1000;
    },
    expect: { default: 1, changed: 60 },
  },
  {
    field: 'simulator.anomalyProbability',
    stage: 'simulator',
    change: set('simulator', { devices: 2, topicPrefix: 'iotpipe/sim', anomalyProbability: 1 }),
    observe: async (run, stage) => {
      // The payload does not say which readings are anomalous (the run's manifest does); the
      // values do: with every reading starting an anomaly, a temperature series spikes.
      const rs = (await simulatedReadings(run, stage)).filter((r) => r.device_id === 'sim-0001_temperature');
      const values = rs.map((r) => Number(r.value));
      const steps = values.slice(1).map((v, i) => Math.abs(v - values[i]!));
      return { spikes: steps.some((d) => d > 5) };
    },
    expect: { default: { spikes: false }, changed: { spikes: true } },
  },
  {
    field: 'simulator.topicPrefix',
    stage: 'simulator',
    change: set('simulator', { devices: 2, topicPrefix: 'iotpipe/sim/b' }),
    observe: async (run, stage) => {
      const messages = await mqttMessages(
        `${run.id}/#`,
        () => stage.run!(),
        (t) => t.length > 0,
      );
      return [...new Set(messages.map((m) => m.topic.split('/').slice(1, -1).join('/')))];
    },
    expect: { default: ['iotpipe/sim'], changed: ['iotpipe/sim/b'] },
  },
];

const OPERATOR_TEST = 'tests/operator/operator.test.ts';
const CHILDREN_TEST = 'operator/src/children/children.test.ts';
const CREATES =
  'creates the topics, the adapter StatefulSet, Deployments, ServiceMonitor and PrometheusRule with the spec values, registers the schema and reports conditions';
const OPERATOR_ROWS: OperatorRow[] = [
  ...[
    'kafka.partitions',
    'kafka.replicas',
    'kafka.minInSyncReplicas',
    'kafka.retentionMs',
    'kafka.cluster',
  ].map((field) => ({
    field,
    provenBy: {
      file: CHILDREN_TEST,
      title: 'KafkaTopics carry the Strimzi cluster label and the spec values',
    },
  })),
  { field: 'schema.subject', provenBy: { file: OPERATOR_TEST, title: CREATES } },
  { field: 'schema.compatibility', provenBy: { file: OPERATOR_TEST, title: CREATES } },
  {
    field: 'adapter.replicas',
    provenBy: {
      file: CHILDREN_TEST,
      title: 'the adapter shares its subscription only with several replicas or a group set in the spec',
    },
  },
  { field: 'sink.replicas', provenBy: { file: OPERATOR_TEST, title: CREATES } },
  {
    field: 'processor.enabled',
    provenBy: {
      file: CHILDREN_TEST,
      title: 'the simulator Deployment exists only with spec.simulator; the processor only when enabled',
    },
  },
  { field: 'processor.replicas', provenBy: { file: OPERATOR_TEST, title: CREATES } },
  { field: 'image', provenBy: { file: OPERATOR_TEST, title: CREATES } },
  {
    field: 'imagePullPolicy',
    provenBy: {
      file: CHILDREN_TEST,
      title:
        'each Deployment runs `node workloads/dist/cli.js <stage>` with env from the spec, secrets by reference',
    },
  },
  {
    field: 'resources',
    provenBy: {
      file: CHILDREN_TEST,
      title:
        'each Deployment runs `node workloads/dist/cli.js <stage>` with env from the spec, secrets by reference',
    },
  },
  {
    field: 'deletionPolicy',
    provenBy: { file: OPERATOR_TEST, title: 'deletion with deletionPolicy Delete deletes the KafkaTopics' },
  },
];

const GAP_ROWS: GapRow[] = [
  {
    field: 'sink.batchIntervalMs',
    gap: 'sets DATA_SINK_COMMIT_INTERVAL, the longest a fetch waits for SINK_FETCH_MIN_BYTES; with the default of 1 byte a fetch returns as soon as anything arrived, so the interval changes nothing observable',
  },
];

// --- the tests --------------------------------------------------------------------------------

/** The spec's fields: `section.field` for the sections, the name for the others (resources is one field). */
const SECTIONS = ['mqtt', 'kafka', 'schema', 'adapter', 'sink', 'processor', 'simulator'];
function specFields(): string[] {
  const props = (specField.schema as { properties: Record<string, { properties?: Record<string, unknown> }> })
    .properties;
  return Object.entries(props).flatMap(([name, p]) =>
    SECTIONS.includes(name) ? Object.keys(p.properties ?? {}).map((f) => `${name}.${f}`) : [name],
  );
}

describe('every IoTPipeline spec field has an effect', () => {
  beforeAll(async () => {
    db.main = await createTestDatabase('it_fields_main');
    db.other = await createTestDatabase('it_fields_other');
    publisher = await mqtt.connectAsync(stackEndpoints.mqttUrl, {
      username: stackConfig.mqtt.user,
      password: stackConfig.mqtt.password,
      clientId: uniqueName('it-fields-pub'),
    });
    producer = kafkaClient().producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await publisher?.endAsync();
    await db.main?.drop();
    await db.other?.drop();
  });

  it('each field is in exactly one row of this table', () => {
    const rows = [...WORKLOAD_ROWS, ...OPERATOR_ROWS, ...GAP_ROWS].map((r) => r.field);
    const missing = specFields().filter((f) => !rows.includes(f));
    const covered = new Set(WORKLOAD_ROWS.map((r) => r.field));
    // Fields every workload row exercises (the harness's spec sets them for each run).
    const implicit = ['mqtt.brokerUrl', 'kafka.topic', 'sink.databaseSecret'].filter((f) => covered.has(f));
    expect(missing.filter((f) => !implicit.includes(f))).toEqual([]);
    expect(rows.filter((f, i) => rows.indexOf(f) !== i)).toEqual([]);
    expect(rows.filter((f) => !specFields().includes(f))).toEqual([]);
  });

  it.each(OPERATOR_ROWS.map((r) => [r.field, r.provenBy.file, r.provenBy.title] as const))(
    '%s: proven on the objects the operator makes by %s > %s',
    (_field, file, title) => {
      expect(readFileSync(join(stackConfig.repoRoot, file), 'utf8')).toContain(title);
    },
  );

  for (const g of GAP_ROWS) it.todo(`${g.field}: no observable effect yet: ${g.gap}`);

  it.each(WORKLOAD_ROWS.map((r) => [r.field, r] as const))(
    '%s changes what the running stage does',
    async (_f, row) => {
      const results: unknown[] = [];
      for (const variant of ['default', 'changed'] as const) {
        const id = uniqueName('it-fields') + (variant === 'changed' ? '-b' : '');
        const run: Run = { id, pipeline: pipelineOf(id, baseSpec(id)), proxies: [], log: [] };
        const spec = baseSpec(id);
        if (variant === 'changed') row.change(spec, run);
        for (const proxy of run.proxies) await proxy.open();
        const withPorts = JSON.parse(
          JSON.stringify(spec).replaceAll(PROXY_PORT_PLACEHOLDER, String(run.proxies[0]?.port ?? 0)),
        ) as Spec;
        run.pipeline = pipelineOf(id, withPorts);
        // What the operator would create, and what the rows' changed names point at.
        for (const t of [id, `${id}-t`]) await createTopic(t, 3);
        for (const t of [`${id}-dlq`, `${id}-dead`, `${id}-alerts`, `${id}-alerts-b`])
          await createTopic(t, 1);
        const stage = await startStage(row.stage, run);
        try {
          results.push(await row.observe(run, stage));
        } finally {
          await stage.stop();
          for (const proxy of run.proxies) await proxy.cut();
        }
      }
      expect({ default: results[0], changed: results[1] }).toEqual(row.expect);
    },
  );
});

// Every stage the operator runs is exercised by some row.
const stagesCovered: readonly string[] = [...new Set(WORKLOAD_ROWS.map((r) => r.stage))];
if (STAGES.some((s) => !stagesCovered.includes(s))) throw new Error('a stage without a row');
