import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Consumer, EachBatchPayload, IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { classifyPostgresFailure, classifyRegistryFailure, sqlState } from '@iotpipe/runtime';
import { describePgError } from '../db/errors.js';
import { MigrationError, Migrator } from '../db/migrator.js';
import { AvroSerializer } from '../kafka/avro.js';
import { createKafka, resendingProducer } from '../kafka/client.js';
import { deadLetterToAvro } from '../kafka/records.js';
import { HealthServer } from '@iotpipe/runtime';
import { loadSchemaText, type DeadLetter, type SensorReading } from '../schema/index.js';
import type { SinkConfig } from './config.js';
import { ReadingDecoder, RecordDecodeError } from './decoder.js';
import { SinkMetrics } from './metrics.js';
import { copyLine } from './rows.js';
import { ReadingStore } from './store.js';

export type Log = (line: string) => void;

/** The sink was asked to stop while waiting on a dependency: the work is abandoned, not failed. */
class StopRequested extends Error {
  override readonly name = 'StopRequested';
}

interface Decoded {
  message: KafkaMessage;
  reading: SensorReading;
}

interface Rejected {
  message: KafkaMessage;
  code: string;
  reason: string;
}

type Dependency = 'database' | 'registry' | 'dlq';

/**
 * Kafka -> PostgreSQL, every reading exactly once in effect: records are written in batches
 * (COPY into a staging table, one idempotent INSERT ... SELECT, commit) and the Kafka offset of
 * a batch is committed only after its transaction committed. A crash at any point replays at
 * most the uncommitted batches, and the replay inserts nothing twice (natural key + dedup
 * window). Records the database rejects (SQLSTATE class 22/23) are isolated by bisecting the
 * batch and dead-lettered with the reason; an unavailable database pauses consumption and is
 * retried with capped backoff, never skipping a record.
 */
export class KafkaSink {
  readonly metrics = new SinkMetrics();
  private readonly store: ReadingStore;
  private readonly decoder: ReadingDecoder;
  private readonly dlq: AvroSerializer<DeadLetter>;
  private readonly metricsServer: HealthServer;
  private consumer?: Consumer;
  private producer?: Producer;
  private readonly abort = new AbortController();
  private started = false;
  private stopped = false;
  private joined = false;
  private crashed = false;
  private readonly failing = new Map<Dependency, number>();
  private maintenanceTimer?: NodeJS.Timeout;
  private maintenanceRunning?: Promise<void>;
  private maintenanceFailing = false;
  /** Concurrent partition batches waiting on a dependency; the topic resumes when none is. */
  private pausedBy = 0;

  constructor(
    private readonly config: SinkConfig,
    private readonly log: Log = (line) => console.error(line),
    /** Called when the consumer crashed beyond kafkajs's own restarts: the process should exit. */
    private readonly onFatal: (err: Error) => void = () => {},
  ) {
    const c = config.connection;
    this.store = new ReadingStore(
      c.databaseUrl,
      config.writeTimeoutMs,
      undefined,
      config.partitionsConcurrently,
      config.table,
    );
    const registry = new SchemaRegistry({
      host: c.schemaRegistryUrl,
      retry: { retries: 2, initialRetryTimeInSecs: 0.3, maxRetryTimeInSecs: 3 },
    });
    this.decoder = new ReadingDecoder(registry);
    this.dlq = new AvroSerializer<DeadLetter>(
      registry,
      `${c.dlqTopic}-value`,
      loadSchemaText('dead_letter'),
      deadLetterToAvro,
    );
    this.metricsServer = new HealthServer(config.metricsPort, config.metricsHost, this.metrics.registry, {
      live: () => !this.crashed,
      ready: () => {
        if (this.stopped) return { ready: false, reason: 'stopping' };
        if (!this.joined) return { ready: false, reason: 'not in the consumer group yet' };
        if (this.failing.size > 0)
          return { ready: false, reason: `waiting for ${[...this.failing.keys()].join(', ')}` };
        return { ready: true, reason: 'consuming' };
      },
    });
  }

