// What the operator refuses to do: a second KafkaTopic for a topic another pipeline (or anyone)
// already holds, two pipelines applied at the same moment included; and what it does with the
// alerts topic (shared by default, owned when named, released when no longer named).
// Against the local control plane and the local stack's registry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import type { TestNamespace } from '../../local/src/cluster/testing.js';
import { RETAINED_FROM_ANNOTATION } from '../../operator/src/children/names.js';
import type { Operator } from '../../operator/src/reconcile/operator.js';
import {
  applyAsUser,
  conditionOf,
  deletePipeline,
  eventsOf,
  getPipeline,
  inProcessOperator,
  operatorNamespace,
  pipelineManifest,
  readObject,
  uniqueTopic,
  waitFor,
} from './support.js';

type Topic = {
  metadata: { name: string; annotations?: Record<string, string>; ownerReferences?: Array<{ uid: string }> };
  spec: { topicName: string; partitions: number };
};

let ns: TestNamespace;
let operator: Operator;

beforeAll(async () => {
  ns = await operatorNamespace('operator-safety');
  operator = inProcessOperator(ns, 'op-safety');
  await operator.start();
});

afterAll(async () => {
  await operator?.stop();
  await ns?.delete();
});

const topicOf = (name: string) =>
  readObject<Topic>(ns.kubeConfig, 'kafka.strimzi.io/v1', 'KafkaTopic', ns.name, name);

/** The KafkaTopics that hold `topicName`. */
async function holdersOf(topicName: string): Promise<string[]> {
  const list = (await ns.kubeConfig.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: 'kafka.strimzi.io',
    version: 'v1',
    namespace: ns.name,
    plural: 'kafkatopics',
  })) as { items: Topic[] };
  return list.items.filter((t) => t.spec.topicName === topicName).map((t) => t.metadata.name);
}

async function blocked(name: string) {
  return waitFor(`${name} TopicInUse`, async () => {
    const p = await getPipeline(ns.kubeConfig, ns.name, name);
    return conditionOf(p, 'TopicReady')?.reason === 'TopicInUse' ? p : undefined;
  });
}

describe('one KafkaTopic per topic', () => {
  it('a second pipeline for a topic gets a condition, not a second KafkaTopic; it proceeds once the topic is free', async () => {
    const topic = uniqueTopic('op-twice');
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'first', topic }));
    await waitFor('first-topic', () => topicOf('first-topic'));
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'second', topic }));
    const p = await blocked('second');
    expect(conditionOf(p, 'TopicReady')).toMatchObject({
      status: 'False',
      message: `topic ${topic} (topic) is held by KafkaTopic first-topic of IoTPipeline ${ns.name}/first; topic ${topic}-dlq (dlq) is held by KafkaTopic first-dlq of IoTPipeline ${ns.name}/first: this pipeline applies no KafkaTopic and no workload until it is free`,
    });
    expect(conditionOf(p, 'Ready')).toMatchObject({ status: 'False', reason: 'TopicInUse' });
    expect(await holdersOf(topic)).toEqual(['first-topic']);
    // Nothing of the second pipeline's was applied: no KafkaTopic, no workload writing twice.
    expect(await topicOf('second-dlq')).toBeUndefined();
    expect(
      await readObject(ns.kubeConfig, 'apps/v1', 'StatefulSet', ns.name, 'second-adapter'),
    ).toBeUndefined();
    const warning = await waitFor('the TopicInUse event', async () =>
      (await eventsOf(ns.kubeConfig, ns.name, 'second')).find((e) => e.reason === 'TopicInUse'),
    );
    expect(warning.type).toBe('Warning');

    // The first pipeline goes (deletionPolicy Retain): its KafkaTopic stays, so does the conflict.
    await deletePipeline(ns.kubeConfig, ns.name, 'first');
    await waitFor(
      'first gone',
      async () => (await getPipeline(ns.kubeConfig, ns.name, 'first')) === undefined,
    );
    await waitFor('the message names the kept KafkaTopic', async () => {
      const got = await getPipeline(ns.kubeConfig, ns.name, 'second');
      return conditionOf(got, 'TopicReady')?.message.includes(
        `KafkaTopic first-topic, kept from the deleted IoTPipeline ${ns.name}/first`,
      );
    });
    // Someone deletes the kept KafkaTopics: the topics are free, the second pipeline takes them.
    for (const name of ['first-topic', 'first-dlq']) {
      await KubernetesObjectApi.makeApiClient(ns.kubeConfig).delete({
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'KafkaTopic',
        metadata: { name, namespace: ns.name },
      });
    }
    await waitFor('second-topic', () => topicOf('second-topic'));
    expect(await holdersOf(topic)).toEqual(['second-topic']);
  });

  it('two pipelines for one topic applied at the same moment: exactly one KafkaTopic', async () => {
    const topic = uniqueTopic('op-race');
    await Promise.all(
      ['race-a', 'race-b'].map((name) =>
        applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name, topic })),
      ),
    );
    const loser = await waitFor('one of them TopicInUse', async () => {
      for (const name of ['race-a', 'race-b']) {
        const p = await getPipeline(ns.kubeConfig, ns.name, name);
        if (conditionOf(p, 'TopicReady')?.reason === 'TopicInUse') return name;
      }
      return undefined;
    });
    const winner = loser === 'race-a' ? 'race-b' : 'race-a';
    await waitFor(`${winner}-topic`, () => topicOf(`${winner}-topic`));
    expect(await holdersOf(topic)).toEqual([`${winner}-topic`]);
    expect(await holdersOf(`${topic}-dlq`)).toEqual([`${winner}-dlq`]);
  });

  it('a topic held by a KafkaTopic made by hand is refused likewise', async () => {
    const topic = uniqueTopic('op-hand');
    await KubernetesObjectApi.makeApiClient(ns.kubeConfig).create({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: { name: 'by-hand', namespace: ns.name, labels: { 'strimzi.io/cluster': 'iotpipe' } },
      spec: { topicName: topic, partitions: 1, replicas: 3 },
    } as KubernetesObject);
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'hand', topic }));
    const p = await blocked('hand');
    expect(conditionOf(p, 'TopicReady')?.message).toContain('KafkaTopic by-hand, not made by an IoTPipeline');
  });

  it('a pipeline deleted with Retain and created again takes its KafkaTopics back', async () => {
    const topic = uniqueTopic('op-again');
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'again', topic }));
    const before = await waitFor('again-topic owned', async () => {
      const t = await topicOf('again-topic');
      return t?.metadata.ownerReferences?.length ? t : undefined;
    });
    await deletePipeline(ns.kubeConfig, ns.name, 'again');
    await waitFor('again-topic released', async () => {
      const t = await topicOf('again-topic');
      return (
        t?.metadata.annotations?.[RETAINED_FROM_ANNOTATION] === `${ns.name}/again` &&
        !t.metadata.ownerReferences?.length
      );
    });
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'again', topic }));
    const p = await waitFor('again reconciled', async () => {
      const got = await getPipeline(ns.kubeConfig, ns.name, 'again');
      return got?.status?.observedGeneration === 1 &&
        got.metadata.uid !== before.metadata.ownerReferences?.[0]?.uid
        ? got
        : undefined;
    });
    expect(conditionOf(p, 'TopicReady')?.reason).not.toBe('TopicInUse');
    const after = await waitFor('again-topic owned again', async () => {
      const t = await topicOf('again-topic');
      return t?.metadata.ownerReferences?.[0]?.uid === p.metadata.uid ? t : undefined;
    });
    expect(after.spec.topicName).toBe(topic);
  });
});

