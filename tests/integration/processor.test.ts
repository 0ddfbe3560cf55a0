import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Consumer, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AVRO_OPTIONS, loadProcessorConfig, StreamProcessor } from '../../workloads/src/processor/index.js';
import type { Alert } from '../../workloads/src/schema/alert.js';
import { loadSchemaText, type SensorReading } from '../../workloads/src/schema/index.js';
import {
  createTopic,
  grantStages,
  kafkaClient,
  stackEndpoints,
  stageKafkaEnv,
  uniqueName,
} from '../support/stack.js';

/**
 * `iotpipe process` against the real Kafka and registry: readings in, alerts out, offsets
 * committed after the alerts, restart without re-alerting, bad records skipped and counted.
 */
const topic = uniqueName('proc-in');
const alertsTopic = uniqueName('proc-alerts');
const groupId = uniqueName('proc-group');
const registry = new SchemaRegistry(
  { host: stackEndpoints.registryUrl },
  { [SchemaType.AVRO]: { ...AVRO_OPTIONS } },
);
const alerts: Alert[] = [];
const logs: string[] = [];
let readingSchemaId = 0;
let producer: Producer;
let alertConsumer: Consumer;
let processor: StreamProcessor;

const env = {
  KAFKA_TOPIC: topic,
  KAFKA_ALERTS_TOPIC: alertsTopic,
  PROCESSOR_GROUP_ID: groupId,
  PROCESSOR_METRICS_PORT: '0',
  PROCESSOR_METRICS_HOST: '127.0.0.1',
  PROCESSOR_MIN_SAMPLES: '10',
  PROCESSOR_ZSCORE_THRESHOLD: '4',
  PROCESSOR_SILENCE_AFTER_SECONDS: '4',
  PROCESSOR_STARTUP_GRACE_SECONDS: '2',
  PROCESSOR_SWEEP_INTERVAL_MS: '500',
  PROCESSOR_FROM_BEGINNING: 'true',
  ...stageKafkaEnv('processor'),
};

function startProcessor(): Promise<StreamProcessor> {
  const p = new StreamProcessor(loadProcessorConfig(env), (l) => logs.push(l));
  return p.start().then(() => p);
}

let seq = 0;
function reading(device: string, value: number, over: Partial<SensorReading> = {}): SensorReading {
  seq++;
  return {
    reading_id: `${device}#${seq}`,
    device_id: device,
    device_type: 'temperature_sensor',
    timestamp: new Date(Date.now() - 60_000 + seq),
    value,
    unit: '°C',
    location: null,
    battery_level: 90,
    signal_strength: -60,
    firmware_version: 'sim-1.0',
    is_anomaly: false,
    metadata: null,
    gateway_id: null,
    measurement_sequence: seq,
    source: 'SIMULATOR',
    time_source: 'DEVICE',
    ...over,
  };
}

