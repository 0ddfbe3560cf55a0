// Helpers for the operator suites: a namespace with the IoTPipeline CRD, an in-process or
// child-process operator with short lease timings, pipelines, and what Strimzi would do.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { installCrds } from '../../local/src/cluster/crds.js';
import { retryWhileBusy, TestNamespace } from '../../local/src/cluster/testing.js';
import { loadOperatorConfig, type OperatorConfig } from '../../operator/src/config.js';
import { CRD_FILE } from '../../operator/src/crd/crd.js';
import type { Condition, ConditionType, IoTPipeline } from '../../operator/src/crd/iotpipeline.js';
import { Operator } from '../../operator/src/reconcile/operator.js';
import { uniqueName } from '../support/stack.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const CRD_PATH = resolve(repoRoot, CRD_FILE);
const KAFKATOPICS = { group: 'kafka.strimzi.io', version: 'v1', plural: 'kafkatopics' } as const;
const KAFKAS = { group: 'kafka.strimzi.io', version: 'v1', plural: 'kafkas' } as const;
const PIPELINES = { group: 'iotpipe.io', version: 'v1alpha1', plural: 'iotpipelines' } as const;

/** The local stack's registry: what the test pipelines' workloads use, so where the operator registers. */
export const LOCAL_REGISTRY = 'http://127.0.0.1:8081/apis/ccompat/v7';

export interface NamespaceFixtures {
  /** The Secret `db` with key `uri` (the test pipelines' database Secret). Default true. */
  readonly databaseSecret?: boolean;
  /** The Strimzi Kafka cluster `iotpipe`, Ready. Default true. */
  readonly kafkaCluster?: boolean;
  /** The shared alerts KafkaTopic `iot-alerts`, Ready. Default true. */
  readonly alertsTopic?: boolean;
}

/**
 * A fresh namespace with the IoTPipeline CRD installed (idempotent server-side apply) and what
 * the platform would have there before any pipeline (fixtures).
 */
export async function operatorNamespace(
  prefix: string,
  fixtures: NamespaceFixtures = {},
): Promise<TestNamespace> {
  const ns = await TestNamespace.create(prefix);
  try {
    await installCrds(ns.kubeConfig, [], { extraFiles: [CRD_PATH] });
    await platformFixtures(ns.kubeConfig, ns.name, fixtures);
  } catch (err) {
    await ns.delete();
    throw err;
  }
  return ns;
}

/**
 * What the platform puts in a pipeline's namespace: the database Secret, the Strimzi Kafka
 * cluster and the shared alerts KafkaTopic (cdk8s charts), each Ready as Strimzi's operators
 * would report it (none runs here: this plays them).
 */
export async function platformFixtures(
  kc: KubeConfig,
  namespace: string,
  fixtures: NamespaceFixtures = {},
): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  if (fixtures.databaseSecret ?? true) {
    await retryWhileBusy(() =>
      objects.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'db', namespace },
        stringData: { uri: 'postgres://iot_user:iot_password@timescaledb:5432/iot' },
      } as KubernetesObject),
    );
  }
  if (fixtures.kafkaCluster ?? true) await createKafkaCluster(kc, namespace, 'iotpipe');
  if (fixtures.alertsTopic ?? true) {
    await retryWhileBusy(() =>
      objects.create({
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'KafkaTopic',
        metadata: {
          name: 'iot-alerts',
          namespace,
          labels: { 'strimzi.io/cluster': 'iotpipe', 'app.kubernetes.io/part-of': 'iotpipe' },
        },
        spec: { topicName: 'iot-alerts', partitions: 3, replicas: 3 },
      } as KubernetesObject),
    );
    await markKafkaTopicReady(kc, namespace, 'iot-alerts');
  }
}

/** A Strimzi Kafka cluster, reported Ready as Strimzi's cluster operator would (none runs here). */
export async function createKafkaCluster(
  kc: KubeConfig,
  namespace: string,
  name: string,
  ready = true,
): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  await retryWhileBusy(() =>
    objects.create({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'Kafka',
      metadata: { name, namespace },
      spec: { kafka: { listeners: [{ name: 'plain', port: 9092, type: 'internal', tls: false }] } },
    } as KubernetesObject),
  );
  if (ready) await setKafkaClusterReady(kc, namespace, name, 'True');
}

