import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { AnomalyDetector } from '../anomaly/index.js';
import { AvroSerializer, SerializationError } from '../kafka/avro.js';
import { CoalescingSender } from '../kafka/coalescing-sender.js';
import { createRecordProducer } from '../kafka/producers.js';
import type { RecordProducer } from '../kafka/record-producer.js';
import { deadLetterToAvro, sensorReadingToAvro } from '../kafka/records.js';
import { HealthServer } from '@iotpipe/runtime';
import { loadSchemaText, type DeadLetter, type SensorReading } from '../schema/index.js';
import {
  formatOfTopic,
  parseGatewayStatus,
  parsePayload,
  PAYLOAD_FORMAT_OF,
  PayloadError,
  type PayloadErrorCode,
} from '../sources/index.js';
import { effectiveFilters, type AdapterConfig } from './config.js';
import { HeldPubacks } from './held-acks.js';
import { DedupWindow } from './dedup.js';
import { GatewayBoard, GatewayMetrics } from './gateways.js';
import { AdapterMetrics, type Dependency } from './metrics.js';
import {
  AbortedError,
  classifyRegistryFailure,
  createLogger,
  retry,
  type Logger as RuntimeLogger,
} from '@iotpipe/runtime';

/** What the adapter logs through (the runtime's structured logger fits). */
export type Logger = Pick<RuntimeLogger, 'info' | 'warn'>;

type DeadLetterCode = PayloadErrorCode | 'SERIALIZATION_FAILED' | 'KAFKA_REJECTED' | 'PARSER_FAILURE';

type Outcome =
  | { kind: 'readings'; readings: SensorReading[] }
  | { kind: 'dead'; code: DeadLetterCode; reason: string }
  | { kind: 'ignored' };

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * MQTT -> Kafka. Each MQTT message (QoS 1, persistent session) is validated and expanded into
 * readings, de-duplicated, flagged for anomalies and written as Avro records keyed by device_id
 * (acks=all, one request in flight, retried until acked); bad input goes to the DLQ. The PUBACK is held back
 * (customHandleAcks) until Kafka confirmed every record of the message, so a crash at any point
 * leaves the message with the broker, which redelivers it.
 *
 * One MQTT session with Receive Maximum `maxInFlight`: that many messages are handled at once,
 * each PUBACK held (HeldPubacks) until its records are in Kafka. The broker queues the rest: that
 * is the backpressure. Messages are transformed in arrival order, so per-device order holds for
 * de-duplication and anomaly jumps.
 */
export class MqttKafkaAdapter {
  readonly metrics = new AdapterMetrics();
  private readonly dedup: DedupWindow;
  private readonly detector: AnomalyDetector;
  private readonly tagsSeen = new Set<string>();
  /** The Ruuvi gateways heard: their status counters and when each was last heard, as metrics. */
  private readonly gateways = new GatewayBoard();
  private readonly metricsServer: HealthServer;
  private readonly readingSerializer: AvroSerializer<SensorReading>;
  private readonly deadLetterSerializer: AvroSerializer<DeadLetter>;
  private readonly producer: RecordProducer;
  private readonly sender: CoalescingSender;
  private readonly deadLetterSender: CoalescingSender;
  /** The one MQTT connection (a persistent session; see HeldPubacks for why one). */
  private connection?: MqttClient;
  private heldPubacks?: HeldPubacks;
  private readonly inFlight = new Set<Promise<boolean>>();
  private readonly abort = new AbortController();
  private readonly aborted: Promise<void>;
  private readonly dependencyUp = new Map<Dependency, boolean>();
  private state: State = 'idle';
  private stopping?: Promise<void>;

