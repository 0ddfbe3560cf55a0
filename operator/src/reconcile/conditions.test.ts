import { describe, expect, it } from 'vitest';
import type { Condition } from '../crd/iotpipeline.js';
import { mergeConditions, readyCondition, transitions, type ConditionState } from './conditions.js';
import type { ObservedChild } from './observed.js';
import { rolledOut, topicCondition, workloadCondition } from './reconciler.js';

const child = (
  kind: string,
  generation: number,
  spec: ObservedChild['spec'],
  status: ObservedChild['status'],
) => ({
  kind,
  name: kind === 'StatefulSet' ? 'p-adapter' : 'd',
  observed: { metadata: { name: 'x', namespace: 'ns', generation }, spec, status } satisfies ObservedChild,
});

const dep = (gen: number, observed: number, replicas: number, available: number) =>
  child(
    'Deployment',
    gen,
    { replicas },
    {
      observedGeneration: observed,
      updatedReplicas: available,
      availableReplicas: available,
      readyReplicas: available,
    },
  );

const ok: ConditionState = { status: 'True', reason: 'R', message: 'ok' };

describe('conditions', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-01T01:00:00Z');

  it('keep lastTransitionTime while the status stays, change it when the status changes', () => {
    const first = mergeConditions(
      undefined,
      { TopicReady: { status: 'False', reason: 'A', message: 'm' } },
      1,
      t0,
    );
    const same = mergeConditions(
      first,
      { TopicReady: { status: 'False', reason: 'B', message: 'n' } },
      2,
      t1,
    );
    expect(same[0]).toMatchObject({
      lastTransitionTime: '2026-01-01T00:00:00Z',
      reason: 'B',
      observedGeneration: 2,
    });
    const flipped = mergeConditions(
      same,
      { TopicReady: { status: 'True', reason: 'C', message: 'o' } },
      2,
      t1,
    );
    expect(flipped[0]!.lastTransitionTime).toBe('2026-01-01T01:00:00Z');
  });

  it('keeps each message short enough for kubectl describe', () => {
    const [c] = mergeConditions(
      undefined,
      { TopicReady: { status: 'False', reason: 'A', message: 'x'.repeat(5000) } },
      1,
      t0,
    );
    expect(c!.message.length).toBe(2048);
  });

  it('Ready is True only when dependencies, topics, schema and workloads are, else names the first False, else the first pending', () => {
    const all = { DependenciesReady: ok, TopicReady: ok, SchemaRegistered: ok, WorkloadsAvailable: ok };
    expect(readyCondition(all).status).toBe('True');
    expect(
      readyCondition({
        ...all,
        SchemaRegistered: { status: 'False', reason: 'SchemaIncompatible', message: 'no' },
      }),
    ).toMatchObject({ status: 'False', reason: 'SchemaIncompatible', message: 'SchemaRegistered: no' });
    // A missing Secret comes first: it is what the workloads need first.
    expect(
      readyCondition({
        ...all,
        DependenciesReady: { status: 'False', reason: 'SecretNotFound', message: 'Secret db' },
        WorkloadsAvailable: { status: 'False', reason: 'WorkloadsUnavailable', message: 'w' },
      }),
    ).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(
      readyCondition({ ...all, TopicReady: { status: 'Unknown', reason: 'TopicPending', message: 't' } }),
    ).toMatchObject({
      status: 'Unknown',
      reason: 'TopicPending',
    });
  });

  it('transitions: status or reason changes; a first report only when it is False', () => {
    const c = (type: string, status: Condition['status'], reason: string): Condition => ({
      type,
      status,
      reason,
      message: '',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
    expect(transitions(undefined, [c('TopicReady', 'Unknown', 'TopicPending')])).toEqual([]);
    expect(transitions(undefined, [c('SchemaRegistered', 'True', 'Registered')])).toEqual([]);
    expect(transitions(undefined, [c('WorkloadsAvailable', 'False', 'WorkloadsUnavailable')])).toEqual([]);
    expect(
      transitions(undefined, [c('DependenciesReady', 'False', 'SecretNotFound')]).map((t) => t.type),
    ).toEqual(['DependenciesReady']);
    const before = [c('Ready', 'Unknown', 'TopicPending'), c('TopicReady', 'Unknown', 'TopicPending')];
    expect(transitions(before, before)).toEqual([]);
    expect(
      transitions(before, [c('Ready', 'True', 'PipelineReady'), c('TopicReady', 'True', 'TopicsReady')]).map(
        (t) => t.type,
      ),
    ).toEqual(['Ready', 'TopicReady']);
    expect(
      transitions(before, [c('Ready', 'Unknown', 'WorkloadsUnavailable')]).map((t) => t.to.reason),
    ).toEqual(['WorkloadsUnavailable']);
  });

  it('TopicReady names every topic with its role, and needs Strimzi Ready for the current generation', () => {
    const topic = (generation: number, observed: number, status: string) => ({
      metadata: { name: 't', namespace: 'ns', generation },
      status: { observedGeneration: observed, conditions: [{ type: 'Ready', status }] },
    });
    const own = {
      role: 'topic' as const,
      topicName: 'readings',
      use: 'owned' as const,
      kafkaTopic: 'p-topic',
    };
    const dlq = {
      role: 'dlq' as const,
      topicName: 'readings-dlq',
      use: 'owned' as const,
      kafkaTopic: 'p-dlq',
    };
    const shared = {
      role: 'alerts' as const,
      topicName: 'iot-alerts',
      use: 'shared' as const,
      kafkaTopic: 'iot-alerts',
    };
    const both = topicCondition('ns', [
      { use: own, observed: topic(2, 2, 'True') },
      { use: dlq, observed: topic(1, 1, 'True') },
      { use: shared, observed: topic(1, 1, 'True') },
    ]);
    expect(both).toEqual({
      status: 'True',
      reason: 'TopicsReady',
      message:
        'KafkaTopic p-topic (topic readings) Ready; KafkaTopic p-dlq (dlq readings-dlq) Ready; shared KafkaTopic iot-alerts (alerts iot-alerts) Ready',
    });
    const pending = topicCondition('ns', [
      { use: own, observed: topic(3, 2, 'True') },
      { use: dlq, observed: undefined },
    ]);
    expect(pending).toMatchObject({ status: 'Unknown', reason: 'TopicPending' });
    // Both topics are named, not only the first that is not ready.
    expect(pending.message).toBe(
      'KafkaTopic p-topic (topic readings) not reported Ready by the topic operator yet; KafkaTopic p-dlq (dlq readings-dlq) not reported Ready by the topic operator yet',
    );
    expect(topicCondition('ns', [{ use: own, observed: topic(2, 2, 'False') }]).status).toBe('False');
    expect(
      topicCondition('ns', [{ use: { role: 'alerts', topicName: 'iot-alerts', use: 'missing' } }]),
    ).toMatchObject({
      status: 'False',
      message: expect.stringContaining('no KafkaTopic holds it in namespace ns'),
    });
  });

  it('WorkloadsAvailable needs every Deployment rolled out with all replicas available', () => {
    expect(workloadCondition([dep(1, 1, 2, 2), dep(1, 1, 1, 1)])).toMatchObject({
      condition: { status: 'True' },
      readyReplicas: 3,
    });
    expect(workloadCondition([dep(2, 1, 2, 2)]).condition.status).toBe('False');
    expect(workloadCondition([dep(1, 1, 2, 1)]).condition.message).toContain('1/2 available');
  });

  it('WorkloadsAvailable names the first pod problem: an image that cannot be pulled', () => {
    const c = workloadCondition(
      [dep(1, 1, 1, 0)],
      [
        {
          pod: 'p-sink-1',
          container: 'sink',
          reason: 'ImagePullBackOff',
          message: 'Back-off pulling image "nope:1"',
        },
      ],
    );
    expect(c.condition).toEqual({
      status: 'False',
      reason: 'ImagePullFailed',
      message:
        'pod p-sink-1 container sink: ImagePullBackOff: Back-off pulling image "nope:1"; Deployment d 0/1 available',
    });
  });

  it("WorkloadsAvailable counts the adapter StatefulSet's ready replicas and waits for its rolling update", () => {
    const sts = (
      ready: number,
      replicas = 2,
      revisions: { currentRevision?: string; updateRevision?: string } = {
        currentRevision: 'a-1',
        updateRevision: 'a-1',
      },
    ) =>
      child(
        'StatefulSet',
        1,
        { replicas },
        {
          observedGeneration: 1,
          replicas,
          updatedReplicas: ready,
          readyReplicas: ready,
          availableReplicas: ready,
          ...revisions,
        },
      );
    const sink = dep(1, 1, 1, 1);
    expect(workloadCondition([sts(2), sink])).toMatchObject({
      condition: { status: 'True', message: '1 Deployments and 1 StatefulSet available' },
      readyReplicas: 3,
    });
    expect(workloadCondition([sts(1), sink])).toMatchObject({
      condition: { status: 'False', message: 'StatefulSet p-adapter 1/2 available' },
      readyReplicas: 2,
    });
    // Not yet seen by the StatefulSet controller: no status at all.
    expect(
      workloadCondition([{ kind: 'StatefulSet', name: 'p-adapter', observed: undefined }, sink]),
    ).toMatchObject({
      condition: { status: 'False' },
      readyReplicas: 1,
    });
    // A rolling update in progress: all pods ready, but not all on the update revision.
    expect(
      workloadCondition([sts(2, 2, { currentRevision: 'a-1', updateRevision: 'a-2' })]).condition.status,
    ).toBe('False');
    expect(rolledOut('StatefulSet', sts(0, 0).observed)).toBe(true);
  });
});
