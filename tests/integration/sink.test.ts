import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { TcpProxy } from '../support/tcp-proxy.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SensorReading } from '../../workloads/src/schema/index.js';
import { manifestDigest } from '../../workloads/src/simulator/manifest.js';
import {
  createTopic,
  grantStages,
  kafkaClient,
  stackConfig,
  stackEndpoints,
  stageKafkaEnv,
  uniqueName,
} from '../support/stack.js';
import {
  createTestDatabase,
  FLAVOURS,
  flavourTitle,
  flavourUnavailable,
  makeReadings,
  ReadingEncoder,
  sleep,
  waitFor,
  type TestDatabase,
} from './db-support.js';
import { onlyRow } from '../support/rows.js';

const cli = join(stackConfig.repoRoot, 'workloads', 'dist', 'cli.js');

/** A `node workloads/dist/cli.js sink` child; its stderr is kept for the checks. */
class SinkProcess {
  readonly child: ChildProcess;
  log = '';
  readonly exited: Promise<number | null>;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [cli, 'sink'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (b: Buffer) => (this.log += b.toString()));
    this.child.stderr!.on('data', (b: Buffer) => (this.log += b.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async metricsPort(): Promise<number> {
    const m = await waitFor(
      'the sink to start consuming',
      async () => /metrics :(\d+)/.exec(this.log),
      120_000,
      100,
    );
    return Number(m[1]);
  }

  killHard(): Promise<number | null> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

for (const flavor of FLAVOURS) {
  describe.skipIf(flavourUnavailable(flavor) !== undefined)(`iotpipe sink, ${flavourTitle(flavor)}`, () => {
    let db: TestDatabase;
    const proxy = new TcpProxy('127.0.0.1', stackConfig.postgres.port);
    const topic = uniqueName('it-sink');
    const dlqTopic = `${topic}-dlq`;
    const groupId = uniqueName('it-sink-group');
    const sinks: SinkProcess[] = [];
    const kafka = kafkaClient();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const encoder = new ReadingEncoder(topic);

    beforeAll(async () => {
      db = await createTestDatabase(`it_sink_${flavor}`);
      await createTopic(topic, 6);
      await createTopic(dlqTopic, 1);
      await grantStages({ topic, dlqTopic, sinkGroup: groupId }, ['sink']);
      await proxy.open();
      await producer.connect();
    });
    afterAll(async () => {
      for (const s of sinks) s.child.kill('SIGKILL');
      await Promise.all(sinks.map((s) => s.exited));
      await producer.disconnect();
      await proxy.cut();
      await db?.drop();
    });

    const startSink = () => {
      const s = new SinkProcess({
        KAFKA_TOPIC: topic,
        KAFKA_DLQ_TOPIC: dlqTopic,
        DATABASE_URL: db.urlVia(proxy.port),
        // The sink migrates the empty database itself, in this flavour.
        POSTGRES_FLAVOR: flavor,
        SCHEMA_REGISTRY_URL: stackEndpoints.registryUrl,
        SINK_GROUP_ID: groupId,
        SINK_CLIENT_ID: uniqueName('it-sink-client'),
        SINK_METRICS_PORT: '0',
        SINK_METRICS_HOST: '127.0.0.1',
        // Small batches make the run long enough for the kills to land mid-write.
        DATA_SINK_BATCH_SIZE: '50',
        DATA_SINK_COMMIT_INTERVAL: '0.2',
        SINK_RETRY_MAX_BACKOFF_MS: '2000',
        SINK_WRITE_TIMEOUT: '5',
        SINK_SESSION_TIMEOUT_MS: '10000',
        SINK_MAINTENANCE_INTERVAL: '5',
        ...stageKafkaEnv('sink'),
      });
      sinks.push(s);
      return s;
    };

    const produce = async (readings: SensorReading[]) => {
      for (let i = 0; i < readings.length; i += 500) {
        const chunk = readings.slice(i, i + 500);
        const messages = await Promise.all(
          chunk.map(async (r) => ({ key: r.device_id, value: await encoder.encode(r) })),
        );
        await producer.send({ topic, acks: -1, messages });
      }
    };

    const storedCount = async () => {
      const { exists } = onlyRow(
        await db.sql<{ exists: boolean }[]>`select to_regclass('sensor_readings') is not null as exists`,
      );
      if (!exists) return 0; // the first sink has not migrated yet
      const { n } = onlyRow(await db.sql<{ n: number }[]>`select count(*)::int as n from sensor_readings`);
      return n;
    };

    /** Waits until the sink is visibly writing (the row count moved), then a random moment more. */
    const killMidRun = async (s: SinkProcess) => {
      const before = await storedCount();
      await waitFor('the sink to be writing', async () => (await storedCount()) > before, 120_000, 50);
      await sleep(Math.random() * 400);
      const rowsAtKill = await storedCount();
      expect(await s.killHard()).toBe(null);
      return rowsAtKill;
    };

    it('20,000 readings land exactly once through 3 kill -9s, a rebalance and a 30 s database outage; bad records go to the DLQ', async () => {
      const N = 20_000;
      const readings = makeReadings(N, 200, 6 * 3_600_000);
      // A second gateway relaying 300 of the packets, stamped 1.5 s later: the same readings.
      const relayed = readings
        .filter((_, i) => i % 67 === 0)
        .map((r) => ({ ...r, timestamp: new Date(r.timestamp.getTime() + 1500), gateway_id: 'gw-2' }));
      const waves = [
        readings.slice(0, 5000),
        readings.slice(5000, 10000),
        readings.slice(10000, 14000),
        readings.slice(14000, 17000),
        [...readings.slice(17000), ...relayed],
      ];

      // Three records the database cannot take: not Avro at all, a CHECK violation, a NaN value.
      const poison = [
        { key: 'poison-1', value: Buffer.from('{"not":"avro"}') },
        {
          key: readings[1]!.device_id,
          value: await encoder.encode({ ...readings[1]!, reading_id: 'bad-battery', battery_level: 150 }),
        },
        {
          key: readings[2]!.device_id,
          value: await encoder.encode({ ...readings[2]!, reading_id: 'bad-nan', value: Number.NaN }),
        },
      ];
      await producer.send({ topic, acks: -1, messages: poison });

      await produce(waves[0]!);
      const a = startSink();
      const killedAt = [await killMidRun(a)];

      await produce(waves[1]!);
      const b = startSink();
      killedAt.push(await killMidRun(b));

      // Two members at once: the group splits the six partitions, and rebalances again when one dies.
      const c = startSink();
      const d = startSink();
      await produce(waves[2]!);
      killedAt.push(await killMidRun(c));
      expect(killedAt.every((n) => n > 0 && n < N)).toBe(true);

      // The database disappears for the sink (not for anyone else) for 30 s, with records pending.
      // A COMMIT the server received before the cut still completes after it: measure once settled.
      await proxy.cut();
      let beforeOutage = await storedCount();
      await waitFor(
        'commits sent before the cut to settle',
        async () => {
          await sleep(1000);
          const now = await storedCount();
          const settled = now === beforeOutage;
          beforeOutage = now;
          return settled;
        },
        30_000,
      );
      await produce(waves[3]!);
      await sleep(30_000);
      const duringOutage = await storedCount();
      await proxy.open();
      expect(duringOutage).toBe(beforeOutage);

      await produce(waves[4]!);
      const port = await d.metricsPort();
      await waitFor('all readings stored', async () => (await storedCount()) >= N, 240_000);
      const admin = kafka.admin();
      await admin.connect();
      try {
        const ends = await admin.fetchTopicOffsets(topic);
        await waitFor(
          'offsets committed to the end',
          async () => {
            const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
            return ends.every(
              (e) => committed!.partitions.find((p) => p.partition === e.partition)?.offset === e.high,
            );
          },
          120_000,
        );
      } finally {
        await admin.disconnect();
      }

      // Exactly the produced readings: none missing, none twice, values and times bit-equal.
      const rows = await db.sql<{ reading_id: string; ts: Date; value: number }[]>`
      select reading_id, "timestamp" as ts, value from sensor_readings`;
      expect(rows).toHaveLength(N);
      const stored = manifestDigest(
        rows.map((r) => ({ reading_id: r.reading_id, timestamp_ms: r.ts.getTime(), value: r.value })),
      );
      const expected = manifestDigest(
        readings.map((r) => ({
          reading_id: r.reading_id,
          timestamp_ms: r.timestamp.getTime(),
          value: r.value,
        })),
      );
      expect(stored).toBe(expected);
      const { gw2 } = onlyRow(
        await db.sql<
          { gw2: number }[]
        >`select count(*)::int as gw2 from sensor_readings where gateway_id = 'gw-2'`,
      );
      expect(gw2).toBe(0);

      // The surviving sink rode out the outage: logged once each way, metrics say connected again.
      expect(d.log).toMatch(/database unavailable/);
      expect(d.log).toMatch(/database available again/);
      expect(d.log.match(/database unavailable/g)!.length).toBeLessThan(5);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/^iot_sink_db_connected 1$/m);
      expect(metrics).toMatch(/^iot_sink_retries_total\{what="database"\} [1-9]/m);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

      // The three bad records are in the DLQ with their reasons (a replay may repeat one; none is missing).
      const letters = await readDeadLetters(dlqTopic, 3);
      const byReason = new Map(letters.map((l) => [l.error_code, l]));
      expect([...byReason.keys()].sort()).toEqual(['NOT_AVRO', 'SQLSTATE_23514']);
      const checkReasons = letters
        .filter((l) => l.error_code === 'SQLSTATE_23514')
        .map((l) => l.reason)
        .join(' ');
      expect(checkReasons).toContain('sensor_readings_battery_level_check');
      expect(checkReasons).toContain('sensor_readings_value_check');
      const sources = new Set(letters.map((l) => l.source));
      expect(sources.size).toBe(3);
      for (const l of letters) {
        expect(l.stage).toBe('sink');
        expect(l.source.startsWith(`${topic}/`)).toBe(true);
      }
      expect(letters.find((l) => l.error_code === 'NOT_AVRO')!.original.toString()).toBe('{"not":"avro"}');

      // The sink migrated the database in the flavour it was given.
      const flavours = await db.sql<{ flavor: string }[]>`select distinct flavor from schema_migrations`;
      expect(flavours).toEqual([{ flavor }]);

      // A clean stop exits 0.
      d.child.kill('SIGTERM');
      expect(await d.exited).toBe(0);
    });
  });
}

interface Letter {
  stage: string;
  reason: string;
  error_code: string;
  source: string;
  original: Buffer;
}

async function readDeadLetters(topic: string, atLeast: number): Promise<Letter[]> {
  const registry = new SchemaRegistry({ host: stackEndpoints.registryUrl });
  const consumer = kafkaClient().consumer({ groupId: uniqueName('it-sink-dlq-reader') });
  const letters: Letter[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        letters.push((await registry.decode(message.value!)) as Letter);
      },
    });
    await waitFor('dead letters', async () => letters.length >= atLeast, 60_000, 200);
  } finally {
    await consumer.disconnect();
  }
  return letters;
}