async function send(readings: SensorReading[]): Promise<void> {
  const messages = await Promise.all(
    readings.map(async (r) => ({ key: r.device_id, value: await registry.encode(readingSchemaId, r) })),
  );
  await producer.send({ topic, acks: -1, messages });
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline)
      throw new Error(`gave up waiting for ${what}; processor log: ${logs.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function metricsText(p: StreamProcessor): Promise<string> {
  return (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
}

function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

async function committedTotal(): Promise<number> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (t?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

async function highWatermarkTotal(): Promise<number> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

const ofType = (t: Alert['alert_type'], device?: string) =>
  alerts.filter((a) => a.alert_type === t && (device === undefined || a.device_id === device));

beforeAll(async () => {
  await createTopic(topic, 3);
  await createTopic(alertsTopic, 3);
  // The processor's own account may read the readings in its group and write alerts; the DLQ
  // name is unused here (the processor has none).
  await grantStages({ topic, dlqTopic: `${topic}-dlq`, alertsTopic, processorGroup: groupId }, ['processor']);
  ({ id: readingSchemaId } = await registry.register(
    { type: SchemaType.AVRO, schema: loadSchemaText('sensor_reading') },
    { subject: `${topic}-value` },
  ));
  producer = kafkaClient().producer({ idempotent: true });
  await producer.connect();
  alertConsumer = kafkaClient().consumer({ groupId: uniqueName('proc-alert-reader') });
  await alertConsumer.connect();
  await alertConsumer.subscribe({ topic: alertsTopic, fromBeginning: true });
  await alertConsumer.run({
    eachMessage: async ({ message }) => {
      const a = (await registry.decode(message.value!)) as Alert;
      expect(message.key?.toString()).toBe(a.device_id);
      alerts.push(a);
    },
  });
  processor = await startProcessor();
});

afterAll(async () => {
  await processor?.stop();
  await alertConsumer?.disconnect();
  await producer?.disconnect();
});

describe('iotpipe process on the local stack', () => {
  it('publishes outlier, flagged-anomaly and low-battery alerts as Avro, keyed by device', async () => {
    const steady = Array.from({ length: 40 }, (_, i) => reading('it-a_temperature', 21 + 0.1 * Math.sin(i)));
    await send(steady);
    await send([
      reading('it-a_temperature', 40),
      reading('it-b_temperature', 99, { is_anomaly: true, metadata: { anomaly_reason: 'spike' } }),
      reading('it-c_temperature', 21, { battery_level: 5 }),
    ]);
    await until('three alerts', () => alerts.length >= 3 || undefined);
    expect(ofType('STATISTICAL_OUTLIER', 'it-a_temperature')).toHaveLength(1);
    expect(ofType('STATISTICAL_OUTLIER')[0]!.score!).toBeGreaterThan(4);
    expect(ofType('ANOMALY_FLAGGED', 'it-b_temperature')[0]!.message).toContain('spike');
    expect(ofType('BATTERY_LOW', 'it-c')[0]!.threshold).toBe(20);
    expect(ofType('STATISTICAL_OUTLIER')[0]!.detected_at).toBeInstanceOf(Date);
    // The registry holds the alert schema under the alerts topic's subject.
    expect(await registry.getLatestSchemaId(`${alertsTopic}-value`)).toBeGreaterThan(0);

    const m = await until('metrics to count the batch', async () => {
      const t = await metricsText(processor);
      return metric(t, 'iot_messages_processed_total', 'device_type="temperature_sensor"') >= 43
        ? t
        : undefined;
    });
    expect(metric(m, 'iot_alerts_published_total', 'type="STATISTICAL_OUTLIER"')).toBe(1);
    expect(metric(m, 'iot_anomalies_total', 'device_type="temperature_sensor",detector="flagged"')).toBe(1);
    expect(metric(m, 'iot_anomalies_total', 'device_type="temperature_sensor",detector="zscore"')).toBe(1);
    expect(m).toMatch(/^iot_consumer_lag\{topic="[^"]+",partition="\d"\} 0$/m);
    expect(m).toMatch(/^iot_processing_duration_seconds_count \d+/m);
  });

  it('commits offsets only with the alerts published, and a restart does not re-alert', async () => {
    await until('all offsets committed', async () =>
      (await committedTotal()) === (await highWatermarkTotal()) ? true : undefined,
    );
    const readingAlerts = () => alerts.filter((a) => a.alert_type !== 'DEVICE_SILENT').length;
    const before = readingAlerts();
    await processor.stop();
    await processor.stop(); // idempotent
    processor = await startProcessor();
    await send([reading('it-a_temperature', 21)]);
    await until('the new record committed', async () =>
      (await committedTotal()) === (await highWatermarkTotal()) ? true : undefined,
    );
    // Alerts of a batch are acknowledged before its offsets are committed: none can still come.
    expect(readingAlerts()).toBe(before);
  });

  it('skips and counts a record that is not a SensorReading, and keeps going', async () => {
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: 'junk', value: Buffer.from('not avro at all') }],
    });
    await send([reading('it-d_temperature', 1, { is_anomaly: true })]);
    await until('the reading after the junk', () => ofType('ANOMALY_FLAGGED', 'it-d_temperature')[0]);
    expect(metric(await metricsText(processor), 'iot_messages_failed_total', 'reason="decode"')).toBe(1);
  });

  it('alerts devices that fell silent once each; only devices this instance has seen', async () => {
    // The restarted processor has seen a and d only; b and c went quiet before it started.
    const ids = () => new Set(ofType('DEVICE_SILENT').map((a) => a.device_id));
    await until('silence alerts for a and d', () =>
      ids().has('it-a_temperature') && ids().has('it-d_temperature') ? true : undefined,
    );
    const silenceIds = ofType('DEVICE_SILENT').map((a) => a.alert_id);
    expect(new Set(silenceIds).size).toBe(silenceIds.length);
    for (const a of ofType('DEVICE_SILENT')) expect(a.value!).toBeGreaterThan(a.threshold!);
    const m = await until('the silent gauge', async () => {
      const t = await metricsText(processor);
      return metric(t, 'iot_devices_silent', 'device_type="temperature_sensor"') === 2 ? t : undefined;
    });
    expect(metric(m, 'iot_devices_tracked')).toBe(2);
  });
});
