import { describe, expect, it } from 'vitest';
import { observeChild, observeMountFailure, observePipeline, observePod } from './observed.js';

describe('what the caches keep of an object', () => {
  it('a Deployment: metadata without managedFields, replicas and rollout status, no pod template', () => {
    const raw = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'p-sink',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '7',
        generation: 3,
        labels: { 'iotpipe.io/pipeline': 'p' },
        annotations: { 'iotpipe.io/applied-hash': 'h', 'deployment.kubernetes.io/revision': '3' },
        ownerReferences: [
          {
            apiVersion: 'iotpipe.io/v1alpha1',
            kind: 'IoTPipeline',
            name: 'p',
            uid: 'pu',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
        managedFields: [{ manager: 'x', fieldsV1: { 'f:spec': {} } }],
      },
      spec: {
        replicas: 2,
        template: {
          spec: {
            containers: [{ name: 'sink', env: new Array(40).fill({ name: 'A', value: 'x'.repeat(100) }) }],
          },
        },
      },
      status: {
        observedGeneration: 3,
        replicas: 2,
        updatedReplicas: 2,
        availableReplicas: 1,
        readyReplicas: 1,
      },
    };
    const kept = observeChild(raw);
    expect(kept).toEqual({
      metadata: {
        name: 'p-sink',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '7',
        generation: 3,
        labels: { 'iotpipe.io/pipeline': 'p' },
        annotations: { 'iotpipe.io/applied-hash': 'h' },
        ownerReferences: [
          { apiVersion: 'iotpipe.io/v1alpha1', kind: 'IoTPipeline', name: 'p', uid: 'pu', controller: true },
        ],
      },
      spec: { replicas: 2 },
      status: {
        observedGeneration: 3,
        replicas: 2,
        updatedReplicas: 2,
        availableReplicas: 1,
        readyReplicas: 1,
      },
    });
    // Bounded: a small fraction of the object.
    expect(JSON.stringify(kept).length * 5).toBeLessThan(JSON.stringify(raw).length);
  });

  it('a KafkaTopic: its topic name and Strimzi conditions', () => {
    const kept = observeChild({
      metadata: { name: 't', namespace: 'ns', generation: 1, labels: { 'strimzi.io/cluster': 'c' } },
      spec: { topicName: 'readings', partitions: 6, config: { 'retention.ms': 1 } },
      status: {
        observedGeneration: 1,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 'x' }],
      },
    });
    expect(kept.spec).toEqual({ topicName: 'readings' });
    expect(kept.status?.conditions).toEqual([{ type: 'Ready', status: 'True' }]);
  });

  it('a pod: only the waiting reasons that are not a normal start', () => {
    const kept = observePod({
      metadata: { name: 'p-sink-1', namespace: 'ns', labels: { 'iotpipe.io/pipeline': 'p' } },
      spec: { containers: [{ name: 'sink', image: 'x' }] },
      status: {
        containerStatuses: [
          { name: 'sink', state: { waiting: { reason: 'ErrImagePull', message: 'pull access denied' } } },
          { name: 'side', state: { waiting: { reason: 'ContainerCreating' } } },
          { name: 'ok', state: { running: {} } },
        ],
      },
    });
    expect(kept.problems).toEqual([
      { container: 'sink', reason: 'ErrImagePull', message: 'pull access denied' },
    ]);
    // A container was created: a FailedMount Event about this pod is history.
    expect(kept.creating).toBe(false);
  });

  it('a pod still being created, and the Secrets of its projected volume', () => {
    const kept = observePod({
      metadata: { name: 'p-adapter-0', namespace: 'ns', uid: 'u1' },
      spec: {
        containers: [{ name: 'adapter', image: 'x' }],
        volumes: [
          { name: 'tmp', emptyDir: {} },
          {
            name: 'secrets',
            projected: {
              sources: [
                { secret: { name: 'p-kafka', items: [{ key: 'password', path: 'kafka/password' }] } },
                {
                  secret: { name: 'db', items: [{ key: 'ca.crt', path: 'database/ca.crt' }], optional: true },
                },
                { configMap: { name: 'c' } },
              ],
            },
          },
        ],
      },
      status: {
        phase: 'Pending',
        containerStatuses: [{ name: 'adapter', state: { waiting: { reason: 'ContainerCreating' } } }],
      },
    });
    expect(kept).toMatchObject({ creating: true, problems: [] });
    expect(kept.secrets).toEqual([
      { name: 'p-kafka', keys: ['password'], optional: false },
      { name: 'db', keys: ['ca.crt'], optional: true },
    ]);
    expect(
      observePod({ metadata: { name: 'x', namespace: 'ns' }, status: { phase: 'Running' } }).creating,
    ).toBe(false);
  });

  it("the kubelet's FailedMount Event: the pod, its message and when last seen", () => {
    expect(
      observeMountFailure({
        metadata: { name: 'p-adapter-0.1', namespace: 'ns', managedFields: [{}] },
        involvedObject: { kind: 'Pod', name: 'p-adapter-0', uid: 'u1' },
        reason: 'FailedMount',
        message: 'MountVolume.SetUp failed for volume "secrets" : secret "mqtt" not found',
        firstTimestamp: '2026-12-06T10:00:00Z',
        lastTimestamp: '2026-12-06T10:02:00Z',
        count: 3,
      }),
    ).toEqual({
      metadata: { name: 'p-adapter-0.1', namespace: 'ns' },
      pod: { name: 'p-adapter-0', uid: 'u1' },
      message: 'MountVolume.SetUp failed for volume "secrets" : secret "mqtt" not found',
      lastSeen: '2026-12-06T10:02:00Z',
    });
  });

  it('a pipeline: all but managedFields', () => {
    const p = observePipeline({
      metadata: { name: 'p', namespace: 'ns', managedFields: [{}] },
      spec: { a: 1 },
    });
    expect(p.metadata).toEqual({ name: 'p', namespace: 'ns' });
    expect(p.spec).toEqual({ a: 1 });
  });
});
