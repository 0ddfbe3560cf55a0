import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineSnapshot } from './engine.js';

/**
 * The processor's metrics, in a registry of its own (no prom-client global state). Labels are
 * bounded: device_type, source, alert type, topic/partition — never a device id.
 */
export class ProcessorMetrics {
  readonly registry = new Registry();
  readonly received: Counter<'topic'>;
  readonly processed: Counter<'device_type'>;
  readonly failed: Counter<'reason'>;
  readonly duration: Histogram;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly alertsPublished: Counter<'type'>;
  readonly alertsSuppressed: Counter<'type'>;
  readonly alertsFailed: Counter<'type'>;
  readonly anomalies: Counter<'device_type' | 'detector'>;
  readonly devicesTracked: Gauge;
  readonly devicesSilent: Gauge<'device_type'>;
  readonly batteryLow: Gauge<'source'>;
  readonly kafkaUp: Gauge;
  private readonly seenSilentTypes = new Set<string>();
  private readonly seenBatterySources = new Set<string>();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'iot_processor_' });
    this.received = new Counter({
      name: 'iot_messages_received_total',
      help: 'Records fetched from the pipeline topic',
      labelNames: ['topic'],
      registers,
    });
    this.processed = new Counter({
      name: 'iot_messages_processed_total',
      help: 'Readings decoded and judged by the alert rules',
      labelNames: ['device_type'],
      registers,
    });
    this.failed = new Counter({
      name: 'iot_messages_failed_total',
      help: 'Records that could not be processed (reason: decode = not a readable SensorReading)',
      labelNames: ['reason'],
      registers,
    });
    this.duration = new Histogram({
      name: 'iot_processing_duration_seconds',
      help: 'Time from fetch to offset commit per batch of records, alerts published included',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.lag = new Gauge({
      name: 'iot_consumer_lag',
      help: 'Records behind the partition high watermark, per assigned partition',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.alertsPublished = new Counter({
      name: 'iot_alerts_published_total',
      help: 'Alerts written to the alerts topic, by alert type',
      labelNames: ['type'],
      registers,
    });
    this.alertsSuppressed = new Counter({
      name: 'iot_alerts_suppressed_total',
      help: 'Alerts not published because the same device and type alerted within the cooldown',
      labelNames: ['type'],
      registers,
    });
    this.alertsFailed = new Counter({
      name: 'iot_alerts_failed_total',
      help: 'Alerts that could not be published for a permanent reason (logged)',
      labelNames: ['type'],
      registers,
    });
    this.anomalies = new Counter({
      name: 'iot_anomalies_total',
      help: 'Anomalous readings by device type; detector = flagged (is_anomaly) or zscore (outlier)',
      labelNames: ['device_type', 'detector'],
      registers,
    });
    this.devicesTracked = new Gauge({
      name: 'iot_devices_tracked',
      help: 'Devices the processor holds state for',
      registers,
    });
    this.devicesSilent = new Gauge({
      name: 'iot_devices_silent',
      help: 'Devices silent longer than the threshold, by device type',
      labelNames: ['device_type'],
      registers,
    });
    this.batteryLow = new Gauge({
      name: 'iot_devices_battery_low',
      help: 'Sensors whose last battery reading is below the limit, by source',
      labelNames: ['source'],
      registers,
    });
    this.kafkaUp = new Gauge({
      name: 'iot_processor_kafka_connected',
      help: '1 while the consumer fetches from Kafka, 0 while it cannot',
      registers,
    });
  }

  /** Gauges from the engine's counts; a type that had silent devices drops back to 0, not away. */
  update(s: EngineSnapshot): void {
    this.devicesTracked.set(s.devices);
    for (const t of s.silentByType.keys()) this.seenSilentTypes.add(t);
    for (const t of this.seenSilentTypes)
      this.devicesSilent.set({ device_type: t }, s.silentByType.get(t) ?? 0);
    for (const t of s.batteryLowBySource.keys()) this.seenBatterySources.add(t);
    for (const t of this.seenBatterySources)
      this.batteryLow.set({ source: t }, s.batteryLowBySource.get(t) ?? 0);
  }
}
