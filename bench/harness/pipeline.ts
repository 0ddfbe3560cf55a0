import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logLevel, type Admin } from 'kafkajs';
import postgres from 'postgres';
import { LocalStack, loadStackConfig } from '@iotpipe/local';
import { Migrator, type DbFlavor } from '../../workloads/src/db/migrator.js';
import { createKafka } from '../../workloads/src/kafka/client.js';
import { manifestDigest, type Manifest } from '../../workloads/src/simulator/manifest.js';
import type { BenchConfig, BenchVariant, StageKind } from './config.js';
import { allProcesses, clockTicksPerSec, treeSample } from './procstat.js';
import { freePort, StageProcess, waitUntil } from './stage.js';
import {
  achievedRate,
  cpuPercent,
  promValue,
  ratePerSec,
  summarizeLatencies,
  summarizeSeries,
  type LatencySummary,
  type SeriesSummary,
} from './stats.js';

export interface ProcessUsage {
  name: string;
  /** % of one core over the step (simulation + drain). */
  cpu_percent: number;
  /** Peak proportional set size (PSS: shared pages divided among their users), MiB. */
  rss_mib_max: number;
}

export interface StepResult {
  index: number;
  offered_per_s: number;
  /** What the simulator actually generated: readings / span of their timestamps. */
  sent_per_s: number;
  readings: number;
  /** MQTT messages the simulator published in the step (it batches what is due, up to its batch size). */
  messages: number;
  stored: number;
  duplicates: number;
  digest_match: boolean;
  exact: boolean;
  drained: boolean;
  drain_sec: number;
  /** stats.ts achievedRate: the sent rate, lowered by the latency the step built up. */
  achieved_per_s: number;
  /** ingested_at - timestamp per row, ms (see the report for what the ends are). */
  latency_ms: LatencySummary;
  /** Mean time of one sink transaction (COPY + INSERT + commit) during the step. */
  sink_tx_ms_mean: number;
  lag: {
    /** Readings created (their timestamp has passed) that Kafka has not confirmed from the adapter. */
    adapter_readings: SeriesSummary;
    adapter_in_flight_messages: SeriesSummary;
    /** Records in the topic after the sink group's committed offsets. */
    sink_records: SeriesSummary;
    processor_records: SeriesSummary;
    /** Readings created and not yet in the database (end to end). */
    database_readings: SeriesSummary;
  };
  dlq_records: number;
  processes: ProcessUsage[];
  stop_reason: string | null;
}

interface Sample {
  at: number;
  procs: Map<string, { ticks: number; rssBytes: number }>;
  adapterProduced: number;
  adapterInFlight: number;
  sinkTxSum: number;
  sinkTxCount: number;
  topicEnd: number;
  sinkCommitted: number;
  processorCommitted: number;
}

const STACK_PROGRAMS = ['kafka-1', 'kafka-2', 'kafka-3', 'postgres', 'mosquitto', 'registry'];

/**
 * One variant's pipeline on the local stack: its own topics, database, consumer groups, MQTT
 * prefix and client ids, with every stage as its own `iotpipe` process; runs steps on it.
 */
export class BenchPipeline {
  readonly topic: string;
  readonly dlq: string;
  readonly alerts: string;
  readonly prefix: string;
  private readonly stages: Array<{ kind: StageKind; proc: StageProcess; port: number }> = [];
  private readonly stackPids = new Map<string, number>();
  private readonly ticksPerSec = clockTicksPerSec();
  private admin?: Admin;
  private sql?: postgres.Sql;
  private databaseUrl = '';
  private databaseName = '';
  private flavor?: DbFlavor;

  constructor(
    private readonly config: BenchConfig,
    readonly variant: BenchVariant,
    readonly id: string,
    private readonly dir: string,
    private readonly log: (line: string) => void,
  ) {
    this.topic = `${id}-readings`;
    this.dlq = `${id}-dlq`;
    this.alerts = `${id}-alerts`;
    this.prefix = `${id}/`;
  }

  get database(): string {
    return this.databaseUrl;
  }

  /** The schema flavour the migrator chose for the database (after prepare()). */
  get schemaFlavor(): DbFlavor {
    if (!this.flavor) throw new Error('BenchPipeline.prepare() has not run');
    return this.flavor;
  }