export async function setKafkaClusterReady(
  kc: KubeConfig,
  namespace: string,
  name: string,
  status: 'True' | 'False',
  reason?: string,
  message?: string,
): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus(
    {
      ...KAFKAS,
      namespace,
      name,
      body: {
        status: {
          observedGeneration: 1,
          conditions: [
            {
              type: 'Ready',
              status,
              lastTransitionTime: new Date().toISOString(),
              ...(reason ? { reason } : {}),
              ...(message ? { message } : {}),
            },
          ],
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** Env of an operator confined to one namespace, with lease timings short enough for tests. */
export function operatorEnv(
  namespace: string,
  identity: string,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    OPERATOR_METRICS_PORT: '0',
    OPERATOR_METRICS_HOST: '127.0.0.1',
    OPERATOR_WATCH_NAMESPACE: namespace,
    OPERATOR_LEASE_NAMESPACE: namespace,
    OPERATOR_IDENTITY: identity,
    OPERATOR_LEASE_DURATION_SECONDS: '3',
    OPERATOR_RENEW_DEADLINE_SECONDS: '2',
    OPERATOR_RETRY_PERIOD_SECONDS: '0.5',
    OPERATOR_BACKOFF_BASE_MS: '200',
    OPERATOR_BACKOFF_MAX_MS: '5000',
    OPERATOR_NOT_READY_REQUEUE_SECONDS: '2',
    OPERATOR_NOT_READY_REQUEUE_MAX_SECONDS: '10',
    OPERATOR_RESYNC_SECONDS: '30',
    ...extra,
  };
}

export function operatorConfig(
  namespace: string,
  identity: string,
  extra: NodeJS.ProcessEnv = {},
): OperatorConfig {
  return loadOperatorConfig(operatorEnv(namespace, identity, extra));
}

export interface LogSink {
  lines: string[];
  log: (line: string) => void;
}

export function logSink(prefix: string, echo = process.env.IOTPIPE_TEST_VERBOSE === '1'): LogSink {
  const lines: string[] = [];
  return {
    lines,
    log: (line) => {
      lines.push(line);
      if (echo) console.log(`[${prefix}] ${line}`);
    },
  };
}

export function inProcessOperator(
  ns: TestNamespace,
  identity: string,
  extra: NodeJS.ProcessEnv = {},
  sink = logSink(identity),
) {
  return new Operator(ns.kubeConfig, operatorConfig(ns.name, identity, extra), sink.log, {
    processMetrics: false,
  });
}

/** The operator as its own process (`node operator/dist/main.js`), for kill/restart tests. */
export function childOperator(ns: TestNamespace, identity: string, sink = logSink(identity)): ChildProcess {
  const main = resolve(repoRoot, 'operator/dist/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npx tsc -b\` first`);
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, ...operatorEnv(ns.name, identity), KUBECONFIG: ns.kubeconfigPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) sink.log(line);
    });
  }
  return child;
}

export async function killChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

/** Polls until `check` returns a value other than undefined/false; the error names what was awaited. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function uniqueTopic(prefix = 'op'): string {
  return uniqueName(prefix);
}

export interface PipelineOptions {
  name: string;
  topic: string;
  spec?: Record<string, unknown>;
}

export function pipelineManifest({
  name,
  topic,
  spec = {},
}: PipelineOptions): KubernetesObject & { spec: Record<string, unknown> } {
  const { kafka, sink, ...rest } = spec as {
    kafka?: Record<string, unknown>;
    sink?: Record<string, unknown>;
  };
  const { schema, ...others } = rest as { schema?: Record<string, unknown> };
  return {
    apiVersion: 'iotpipe.io/v1alpha1',
    kind: 'IoTPipeline',
    metadata: { name },
    spec: {
      kafka: { topic, ...kafka },
      schema: { registryUrl: LOCAL_REGISTRY, ...schema },
      sink: { databaseSecret: { name: 'db', key: 'uri' }, ...sink },
      ...others,
    },
  };
}

/** Server-side apply as a user would (`kubectl apply --server-side`), field manager "test". */
export async function applyAsUser(
  kc: KubeConfig,
  namespace: string,
  obj: KubernetesObject,
): Promise<KubernetesObject> {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const body = { ...obj, metadata: { ...obj.metadata, namespace } };
  return retryWhileBusy(() =>
    objects.patch(body, undefined, undefined, 'test', true, PatchStrategy.ServerSideApply),
  );
}

export async function getPipeline(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<IoTPipeline | undefined> {
  try {
    return (await kc
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({ ...PIPELINES, namespace, name })) as IoTPipeline;
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return undefined;
    throw err;
  }
}

export async function deletePipeline(kc: KubeConfig, namespace: string, name: string): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({ ...PIPELINES, namespace, name });
}

export function conditionOf(p: IoTPipeline | undefined, type: ConditionType): Condition | undefined {
  return p?.status?.conditions?.find((c) => c.type === type);
}

/** Reads any object, or undefined when it does not exist. */
export async function readObject<T = KubernetesObject & Record<string, unknown>>(
  kc: KubeConfig,
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
): Promise<T | undefined> {
  try {
    return (await KubernetesObjectApi.makeApiClient(kc).read({
      apiVersion,
      kind,
      metadata: { name, namespace },
    })) as T;
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return undefined;
    throw err;
  }
}

/**
 * Plays Strimzi's topic operator (none runs here): writes the status it writes once the topic
 * exists in Kafka — Ready True for the current generation.
 */
