// What the operator tells a user about a pipeline that does not run: the first missing
// dependency (a Secret, a key in it, the Strimzi Kafka cluster), an image the kubelet cannot
// pull, Events for each, and `kubectl get` columns that show Ready and why. Against the local
// control plane (no kubelet, no Strimzi: where a test needs what they would report, it writes
// that status itself and says so) and the local stack's registry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { TestNamespace } from '../../local/src/cluster/testing.js';
import { KubeClient } from '../../operator/src/kube/client.js';
import { connectionFromKubeConfig } from '../../operator/src/kube/connection.js';
import type { Operator } from '../../operator/src/reconcile/operator.js';
import {
  applyAsUser,
  conditionOf,
  createKafkaCluster,
  eventsOf,
  getPipeline,
  inProcessOperator,
  operatorNamespace,
  pipelineManifest,
  setKafkaClusterReady,
  uniqueTopic,
  waitFor,
} from './support.js';

let ns: TestNamespace;
let operator: Operator;

beforeAll(async () => {
  // No database Secret and no Kafka cluster: the pipeline's dependencies come one by one.
  ns = await operatorNamespace('operator-diagnosis', { databaseSecret: false, kafkaCluster: false });
  operator = inProcessOperator(ns, 'op-diagnosis');
  await operator.start();
});

afterAll(async () => {
  await operator?.stop();
  await ns?.delete();
});

/** Waits until the pipeline's `type` condition has `reason`; returns the pipeline. */
async function until(name: string, type: Parameters<typeof conditionOf>[1], reason: string) {
  return waitFor(`${type} ${reason}`, async () => {
    const p = await getPipeline(ns.kubeConfig, ns.name, name);
    return conditionOf(p, type)?.reason === reason ? p : undefined;
  });
}

async function secret(name: string, data: Record<string, string>): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(ns.kubeConfig);
  await objects.patch(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ns.name },
      stringData: data,
    } as KubernetesObject,
    undefined,
    undefined,
    'test',
    true,
    PatchStrategy.ServerSideApply,
  );
}

