import { describe, expect, it } from 'vitest';
import { defaultedSpec, type IoTPipeline } from '../crd/iotpipeline.js';
import type { ObservedChild } from '../reconcile/observed.js';
import { kafkaTopicIndexKey, resolveTopics } from './topics.js';

function pipeline(name: string, spec: Record<string, unknown> = {}, uid = `uid-${name}`): IoTPipeline {
  return {
    apiVersion: 'iotpipe.io/v1alpha1',
    kind: 'IoTPipeline',
    metadata: { name, namespace: 'ns', uid },
    spec: defaultedSpec({
      kafka: { topic: 'readings' },
      sink: { databaseSecret: { name: 'db', key: 'uri' } },
      ...spec,
    }),
  };
}

function kafkaTopic(
  name: string,
  topicName: string,
  extra: { owner?: { name: string; uid: string }; retainedFrom?: string; created?: string } = {},
): ObservedChild {
  return {
    metadata: {
      name,
      namespace: 'ns',
      creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z',
      labels: { 'strimzi.io/cluster': 'iotpipe' },
      ...(extra.retainedFrom ? { annotations: { 'iotpipe.io/retained-from': extra.retainedFrom } } : {}),
      ...(extra.owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'iotpipe.io/v1alpha1',
                kind: 'IoTPipeline',
                name: extra.owner.name,
                uid: extra.owner.uid,
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: { topicName },
  };
}

function holders(topics: ObservedChild[]) {
  return (topicName: string) => topics.filter((t) => kafkaTopicIndexKey(t) === `ns/iotpipe/${topicName}`);
}

describe('resolveTopics', () => {
  it('owns its topic and DLQ, shares the alerts topic the platform made', () => {
    const uses = resolveTopics(pipeline('a'), holders([kafkaTopic('iot-alerts', 'iot-alerts')]));
    expect(uses).toEqual([
      { role: 'topic', topicName: 'readings', use: 'owned', kafkaTopic: 'a-topic' },
      { role: 'dlq', topicName: 'readings-dlq', use: 'owned', kafkaTopic: 'a-dlq' },
      { role: 'alerts', topicName: 'iot-alerts', use: 'shared', kafkaTopic: 'iot-alerts' },
    ]);
  });

  it('says when the shared alerts topic is missing, and has none with the processor disabled', () => {
    expect(resolveTopics(pipeline('a'), holders([]))[2]).toEqual({
      role: 'alerts',
      topicName: 'iot-alerts',
      use: 'missing',
    });
    expect(resolveTopics(pipeline('a', { processor: { enabled: false } }), holders([]))).toHaveLength(2);
  });

  it('a topic already held by another pipeline is a conflict, naming it', () => {
    const b = pipeline('b');
    const uses = resolveTopics(
      b,
      holders([kafkaTopic('a-topic', 'readings', { owner: { name: 'a', uid: 'uid-a' } })]),
    );
    expect(uses[0]).toEqual({
      role: 'topic',
      topicName: 'readings',
      use: 'conflict',
      holder: 'KafkaTopic a-topic of IoTPipeline ns/a',
    });
    expect(uses[1]?.use).toBe('owned');
  });

  it('a KafkaTopic made by hand, or kept from another deleted pipeline, is a conflict too', () => {
    expect(resolveTopics(pipeline('b'), holders([kafkaTopic('mine', 'readings')]))[0]).toMatchObject({
      use: 'conflict',
      holder: 'KafkaTopic mine, not made by an IoTPipeline',
    });
    expect(
      resolveTopics(pipeline('b'), holders([kafkaTopic('a-topic', 'readings', { retainedFrom: 'ns/a' })]))[0],
    ).toMatchObject({
      use: 'conflict',
      holder: 'KafkaTopic a-topic, kept from the deleted IoTPipeline ns/a',
    });
  });

  it('takes back its own KafkaTopic kept under deletionPolicy Retain (recreated with the same name)', () => {
    const uses = resolveTopics(
      pipeline('a', {}, 'uid-new'),
      holders([kafkaTopic('a-topic', 'readings', { retainedFrom: 'ns/a' })]),
    );
    expect(uses[0]).toMatchObject({ use: 'owned', kafkaTopic: 'a-topic' });
  });

  it('two KafkaTopics for one topic (made before this check): the older one keeps it', () => {
    const topics = [
      kafkaTopic('a-topic', 'readings', {
        owner: { name: 'a', uid: 'uid-a' },
        created: '2026-01-01T00:00:00Z',
      }),
      kafkaTopic('b-topic', 'readings', {
        owner: { name: 'b', uid: 'uid-b' },
        created: '2026-01-02T00:00:00Z',
      }),
    ];
    expect(resolveTopics(pipeline('a'), holders(topics))[0]?.use).toBe('owned');
    expect(resolveTopics(pipeline('b'), holders(topics))[0]?.use).toBe('conflict');
  });

  it('an alerts topic of its own: owned, unless a KafkaTopic of no pipeline holds it (shared) or another pipeline owns it', () => {
    const spec = { processor: { alertsTopic: 'plant-alerts' } };
    expect(resolveTopics(pipeline('a', spec), holders([]))[2]).toEqual({
      role: 'alerts',
      topicName: 'plant-alerts',
      use: 'owned',
      kafkaTopic: 'a-alerts',
    });
    expect(
      resolveTopics(pipeline('a', spec), holders([kafkaTopic('plant', 'plant-alerts')]))[2],
    ).toMatchObject({
      use: 'shared',
      kafkaTopic: 'plant',
    });
    expect(
      resolveTopics(
        pipeline('a', spec),
        holders([kafkaTopic('b-alerts', 'plant-alerts', { owner: { name: 'b', uid: 'uid-b' } })]),
      )[2],
    ).toMatchObject({ use: 'conflict' });
  });
});
