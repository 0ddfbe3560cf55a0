import { METRICS_PORTS, OPERATOR_METRICS_PORT, STRIMZI_CLIENT_PORT } from '@iotpipe/contract';

/**
 * Names other objects refer to (the operator's defaults in operator/src/crd/iotpipeline.ts, the
 * workloads' env, NetworkPolicies, monitors): explicit, never cdk8s's hashed ones.
 */
export const NAMES = {
  kafkaCluster: 'iotpipe',
  kafkaNodePool: 'combined',
  kafkaBootstrap: `iotpipe-kafka-bootstrap:${STRIMZI_CLIENT_PORT}`,
  /** Strimzi's cluster CA certificate Secret (`<cluster>-cluster-ca-cert`): what clients trust. */
  kafkaClusterCaCert: 'iotpipe-cluster-ca-cert',
  /** The registry's KafkaUser, its principal and its Secret (Strimzi's user operator). */
  registryKafkaUser: 'apicurio-registry',
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
  timescaleDatabase: 'iot_data',
  /** The database's login roles (charts/credentials.ts DATABASE_LOGINS): owner, sink, reader, exporter. */
  timescaleOwnerSecret: 'timescaledb-owner',
  timescaleSinkSecret: 'timescaledb-sink',
  timescaleReaderSecret: 'timescaledb-reader',
  timescaleExporterSecret: 'timescaledb-exporter',
  /** TimescaleDB's server certificate (signed by platformCa). */
  timescaleTls: 'timescaledb-tls',
  timescaleMigrate: 'iotpipe-db-migrate',
  timescaleRolesConfigMap: 'iotpipe-db-roles',
  /** The platform's private CA (charts/credentials.ts). */
  platformCa: 'iotpipe-ca',
  credentials: 'iotpipe-credentials',
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
  /** Strimzi's TLS + SCRAM-SHA-512 client listener. */
  kafka: STRIMZI_CLIENT_PORT,
  /** Strimzi's internal ports: KRaft controllers, replication (brokers, entity operator). */
  kafkaControlPlane: 9090,
  kafkaReplication: 9091,
  registryHttp: 8080,
  registryManagement: 9000,
  postgres: 5432,
  postgresExporter: 9187,
  mqtt: 1883,
  mosquittoExporter: 9234,
  operatorMetrics: OPERATOR_METRICS_PORT,
  /** processor, adapter, sink (contract: METRICS_PORTS). */
  workloadMetrics: [METRICS_PORTS.processor, METRICS_PORTS.adapter, METRICS_PORTS.sink],
} as const;
