// Benchmark of `iotpipe simulate` (not a test): how fast it generates alone, and how fast it
// delivers to the local stack's Mosquitto and Kafka. Run on a running local stack:
//   node --import tsx bench/simulator.ts [quick]
// Results print as a table and are written to bench/results/simulator-<time>.json.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { loadSimulatorConfig } from '../workloads/src/simulator/config.js';
import { ReadingGenerator } from '../workloads/src/simulator/generator.js';
import { ManifestBuilder } from '../workloads/src/simulator/manifest.js';
import { genericJson } from '../workloads/src/simulator/payloads.js';
import { Simulator } from '../workloads/src/simulator/simulator.js';
import { generatorOptions, MemoryOutput } from '../workloads/src/simulator/testing.js';
import {
  adminKafkaEnv,
  createTopic,
  kafkaClient,
  stackConfig,
  stackEndpoints,
  uniqueName,
} from '../tests/support/stack.js';

const quick = process.argv.includes('quick');
const scale = quick ? 0.2 : 1;
const results: Array<Record<string, string | number>> = [];
const log = (line: string) => process.stderr.write(`${line}\n`);

const connectionEnv = {
  MQTT_URL: stackEndpoints.mqttUrl,
  MQTT_USERNAME: stackConfig.mqtt.user,
  MQTT_PASSWORD: stackConfig.mqtt.password,
  KAFKA_BOOTSTRAP_SERVERS: stackEndpoints.kafkaBrokers.join(','),
  // A measuring tool: the stack's admin account.
  ...adminKafkaEnv,
  SCHEMA_REGISTRY_URL: stackEndpoints.registryUrl,
};

/** CPU time of this process (the simulator) as % of one core over the run's wall time. */
function cpuPercent(since: NodeJS.CpuUsage, elapsedMs: number): number {
  const used = process.cpuUsage(since);
  return Math.round((used.user + used.system) / 10 / elapsedMs);
}

function record(row: Record<string, string | number>): void {
  results.push(row);
  log(JSON.stringify(row));
}

/** Generation alone: generator + manifest (with digest lines), optionally JSON serialisation. */
function pureGeneration(name: string, devices: number, tags: number, n: number, serialise: boolean): void {
  const gen = new ReadingGenerator(generatorOptions({ numDevices: devices, ruuviTags: tags, gateways: 4 }));
  const manifest = new ManifestBuilder(true);
  let bytes = 0;
  const t0 = performance.now();
  while (manifest.total < n) {
    const u = gen.next();
    if (u.kind === 'generic') {
      manifest.add({
        ...u.reading,
        reading_id: `${u.reading.device_id}#${u.reading.sequence}`,
        anomaly: u.anomaly,
      });
      if (serialise) bytes += JSON.stringify(genericJson(u.reading)).length;
    } else if (u.kind === 'ruuvi') for (const r of u.readings) manifest.add(r);
  }
  const seconds = (performance.now() - t0) / 1000;
  record({
    scenario: name,
    readings: manifest.total,
    seconds: +seconds.toFixed(2),
    readings_per_s: Math.round(manifest.total / seconds),
    json_bytes: bytes,
  });
}

interface SubscriberCounts {
  messages: number;
  readings: number;
  first_ms: number;
  last_ms: number;
}

/** A subscriber in its own process (so it does not share the simulator's CPU): counts and parses. */
function startSubscriber(topics: string[]): Promise<{ done: Promise<SubscriberCounts> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, 'subscribe', ...topics], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolveReady, rejectReady) => {
    const done = new Promise<SubscriberCounts>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.startsWith('ready\n')) resolveReady({ done });
      });
      child.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`subscriber exited ${code}`));
        resolve(JSON.parse(out.slice('ready\n'.length)) as SubscriberCounts);
      });
    });
    child.on('error', rejectReady);
  });
}

async function subscriberMain(topics: string[]): Promise<void> {
  const client = await mqtt.connectAsync(stackEndpoints.mqttUrl, {
    clientId: uniqueName('bench-sub'),
    username: stackConfig.mqtt.user,
    password: stackConfig.mqtt.password,
  });
  const counts: SubscriberCounts = { messages: 0, readings: 0, first_ms: 0, last_ms: 0 };
  let idle: NodeJS.Timeout | undefined;
  const finish = () => {
    // Not awaited: called from event handlers; the process exits in the continuation.
    void client.endAsync(true).then(() => {
      process.stdout.write(JSON.stringify(counts));
      process.exit(0);
    });
  };
  client.on('message', (_topic, payload) => {
    const now = performance.timeOrigin + performance.now();
    if (counts.messages === 0) counts.first_ms = now;
    counts.last_ms = now;
    counts.messages++;
    const json = JSON.parse(payload.toString('utf8')) as unknown;
    counts.readings += Array.isArray(json) ? json.length : 1;
    clearTimeout(idle);
    idle = setTimeout(finish, 3000);
  });
  await client.subscribeAsync(topics, { qos: 1 });
  process.stdout.write('ready\n');
  idle = setTimeout(finish, 120_000);
}

