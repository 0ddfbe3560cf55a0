import { describe, expect, it } from 'vitest';
import { SINK } from '@iotpipe/contract';
import { defaultedSpec, type IoTPipeline } from '../crd/iotpipeline.js';
import {
  desiredChildren,
  desiredReplicas,
  governingService,
  kafkaTopics,
  removedStages,
  stagesOf,
  supersededWorkloads,
  workload,
} from './desired.js';
import { CONFIG_HASH_ANNOTATION, FIELD_MANAGER, PIPELINE_LABEL, resolveNames } from './names.js';
import { adapterMqttClientId, workloadProcess } from './workload.js';

function pipeline(
  spec: Record<string, unknown> = {},
  metadata: { name?: string; namespace?: string } = {},
): IoTPipeline {
  return {
    apiVersion: 'iotpipe.io/v1alpha1',
    kind: 'IoTPipeline',
    metadata: { name: 'p1', namespace: 'ns1', uid: 'uid-1', generation: 1, ...metadata },
    spec: defaultedSpec({
      kafka: { topic: 'readings' },
      sink: { databaseSecret: { name: 'db', key: 'uri' } },
      ...spec,
    }),
  };
}

type Container = {
  env: Array<{ name: string; value?: string }>;
  image: string;
  command: string[];
  args: string[];
};
function containerOf(obj: { spec: Record<string, unknown> }): Container {
  const template = obj.spec.template as { spec: { containers: Container[] } };
  return template.spec.containers[0]!;
}
function envOf(c: Container): Record<string, string | undefined> {
  return Object.fromEntries(c.env.map((e) => [e.name, e.value]));
}

