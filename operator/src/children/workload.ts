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
} from '@iotpipe/contract';
import type { IoTPipeline } from '../crd/iotpipeline.js';
import { childName, resolveNames, stableHash, type Stage } from './names.js';

export { POD_NAME_ENV, STAGE_COMMANDS, WORKLOADS_CLI, type EnvVar } from '@iotpipe/contract';

export interface WorkloadProcess {
  /** Run in the image's working directory (/app, the repository layout). */
  command: string[];
  env: EnvVar[];
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

export function workloadProcess(stage: Stage, pipeline: IoTPipeline): WorkloadProcess {
  const { spec } = pipeline;
  const names = resolveNames(pipeline);
  // First, so that later values can use $(POD_NAME): unique MQTT and Kafka client ids.
  const podName: EnvVar = { name: POD_NAME_ENV, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };
  const kafka: EnvValues<typeof CONNECTION> = {
    kafkaBrokers: names.bootstrapServers.split(','),
    schemaRegistryUrl: spec.schema.registryUrl,
    topic: names.topic,
    dlqTopic: names.dlqTopic,
    alertsTopic: spec.processor.alertsTopic,
  };
  const creds = spec.mqtt.credentialsSecret;
  const mqtt: EnvValues<typeof CONNECTION> = {
    mqttUrl: spec.mqtt.brokerUrl,
    ...(creds && {
      mqttUsername: secret({ name: creds.name, key: creds.usernameKey }),
      mqttPassword: secret({ name: creds.name, key: creds.passwordKey }),
    }),
  };
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
        ...settingsEnv(CONNECTION, { ...kafka, databaseUrl: secret(spec.sink.databaseSecret) }),
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
  return { command: [...WORKLOADS_CLI, STAGE_COMMANDS[stage]], env: [podName, ...env], metricsPort };
}
