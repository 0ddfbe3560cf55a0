/**
 * The IoTPipeline custom resource (iotpipe.io/v1alpha1): the one definition from which both its
 * TypeScript types and the OpenAPI schema of its CRD (operator/crd/iotpipelines.iotpipe.io.yaml)
 * are made. Field defaults work with the manifests cdk8s generates (in-cluster service names).
 */
import {
  ADAPTER,
  DEFAULT_READINGS_TABLE,
  RUUVI_TOPIC_PREFIX_MAX_BYTES,
  PAYLOAD_FORMATS,
  PROCESSOR_RULES,
  READINGS_TABLE_PATTERN,
  SIMULATED_TYPES,
  SIMULATOR,
  SINK,
  CONNECTION,
} from '@iotpipe/contract';
import {
  applyDefaults,
  boolean,
  integer,
  intOrString,
  list,
  listMap,
  map,
  number,
  object,
  oneOf,
  string,
  type TypeOf,
} from './schema.js';

export const GROUP = 'iotpipe.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'IoTPipeline';
export const PLURAL = 'iotpipelines';
export const SINGULAR = 'iotpipeline';
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/** Pod names (`<name>-processor-<10>-<5>`) become MQTT client ids of at most 60 characters. */
export const MAX_NAME_LENGTH = 35;

/** Kafka topic names: Kafka's own legal characters and length. */
const KAFKA_TOPIC_PATTERN = '^[a-zA-Z0-9._-]{1,249}$';
/** MQTT topic filter: `+` only as a whole level, `#` only as the whole last level. */
const MQTT_FILTER_PATTERN = '^(#|(\\+|[^/+#]*)(/(\\+|[^/+#]*))*(/#)?)$';
const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/**
 * The contract's ruuviTopicPrefixProblem as a pattern: non-empty levels without wildcards, not
 * starting with $ (its length is the schema's maxLength; its overlap with iotpipe/sim a CEL rule).
 */
const RUUVI_TOPIC_PREFIX_PATTERN = '^[^/+#$][^/+#]*(/[^/+#]+)*$';

export { PAYLOAD_FORMATS, SIMULATED_TYPES } from '@iotpipe/contract';
export const COMPATIBILITY_LEVELS = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
] as const;

const resources = object({
  requests: map(intOrString()).describe('Minimum compute resources (cpu, memory).'),
  limits: map(intOrString()).describe('Maximum compute resources (cpu, memory).'),
});

const threshold = object({
  min: number().describe('Alert when a reading is below this value.'),
  max: number().describe('Alert when a reading is above this value.'),
}).validate({
  rule: '!has(self.min) || !has(self.max) || self.min < self.max',
  message: 'min must be less than max',
  fieldPath: '.min',
});

