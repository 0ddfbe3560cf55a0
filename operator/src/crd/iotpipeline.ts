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
  enumOf,
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

/** Kafka topic names: Kafka's own legal characters and length (the length is part of the pattern: see schema.ts). */
const KAFKA_TOPIC_PATTERN = '^[a-zA-Z0-9._-]{1,249}$';
/**
 * MQTT topic filter: `+` only as a whole level, `#` only as the whole last level. The levels
 * are also split by a CEL rule (the simulator's coverage), whose cost needs the length bound.
 */
export const MQTT_FILTER_PATTERN = '^(#|(\\+|[^/+#]*)(/(\\+|[^/+#]*))*(/#)?)$';
const MQTT_FILTER_MAX_LENGTH = 256;
const MQTT_FILTERS_MAX = 32;
/** The simulator's topic prefix: levels without wildcards, not ending in '/'. */
export const SIMULATOR_PREFIX_PATTERN = '^[^#+]*[^#+/]$';
const SIMULATOR_PREFIX_MAX_LENGTH = 128;
const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** An IoTPipeline's name: a DNS-1035 label (its Services are named after it). */
export const NAME_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';

/**
 * The alerts topic every pipeline's processor writes to unless spec.processor.alertsTopic names
 * another: one KafkaTopic shared by the namespace's pipelines, made by the platform (cdk8s
 * kafka chart), never owned or deleted by a pipeline.
 */
export const SHARED_ALERTS_TOPIC = CONNECTION.alertsTopic.default;
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

const KAFKA_LIMITS = {
  partitions: { minimum: 1, maximum: 1000 },
  replicas: { minimum: 1, maximum: 32 },
  minInSyncReplicas: { minimum: 1, maximum: 32 },
} as const;
const SINK_REPLICAS = { minimum: 0, maximum: 1000 } as const;

/**
 * CEL: `expr` is within the bounds its own schema checks. Cross-field rules skip values the
 * schema already refuses, so that one mistake gives one message (partitions: 0 is "must be
 * at least 1", not also "sink.replicas exceeds partitions").
 */
function within(expr: string, limits: { minimum: number; maximum: number }): string {
  return `(${expr} >= ${limits.minimum} && ${expr} <= ${limits.maximum})`;
}

/** CEL: the DLQ topic name of a `kafka` object (`<topic>-dlq` unless set). */
function effectiveDlq(kafka: string): string {
  return `(has(${kafka}.dlqTopic) ? ${kafka}.dlqTopic : ${kafka}.topic + '-dlq')`;
}

/**
 * CEL: some filter of `filters` matches every topic the simulator publishes under `prefix`
 * (`<prefix>/<device>`, one level below it; workloads/src/simulator/outputs.ts). Level by level:
 * a filter level matches the prefix's level when equal or `+`; the level after the prefix must
 * be `+`; `#` matches the rest. A prefix starting with `$` is not matched by a leading wildcard
 * (MQTT 4.7.2). The same test in TypeScript is {@link filterCoversSimulator}.
 */
function coversSimulatorCel(filters: string, prefix: string): string {
  const levels = `${prefix}.split('/')`;
  const level =
    `l == '#' && (i > 0 || !${prefix}.startsWith('$')) || ` +
    `(i < size(${levels}) ? (l == ${levels}[i] || l == '+' && (i > 0 || !${prefix}.startsWith('$'))) : ` +
    `(i == size(${levels}) && l == '+'))`;
  return (
    `${filters}.exists(f, f.split('/').all(i, l, ${level}) && ` +
    `(f == '#' || f.endsWith('/#') || size(f.split('/')) == size(${levels}) + 1))`
  );
}

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

const IMMUTABLE_HINT = 'create a new IoTPipeline (with a new topic) instead';

