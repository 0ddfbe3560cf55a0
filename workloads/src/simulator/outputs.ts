import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { Partitioners, type Message, type Producer } from 'kafkajs';
import { classifyMqttFailure, retry } from '@iotpipe/runtime';
import mqtt, { type MqttClient } from 'mqtt';
import type { ConnectionConfig } from '../config/common.js';
import { createKafka } from '../kafka/client.js';
import { AVRO_LOGICAL_TYPES } from '../schema/avro-types.js';
import { loadSchemaText, type SensorReading } from '../schema/index.js';
import type { GenericUnit, RuuviUnit } from './devices.js';
import {
  genericJson,
  genericRecord,
  ruuviGatewayMessage,
  ruuviGatewayTopic,
  ruuviRecords,
} from './payloads.js';

export { AVRO_LOGICAL_TYPES };

export type SendableUnit = GenericUnit | RuuviUnit;

export interface OutputStats {
  /** MQTT messages published or Kafka records produced (each gateway copy counts). */
  messages: number;
  /** Of those, acknowledged by the broker (PUBACK / acks=all). */
  acked: number;
  /** Failed attempts (each was retried) plus messages given up as permanently failed. */
  errors: number;
  /** Messages given up after a permanent error. */
  failed: number;
  inFlight: number;
}

/** Where the simulator's units go: MQTT like real gateways, or Kafka like the adapter. */
export interface SimulatorOutput {
  start(): Promise<void>;
  /** Resolves once every message of `units` is in flight (waits while the window is full). */
  send(units: readonly SendableUnit[]): Promise<void>;
  /** Resolves when everything sent so far is acknowledged (or failed permanently). */
  flush(): Promise<void>;
  stop(): Promise<void>;
  stats(): OutputStats;
}

export interface OutputOptions {
  connection: ConnectionConfig;
  mqttTopicPrefix: string;
  ruuviTopicPrefix: string;
  clientId: string;
  batchSize: number;
  connections: number;
  maxInFlight: number;
  log: (line: string) => void;
}

/** Bounds what is unacknowledged: acquire before sending, release on ack or permanent failure. */
export class InFlightWindow {
  private count = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly idleWaiting: Array<() => void> = [];

  constructor(private readonly max: number) {}

  get size(): number {
    return this.count;
  }

  async acquire(): Promise<void> {
    while (this.count >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.count++;
  }

  release(): void {
    this.count--;
    this.waiting.shift()?.();
    if (this.count === 0) for (const resolve of this.idleWaiting.splice(0)) resolve();
  }

  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiting.push(resolve));
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Capped exponential backoff: 100 ms, 200 ms, ... 5 s. */
const backoffMs = (attempt: number) => Math.min(5000, 100 * 2 ** Math.min(attempt, 6));

/** Logs a condition when it starts and when it clears, not on every retry. */
class StateLog {
  private failing = false;
  constructor(
    private readonly what: string,
    private readonly log: (line: string) => void,
  ) {}
  fail(reason: string): void {
    if (!this.failing) this.log(`${this.what} failing, retrying with backoff: ${reason}`);
    this.failing = true;
  }
  ok(): void {
    if (this.failing) this.log(`${this.what} recovered`);
    this.failing = false;
  }
}

abstract class WindowedOutput implements SimulatorOutput {
  protected readonly window: InFlightWindow;
  protected stopped = false;
  protected counters = { messages: 0, acked: 0, errors: 0, failed: 0 };

  constructor(maxInFlight: number) {
    this.window = new InFlightWindow(maxInFlight);
  }

  abstract start(): Promise<void>;
  abstract send(units: readonly SendableUnit[]): Promise<void>;
  abstract stop(): Promise<void>;

  flush(): Promise<void> {
    return this.window.idle();
  }

  stats(): OutputStats {
    return { ...this.counters, inFlight: this.window.size };
  }

