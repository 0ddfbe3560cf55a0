import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, StageProcess, waitUntil } from '../../bench/harness/stage.js';
import type { SensorReading } from '../../workloads/src/schema/index.js';
import {
  GATEWAY_COUNTERS,
  parseGatewayStatus,
  parsePayload,
  PayloadError,
} from '../../workloads/src/sources/index.js';
import { GATEWAY_COUNTER_METRICS } from '../../workloads/src/adapter/gateways.js';
import {
  createTopic,
  grantStages,
  kafkaClient,
  stackConfig,
  stackEndpoints,
  stageKafkaEnv,
  uniqueName,
} from '../support/stack.js';
import { createTestDatabase, type TestDatabase } from './db-support.js';
import { publisher, scrape } from './adapter-support.js';

/**
 * The gateway firmware and the platform agree: what the firmware's own code publishes for the
 * shared vectors (firmware/host-test/encode_messages: the scanner, relay buffer and message
 * builders of ruuvi_core, built on the host) goes through Mosquitto, the adapter and the sink,
 * and every reading lands in the database exactly once with the values, times and RSSI the
 * platform's parser gives. Both kinds of message the firmware sends are covered: with a synced
 * clock (numeric ts/gwts) and without (cnt). The topic prefix is not the default one, so the
 * adapter must honour ADAPTER_RUUVI_TOPIC_PREFIX; the gateway's status becomes metrics.
 */

const RUUVI_PREFIX = 'home/ruuvi';
const firmwareDir = join(stackConfig.repoRoot, 'firmware');
const buildDir = join(firmwareDir, 'build-host');

interface Published {
  topic: string;
  payload: string;
}

/** Runs the firmware's encoder (built here, incrementally, as make test-firmware builds it). */
function encode(
  gatewayMac: string,
  tagPrefix: string,
  ts: number | null,
): { messages: Published[]; status: Published } {
  execFileSync(
    'cmake',
    [
      '-S',
      join(firmwareDir, 'host-test'),
      '-B',
      buildDir,
      '-DCMAKE_BUILD_TYPE=Debug',
      '-DRUUVI_SANITIZE=OFF',
    ],
    {
      stdio: 'ignore',
    },
  );
  execFileSync('cmake', ['--build', buildDir, '--target', 'encode_messages'], { stdio: 'ignore' });
  const out = execFileSync(
    join(buildDir, 'encode_messages'),
    [
      join(firmwareDir, 'test-vectors', 'ruuvi.json'),
      RUUVI_PREFIX,
      gatewayMac,
      tagPrefix,
      ts === null ? '-' : String(ts),
    ],
    { encoding: 'utf8' },
  );
  const lines = out
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
  const pick = (kind: string) =>
    lines.filter((l) => l[0] === kind).map(([, topic, payload]) => ({ topic: topic!, payload: payload! }));
  const [status] = pick('status');
  return { messages: pick('message'), status: status! };
}