describe('children of an IoTPipeline', () => {
  it('are two KafkaTopics, the adapter StatefulSet and its Service, a Deployment per other stage, a metrics Service, a ServiceMonitor and a PrometheusRule, all owned', () => {
    const children = desiredChildren(pipeline());
    expect(children.map((c) => `${c.kind}/${c.metadata.name}`)).toEqual([
      'KafkaTopic/p1-topic',
      'KafkaTopic/p1-dlq',
      'Service/p1-adapter',
      'StatefulSet/p1-adapter',
      'Deployment/p1-sink',
      'Deployment/p1-processor',
      'Service/p1-metrics',
      'ServiceMonitor/p1',
      'PrometheusRule/p1',
    ]);
    for (const c of children) {
      expect(c.metadata.namespace).toBe('ns1');
      expect(c.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'IoTPipeline', name: 'p1', uid: 'uid-1', controller: true }),
      ]);
      expect(c.metadata.labels['app.kubernetes.io/managed-by']).toBe(FIELD_MANAGER);
    }
  });

  it('KafkaTopics carry the Strimzi cluster label and the spec values', () => {
    const [topic, dlq] = kafkaTopics(
      pipeline({
        kafka: {
          topic: 'readings',
          partitions: 12,
          replicas: 3,
          minInSyncReplicas: 2,
          retentionMs: 1000,
          cluster: 'kc',
        },
      }),
    );
    expect(topic!.metadata.labels['strimzi.io/cluster']).toBe('kc');
    expect(topic!.spec).toEqual({
      topicName: 'readings',
      partitions: 12,
      replicas: 3,
      config: { 'min.insync.replicas': 2, 'retention.ms': 1000 },
    });
    expect(dlq!.spec).toMatchObject({ topicName: 'readings-dlq', partitions: 1 });
  });

  it('the simulator Deployment exists only with spec.simulator; the processor only when enabled', () => {
    expect(stagesOf(pipeline({ simulator: {} }))).toEqual(['adapter', 'sink', 'processor', 'simulator']);
    const without = pipeline({ processor: { enabled: false } });
    expect(stagesOf(without)).toEqual(['adapter', 'sink']);
    expect(removedStages(without)).toEqual(['processor', 'simulator']);
    expect(
      desiredReplicas(
        pipeline({
          adapter: { replicas: 2 },
          sink: { databaseSecret: { name: 'db', key: 'uri' }, replicas: 3 },
        }),
      ),
    ).toBe(6);
  });

  it('the adapter is a StatefulSet (stable pod names, so a restarted replica resumes its MQTT session) governed by a headless Service', () => {
    const p = pipeline({ adapter: { replicas: 3 }, simulator: {} });
    const sts = workload('adapter', p);
    expect(sts).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'p1-adapter' },
    });
    expect(sts.spec).toMatchObject({
      replicas: 3,
      serviceName: 'p1-adapter',
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
    });
    const selector = (sts.spec.selector as { matchLabels: Record<string, string> }).matchLabels;
    const podLabels = (sts.spec.template as { metadata: { labels: Record<string, string> } }).metadata.labels;
    expect(selector).toEqual({ [PIPELINE_LABEL]: 'p1', 'app.kubernetes.io/component': 'adapter' });
    expect(podLabels).toMatchObject(selector);

    const service = governingService('adapter', p);
    expect(service.metadata.name).toBe(sts.spec.serviceName);
    expect(service.metadata.labels).toEqual(sts.metadata.labels);
    expect(service.metadata.ownerReferences).toEqual(sts.metadata.ownerReferences);
    expect(service.spec).toEqual({ clusterIP: 'None', selector });
    // No port: the ServiceMonitor selects every Service of the pipeline and scrapes `metrics`
    // ports; the metrics Service already covers the adapter.
    expect(service.spec).not.toHaveProperty('ports');

    for (const stage of ['sink', 'processor', 'simulator'] as const) {
      const d = workload(stage, p);
      expect(d.kind).toBe('Deployment');
      expect(d.spec).not.toHaveProperty('serviceName');
    }
  });

  it('the adapter Deployment of an older operator is superseded by the StatefulSet; removed stages stay Deployments', () => {
    expect(supersededWorkloads(pipeline())).toEqual([
      { stage: 'adapter', kind: expect.objectContaining({ kind: 'Deployment', apiVersion: 'apps/v1' }) },
    ]);
    expect(removedStages(pipeline())).not.toContain('adapter');
  });

  it('the adapter MQTT client id is stable per replica, unique across namespaces and within the adapter limit', () => {
    expect(adapterMqttClientId(pipeline())).toBe('ns1.$(POD_NAME)');
    expect(adapterMqttClientId(pipeline({}, { namespace: 'ns2' }))).toBe('ns2.$(POD_NAME)');
    // The longest pod name: a 35-character pipeline name, ordinal 99 (adapter.replicas <= 100).
    const name = 'n'.repeat(35);
    const podName = `${name}-adapter-99`;
    for (const namespace of ['ns1', 'a'.repeat(13), 'a'.repeat(14), 'b'.repeat(63)]) {
      const id = adapterMqttClientId(pipeline({}, { name, namespace })).replace('$(POD_NAME)', podName);
      expect(id, namespace).toMatch(/^[A-Za-z0-9_.-]{1,60}$/);
    }
    const long = (ns: string) => adapterMqttClientId(pipeline({}, { name, namespace: ns }));
    expect(long('a'.repeat(63))).not.toBe(long('b'.repeat(63)));
  });

  it('the adapter shares its subscription only with several replicas or a group set in the spec', () => {
    const group = (spec: Record<string, unknown>) =>
      envOf(containerOf(workload('adapter', pipeline(spec)))).ADAPTER_SHARED_GROUP;
    expect(group({})).toBe('-');
    expect(group({ adapter: { replicas: 3 } })).toBe('ns1.p1');
    expect(group({ mqtt: { sharedSubscriptionGroup: 'mine' } })).toBe('mine');
    expect(group({ adapter: { replicas: 2 }, mqtt: { sharedSubscriptionGroup: 'mine' } })).toBe('mine');
  });

  it('each Deployment runs `node workloads/dist/cli.js <stage>` with env from the spec, secrets by reference', () => {
    const p = pipeline({ mqtt: { credentialsSecret: { name: 'mqtt' }, topicFilters: ['a/#'] } });
    const c = containerOf(workload('adapter', p));
    expect([...c.command, ...c.args]).toEqual(['node', 'workloads/dist/cli.js', 'adapter']);
    const env = envOf(c);
    expect(env).toMatchObject({
      KAFKA_TOPIC: 'readings',
      KAFKA_DLQ_TOPIC: 'readings-dlq',
      KAFKA_BOOTSTRAP_SERVERS: 'iotpipe-kafka-bootstrap:9092',
      ADAPTER_SUBSCRIPTIONS: 'a/#',
      ADAPTER_SHARED_GROUP: '-',
      ADAPTER_MQTT_CLIENT_ID: 'ns1.$(POD_NAME)',
    });
    expect(c.env.find((e) => e.name === 'MQTT_PASSWORD')).toEqual({
      name: 'MQTT_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'mqtt', key: 'password' } },
    });
    const sink = containerOf(workload('sink', p));
    expect(sink.env.find((e) => e.name === 'DATABASE_URL')).toEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'db', key: 'uri' } },
    });
    expect(envOf(sink)).toMatchObject({
      DATA_SINK_BATCH_SIZE: String(SINK.batchSize.default),
      DATA_SINK_COMMIT_INTERVAL: '5',
      SINK_GROUP_ID: 'ns1.p1-sink',
    });
    // POD_NAME comes first: Kubernetes expands $(POD_NAME) only from variables defined before.
    expect(c.env[0]!.name).toBe('POD_NAME');
  });

  it('each workload is built from workloadProcess, the one function the end-to-end test runs', () => {
    const p = pipeline();
    for (const stage of stagesOf(p)) {
      const c = containerOf(workload(stage, p));
      const process = workloadProcess(stage, p);
      expect([...c.command, ...c.args]).toEqual(process.command);
      expect(c.env).toEqual(process.env);
    }
  });

  it('a spec change rolls exactly the workloads whose container changed (pod-template config hash)', () => {
    const hash = (p: IoTPipeline, stage: 'adapter' | 'sink') => {
      const template = workload(stage, p).spec.template as {
        metadata: { annotations: Record<string, string> };
      };
      return template.metadata.annotations[CONFIG_HASH_ANNOTATION];
    };
    const before = pipeline();
    const after = pipeline({ sink: { databaseSecret: { name: 'db', key: 'uri' }, batchSize: 10 } });
    expect(hash(after, 'sink')).not.toBe(hash(before, 'sink'));
    expect(hash(after, 'adapter')).toBe(hash(before, 'adapter'));
    expect(hash(pipeline(), 'sink')).toBe(hash(before, 'sink'));
  });

  it('resolves names that default from other fields', () => {
    expect(
      resolveNames(pipeline({ kafka: { topic: 'x', dlqTopic: 'y', bootstrapServers: 'k:1' } })),
    ).toMatchObject({
      topic: 'x',
      dlqTopic: 'y',
      subject: 'x-value',
      bootstrapServers: 'k:1',
    });
  });
});