async function mqttRun(name: string, env: Record<string, string>): Promise<void> {
  const id = uniqueName('bench-sim');
  const prefixes = { SIM_MQTT_TOPIC_PREFIX: `${id}/sim`, SIM_RUUVI_TOPIC_PREFIX: `${id}/ruuvi` };
  const sub = await startSubscriber([`${id}/sim/#`, `${id}/ruuvi/#`]);
  const sim = new Simulator(
    loadSimulatorConfig({ ...connectionEnv, SIM_SEED: '1', SIM_RATE: '10000000', ...prefixes, ...env }),
    { log: () => {} },
  );
  const cpu0 = process.cpuUsage();
  const r = await sim.run();
  const cpu = cpuPercent(cpu0, r.elapsedMs);
  const got = await sub.done;
  const deliverySeconds = (got.last_ms - got.first_ms) / 1000;
  record({
    scenario: name,
    readings: r.manifest.total,
    messages: r.manifest.messages,
    seconds: +(r.elapsedMs / 1000).toFixed(2),
    readings_per_s: Math.round(r.readingsPerSec),
    messages_per_s: Math.round(r.messagesPerSec),
    subscriber_messages: got.messages,
    // Ruuvi copies from a second gateway count once in the manifest, once per message here
    subscriber_readings_per_s: Math.round(got.readings / Math.max(deliverySeconds, 0.001)),
    delivered: got.messages === r.manifest.messages ? 'all' : `${got.messages}/${r.manifest.messages}`,
    errors: r.manifest.errors,
    simulator_cpu_pct: cpu,
  });
}

