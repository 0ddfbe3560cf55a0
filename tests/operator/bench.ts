// Reconcile figures (a script, not a test): `npx tsx tests/operator/bench.ts [count] [workers]`.
// Against the local control plane and the local stack's registry, in-process operator:
// 1. apply -> all children created for one pipeline, 10 times one after another;
// 2. `count` (default 100) IoTPipelines applied at once -> all children created, and -> every
//    status written (observedGeneration 1, schema registered).
import { AppsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { IoTPipeline } from '../../operator/src/crd/iotpipeline.js';
import {
  applyAsUser,
  inProcessOperator,
  operatorNamespace,
  pipelineManifest,
  uniqueTopic,
  waitFor,
} from './support.js';

const count = Number(process.argv[2] ?? 100);
const workers = process.argv[3] ?? '4';

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const ns = await operatorNamespace('operator-bench');
const operator = inProcessOperator(ns, 'op-bench', { OPERATOR_WORKERS: workers });
try {
  await operator.start();
  await waitFor('leader', async () => operator.isLeader);
  const apps = ns.kubeConfig.makeApiClient(AppsV1Api);
  const custom = ns.kubeConfig.makeApiClient(CustomObjectsApi);
  const prefix = uniqueTopic('op-bench');
  /** The workloads (sink and processor Deployments, the adapter's StatefulSet) matching a selector. */
  const workloadNames = async (labelSelector: string): Promise<string[]> => {
    const [deployments, statefulSets] = await Promise.all([
      apps.listNamespacedDeployment({ namespace: ns.name, labelSelector }),
      apps.listNamespacedStatefulSet({ namespace: ns.name, labelSelector }),
    ]);
    return [...deployments.items, ...statefulSets.items].map((w) => w.metadata?.name ?? '');
  };

  const single: number[] = [];
  for (let i = 0; i < 10; i++) {
    const name = `single-${i}`;
    const t0 = performance.now();
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name, topic: `${prefix}-${name}` }));
    await waitFor(
      'children',
      async () => (await workloadNames(`iotpipe.io/pipeline=${name}`)).length === 3,
      60_000,
      5,
    );
    single.push(performance.now() - t0);
  }
  single.sort((a, b) => a - b);
  console.log(
    `one pipeline, apply -> 3 workloads (2 Deployments, 1 StatefulSet; + topics, Service, ServiceMonitor, PrometheusRule before them): median ${quantile(single, 0.5).toFixed(0)} ms, max ${single.at(-1)!.toFixed(0)} ms (n=10)`,
  );

  const names = Array.from({ length: count }, (_, i) => `many-${i}`);
  const t0 = performance.now();
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(
      names
        .slice(i, i + 20)
        .map((name) =>
          applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name, topic: `${prefix}-${name}` })),
        ),
    );
  }
  const applied = performance.now() - t0;
  await waitFor(
    'all children',
    async () =>
      (await workloadNames('iotpipe.io/pipeline')).filter((n) => n.startsWith('many-')).length === count * 3,
    600_000,
    100,
  );
  const childrenAt = performance.now() - t0;
  await waitFor(
    'all statuses',
    async () => {
      const list = (await custom.listNamespacedCustomObject({
        group: 'iotpipe.io',
        version: 'v1alpha1',
        namespace: ns.name,
        plural: 'iotpipelines',
      })) as { items: IoTPipeline[] };
      return (
        list.items.filter(
          (p) =>
            p.metadata.name.startsWith('many-') &&
            p.status?.observedGeneration === 1 &&
            p.status.schemaId !== undefined,
        ).length === count
      );
    },
    600_000,
    100,
  );
  const statusAt = performance.now() - t0;
  const histogram = await operator.metrics.reconcileDuration.get();
  const sum = histogram.values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const n = histogram.values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  console.log(
    `${count} pipelines at once (${workers} workers): applied in ${applied.toFixed(0)} ms; all ${count * 3} workloads after ${childrenAt.toFixed(0)} ms; all statuses after ${statusAt.toFixed(0)} ms; ${n} reconciles, mean ${((sum / n) * 1000).toFixed(0)} ms`,
  );
} finally {
  await operator.stop();
  await ns.delete();
}
