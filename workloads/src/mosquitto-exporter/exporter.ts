import { MOSQUITTO_EXPORTER, readSettings, type SettingValues } from '@iotpipe/contract';
import { connect, type MqttClient } from 'mqtt';
import { Counter, Gauge, Registry } from 'prom-client';
import { HealthServer } from '@iotpipe/runtime';
import { parseSysMessage, SYS_PREFIX, type SysSample } from './sys.js';

export type MosquittoExporterConfig = SettingValues<typeof MOSQUITTO_EXPORTER>;

/** Reads and validates the exporter's config (no network); a bad value throws ConfigError. */
export function loadMosquittoExporterConfig(env: NodeJS.ProcessEnv = process.env): MosquittoExporterConfig {
  return readSettings(MOSQUITTO_EXPORTER, env);
}

/**
 * The broker's $SYS values as Prometheus metrics, kept in a registry of their own: each sample
 * sets its metric to the broker's value (a counter is reset and set, since the broker reports
 * running totals, which drop to 0 when it restarts: a counter reset to Prometheus).
 */
export class SysMetrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, Gauge>();
  readonly connected = new Gauge({
    name: 'mosquitto_exporter_broker_connected',
    help: '1 while the exporter is connected to the broker',
    registers: [this.registry],
  });
  readonly messages = new Counter({
    name: 'mosquitto_exporter_sys_messages_total',
    help: '$SYS messages received from the broker',
    registers: [this.registry],
  });

  record(sample: SysSample): void {
    this.messages.inc();
    const labelNames = Object.keys(sample.labels ?? {});
    if (sample.kind === 'counter') {
      let c = this.counters.get(sample.name);
      if (!c) {
        c = new Counter({ name: sample.name, help: sample.help, registers: [this.registry] });
        this.counters.set(sample.name, c);
      }
      c.reset();
      if (sample.value > 0) c.inc(sample.value);
      return;
    }
    let g = this.gauges.get(sample.name);
    if (!g) {
      g = new Gauge({ name: sample.name, help: sample.help, labelNames, registers: [this.registry] });
      this.gauges.set(sample.name, g);
    }
    if (sample.labels) {
      // An info metric: the current label set only.
      g.reset();
      g.set(sample.labels, sample.value);
    } else {
      g.set(sample.value);
    }
  }
}

/** Subscribes to the broker's $SYS/broker/# and serves what it reads on /metrics. */
export class MosquittoExporter {
  readonly metrics = new SysMetrics();
  private client?: MqttClient;
  private server?: HealthServer;
  private samples = 0;

  constructor(readonly config: MosquittoExporterConfig) {}

  async start(): Promise<void> {
    const c = this.config;
    this.server = new HealthServer(c.port, c.host, this.metrics.registry, {
      live: () => true,
      ready: () => {
        if (!this.client?.connected) return { ready: false, reason: `not connected to ${c.brokerUrl}` };
        if (this.samples === 0) return { ready: false, reason: `no ${SYS_PREFIX} message yet` };
        return { ready: true, reason: `connected; ${this.samples} $SYS messages` };
      },
    });
    await this.server.start();
    const client = connect(c.brokerUrl, {
      ...(c.username === '' ? {} : { username: c.username, password: c.password }),
      clientId: `mosquitto-exporter-${process.pid}`,
      clean: true,
      reconnectPeriod: 2000,
    });
    this.client = client;
    client.on('connect', () => {
      this.metrics.connected.set(1);
      client.subscribe(`${SYS_PREFIX}#`, { qos: 0 }, (err) => {
        if (err) console.error(`mosquitto-exporter: subscribing to ${SYS_PREFIX}# failed: ${err.message}`);
      });
    });
    client.on('close', () => this.metrics.connected.set(0));
    client.on('error', (err) => console.error(`mosquitto-exporter: ${c.brokerUrl}: ${err.message}`));
    client.on('message', (topic, payload) => {
      const sample = parseSysMessage(topic, payload.toString('utf8'));
      if (!sample) return;
      this.samples += 1;
      this.metrics.record(sample);
    });
  }

  get metricsPort(): number {
    return this.server?.boundPort ?? this.config.port;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync();
    await this.server?.stop();
    this.server = undefined;
  }
}