export async function markKafkaTopicReady(kc: KubeConfig, namespace: string, name: string): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const topic = (await custom.getNamespacedCustomObject({ ...KAFKATOPICS, namespace, name })) as {
    metadata: { generation: number };
    spec: { topicName?: string };
  };
  await custom.patchNamespacedCustomObjectStatus(
    {
      ...KAFKATOPICS,
      namespace,
      name,
      body: {
        status: {
          observedGeneration: topic.metadata.generation,
          topicName: topic.spec.topicName ?? name,
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }],
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** A metric's value from the operator's registry (sum over label sets matching `labels`). */
export async function metricValue(
  op: Operator,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = op.metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .filter((v) => !('metricName' in v) || v.metricName === name || v.metricName === `${name}_count`)
    .reduce((sum, v) => sum + v.value, 0);
}

/** An Event (events.k8s.io/v1) as the operator records it. */
export interface RecordedEvent {
  metadata: { name: string; creationTimestamp?: string };
  type: 'Normal' | 'Warning';
  reason: string;
  note: string;
  action?: string;
  reportingController?: string;
  eventTime?: string;
  series?: { count: number; lastObservedTime: string };
  regarding: { kind: string; name: string; uid?: string };
}

/** The Events about an IoTPipeline, oldest first. */
export async function eventsOf(kc: KubeConfig, namespace: string, name: string): Promise<RecordedEvent[]> {
  const list = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: 'events.k8s.io',
    version: 'v1',
    namespace,
    plural: 'events',
  })) as { items: RecordedEvent[] };
  return list.items
    .filter((e) => e.regarding.kind === 'IoTPipeline' && e.regarding.name === name)
    .sort((a, b) => ((a.eventTime ?? '') < (b.eventTime ?? '') ? -1 : 1));
}

/**
 * Playing the ReplicaSet controller and the kubelet: a pod of the pipeline's `stage` whose
 * container waits for `reason` (the pod is made once, its status rewritten each call; the
 * service-account controller's part too: the pod's service account must exist).
 */
export async function kubeletReports(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  pipeline: string,
  stage: string,
  image: string,
  waiting: { reason: string; message: string } | undefined,
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core
    .createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'default' } } })
    .catch((err: unknown) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
  await core
    .createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name: pod,
          labels: {
            'iotpipe.io/pipeline': pipeline,
            'app.kubernetes.io/managed-by': 'iotpipe-operator',
            'app.kubernetes.io/component': stage,
          },
        },
        spec: { containers: [{ name: stage, image }] },
      },
    })
    .catch((err: unknown) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
  await core.patchNamespacedPodStatus(
    {
      name: pod,
      namespace,
      body: {
        status: {
          phase: waiting ? 'Pending' : 'Running',
          containerStatuses: [
            {
              name: stage,
              ready: !waiting,
              restartCount: 0,
              image,
              imageID: '',
              state: waiting ? { waiting } : { running: { startedAt: new Date().toISOString() } },
            },
          ],
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/**
 * Playing the workload controller and the kubelet for a volume it cannot set up: a pod made from
 * the operator's workload template (so with its projected volume of Secrets), still creating its
 * containers, and the kubelet's FailedMount Event about it (core/v1, as the kubelet's recorder
 * writes it) with `detail` as its volume plugin words the error. Returns the pod's uid.
 */
export async function kubeletCannotMount(
  kc: KubeConfig,
  namespace: string,
  workload: { kind: 'Deployment' | 'StatefulSet'; name: string },
  pod: string,
  detail: string,
  seenAt = new Date(),
): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  await core
    .createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'default' } } })
    .catch((err: unknown) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
  const owner = await readObject<{
    spec: { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } };
  }>(kc, 'apps/v1', workload.kind, namespace, workload.name);
  if (!owner) throw new Error(`${workload.kind} ${workload.name} does not exist`);
  const created = await core
    .createNamespacedPod({
      namespace,
      body: {
        metadata: { name: pod, labels: owner.spec.template.metadata.labels },
        spec: owner.spec.template.spec as never,
      },
    })
    .catch(async (err: unknown) => {
      if ((err as { code?: number }).code !== 409) throw err;
      return core.readNamespacedPod({ namespace, name: pod });
    });
  const containers = (owner.spec.template.spec as { containers: Array<{ name: string; image: string }> })
    .containers;
  await core.patchNamespacedPodStatus(
    {
      name: pod,
      namespace,
      body: {
        status: {
          phase: 'Pending',
          containerStatuses: containers.map((c) => ({
            name: c.name,
            ready: false,
            restartCount: 0,
            image: c.image,
            imageID: '',
            state: { waiting: { reason: 'ContainerCreating' } },
          })),
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  await core.createNamespacedEvent({
    namespace,
    body: {
      metadata: { name: `${pod}.${seenAt.getTime().toString(16)}` },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace, name: pod, uid: created.metadata?.uid },
      reason: 'FailedMount',
      message: `MountVolume.SetUp failed for volume "secrets" : ${detail}`,
      type: 'Warning',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: seenAt,
      lastTimestamp: seenAt,
      count: 1,
      reportingComponent: 'kubelet',
      reportingInstance: 'node-1',
    },
  });
  return created.metadata?.uid ?? '';
}
