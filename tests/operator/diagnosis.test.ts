// What the operator tells a user about a pipeline that does not run: the first missing
// dependency (a Secret, a key in it, the Strimzi Kafka cluster), an image the kubelet cannot
// pull, Events for each, and `kubectl get` columns that show Ready and why. Against the local
// control plane (no kubelet, no Strimzi: where a test needs what they would report, it writes
// that status itself and says so) and the local stack's registry. The operator may not read
// Secrets (its RBAC has none): a missing Secret or key is what the kubelet reports on the pod,
// as a container's waiting reason (env) or as a FailedMount Event (the projected volume).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesObjectApi } from '@kubernetes/client-node';
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
  kubeletCannotMount,
  kubeletReports,
  operatorNamespace,
  pipelineManifest,
  readObject,
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

// The tests share the namespace: the second and third use what the first made (the Kafka
// cluster).
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
    let p = await until('deps', 'DependenciesReady', 'KafkaClusterNotFound');
    expect(conditionOf(p, 'DependenciesReady')?.message).toBe(
      `Strimzi Kafka cluster iotpipe (spec.kafka.cluster) not found in namespace ${ns.name}: its topic operator makes the KafkaTopics and its user operator the KafkaUser; create it (the platform's Kafka chart) or set spec.kafka.cluster to one that exists`,
    );
    expect(conditionOf(p, 'Ready')).toMatchObject({ status: 'False', reason: 'KafkaClusterNotFound' });
    // The kubelet cannot start the adapter: its MQTT Secret is missing, then a key of it. Each
    // report is seen through the pod watch: no waiting for a periodic requeue.
    const image = 'ghcr.io/iotpipe/workloads:test';
    await kubeletReports(ns.kubeConfig, ns.name, 'deps-adapter-0', 'deps', 'adapter', image, {
      reason: 'CreateContainerConfigError',
      message: 'secret "mqtt" not found',
    });
    p = await until('deps', 'DependenciesReady', 'SecretNotFound');
    const missing = `Secret mqtt (spec.mqtt.credentialsSecret) not found in namespace ${ns.name}: create Secret mqtt in namespace ${ns.name} with keys username, password, or set spec.mqtt.credentialsSecret.name to a Secret that exists (pod deps-adapter-0 container adapter: secret "mqtt" not found)`;
    expect(conditionOf(p, 'DependenciesReady')).toMatchObject({ status: 'False', message: missing });
    expect(conditionOf(p, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'SecretNotFound',
      message: `DependenciesReady: ${missing}`,
    });
    await kubeletReports(ns.kubeConfig, ns.name, 'deps-adapter-0', 'deps', 'adapter', image, {
      reason: 'CreateContainerConfigError',
      message: `couldn't find key password in Secret ${ns.name}/mqtt`,
    });
    p = await until('deps', 'DependenciesReady', 'SecretKeyNotFound');
    expect(conditionOf(p, 'DependenciesReady')?.message).toMatch(
      /^Secret mqtt has no key password \(spec\.mqtt\.credentialsSecret\.passwordKey\): add key password to Secret mqtt, or set spec\.mqtt\.credentialsSecret\.passwordKey to a key it has \(pod deps-adapter-0 /,
    );
    await kubeletReports(ns.kubeConfig, ns.name, 'deps-adapter-0', 'deps', 'adapter', image, undefined);
    p = await until('deps', 'DependenciesReady', 'KafkaClusterNotFound');
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
      message: 'Kafka cluster iotpipe Ready; no pod reports a missing Secret or key',
    });

    // One Warning per failure, then a Normal event when the dependencies are all there.
    const events = await waitFor('the DependenciesFound event', async () => {
      const got = await eventsOf(ns.kubeConfig, ns.name, 'deps');
      return got.some((e) => e.reason === 'DependenciesFound') ? got : undefined;
    });
    const warnings = events.filter((e) => e.type === 'Warning').map((e) => [e.reason, e.note]);
    expect(warnings).toEqual(
      expect.arrayContaining([
        ['KafkaClusterNotFound', expect.stringContaining('Strimzi Kafka cluster iotpipe')],
        ['SecretNotFound', `DependenciesReady: ${missing}`],
        ['SecretKeyNotFound', expect.stringContaining('Secret mqtt has no key password')],
        ['KafkaClusterNotReady', expect.stringContaining('waiting for 3 brokers')],
      ]),
    );
    expect(events.find((e) => e.reason === 'DependenciesFound')?.type).toBe('Normal');
  });

  it('a Secret the stages read as files (the projected volume), from the kubelet FailedMount Event: named with its key and the fix', async () => {
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({
        name: 'mounts',
        topic: uniqueTopic('op-mounts'),
        spec: { mqtt: { credentialsSecret: { name: 'mqtt-files' } } },
      }),
    );
    await waitFor('the adapter StatefulSet', () =>
      readObject(ns.kubeConfig, 'apps/v1', 'StatefulSet', ns.name, 'mounts-adapter'),
    );
    const adapter = { kind: 'StatefulSet', name: 'mounts-adapter' } as const;
    const t0 = Date.now();
    // The MQTT Secret is missing: the kubelet cannot set up the adapter's volume.
    await kubeletCannotMount(
      ns.kubeConfig,
      ns.name,
      adapter,
      'mounts-adapter-0',
      'secret "mqtt-files" not found',
      new Date(t0),
    );
    let p = await until('mounts', 'DependenciesReady', 'SecretNotFound');
    const missing = `Secret mqtt-files (spec.mqtt.credentialsSecret) not found in namespace ${ns.name}: create Secret mqtt-files in namespace ${ns.name} with keys username, password, or set spec.mqtt.credentialsSecret.name to a Secret that exists (pod mounts-adapter-0: MountVolume.SetUp failed for volume "secrets" : secret "mqtt-files" not found)`;
    expect(conditionOf(p, 'DependenciesReady')).toMatchObject({ status: 'False', message: missing });
    expect(conditionOf(p, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'SecretNotFound',
      message: `DependenciesReady: ${missing}`,
    });
    expect(conditionOf(p, 'WorkloadsAvailable')).toMatchObject({
      status: 'False',
      reason: 'VolumeMountFailed',
    });
    // Made without its password key: the kubelet's message names the key only; the pod's volume
    // says which of its Secrets the spec names with that key.
    await kubeletCannotMount(
      ns.kubeConfig,
      ns.name,
      adapter,
      'mounts-adapter-0',
      'references non-existent secret key: password',
      new Date(t0 + 2000),
    );
    p = await until('mounts', 'DependenciesReady', 'SecretKeyNotFound');
    expect(conditionOf(p, 'DependenciesReady')?.message).toBe(
      `Secret mqtt-files has no key password (spec.mqtt.credentialsSecret.passwordKey): add key password to Secret mqtt-files, or set spec.mqtt.credentialsSecret.passwordKey to a key it has (pod mounts-adapter-0: MountVolume.SetUp failed for volume "secrets" : references non-existent secret key: password)`,
    );
    // Fixed: the containers run; the Event stays (an hour) but no longer describes the pod.
    await kubeletReports(ns.kubeConfig, ns.name, 'mounts-adapter-0', 'mounts', 'adapter', 'x', undefined);
    p = await until('mounts', 'DependenciesReady', 'DependenciesFound');
    // A Secret Strimzi writes (the KafkaUser's) that is missing while the cluster is Ready: its
    // user operator is what to look at.
    await waitFor('the sink Deployment', () =>
      readObject(ns.kubeConfig, 'apps/v1', 'Deployment', ns.name, 'mounts-sink'),
    );
    await kubeletCannotMount(
      ns.kubeConfig,
      ns.name,
      { kind: 'Deployment', name: 'mounts-sink' },
      'mounts-sink-5d8f7c9b6-q7x2m',
      'secret "mounts-kafka" not found',
    );
    p = await until('mounts', 'DependenciesReady', 'SecretNotFound');
    expect(conditionOf(p, 'DependenciesReady')?.message).toMatch(
      /^Secret mounts-kafka \(the pipeline's KafkaUser mounts-kafka \(Strimzi's user operator writes it\)\) not found in namespace \S+: check that Kafka cluster iotpipe runs Strimzi's entity operator with the user operator and that KafkaUser mounts-kafka is Ready \(pod mounts-sink-5d8f7c9b6-q7x2m: /,
    );
    const warnings = (await eventsOf(ns.kubeConfig, ns.name, 'mounts'))
      .filter((e) => e.type === 'Warning')
      .map((e) => [e.reason, e.note]);
    expect(warnings).toEqual(
      expect.arrayContaining([
        ['SecretNotFound', `DependenciesReady: ${missing}`],
        ['SecretKeyNotFound', expect.stringContaining('Secret mqtt-files has no key password')],
      ]),
    );
  });

  it('kubectl describe shows the conditions and the Events, and kubectl get the reason, as for Strimzi resources', () => {
    const kubectl = (...args: string[]) => {
      const r = spawnSync('kubectl', [...ns.kubectlArgs, ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const described = kubectl('describe', 'iotpipeline', 'mounts');
    // The conditions, Ready first, each with its reason and message.
    expect(described).toMatch(
      /Conditions:\n\s+Last Transition Time:\s+\S+\n\s+Message:\s+DependenciesReady: Secret mounts-kafka .*\n\s+Observed Generation:\s+1\n\s+Reason:\s+SecretNotFound\n\s+Status:\s+False\n\s+Type:\s+Ready\n/,
    );
    // The Events table kubectl prints for any object, from the operator's Events.
    expect(described).toMatch(/\nEvents:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/);
    expect(described).toMatch(
      /\n\s+Warning\s+SecretNotFound\s+.+\s+iotpipe\.io\/operator\s+DependenciesReady: Secret mounts-kafka /,
    );
    expect(described).toMatch(
      /\n\s+Normal\s+Created\s+.+\s+iotpipe\.io\/operator\s+created KafkaTopic mounts-topic, /,
    );
    const table = kubectl('get', 'iotpipelines', 'mounts');
    expect(table).toMatch(
      /^NAME\s+TOPIC\s+READY\s+REASON\s+READY REPLICAS\s+AGE\nmounts\s+op-mounts-\S+\s+False\s+SecretNotFound\s+0\s+\S+\n$/,
    );
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
    // The kubelet cannot pull the sink's image.
    await kubeletReports(
      ns.kubeConfig,
      ns.name,
      'image-sink-7d4b9c-x2x9q',
      'image',
      'sink',
      'ghcr.io/iotpipe/workloads:nope',
      {
        reason: 'ImagePullBackOff',
        message: 'Back-off pulling image "ghcr.io/iotpipe/workloads:nope"',
      },
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
