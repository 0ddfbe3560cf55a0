/**
 * What each workload runs: ONE function builds a stage's command and environment, used for the
 * Deployments and the adapter's StatefulSet and read back by the end-to-end test, which runs
 * exactly that as a local process.
 * Workloads are configured only through env (and Secrets referenced from env). Every variable is
 * written through the contract's declaration of the stage's settings (@iotpipe/contract
 * stages.ts), the same declaration the stage's config loader reads: a setting no stage declares
 * does not compile here.
 */
import {
  ADAPTER,
  CONNECTION,
  METRICS_PORTS,
  POD_NAME_ENV,
  PROCESSOR,
  PROCESSOR_RULES,
  SIMULATOR,
  SINK,
  STAGE_COMMANDS,
  WORKLOADS_CLI,
  settingsEnv,
  type EnvValues,
  type EnvVar,
  type Volume,
  type VolumeMount,
} from '@iotpipe/contract';
import type { IoTPipeline } from '../crd/iotpipeline.js';
import { childName, kafkaUserName, resolveNames, stableHash, type Stage } from './names.js';

export { POD_NAME_ENV, STAGE_COMMANDS, WORKLOADS_CLI, type EnvVar } from '@iotpipe/contract';

export interface WorkloadProcess {
  /** Run in the image's working directory (/app, the repository layout). */
  command: string[];
  env: EnvVar[];
  /** Secret files the settings name (*_PASSWORD_FILE, *_CA_FILE): volumes and where they go. */
  volumes: Volume[];
  volumeMounts: VolumeMount[];
  /** The /metrics, /healthz, /readyz port; null for the simulator, which serves none. */
  metricsPort: number | null;
}

/** The adapter's ADAPTER_MQTT_CLIENT_ID limit (contract: ADAPTER.mqttClientId). */
const MQTT_CLIENT_ID_MAX = 60;
/** Longest StatefulSet ordinal of the adapter (spec.adapter.replicas <= 100). */
const MAX_ORDINAL = '99';

/**
 * The adapter's MQTT client id: `<namespace>.$(POD_NAME)`. The StatefulSet's pod names are
 * stable (`<name>-adapter-0`, ...), so a restarted replica resumes its persistent session; the
 * namespace keeps two pipelines of the same name in different namespaces, sharing one broker,
 * from taking over each other's sessions. A namespace too long for the adapter's 60-character
 * limit is replaced by a hash of it (pipeline names are at most 35 characters).
 */
export function adapterMqttClientId(pipeline: IoTPipeline): string {
  const { namespace } = pipeline.metadata;
  const longestPod = `${childName(pipeline, 'adapter')}-${MAX_ORDINAL}`;
  const prefix =
    namespace.length + 1 + longestPod.length <= MQTT_CLIENT_ID_MAX
      ? namespace
      : stableHash(namespace).slice(0, 12);
  return `${prefix}.$(${POD_NAME_ENV})`;
}

const secret = (ref: { name: string; key: string }) => ({ secretKeyRef: { name: ref.name, key: ref.key } });

/**
 * The adapter's shared-subscription group, or '-' (a plain subscription). Several replicas must
 * share to split the messages; a single one subscribes plainly unless a group is set, because
 * Mosquitto 2.0 keeps a persistent session's plain subscription across its own restart but forgets
 * a shared one: until the adapter has subscribed again, what is published has no subscriber.
 */
export function adapterSharedGroup(pipeline: IoTPipeline): string {
  const explicit = pipeline.spec.mqtt.sharedSubscriptionGroup;
  if (explicit === undefined && pipeline.spec.adapter.replicas <= 1) return '-';
  return resolveNames(pipeline).sharedSubscriptionGroup;
}

/** Where the kubelet puts the Secret files a stage reads (the *_FILE settings point there). */
export const SECRET_MOUNTS = {
  kafkaUser: '/var/run/iotpipe/kafka-user',
  kafkaCa: '/var/run/iotpipe/kafka-ca',
  mqtt: '/var/run/iotpipe/mqtt',
  database: '/var/run/iotpipe/database',
} as const;

/** The key of the Strimzi cluster CA Secret (`<cluster>-cluster-ca-cert`) clients trust. */
const CA_KEY = 'ca.crt';
/**
 * Optional keys of the database Secret beside the URL: `sslmode` (libpq's: verify-full with the
 * platform's TimescaleDB) and `ca.crt`, the CA that signs the database's certificate. The same
 * `ca.crt` in the MQTT credentials Secret is what an mqtts:// broker's certificate is checked with.
 */
export const DATABASE_SSLMODE_KEY = 'sslmode';

type Files = { volumes: Volume[]; volumeMounts: VolumeMount[] };

function secretFiles(
  files: Files,
  volume: string,
  mountPath: string,
  secretName: string,
  items: Array<{ key: string; path: string }>,
  optional = false,
): void {
  files.volumes.push({ name: volume, secret: { secretName, items, ...(optional && { optional: true }) } });
  files.volumeMounts.push({ name: volume, mountPath, readOnly: true });
}

const TLS_SCHEMES = new Set(['mqtts:', 'ssl:', 'wss:']);

