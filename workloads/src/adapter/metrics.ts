import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type Dependency = 'mqtt' | 'kafka' | 'registry';

/** The adapter's metrics, in a Registry of its own (several adapters may share a process). */
export class AdapterMetrics {
  readonly registry = new Registry();
  readonly messagesReceived = new Counter({
    name: 'mqtt_adapter_messages_received_total',
    help: 'MQTT messages received, by payload format',
    labelNames: ['format'] as const,
    registers: [this.registry],
  });
  readonly ruuvitagDevicesSeen = new Gauge({
    name: 'mqtt_adapter_ruuvitag_devices_seen',
    help: 'Distinct RuuviTag MACs seen since start (bounded by ADAPTER_ANOMALY_MAX_DEVICES)',
    registers: [this.registry],
  });
  readonly transformationDuration = new Histogram({
    name: 'mqtt_adapter_transformation_duration_seconds',
    help: 'Time to validate, decode and expand one MQTT message into readings',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    registers: [this.registry],
  });
  readonly readingsProduced = new Counter({
    name: 'mqtt_adapter_readings_produced_total',
    help: 'Readings Kafka confirmed (acks=all)',
    registers: [this.registry],
  });
  readonly anomalies = new Counter({
    name: 'mqtt_adapter_anomalies_total',
    help: 'Readings flagged is_anomaly',
    registers: [this.registry],
  });
  readonly dlqMessages = new Counter({
    name: 'mqtt_adapter_dlq_messages_total',
    help: 'MQTT messages written to the DLQ, by error code',
    labelNames: ['error_code'] as const,
    registers: [this.registry],
  });
  readonly duplicatesDropped = new Counter({
    name: 'mqtt_adapter_duplicates_dropped_total',
    help: 'Readings dropped because the de-duplication window had seen them',
    registers: [this.registry],
  });
  readonly ignoredMessages = new Counter({
    name: 'mqtt_adapter_ignored_messages_total',
    help: 'MQTT messages acknowledged without readings (gateway status)',
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'mqtt_adapter_in_flight_messages',
    help: 'MQTT messages received and not yet acknowledged',
    registers: [this.registry],
  });
  readonly deliveryLatency = new Histogram({
    name: 'mqtt_adapter_delivery_latency_seconds',
    help: 'From MQTT receipt to PUBACK (all records confirmed by Kafka)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
    registers: [this.registry],
  });
  readonly dependencyUp = new Gauge({
    name: 'iotpipe_adapter_dependency_up',
    help: '1 when the dependency answers, 0 while the adapter waits and retries',
    labelNames: ['dependency'] as const,
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'iotpipe_adapter_retries_total',
    help: 'Attempts that failed temporarily and were retried, by dependency',
    labelNames: ['dependency'] as const,
    registers: [this.registry],
  });
}
