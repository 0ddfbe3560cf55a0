import type { ChildProcess } from 'node:child_process';
import { AppsV1Api, CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadControlPlaneConfig } from '../../local/src/cluster/config.js';
import { ControlPlane } from '../../local/src/cluster/controlplane.js';
import type { TestNamespace } from '../../local/src/cluster/testing.js';
import { SHARED_ALERTS_TOPIC, type IoTPipeline } from '../../operator/src/crd/iotpipeline.js';
import {
  applyAsUser,
  childOperator,
  killChild,
  logSink,
  operatorNamespace,
  pipelineManifest,
  uniqueTopic,
  waitFor,
} from '../operator/support.js';
import { sleep } from './faults.js';
import { writeRow } from './report.js';

/**
 * Scenario 9: on the local control plane, kube-apiserver killed -9 while the operator (its own
 * process) reconciles 20 IoTPipelines, down for 5 s, started again. The operator must converge:
 * every pipeline reconciled, each with exactly its children (2 Deployments and the adapter's
 * StatefulSet, 2 KafkaTopics), none twice and none orphaned (every child owned by a live
 * IoTPipeline). In the table, "sent" is the children expected, "stored" those found,
 * "duplicates" extra ones, "lost" missing ones.
 */
const COUNT = 20;
const plane = new ControlPlane(loadControlPlaneConfig(process.env), () => {});
let ns: TestNamespace;
let operator: ChildProcess | undefined;

interface Owned extends KubernetesObject {
  metadata?: KubernetesObject['metadata'];
}

describe('chaos 9: API server restarted while the operator reconciles', () => {
  beforeAll(async () => {
    ns = await operatorNamespace('chaos-apiserver');
  });
  afterAll(async () => {
    if (operator) await killChild(operator);
    if (!(await plane.status()).ready) await plane.start();
    await ns?.delete();
  });

  it('the operator converges with exactly the children: none twice, none orphaned', async () => {
    const names = Array.from({ length: COUNT }, (_, i) => `chaos-${i}`);
    const prefix = uniqueTopic('chaos-api');
    await Promise.all(
      names.map((name) =>
        applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name, topic: `${prefix}-${name}` })),
      ),
    );
    const apps = ns.kubeConfig.makeApiClient(AppsV1Api);
    const custom = ns.kubeConfig.makeApiClient(CustomObjectsApi);
    const sink = logSink('chaos-operator');
    operator = childOperator(ns, 'chaos-operator', sink);
    await waitFor(
      'first Deployments (mid-reconcile)',
      async () => (await apps.listNamespacedDeployment({ namespace: ns.name })).items.length > 0,
      60_000,
      20,
    );

    const before = await plane.status();
    const apiserver = before.components.find((c) => c.name === 'kube-apiserver');
    if (apiserver?.pid === undefined)
      throw new Error('kube-apiserver pid unknown: was it started by `make cluster-up`?');
    process.kill(apiserver.pid, 'SIGKILL');
    await sleep(5000);
    await plane.start();
    expect((await plane.status()).ready, 'control plane ready again').toBe(true);
    const healedAt = Date.now();

    const pipelines = async () =>
      (
        (await custom.listNamespacedCustomObject({
          group: 'iotpipe.io',
          version: 'v1alpha1',
          namespace: ns.name,
          plural: 'iotpipelines',
        })) as { items: IoTPipeline[] }
      ).items;
    await waitFor(
      'every pipeline reconciled after the API server came back',
      async () => {
        const all = await pipelines();
        return (
          all.length === COUNT &&
          all.every((p) => p.status?.observedGeneration === 1 && p.status.schemaId !== undefined)
        );
      },
      180_000,
      250,
    );
    const recoverySeconds = (Date.now() - healedAt) / 1000;
    // A little longer: a duplicate created late by a stale retry would show up now.
    await sleep(3000);

    const uids = new Set((await pipelines()).map((p) => p.metadata?.uid));
    // The workloads: Deployments of the sink and processor, the adapter's StatefulSet.
    const deployments = [
      ...(await apps.listNamespacedDeployment({ namespace: ns.name })).items,
      ...(await apps.listNamespacedStatefulSet({ namespace: ns.name })).items,
    ] as Owned[];
    // The pipelines' KafkaTopics: the namespace also holds the platform's shared alerts
    // KafkaTopic (operatorNamespace makes it, as the cdk8s charts do), which no pipeline owns.
    const topics = (
      (await custom.listNamespacedCustomObject({
        group: 'kafka.strimzi.io',
        version: 'v1',
        namespace: ns.name,
        plural: 'kafkatopics',
      })) as { items: Owned[] }
    ).items.filter((t) => t.metadata?.name !== SHARED_ALERTS_TOPIC);
    const children = [...deployments, ...topics];
    const orphans = children.filter(
      (c) => !(c.metadata?.ownerReferences ?? []).some((o) => o.kind === 'IoTPipeline' && uids.has(o.uid)),
    );
    let missing = 0;
    let extra = 0;
    for (const name of names) {
      const own = deployments.filter((d) => d.metadata?.labels?.['iotpipe.io/pipeline'] === name).length;
      missing += Math.max(0, 3 - own);
      extra += Math.max(0, own - 3);
    }
    missing += Math.max(0, COUNT * 2 - topics.length);
    extra += Math.max(0, topics.length - COUNT * 2);
    await writeRow({
      scenario: '9-apiserver',
      title: `kube-apiserver kill -9, 5 s down, while the operator reconciles ${COUNT} IoTPipelines (counts are child objects)`,
      sent: COUNT * 5,
      stored: children.length,
      duplicates: extra,
      lost: missing,
      recoverySeconds,
      at: new Date().toISOString(),
      notes: [`${orphans.length} orphaned children`, `operator alive: ${operator.exitCode === null}`],
    });

    expect(operator.exitCode, 'the operator process rode out the API server restart').toBe(null);
    expect(missing, 'missing children').toBe(0);
    expect(extra, 'duplicate children').toBe(0);
    expect(
      orphans.map((o) => o.metadata?.name),
      'orphaned children',
    ).toEqual([]);
    expect(children).toHaveLength(COUNT * 5);
  });
});
