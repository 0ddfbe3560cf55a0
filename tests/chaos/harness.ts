import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { expect } from 'vitest';
import { manifestDigest, type Manifest } from '../../workloads/src/simulator/manifest.js';
import { createTestDatabase, type TestDatabase } from '../integration/db-support.js';
import { loadAdapterConfig } from '../../workloads/src/adapter/config.js';
import { StageProcess } from '../../bench/harness/stage.js';
import { KAFKA_ACCOUNTS, stackKafkaConfig } from '../../local/src/index.js';
import {
  createTopic,
  grantStages,
  stackConfig,
  stackEndpoints,
  stageKafkaEnv,
  uniqueName,
} from '../support/stack.js';
import { StackFaults, sleep } from './faults.js';
import { writeRow, type ChaosRow } from './report.js';

/**
 * One chaos scenario's pipeline on the local stack: its own MQTT prefix, topics, database,
 * consumer groups, client ids and metrics ports; adapter, sink and processor as processes
 * (`iotpipe <stage>`, exactly as users run them); the simulator as steady load. After the
 * faults it drains and compares the database with the simulator's manifest.
 */

export interface ChaosOptions {
  /** File key and table order, e.g. '5-services'. */
  readonly scenario: string;
  /** The table's description of what was broken. */
  readonly title: string;
  /** Readings per second the simulator offers. */
  readonly rate?: number;
  /** Readings in all (the load lasts count / rate seconds). */
  readonly count?: number;
  /** Brokers the pipeline uses (default: the stack's three). */
  readonly kafkaBrokers?: readonly string[];
  readonly adapterEnv?: Record<string, string>;
  readonly sinkEnv?: Record<string, string>;
  /** Point the sink at the database through another port (a proxy); default the server's own. */
  readonly sinkDbPort?: number;
}

export interface ChaosResult extends ChaosRow {
  readonly digestEqual: boolean;
  readonly processorLag: number;
  readonly unhealthy: string[];
}

/**
 * CHAOS_ADAPTER_KAFKA_CLIENT=kafkajs|platformatic runs the adapter on that Kafka client
 * (ADAPTER_KAFKA_CLIENT); unset, the adapter's default. The row's title names a client other
 * than the default, so such a run is not mistaken for the default's.
 */
function adapterKafkaClientEnv(): Record<string, string> {
  const client = process.env.CHAOS_ADAPTER_KAFKA_CLIENT;
  return client ? { ADAPTER_KAFKA_CLIENT: client } : {};
}

function adapterKafkaClientNote(): string {
  const client = process.env.CHAOS_ADAPTER_KAFKA_CLIENT;
  return client && client !== loadAdapterConfig({}).kafkaClient ? ` (adapter on ${client})` : '';
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

/** The value of one un-labelled metric from a Prometheus text endpoint (NaN when absent). */
export async function metric(port: number, name: string): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  let sum = Number.NaN;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      const v = Number(line.slice(line.lastIndexOf(' ') + 1));
      sum = Number.isNaN(sum) ? v : sum + v;
    }
  }
  return sum;
}

