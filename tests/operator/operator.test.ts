// The IoTPipeline operator, in-process, against the local control plane (real kube-apiserver +
// etcd, Strimzi and prometheus-operator CRDs) and the local stack's real Apicurio registry.
// No kubelet, no Strimzi operator, no garbage collector run here: where a test needs what they
// would do, it does it itself and says so (markDeploymentAvailable, markStatefulSetAvailable,
// markKafkaTopicReady).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import {
  markDeploymentAvailable,
  markStatefulSetAvailable,
  type TestNamespace,
} from '../../local/src/cluster/testing.js';
import {
  CONFIG_HASH_ANNOTATION,
  FIELD_MANAGER,
  FINALIZER,
  RETAINED_FROM_ANNOTATION,
} from '../../operator/src/children/names.js';
import { workload } from '../../operator/src/children/desired.js';
import type { Operator } from '../../operator/src/reconcile/operator.js';
import {
  applyAsUser,
  conditionOf,
  deletePipeline,
  eventsOf,
  getPipeline,
  inProcessOperator,
  LOCAL_REGISTRY,
  markKafkaTopicReady,
  metricValue,
  operatorNamespace,
  pipelineManifest,
  readObject,
  uniqueTopic,
  waitFor,
} from './support.js';

const REGISTRY = LOCAL_REGISTRY;

type Deployment = {
  metadata: { generation: number; ownerReferences?: Array<{ uid: string }> };
  spec: {
    replicas: number;
    serviceName?: string;
    podManagementPolicy?: string;
    updateStrategy?: { type: string };
    template: {
      metadata: { annotations: Record<string, string> };
      spec: { containers: Array<{ image: string; env: Array<{ name: string; value?: string }> }> };
    };
  };
};
type Topic = {
  metadata: {
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ uid: string }>;
  };
  spec: { topicName: string; partitions: number; replicas: number; config: Record<string, unknown> };
};

let ns: TestNamespace;
let operator: Operator;

beforeAll(async () => {
  ns = await operatorNamespace('operator');
  operator = inProcessOperator(ns, 'op-main');
  await operator.start();
});

afterAll(async () => {
  await operator?.stop();
  await ns?.delete();
});

const read = <T>(apiVersion: string, kind: string, name: string) =>
  readObject<T>(ns.kubeConfig, apiVersion, kind, ns.name, name);
const deploymentOf = (name: string) => read<Deployment>('apps/v1', 'Deployment', name);
/** The adapter's workload (same fields as a Deployment's, plus serviceName and pod management). */
const statefulSetOf = (name: string) => read<Deployment>('apps/v1', 'StatefulSet', name);
const topicOf = (name: string) => read<Topic>('kafka.strimzi.io/v1', 'KafkaTopic', name);
const envValue = (d: Deployment, name: string) =>
  d.spec.template.spec.containers[0]!.env.find((e) => e.name === name)?.value;