export const specField = object({
  mqtt: object({
    brokerUrl: string({ pattern: '^(mqtt|mqtts|tcp|ssl|ws|wss)://.+' })
      .default('mqtt://mosquitto:1883')
      .describe('MQTT broker the adapter subscribes to (and the simulator publishes to).'),
    credentialsSecret: object({
      name: string().required(),
      usernameKey: string().default('username'),
      passwordKey: string().default('password'),
    }).describe('Secret with the MQTT username and password; absent: the workloads default (iotpipe).'),
    topicFilters: list(string({ pattern: MQTT_FILTER_PATTERN, maxLength: 256 }), {
      minItems: 1,
      maxItems: 32,
      listType: 'set',
    })
      .default(['iotpipe/sim/#', 'ruuvi/#', 'ruuvitag/data'])
      .describe('MQTT topic filters the adapter subscribes to (QoS 1).'),
    topicPrefix: string({ pattern: '^([^#+]*/)?$', maxLength: 200 }).describe(
      "Prefix (ending in '/') of every MQTT topic of this pipeline, filters and simulator alike: isolates tenants on one broker.",
    ),
    ruuviTopicPrefix: string({ pattern: RUUVI_TOPIC_PREFIX_PATTERN, maxLength: RUUVI_TOPIC_PREFIX_MAX_BYTES })
      .default(ADAPTER.ruuviTopicPrefix.default)
      .describe(
        "First level(s) of the Ruuvi Gateway topics <prefix>/<gateway MAC>/<tag MAC> (after topicPrefix): the gateways' MQTT prefix, our firmware's IOTPIPE_MQTT_TOPIC_PREFIX.",
      ),
    payloadFormats: list(oneOf(PAYLOAD_FORMATS), { minItems: 1, listType: 'set' })
      .default([...ADAPTER.payloadFormats.default])
      .describe(
        'Payload formats the adapter accepts; a message of another format goes to the DLQ (FORMAT_NOT_ACCEPTED).',
      ),
    sharedSubscriptionGroup: string({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }).describe(
      'Shared-subscription group ($share/<group>/<filter>) the adapter replicas split the messages in; default <namespace>.<name> with several replicas, none (a plain subscription, which Mosquitto keeps across its restart) with one.',
    ),
  })
    .defaultEmpty()
    .describe('Where readings come from.'),
  kafka: object({
    cluster: string({ pattern: DNS_LABEL_PATTERN, maxLength: 63 })
      .default('iotpipe')
      .describe('Name of the Strimzi Kafka cluster (label strimzi.io/cluster); same namespace.'),
    bootstrapServers: string({ minLength: 1 }).describe(
      'host:port[,host:port]; default <cluster>-kafka-bootstrap:9093 (the Strimzi TLS + SCRAM-SHA-512 listener).',
    ),
    topic: string({ pattern: KAFKA_TOPIC_PATTERN, maxLength: 249 })
      .required()
      .describe('Topic of the readings.'),
    dlqTopic: string({ pattern: KAFKA_TOPIC_PATTERN, maxLength: 249 }).describe(
      'Dead-letter topic; default <topic>-dlq.',
    ),
    partitions: integer({ minimum: 1, maximum: 1000 }).default(6),
    replicas: integer({ minimum: 1, maximum: 32 }).default(3).describe('Replication factor.'),
    minInSyncReplicas: integer({ minimum: 1, maximum: 32 }).default(2),
    retentionMs: integer({ minimum: -1, format: 'int64' })
      .default(604_800_000)
      .describe('retention.ms of the topic (-1: forever).'),
  })
    .required()
    .validate(
      {
        // The choice: with acks=all, minInSyncReplicas == replicas stops every write when one
        // broker is down (a rolling restart), so it must be lower; replicas 1 has no choice.
        rule: 'self.replicas == 1 ? self.minInSyncReplicas == 1 : self.minInSyncReplicas < self.replicas',
        message:
          'minInSyncReplicas must be less than replicas (1 when replicas is 1): with acks=all, minInSyncReplicas == replicas blocks all writes while one broker is down',
        fieldPath: '.minInSyncReplicas',
      },
      {
        rule: '!has(self.dlqTopic) || self.dlqTopic != self.topic',
        message: 'dlqTopic must differ from topic',
        fieldPath: '.dlqTopic',
      },
      {
        rule: 'self.topic == oldSelf.topic',
        message: 'topic is immutable: create a new IoTPipeline for a new topic',
        fieldPath: '.topic',
      },
      {
        rule: 'self.partitions >= oldSelf.partitions',
        message: 'partitions cannot decrease (Kafka cannot remove partitions)',
        fieldPath: '.partitions',
      },
    ),
  schema: object({
    subject: string({ minLength: 1, maxLength: 255 }).describe('Registry subject; default <topic>-value.'),
    compatibility: oneOf(COMPATIBILITY_LEVELS).default('BACKWARD'),
    registryUrl: string({ pattern: '^https?://.+' })
      .default('http://apicurio-registry:8080/apis/ccompat/v7')
      .describe('Confluent-compatible registry API the workloads use.'),
  }).defaultEmpty(),
  adapter: object({
    replicas: integer({ minimum: 0, maximum: 100 }).default(1),
  }).defaultEmpty(),
  sink: object({
    databaseSecret: object({
      name: string({ pattern: DNS_SUBDOMAIN_PATTERN, maxLength: 253 })
        .required()
        .describe('Name of a Secret in the pipeline namespace.'),
      key: string({ minLength: 1 })
        .required()
        .describe('Key holding the database URL (postgres://user[:password]@host:port/db).'),
      passwordKey: string({ minLength: 1 }).describe(
        "Key holding the password: the sink reads it as a file (POSTGRES_PASSWORD_FILE), so the URL need not carry it and no password is in the pod's environment.",
      ),
    })
      .required()
      .describe(
        "Secret of the sink's database login. Its optional keys `sslmode` (libpq's: verify-full with the platform's TimescaleDB) and `ca.crt` (the CA of the database's certificate) set how the sink connects over TLS.",
      ),
    table: string({ pattern: READINGS_TABLE_PATTERN })
      .default(DEFAULT_READINGS_TABLE)
      .describe(
        'Table the sink writes; its migrations create it with the columns, constraints, indexes and time partitioning of sensor_readings. The views, hourly and daily aggregates, archive and retention cover sensor_readings only.',
      ),
    batchSize: integer({ minimum: 1, maximum: 50_000 }).default(SINK.batchSize.default),
    batchIntervalMs: integer({ minimum: 10, maximum: 25_000 })
      .default(SINK.commitIntervalMs.default)
      .describe('Longest a reading waits for its batch to fill.'),
    replicas: integer({ minimum: 0, maximum: 1000 }).default(1),
    consumerGroup: string({ minLength: 1, maxLength: 255 }).describe('default <namespace>.<name>-sink'),
  }).required(),
  processor: object({
    enabled: boolean().default(true),
    replicas: integer({ minimum: 0, maximum: 1000 }).default(1),
    alertsTopic: string({ pattern: KAFKA_TOPIC_PATTERN, maxLength: 249 }).default(
      CONNECTION.alertsTopic.default,
    ),
    zScoreThreshold: number({ minimum: 0.5, maximum: 1000 })
      .default(PROCESSOR_RULES.zScoreThreshold.default)
      .describe('Alert when a reading is this many standard deviations from its device mean.'),
    batteryLowPercent: number({ minimum: 0, maximum: 100 }).default(
      PROCESSOR_RULES.batteryLowPercent.default,
    ),
    silenceAfterSeconds: number({ minimum: 1, maximum: 604_800 })
      .default(PROCESSOR_RULES.silenceAfterMs.default / 1000)
      .describe('Alert when a device has sent nothing for this long.'),
    thresholds: map(threshold, { maxProperties: 64 }).describe(
      'Fixed alert bands by measurement (temperature, humidity, ...): a reading below min or above max raises a threshold alert.',
    ),
  }).defaultEmpty(),
  simulator: object({
    devices: integer({ minimum: 1, maximum: 1_000_000 }).default(SIMULATOR.numDevices.default),
    intervalSeconds: number({ minimum: 0.001, maximum: 86_400 }).default(SIMULATOR.intervalSec.default),
    anomalyProbability: number({ minimum: 0, maximum: 1 }).default(SIMULATOR.anomalyProbability.default),
    deviceTypes: list(oneOf(SIMULATED_TYPES), { minItems: 1, listType: 'set' }),
    topicPrefix: string({ pattern: '^[^#+]*[^#+/]$', maxLength: 200 }).default(
      SIMULATOR.mqttTopicPrefix.default,
    ),
  }).describe('A simulator Deployment publishing generic sensors over MQTT; absent: none.'),
  image: string({ minLength: 1 })
    .default('ghcr.io/iotpipe/workloads:0.1.0')
    .describe('The workloads image (entrypoint `iotpipe`).'),
  imagePullPolicy: oneOf(['Always', 'IfNotPresent', 'Never'] as const),
  resources: resources.describe('Compute resources of each workload container.'),
  deletionPolicy: oneOf(['Retain', 'Delete'] as const)
    .default('Retain')
    .describe('What deleting the IoTPipeline does to its Kafka topics: Retain keeps them.'),
}).validate(
  {
    rule: 'self.sink.replicas <= self.kafka.partitions',
    message: 'sink.replicas must not exceed kafka.partitions: extra consumers in the group would sit idle',
    fieldPath: '.sink.replicas',
  },
  {
    // The workloads use the TopicNameStrategy: the adapter writes with subject <topic>-value.
    rule: "!has(self.schema.subject) || self.schema.subject == self.kafka.topic + '-value'",
    message:
      "schema.subject must be '<kafka.topic>-value': the adapter registers and writes under the TopicNameStrategy",
    fieldPath: '.schema.subject',
  },
  {
    rule: "!has(self.simulator) || self.mqtt.topicFilters.exists(f, f == '#' || (f.endsWith('/#') && (self.simulator.topicPrefix + '/').startsWith(f.substring(0, size(f) - 1))))",
    message: "simulator.topicPrefix must be covered by one of mqtt.topicFilters ('<prefix>/#')",
    fieldPath: '.simulator.topicPrefix',
  },
  {
    // Otherwise the gateways' messages never reach the adapter, and nothing says why.
    rule: "!self.mqtt.payloadFormats.exists(p, p == 'ruuvi-gateway') || self.mqtt.topicFilters.exists(f, f == '#' || f == self.mqtt.ruuviTopicPrefix + '/+/+' || (f.endsWith('/#') && (self.mqtt.ruuviTopicPrefix + '/').startsWith(f.substring(0, size(f) - 1))))",
    message:
      "mqtt.ruuviTopicPrefix must be covered by one of mqtt.topicFilters ('<prefix>/+/+' or '<prefix>/#') while ruuvi-gateway is an accepted format",
    fieldPath: '.mqtt.ruuviTopicPrefix',
  },
  {
    rule: "!(self.mqtt.ruuviTopicPrefix == 'iotpipe' || self.mqtt.ruuviTopicPrefix == 'iotpipe/sim' || self.mqtt.ruuviTopicPrefix.startsWith('iotpipe/sim/'))",
    message: "mqtt.ruuviTopicPrefix must not overlap the simulator's iotpipe/sim topics",
    fieldPath: '.mqtt.ruuviTopicPrefix',
  },
);

