/**
 * What each workload runs: ONE function builds a stage's command and environment, used for the
 * Deployments and the adapter's StatefulSet and read back by the end-to-end test, which runs
 * exactly that as a local process.
 * Workloads are configured only through env, Secret keys referenced from env, and Secret files
 * (passwords and CAs, which the env names by path: no password is in the environment). Every variable is
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
  type ProjectedSource,
  type Volume,
  type VolumeMount,
} from '@iotpipe/contract';
import type { IoTPipeline } from '../crd/iotpipeline.js';
import {
  childName,
  clusterCaSecretName,
  kafkaUserName,
  resolveNames,
  stableHash,
  type Stage,
} from './names.js';

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

/**
 * Where the kubelet writes the Secret files a stage reads: one projected, read-only volume, each
 * Secret's keys in a directory of their own. The *_PASSWORD_FILE and *_CA_FILE settings point
 * here, so no password is in the environment and a rotated Secret reaches the next connection.
 */
export const SECRETS_DIR = '/var/run/iotpipe/secrets';
export const SECRETS_VOLUME = 'secrets';
/**
 * Owner read, and group read for the pod's fsGroup (the workloads' uid and gid), which the
 * kubelet gives these files: the stage's non-root user reads them, no one else.
 */
export const SECRET_FILE_MODE = 0o440;

/** The key of the Strimzi cluster CA Secret (`<cluster>-cluster-ca-cert`) clients trust. */
const CA_KEY = 'ca.crt';
/**
 * Optional keys of the database Secret beside the URL: `sslmode` (libpq's; the platform's
 * TimescaleDB Secrets say verify-full) and `ca.crt`, the CA that signs the database's
 * certificate. The same `ca.crt` in the MQTT credentials Secret is what an mqtts:// broker's
 * certificate is checked with.
 */
export const DATABASE_SSLMODE_KEY = 'sslmode';

/** The Secrets a stage reads as files, gathered into one projected volume. */
class SecretFiles {
  readonly sources: ProjectedSource[] = [];

  /** Projects Secret `name`'s keys (key -> file name) into <SECRETS_DIR>/<dir>/. */
  add(dir: string, name: string, keys: Record<string, string>, optional = false): void {
    this.sources.push({
      secret: {
        name,
        items: Object.entries(keys).map(([key, file]) => ({ key, path: `${dir}/${file}` })),
        ...(optional && { optional: true }),
      },
    });
  }

  get volumes(): Volume[] {
    if (this.sources.length === 0) return [];
    return [{ name: SECRETS_VOLUME, projected: { sources: this.sources, defaultMode: SECRET_FILE_MODE } }];
  }

  get volumeMounts(): VolumeMount[] {
    if (this.sources.length === 0) return [];
    return [{ name: SECRETS_VOLUME, mountPath: SECRETS_DIR, readOnly: true }];
  }
}

const PASSWORD_FILE = 'password';
const fileIn = (dir: string, file: string) => `${SECRETS_DIR}/${dir}/${file}`;

const TLS_SCHEMES = new Set(['mqtts:', 'ssl:', 'wss:']);

export function workloadProcess(stage: Stage, pipeline: IoTPipeline): WorkloadProcess {
  const { spec } = pipeline;
  const names = resolveNames(pipeline);
  const files = new SecretFiles();
  const usesKafka = stage !== 'simulator';
  const usesMqtt = stage === 'adapter' || stage === 'simulator';
  // First, so that later values can use $(POD_NAME): unique MQTT and Kafka client ids.
  const podName: EnvVar = { name: POD_NAME_ENV, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };
  // Kafka as the pipeline's KafkaUser: TLS trusting the Strimzi cluster CA, SCRAM-SHA-512 with
  // the password Strimzi's user operator wrote into the user's Secret (a file, so a rotated
  // password reaches the next connection without a restart).
  if (usesKafka) {
    files.add('kafka', kafkaUserName(pipeline), { password: PASSWORD_FILE });
    files.add('kafka', clusterCaSecretName(pipeline), { [CA_KEY]: CA_KEY });
  }
  const kafka: EnvValues<typeof CONNECTION> = {
    kafkaBrokers: names.bootstrapServers.split(','),
    schemaRegistryUrl: spec.schema.registryUrl,
    topic: names.topic,
    dlqTopic: names.dlqTopic,
    alertsTopic: names.alertsTopic,
    kafkaSecurityProtocol: 'SASL_SSL',
    kafkaSaslMechanism: 'SCRAM-SHA-512',
    kafkaSaslUsername: kafkaUserName(pipeline),
    kafkaSaslPasswordFile: fileIn('kafka', PASSWORD_FILE),
    kafkaCaFile: fileIn('kafka', CA_KEY),
  };
  const creds = spec.mqtt.credentialsSecret;
  const mqttTls = TLS_SCHEMES.has(new URL(spec.mqtt.brokerUrl).protocol);
  if (usesMqtt && creds)
    files.add('mqtt', creds.name, {
      [creds.passwordKey]: PASSWORD_FILE,
      ...(mqttTls && { [CA_KEY]: CA_KEY }),
    });
  const mqtt: EnvValues<typeof CONNECTION> = {
    mqttUrl: spec.mqtt.brokerUrl,
    ...(creds && {
      mqttUsername: secret({ name: creds.name, key: creds.usernameKey }),
      mqttPasswordFile: fileIn('mqtt', PASSWORD_FILE),
    }),
    ...(creds && mqttTls && { mqttCaFile: fileIn('mqtt', CA_KEY) }),
  };
  const database = spec.sink.databaseSecret;
  if (stage === 'sink') {
    // The password (when the Secret names its key) is required; the CA is there when the
    // Secret's sslmode asks for one (optional: a Secret without TLS keys still mounts).
    if (database.passwordKey !== undefined)
      files.add('database', database.name, { [database.passwordKey]: PASSWORD_FILE });
    files.add('database', database.name, { [CA_KEY]: CA_KEY }, true);
  }
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
          ...(database.passwordKey !== undefined && {
            postgresPasswordFile: fileIn('database', PASSWORD_FILE),
          }),
          postgresCaFile: fileIn('database', CA_KEY),
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
    volumes: files.volumes,
    volumeMounts: files.volumeMounts,
  };
}