describe('IoTPipeline operator', () => {
  it('creates the topics, the adapter StatefulSet, Deployments, ServiceMonitor and PrometheusRule with the spec values, registers the schema and reports conditions', async () => {
    const topic = uniqueTopic('op-apply');
    const started = Date.now();
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({
        name: 'apply',
        topic,
        spec: {
          kafka: { partitions: 4, replicas: 3, minInSyncReplicas: 2, retentionMs: 3_600_000 },
          adapter: { replicas: 2 },
          simulator: { devices: 3 },
        },
      }),
    );
    const children = [
      ['kafka.strimzi.io/v1', 'KafkaTopic', 'apply-topic'],
      ['kafka.strimzi.io/v1', 'KafkaTopic', 'apply-dlq'],
      ['apps/v1', 'StatefulSet', 'apply-adapter'],
      ['v1', 'Service', 'apply-adapter'],
      ['apps/v1', 'Deployment', 'apply-sink'],
      ['apps/v1', 'Deployment', 'apply-processor'],
      ['apps/v1', 'Deployment', 'apply-simulator'],
      ['v1', 'Service', 'apply-metrics'],
      ['monitoring.coreos.com/v1', 'ServiceMonitor', 'apply'],
      ['monitoring.coreos.com/v1', 'PrometheusRule', 'apply'],
    ] as const;
    await waitFor('all children', async () => {
      const found = await Promise.all(children.map(([v, k, n]) => read(v, k, n)));
      return found.every(Boolean);
    });
    console.log(`[figure] apply -> ${children.length} children created: ${Date.now() - started} ms`);

    const main = (await topicOf('apply-topic'))!;
    expect(main.metadata.labels['strimzi.io/cluster']).toBe('iotpipe');
    expect(main.spec).toEqual({
      topicName: topic,
      partitions: 4,
      replicas: 3,
      config: { 'min.insync.replicas': 2, 'retention.ms': 3_600_000 },
    });
    expect((await topicOf('apply-dlq'))!.spec.topicName).toBe(`${topic}-dlq`);
    // The adapter: a StatefulSet, so its pods are apply-adapter-0 and apply-adapter-1 and keep
    // those names (and their MQTT sessions) across restarts; no Deployment of it.
    const adapter = (await statefulSetOf('apply-adapter'))!;
    expect(adapter.spec.replicas).toBe(2);
    expect(adapter.spec).toMatchObject({
      serviceName: 'apply-adapter',
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
    });
    expect(envValue(adapter, 'KAFKA_TOPIC')).toBe(topic);
    expect(envValue(adapter, 'ADAPTER_MQTT_CLIENT_ID')).toBe(`${ns.name}.$(POD_NAME)`);
    expect(envValue(adapter, 'ADAPTER_SHARED_GROUP')).toBe(`${ns.name}.apply`);
    expect(await deploymentOf('apply-adapter')).toBeUndefined();
    const governing = (await read<{ spec: { clusterIP: string; selector: Record<string, string> } }>(
      'v1',
      'Service',
      'apply-adapter',
    ))!;
    expect(governing.spec.clusterIP).toBe('None');
    expect(governing.spec.selector).toMatchObject({ 'app.kubernetes.io/component': 'adapter' });
    expect(envValue((await deploymentOf('apply-simulator'))!, 'IOT_NUM_DEVICES')).toBe('3');
    const monitor = (await read<{ spec: { selector: unknown; endpoints: unknown[] } }>(
      'monitoring.coreos.com/v1',
      'ServiceMonitor',
      'apply',
    ))!;
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics' })]);
    const rule = (await read<{ spec: { groups: Array<{ rules: unknown[] }> } }>(
      'monitoring.coreos.com/v1',
      'PrometheusRule',
      'apply',
    ))!;
    expect(rule.spec.groups[0]!.rules.length).toBeGreaterThan(0);

    // The schema is really in the registry, under the id the status reports.
    const registered = await waitFor('SchemaRegistered', async () => {
      const p = await getPipeline(ns.kubeConfig, ns.name, 'apply');
      return conditionOf(p, 'SchemaRegistered')?.status === 'True' ? p : undefined;
    });
    const latest = (await (await fetch(`${REGISTRY}/subjects/${topic}-value/versions/latest`)).json()) as {
      id: number;
    };
    expect(registered.status?.schemaId).toBe(latest.id);
    const config = (await (await fetch(`${REGISTRY}/config/${topic}-value`)).json()) as {
      compatibilityLevel: string;
    };
    expect(config.compatibilityLevel).toBe('BACKWARD');
    expect(registered.status?.registryUrl).toBe(REGISTRY);
    // The Secret, the Kafka cluster and the shared alerts topic are there (the fixtures).
    expect(conditionOf(registered, 'DependenciesReady')).toMatchObject({
      status: 'True',
      reason: 'DependenciesFound',
    });
    // Nothing else is ready yet: no Strimzi topic operator, no kubelet. TopicReady names all
    // three topics: both of the pipeline's and the shared alerts topic.
    expect(conditionOf(registered, 'TopicReady')).toMatchObject({
      status: 'Unknown',
      reason: 'TopicPending',
      message: expect.stringMatching(
        /KafkaTopic apply-topic \(topic .*\) not reported Ready .*; KafkaTopic apply-dlq \(dlq .*-dlq\) not reported Ready .*; shared KafkaTopic iot-alerts \(alerts iot-alerts\) Ready/,
      ),
    });
    expect(conditionOf(registered, 'WorkloadsAvailable')?.status).toBe('False');
    expect(conditionOf(registered, 'Ready')?.status).not.toBe('True');
    expect(registered.metadata.finalizers).toContain(FINALIZER);

    // Playing Strimzi's topic operator: the topics exist in Kafka.
    await markKafkaTopicReady(ns.kubeConfig, ns.name, 'apply-topic');
    await markKafkaTopicReady(ns.kubeConfig, ns.name, 'apply-dlq');
    await waitFor(
      'TopicReady',
      async () =>
        conditionOf(await getPipeline(ns.kubeConfig, ns.name, 'apply'), 'TopicReady')?.status === 'True',
    );
    // Playing the kubelet and the deployment controller: every Deployment rolled out.
    for (const stage of ['sink', 'processor', 'simulator']) {
      await markDeploymentAvailable(ns.kubeConfig, ns.name, `apply-${stage}`);
    }
    // The adapter's StatefulSet has not: the workloads are not available, 3 replicas ready.
    const waiting = await waitFor('the Deployments counted', async () => {
      const p = await getPipeline(ns.kubeConfig, ns.name, 'apply');
      return p?.status?.readyReplicas === 3 ? p : undefined;
    });
    expect(conditionOf(waiting, 'WorkloadsAvailable')).toMatchObject({
      status: 'False',
      message: 'StatefulSet apply-adapter 0/2 available',
    });
    // Playing the kubelet and the StatefulSet controller: apply-adapter-0 and -1 ready.
    await markStatefulSetAvailable(ns.kubeConfig, ns.name, 'apply-adapter');
    const ready = await waitFor('Ready', async () => {
      const p = await getPipeline(ns.kubeConfig, ns.name, 'apply');
      return conditionOf(p, 'Ready')?.status === 'True' ? p : undefined;
    });
    expect(conditionOf(ready, 'WorkloadsAvailable')?.status).toBe('True');
    expect(ready.status).toMatchObject({
      observedGeneration: 1,
      readyReplicas: 5,
      replicas: 5,
      topic,
      dlqTopic: `${topic}-dlq`,
      alertsTopic: 'iot-alerts',
    });
    expect(await metricValue(operator, 'iotpipe_operator_reconcile_total')).toBeGreaterThan(0);
    // Events, as `kubectl describe` shows them: what was created, each condition that became
    // True (not those True from the start, like SchemaRegistered), Ready.
    const events = await waitFor('the Ready event', async () => {
      const got = await eventsOf(ns.kubeConfig, ns.name, 'apply');
      return got.some((e) => e.reason === 'Ready') ? got : undefined;
    });
    expect(events.map((e) => [e.type, e.reason])).toEqual(
      expect.arrayContaining([
        ['Normal', 'Created'],
        ['Normal', 'TopicsReady'],
        ['Normal', 'WorkloadsAvailable'],
        ['Normal', 'Ready'],
      ]),
    );
    expect(events.find((e) => e.reason === 'Created')?.note).toContain('KafkaTopic apply-topic');
    expect(events.every((e) => e.reportingController === 'iotpipe.io/operator')).toBe(true);
  });

  it('updates: a spec change updates the children and rolls only the Deployments whose config changed', async () => {
    const topic = uniqueTopic('op-update');
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'update', topic }));
    const before = await waitFor('sink Deployment', () => deploymentOf('update-sink'));
    const adapterBefore = await waitFor('adapter StatefulSet', () => statefulSetOf('update-adapter'));
    await waitFor(
      'generation 1 observed',
      async () => (await getPipeline(ns.kubeConfig, ns.name, 'update'))?.status?.observedGeneration === 1,
    );

    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({
        name: 'update',
        topic,
        spec: { kafka: { partitions: 12 }, sink: { batchSize: 77 } },
      }),
    );
    const after = await waitFor('sink rolled', async () => {
      const d = await deploymentOf('update-sink');
      return d && envValue(d, 'DATA_SINK_BATCH_SIZE') === '77' ? d : undefined;
    });
    expect(after.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]).not.toBe(
      before.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION],
    );
    expect(
      await waitFor('12 partitions', async () => (await topicOf('update-topic'))?.spec.partitions === 12),
    ).toBe(true);
    const adapterAfter = (await statefulSetOf('update-adapter'))!;
    expect(adapterAfter.metadata.generation).toBe(adapterBefore.metadata.generation);
    await waitFor(
      'generation 2 observed',
      async () => (await getPipeline(ns.kubeConfig, ns.name, 'update'))?.status?.observedGeneration === 2,
    );

    // Disabling the processor removes its Deployment.
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({
        name: 'update',
        topic,
        spec: { kafka: { partitions: 12 }, sink: { batchSize: 77 }, processor: { enabled: false } },
      }),
    );
    await waitFor(
      'processor Deployment gone',
      async () => (await deploymentOf('update-processor')) === undefined,
    );
  });

  it('drift: a child changed or deleted by hand is put back', async () => {
    const topic = uniqueTopic('op-drift');
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'drift', topic }));
    const original = await waitFor('adapter', () => statefulSetOf('drift-adapter'));
    await waitFor('ServiceMonitor', () => read('monitoring.coreos.com/v1', 'ServiceMonitor', 'drift'));
    const objects = KubernetesObjectApi.makeApiClient(ns.kubeConfig);
    // Someone edits the StatefulSet by hand (kubectl edit: a merge patch by another manager).
    await objects.patch(
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'drift-adapter', namespace: ns.name },
        spec: {
          replicas: 7,
          template: { spec: { containers: [{ name: 'adapter', image: 'evil:latest' }] } },
        },
      },
      undefined,
      undefined,
      'kubectl-edit',
      undefined,
      PatchStrategy.StrategicMergePatch,
    );
    const restored = await waitFor('adapter restored', async () => {
      const d = await statefulSetOf('drift-adapter');
      return d &&
        d.spec.replicas === original.spec.replicas &&
        d.spec.template.spec.containers[0]!.image !== 'evil:latest'
        ? d
        : undefined;
    });
    expect(restored.spec.template.spec.containers[0]!.image).toBe(
      original.spec.template.spec.containers[0]!.image,
    );

    // Someone deletes children by hand.
    await objects.delete({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'drift', namespace: ns.name },
    });
    await objects.delete({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'drift-sink', namespace: ns.name },
    });
    await objects.delete({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: { name: 'drift-topic', namespace: ns.name },
    });
    await waitFor('ServiceMonitor back', () => read('monitoring.coreos.com/v1', 'ServiceMonitor', 'drift'));
    await waitFor('sink Deployment back', () => deploymentOf('drift-sink'));
    expect((await waitFor('KafkaTopic back', () => topicOf('drift-topic'))).spec.topicName).toBe(topic);
  });

  it('deletion with the default deletionPolicy Retain keeps the KafkaTopics, without owner, annotated', async () => {
    const topic = uniqueTopic('op-retain');
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'retain', topic }));
    const p = await waitFor('finalizer and topics', async () => {
      const got = await getPipeline(ns.kubeConfig, ns.name, 'retain');
      return got?.metadata.finalizers?.includes(FINALIZER) && (await topicOf('retain-dlq')) ? got : undefined;
    });
    await deletePipeline(ns.kubeConfig, ns.name, 'retain');
    await waitFor(
      'pipeline gone',
      async () => (await getPipeline(ns.kubeConfig, ns.name, 'retain')) === undefined,
    );
    for (const name of ['retain-topic', 'retain-dlq']) {
      const kept = (await topicOf(name))!;
      expect(kept).toBeDefined();
      expect(kept.metadata.ownerReferences ?? []).toEqual([]);
      expect(kept.metadata.annotations?.[RETAINED_FROM_ANNOTATION]).toBe(`${ns.name}/retain`);
    }
    // The rest goes with the pipeline through its owner reference (the garbage collector, which
    // does not run here, deletes it): it carries one.
    const adapter = (await statefulSetOf('retain-adapter'))!;
    expect(adapter.metadata.ownerReferences?.map((o) => o.uid)).toEqual([p.metadata.uid]);
    // The schema subject is kept too, and an Event says what was kept.
    expect((await fetch(`${REGISTRY}/subjects/${topic}-value/versions`)).status).toBe(200);
    const retained = (await eventsOf(ns.kubeConfig, ns.name, 'retain')).find((e) => e.reason === 'Retained');
    expect(retained?.note).toContain(`deletionPolicy Retain: kept KafkaTopics retain-topic (topic ${topic})`);
    expect(retained?.note).toContain(`schema subject ${topic}-value`);
  });

  it('deletion with deletionPolicy Delete deletes the KafkaTopics and the schema subject', async () => {
    const topic = uniqueTopic('op-delete');
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({ name: 'delete', topic, spec: { deletionPolicy: 'Delete' } }),
    );
    await waitFor('topics', async () => (await topicOf('delete-topic')) && (await topicOf('delete-dlq')));
    await waitFor(
      'schema registered',
      async () =>
        conditionOf(await getPipeline(ns.kubeConfig, ns.name, 'delete'), 'SchemaRegistered')?.status ===
        'True',
    );
    await waitFor('finalizer', async () =>
      (await getPipeline(ns.kubeConfig, ns.name, 'delete'))?.metadata.finalizers?.includes(FINALIZER),
    );
    await deletePipeline(ns.kubeConfig, ns.name, 'delete');
    await waitFor(
      'pipeline gone',
      async () => (await getPipeline(ns.kubeConfig, ns.name, 'delete')) === undefined,
    );
    expect(await topicOf('delete-topic')).toBeUndefined();
    expect(await topicOf('delete-dlq')).toBeUndefined();
    expect((await fetch(`${REGISTRY}/subjects/${topic}-value/versions`)).status).toBe(404);
    const deleted = (await eventsOf(ns.kubeConfig, ns.name, 'delete')).find((e) => e.reason === 'Deleted');
    expect(deleted?.note).toContain(`schema subject ${topic}-value`);
  });

  it('a schema the registry refuses shows in SchemaRegistered and Ready with reason and message', async () => {
    const topic = uniqueTopic('op-incompat');
    // Someone registered an incompatible record under the subject before (BACKWARD).
    const other = JSON.stringify({ type: 'record', name: 'Other', fields: [{ name: 'a', type: 'int' }] });
    const put = await fetch(`${REGISTRY}/subjects/${topic}-value/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: other }),
    });
    expect(put.ok).toBe(true);
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'incompat', topic }));
    const p = await waitFor('SchemaRegistered False', async () => {
      const got = await getPipeline(ns.kubeConfig, ns.name, 'incompat');
      return conditionOf(got, 'SchemaRegistered')?.status === 'False' ? got : undefined;
    });
    expect(conditionOf(p, 'SchemaRegistered')).toMatchObject({
      reason: 'SchemaIncompatible',
      message: expect.stringContaining('incompatible'),
    });
    expect(conditionOf(p, 'Ready')).toMatchObject({ status: 'False', reason: 'SchemaIncompatible' });
    // The children are there all the same: the failure is reported, not fatal.
    expect(await deploymentOf('incompat-sink')).toBeDefined();
  });
});

describe('IoTPipeline operator with the registry unreachable', () => {
  let ns2: TestNamespace;
  let op2: Operator;
  beforeAll(async () => {
    ns2 = await operatorNamespace('operator-noreg');
    op2 = inProcessOperator(ns2, 'op-noreg');
    await op2.start();
  });
  afterAll(async () => {
    await op2?.stop();
    await ns2?.delete();
  });

  it("reports RegistryUnavailable naming the pipeline's registry URL, retries with backoff, and still applies the children", async () => {
    // Port 2 on loopback: nothing listens, connections are refused at once (and fetch does not
    // refuse it as a "bad port", as it does 9).
    const registryUrl = 'http://127.0.0.1:2/apis/ccompat/v7';
    await applyAsUser(
      ns2.kubeConfig,
      ns2.name,
      pipelineManifest({ name: 'noreg', topic: uniqueTopic('op-noreg'), spec: { schema: { registryUrl } } }),
    );
    const p = await waitFor('RegistryUnavailable', async () => {
      const got = await getPipeline(ns2.kubeConfig, ns2.name, 'noreg');
      return conditionOf(got, 'SchemaRegistered')?.reason === 'RegistryUnavailable' ? got : undefined;
    });
    expect(conditionOf(p, 'SchemaRegistered')?.message).toContain(`registry ${registryUrl}`);
    expect(conditionOf(p, 'SchemaRegistered')?.message).toContain('unreachable');
    expect(conditionOf(p, 'Ready')).toMatchObject({ status: 'False', reason: 'RegistryUnavailable' });
    await waitFor(
      'retries',
      async () =>
        (await metricValue(op2, 'iotpipe_operator_reconcile_errors_total', {
          reason: 'RegistryUnavailable',
        })) >= 3,
    );
    expect(
      await readObject(ns2.kubeConfig, 'apps/v1', 'StatefulSet', ns2.name, 'noreg-adapter'),
    ).toBeDefined();
    // The failure is an Event, counted as a series while it lasts.
    const warning = await waitFor('a RegistryUnavailable event with a count', async () => {
      const e = (await eventsOf(ns2.kubeConfig, ns2.name, 'noreg')).find(
        (x) => x.reason === 'RegistryUnavailable',
      );
      return (e?.series?.count ?? 0) >= 2 ? e : undefined;
    });
    expect(warning.type).toBe('Warning');
  });
});

describe('IoTPipeline operator upgraded from a version that ran the adapter as a Deployment', () => {
  let ns3: TestNamespace;
  let op3: Operator | undefined;
  beforeAll(async () => {
    ns3 = await operatorNamespace('operator-upgrade');
  });
  afterAll(async () => {
    await op3?.stop();
    await ns3?.delete();
  });

  it('replaces the adapter Deployment by the StatefulSet, deleting the Deployment once the StatefulSet rolled out', async () => {
    const kc = ns3.kubeConfig;
    const readIn = <T>(kind: string, name: string) => readObject<T>(kc, 'apps/v1', kind, ns3.name, name);
    // What the older operator left: the pipeline and its adapter as a Deployment, owned by the
    // pipeline, applied by the operator's field manager, its pods running (no operator runs yet).
    await applyAsUser(kc, ns3.name, pipelineManifest({ name: 'upgrade', topic: uniqueTopic('op-upgrade') }));
    const pipeline = (await getPipeline(kc, ns3.name, 'upgrade'))!;
    const { serviceName, podManagementPolicy, updateStrategy, ...deploymentSpec } = workload(
      'adapter',
      pipeline,
    ).spec;
    expect([serviceName, podManagementPolicy, updateStrategy]).not.toContain(undefined);
    const old = {
      ...workload('adapter', pipeline),
      kind: 'Deployment',
      spec: deploymentSpec,
    };
    await KubernetesObjectApi.makeApiClient(kc).patch(
      old,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
    // Playing the kubelet and the deployment controller: the old adapter pods run.
    await markDeploymentAvailable(kc, ns3.name, 'upgrade-adapter');

    op3 = inProcessOperator(ns3, 'op-upgrade');
    await op3.start();
    const reconciled = await waitFor('first reconcile by the new operator', async () => {
      const p = await getPipeline(kc, ns3.name, 'upgrade');
      return p?.status?.observedGeneration === 1 && (await readIn('StatefulSet', 'upgrade-adapter'))
        ? p
        : undefined;
    });
    // The StatefulSet's pods are not ready yet: the old Deployment keeps consuming meanwhile.
    expect(conditionOf(reconciled, 'WorkloadsAvailable')?.message).toContain('StatefulSet upgrade-adapter');
    expect(await readIn('Deployment', 'upgrade-adapter')).toBeDefined();

    // Playing the kubelet and the controllers: the new workloads roll out.
    await markStatefulSetAvailable(kc, ns3.name, 'upgrade-adapter');
    for (const stage of ['sink', 'processor'])
      await markDeploymentAvailable(kc, ns3.name, `upgrade-${stage}`);
    await waitFor(
      'old adapter Deployment deleted',
      async () => (await readIn('Deployment', 'upgrade-adapter')) === undefined,
    );
    const after = await waitFor('workloads available', async () => {
      const p = await getPipeline(kc, ns3.name, 'upgrade');
      return conditionOf(p, 'WorkloadsAvailable')?.status === 'True' ? p : undefined;
    });
    expect(after.status).toMatchObject({ replicas: 3, readyReplicas: 3 });
    expect(await readIn('StatefulSet', 'upgrade-adapter')).toBeDefined();
    expect(await readIn('Deployment', 'upgrade-sink')).toBeDefined();
  });
});
