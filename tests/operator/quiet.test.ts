// A reconcile that finds everything in place costs no API write, and the pipeline is read from
// the informer cache, never fetched: what keeps hundreds of pipelines cheap, and what makes a new
// leader go through all of them quickly (it trusts status.inventory instead of applying all
// again). The operator's own request counter (iotpipe_operator_api_requests_total) says what it
// sent. Against the local control plane and the local stack's registry.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import {
  markDeploymentAvailable,
  markStatefulSetAvailable,
  type TestNamespace,
} from '../../local/src/cluster/testing.js';
import type { Operator } from '../../operator/src/reconcile/operator.js';
import {
  applyAsUser,
  conditionOf,
  getPipeline,
  inProcessOperator,
  markKafkaTopicReady,
  operatorNamespace,
  pipelineManifest,
  uniqueTopic,
  waitFor,
} from './support.js';

let ns: TestNamespace;
const running: Operator[] = [];

beforeAll(async () => {
  ns = await operatorNamespace('operator-quiet');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((o) => o.stop()));
});
afterAll(async () => {
  await ns?.delete();
});

/**
 * Requests the operator sent, leases and events aside: writes, and GETs of a pipeline (the
 * LIST that fills the cache is not one).
 */
async function requests(op: Operator): Promise<{ writes: number; pipelineGets: number; reconciles: number }> {
  const values = (await op.metrics.apiRequests.get()).values;
  let writes = 0;
  let pipelineGets = 0;
  for (const v of values) {
    const resource = String(v.labels.resource);
    if (resource === 'leases' || resource === 'events') continue;
    if (v.labels.verb !== 'GET' && v.labels.verb !== 'LIST') writes += v.value;
    if (v.labels.verb === 'GET' && resource.startsWith('iotpipelines')) pipelineGets += v.value;
  }
  const reconciles = (await op.metrics.reconciles.get()).values.reduce((n, v) => n + v.value, 0);
  return { writes, pipelineGets, reconciles };
}

/** Waits until the operator has sent no write for a second (its own writes' echoes are done). */
async function settled(op: Operator) {
  let last = -1;
  return waitFor(
    'no more writes',
    async () => {
      const now = await requests(op);
      if (now.writes === last) return now;
      last = now.writes;
      await new Promise((r) => setTimeout(r, 1000));
      return undefined;
    },
    60_000,
    0,
  );
}

/** A pipeline with its topics and workloads reported ready (playing Strimzi and the kubelet). */
async function readyPipeline(name: string): Promise<void> {
  await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name, topic: uniqueTopic(`op-${name}`) }));
  await waitFor(`${name} children`, async () => {
    const p = await getPipeline(ns.kubeConfig, ns.name, name);
    return conditionOf(p, 'SchemaRegistered')?.status === 'True';
  });
  for (const t of ['topic', 'dlq']) await markKafkaTopicReady(ns.kubeConfig, ns.name, `${name}-${t}`);
  for (const stage of ['sink', 'processor'])
    await markDeploymentAvailable(ns.kubeConfig, ns.name, `${name}-${stage}`);
  await markStatefulSetAvailable(ns.kubeConfig, ns.name, `${name}-adapter`);
  await waitFor(`${name} Ready`, async () => {
    const p = await getPipeline(ns.kubeConfig, ns.name, name);
    return conditionOf(p, 'Ready')?.status === 'True';
  });
}

describe('quiet reconciles', () => {
  it('a reconcile that finds everything in place writes nothing; the pipeline is never fetched, only cached', async () => {
    const op = inProcessOperator(ns, 'op-quiet');
    running.push(op);
    await op.start();
    await readyPipeline('calm');
    const before = await settled(op);
    // A watch event that changes nothing the operator made: a label on a child, by hand.
    await KubernetesObjectApi.makeApiClient(ns.kubeConfig).patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'calm-sink', namespace: ns.name, labels: { 'team.example/owner': 'ops' } },
      },
      undefined,
      undefined,
      'kubectl-label',
      undefined,
      PatchStrategy.MergePatch,
    );
    await waitFor(
      'the owner reconciled again',
      async () => (await requests(op)).reconciles > before.reconciles,
    );
    const after = await settled(op);
    expect(after.writes).toBe(before.writes);
    expect(after.pipelineGets).toBe(0);
  });

  it('a new leader goes through every pipeline without applying anything again', async () => {
    const first = inProcessOperator(ns, 'op-first');
    running.push(first);
    await first.start();
    const names = ['still-a', 'still-b', 'still-c'];
    for (const name of names) await readyPipeline(name);
    await settled(first);
    await first.stop();

    const second = inProcessOperator(ns, 'op-second');
    running.push(second);
    await second.start();
    // Every pipeline of the namespace once (those of the first test too).
    await waitFor(
      'the new leader reconciled them all',
      async () => (await requests(second)).reconciles >= names.length + 1,
    );
    const after = await settled(second);
    expect(after.writes).toBe(0);
    for (const name of names) {
      expect(conditionOf(await getPipeline(ns.kubeConfig, ns.name, name), 'Ready')?.status).toBe('True');
    }
  });
});
