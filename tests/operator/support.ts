// Helpers for the operator suites: a namespace with the IoTPipeline CRD, an in-process or
// child-process operator with short lease timings, pipelines, and what Strimzi would do.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ApiException,
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
const PIPELINES = { group: 'iotpipe.io', version: 'v1alpha1', plural: 'iotpipelines' } as const;

/** A fresh namespace with the IoTPipeline CRD installed (idempotent server-side apply). */
export async function operatorNamespace(prefix: string): Promise<TestNamespace> {
  const ns = await TestNamespace.create(prefix);
  try {
    await installCrds(ns.kubeConfig, [], { extraFiles: [CRD_PATH] });
  } catch (err) {
    await ns.delete();
    throw err;
  }
  return ns;
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
  return {
    apiVersion: 'iotpipe.io/v1alpha1',
    kind: 'IoTPipeline',
    metadata: { name },
    spec: {
      kafka: { topic, ...kafka },
      sink: { databaseSecret: { name: 'db', key: 'uri' }, ...sink },
      ...rest,
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