async function kafkaRun(name: string, env: Record<string, string>): Promise<void> {
  const topic = uniqueName('bench-sim');
  try {
    // right after another topic's deletion the controller may briefly answer "unknown topic"
    for (let attempt = 0; ; attempt++) {
      try {
        await createTopic(topic, 6);
        break;
      } catch (e) {
        if (attempt >= 5) throw e;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    const sim = new Simulator(
      loadSimulatorConfig({
        ...connectionEnv,
        SIM_SEED: '1',
        SIM_RATE: '10000000',
        SIM_OUTPUT: 'kafka',
        KAFKA_TOPIC: topic,
        ...env,
      }),
      { log: () => {} },
    );
    const cpu0 = process.cpuUsage();
    const r = await sim.run();
    const cpu = cpuPercent(cpu0, r.elapsedMs);
    const admin = kafkaClient().admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    const inTopic = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    record({
      scenario: name,
      readings: r.manifest.total,
      records: r.manifest.messages,
      seconds: +(r.elapsedMs / 1000).toFixed(2),
      readings_per_s: Math.round(r.readingsPerSec),
      records_per_s: Math.round(r.messagesPerSec),
      delivered: inTopic === r.manifest.messages ? 'all' : `${inTopic}/${r.manifest.messages}`,
      errors: r.manifest.errors,
      simulator_cpu_pct: cpu,
    });
  } catch (e) {
    log(`kafka scenario ${name} failed: ${(e as Error).message}`);
  }
}

/** One shard of a run in a child process; prints its result as JSON. */
async function shardMain(envJson: string): Promise<void> {
  const sim = new Simulator(
    loadSimulatorConfig({ ...connectionEnv, ...(JSON.parse(envJson) as Record<string, string>) }),
    {
      log: () => {},
    },
  );
  const r = await sim.run();
  process.stdout.write(
    JSON.stringify({
      total: r.manifest.total,
      messages: r.manifest.messages,
      errors: r.manifest.errors,
      elapsedMs: r.elapsedMs,
    }),
  );
}

/** The same fleet split over `processes` simulator processes (--shard i/n), run at once. */
async function shardedKafkaRun(name: string, processes: number, env: Record<string, string>): Promise<void> {
  const topic = uniqueName('bench-sim');
  await createTopic(topic, 6);
  const runs = Array.from({ length: processes }, (_, i) => {
    const childEnv = {
      SIM_SEED: '1',
      SIM_RATE: '10000000',
      SIM_OUTPUT: 'kafka',
      KAFKA_TOPIC: topic,
      ...env,
      SIM_SHARD: `${i}/${processes}`,
    };
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', import.meta.filename, 'shard', JSON.stringify(childEnv)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    return new Promise<{ total: number; messages: number; errors: number; elapsedMs: number }>(
      (resolve, reject) =>
        child.on('exit', (code) =>
          code === 0 ? resolve(JSON.parse(out) as never) : reject(new Error(`shard exited ${code}`)),
        ),
    );
  });
  const results = await Promise.all(runs);
  const admin = kafkaClient().admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  const inTopic = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  const total = results.reduce((n, r) => n + r.total, 0);
  const messages = results.reduce((n, r) => n + r.messages, 0);
  const seconds = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
  record({
    scenario: name,
    readings: total,
    records: messages,
    seconds: +seconds.toFixed(2),
    readings_per_s: Math.round(total / seconds),
    records_per_s: Math.round(messages / seconds),
    delivered: inTopic === messages ? 'all' : `${inTopic}/${messages}`,
    errors: results.reduce((n, r) => n + r.errors, 0),
  });
}

async function main(): Promise<void> {
  const n = (x: number) => String(Math.round(x * scale));
  const generic = {
    IOT_NUM_DEVICES: '5000',
    SIM_RUUVI_TAGS: '0',
    SIM_BATCH_SIZE: '1000',
    SIM_MANIFEST: '/dev/null',
  };
  if (process.argv.includes('kafka-only')) {
    await kafkaRun('kafka: 5000 devices, batch 1000, 1 producer', { ...generic, SIM_COUNT: n(500_000) });
    await shardedKafkaRun('kafka: 5000 devices, 2 processes (--shard)', 2, {
      ...generic,
      SIM_COUNT: n(250_000),
    });
    console.table(results);
    return;
  }
  pureGeneration('generate: 5000 generic devices', 5000, 0, 1_000_000 * scale, false);
  pureGeneration('generate + JSON: 5000 generic devices', 5000, 0, 1_000_000 * scale, true);
  pureGeneration('generate: 1000 RuuviTags (encode+decode)', 0, 1000, 500_000 * scale, false);
  {
    const sim = new Simulator(
      loadSimulatorConfig({
        SIM_SEED: '1',
        SIM_RATE: '10000000',
        IOT_NUM_DEVICES: '5000',
        SIM_RUUVI_TAGS: '0',
        SIM_COUNT: n(1_000_000),
        SIM_MANIFEST: '/dev/null',
      }),
      { output: new MemoryOutput(false), log: () => {} },
    );
    const r = await sim.run();
    record({
      scenario: 'simulator loop, null output',
      readings: r.manifest.total,
      readings_per_s: Math.round(r.readingsPerSec),
    });
  }
  await mqttRun('mqtt: 5000 devices, batch 1000, 1 connection', { ...generic, SIM_COUNT: n(1_000_000) });
  await mqttRun('mqtt: 5000 devices, batch 1000, 4 connections', {
    ...generic,
    SIM_COUNT: n(1_000_000),
    SIM_CONNECTIONS: '4',
  });
  await mqttRun('mqtt: 5000 devices, batch 1 (one reading per message)', {
    ...generic,
    SIM_BATCH_SIZE: '1',
    SIM_COUNT: n(100_000),
    SIM_CONNECTIONS: '2',
    SIM_MAX_IN_FLIGHT: '500',
  });
  await mqttRun('mqtt: 1000 RuuviTags, 4 gateways, 20% duplicates', {
    IOT_NUM_DEVICES: '0',
    SIM_RUUVI_TAGS: '1000',
    SIM_GATEWAYS: '4',
    SIM_DUPLICATE_GATEWAYS: '0.2',
    SIM_COUNT: n(350_000),
    SIM_CONNECTIONS: '2',
    SIM_MAX_IN_FLIGHT: '500',
    SIM_MANIFEST: '/dev/null',
  });
  await kafkaRun('kafka: 5000 devices, batch 1000, 1 producer', { ...generic, SIM_COUNT: n(500_000) });
  await kafkaRun('kafka: 5000 devices, batch 1000, 3 producers', {
    ...generic,
    SIM_COUNT: n(500_000),
    SIM_CONNECTIONS: '3',
  });
  await shardedKafkaRun('kafka: 5000 devices, 2 processes (--shard)', 2, {
    ...generic,
    SIM_COUNT: n(250_000),
  });
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `simulator-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ quick, results }, null, 2)}\n`);
  console.table(results);
  log(`written ${file}`);
}

if (process.argv[2] === 'subscribe') await subscriberMain(process.argv.slice(3));
else if (process.argv[2] === 'shard') await shardMain(process.argv[3]!);
else await main();