  get metricsPort(): number {
    return this.metricsServer.boundPort;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const c = this.config.connection;
    await this.metricsServer.start();
    this.metrics.dbConnected.set(0);

    const migrated = await this.retry('database', () =>
      new Migrator({
        databaseUrl: c.databaseUrl,
        flavor: this.config.schemaFlavor,
        readingsTable: this.config.table,
        log: (line) => this.log(`sink: ${line}`),
      }).migrate(),
    );
    this.log(`sink: database schema at version ${migrated.current} (${migrated.flavor})`);
    this.store.start();
    await this.runMaintenance();
    await this.retry('registry', () => this.dlq.start());

    const kafka = createKafka(c, this.config.clientId);
    this.producer = resendingProducer(kafka);
    await this.producer.connect();
    const consumer = kafka.consumer({
      groupId: this.config.groupId,
      sessionTimeout: this.config.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(this.config.sessionTimeoutMs / 3)),
      // The broker answers a fetch when SINK_FETCH_MIN_BYTES are there or after the commit
      // interval (see SinkConfig.fetchMinBytes).
      minBytes: this.config.fetchMinBytes,
      maxWaitTimeInMs: this.config.commitIntervalMs,
      maxBytesPerPartition: 1_048_576,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.joined = true;
      const assigned = Object.entries(e.payload.memberAssignment)
        .map(([t, ps]) => `${t}[${ps.join(',')}]`)
        .join(' ');
      this.log(`sink: joined group ${this.config.groupId}: ${assigned || 'no partitions'}`);
    });
    consumer.on(consumer.events.REBALANCING, () => {
      this.log('sink: group rebalancing; stored batches are committed, nothing else');
    });
    consumer.on(consumer.events.CRASH, (e) => {
      const err = e.payload.error;
      this.log(`sink: consumer crashed: ${err.message}${e.payload.restart ? ' (restarting)' : ''}`);
      if (!e.payload.restart) {
        this.crashed = true;
        this.onFatal(err);
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [c.topic], fromBeginning: this.config.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.partitionsConcurrently,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.scheduleMaintenance();
    this.log(`sink: consuming ${c.topic} (batch ${this.config.batchSize}, metrics :${this.metricsPort})`);
  }

  /** Idempotent. In-flight work is abandoned unstored and uncommitted; a restart replays it. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    if (this.maintenanceTimer) clearTimeout(this.maintenanceTimer);
    await this.consumer?.disconnect().catch(() => {});
    await this.producer?.disconnect().catch(() => {});
    await this.maintenanceRunning;
    await this.store.stop();
    await this.metricsServer.stop();
  }

  private async handleBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    const { topic, partition } = batch;
    const size = this.config.batchSize;
    try {
      for (let i = 0; i < batch.messages.length; i += size) {
        if (!p.isRunning() || p.isStale() || this.stopped) return;
        const chunk = batch.messages.slice(i, i + size);
        await this.storeChunk(topic, partition, chunk, () => p.heartbeat());
        const last = chunk[chunk.length - 1]!.offset;
        p.resolveOffset(last);
        const next = (BigInt(last) + 1n).toString();
        // Stored, so now (and only now) the offset may move past these records.
        await p.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] });
        this.metrics.consumerLag.set(
          { topic, partition: String(partition) },
          Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(next))),
        );
        await p.heartbeat();
      }
    } catch (err) {
      if (err instanceof StopRequested) return;
      throw err;
    }
  }

  /** Decodes, stores and dead-letters one chunk; returns only when every record is safe. */
  private async storeChunk(
    topic: string,
    partition: number,
    messages: KafkaMessage[],
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const decoded: Decoded[] = [];
    const rejected: Rejected[] = [];
    for (const message of messages) {
      try {
        const reading = await this.retry('registry', () => this.decoder.decode(message.value), heartbeat);
        decoded.push({ message, reading });
      } catch (err) {
        if (!(err instanceof RecordDecodeError)) throw err;
        rejected.push({ message, code: err.code, reason: err.message });
      }
    }
    await this.storeBisecting(decoded, rejected, heartbeat);
    if (rejected.length > 0) await this.deadLetter(topic, partition, rejected, heartbeat);
    this.metrics.recordsConsumed.inc(messages.length);
  }

  /**
   * Stores the rows in one transaction; when the database rejects the data itself, splits the
   * batch in halves and stores each, down to the single rows it rejects, which are dead-lettered.
   */
  private async storeBisecting(
    rows: Decoded[],
    rejected: Rejected[],
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    if (rows.length === 0) return;
    const lines = rows.map((r, i) => copyLine(i, r.reading));
    const started = process.hrtime.bigint();
    try {
      const inserted = await this.retry('database', () => this.store.write(lines), heartbeat);
      this.metrics.batchDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      this.metrics.batchSize.observe(rows.length);
      this.metrics.rowsWritten.inc(inserted);
      this.metrics.duplicatesSkipped.inc(rows.length - inserted);
    } catch (err) {
      if (err instanceof StopRequested || classifyPostgresFailure(err) !== 'permanent') throw err;
      if (rows.length === 1) {
        rejected.push({
          message: rows[0]!.message,
          code: `SQLSTATE_${sqlState(err) ?? 'UNKNOWN'}`,
          reason: `database rejected the reading: ${describePgError(err)}`,
        });
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await this.storeBisecting(rows.slice(0, half), rejected, heartbeat);
      await this.storeBisecting(rows.slice(half), rejected, heartbeat);
    }
  }

  private async deadLetter(
    topic: string,
    partition: number,
    rejected: Rejected[],
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new Error('sink not started');
    const receivedAt = new Date();
    const messages = rejected.map((r) => ({
      key: r.message.key,
      value: this.dlq.encode({
        stage: 'sink',
        reason: r.reason.replace(/\s+/g, ' ').slice(0, 1000),
        error_code: r.code,
        source: `${topic}/${partition}/${r.message.offset}`,
        original: r.message.value ?? Buffer.alloc(0),
        received_at: receivedAt,
        headers: headersToStrings(r.message.headers),
      }),
    }));
    await this.retry(
      'dlq',
      () => producer.send({ topic: this.config.connection.dlqTopic, acks: -1, messages }),
      heartbeat,
    );
    for (const r of rejected) {
      this.metrics.deadLettered.inc({ error_code: r.code });
      this.log(`sink: dead-lettered ${topic}/${partition}/${r.message.offset}: ${r.code}: ${r.reason}`);
    }
  }

  /**
   * Runs fn until it succeeds. Temporary failures (per dependency) are retried with capped
   * exponential backoff while the consumer keeps its group membership (heartbeat) and the topic
   * is paused; the state change is logged once when it starts failing and once when it recovers.
   */
  private async retry<T>(
    what: Dependency,
    fn: () => Promise<T>,
    heartbeat?: () => Promise<void>,
  ): Promise<T> {
    const topics = [{ topic: this.config.connection.topic }];
    let paused = false;
    try {
      for (let attempt = 1; ; attempt++) {
        if (this.stopped) throw new StopRequested();
        try {
          const result = await fn();
          if (this.failing.has(what)) {
            this.log(`sink: ${what} available again after ${this.failing.get(what)} retries; resuming`);
            this.failing.delete(what);
          }
          if (what === 'database') this.metrics.dbConnected.set(1);
          return result;
        } catch (err) {
          if (this.stopped) throw new StopRequested();
          if (!this.isTemporary(what, err)) throw err;
          if (!this.failing.has(what)) {
            this.log(`sink: ${what} unavailable (${describePgError(err)}); pausing consumption, retrying`);
          }
          if (!paused) {
            // No further fetches while we wait: what is in flight stays bounded to the batches
            // already handed out (one per concurrently consumed partition).
            if (this.pausedBy++ === 0) this.consumer?.pause(topics);
            paused = true;
          }
          this.failing.set(what, (this.failing.get(what) ?? 0) + 1);
          if (what === 'database') this.metrics.dbConnected.set(0);
          this.metrics.retries.inc({ what });
          const cap = Math.min(this.config.retryMaxBackoffMs, 200 * 2 ** Math.min(attempt - 1, 20));
          await this.sleepHeartbeating(cap / 2 + Math.random() * (cap / 2), heartbeat);
        }
      }
    } finally {
      // Also when the wait ends in a rebalance or stop: the batch is abandoned (unstored,
      // uncommitted) and consumption must go on, or the next owner's fetches would stay paused.
      if (paused && --this.pausedBy === 0) this.consumer?.resume(topics);
    }
  }

  private isTemporary(what: Dependency, err: unknown): boolean {
    if (err instanceof RecordDecodeError) return false;
    // The server cannot take this schema (e.g. TimescaleDB not preloaded): waiting will not fix
    // it; the sink stops at start with the one-line reason.
    if (err instanceof MigrationError) return false;
    if (what === 'registry') return classifyRegistryFailure(err) === 'temporary';
    if (what === 'dlq') return true; // the broker will be back: resend the whole send (see resendingProducer)
    // An unexpected error (missing table, permissions) is a deployment problem: wait for the fix
    // rather than drop data. Only data rejections ('record') leave this loop.
    return classifyPostgresFailure(err) === 'temporary';
  }

  private async sleepHeartbeating(ms: number, heartbeat?: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !this.stopped) {
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(
          () => {
            this.abort.signal.removeEventListener('abort', onAbort);
            resolve();
          },
          Math.min(1000, until - Date.now()),
        );
        this.abort.signal.addEventListener('abort', onAbort, { once: true });
      });
      // Keeps the partitions assigned to us while we wait; a rebalance error ends the batch.
      if (heartbeat) await heartbeat();
    }
  }

