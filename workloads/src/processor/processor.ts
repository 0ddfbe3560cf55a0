import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CompressionTypes,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type Producer,
} from 'kafkajs';
import { createKafka, resendingProducer } from '../kafka/client.js';
import { HealthServer } from '@iotpipe/runtime';
import type { Alert, AlertType } from '../schema/alert.js';
import { classifyRegistryFailure } from '@iotpipe/runtime';
import { ProcessorCodec, ReadingDecodeError } from './codec.js';
import type { ProcessorConfig } from './config.js';
import { AlertEngine } from './engine.js';
import { ProcessorMetrics } from './metrics.js';

type Log = (line: string) => void;

/** Thrown out of a batch when the consumer is stopping or rebalancing: nothing is committed. */
class BatchAborted extends Error {}

/**
 * `iotpipe process`: a consumer group on the pipeline topic that keeps per-device state
 * (AlertEngine) and publishes alerts to the alerts topic. A batch's offsets are committed only
 * after all alerts it raised are acknowledged by Kafka (acks=all, resent until acknowledged), so a
 * crash replays records rather than losing alerts; alert ids are deterministic for replays.
 */
export class StreamProcessor {
  readonly metrics = new ProcessorMetrics();
  private readonly kafka: Kafka;
  private readonly codec: ProcessorCodec;
  private readonly engine: AlertEngine;
  private readonly server: HealthServer;
  private consumer?: Consumer;
  private producer?: Producer;
  private admin?: Admin;
  private timer?: NodeJS.Timeout;
  private lagTimer?: NodeJS.Timeout;
  private running = false;
  private stopping?: Promise<void>;
  private lastFetchMs = 0;
  private joined = false;
  private assigned: number[] = [];
  /** Last reported state per concern, so each change is logged once, not every retry. */
  private readonly states = new Map<string, string>();

  constructor(
    readonly config: ProcessorConfig,
    private readonly log: Log = (line) => console.error(line),
  ) {
    this.kafka = createKafka(config.connection, config.clientId);
    this.codec = new ProcessorCodec(config.connection.schemaRegistryUrl);
    this.engine = new AlertEngine(config.rules, Date.now());
    this.server = new HealthServer(config.metricsPort, config.metricsHost, this.metrics.registry, {
      live: () => true,
      ready: () => this.readiness(),
    });
  }