  /** Runs `attempt` until it succeeds, is permanent, or the output stops; holds one window slot. */
  protected async dispatch(
    messages: number,
    attempt: () => Promise<void>,
    isPermanent: (err: unknown) => boolean,
    state: StateLog,
  ): Promise<void> {
    await this.window.acquire();
    this.counters.messages += messages;
    // Not awaited: the publish runs while the caller sends the next batch; the window bounds how many, and the task's own try/catch counts what failed.
    void (async () => {
      try {
        for (let i = 0; ; i++) {
          try {
            await attempt();
            this.counters.acked += messages;
            state.ok();
            return;
          } catch (err) {
            this.counters.errors++;
            const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
            if (this.stopped || isPermanent(err)) {
              this.counters.failed += messages;
              state.fail(`giving up on ${messages} message(s): ${reason}`);
              return;
            }
            state.fail(reason);
            await sleep(backoffMs(i));
          }
        }
      } finally {
        this.window.release();
      }
    })();
  }
}

/**
 * Publishes like the real devices: Ruuvi Gateway messages on `<ruuvi prefix>/<gw>/<tag>` and
 * generic readings on `<sim prefix>/...` (a JSON array of up to batchSize per message), QoS 1.
 * Spreads messages over several connections; a tag's packets always use the same one so they
 * arrive in order.
 */
export class MqttOutput extends WindowedOutput {
  private clients: MqttClient[] = [];
  private next = 0;
  private readonly state: StateLog;
  /** Aborted by stop(): a start still waiting for the broker gives up. */
  private readonly stopping = new AbortController();

  constructor(private readonly options: OutputOptions) {
    super(options.maxInFlight);
    this.state = new StateLog('MQTT publish', options.log);
  }

  /**
   * Connects every connection. A broker that is not there yet (a pod started before Mosquitto
   * is Ready, a broker restarting) is waited for with capped backoff, as the stages wait for
   * theirs; only a refusal of the client (bad credentials, not authorised) fails the start.
   */
  async start(): Promise<void> {
    const { connection, connections, clientId, log } = this.options;
    const connecting = new StateLog('MQTT connect', log);
    for (let i = 0; i < connections; i++) {
      const client = await retry(
        () =>
          mqtt.connectAsync(connection.mqttUrl, {
            clientId: `${clientId}-${i}`,
            username: connection.mqttUsername,
            password: connection.mqttPassword,
            clean: true,
            reconnectPeriod: 1000,
            connectTimeout: 10_000,
          }),
        {
          initialMs: 100,
          maxMs: 5000,
          signal: this.stopping.signal,
          isTemporary: (err) => classifyMqttFailure(err) === 'temporary',
          onFailure: (err) => connecting.fail(err instanceof Error ? err.message : String(err)),
        },
      );
      connecting.ok();
      let offline = false;
      client.on('offline', () => {
        if (!offline) log(`MQTT connection ${i} lost, reconnecting`);
        offline = true;
      });
      client.on('connect', () => {
        if (offline) log(`MQTT connection ${i} back`);
        offline = false;
      });
      client.on('error', () => {}); // surfaced through offline/connect and publish failures
      this.clients.push(client);
    }
  }

  private publish(client: MqttClient, topic: string, payload: string): Promise<void> {
    return this.dispatch(
      1,
      async () => {
        await client.publishAsync(topic, payload, { qos: 1 });
      },
      () => false, // a broker refusing one publish now may accept it after a reconnect
      this.state,
    );
  }