  private scheduleMaintenance(): void {
    if (this.stopped) return;
    this.maintenanceTimer = setTimeout(() => {
      this.maintenanceRunning = this.runMaintenance().finally(() => this.scheduleMaintenance());
    }, this.config.maintenanceIntervalMs);
  }

  private async runMaintenance(): Promise<void> {
    const c = this.config;
    try {
      const result = await this.store.maintain(c.partitionsAheadDays, c.archiveAfterDays, c.retentionDays);
      this.metrics.maintenanceRuns.inc({ result: 'ok' });
      if (this.maintenanceFailing) this.log('sink: maintenance succeeded again');
      this.maintenanceFailing = false;
      const changed = Object.entries(result).filter(([, v]) => v !== 0);
      if (changed.length > 0) this.log(`sink: maintenance ${changed.map(([k, v]) => `${k}=${v}`).join(' ')}`);
    } catch (err) {
      this.metrics.maintenanceRuns.inc({ result: 'error' });
      if (!this.maintenanceFailing)
        this.log(`sink: maintenance failed (${describePgError(err)}); will retry`);
      this.maintenanceFailing = true;
    }
  }
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> | null {
  if (!headers) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k] = (Array.isArray(v) ? v : [v]).map((x) => x.toString()).join(',');
  }
  return Object.keys(out).length > 0 ? out : null;
}
