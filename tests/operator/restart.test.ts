// The operator as a child process (`node operator/dist/main.js`), killed mid-reconcile and
// started again: the new process finishes the work, and level-based reconciling leaves each
// pipeline with exactly its children, whatever the old process had done.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppsV1Api, CoordinationV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { ChildProcess } from 'node:child_process';
import type { TestNamespace } from '../../local/src/cluster/testing.js';
import type { IoTPipeline } from '../../operator/src/crd/iotpipeline.js';
import {
  applyAsUser,
  childOperator,
  killChild,
  logSink,
  operatorNamespace,
  pipelineManifest,
  uniqueTopic,
  waitFor,
} from './support.js';

const COUNT = 20;
let ns: TestNamespace;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ns = await operatorNamespace('operator-restart');
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => killChild(c)));
});
afterAll(async () => {
  await ns?.delete();
});

async function pipelines(): Promise<IoTPipeline[]> {
  const list = (await ns.kubeConfig.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: 'iotpipe.io',
    version: 'v1alpha1',
    namespace: ns.name,
    plural: 'iotpipelines',
  })) as {
    items: IoTPipeline[];
  };
  return list.items;
}

describe('operator restart', () => {
  it('killed (SIGKILL) mid-reconcile of many pipelines, a new process finishes the work exactly', async () => {
    const names = Array.from({ length: COUNT }, (_, i) => `restart-${i}`);
    const prefix = uniqueTopic('op-restart');
    await Promise.all(
      names.map((name) =>
        applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name, topic: `${prefix}-${name}` })),
      ),
    );
    const apps = ns.kubeConfig.makeApiClient(AppsV1Api);

    const first = childOperator(ns, 'restart-first');
    children.push(first);
    // Mid-reconcile: some pipelines have children, not all have a status yet.
    await waitFor(
      'first Deployments',
      async () => (await apps.listNamespacedDeployment({ namespace: ns.name })).items.length > 0,
      60_000,
      20,
    );
    const done = (await pipelines()).filter((p) => p.status?.observedGeneration === 1).length;
    await killChild(first, 'SIGKILL');
    console.log(`[restart] killed the first operator with ${done}/${COUNT} pipelines reconciled`);
    expect(done).toBeLessThan(COUNT);

    const sink = logSink('restart-second');
    const second = childOperator(ns, 'restart-second', sink);
    children.push(second);
    await waitFor(
      'every pipeline reconciled by the second operator',
      async () => {
        const all = await pipelines();
        return (
          all.length === COUNT &&
          all.every((p) => p.status?.observedGeneration === 1 && p.status.schemaId !== undefined)
        );
      },
      90_000,
      250,
    );
    const deployments = (await apps.listNamespacedDeployment({ namespace: ns.name })).items;
    const statefulSets = (await apps.listNamespacedStatefulSet({ namespace: ns.name })).items;
    const ownedBy = (items: typeof deployments | typeof statefulSets, name: string) =>
      items.filter((d) => d.metadata?.labels?.['iotpipe.io/pipeline'] === name).map((d) => d.metadata?.name);
    for (const name of names) {
      expect(ownedBy(deployments, name).sort()).toEqual([`${name}-processor`, `${name}-sink`]);
      expect(ownedBy(statefulSets, name)).toEqual([`${name}-adapter`]);
    }
    const topics = (await ns.kubeConfig.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: 'kafka.strimzi.io',
      version: 'v1',
      namespace: ns.name,
      plural: 'kafkatopics',
      labelSelector: 'app.kubernetes.io/managed-by=iotpipe-operator',
    })) as {
      items: unknown[];
    };
    expect(topics.items).toHaveLength(COUNT * 2);
    expect(sink.lines.some((l) => l.includes('became leader'))).toBe(true);
  });

  it('on SIGTERM the operator stops, exits 0 and releases its lease', async () => {
    const child = childOperator(ns, 'restart-graceful');
    children.push(child);
    const leases = ns.kubeConfig.makeApiClient(CoordinationV1Api);
    const holder = async () =>
      (await leases.readNamespacedLease({ name: 'iotpipe-operator', namespace: ns.name })).spec
        ?.holderIdentity;
    await waitFor('the process leads', async () => (await holder()) === 'restart-graceful', 30_000);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await holder()).toBe('');
  });
});