  async send(units: readonly SendableUnit[]): Promise<void> {
    for (const m of mqttMessages(units, this.options)) {
      const index =
        m.tagMac === null ? this.next++ % this.clients.length : clientFor(m.tagMac, this.clients.length);
      await this.publish(this.clients[index]!, m.topic, m.payload);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    const clients = this.clients.splice(0);
    await Promise.all(clients.map((c) => c.endAsync(true)));
  }
}

export interface MqttMessage {
  topic: string;
  payload: string;
  /** The tag a Ruuvi Gateway message is about (its packets keep one connection, in order). */
  tagMac: string | null;
}

/**
 * The MQTT messages for some units, as real devices would send them: generic readings batched
 * into JSON arrays of up to batchSize (a lone reading as a plain object on
 * `<prefix>/<device_id>`), and one Ruuvi Gateway message per gateway that heard a packet.
 */
export function mqttMessages(
  units: readonly SendableUnit[],
  options: Pick<OutputOptions, 'batchSize' | 'mqttTopicPrefix' | 'ruuviTopicPrefix'>,
): MqttMessage[] {
  const out: MqttMessage[] = [];
  let batch: GenericUnit[] = [];
  const flushBatch = () => {
    if (batch.length === 1) {
      const r = batch[0]!.reading;
      out.push({
        topic: `${options.mqttTopicPrefix}/${r.device_id}`,
        payload: JSON.stringify(genericJson(r)),
        tagMac: null,
      });
    } else if (batch.length > 1) {
      const payload = JSON.stringify(batch.map((u) => genericJson(u.reading)));
      out.push({ topic: `${options.mqttTopicPrefix}/batch`, payload, tagMac: null });
    }
    batch = [];
  };
  for (const unit of units) {
    if (unit.kind === 'generic') {
      batch.push(unit);
      if (batch.length >= options.batchSize) flushBatch();
      continue;
    }
    for (const delivery of unit.deliveries) {
      out.push({
        topic: ruuviGatewayTopic(options.ruuviTopicPrefix, delivery.gatewayMac, unit.tagMac),
        payload: JSON.stringify(ruuviGatewayMessage(unit, delivery)),
        tagMac: unit.tagMac,
      });
    }
  }
  flushBatch();
  return out;
}

function clientFor(key: string, n: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(h) % n;
}

/** kafkajs marks transient broker errors retriable; others (e.g. record too large) are not. */
function isPermanentKafkaError(err: unknown): boolean {
  const e = err as { retriable?: boolean; name?: string; cause?: { retriable?: boolean } };
  if (e?.retriable === true || e?.cause?.retriable === true) return false;
  if (e?.name === 'KafkaJSNumberOfRetriesExceeded' || e?.name === 'KafkaJSConnectionError') return false;
  return e?.retriable === false;
}

/**
 * Produces SensorReading records the way the adapter does: Avro registered under
 * `<topic>-value` (BACKWARD), Confluent framing, key device_id, acks=all, idempotent producers.
 */
export class KafkaOutput extends WindowedOutput {
  private producers: Producer[] = [];
  private next = 0;
  private framing?: { header: Buffer; type: avro.Type };
  private readonly state: StateLog;

  constructor(private readonly options: OutputOptions) {
    super(options.maxInFlight);
    this.state = new StateLog('Kafka produce', options.log);
  }

  async start(): Promise<void> {
    const { connection, connections, clientId } = this.options;
    const subject = `${connection.topic}-value`;
    const schemaText = loadSchemaText('sensor_reading');
    const registry = new SchemaRegistry({ host: connection.schemaRegistryUrl });
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: schemaText }, { subject });
    const res = await fetch(`${connection.schemaRegistryUrl}/config/${encodeURIComponent(subject)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'BACKWARD' }),
    });
    if (!res.ok) throw new Error(`setting BACKWARD compatibility on ${subject}: HTTP ${res.status}`);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(id, 1); // magic byte 0, then the schema id
    this.framing = {
      header,
      type: avro.Type.forSchema(JSON.parse(schemaText) as avro.Schema, { logicalTypes: AVRO_LOGICAL_TYPES }),
    };
    const kafka = createKafka(connection, clientId);
    for (let i = 0; i < connections; i++) {
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      this.producers.push(producer);
    }
  }

  private encode(r: SensorReading): Message {
    const { header, type } = this.framing!;
    return { key: r.device_id, value: Buffer.concat([header, type.toBuffer(r)]) };
  }

  async send(units: readonly SendableUnit[]): Promise<void> {
    const { batchSize, connection } = this.options;
    let batch: Message[] = [];
    const flushBatch = async () => {
      if (batch.length === 0) return;
      const messages = batch;
      batch = [];
      const producer = this.producers[this.next++ % this.producers.length]!;
      await this.dispatch(
        messages.length,
        async () => {
          await producer.send({ topic: connection.topic, acks: -1, messages });
        },
        isPermanentKafkaError,
        this.state,
      );
    };
    for (const unit of units) {
      const records =
        unit.kind === 'generic'
          ? [genericRecord(unit.reading)]
          : unit.deliveries.flatMap((d) => ruuviRecords(unit, d));
      for (const r of records) batch.push(this.encode(r));
      if (batch.length >= batchSize) await flushBatch();
    }
    await flushBatch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const producers = this.producers.splice(0);
    await Promise.all(producers.map((p) => p.disconnect()));
  }
}
