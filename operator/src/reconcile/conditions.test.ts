import { describe, expect, it } from 'vitest';
import { mergeConditions, readyCondition } from './conditions.js';
import { rolledOut, topicCondition, workloadCondition } from './reconciler.js';

const dep = (gen: number, observed: number, replicas: number, available: number) => ({
  kind: 'Deployment',
  name: 'd',
  observed: {
    metadata: { generation: gen },
    spec: { replicas },
    status: {
      observedGeneration: observed,
      updatedReplicas: available,
      availableReplicas: available,
      readyReplicas: available,
    },
  },
});

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

  it('Ready is True only when topic, schema and workloads are, else names the first that is not', () => {
    const ok = { status: 'True' as const, reason: 'R', message: 'ok' };
    expect(readyCondition({ TopicReady: ok, SchemaRegistered: ok, WorkloadsAvailable: ok }).status).toBe(
      'True',
    );
    const notYet = readyCondition({
      TopicReady: ok,
      SchemaRegistered: { status: 'False', reason: 'SchemaIncompatible', message: 'no' },
      WorkloadsAvailable: ok,
    });
    expect(notYet).toMatchObject({ status: 'False', reason: 'SchemaIncompatible' });
  });

  it('TopicReady needs Strimzi Ready for the current generation', () => {
    const topic = (generation: number, observed: number, status: string) => ({
      name: 't',
      observed: {
        metadata: { generation },
        status: { observedGeneration: observed, conditions: [{ type: 'Ready', status }] },
      },
    });
    expect(topicCondition([topic(2, 2, 'True')]).status).toBe('True');
    expect(topicCondition([topic(3, 2, 'True')]).status).toBe('Unknown');
    expect(topicCondition([topic(2, 2, 'False')]).status).toBe('False');
    expect(topicCondition([{ name: 't', observed: {} }]).reason).toBe('TopicPending');
  });

  it('WorkloadsAvailable needs every Deployment rolled out with all replicas available', () => {
    expect(workloadCondition([dep(1, 1, 2, 2), dep(1, 1, 1, 1)])).toMatchObject({
      condition: { status: 'True' },
      readyReplicas: 3,
    });
    expect(workloadCondition([dep(2, 1, 2, 2)]).condition.status).toBe('False');
    expect(workloadCondition([dep(1, 1, 2, 1)]).condition.message).toContain('1/2 available');
  });

  it("WorkloadsAvailable counts the adapter StatefulSet's ready replicas and waits for its rolling update", () => {
    const sts = (
      ready: number,
      replicas = 2,
      revisions: { currentRevision?: string; updateRevision?: string } = {
        currentRevision: 'a-1',
        updateRevision: 'a-1',
      },
    ) => ({
      kind: 'StatefulSet',
      name: 'p-adapter',
      observed: {
        metadata: { generation: 1 },
        spec: { replicas },
        status: {
          observedGeneration: 1,
          replicas,
          currentReplicas: ready,
          updatedReplicas: ready,
          readyReplicas: ready,
          availableReplicas: ready,
          ...revisions,
        },
      },
    });
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
    expect(workloadCondition([{ kind: 'StatefulSet', name: 'p-adapter', observed: {} }, sink])).toMatchObject(
      {
        condition: { status: 'False' },
        readyReplicas: 1,
      },
    );
    // A rolling update in progress: all pods ready, but not all on the update revision.
    expect(
      workloadCondition([sts(2, 2, { currentRevision: 'a-1', updateRevision: 'a-2' })]).condition.status,
    ).toBe('False');
    expect(rolledOut('StatefulSet', sts(0, 0).observed)).toBe(true);
  });
});