describe('the alerts topic', () => {
  it('unset: the shared iot-alerts KafkaTopic, in TopicReady; named: a KafkaTopic the pipeline owns; unset again: released, kept', async () => {
    const topic = uniqueTopic('op-alerts');
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'alerts', topic }));
    let p = await waitFor('status', async () => {
      const got = await getPipeline(ns.kubeConfig, ns.name, 'alerts');
      return got?.status?.observedGeneration === 1 ? got : undefined;
    });
    expect(p.status?.alertsTopic).toBe('iot-alerts');
    expect(conditionOf(p, 'TopicReady')?.message).toContain(
      'shared KafkaTopic iot-alerts (alerts iot-alerts) Ready',
    );
    expect(await topicOf('alerts-alerts')).toBeUndefined();

    const own = `${topic}-alerts`;
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({ name: 'alerts', topic, spec: { processor: { alertsTopic: own } } }),
    );
    const kafkaTopic = await waitFor('alerts-alerts', () => topicOf('alerts-alerts'));
    expect(kafkaTopic.spec.topicName).toBe(own);
    expect(kafkaTopic.metadata.ownerReferences?.[0]?.uid).toBe(p.metadata.uid);
    const processor = await waitFor('the processor writes there', async () => {
      const d = await readObject<{
        spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } };
      }>(ns.kubeConfig, 'apps/v1', 'Deployment', ns.name, 'alerts-processor');
      const env = d?.spec.template.spec.containers[0]?.env.find(
        (e) => e.name === 'KAFKA_ALERTS_TOPIC',
      )?.value;
      return env === own ? d : undefined;
    });
    expect(processor).toBeDefined();
    p = await waitFor('TopicReady names it', async () => {
      const got = await getPipeline(ns.kubeConfig, ns.name, 'alerts');
      return conditionOf(got, 'TopicReady')?.message.includes(`KafkaTopic alerts-alerts (alerts ${own})`)
        ? got
        : undefined;
    });

    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'alerts', topic }));
    const released = await waitFor('alerts-alerts released', async () => {
      const t = await topicOf('alerts-alerts');
      return t && !t.metadata.ownerReferences?.length ? t : undefined;
    });
    expect(released.metadata.annotations?.[RETAINED_FROM_ANNOTATION]).toBe(`${ns.name}/alerts`);
    const event = await waitFor('the Released event', async () =>
      (await eventsOf(ns.kubeConfig, ns.name, 'alerts')).find((e) => e.reason === 'Released'),
    );
    expect(event.note).toContain(`released KafkaTopic alerts-alerts (topic ${own})`);
  });

  it('a shared alerts topic with no KafkaTopic is named in TopicReady', async () => {
    const bare = await operatorNamespace('operator-noalerts', { alertsTopic: false });
    const op = inProcessOperator(bare, 'op-noalerts');
    try {
      await op.start();
      await applyAsUser(
        bare.kubeConfig,
        bare.name,
        pipelineManifest({ name: 'lonely', topic: uniqueTopic('op-lonely') }),
      );
      const p = await waitFor('TopicNotReady', async () => {
        const got = await getPipeline(bare.kubeConfig, bare.name, 'lonely');
        return conditionOf(got, 'TopicReady')?.reason === 'TopicNotReady' ? got : undefined;
      });
      expect(conditionOf(p, 'TopicReady')?.message).toContain(
        `shared alerts topic iot-alerts: no KafkaTopic holds it in namespace ${bare.name}`,
      );
    } finally {
      await op.stop();
      await bare.delete();
    }
  });
});
