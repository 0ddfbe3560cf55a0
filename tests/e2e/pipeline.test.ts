import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestDigest, type Manifest } from '../../workloads/src/simulator/manifest.js';
import { createTestDatabase, type TestDatabase } from '../integration/db-support.js';
import { StageProcess } from '../../bench/harness/stage.js';
import {
  createTopic,
  grantStages,
  kafkaClient,
  localStack,
  stackEndpoints,
  stageKafkaEnv,
  uniqueName,
} from '../support/stack.js';

/**
 * The whole path on the real local stack: simulator -> Mosquitto -> adapter -> Kafka -> sink ->
 * PostgreSQL. Each run has its own MQTT prefix, topics, consumer group and database; the
 * database must hold exactly the simulator's manifest: none missing, none twice, values equal.
 */

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

class PipelineRun {
  readonly id = uniqueName('e2e');
  readonly prefix = `${this.id}/`;
  readonly topic = `${this.id}-readings`;
  readonly dlq = `${this.id}-dlq`;
  dir = '';
  db!: TestDatabase;
  adapter!: StageProcess;
  sink!: StageProcess;
  adapterPort = 0;
  sinkPort = 0;

  async setup(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), `${this.id}-`));
    await createTopic(this.topic, 6);
    await createTopic(this.dlq, 3);
    await grantStages({ topic: this.topic, dlqTopic: this.dlq, sinkGroup: `${this.id}-sink` }, [
      'adapter',
      'sink',
    ]);
    this.db = await createTestDatabase('e2e');
    this.adapterPort = await freePort();
    this.sinkPort = await freePort();
    const common = {
      KAFKA_TOPIC: this.topic,
      KAFKA_DLQ_TOPIC: this.dlq,
      KAFKA_BOOTSTRAP_SERVERS: stackEndpoints.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: stackEndpoints.registryUrl,
    };
    this.adapter = new StageProcess(
      ['adapter'],
      {
        ...common,
        ...stageKafkaEnv('adapter'),
        ADAPTER_TOPIC_PREFIX: this.prefix,
        ADAPTER_MQTT_CLIENT_ID: `${this.id}-adapter`,
        ADAPTER_METRICS_PORT: String(this.adapterPort),
        ADAPTER_METRICS_HOST: '127.0.0.1',
      },
      join(this.dir, 'adapter.log'),
    );
    this.sink = new StageProcess(
      ['sink'],
      {
        ...common,
        ...stageKafkaEnv('sink'),
        DATABASE_URL: this.db.url,
        SINK_GROUP_ID: `${this.id}-sink`,
        SINK_METRICS_PORT: String(this.sinkPort),
        SINK_METRICS_HOST: '127.0.0.1',
        SINK_SESSION_TIMEOUT_MS: '10000',
        DATA_SINK_COMMIT_INTERVAL: '1',
      },
      join(this.dir, 'sink.log'),
    );
  }

  async startStages(): Promise<void> {
    this.adapter.start();
    this.sink.start();
    // The adapter's MQTT sessions must exist before the simulator publishes.
    await waitUntil(
      'adapter ready',
      async () => (await fetch(`http://127.0.0.1:${this.adapterPort}/readyz`)).ok,
      120_000,
    );
  }

  /** Runs the simulator to completion; returns its manifest. */
  async simulate(args: string[]): Promise<Manifest> {
    const manifestPath = join(this.dir, 'manifest.json');
    const sim = new StageProcess(
      [
        'simulate',
        '--topic-prefix',
        `${this.prefix}iotpipe/sim`,
        '--ruuvi-topic-prefix',
        `${this.prefix}ruuvi`,
        '--manifest',
        manifestPath,
        '--manifest-readings',
        join(this.dir, 'manifest-readings.jsonl'),
        // Simulated time in the past, so 'recent' queries and partitions see real-looking data.
        '--start',
        String(Date.now() - 6 * 3600_000),
        ...args,
      ],
      { SIM_MQTT_CLIENT_ID: `${this.id}-sim` },
      join(this.dir, 'simulator.log'),
    );
    sim.start();
    const code = await sim.wait();
    expect(code, await readFile(sim.logFile, 'utf8')).toBe(0);
    return JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
  }

  async stored(): Promise<{ rows: number; distinct: number; digest: string }> {
    const rows = await this.db.sql<{ reading_id: string; ts: string; value: number }[]>`
      select reading_id, (extract(epoch from "timestamp") * 1000)::bigint::text as ts, value
      from sensor_readings`;
    const distinct = new Set(rows.map((r) => r.reading_id)).size;
    const digest = manifestDigest(
      rows.map((r) => ({ reading_id: r.reading_id, timestamp_ms: Number(r.ts), value: r.value })),
    );
    return { rows: rows.length, distinct, digest };
  }

  async count(): Promise<number> {
    const [row] = await this.db.sql<{ n: string }[]>`select count(*)::text as n from sensor_readings`;
    return Number(row?.n ?? 0);
  }

  async waitForRows(expected: number, timeoutMs: number): Promise<void> {
    await waitUntil(`${expected} rows`, async () => (await this.count()) >= expected, timeoutMs);
    // Give stragglers (a duplicate that should not be there) the chance to show up.
    await new Promise((r) => setTimeout(r, 3000));
  }

  async teardown(): Promise<void> {
    await this.adapter?.stop();
    await this.sink?.stop();
    await this.db?.drop().catch(() => {});
    const admin = kafkaClient().admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [this.topic, this.dlq] }).catch(() => {});
    await admin.disconnect();
  }
}

