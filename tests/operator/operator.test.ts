// The IoTPipeline operator, in-process, against the local control plane (real kube-apiserver +
// etcd, Strimzi and prometheus-operator CRDs) and the local stack's real Apicurio registry.
// No kubelet, no Strimzi operator, no garbage collector run here: where a test needs what they
// would do, it does it itself and says so (markDeploymentAvailable, markStatefulSetAvailable,
// markKafkaTopicReady).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiException, CustomObjectsApi, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
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
  getPipeline,
  inProcessOperator,
  markKafkaTopicReady,
  metricValue,
  operatorNamespace,
  pipelineManifest,
  readObject,
  uniqueTopic,
  waitFor,
} from './support.js';

const REGISTRY = 'http://127.0.0.1:8081/apis/ccompat/v7';

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
    // Nothing is ready yet: no Strimzi topic operator, no kubelet.
    expect(conditionOf(registered, 'TopicReady')?.status).not.toBe('True');
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
    });
    expect(await metricValue(operator, 'iotpipe_operator_reconcile_total')).toBeGreaterThan(0);
  });

  it.each([
    [
      'minInSyncReplicas equal to replicas',
      { kafka: { replicas: 3, minInSyncReplicas: 3 } },
      'spec.kafka.minInSyncReplicas',
    ],
    [
      'more sink replicas than partitions',
      { kafka: { partitions: 2 }, sink: { replicas: 3 } },
      'spec.sink.replicas',
    ],
    ['a topic name Kafka rejects', { kafka: { topic: 'bad topic!' } }, 'spec.kafka.topic'],
    ['an MQTT filter with # inside', { mqtt: { topicFilters: ['a/#/b'] } }, 'spec.mqtt.topicFilters[0]'],
    [
      'a threshold with min above max',
      { processor: { thresholds: { temperature: { min: 50, max: 10 } } } },
      'spec.processor.thresholds[temperature].min',
    ],
    [
      'a simulator publishing outside the filters',
      { mqtt: { topicFilters: ['ruuvi/#'] }, simulator: {} },
      'spec.simulator.topicPrefix',
    ],
    [
      'a Ruuvi topic prefix no filter covers',
      { mqtt: { ruuviTopicPrefix: 'home/ruuvi' } },
      'spec.mqtt.ruuviTopicPrefix',
    ],
    [
      'a Ruuvi topic prefix with an empty level',
      { mqtt: { ruuviTopicPrefix: 'home//ruuvi', topicFilters: ['#'] } },
      'spec.mqtt.ruuviTopicPrefix',
    ],
    [
      "a Ruuvi topic prefix inside the simulator's topics",
      { mqtt: { ruuviTopicPrefix: 'iotpipe/sim/gw', topicFilters: ['#'] } },
      'spec.mqtt.ruuviTopicPrefix',
    ],
    ['a subject the workloads would not use', { schema: { subject: 'other' } }, 'spec.schema.subject'],
    [
      'an unknown compatibility level',
      { schema: { compatibility: 'SOMETIMES' } },
      'spec.schema.compatibility',
    ],
  ])('the API server rejects %s, naming the field', async (_what, spec, field) => {
    const manifest = pipelineManifest({ name: 'invalid', topic: uniqueTopic('op-invalid'), spec });
    const err = await applyAsUser(ns.kubeConfig, ns.name, manifest).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<unknown>).code).toBe(422);
    expect(String((err as ApiException<unknown>).body)).toContain(field);
  });

  it('the API server rejects a missing sink, a too long name and one a Service cannot take', async () => {
    const noSink = {
      apiVersion: 'iotpipe.io/v1alpha1',
      kind: 'IoTPipeline',
      metadata: { name: 'nosink' },
      spec: { kafka: { topic: 't' } },
    };
    await expect(applyAsUser(ns.kubeConfig, ns.name, noSink)).rejects.toMatchObject({
      code: 422,
      body: expect.stringContaining('spec.sink'),
    });
    const long = pipelineManifest({ name: 'x'.repeat(36), topic: 't' });
    await expect(applyAsUser(ns.kubeConfig, ns.name, long)).rejects.toMatchObject({
      code: 422,
      body: expect.stringContaining('metadata.name'),
    });
    for (const name of ['1st-floor', 'floor.one']) {
      const bad = pipelineManifest({ name, topic: 't' });
      await expect(applyAsUser(ns.kubeConfig, ns.name, bad), name).rejects.toMatchObject({
        code: 422,
        body: expect.stringContaining('must start with a letter'),
      });
    }
  });

  it('updates: a spec change updates the children and rolls only the Deployments whose config changed; immutable fields are refused', async () => {
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

    await expect(
      applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'update', topic: `${topic}-x` })),
    ).rejects.toMatchObject({ code: 422, body: expect.stringContaining('immutable') });
    await expect(
      applyAsUser(
        ns.kubeConfig,
        ns.name,
        pipelineManifest({ name: 'update', topic, spec: { kafka: { partitions: 3 } } }),
      ),
    ).rejects.toMatchObject({ code: 422, body: expect.stringContaining('spec.kafka.partitions') });

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
  });

  it('deletion with deletionPolicy Delete deletes the KafkaTopics', async () => {
    const topic = uniqueTopic('op-delete');
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({ name: 'delete', topic, spec: { deletionPolicy: 'Delete' } }),
    );
    await waitFor('topics', async () => (await topicOf('delete-topic')) && (await topicOf('delete-dlq')));
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
    // Port 9 (discard) on loopback: nothing listens, connections are refused at once.
    op2 = inProcessOperator(ns2, 'op-noreg', { SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9/apis/ccompat/v7' });
    await op2.start();
  });
  afterAll(async () => {
    await op2?.stop();
    await ns2?.delete();
  });

  it('reports RegistryUnavailable and retries with backoff, and still applies the children', async () => {
    await applyAsUser(
      ns2.kubeConfig,
      ns2.name,
      pipelineManifest({ name: 'noreg', topic: uniqueTopic('op-noreg') }),
    );
    const p = await waitFor('RegistryUnavailable', async () => {
      const got = await getPipeline(ns2.kubeConfig, ns2.name, 'noreg');
      return conditionOf(got, 'SchemaRegistered')?.reason === 'RegistryUnavailable' ? got : undefined;
    });
    expect(conditionOf(p, 'SchemaRegistered')?.message).toContain('unreachable');
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
    const custom = ns2.kubeConfig.makeApiClient(CustomObjectsApi);
    expect(custom).toBeDefined();
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
