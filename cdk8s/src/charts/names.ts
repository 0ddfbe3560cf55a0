/**
 * Names other objects refer to (the operator's defaults in operator/src/crd/iotpipeline.ts, the
 * workloads' env, NetworkPolicies, monitors): explicit, never cdk8s's hashed ones.
 */
export const NAMES = {
  kafkaCluster: 'iotpipe',
  kafkaNodePool: 'combined',
  kafkaBootstrap: 'iotpipe-kafka-bootstrap:9092',
  kafkaMetricsConfigMap: 'kafka-metrics',
  kafkaMetricsKey: 'jmx-exporter.yaml',
  registry: 'apicurio-registry',
  registryJournalTopic: 'kafkasql-journal',
  registrySnapshotsTopic: 'kafkasql-snapshots',
  /** Apicurio 3's storage events (apicurio.events.kafka.topic, since 3.0.1): without it kafkasql never starts. */
  registryEventsTopic: 'registry-events',
  alertsTopic: 'iot-alerts',
  timescale: 'timescaledb',
  timescaleHeadless: 'timescaledb-headless',
  timescaleSecret: 'timescaledb-credentials',
  timescaleInitConfigMap: 'timescaledb-init',
  mosquitto: 'mosquitto',
  mosquittoConfigMap: 'mosquitto-config',
  mosquittoSecret: 'mosquitto-credentials',
  operator: 'iotpipe-operator',
  smtpSecret: 'alertmanager-smtp',
  samplePipeline: 'sensors',
} as const;

/** Ports; the workloads and the operator's defaults use the same. */
export const PORTS = {
  kafka: 9092,
  registryHttp: 8080,
  registryManagement: 9000,
  postgres: 5432,
  postgresExporter: 9187,
  mqtt: 1883,
  mosquittoExporter: 9234,
  operatorMetrics: 8080,
  /** processor, adapter, sink (DESIGN.md; operator/src/children/names.ts METRICS_PORTS). */
  workloadMetrics: [8001, 8002, 8003],
} as const;