/** Resident set size of a process in bytes, from /proc (0 when it is gone). */
export async function rssBytes(pid: number | undefined): Promise<number> {
  if (!pid) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

export class ChaosRun {
  readonly id: string;
  readonly prefix: string;
  readonly topic: string;
  readonly dlq: string;
  readonly alerts: string;
  readonly dir: string;
  readonly faults = new StackFaults();
  readonly brokers: readonly string[];
  readonly rate: number;
  readonly count: number;
  db!: TestDatabase;
  adapter!: StageProcess;
  sink!: StageProcess;
  processor!: StageProcess;
  adapterPort = 0;
  sinkPort = 0;
  processorPort = 0;
  private simulation?: Promise<Manifest>;
  private simulator?: StageProcess;
  private readonly heals: Array<{ at: number; sent: number; recoveredAt?: number }> = [];
  private watcher?: Promise<void>;
  private watching = false;
  readonly notes: string[] = [];
  private readonly marks: string[] = [];
  private clean = false;

  constructor(readonly options: ChaosOptions) {
    this.id = uniqueName(`chaos${options.scenario.split('-')[0]}`);
    this.prefix = `${this.id}/`;
    this.topic = `${this.id}-readings`;
    this.dlq = `${this.id}-dlq`;
    this.alerts = `${this.id}-alerts`;
    this.dir = join(stackConfig.stateDir, 'chaos', 'runs', this.id);
    this.brokers = options.kafkaBrokers ?? stackEndpoints.kafkaBrokers;
    this.rate = options.rate ?? 1000;
    this.count = options.count ?? 40_000;
  }

  get manifestReadingsPath(): string {
    return join(this.dir, 'manifest-readings.jsonl');
  }

  kafka(): Kafka {
    return new Kafka({
      clientId: `${this.id}-test`,
      brokers: [...this.brokers],
      // The run's own client (topics, reading results): the admin account, on either cluster.
      ...stackKafkaConfig(stackConfig, KAFKA_ACCOUNTS.admin),
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 5000 },
    });
  }

  async setup(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // Against the stack or this run's own brokers (scenario 3), the same durability: RF 3, min ISR 2.
    const onOwnBrokers = this.options.kafkaBrokers ? this.kafka() : undefined;
    await createTopic(this.topic, 6, undefined, undefined, onOwnBrokers);
    await createTopic(this.dlq, 3, undefined, undefined, onOwnBrokers);
    await createTopic(this.alerts, 3, undefined, undefined, onOwnBrokers);
    // Each stage runs as its own account, allowed exactly this run's topics and groups.
    await grantStages(
      {
        topic: this.topic,
        dlqTopic: this.dlq,
        alertsTopic: this.alerts,
        sinkGroup: `${this.id}-sink`,
        processorGroup: `${this.id}-processor`,
      },
      undefined,
      this.kafka(),
    );
    this.db = await createTestDatabase(`chaos${this.options.scenario.split('-')[0]}`);
    this.adapterPort = await freePort();
    this.sinkPort = await freePort();
    this.processorPort = await freePort();
    const common = {
      KAFKA_TOPIC: this.topic,
      KAFKA_DLQ_TOPIC: this.dlq,
      KAFKA_ALERTS_TOPIC: this.alerts,
      KAFKA_BOOTSTRAP_SERVERS: this.brokers.join(','),
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
        ...adapterKafkaClientEnv(),
        ...this.options.adapterEnv,
      },
      join(this.dir, 'adapter.log'),
    );
    this.sink = new StageProcess(
      ['sink'],
      {
        ...common,
        ...stageKafkaEnv('sink'),
        DATABASE_URL: this.options.sinkDbPort ? this.db.urlVia(this.options.sinkDbPort) : this.db.url,
        SINK_GROUP_ID: `${this.id}-sink`,
        SINK_CLIENT_ID: `${this.id}-sink`,
        SINK_METRICS_PORT: String(this.sinkPort),
        SINK_METRICS_HOST: '127.0.0.1',
        SINK_SESSION_TIMEOUT_MS: '10000',
        DATA_SINK_COMMIT_INTERVAL: '1',
        ...this.options.sinkEnv,
      },
      join(this.dir, 'sink.log'),
    );
    this.processor = new StageProcess(
      ['process'],
      {
        ...common,
        ...stageKafkaEnv('processor'),
        PROCESSOR_GROUP_ID: `${this.id}-processor`,
        PROCESSOR_CLIENT_ID: `${this.id}-processor`,
        PROCESSOR_METRICS_PORT: String(this.processorPort),
        PROCESSOR_METRICS_HOST: '127.0.0.1',
        PROCESSOR_FROM_BEGINNING: 'true',
      },
      join(this.dir, 'processor.log'),
    );
  }

  /** Starts the three stages and waits until each serves /readyz (the adapter's MQTT sessions exist). */
  async startStages(): Promise<void> {
    this.adapter.start();
    this.sink.start();
    this.processor.start();
    await this.waitReady('adapter', this.adapterPort);
    await this.waitReady('sink', this.sinkPort);
    await this.waitReady('processor', this.processorPort);
  }

  async waitReady(what: string, port: number, timeoutMs = 180_000): Promise<void> {
    await waitUntil(
      `${what} ready on :${port}`,
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
      timeoutMs,
    );
  }

  /** Starts the simulator's steady load in the background; finish() waits for it. */
  startLoad(extra: readonly string[] = []): void {
    this.simulator = new StageProcess(
      [
        'simulate',
        '--topic-prefix',
        `${this.prefix}iotpipe/sim`,
        '--ruuvi-topic-prefix',
        `${this.prefix}ruuvi`,
        '--manifest',
        join(this.dir, 'manifest.json'),
        '--manifest-readings',
        this.manifestReadingsPath,
        '--start',
        String(Date.now() - 6 * 3600_000),
        '--count',
        String(this.count),
        '--rate',
        String(this.rate),
        '--devices',
        '300',
        '--ruuvi-tags',
        '12',
        '--gateways',
        '2',
        '--duplicate-gateways',
        '0.3',
        '--batch-size',
        '50',
        ...extra,
      ],
      { SIM_MQTT_CLIENT_ID: `${this.id}-sim` },
      join(this.dir, 'simulator.log'),
    );
    const sim = this.simulator;
    sim.start();
    this.simulation = (async () => {
      const code = await sim.wait();
      if (code !== 0)
        throw new Error(`simulator exited ${code}: ${(await readFile(sim.logFile, 'utf8')).slice(-2000)}`);
      return JSON.parse(await readFile(join(this.dir, 'manifest.json'), 'utf8')) as Manifest;
    })();
    this.simulation.catch(() => {});
    this.watching = true;
    this.watcher = this.watchRecovery();
  }

  /** Readings the simulator has generated so far (lines of its manifest-readings file). */
  async sentSoFar(): Promise<number> {
    const text = await readFile(this.manifestReadingsPath, 'utf8').catch(() => '');
    let n = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
    return n;
  }

  async storedCount(): Promise<number> {
    const [row] = await this.db.sql<{ n: string }[]>`select count(*)::text as n from sensor_readings`;
    return Number(row?.n ?? 0);
  }

  /** Waits until a fraction of the load has been generated (a moment "while data flows"). */
  async whenSent(readings: number): Promise<void> {
    await waitUntil(`${readings} readings sent`, async () => (await this.sentSoFar()) >= readings, 300_000);
  }

  /**
   * The fault is healed (the broken part serves again): from now until the database holds
   * every reading that had been generated by this moment is this heal's recovery time.
   */
  async healed(what: string): Promise<void> {
    const sent = await this.sentSoFar();
    this.heals.push({ at: Date.now(), sent });
    this.notes.push(what);
    this.marks.push(`healed@${sent}`);
  }

  /** Notes where in the load a fault began (manifest line), for telling faults apart in a loss. */
  async faultBegins(what: string): Promise<void> {
    this.marks.push(`${what}@${await this.sentSoFar()}`);
  }

  private async watchRecovery(): Promise<void> {
    while (this.watching) {
      const open = this.heals.filter((h) => h.recoveredAt === undefined);
      if (open.length > 0) {
        const stored = await this.storedCount().catch(() => -1);
        const now = Date.now();
        for (const h of open) if (stored >= h.sent) h.recoveredAt = now;
      }
      await sleep(250);
    }
  }

  /** The worst recovery of this run, in seconds (null when nothing was healed or never recovered). */
  recoverySeconds(): number | null {
    if (this.heals.length === 0) return null;
    let worst = 0;
    for (const h of this.heals) {
      if (h.recoveredAt === undefined) return null;
      worst = Math.max(worst, h.recoveredAt - h.at);
    }
    return worst / 1000;
  }

  /** Waits for the load to end and the pipeline to drain; compares; writes the row. */
  async finish(): Promise<ChaosResult> {
    if (!this.simulation) throw new Error('startLoad() was not called');
    const manifest = await this.simulation;
    // Drain: until every reading is stored, or nothing has moved for 90 s (then it is loss).
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      const n = await this.storedCount().catch(() => last);
      if (n >= manifest.total) break;
      if (n !== last) {
        last = n;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > 90_000) break;
      await sleep(500);
    }
    // Stragglers (a duplicate that should not be there) get their chance to show up.
    await sleep(3000);
    this.watching = false;
    await this.watcher;

    const rows = await this.db.sql<{ reading_id: string; ts: string; value: number }[]>`
      select reading_id, (extract(epoch from "timestamp") * 1000)::bigint::text as ts, value
      from sensor_readings`;
    const storedIds = new Set(rows.map((r) => r.reading_id));
    const duplicates = rows.length - storedIds.size;
    let lost = 0;
    let sent = 0;
    const lostExamples: string[] = [];
    const lostRanges = new RangeSet();
    const lostIds: string[] = [];
    const lines = createInterface({ input: createReadStream(this.manifestReadingsPath) });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      sent++;
      const id = (JSON.parse(line) as { reading_id: string }).reading_id;
      if (!storedIds.has(id)) {
        lost++;
        if (lostExamples.length < 3) lostExamples.push(id);
        lostRanges.add(sent - 1);
        if (lostIds.length < 500) lostIds.push(id);
      }
    }
    if (lost > 0) this.notes.push(await this.whereLost(lostIds));
    if (lost > 0)
      this.notes.push(
        `lost e.g. ${lostExamples.join(', ')} at manifest lines ${lostRanges.toString()}; sent by fault: ${this.marks.join(', ')}`,
      );
    const digest = manifestDigest(
      rows.map((r) => ({ reading_id: r.reading_id, timestamp_ms: Number(r.ts), value: r.value })),
    );
    const processorLag = await this.processorCatchUp();
    const unhealthy = await this.faults.unhealthy();
    const row: ChaosRow = {
      scenario: this.options.scenario,
      title: `${this.options.title}${adapterKafkaClientNote()}`,
      sent: manifest.total,
      stored: rows.length,
      duplicates,
      lost,
      recoverySeconds: this.recoverySeconds(),
      at: new Date().toISOString(),
      notes: [...this.notes],
    };
    if (sent !== manifest.total)
      row.notes.push(`manifest-readings has ${sent} lines, manifest total ${manifest.total}`);
    this.clean = lost === 0 && duplicates === 0;
    await writeRow(row);
    return { ...row, digestEqual: digest === manifest.digest, processorLag, unhealthy };
  }

  /**
   * Where did lost readings go missing? Reads the scenario's topic from the start and looks for
   * each lost reading id in the records' bytes (Avro writes strings as plain UTF-8): found means
   * Kafka has it and the sink lost it; not found means it never reached Kafka (MQTT or adapter).
   */
  async whereLost(ids: readonly string[]): Promise<string> {
    const wanted = new Map(ids.map((id) => [id, Buffer.from(id)]));
    const found = new Set<string>();
    const consumer = this.kafka().consumer({ groupId: `${this.id}-diagnose` });
    const admin = this.kafka().admin();
    try {
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(this.topic);
      const remaining = new Map(ends.map((e) => [e.partition, Number(e.high)]));
      for (const [p, high] of remaining) if (high === 0) remaining.delete(p);
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await new Promise<void>((resolve) => {
        if (remaining.size === 0) resolve();
        const timer = setTimeout(resolve, 60_000);
        // Not awaited: run() resolves once the consumer starts; the messages resolve the wait.
        void consumer.run({
          eachMessage: async ({ partition, message }) => {
            const value = message.value;
            if (value)
              for (const [id, bytes] of wanted) if (!found.has(id) && value.includes(bytes)) found.add(id);
            if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
    }
    return `of ${ids.length} lost readings checked, ${found.size} are in Kafka (lost by the sink) and ${ids.length - found.size} never reached Kafka (lost before it: Mosquitto or the adapter)`;
  }

  /** The processor's consumer-group lag, once it has had up to 60 s to reach 0. */
  async processorCatchUp(): Promise<number> {
    return this.groupCatchUp(`${this.id}-processor`);
  }

  /** A consumer group's lag on the scenario's topic, once it has had up to 60 s to reach 0. */
  async groupCatchUp(groupId: string, waitMs = 60_000): Promise<number> {
    const admin = this.kafka().admin();
    await admin.connect();
    try {
      const lagNow = async () => {
        const ends = await admin.fetchTopicOffsets(this.topic);
        const [committed] = await admin.fetchOffsets({
          groupId,
          topics: [this.topic],
        });
        let lag = 0;
        for (const e of ends) {
          const c = committed?.partitions.find((p) => p.partition === e.partition);
          const at = c && Number(c.offset) >= 0 ? Number(c.offset) : 0;
          lag += Number(e.high) - at;
        }
        return lag;
      };
      let lag = await lagNow();
      const deadline = Date.now() + waitMs;
      while (lag > 0 && Date.now() < deadline) {
        await sleep(1000);
        lag = await lagNow();
      }
      return lag;
    } finally {
      await admin.disconnect();
    }
  }

  /** Stops every stage (also the simulator), drops the database and topics. Safe after a failure. */
  async teardown(keepLogs = true): Promise<void> {
    this.watching = false;
    await this.simulator?.stop();
    await this.adapter?.stop();
    await this.sink?.stop();
    await this.processor?.stop();
    await this.db?.drop().catch(() => {});
    const admin = this.kafka().admin();
    await admin
      .connect()
      .then(() => admin.deleteTopics({ topics: [this.topic, this.dlq, this.alerts] }))
      .catch(() => {})
      .finally(() => admin.disconnect().catch(() => {}));
    if (!keepLogs) await rm(this.dir, { recursive: true, force: true });
    // The logs stay; the big per-reading file only when readings were lost or doubled.
    else if (this.clean) await rm(this.manifestReadingsPath, { force: true });
  }
}

/** The verdict every scenario ends with: exactly once, values equal, everything healthy again. */
export function expectExactlyOnce(r: ChaosResult): void {
  expect(r.lost, `lost readings (${r.notes.join('; ')})`).toBe(0);
  expect(r.duplicates, 'duplicate rows').toBe(0);
  expect(r.stored, 'rows stored').toBe(r.sent);
  expect(r.digestEqual, 'digest of reading_id|timestamp|value equals the manifest').toBe(true);
  expect(r.processorLag, 'processor consumer-group lag after the run').toBe(0);
  expect(r.unhealthy, 'stack parts not healthy at the end').toEqual([]);
}

/** Consecutive integers folded into ranges, for short loss reports. */
class RangeSet {
  private readonly ranges: Array<[number, number]> = [];
  add(n: number): void {
    const last = this.ranges[this.ranges.length - 1];
    if (last && last[1] === n - 1) last[1] = n;
    else this.ranges.push([n, n]);
  }
  toString(): string {
    const shown = this.ranges.slice(0, 8).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
    return shown.join(' ') + (this.ranges.length > 8 ? ` (+${this.ranges.length - 8} more)` : '');
  }
}