const SIM_LOAD = [
  '--count',
  '100000',
  '--rate',
  '20000',
  '--devices',
  '2000',
  '--ruuvi-tags',
  '40',
  '--gateways',
  '2',
  '--duplicate-gateways',
  '0.3',
  '--batch-size',
  '500',
  '--seed',
  '4242',
];

describe('pipeline end to end on the local stack', () => {
  describe('steady run', () => {
    const run = new PipelineRun();
    beforeAll(() => run.setup(), 120_000);
    afterAll(() => run.teardown(), 120_000);

    it('100,000 simulated readings land in the database exactly once, values equal', async () => {
      await run.startStages();
      const manifest = await run.simulate(SIM_LOAD);
      expect(manifest.total).toBeGreaterThanOrEqual(100_000);
      await run.waitForRows(manifest.total, 600_000);
      const stored = await run.stored();
      expect(stored.rows - stored.distinct, 'duplicates').toBe(0);
      expect(stored.rows, 'rows').toBe(manifest.total);
      expect(stored.digest, 'digest of reading_id|timestamp|value').toBe(manifest.digest);
    });
  });

  describe('with faults', () => {
    const run = new PipelineRun();
    beforeAll(() => run.setup(), 120_000);
    afterAll(() => run.teardown(), 120_000);

    it('the sink killed -9 three times and PostgreSQL stopped for 30 s: still exactly the manifest', async () => {
      const stack = localStack();
      await run.startStages();
      const simulation = run.simulate(SIM_LOAD);
      const faults = (async () => {
        for (let k = 0; k < 3; k++) {
          // A random moment while data flows.
          await new Promise((r) => setTimeout(r, 1500 + Math.random() * 2500));
          await run.sink.kill9();
          await new Promise((r) => setTimeout(r, 500));
          run.sink.start();
        }
        await new Promise((r) => setTimeout(r, 2000));
        // The real server, stopped: the supervisor's stop is PostgreSQL's fast shutdown, which
        // disconnects every session, the sink's mid-transaction ones included.
        await stack.supervisor.stop('postgres');
        try {
          expect(await stack.postgres.startupProbe()).toMatchObject({ ok: false });
          await new Promise((r) => setTimeout(r, 30_000));
        } finally {
          await stack.supervisor.start('postgres');
        }
      })();
      const [manifest] = await Promise.all([simulation, faults]);
      expect(run.sink.starts).toBe(4);
      await run.waitForRows(manifest.total, 600_000);
      const stored = await run.stored();
      expect(stored.rows - stored.distinct, 'duplicates').toBe(0);
      expect(stored.rows, 'rows').toBe(manifest.total);
      expect(stored.digest).toBe(manifest.digest);
      expect(run.sink.running, 'the sink survived the outage').toBe(true);
    });
  });
});