  /** A fresh database with the project's migrations, and fresh topics. */
  async prepare(): Promise<void> {
    const base = new URL(this.config.connection.databaseUrl);
    const name = this.id.replace(/-/g, '_');
    const admin = postgres(base.toString(), { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`create database ${name}`);
      this.databaseName = name; // from here on, teardown drops it
    } catch (err) {
      throw new Error(
        `benchmark: cannot create database ${name} on ${base.host} (${(err as Error).message}); ` +
          'check the stack is up (`make stack-status`, `make stack-up`) and that the user of ' +
          'DATABASE_URL has CREATEDB, as iot_user has on the local stack',
        { cause: err },
      );
    } finally {
      await admin.end({ timeout: 5 });
    }
    base.pathname = `/${name}`;
    this.databaseUrl = base.toString();
    this.flavor = (await new Migrator({ databaseUrl: this.databaseUrl }).migrate()).flavor;
    this.sql = postgres(this.databaseUrl, { max: 2, onnotice: () => {} });

    this.admin = createKafka(this.config.connection, `${this.id}-admin`, {
      logLevel: logLevel.NOTHING,
    }).admin();
    await this.admin.connect();
    for (const [topic, partitions] of [
      [this.topic, 6],
      [this.dlq, 3],
      [this.alerts, 3],
    ] as const) {
      await createTopic(this.admin, topic, partitions);
    }
    try {
      const states = await new LocalStack(loadStackConfig(), () => {}).supervisor.states();
      for (const name of STACK_PROGRAMS) {
        const pid = states.get(name)?.pid;
        if (pid) this.stackPids.set(name, pid);
      }
    } catch (err) {
      this.log(`bench: no stack process ids (${(err as Error).message}); CPU/memory only for the stages`);
    }
  }

  /** Starts the variant's adapters, sinks and processors and waits until each is ready. */
  async startStages(): Promise<void> {
    const v = this.variant;
    const c = this.config.connection;
    const common: Record<string, string> = {
      KAFKA_BOOTSTRAP_SERVERS: c.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: c.schemaRegistryUrl,
      MQTT_URL: c.mqttUrl,
      MQTT_USERNAME: c.mqttUsername,
      MQTT_PASSWORD: c.mqttPassword,
      DATABASE_URL: this.databaseUrl,
      KAFKA_TOPIC: this.topic,
      KAFKA_DLQ_TOPIC: this.dlq,
      KAFKA_ALERTS_TOPIC: this.alerts,
    };
    const plan: Array<[StageKind, number]> = [
      ['adapter', v.adapters],
      ['sink', v.sinks],
      ['processor', v.processors],
    ];
    for (const [kind, count] of plan) {
      for (let i = 0; i < count; i++) {
        const port = await freePort();
        const name = `${kind}-${i + 1}`;
        const own: Record<string, string> =
          kind === 'adapter'
            ? {
                ADAPTER_TOPIC_PREFIX: this.prefix,
                ADAPTER_MQTT_CLIENT_ID: `${this.id}-${name}`,
                ADAPTER_SHARED_GROUP: `${this.id}-adapter`,
                ADAPTER_METRICS_PORT: String(port),
                ADAPTER_METRICS_HOST: '127.0.0.1',
              }
            : kind === 'sink'
              ? {
                  SINK_GROUP_ID: `${this.id}-sink`,
                  SINK_CLIENT_ID: `${this.id}-${name}`,
                  SINK_METRICS_PORT: String(port),
                  SINK_METRICS_HOST: '127.0.0.1',
                }
              : {
                  PROCESSOR_GROUP_ID: `${this.id}-processor`,
                  PROCESSOR_CLIENT_ID: `${this.id}-${name}`,
                  PROCESSOR_METRICS_PORT: String(port),
                  PROCESSOR_METRICS_HOST: '127.0.0.1',
                };
        const proc = new StageProcess(
          [kind === 'processor' ? 'process' : kind],
          { ...common, ...own, ...v.env, ...v.stageEnv[kind] },
          join(this.dir, `${v.name}-${name}.log`),
          name,
        );
        proc.start();
        this.stages.push({ kind, proc, port });
        // One at a time: stages that register the same registry subject at the same moment race
        // (seen: an adapter, or a sink beside an adapter, exiting on 409 "A rule named
        // 'COMPATIBILITY' already exists" from PUT /config/<subject>).
        await this.ready(proc, port);
      }
    }
  }