export function workloadProcess(stage: Stage, pipeline: IoTPipeline): WorkloadProcess {
  const { spec } = pipeline;
  const names = resolveNames(pipeline);
  const files: Files = { volumes: [], volumeMounts: [] };
  const usesKafka = stage !== 'simulator';
  const usesMqtt = stage === 'adapter' || stage === 'simulator';
  // First, so that later values can use $(POD_NAME): unique MQTT and Kafka client ids.
  const podName: EnvVar = { name: POD_NAME_ENV, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };
  // Kafka as the pipeline's KafkaUser: TLS trusting the Strimzi cluster CA, SCRAM-SHA-512 with
  // the password Strimzi's user operator wrote into the user's Secret (a file, so a rotated
  // password reaches the next connection without a restart).
  if (usesKafka) {
    secretFiles(files, 'kafka-user', SECRET_MOUNTS.kafkaUser, kafkaUserName(pipeline), [
      { key: 'password', path: 'password' },
    ]);
    secretFiles(files, 'kafka-ca', SECRET_MOUNTS.kafkaCa, `${spec.kafka.cluster}-cluster-ca-cert`, [
      { key: CA_KEY, path: CA_KEY },
    ]);
  }
  const kafka: EnvValues<typeof CONNECTION> = {
    kafkaBrokers: names.bootstrapServers.split(','),
    schemaRegistryUrl: spec.schema.registryUrl,
    topic: names.topic,
    dlqTopic: names.dlqTopic,
    alertsTopic: spec.processor.alertsTopic,
    kafkaSecurityProtocol: 'SASL_SSL',
    kafkaSaslMechanism: 'SCRAM-SHA-512',
    kafkaSaslUsername: kafkaUserName(pipeline),
    kafkaSaslPasswordFile: `${SECRET_MOUNTS.kafkaUser}/password`,
    kafkaCaFile: `${SECRET_MOUNTS.kafkaCa}/${CA_KEY}`,
  };
  const creds = spec.mqtt.credentialsSecret;
  const mqttTls = TLS_SCHEMES.has(new URL(spec.mqtt.brokerUrl).protocol);
  if (usesMqtt && creds)
    secretFiles(files, 'mqtt', SECRET_MOUNTS.mqtt, creds.name, [
      { key: creds.passwordKey, path: 'password' },
      ...(mqttTls ? [{ key: CA_KEY, path: CA_KEY }] : []),
    ]);
  const mqtt: EnvValues<typeof CONNECTION> = {
    mqttUrl: spec.mqtt.brokerUrl,
    ...(creds && {
      mqttUsername: secret({ name: creds.name, key: creds.usernameKey }),
      mqttPasswordFile: `${SECRET_MOUNTS.mqtt}/password`,
    }),
    ...(creds && mqttTls && { mqttCaFile: `${SECRET_MOUNTS.mqtt}/${CA_KEY}` }),
  };
  const database = spec.sink.databaseSecret;
  if (stage === 'sink')
    secretFiles(
      files,
      'database',
      SECRET_MOUNTS.database,
      database.name,
      [{ key: CA_KEY, path: CA_KEY }],
      true,
    );
  const podId = `$(${POD_NAME_ENV})`;
  let env: EnvVar[];
  let metricsPort: number | null = null;
  switch (stage) {
    case 'adapter':
      metricsPort = METRICS_PORTS.adapter;
      env = [
        ...settingsEnv(CONNECTION, { ...kafka, ...mqtt }),
        ...settingsEnv(ADAPTER, {
          subscriptions: spec.mqtt.topicFilters,
          ...(spec.mqtt.topicPrefix && { topicPrefix: spec.mqtt.topicPrefix }),
          ruuviTopicPrefix: spec.mqtt.ruuviTopicPrefix,
          payloadFormats: spec.mqtt.payloadFormats,
          sharedGroup: adapterSharedGroup(pipeline),
          mqttClientId: adapterMqttClientId(pipeline),
          metricsPort,
        }),
      ];
      break;
    case 'sink':
      metricsPort = METRICS_PORTS.sink;
      env = [
        ...settingsEnv(CONNECTION, {
          ...kafka,
          databaseUrl: secret(database),
          postgresSslMode: {
            secretKeyRef: { name: database.name, key: DATABASE_SSLMODE_KEY, optional: true },
          },
          postgresCaFile: `${SECRET_MOUNTS.database}/${CA_KEY}`,
        }),
        ...settingsEnv(SINK, {
          table: spec.sink.table,
          groupId: names.sinkGroup,
          clientId: podId,
          batchSize: spec.sink.batchSize,
          commitIntervalMs: spec.sink.batchIntervalMs,
          metricsPort,
        }),
      ];
      break;
    case 'processor':
      metricsPort = METRICS_PORTS.processor;
      env = [
        ...settingsEnv(CONNECTION, kafka),
        ...settingsEnv(PROCESSOR, { groupId: names.processorGroup, clientId: podId, metricsPort }),
        ...settingsEnv(PROCESSOR_RULES, {
          zScoreThreshold: spec.processor.zScoreThreshold,
          batteryLowPercent: spec.processor.batteryLowPercent,
          silenceAfterMs: spec.processor.silenceAfterSeconds * 1000,
          thresholds: spec.processor.thresholds ?? {},
        }),
      ];
      break;
    case 'simulator': {
      const sim = spec.simulator;
      env = [
        ...settingsEnv(CONNECTION, mqtt),
        ...settingsEnv(SIMULATOR, {
          output: 'mqtt',
          mqttTopicPrefix: `${spec.mqtt.topicPrefix ?? ''}${sim?.topicPrefix ?? SIMULATOR.mqttTopicPrefix.default}`,
          ruuviTags: 0,
          mqttClientId: podId,
          numDevices: sim?.devices ?? SIMULATOR.numDevices.default,
          intervalSec: sim?.intervalSeconds ?? SIMULATOR.intervalSec.default,
          anomalyProbability: sim?.anomalyProbability ?? SIMULATOR.anomalyProbability.default,
          ...(sim?.deviceTypes && { deviceTypes: sim.deviceTypes }),
        }),
      ];
      break;
    }
  }
  return {
    command: [...WORKLOADS_CLI, STAGE_COMMANDS[stage]],
    env: [podName, ...env],
    metricsPort,
    ...files,
  };
}
