// A pipeline that is not Ready is looked at again with a delay that doubles (not a fixed period
// for all: with hundreds of pipelines waiting, a fixed 30 s kept the queue full), and a spec
// change starts the delay over. Short settings here (0.25 s doubling to 4 s); the defaults are
// 5 s to 5 min. The pipeline waits for a Kafka cluster that never comes, so nothing but the timed
// requeue reconciles it. Against the local control plane and the local stack's registry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestNamespace } from '../../local/src/cluster/testing.js';
import type { Operator } from '../../operator/src/reconcile/operator.js';
import {
  applyAsUser,
  conditionOf,
  getPipeline,
  inProcessOperator,
  metricValue,
  operatorNamespace,
  pipelineManifest,
  uniqueTopic,
  waitFor,
} from './support.js';

let ns: TestNamespace;
let operator: Operator;

beforeAll(async () => {
  ns = await operatorNamespace('operator-requeue', { kafkaCluster: false });
  operator = inProcessOperator(ns, 'op-requeue', {
    OPERATOR_NOT_READY_REQUEUE_SECONDS: '0.25',
    OPERATOR_NOT_READY_REQUEUE_MAX_SECONDS: '4',
  });
  await operator.start();
});

afterAll(async () => {
  await operator?.stop();
  await ns?.delete();
});

const notReady = () => metricValue(operator, 'iotpipe_operator_reconcile_total', { result: 'not_ready' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('requeue of a pipeline that is not Ready', () => {
  it('comes back after 0.25 s, 0.5 s, 1 s ... up to the cap, and starts over when the spec changes', async () => {
    const topic = uniqueTopic('op-requeue');
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'waits', topic }));
    await waitFor('KafkaClusterNotFound', async () => {
      const p = await getPipeline(ns.kubeConfig, ns.name, 'waits');
      return conditionOf(p, 'DependenciesReady')?.reason === 'KafkaClusterNotFound';
    });
    // The first 8 s: a doubling delay gives 0.25 + 0.5 + 1 + 2 + 4 = 7.75 s for five requeues
    // (and a few reconciles of the children's own echoes at the start); a fixed 0.25 s, 32.
    const start = await notReady();
    await sleep(8_000);
    const first = (await notReady()) - start;
    expect(first).toBeGreaterThanOrEqual(3);
    expect(first).toBeLessThanOrEqual(9);
    // At the cap (4 s) now: in the next 2 s at most one.
    const capped = await notReady();
    await sleep(2_000);
    expect((await notReady()) - capped).toBeLessThanOrEqual(1);
    // A spec change: reconciled at once, then again after 0.25 s, 0.5 s, 1 s.
    const before = await notReady();
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({ name: 'waits', topic, spec: { kafka: { retentionMs: 3_600_000 } } }),
    );
    await sleep(2_500);
    expect((await notReady()) - before).toBeGreaterThanOrEqual(3);
  });
});