  get metricsPort(): number {
    return this.server.boundPort;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { topic, alertsTopic } = this.config.connection;
    await this.server.start();
    await this.untilDone(
      'registry',
      (e) => classifyRegistryFailure(e) === 'temporary',
      async () => {
        const id = await this.codec.registerAlertSchema(alertsTopic);
        this.log(`processor: alert schema registered under ${alertsTopic}-value (id ${id})`);
      },
    );
    this.producer = resendingProducer(this.kafka);
    this.admin = this.kafka.admin();
    await this.untilDone('kafka', isTemporaryKafkaError, async () => {
      await this.producer!.connect();
      await this.admin!.connect();
    });
    const consumer = this.kafka.consumer({
      groupId: this.config.groupId,
      maxBytesPerPartition: this.config.maxBytesPerPartition,
      // Kafka unreachable for longer than kafkajs' own retries: restart and keep waiting.
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000, restartOnFailure: async () => true },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.FETCH, () => {
      this.lastFetchMs = Date.now();
      this.metrics.kafkaUp.set(1);
      this.transition('consumer', 'fetching', `processor: consuming ${topic}`);
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.joined = true;
      const partitions = e.payload.memberAssignment[topic] ?? [];
      for (const p of this.assigned)
        if (!partitions.includes(p)) this.metrics.lag.remove({ topic, partition: String(p) });
      this.assigned = [...partitions];
      this.engine.assign(partitions, Date.now());
      this.log(`processor: joined group ${this.config.groupId}, partitions [${partitions.join(', ')}]`);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.metrics.kafkaUp.set(0);
      this.transition(
        'consumer',
        'crashed',
        `processor: consumer stopped (${e.payload.error.message}); restarting with backoff`,
      );
    });
    await this.untilDone('kafka', isTemporaryKafkaError, async () => {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: this.config.fromBeginning });
    });
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    // Not awaited: each tick and lag refresh handles its own failures; the timers are cleared on stop.
    this.timer = setInterval(() => void this.tick(), this.config.sweepIntervalMs);
    this.lagTimer = setInterval(() => void this.refreshLag(), 15_000);
    const c = this.config;
    this.log(
      `processor: ${c.connection.topic} -> ${c.connection.alertsTopic}, group ${c.groupId}, metrics on :${this.metricsPort}`,
    );
  }

  /** Idempotent; waits for the batch in flight, then closes everything. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      clearInterval(this.timer);
      clearInterval(this.lagTimer);
      await this.consumer?.disconnect().catch(() => {});
      await this.producer?.disconnect().catch(() => {});
      await this.admin?.disconnect().catch(() => {});
      await this.server.stop();
    })();
    return this.stopping;
  }

  private readiness(): { ready: boolean; reason: string } {
    if (!this.running) return { ready: false, reason: 'stopped' };
    if (!this.joined) return { ready: false, reason: 'not in the consumer group yet' };
    const age = Date.now() - this.lastFetchMs;
    if (age > this.config.fetchStaleAfterMs) return { ready: false, reason: `no fetch for ${age} ms` };
    return { ready: true, reason: 'consuming' };
  }

  private async handleBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    const started = performance.now();
    this.metrics.received.inc({ topic: batch.topic }, batch.messages.length);
    const alerts: Alert[] = [];
    let last: string | undefined;
    for (const m of batch.messages) {
      if (!p.isRunning() || p.isStale()) break;
      const reading = await this.decode(m.value, p);
      last = m.offset;
      if (!reading) continue;
      const v = this.engine.observe(reading, batch.partition, Date.now());
      this.metrics.processed.inc({ device_type: reading.device_type });
      if (v.flagged) this.metrics.anomalies.inc({ device_type: reading.device_type, detector: 'flagged' });
      if (v.outlier) this.metrics.anomalies.inc({ device_type: reading.device_type, detector: 'zscore' });
      this.countSuppressed(v.suppressed);
      alerts.push(...v.alerts);
    }
    if (last === undefined) return;
    await this.publish(alerts, p);
    p.resolveOffset(last);
    await p.commitOffsetsIfNecessary();
    this.metrics.lag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Math.max(0, Number(batch.highWatermark) - Number(last) - 1),
    );
    this.metrics.duration.observe((performance.now() - started) / 1000);
  }

  /** A reading, or null for a record that is not one (counted; the sink dead-letters it). */
  private async decode(value: Buffer | null, p: EachBatchPayload) {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.codec.decodeReading(value);
        this.transition('registry', 'ok', 'processor: schema registry reachable again');
        return r;
      } catch (err) {
        if (err instanceof ReadingDecodeError) {
          this.metrics.failed.inc({ reason: 'decode' });
          this.transition('decode', err.message, `processor: skipping record: ${err.message}`);
          return null;
        }
        this.transition(
          'registry',
          'down',
          `processor: schema registry unreachable (${(err as Error).message}); retrying`,
        );
        await this.backoff(attempt, p);
      }
    }
  }

  /** Publishes a batch's alerts; temporary failures are retried until they succeed or we stop. */
  private async publish(alerts: Alert[], p: EachBatchPayload): Promise<void> {
    if (alerts.length === 0) return;
    const producer = this.producer!;
    const messages: Array<{ key: string; value: Buffer; headers: Record<string, string> }> = [];
    for (const a of alerts) {
      try {
        messages.push({
          key: a.device_id,
          value: await this.codec.encodeAlert(a),
          headers: { alert_type: a.alert_type },
        });
      } catch (err) {
        // An alert the schema rejects is a bug in the rules, not a reason to stop the stream.
        this.metrics.alertsFailed.inc({ type: a.alert_type });
        this.log(`processor: alert ${a.alert_id} not encodable: ${(err as Error).message}`);
      }
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await producer.send({
          topic: this.config.connection.alertsTopic,
          acks: -1,
          compression: CompressionTypes.None,
          messages,
        });
        this.transition(
          'alerts',
          'ok',
          `processor: publishing alerts to ${this.config.connection.alertsTopic}`,
        );
        for (const a of alerts) this.metrics.alertsPublished.inc({ type: a.alert_type });
        return;
      } catch (err) {
        if (!isTemporaryKafkaError(err)) {
          for (const a of alerts) this.metrics.alertsFailed.inc({ type: a.alert_type });
          this.log(`processor: ${alerts.length} alerts dropped, permanent error: ${(err as Error).message}`);
          return;
        }
        this.transition(
          'alerts',
          'down',
          `processor: cannot publish alerts (${(err as Error).message}); retrying`,
        );
        await this.backoff(attempt, p);
      }
    }
  }

  private async backoff(attempt: number, p?: EachBatchPayload): Promise<void> {
    const ms = Math.min(this.config.retryMaxBackoffMs, 200 * 2 ** Math.min(attempt, 16));
    await sleep(ms * (0.5 + Math.random() / 2));
    if (p) {
      if (!p.isRunning() || p.isStale()) throw new BatchAborted('stopping or rebalancing');
      await p.heartbeat().catch(() => {});
    } else if (!this.running) {
      throw new BatchAborted('stopping');
    }
  }

  /** Retries a start-up step against a dependency until it works or the processor stops. */
  private async untilDone(
    what: string,
    isTemporary: (err: unknown) => boolean,
    step: () => Promise<void>,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await step();
        this.transition(what, 'ok', `processor: ${what} reachable again`);
        return;
      } catch (err) {
        if (!isTemporary(err)) throw err;
        this.transition(what, 'down', `processor: ${what} unreachable (${(err as Error).message}); retrying`);
        await this.backoff(attempt);
      }
    }
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const healthy = this.joined && now - this.lastFetchMs < this.config.fetchStaleAfterMs;
    if (!healthy && this.lastFetchMs > 0) this.metrics.kafkaUp.set(0);
    const { alerts, suppressed } = this.engine.sweep(now, healthy);
    this.countSuppressed(suppressed);
    this.metrics.update(this.engine.snapshot());
    if (alerts.length === 0 || !this.running) return;
    try {
      await this.publishTimerAlerts(alerts);
    } catch (err) {
      if (!(err instanceof BatchAborted)) this.log(`processor: silence alerts: ${(err as Error).message}`);
    }
  }

  private async publishTimerAlerts(alerts: Alert[]): Promise<void> {
    const messages = await Promise.all(
      alerts.map(async (a) => ({ key: a.device_id, value: await this.codec.encodeAlert(a) })),
    );
    for (let attempt = 0; ; attempt++) {
      try {
        await this.producer!.send({ topic: this.config.connection.alertsTopic, acks: -1, messages });
        for (const a of alerts) this.metrics.alertsPublished.inc({ type: a.alert_type });
        return;
      } catch (err) {
        if (!isTemporaryKafkaError(err)) {
          for (const a of alerts) this.metrics.alertsFailed.inc({ type: a.alert_type });
          throw err;
        }
        await this.backoff(attempt);
      }
    }
  }

  /** Lag of every partition this member owns, from committed offsets: idle partitions too. */
  private async refreshLag(): Promise<void> {
    const admin = this.admin;
    const topic = this.config.connection.topic;
    if (!admin || !this.joined || this.assigned.length === 0) return;
    try {
      const [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: this.config.groupId, topics: [topic] }),
      ]);
      const done = new Map(
        (committed[0]?.partitions ?? []).map((x) => [x.partition, Number(x.offset)] as const),
      );
      for (const e of ends) {
        if (!this.assigned.includes(e.partition)) continue;
        const at = done.get(e.partition) ?? -1;
        const from = at >= 0 ? at : Number(e.low);
        this.metrics.lag.set({ topic, partition: String(e.partition) }, Math.max(0, Number(e.high) - from));
      }
    } catch {
      // The next tick tries again; the consumer's own state changes are logged elsewhere.
    }
  }

  private countSuppressed(types: readonly AlertType[]): void {
    for (const t of types) this.metrics.alertsSuppressed.inc({ type: t });
  }

  private transition(what: string, state: string, line: string): void {
    const prev = this.states.get(what);
    if (prev === state) return;
    this.states.set(what, state);
    // The first "ok" is not news; recovering from a failure is.
    if (prev === undefined && state === 'ok') return;
    this.log(line);
  }
}

/**
 * kafkajs marks what is worth retrying (`retriable`); its retry budget running out is still
 * temporary. Checked by shape: kafkajs is CommonJS and its error classes are not named ESM exports.
 */
export function isTemporaryKafkaError(err: unknown): boolean {
  const e = err as { name?: string; retriable?: boolean; message?: string; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.name === 'string' && e.name.startsWith('KafkaJS')) {
    if (e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSConnectionError') return true;
    if (e.retriable === true) return true;
    return e.cause !== undefined && e.cause !== err && isTemporaryKafkaError(e.cause);
  }
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE/.test(e.message ?? '');
}
