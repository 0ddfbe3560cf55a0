/**
 * What each workload runs: ONE function builds a stage's command and environment, used for the
 * Deployments and the adapter's StatefulSet and read back by the end-to-end test, which runs
 * exactly that as a local process.
 * Workloads are configured only through env (and Secrets referenced from env); the variable
 * names are those of workloads/src/{config/common,adapter/config,sink/config,processor/config,
 * simulator/config}.ts.
 */
import type { IoTPipeline } from '../crd/iotpipeline.js';
import { childName, METRICS_PORTS, resolveNames, stableHash, type Stage } from './names.js';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } } | { fieldRef: { fieldPath: string } };
}

export interface WorkloadProcess {
  /** Run in the image's working directory (/app, the repository layout). */
  command: string[];
  env: EnvVar[];
  /** The /metrics, /healthz, /readyz port; null for the simulator, which serves none. */
  metricsPort: number | null;
}

/** The workloads CLI inside the image; `iotpipe` is the same file on PATH. */
export const WORKLOADS_CLI = ['node', 'workloads/dist/cli.js'] as const;
/** The stage's subcommand of the CLI. */
export const STAGE_COMMANDS: Record<Stage, string> = {
  adapter: 'adapter',
  sink: 'sink',
  processor: 'process',
  simulator: 'simulate',
};

/** Env var holding the pod name (downward API); later values refer to it as $(POD_NAME). */
export const POD_NAME_ENV = 'POD_NAME';

/** The adapter's ADAPTER_MQTT_CLIENT_ID limit (workloads/src/adapter/config.ts). */
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

function plain(name: string, value: string | number | boolean): EnvVar {
  return { name, value: String(value) };
}

function fromSecret(name: string, secret: string, key: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

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
  const kafka = [
    plain('KAFKA_BOOTSTRAP_SERVERS', names.bootstrapServers),
    plain('SCHEMA_REGISTRY_URL', spec.schema.registryUrl),
    plain('KAFKA_TOPIC', names.topic),
    plain('KAFKA_DLQ_TOPIC', names.dlqTopic),
    plain('KAFKA_ALERTS_TOPIC', names.alertsTopic),
  ];
  const creds = spec.mqtt.credentialsSecret;
  const mqtt = [
    plain('MQTT_URL', spec.mqtt.brokerUrl),
    ...(creds
      ? [
          fromSecret('MQTT_USERNAME', creds.name, creds.usernameKey),
          fromSecret('MQTT_PASSWORD', creds.name, creds.passwordKey),
        ]
      : []),
  ];
  let env: EnvVar[];
  let metricsPort: number | null = null;
  switch (stage) {
    case 'adapter':
      metricsPort = METRICS_PORTS.adapter;
      env = [
        ...kafka,
        ...mqtt,
        plain('ADAPTER_SUBSCRIPTIONS', spec.mqtt.topicFilters.join(',')),
        ...(spec.mqtt.topicPrefix ? [plain('ADAPTER_TOPIC_PREFIX', spec.mqtt.topicPrefix)] : []),
        plain('ADAPTER_PAYLOAD_FORMATS', spec.mqtt.payloadFormats.join(',')),
        plain('ADAPTER_SHARED_GROUP', adapterSharedGroup(pipeline)),
        plain('ADAPTER_MQTT_CLIENT_ID', adapterMqttClientId(pipeline)),
        plain('ADAPTER_METRICS_PORT', metricsPort),
      ];
      break;
    case 'sink':
      metricsPort = METRICS_PORTS.sink;
      env = [
        ...kafka,
        fromSecret('DATABASE_URL', spec.sink.databaseSecret.name, spec.sink.databaseSecret.key),
        plain('SINK_TABLE', spec.sink.table),
        plain('SINK_GROUP_ID', names.sinkGroup),
        plain('SINK_CLIENT_ID', `$(${POD_NAME_ENV})`),
        plain('DATA_SINK_BATCH_SIZE', spec.sink.batchSize),
        // The original README's unit: seconds.
        plain('DATA_SINK_COMMIT_INTERVAL', spec.sink.batchIntervalMs / 1000),
        plain('SINK_METRICS_PORT', metricsPort),
      ];
      break;
    case 'processor':
      metricsPort = METRICS_PORTS.processor;
      env = [
        ...kafka,
        plain('PROCESSOR_GROUP_ID', names.processorGroup),
        plain('PROCESSOR_CLIENT_ID', `$(${POD_NAME_ENV})`),
        plain('PROCESSOR_ZSCORE_THRESHOLD', spec.processor.zScoreThreshold),
        plain('PROCESSOR_BATTERY_LOW_PERCENT', spec.processor.batteryLowPercent),
        plain('PROCESSOR_SILENCE_AFTER_SECONDS', spec.processor.silenceAfterSeconds),
        plain('PROCESSOR_THRESHOLDS', JSON.stringify(spec.processor.thresholds ?? {})),
        plain('PROCESSOR_METRICS_PORT', metricsPort),
      ];
      break;
    case 'simulator': {
      const sim = spec.simulator;
      env = [
        ...mqtt,
        plain('SIM_OUTPUT', 'mqtt'),
        plain('SIM_MQTT_TOPIC_PREFIX', `${spec.mqtt.topicPrefix ?? ''}${sim?.topicPrefix ?? 'iotpipe/sim'}`),
        plain('SIM_RUUVI_TAGS', 0),
        plain('SIM_MQTT_CLIENT_ID', `$(${POD_NAME_ENV})`),
        plain('IOT_NUM_DEVICES', sim?.devices ?? 8),
        plain('IOT_DATA_INTERVAL_SEC', sim?.intervalSeconds ?? 1),
        plain('IOT_ANOMALY_PROBABILITY', sim?.anomalyProbability ?? 0.05),
        ...(sim?.deviceTypes ? [plain('IOT_DEVICE_TYPES', sim.deviceTypes.join(','))] : []),
      ];
      break;
    }
  }
  return { command: [...WORKLOADS_CLI, STAGE_COMMANDS[stage]], env: [podName, ...env], metricsPort };
}