export const specField = object({
  mqtt: object({
    brokerUrl: string({ pattern: '^(mqtt|mqtts|tcp|ssl|ws|wss)://.+' })
      .default('mqtt://mosquitto:1883')
      .describe('MQTT broker the adapter subscribes to (and the simulator publishes to).'),
    credentialsSecret: object({
      name: string({ pattern: DNS_SUBDOMAIN_PATTERN, maxLength: 253 }).required(),
      usernameKey: string({ minLength: 1 }).default('username'),
      passwordKey: string({ minLength: 1 }).default('password'),
    }).describe('Secret with the MQTT username and password; absent: the workloads default (iotpipe).'),
    topicFilters: list(
      string({ pattern: MQTT_FILTER_PATTERN, minLength: 1, costBound: MQTT_FILTER_MAX_LENGTH }),
      { minItems: 1, costBound: MQTT_FILTERS_MAX, listType: 'set' },
    )
      .default(['iotpipe/sim/#', 'ruuvi/#', 'ruuvitag/data'])
      .describe('MQTT topic filters the adapter subscribes to (QoS 1).'),
    topicPrefix: string({ pattern: '^([^#+]*/)?$', maxLength: 200 }).describe(
      "Prefix (ending in '/') of every MQTT topic of this pipeline, filters and simulator alike: isolates tenants on one broker.",
    ),
    ruuviTopicPrefix: string({ pattern: RUUVI_TOPIC_PREFIX_PATTERN, costBound: RUUVI_TOPIC_PREFIX_MAX_BYTES })
      .default(ADAPTER.ruuviTopicPrefix.default)
      .describe(
        "First level(s) of the Ruuvi Gateway topics <prefix>/<gateway MAC>/<tag MAC> (after topicPrefix): the gateways' MQTT prefix, our firmware's IOTPIPE_MQTT_TOPIC_PREFIX.",
      ),
    payloadFormats: list(oneOf(PAYLOAD_FORMATS), {
      minItems: 1,
      costBound: PAYLOAD_FORMATS.length,
      listType: 'set',
    })
      .default([...ADAPTER.payloadFormats.default])
      .describe(
        `Payload formats the adapter accepts (${PAYLOAD_FORMATS.join(', ')}); a message of another format goes to the DLQ (FORMAT_NOT_ACCEPTED).`,
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
      .describe('Name of the Strimzi Kafka cluster (label strimzi.io/cluster); same namespace. Immutable.'),
    bootstrapServers: string({ minLength: 1 }).describe(
      'host:port[,host:port]; default <cluster>-kafka-bootstrap:9093 (the Strimzi TLS + SCRAM-SHA-512 listener).',
    ),
    topic: string({ pattern: KAFKA_TOPIC_PATTERN })
      .required('the Kafka topic of the readings')
      .describe('Topic of the readings. Immutable.'),
    dlqTopic: string({ pattern: KAFKA_TOPIC_PATTERN }).describe(
      'Dead-letter topic; default <topic>-dlq. Immutable.',
    ),
    partitions: integer(KAFKA_LIMITS.partitions)
      .default(6)
      .describe('Partitions of the topic; can grow, never shrink.'),
    replicas: integer(KAFKA_LIMITS.replicas)
      .default(3)
      .describe('Replication factor of both topics. Immutable.'),
    minInSyncReplicas: integer(KAFKA_LIMITS.minInSyncReplicas).default(2),
    retentionMs: integer({ minimum: -1, format: 'int64' })
      .default(604_800_000)
      .describe('retention.ms of the topic (-1: forever).'),
  })
    .required('the Kafka topics of the pipeline')
    .validate(
      {
        // The choice: with acks=all, minInSyncReplicas == replicas stops every write when one
        // broker is down (a rolling restart), so it must be lower; replicas 1 has no choice.
        rule:
          `!${within('self.replicas', KAFKA_LIMITS.replicas)} || !${within('self.minInSyncReplicas', KAFKA_LIMITS.minInSyncReplicas)} || ` +
          '(self.replicas == 1 ? self.minInSyncReplicas == 1 : self.minInSyncReplicas < self.replicas)',
        message:
          'minInSyncReplicas must be less than replicas (1 when replicas is 1): with acks=all, minInSyncReplicas == replicas blocks all writes while one broker is down',
        fieldPath: '.minInSyncReplicas',
      },
      {
        rule: '!has(self.dlqTopic) || !has(self.topic) || self.dlqTopic != self.topic',
        message: 'dlqTopic must differ from topic',
        fieldPath: '.dlqTopic',
      },
      // Transition rules (updates only): what Kafka or Strimzi cannot change in place.
      {
        rule: '!has(self.topic) || !has(oldSelf.topic) || self.topic == oldSelf.topic',
        message: `topic is immutable: ${IMMUTABLE_HINT}`,
        fieldPath: '.topic',
      },
      {
        // Strimzi's topic operator does not rename topics: a new name would be a new, empty DLQ
        // and the old one would be left behind with its dead letters.
        // (A new topic is refused by the rule above; its default DLQ does not add a second message.)
        rule: `!has(self.topic) || !has(oldSelf.topic) || self.topic != oldSelf.topic || ${effectiveDlq('self')} == ${effectiveDlq('oldSelf')}`,
        message: `dlqTopic is immutable (Strimzi cannot rename a topic; the default is <topic>-dlq): ${IMMUTABLE_HINT}`,
        fieldPath: '.dlqTopic',
      },
      {
        // Changing a topic's replication factor is a partition reassignment: Strimzi does it only
        // through Cruise Control, which this platform does not run.
        rule: `!${within('self.replicas', KAFKA_LIMITS.replicas)} || self.replicas == oldSelf.replicas`,
        message: `replicas is immutable (changing a topic's replication factor needs Cruise Control): ${IMMUTABLE_HINT}`,
        fieldPath: '.replicas',
      },
      {
        // The KafkaTopic's strimzi.io/cluster label: another cluster's topic operator would make
        // a new, empty topic there and leave the data behind.
        rule: 'self.cluster == oldSelf.cluster',
        message: `cluster is immutable (the topics and their data stay in the cluster they are in): ${IMMUTABLE_HINT}`,
        fieldPath: '.cluster',
      },
      {
        rule: `!${within('self.partitions', KAFKA_LIMITS.partitions)} || self.partitions >= oldSelf.partitions`,
        message: 'partitions cannot decrease (Kafka cannot remove partitions)',
        fieldPath: '.partitions',
      },
    ),
  schema: object({
    subject: string({ minLength: 1 }).describe('Registry subject; default <topic>-value.'),
    compatibility: oneOf(COMPATIBILITY_LEVELS)
      .default('BACKWARD')
      .describe(`Compatibility level of the subject: ${COMPATIBILITY_LEVELS.join(', ')}.`),
    registryUrl: string({ pattern: '^https?://.+' })
      .default('http://apicurio-registry:8080/apis/ccompat/v7')
      .describe(
        'Confluent-compatible registry API: the workloads use it and the operator registers the schema there (a host without a dot is a Service of the pipeline namespace).',
      ),
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
      .required('the Secret of the database login')
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
    replicas: integer(SINK_REPLICAS).default(1),
    consumerGroup: string({ minLength: 1, maxLength: 255 }).describe('default <namespace>.<name>-sink'),
  }).required('where the readings are stored'),
  processor: object({
    enabled: boolean().default(true),
    replicas: integer({ minimum: 0, maximum: 1000 }).default(1),
    alertsTopic: string({ pattern: KAFKA_TOPIC_PATTERN }).describe(
      `Topic the processor writes alerts to. Absent: ${SHARED_ALERTS_TOPIC}, shared by the namespace's pipelines (a KafkaTopic the platform makes). Set: a KafkaTopic this pipeline owns (a KafkaTopic not owned by any pipeline that already holds the topic is used as it is, shared).`,
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
  })
    .defaultEmpty()
    .validate({
      // The pipeline's alerts KafkaTopic (<name>-alerts) would be renamed, which Strimzi cannot
      // do. Unset it (the old KafkaTopic is kept, released) and set the new one.
      rule: '!has(self.alertsTopic) || !has(oldSelf.alertsTopic) || self.alertsTopic == oldSelf.alertsTopic',
      message:
        'alertsTopic cannot be renamed (Strimzi cannot rename a topic): unset it first, then set the new one',
      fieldPath: '.alertsTopic',
    }),
  simulator: object({
    devices: integer({ minimum: 1, maximum: 1_000_000 }).default(SIMULATOR.numDevices.default),
    intervalSeconds: number({ minimum: 0.001, maximum: 86_400 }).default(SIMULATOR.intervalSec.default),
    anomalyProbability: number({ minimum: 0, maximum: 1 }).default(SIMULATOR.anomalyProbability.default),
    deviceTypes: list(oneOf(SIMULATED_TYPES), {
      minItems: 1,
      costBound: SIMULATED_TYPES.length,
      listType: 'set',
    }).describe(`Sensor types to simulate (${SIMULATED_TYPES.join(', ')}); absent: all.`),
    topicPrefix: string({ pattern: SIMULATOR_PREFIX_PATTERN, costBound: SIMULATOR_PREFIX_MAX_LENGTH })
      .default(SIMULATOR.mqttTopicPrefix.default)
      .describe('The simulator publishes to <topicPrefix>/<device>; a topic filter must match those topics.'),
  }).describe('A simulator Deployment publishing generic sensors over MQTT; absent: none.'),
  image: string({ minLength: 1 })
    .default('ghcr.io/iotpipe/workloads:0.1.0')
    .describe('The workloads image (entrypoint `iotpipe`).'),
  imagePullPolicy: oneOf(['Always', 'IfNotPresent', 'Never'] as const),
  resources: resources.describe('Compute resources of each workload container.'),
  deletionPolicy: oneOf(['Retain', 'Delete'] as const)
    .default('Retain')
    .describe(
      'What deleting the IoTPipeline does to its Kafka topics and schema subject: Retain keeps them, Delete deletes them.',
    ),
}).validate(
  {
    rule:
      `!has(self.kafka) || !has(self.sink) || !${within('self.kafka.partitions', KAFKA_LIMITS.partitions)} || ` +
      `!${within('self.sink.replicas', SINK_REPLICAS)} || self.sink.replicas <= self.kafka.partitions`,
    message: 'sink.replicas must not exceed kafka.partitions: extra consumers in the group would sit idle',
    fieldPath: '.sink.replicas',
  },
  {
    // The workloads use the TopicNameStrategy: the adapter writes with subject <topic>-value.
    rule: "!has(self.schema.subject) || !has(self.kafka) || !has(self.kafka.topic) || self.schema.subject == self.kafka.topic + '-value'",
    message:
      "schema.subject must be '<kafka.topic>-value': the adapter registers and writes under the TopicNameStrategy",
    fieldPath: '.schema.subject',
  },
  {
    // The processor would write its alerts among the readings or the dead letters.
    rule:
      '!has(self.processor.alertsTopic) || !has(self.kafka) || !has(self.kafka.topic) || ' +
      `(self.processor.alertsTopic != self.kafka.topic && self.processor.alertsTopic != ${effectiveDlq('self.kafka')})`,
    message: 'processor.alertsTopic must differ from kafka.topic and the DLQ topic',
    fieldPath: '.processor.alertsTopic',
  },
  {
    rule: `!has(self.processor.alertsTopic) || self.processor.alertsTopic != '${SHARED_ALERTS_TOPIC}'`,
    message: `${SHARED_ALERTS_TOPIC} is the shared alerts topic: leave processor.alertsTopic unset to use it`,
    fieldPath: '.processor.alertsTopic',
  },
  {
    rule:
      `has(self.processor.alertsTopic) || !has(self.kafka) || !has(self.kafka.topic) || ` +
      `(self.kafka.topic != '${SHARED_ALERTS_TOPIC}' && ${effectiveDlq('self.kafka')} != '${SHARED_ALERTS_TOPIC}')`,
    message: `kafka.topic and kafka.dlqTopic must not be ${SHARED_ALERTS_TOPIC}, the shared alerts topic (or set processor.alertsTopic)`,
    fieldPath: '.kafka.topic',
  },
  {
    // Skipped while a filter or the prefix is itself malformed: that has its own message.
    rule:
      `!has(self.simulator) || !self.simulator.topicPrefix.matches('${SIMULATOR_PREFIX_PATTERN}') || ` +
      `!self.mqtt.topicFilters.all(f, f.matches('${MQTT_FILTER_PATTERN.replace(/\\/g, '\\\\')}')) || ` +
      coversSimulatorCel('self.mqtt.topicFilters', 'self.simulator.topicPrefix'),
    message:
      "simulator.topicPrefix must be matched by one of mqtt.topicFilters: the simulator publishes to '<topicPrefix>/<device>' (e.g. '<topicPrefix>/#', '<topicPrefix>/+', or '+' and '#' levels that match it)",
    fieldPath: '.simulator.topicPrefix',
  },
  {
    // Otherwise the gateways' messages never reach the adapter, and nothing says why.
    // Skipped while the prefix or a filter is itself malformed: that has its own message.
    rule:
      `!self.mqtt.ruuviTopicPrefix.matches('${RUUVI_TOPIC_PREFIX_PATTERN}') || ` +
      `!self.mqtt.topicFilters.all(f, f.matches('${MQTT_FILTER_PATTERN.replace(/\\/g, '\\\\')}')) || ` +
      "!self.mqtt.payloadFormats.exists(p, p == 'ruuvi-gateway') || self.mqtt.topicFilters.exists(f, f == '#' || f == self.mqtt.ruuviTopicPrefix + '/+/+' || (f.endsWith('/#') && (self.mqtt.ruuviTopicPrefix + '/').startsWith(f.substring(0, size(f) - 1))))",
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

// The status: written by the operator only, so plain OpenAPI keywords (no CEL), and unknown
// fields pruned.
const condition = object(
  {
    type: string({ costBound: 316 }).required(),
    status: enumOf(['True', 'False', 'Unknown'] as const).required(),
    observedGeneration: integer({ minimum: 0, format: 'int64' }),
    lastTransitionTime: string({ format: 'date-time' }).required(),
    reason: string({ costBound: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' }).required(),
    message: string({ costBound: 32768 }).required(),
  },
  { strict: false },
);

export const statusField = object(
  {
    observedGeneration: integer({ minimum: 0, format: 'int64' }),
    conditions: listMap(condition, ['type'], 16),
    topic: string(),
    dlqTopic: string(),
    alertsTopic: string().describe(
      `The processor's alerts topic ('${SHARED_ALERTS_TOPIC}' shared unless the spec names another).`,
    ),
    schemaSubject: string(),
    schemaId: integer(),
    schemaVersion: integer(),
    registryUrl: string().describe(
      'Where the operator registered the schema (the spec URL, a bare host qualified with the namespace).',
    ),
    replicas: integer().describe('Desired replicas over all workloads.'),
    readyReplicas: integer().describe('Ready replicas over all workloads.'),
    configHash: string().describe('Hash of the workload configuration (pod template annotation).'),
    inventory: map(string()).describe(
      'What the operator applied, by <kind>/<name>, at which version: the generation it left a child at (g<n>; a Service: its resourceVersion, rv<n>), a hash for a registry subject. A new leader trusts children that still match it instead of applying all again.',
    ),
  },
  { strict: false },
);

export type IoTPipelineSpec = TypeOf<typeof specField>;
export type IoTPipelineStatus = TypeOf<typeof statusField>;
export type Condition = TypeOf<typeof condition>;
/** The conditions, in the order `kubectl describe` shows them; Ready sums up the others. */
export const CONDITION_TYPES = [
  'Ready',
  'DependenciesReady',
  'TopicReady',
  'SchemaRegistered',
  'WorkloadsAvailable',
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export interface IoTPipeline {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    creationTimestamp?: string;
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