/** Three random octets "AA:BB:CC", the first with the two top bits set as in a BLE random static address. */
function randomOctets(): string {
  const b = randomBytes(3);
  b[0] = (b[0]! & 0x3f) | 0xc0;
  return [...b].map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

describe("the firmware's messages through Mosquitto, the adapter and the sink", () => {
  const id = uniqueName('it-fw');
  const prefix = `${id}/`;
  const topic = `${id}-readings`;
  const dlq = `${id}-dlq`;
  const gatewayMac = `${randomOctets()}:${randomOctets()}`;
  const ts = Math.floor(Date.now() / 1000) - 3600;
  let dir = '';
  let db: TestDatabase;
  let adapter: StageProcess;
  let sink: StageProcess;
  let adapterPort = 0;
  let pub: MqttClient;
  let synced: ReturnType<typeof encode>;
  let unsynced: ReturnType<typeof encode>;

  beforeAll(async () => {
    synced = encode(gatewayMac, randomOctets(), ts);
    unsynced = encode(gatewayMac, randomOctets(), null);
    dir = await mkdtemp(join(tmpdir(), `${id}-`));
    await createTopic(topic, 3);
    await createTopic(dlq, 1);
    await grantStages({ topic, dlqTopic: dlq, sinkGroup: `${id}-sink` }, ['adapter', 'sink']);
    db = await createTestDatabase('it_fw');
    adapterPort = await freePort();
    const common = {
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      KAFKA_BOOTSTRAP_SERVERS: stackEndpoints.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: stackEndpoints.registryUrl,
    };
    adapter = new StageProcess(
      ['adapter'],
      {
        ...common,
        ...stageKafkaEnv('adapter'),
        ADAPTER_TOPIC_PREFIX: prefix,
        ADAPTER_RUUVI_TOPIC_PREFIX: RUUVI_PREFIX,
        ADAPTER_MQTT_CLIENT_ID: `${id}-adapter`,
        ADAPTER_SESSION_EXPIRY_S: '300',
        ADAPTER_METRICS_PORT: String(adapterPort),
        ADAPTER_METRICS_HOST: '127.0.0.1',
      },
      join(dir, 'adapter.log'),
    );
    sink = new StageProcess(
      ['sink'],
      {
        ...common,
        ...stageKafkaEnv('sink'),
        DATABASE_URL: db.url,
        SINK_GROUP_ID: `${id}-sink`,
        SINK_METRICS_PORT: String(await freePort()),
        SINK_METRICS_HOST: '127.0.0.1',
        DATA_SINK_COMMIT_INTERVAL: '1',
      },
      join(dir, 'sink.log'),
    );
    adapter.start();
    sink.start();
    await waitUntil(
      'adapter ready',
      async () => (await fetch(`http://127.0.0.1:${adapterPort}/readyz`)).ok,
      120_000,
    );
    pub = await publisher();
  }, 300_000);

  afterAll(async () => {
    await pub?.endAsync();
    await adapter?.stop();
    await sink?.stop();
    await db?.drop().catch(() => {});
    const admin = kafkaClient().admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => {});
    await admin.disconnect();
  }, 120_000);

  it('stores every reading exactly once, with its values, time source and RSSI (127: unknown)', async () => {
    const all = [...synced.messages, ...unsynced.messages];
    // The firmware's messages as the firmware writes them: numbers for ts/gwts, cnt without a clock.
    expect(synced.messages.every((m) => /"gwts":\d+,"ts":\d+,/.test(m.payload))).toBe(true);
    expect(unsynced.messages.every((m) => /"cnt":\d+,/.test(m.payload) && !m.payload.includes('"ts"'))).toBe(
      true,
    );
    expect(all.some((m) => m.payload.includes('"rssi":127,'))).toBe(true);

    const started = Date.now();
    for (const m of all) await pub.publishAsync(`${prefix}${m.topic}`, m.payload, { qos: 1 });

    // What the platform's own parser makes of each message: the readings the database must hold,
    // or the reason the message goes to the dead-letter topic (the vector whose every field is
    // "not available" is relayed as the gateway heard it, and carries no measurement).
    // A reading's id: <device>#<sequence>, or <device>@<time> without a sequence (format 3),
    // and without a gateway clock that time is the adapter's receipt, unknown here.
    const identity = (
      r: Pick<SensorReading, 'reading_id' | 'device_id' | 'measurement_sequence' | 'time_source'>,
    ) =>
      r.measurement_sequence === null && r.time_source === 'ADAPTER'
        ? `${r.device_id}@(receipt)`
        : r.reading_id;
    const expected = new Map<string, SensorReading>();
    const deadLetters: string[] = [];
    for (const m of all) {
      try {
        for (const r of parsePayload(
          'ruuvi_gateway',
          m.topic,
          Buffer.from(m.payload),
          new Date(),
          RUUVI_PREFIX,
        )) {
          expected.set(identity(r), r);
        }
      } catch (e) {
        if (!(e instanceof PayloadError)) throw e;
        deadLetters.push(e.code);
      }
    }
    // (formats 5, 6 and E1 each have such a vector, in both runs)
    expect(deadLetters.length).toBeGreaterThan(0);
    expect(new Set(deadLetters)).toEqual(new Set(['NO_MEASUREMENTS']));
    expect(expected.size).toBeGreaterThan(100);

    const count = async () =>
      Number((await db.sql<{ n: string }[]>`select count(*)::text as n from sensor_readings`)[0]?.n);
    await waitUntil(`${expected.size} rows`, async () => (await count()) >= expected.size, 180_000);
    // Give a duplicate (which must not exist) the chance to arrive.
    await new Promise((r) => setTimeout(r, 3000));

    const rows = await db.sql<
      {
        reading_id: string;
        device_id: string;
        measurement_sequence: string | null;
        ts_ms: string;
        value: number;
        signal_strength: number | null;
        gateway_id: string | null;
        time_source: string;
        source: string;
      }[]
    >`select reading_id, device_id, measurement_sequence::text, (extract(epoch from "timestamp") * 1000)::bigint::text as ts_ms, value,
         signal_strength, gateway_id, time_source, source from sensor_readings`;
    expect(rows.length, 'rows').toBe(expected.size);
    expect(new Set(rows.map((r) => r.reading_id)).size, 'distinct reading ids').toBe(rows.length);
    let unknownRssi = 0;
    for (const row of rows) {
      const want = expected.get(
        identity({
          ...row,
          measurement_sequence: row.measurement_sequence === null ? null : Number(row.measurement_sequence),
          time_source: row.time_source as SensorReading['time_source'],
        }),
      );
      expect(want, row.reading_id).toBeDefined();
      if (want!.reading_id !== row.reading_id) expect(row.reading_id).toBe(`${row.device_id}@${row.ts_ms}`);
      expect(row.value, row.reading_id).toBeCloseTo(want!.value, 9);
      expect(row.signal_strength, row.reading_id).toBe(want!.signal_strength);
      expect(row.gateway_id).toBe(gatewayMac.toLowerCase());
      expect(row.source).toBe('RUUVI_GATEWAY');
      expect(row.time_source).toBe(want!.time_source);
      if (want!.time_source === 'GATEWAY') expect(Number(row.ts_ms)).toBe(ts * 1000);
      else expect(Number(row.ts_ms)).toBeGreaterThanOrEqual(started - 1000);
      if (row.signal_strength === null) unknownRssi++;
    }
    expect(unknownRssi, 'readings with RSSI 127 stored as unknown').toBeGreaterThan(0);
    expect(
      rows.some((r) => r.time_source === 'GATEWAY') && rows.some((r) => r.time_source === 'ADAPTER'),
    ).toBe(true);

    // Those went to the dead-letter topic with their reason, and nothing else did.
    let dead: [string, number][] = [];
    await waitUntil(
      `${deadLetters.length} dead letters`,
      async () => {
        dead = [...(await scrape(adapterPort))].filter(([k]) =>
          k.startsWith('mqtt_adapter_dlq_messages_total'),
        );
        return dead.reduce((n, [, v]) => n + v, 0) >= deadLetters.length;
      },
      60_000,
    );
    expect(dead, await readFile(join(dir, 'adapter.log'), 'utf8')).toEqual([
      ['mqtt_adapter_dlq_messages_total{error_code="NO_MEASUREMENTS"}', deadLetters.length],
    ]);
  });

  it("turns the gateway's status into metrics: every counter, its levels, online", async () => {
    const status = parseGatewayStatus(
      unsynced.status.topic,
      Buffer.from(unsynced.status.payload),
      RUUVI_PREFIX,
    );
    expect(status.report).not.toBeNull();
    await pub.publishAsync(`${prefix}${unsynced.status.topic}`, unsynced.status.payload, {
      qos: 1,
      retain: false,
    });
    const gateway = gatewayMac.toLowerCase();
    let m = new Map<string, number>();
    await waitUntil(
      'gateway metrics',
      async () => {
        m = await scrape(adapterPort);
        return m.get(`mqtt_adapter_gateway_online{gateway="${gateway}"}`) === 1;
      },
      60_000,
    );
    for (const c of GATEWAY_COUNTERS) {
      const { metric, labelValue } = GATEWAY_COUNTER_METRICS[c];
      const labels =
        metric.label === undefined
          ? `gateway="${gateway}"`
          : `gateway="${gateway}",${metric.label}="${labelValue!}"`;
      expect(m.get(`${metric.name}{${labels}}`), c).toBe(status.report!.counters[c]);
    }
    expect(m.get(`mqtt_adapter_gateway_accepted_total{gateway="${gateway}"}`)).toBe(unsynced.messages.length);
    expect(m.get(`mqtt_adapter_gateway_tags{gateway="${gateway}"}`)).toBe(status.report!.tags);
    expect(
      m.get(`mqtt_adapter_gateway_last_message_timestamp_seconds{gateway="${gateway}"}`),
    ).toBeGreaterThan(ts);
  });
});