const condition = object({
  type: string({ maxLength: 316 }).required(),
  status: oneOf(['True', 'False', 'Unknown'] as const).required(),
  observedGeneration: integer({ minimum: 0, format: 'int64' }),
  lastTransitionTime: string({ format: 'date-time' }).required(),
  reason: string({ maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' }).required(),
  message: string({ maxLength: 32768 }).required(),
});

export const statusField = object({
  observedGeneration: integer({ minimum: 0, format: 'int64' }),
  conditions: listMap(condition, ['type'], 16),
  topic: string(),
  dlqTopic: string(),
  schemaSubject: string(),
  schemaId: integer(),
  schemaVersion: integer(),
  replicas: integer().describe('Desired replicas over all workloads.'),
  readyReplicas: integer().describe('Ready replicas over all workloads.'),
  configHash: string().describe('Hash of the workload configuration (pod template annotation).'),
});

export type IoTPipelineSpec = TypeOf<typeof specField>;
export type IoTPipelineStatus = TypeOf<typeof statusField>;
export type Condition = TypeOf<typeof condition>;
export type ConditionType = 'Ready' | 'TopicReady' | 'SchemaRegistered' | 'WorkloadsAvailable';

export interface IoTPipeline {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: IoTPipelineSpec;
  status?: IoTPipelineStatus;
}

/** A spec as the API server stores it: defaults filled in (for tests and dry runs). */
export function defaultedSpec(spec: unknown): IoTPipelineSpec {
  return applyDefaults(specField.schema, spec) as IoTPipelineSpec;
}