  constructor(
    private readonly config: AdapterConfig,
    private readonly log: Logger = createLogger({ component: 'adapter', level: 'info' }),
  ) {
    this.dedup = new DedupWindow(config.dedupWindowSize, config.dedupWindowMs);
    this.detector = new AnomalyDetector(config.anomalyMaxDevices);
    const c = config.connection;
    this.readingSerializer = AvroSerializer.forUrl(
      c.schemaRegistryUrl,
      `${c.topic}-value`,
      loadSchemaText('sensor_reading'),
      sensorReadingToAvro,
    );
    this.deadLetterSerializer = AvroSerializer.forUrl(
      c.schemaRegistryUrl,
      `${c.dlqTopic}-value`,
      loadSchemaText('dead_letter'),
      deadLetterToAvro,
    );
    // ADAPTER_KAFKA_CLIENT picks the client (kafka/record-producer.ts): either way sends never
    // retry inside the client, so the adapter's own loop reports the outage (metrics, one log
    // line) and resends for as long as it takes; the adapter logs each dependency's state
    // changes itself, so the client stays silent.
    this.producer = createRecordProducer(config.kafkaClient, {
      connection: c,
      clientId: config.mqttClientId,
    });
    // 1000 readings per message at most, so a request stays far below Kafka's 1 MB default.
    this.sender = new CoalescingSender(this.producer, 2000);
    // Dead letters never share a request with readings: Kafka accepts or rejects a request per
    // partition, so a rejected reading would otherwise resend a dead letter that already landed.
    this.deadLetterSender = new CoalescingSender(this.producer, 2000);
    this.metricsServer = new HealthServer(config.metricsPort, config.metricsHost, this.metrics.registry, {
      live: () => this.state !== 'stopped',
      ready: () => this.readiness(),
    });
    for (const d of ['mqtt', 'kafka', 'registry'] as const)
      this.metrics.dependencyUp.set({ dependency: d }, 0);
    new GatewayMetrics(this.metrics.registry, this.gateways);
    // Every in-flight message may be waiting in a retry loop on this signal at once.
    setMaxListeners(4 * config.maxInFlight + 16, this.abort.signal);
    this.aborted = new Promise((resolve) =>
      this.abort.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }

  get metricsPort(): number {
    return this.metricsServer.boundPort;
  }

  /**
   * Serves metrics at once, then waits (retrying with backoff) for the registry and Kafka, and
   * returns when the MQTT connection has subscribed. stop() during start() ends it.
   */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`adapter cannot start from state ${this.state}`);
    this.state = 'starting';
    try {
      await this.metricsServer.start();
      await this.withRetry('registry', async () => {
        await this.readingSerializer.start();
        await this.deadLetterSerializer.start();
      });
      await this.withRetry('kafka', () => this.producer.connect());
      await Promise.race([this.connect(), this.aborted]);
    } catch (e) {
      if (e instanceof AbortedError) return; // stop() came first
      throw e;
    }
    if (this.state !== 'starting') return;
    this.state = 'running';
    this.log.info(
      `running: ${effectiveFilters(this.config).join(', ')} -> ${this.config.connection.topic} (DLQ ${this.config.connection.dlqTopic}), ${this.config.maxInFlight} in flight, Kafka client ${this.producer.client}, metrics :${this.metricsPort}`,
    );
  }

  /**
   * Stops reading, lets in-flight messages finish for up to drainTimeoutMs, abandons the rest
   * (unacknowledged: the broker redelivers them), then closes everything. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    const drained = Promise.allSettled([...this.inFlight]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, this.config.drainTimeoutMs)))]);
    clearTimeout(timer);
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
    // The PUBACKs of what was drained go out before the DISCONNECT; what was abandoned stays
    // unacknowledged with the broker. A broker that does not answer gets a forced close.
    await this.heldPubacks?.flushed();
    const connection = this.connection;
    if (connection) {
      let timer: NodeJS.Timeout | undefined;
      const gentle = connection.endAsync(false).then(() => true);
      const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), 2_000)));
      const ended = await Promise.race([gentle, late]).catch(() => false);
      clearTimeout(timer);
      if (!ended) await connection.endAsync(true).catch(() => undefined);
    }
    await this.producer.disconnect().catch(() => undefined);
    await this.metricsServer.stop();
    this.state = 'stopped';
    this.log.info('stopped');
  }

  private readiness(): { ready: boolean; reason: string } {
    if (this.state !== 'running') return { ready: false, reason: this.state };
    const down = [...this.dependencyUp].filter(([, up]) => !up).map(([d]) => d);
    if (down.length > 0) return { ready: false, reason: `waiting for ${down.join(', ')}` };
    return { ready: true, reason: 'ok' };
  }

  /** Connects (a persistent MQTT v5 session) and resolves once subscribed. */
  private connect(): Promise<void> {
    const c = this.config;
    const filters = effectiveFilters(c);
    const connection = mqtt.connect(c.connection.mqttUrl, {
      clientId: c.mqttClientId,
      username: c.connection.mqttUsername,
      password: c.connection.mqttPassword,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: c.sessionExpirySeconds, receiveMaximum: c.maxInFlight },
      reconnectPeriod: c.backoffInitialMs,
      connectTimeout: 10_000,
      resubscribe: false,
      customHandleAcks: (topic, payload, packet, ack) => {
        const publish = packet as mqtt.IPublishPacket;
        // Packets arrive only after connect, when heldPubacks is set.
        heldPubacks.hold(publish.messageId, this.onPublish(topic, payload, publish));
        ack(0);
      },
    });
    const heldPubacks = new HeldPubacks(connection);
    this.heldPubacks = heldPubacks;
    this.connection = connection;
    return new Promise<void>((resolve) => {
      connection.on('connect', () => {
        connection.options.reconnectPeriod = c.backoffInitialMs;
        this.setDependency('mqtt', true);
        // Sharing now, the session may still hold the plain subscription of a single adapter
        // (scaled up since): drop it, or this replica would get every message besides its share.
        if (c.sharedGroup !== '')
          connection
            .unsubscribeAsync(effectiveFilters({ ...c, sharedGroup: '' }))
            .catch((err: Error) => this.log.warn(`unsubscribe failed: ${err.message}`));
        // Subscribing again on a present session is harmless and repairs a lost subscription.
        connection.subscribeAsync(filters, { qos: 1 }).then(
          (grants) => {
            const refused = grants.filter((g) => g.qos > 2);
            if (refused.length > 0) this.log.warn(`broker refused ${refused.map((g) => g.topic).join(', ')}`);
            resolve();
          },
          (err: Error) => this.log.warn(`subscribe failed: ${err.message}`),
        );
      });
      connection.on('close', () => {
        if (this.state === 'stopping' || this.state === 'stopped') return;
        this.setDependency('mqtt', false, 'connection closed');
        connection.options.reconnectPeriod = Math.min(
          c.backoffMaxMs,
          (connection.options.reconnectPeriod ?? c.backoffInitialMs) * 2,
        );
      });
      connection.on('error', (err) => {
        if (this.state !== 'stopping' && this.state !== 'stopped')
          this.setDependency('mqtt', false, err.message);
      });
    });
  }

  /** Resolves true once the message is safe in Kafka (its PUBACK may go), false if it must not be acked. */
  private onPublish(topic: string, payload: Buffer, packet: mqtt.IPublishPacket): Promise<boolean> {
    // Not running: leave it unacknowledged; the connection is about to close and the broker
    // redelivers it to whoever holds the session next.
    if (this.state !== 'running' && this.state !== 'starting') return Promise.resolve(false);
    const work = this.handle(topic, payload, packet).then(
      () => true,
      (err: unknown) => {
        if (!(err instanceof AbortedError))
          this.log.warn(`message on ${topic} not acknowledged: ${String(err)}`);
        return false;
      },
    );
    this.inFlight.add(work);
    this.metrics.inFlight.set(this.inFlight.size);
    // Not awaited: the set of in-flight work is the bookkeeping; the work's own handlers deal with its failure.
    void work.finally(() => {
      this.inFlight.delete(work);
      this.metrics.inFlight.set(this.inFlight.size);
    });
    return work;
  }

  private async handle(topic: string, payload: Buffer, packet: mqtt.IPublishPacket): Promise<void> {
    const receivedAt = new Date();
    const started = performance.now();
    const outcome = this.transform(topic, payload, receivedAt);
    this.metrics.transformationDuration.observe((performance.now() - started) / 1000);
    if (outcome.kind === 'readings') {
      const dead = await this.produceReadings(outcome.readings);
      if (dead) await this.produceDeadLetter(topic, payload, packet, receivedAt, dead.code, dead.reason);
    } else if (outcome.kind === 'dead') {
      await this.produceDeadLetter(topic, payload, packet, receivedAt, outcome.code, outcome.reason);
    } else {
      this.metrics.ignoredMessages.inc();
    }
    this.metrics.deliveryLatency.observe((Date.now() - receivedAt.getTime()) / 1000);
  }

  /** Pure apart from the dedup window, the anomaly history and metrics. */
  private transform(topic: string, payload: Buffer, receivedAt: Date): Outcome {
    let format = 'unknown';
    try {
      const prefix = this.config.topicPrefix;
      if (!topic.startsWith(prefix))
        throw new PayloadError('UNKNOWN_FORMAT', `topic ${topic} outside prefix ${prefix}`);
      const local = topic.slice(prefix.length);
      const f = formatOfTopic(local, this.config.ruuviTopicPrefix);
      format = f;
      if (!this.config.payloadFormats.includes(PAYLOAD_FORMAT_OF[f])) {
        throw new PayloadError(
          'FORMAT_NOT_ACCEPTED',
          `payload format ${PAYLOAD_FORMAT_OF[f]} is not one this pipeline accepts (${this.config.payloadFormats.join(', ')})`,
        );
      }
      if (payload.length > this.config.maxPayloadBytes) {
        throw new PayloadError(
          'OVERSIZED',
          `payload of ${payload.length} bytes exceeds ${this.config.maxPayloadBytes}`,
        );
      }
      if (f === 'gateway_status') {
        // No readings: the gateway's state and counters become metrics (GatewayMetrics).
        this.gateways.status(
          parseGatewayStatus(local, payload, this.config.ruuviTopicPrefix),
          receivedAt.getTime(),
        );
        return { kind: 'ignored' };
      }
      const parsed = parsePayload(f, local, payload, receivedAt, this.config.ruuviTopicPrefix);
      const gatewayId = f === 'ruuvi_gateway' ? parsed[0]?.gateway_id : undefined;
      if (gatewayId) this.gateways.heard(gatewayId, receivedAt.getTime());
      const fresh = parsed.filter((r) => !this.dedup.has(r.reading_id, r.timestamp.getTime()));
      this.metrics.duplicatesDropped.inc(parsed.length - fresh.length);
      if (f !== 'simulator') this.noteTags(fresh);
      const flagged = this.detector.flag(fresh);
      this.metrics.anomalies.inc(flagged.filter((r) => r.is_anomaly).length);
      return { kind: 'readings', readings: flagged };
    } catch (e) {
      if (e instanceof PayloadError) return { kind: 'dead', code: e.code, reason: e.reason };
      // A parser bug must not stop the adapter: the message is kept in the DLQ for a replay.
      return { kind: 'dead', code: 'PARSER_FAILURE', reason: `unexpected ${String(e)}`.slice(0, 300) };
    } finally {
      this.metrics.messagesReceived.inc({ format });
    }
  }

  private noteTags(readings: SensorReading[]): void {
    for (const r of readings) {
      if (this.tagsSeen.size >= this.config.anomalyMaxDevices) break;
      this.tagsSeen.add(r.device_id.slice(0, r.device_id.indexOf('_')));
    }
    this.metrics.ruuvitagDevicesSeen.set(this.tagsSeen.size);
  }

  /** Writes the readings; returns a dead-letter reason when Kafka rejects the records themselves. */
  private async produceReadings(
    readings: SensorReading[],
  ): Promise<{ code: DeadLetterCode; reason: string } | null> {
    if (readings.length === 0) return null;
    let messages;
    try {
      messages = readings.map((r) => ({
        key: Buffer.from(r.device_id),
        value: this.readingSerializer.encode(r),
      }));
    } catch (e) {
      if (e instanceof SerializationError) return { code: 'SERIALIZATION_FAILED', reason: e.message };
      throw e;
    }
    // Remembered before the write so a copy arriving meanwhile (another gateway's hearing) is
    // dropped: it is acked while this one is still unacked, and if this write is abandoned this
    // message is redelivered, so nothing is lost.
    for (const r of readings) this.dedup.remember(r.reading_id, r.timestamp.getTime());
    try {
      await this.withRetry(
        'kafka',
        () => this.sender.send(this.config.connection.topic, messages),
        (e) => !this.producer.isRecordRejected(e),
      );
    } catch (e) {
      for (const r of readings) this.dedup.forget(r.reading_id, r.timestamp.getTime());
      if (this.producer.isRecordRejected(e))
        return { code: 'KAFKA_REJECTED', reason: `Kafka rejected the records: ${String(e)}`.slice(0, 300) };
      throw e;
    }
    this.metrics.readingsProduced.inc(readings.length);
    return null;
  }

  private async produceDeadLetter(
    topic: string,
    payload: Buffer,
    packet: mqtt.IPublishPacket,
    receivedAt: Date,
    code: DeadLetterCode,
    reason: string,
  ): Promise<void> {
    // An oversized payload is kept up to the limit, so the DLQ record always fits Kafka.
    const truncated = payload.length > this.config.maxPayloadBytes;
    const headers: Record<string, string> = { qos: String(packet.qos), dup: String(packet.dup) };
    if (truncated) {
      headers.original_truncated = 'true';
      headers.original_bytes = String(payload.length);
    }
    const value = this.deadLetterSerializer.encode({
      stage: 'adapter',
      reason: reason.replace(/\s+/g, ' '),
      error_code: code,
      source: topic,
      original: truncated ? payload.subarray(0, this.config.maxPayloadBytes) : payload,
      received_at: receivedAt,
      headers,
    });
    await this.withRetry('kafka', () =>
      this.deadLetterSender.send(this.config.connection.dlqTopic, [{ key: Buffer.from(topic), value }]),
    );
    this.metrics.dlqMessages.inc({ error_code: code });
  }

  private async withRetry<T>(
    dependency: Dependency,
    fn: () => Promise<T>,
    isTemporary: (e: unknown) => boolean = (e) => isTemporaryFor(dependency, e),
  ): Promise<T> {
    const result = await retry(fn, {
      signal: this.abort.signal,
      initialMs: this.config.backoffInitialMs,
      maxMs: this.config.backoffMaxMs,
      isTemporary,
      onFailure: (err) => {
        this.metrics.retries.inc({ dependency });
        this.setDependency(dependency, false, err instanceof Error ? err.message : String(err));
      },
    });
    this.setDependency(dependency, true);
    return result;
  }

  /** Logs once per change of state, not per retry. */
  private setDependency(dependency: Dependency, up: boolean, detail = ''): void {
    const was = this.dependencyUp.get(dependency);
    this.dependencyUp.set(dependency, up);
    this.metrics.dependencyUp.set({ dependency }, up ? 1 : 0);
    if (was === up) return;
    if (up) this.log.info(`${dependency} ${was === undefined ? 'connected' : 'reachable again'}`);
    else this.log.warn(`${dependency} unreachable, retrying with backoff: ${detail}`);
  }
}

/** A failure to wait out: the registry's by the one classification; Kafka's connect always. */
function isTemporaryFor(dependency: Dependency, err: unknown): boolean {
  return dependency !== 'registry' || classifyRegistryFailure(err) === 'temporary';
}
