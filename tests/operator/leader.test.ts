// Two operator replicas share one coordination.k8s.io Lease: only the leader acts, and when it
// goes (stops, or dies without releasing the lease) the other takes over.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CoordinationV1Api } from '@kubernetes/client-node';
import type { ChildProcess } from 'node:child_process';
import type { TestNamespace } from '../../local/src/cluster/testing.js';
import type { Operator } from '../../operator/src/reconcile/operator.js';
import {
  applyAsUser,
  childOperator,
  getPipeline,
  inProcessOperator,
  killChild,
  metricValue,
  operatorNamespace,
  pipelineManifest,
  readObject,
  uniqueTopic,
  waitFor,
} from './support.js';

let ns: TestNamespace;
const running: Operator[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  ns = await operatorNamespace('operator-leader');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((o) => o.stop()));
  await Promise.all(children.splice(0).map((c) => killChild(c)));
});
afterAll(async () => {
  await ns?.delete();
});

async function leaseHolder(): Promise<string | undefined> {
  const lease = await ns.kubeConfig
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: 'iotpipe-operator', namespace: ns.name })
    .catch(() => undefined);
  return lease?.spec?.holderIdentity || undefined;
}

type Deployment = { spec: { replicas: number } };
const sinkReplicas = async (name: string) =>
  (await readObject<Deployment>(ns.kubeConfig, 'apps/v1', 'Deployment', ns.name, `${name}-sink`))?.spec
    .replicas;

describe('two operator replicas', () => {
  it('only the leader acts; when the leader stops, the other takes over and acts', async () => {
    const a = inProcessOperator(ns, 'replica-a');
    const b = inProcessOperator(ns, 'replica-b');
    running.push(a, b);
    await Promise.all([a.start(), b.start()]);
    const leader = await waitFor('one leader', async () => {
      const leaders = [a, b].filter((o) => o.isLeader);
      return leaders.length === 1 ? leaders[0] : undefined;
    });
    const follower = leader === a ? b : a;
    expect(await leaseHolder()).toBe(leader.config.leaderElection.identity);
    // Probes: both replicas are live and ready (the follower as a standby); metrics are served.
    const probe = async (op: Operator, path: string) => {
      const res = await fetch(`http://127.0.0.1:${op.metricsPort}${path}`);
      return { status: res.status, body: await res.text() };
    };
    expect(await probe(follower, '/healthz')).toMatchObject({ status: 200 });
    expect(await probe(follower, '/readyz')).toMatchObject({
      status: 200,
      body: expect.stringContaining('standby'),
    });
    await waitFor('leader ready', async () => (await probe(leader, '/readyz')).status === 200);
    expect((await probe(leader, '/readyz')).body).toContain('caches synced');

    const topic = uniqueTopic('op-leader');
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'lead', topic }));
    await waitFor(
      'status written',
      async () => (await getPipeline(ns.kubeConfig, ns.name, 'lead'))?.status?.observedGeneration === 1,
    );
    expect(await metricValue(leader, 'iotpipe_operator_reconcile_total')).toBeGreaterThan(0);
    const metrics = (await probe(leader, '/metrics')).body;
    expect(metrics).toMatch(/iotpipe_operator_reconcile_total\{result="[a-z_]+"\} [1-9]/);
    expect(metrics).toContain('iotpipe_operator_reconcile_duration_seconds_bucket');
    expect(metrics).toMatch(/iotpipe_operator_leader 1/);
    expect((await probe(follower, '/metrics')).body).toMatch(/iotpipe_operator_leader 0/);
    // The follower has no informers, queue or workers: it reconciled nothing.
    expect(await metricValue(follower, 'iotpipe_operator_reconcile_total')).toBe(0);
    expect(follower.isLeader).toBe(false);

    await leader.stop(); // releases the lease
    await waitFor('the follower leads', async () => follower.isLeader);
    expect(await leaseHolder()).toBe(follower.config.leaderElection.identity);
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({ name: 'lead', topic, spec: { sink: { replicas: 2 } } }),
    );
    await waitFor('the new leader applied the change', async () => (await sinkReplicas('lead')) === 2);
    await waitFor(
      'the new leader counted its reconciles',
      async () => (await metricValue(follower, 'iotpipe_operator_reconcile_total')) > 0,
    );
  });

  it('a leader killed without releasing the lease (SIGKILL) is replaced once the lease expires', async () => {
    const child = childOperator(ns, 'replica-process');
    children.push(child);
    await waitFor('the process leads', async () => (await leaseHolder()) === 'replica-process');
    const standby = inProcessOperator(ns, 'replica-standby');
    running.push(standby);
    await standby.start();

    const topic = uniqueTopic('op-takeover');
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'takeover', topic }));
    await waitFor('the process reconciled', async () => (await sinkReplicas('takeover')) === 1);
    expect(await metricValue(standby, 'iotpipe_operator_reconcile_total')).toBe(0);
    expect(standby.isLeader).toBe(false);

    await killChild(child, 'SIGKILL');
    await waitFor('the standby leads', async () => standby.isLeader, 30_000);
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({ name: 'takeover', topic, spec: { sink: { replicas: 3 } } }),
    );
    await waitFor('the standby applied the change', async () => (await sinkReplicas('takeover')) === 3);
  });
});