  private async ready(proc: StageProcess, port: number): Promise<void> {
    const deadline = Date.now() + 120_000;
    let last = '';
    for (;;) {
      if (!proc.running)
        throw new Error(`benchmark: ${proc.name} exited while starting; read ${proc.logFile}`);
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch((err: Error) => err);
      if (!(res instanceof Error) && res.ok) return;
      last = res instanceof Error ? res.message : (await res.text()).trim();
      if (Date.now() > deadline) {
        throw new Error(
          `benchmark: ${proc.name} not ready after 120 s (last: ${last}); read ${proc.logFile}`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** One step: the simulator at `rate` for stepSec, then the drain, then the exact check. */
  async runStep(index: number, rate: number): Promise<StepResult> {
    const cfg = this.config;
    for (const s of this.stages) {
      if (!s.proc.running) throw new Error(`${s.proc.name} exited before the step; read ${s.proc.logFile}`);
    }
    const manifestPath = join(this.dir, `${this.variant.name}-step${index}-manifest.json`);
    const devices = Math.max(1, Math.round(rate * cfg.intervalSec));
    const sim = new StageProcess(
      [
        'simulate',
        // devices = rate x interval: simulated time runs at wall-clock speed from the simulator's
        // start, so a reading's timestamp is the moment it is generated (rate mode: within the
        // MQTT connect time before it; real time: exactly).
        ...(cfg.simMode === 'rate' ? ['--rate', String(rate)] : []),
        '--devices',
        String(devices),
        '--interval',
        String(cfg.intervalSec),
        '--ruuvi-tags',
        '0',
        // Dropouts advance simulated time without a reading, so in load mode the clock runs
        // ahead by dropouts / rate: at 0.01 that is at most ~0.2% of the step (0.04 s of 20 s).
        '--anomaly-probability',
        '0.01',
        '--duration',
        String(cfg.stepSec),
        '--seed',
        String(cfg.seed + index),
        '--batch-size',
        String(cfg.simBatchSize),
        '--connections',
        String(cfg.simConnections),
        '--topic-prefix',
        `${this.prefix}iotpipe/sim`,
        '--manifest',
        manifestPath,
      ],
      {
        MQTT_URL: cfg.connection.mqttUrl,
        MQTT_USERNAME: cfg.connection.mqttUsername,
        MQTT_PASSWORD: cfg.connection.mqttPassword,
        SIM_MQTT_CLIENT_ID: `${this.id}-sim-${index}`,
      },
      join(this.dir, `${this.variant.name}-simulator.log`),
      'simulator',
    );
    const samples: Sample[] = [];
    const dlqBefore = await this.endOffset(this.dlq);
    samples.push(await this.sampleRetrying(sim));
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await new Promise((r) => setTimeout(r, cfg.sampleMs));
        // A sample that fails (a coordinator moving, a broker restarting) is skipped.
        const s = sampling ? await this.sample(sim).catch(() => null) : null;
        if (s) samples.push(s);
      }
    })();
    sim.start();
    const code = await sim.wait();
    if (code !== 0) {
      sampling = false;
      await sampler;
      throw new Error(`benchmark: the simulator exited with ${code}; read ${sim.logFile}`);
    }
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
    const first = manifest.time_range.first_ms ?? Date.now();
    const last = manifest.time_range.last_ms ?? Date.now();
    const drainStart = Date.now();
    let drained = true;
    try {
      await waitUntil(
        `${manifest.total} readings of step ${index} in the database`,
        async () => (await this.countBetween(first, last)) >= manifest.total,
        cfg.drainTimeoutSec * 1000,
      );
    } catch {
      drained = false;
    }
    const drainSec = (Date.now() - drainStart) / 1000;
    // Commit offsets follow the database commit; give the sinks and processor one sample more.
    await new Promise((r) => setTimeout(r, Math.min(2000, cfg.sampleMs * 2)));
    sampling = false;
    await sampler;
    samples.push(await this.sampleRetrying(sim));

    const rows = await this.rowsBetween(first, last);
    const ids = new Set<string>();
    const latencies = new Float64Array(rows.length);
    const created = new Float64Array(rows.length);
    const ingested = new Float64Array(rows.length);
    rows.forEach((r, i) => {
      ids.add(r.reading_id);
      latencies[i] = r.ingested_ms - r.ts_ms;
      created[i] = r.ts_ms;
      ingested[i] = r.ingested_ms;
    });
    created.sort();
    ingested.sort();
    const digest = manifestDigest(
      rows.map((r) => ({ reading_id: r.reading_id, timestamp_ms: r.ts_ms, value: r.value })),
    );
    const digestMatch = digest === manifest.digest;
    const exact = digestMatch && rows.length === manifest.total && ids.size === rows.length;

    const base = samples[0]!;
    const end = samples[samples.length - 1]!;
    const txCount = end.sinkTxCount - base.sinkTxCount;
    const during = samples.slice(1);
    return {
      index,
      offered_per_s: rate,
      sent_per_s: ratePerSec(manifest.total, Math.max(1, last - first)),
      readings: manifest.total,
      messages: manifest.messages,
      stored: rows.length,
      duplicates: rows.length - ids.size,
      digest_match: digestMatch,
      exact,
      drained,
      drain_sec: drainSec,
      achieved_per_s: achievedRate(rows),
      latency_ms: summarizeLatencies(latencies),
      sink_tx_ms_mean: txCount > 0 ? ((end.sinkTxSum - base.sinkTxSum) / txCount) * 1000 : 0,
      lag: {
        adapter_readings: summarizeSeries(
          during.map((s) =>
            Math.max(0, countAtOrBefore(created, s.at) - (s.adapterProduced - base.adapterProduced)),
          ),
        ),
        adapter_in_flight_messages: summarizeSeries(during.map((s) => s.adapterInFlight)),
        sink_records: summarizeSeries(during.map((s) => Math.max(0, s.topicEnd - s.sinkCommitted))),
        processor_records: summarizeSeries(
          this.variant.processors > 0
            ? during.map((s) => Math.max(0, s.topicEnd - s.processorCommitted))
            : [],
        ),
        database_readings: summarizeSeries(
          during.map((s) => Math.max(0, countAtOrBefore(created, s.at) - countAtOrBefore(ingested, s.at))),
        ),
      },
      dlq_records: (await this.endOffset(this.dlq)) - dlqBefore,
      processes: this.usage(samples),
      stop_reason: null,
    };
  }

  /** Stops the stages, drops the database and deletes the topics; idempotent. */
  async teardown(): Promise<void> {
    const stages = this.stages.splice(0);
    await Promise.all(stages.map((s) => s.proc.stop()));
    await this.sql?.end({ timeout: 5 }).catch(() => {});
    this.sql = undefined;
    if (this.databaseName !== '') {
      const admin = postgres(this.config.connection.databaseUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists ${this.databaseName} with (force)`).catch((err: Error) => {
        this.log(`bench: could not drop database ${this.databaseName}: ${err.message}`);
      });
      await admin.end({ timeout: 5 });
      this.databaseName = '';
    }
    if (this.admin) {
      await this.admin.deleteTopics({ topics: [this.topic, this.dlq, this.alerts] }).catch(() => {});
      await this.admin.disconnect().catch(() => {});
      this.admin = undefined;
    }
  }

  private requireSql(): postgres.Sql {
    if (!this.sql) throw new Error('BenchPipeline.prepare() was not called');
    return this.sql;
  }

  private async countBetween(firstMs: number, lastMs: number): Promise<number> {
    const [row] = await this.requireSql()<{ n: string }[]>`
      select count(*)::text as n from sensor_readings
      where "timestamp" >= to_timestamp(${(firstMs - 1) / 1000}) and "timestamp" <= to_timestamp(${(lastMs + 1) / 1000})`;
    return Number(row?.n ?? 0);
  }

  private async rowsBetween(
    firstMs: number,
    lastMs: number,
  ): Promise<Array<{ reading_id: string; ts_ms: number; ingested_ms: number; value: number }>> {
    const rows = await this.requireSql()<{ reading_id: string; ts: string; ing: string; value: number }[]>`
      select reading_id, (extract(epoch from "timestamp") * 1000)::bigint::text as ts,
             (extract(epoch from ingested_at) * 1000)::bigint::text as ing, value
      from sensor_readings
      where "timestamp" >= to_timestamp(${(firstMs - 1) / 1000}) and "timestamp" <= to_timestamp(${(lastMs + 1) / 1000})`;
    return rows.map((r) => ({
      reading_id: r.reading_id,
      ts_ms: Number(r.ts),
      ingested_ms: Number(r.ing),
      value: r.value,
    }));
  }

  private async endOffset(topic: string): Promise<number> {
    const offsets = await this.admin!.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  }

  private async committed(groupId: string): Promise<number> {
    const [entry] = await this.admin!.fetchOffsets({ groupId, topics: [this.topic] });
    return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  }

  private async sampleRetrying(sim: StageProcess): Promise<Sample> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sample(sim);
      } catch (err) {
        if (attempt >= 10)
          throw new Error(`benchmark: cannot sample offsets/metrics: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private async sample(sim: StageProcess): Promise<Sample> {
    const at = Date.now();
    const all = allProcesses();
    const procs = new Map<string, { ticks: number; rssBytes: number }>();
    const add = (name: string, pid: number | undefined, tree = true) => {
      if (pid === undefined) return;
      const own = all.get(pid);
      const s = tree ? treeSample(pid, all) : own && { ticks: own.ticks, rssBytes: own.rssBytes };
      if (s) procs.set(name, s);
    };
    for (const [name, pid] of this.stackPids) add(name, pid);
    for (const s of this.stages) add(s.proc.name, s.proc.pid);
    add('simulator', sim.pid);
    add('bench (this process, without its children)', process.pid, false);
    const scrape = async (kind: StageKind) => {
      const texts = await Promise.all(
        this.stages
          .filter((s) => s.kind === kind)
          .map((s) =>
            fetch(`http://127.0.0.1:${s.port}/metrics`)
              .then((r) => r.text())
              .catch(() => ''),
          ),
      );
      return texts.join('\n');
    };
    const [adapterText, sinkText, topicEnd, sinkCommitted, processorCommitted] = await Promise.all([
      scrape('adapter'),
      scrape('sink'),
      this.endOffset(this.topic),
      this.committed(`${this.id}-sink`),
      this.variant.processors > 0 ? this.committed(`${this.id}-processor`) : Promise.resolve(0),
    ]);
    return {
      at,
      procs,
      adapterProduced: promValue(adapterText, 'mqtt_adapter_readings_produced_total'),
      adapterInFlight: promValue(adapterText, 'mqtt_adapter_in_flight_messages'),
      sinkTxSum: promValue(sinkText, 'iot_sink_batch_duration_seconds_sum'),
      sinkTxCount: promValue(sinkText, 'iot_sink_batch_duration_seconds_count'),
      topicEnd,
      sinkCommitted,
      processorCommitted,
    };
  }

  private usage(samples: Sample[]): ProcessUsage[] {
    const names = new Set<string>();
    for (const s of samples) for (const n of s.procs.keys()) names.add(n);
    const out: ProcessUsage[] = [];
    for (const name of names) {
      const seen = samples.filter((s) => s.procs.has(name));
      const a = seen[0]!;
      const b = seen[seen.length - 1]!;
      out.push({
        name,
        cpu_percent: cpuPercent(
          b.procs.get(name)!.ticks - a.procs.get(name)!.ticks,
          b.at - a.at,
          this.ticksPerSec,
        ),
        rss_mib_max: Math.max(...seen.map((s) => s.procs.get(name)!.rssBytes)) / 2 ** 20,
      });
    }
    return out;
  }
}

/** How many of the sorted values are <= x. */
export function countAtOrBefore(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A topic with the pipeline's durability (replication 3, min ISR 2); waits for its leaders. */
export async function createTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  await admin.createTopics({
    waitForLeaders: false,
    topics: [
      {
        topic,
        numPartitions: partitions,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      },
    ],
  });
  await waitUntil(
    `leaders for topic ${topic}`,
    async () => {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = meta.topics[0]?.partitions ?? [];
      return parts.length === partitions && parts.every((p) => p.leader >= 0);
    },
    60_000,
  );
}