// The tests share the namespace: the second and third use what the first made (the Secrets,
// the Kafka cluster).
describe('diagnosis', () => {
  it('DependenciesReady and Ready name the first missing dependency, one after the other, each with an Event', async () => {
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({
        name: 'deps',
        topic: uniqueTopic('op-deps'),
        spec: { mqtt: { credentialsSecret: { name: 'mqtt' } } },
      }),
    );
    let p = await until('deps', 'DependenciesReady', 'SecretNotFound');
    expect(conditionOf(p, 'DependenciesReady')).toMatchObject({
      status: 'False',
      message: `Secret mqtt (spec.mqtt.credentialsSecret) not found in namespace ${ns.name}`,
    });
    expect(conditionOf(p, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'SecretNotFound',
      message: `DependenciesReady: Secret mqtt (spec.mqtt.credentialsSecret) not found in namespace ${ns.name}`,
    });
    // Each fix is seen through the watches: no waiting for a periodic requeue.
    await secret('mqtt', { username: 'iotpipe' });
    p = await until('deps', 'DependenciesReady', 'SecretKeyNotFound');
    expect(conditionOf(p, 'DependenciesReady')?.message).toBe(
      'Secret mqtt has no key password (spec.mqtt.credentialsSecret.passwordKey); its keys: username',
    );
    await secret('mqtt', { username: 'iotpipe', password: 'iotpipe' });
    p = await waitFor('the database Secret named', async () => {
      const got = await getPipeline(ns.kubeConfig, ns.name, 'deps');
      return conditionOf(got, 'DependenciesReady')?.message.startsWith('Secret db (') ? got : undefined;
    });
    expect(conditionOf(p, 'DependenciesReady')?.reason).toBe('SecretNotFound');
    await secret('db', { url: 'postgres://x' });
    p = await until('deps', 'DependenciesReady', 'SecretKeyNotFound');
    expect(conditionOf(p, 'DependenciesReady')?.message).toBe(
      'Secret db has no key uri (spec.sink.databaseSecret.key); its keys: url',
    );
    await secret('db', { url: 'postgres://x', uri: 'postgres://x' });
    p = await until('deps', 'DependenciesReady', 'KafkaClusterNotFound');
    expect(conditionOf(p, 'DependenciesReady')?.message).toContain(
      `Strimzi Kafka cluster iotpipe (spec.kafka.cluster) not found in namespace ${ns.name}`,
    );
    // Playing Strimzi's cluster operator: the cluster exists, not Ready yet, then Ready.
    await createKafkaCluster(ns.kubeConfig, ns.name, 'iotpipe', false);
    p = await until('deps', 'DependenciesReady', 'KafkaClusterNotReady');
    expect(conditionOf(p, 'DependenciesReady')?.message).toBe(
      'Kafka cluster iotpipe is not Ready (Strimzi has not reported it Ready)',
    );
    await setKafkaClusterReady(
      ns.kubeConfig,
      ns.name,
      'iotpipe',
      'False',
      'Creating',
      'waiting for 3 brokers',
    );
    await waitFor('the reason Strimzi gives', async () => {
      const got = await getPipeline(ns.kubeConfig, ns.name, 'deps');
      return (
        conditionOf(got, 'DependenciesReady')?.message ===
        'Kafka cluster iotpipe is not Ready (Creating: waiting for 3 brokers)'
      );
    });
    await setKafkaClusterReady(ns.kubeConfig, ns.name, 'iotpipe', 'True');
    p = await until('deps', 'DependenciesReady', 'DependenciesFound');
    expect(conditionOf(p, 'DependenciesReady')).toMatchObject({
      status: 'True',
      message: 'Secrets mqtt, db with the keys used; Kafka cluster iotpipe Ready',
    });

    // One Warning per failure, then a Normal event when the dependencies are all there.
    const events = await waitFor('the DependenciesFound event', async () => {
      const got = await eventsOf(ns.kubeConfig, ns.name, 'deps');
      return got.some((e) => e.reason === 'DependenciesFound') ? got : undefined;
    });
    const warnings = events.filter((e) => e.type === 'Warning').map((e) => [e.reason, e.note]);
    expect(warnings).toEqual(
      expect.arrayContaining([
        [
          'SecretNotFound',
          `DependenciesReady: Secret mqtt (spec.mqtt.credentialsSecret) not found in namespace ${ns.name}`,
        ],
        ['SecretKeyNotFound', expect.stringContaining('Secret mqtt has no key password')],
        ['SecretKeyNotFound', expect.stringContaining('Secret db has no key uri')],
        ['KafkaClusterNotFound', expect.stringContaining('Strimzi Kafka cluster iotpipe')],
        ['KafkaClusterNotReady', expect.stringContaining('waiting for 3 brokers')],
      ]),
    );
    expect(events.find((e) => e.reason === 'DependenciesFound')?.type).toBe('Normal');
  });

  it('an image the kubelet cannot pull is named in WorkloadsAvailable and Ready, with an Event', async () => {
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({
        name: 'image',
        topic: uniqueTopic('op-image'),
        spec: { image: 'ghcr.io/iotpipe/workloads:nope' },
      }),
    );
    await waitFor(
      'the sink Deployment',
      async () =>
        await KubernetesObjectApi.makeApiClient(ns.kubeConfig)
          .read({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'image-sink', namespace: ns.name },
          })
          .then(Boolean, () => false),
    );
    // Playing the ReplicaSet controller and the kubelet: a pod of the sink whose image pull fails
    // (and the service-account controller: the pod's service account must exist).
    const core = ns.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({
      namespace: ns.name,
      body: { metadata: { name: 'default' } },
    });
    await core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: {
          name: 'image-sink-7d4b9c-x2x9q',
          labels: {
            'iotpipe.io/pipeline': 'image',
            'app.kubernetes.io/managed-by': 'iotpipe-operator',
            'app.kubernetes.io/component': 'sink',
          },
        },
        spec: { containers: [{ name: 'sink', image: 'ghcr.io/iotpipe/workloads:nope' }] },
      },
    });
    await core.patchNamespacedPodStatus(
      {
        name: 'image-sink-7d4b9c-x2x9q',
        namespace: ns.name,
        body: {
          status: {
            phase: 'Pending',
            containerStatuses: [
              {
                name: 'sink',
                ready: false,
                restartCount: 0,
                image: 'ghcr.io/iotpipe/workloads:nope',
                imageID: '',
                state: {
                  waiting: {
                    reason: 'ImagePullBackOff',
                    message: 'Back-off pulling image "ghcr.io/iotpipe/workloads:nope"',
                  },
                },
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const p = await until('image', 'WorkloadsAvailable', 'ImagePullFailed');
    expect(conditionOf(p, 'WorkloadsAvailable')?.message).toContain(
      'pod image-sink-7d4b9c-x2x9q container sink: ImagePullBackOff: Back-off pulling image "ghcr.io/iotpipe/workloads:nope"',
    );
    expect(conditionOf(p, 'Ready')).toMatchObject({ status: 'False', reason: 'ImagePullFailed' });
    const event = await waitFor('the ImagePullFailed event', async () =>
      (await eventsOf(ns.kubeConfig, ns.name, 'image')).find((e) => e.reason === 'ImagePullFailed'),
    );
    expect(event).toMatchObject({
      type: 'Warning',
      note: expect.stringContaining('ghcr.io/iotpipe/workloads:nope'),
    });
  });

  it('kubectl get shows Ready and its reason without -o wide (the API server renders the columns)', async () => {
    await until('image', 'Ready', 'ImagePullFailed');
    const table = await new KubeClient(connectionFromKubeConfig(ns.kubeConfig)).request<{
      columnDefinitions: Array<{ name: string; priority: number }>;
      rows: Array<{ cells: unknown[]; object: { metadata: { name: string } } }>;
    }>('GET', `/apis/iotpipe.io/v1alpha1/namespaces/${ns.name}/iotpipelines`, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      query: { includeObject: 'Metadata' },
    });
    const shown = table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name);
    expect(shown).toEqual(['Name', 'Topic', 'Ready', 'Reason', 'Ready Replicas', 'Age']);
    const row = table.rows.find((r) => r.object.metadata.name === 'image')!;
    const cell = (column: string) => row.cells[table.columnDefinitions.findIndex((c) => c.name === column)];
    expect(cell('Ready')).toBe('False');
    expect(cell('Reason')).toBe('ImagePullFailed');
    expect(String(cell('Message'))).toContain('ImagePullBackOff');
  });
});
