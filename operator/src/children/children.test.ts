import { describe, expect, it } from 'vitest';
import { NODE_PROCESS_STARTUP, SINK } from '@iotpipe/contract';
import { defaultedSpec, type IoTPipeline } from '../crd/iotpipeline.js';
import {
  CHILD_KINDS,
  desiredChildren,
  kafkaUser,
  staleChildren,
  stageDisruptionBudget,
  stageNetworkPolicy,
  urlPort,
  desiredReplicas,
  governingService,
  kafkaTopics,
  podLabelMeta,
  removedStages,
  serviceMonitor,
  stagesOf,
  supersededWorkloads,
  workload,
} from './desired.js';
import { CONFIG_HASH_ANNOTATION, FIELD_MANAGER, PIPELINE_LABEL, resolveNames, type Stage } from './names.js';
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
  it('are two KafkaTopics, a KafkaUser, the adapter StatefulSet and its Service, a Deployment per other stage, a NetworkPolicy per stage, a metrics Service, a ServiceMonitor and a PrometheusRule, all owned', () => {
    const children = desiredChildren(pipeline());
    expect(children.map((c) => `${c.kind}/${c.metadata.name}`)).toEqual([
      'KafkaTopic/p1-topic',
      'KafkaTopic/p1-dlq',
      'KafkaUser/p1-kafka',
      'Service/p1-adapter',
      'StatefulSet/p1-adapter',
      'NetworkPolicy/p1-adapter',
      'Deployment/p1-sink',
      'NetworkPolicy/p1-sink',
      'Deployment/p1-processor',
      'NetworkPolicy/p1-processor',
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

  it("passes the gateways' Ruuvi topic prefix to the adapter", () => {
    const p = pipeline({ mqtt: { ruuviTopicPrefix: 'home/ruuvi', topicFilters: ['home/ruuvi/+/+'] } });
    expect(envOf(containerOf(workload('adapter', p))).ADAPTER_RUUVI_TOPIC_PREFIX).toBe('home/ruuvi');
  });

  it('each Deployment runs `node workloads/dist/cli.js <stage>` with env from the spec, secrets by reference', () => {
    const p = pipeline({ mqtt: { credentialsSecret: { name: 'mqtt' }, topicFilters: ['a/#'] } });
    const c = containerOf(workload('adapter', p));
    expect([...c.command, ...c.args]).toEqual(['node', 'workloads/dist/cli.js', 'adapter']);
    const env = envOf(c);
    expect(env).toMatchObject({
      KAFKA_TOPIC: 'readings',
      KAFKA_DLQ_TOPIC: 'readings-dlq',
      KAFKA_BOOTSTRAP_SERVERS: 'iotpipe-kafka-bootstrap:9093',
      ADAPTER_SUBSCRIPTIONS: 'a/#',
      ADAPTER_RUUVI_TOPIC_PREFIX: 'ruuvi',
      ADAPTER_SHARED_GROUP: '-',
      ADAPTER_MQTT_CLIENT_ID: 'ns1.$(POD_NAME)',
    });
    expect(c.env.find((e) => e.name === 'MQTT_USERNAME')).toEqual({
      name: 'MQTT_USERNAME',
      valueFrom: { secretKeyRef: { name: 'mqtt', key: 'username' } },
    });
    // Passwords are files the kubelet writes from the Secrets (a rotation reaches the next
    // connection); no password is in the environment.
    expect(env).toMatchObject({
      MQTT_PASSWORD_FILE: '/var/run/iotpipe/secrets/mqtt/password',
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'p1-kafka',
      KAFKA_SASL_PASSWORD_FILE: '/var/run/iotpipe/secrets/kafka/password',
      KAFKA_SSL_CA_FILE: '/var/run/iotpipe/secrets/kafka/ca.crt',
    });
    expect(c.env.some((e) => /PASSWORD$/.test(e.name))).toBe(false);
    const sink = containerOf(workload('sink', p));
    expect(sink.env.find((e) => e.name === 'DATABASE_URL')).toEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'db', key: 'uri' } },
    });
    expect(sink.env.find((e) => e.name === 'POSTGRES_SSLMODE')).toEqual({
      name: 'POSTGRES_SSLMODE',
      valueFrom: { secretKeyRef: { name: 'db', key: 'sslmode', optional: true } },
    });
    expect(envOf(sink)).toMatchObject({
      DATA_SINK_BATCH_SIZE: String(SINK.batchSize.default),
      DATA_SINK_COMMIT_INTERVAL: '5',
      SINK_GROUP_ID: 'ns1.p1-sink',
      POSTGRES_SSLROOTCERT: '/var/run/iotpipe/secrets/database/ca.crt',
    });
    // Without spec.sink.databaseSecret.passwordKey the URL carries the password: no file.
    expect(envOf(sink)).not.toHaveProperty('POSTGRES_PASSWORD_FILE');
    // POD_NAME comes first: Kubernetes expands $(POD_NAME) only from variables defined before.
    expect(c.env[0]!.name).toBe('POD_NAME');
  });

  it('mounts exactly the Secret files its settings name, read-only, 0440: the KafkaUser password and the cluster CA, the MQTT password (and CA for mqtts), the database password and CA', () => {
    type Source = {
      secret: { name: string; items: Array<{ key: string; path: string }>; optional?: boolean };
    };
    type Pod = {
      volumes?: Array<{ name: string; projected: { sources: Source[]; defaultMode: number } }>;
      containers: Array<{ volumeMounts?: Array<{ name: string; mountPath: string; readOnly: boolean }> }>;
    };
    const podOf = (stage: Stage, p: IoTPipeline) => (workload(stage, p).spec.template as { spec: Pod }).spec;
    const sourcesOf = (stage: Stage, p: IoTPipeline) => podOf(stage, p).volumes?.[0]?.projected.sources;
    const p = pipeline({
      mqtt: { credentialsSecret: { name: 'mqtt' } },
      sink: { databaseSecret: { name: 'db', key: 'address', passwordKey: 'pw' } },
      simulator: {},
    });
    const kafka: Source[] = [
      { secret: { name: 'p1-kafka', items: [{ key: 'password', path: 'kafka/password' }] } },
      { secret: { name: 'iotpipe-cluster-ca-cert', items: [{ key: 'ca.crt', path: 'kafka/ca.crt' }] } },
    ];
    const adapter = podOf('adapter', p);
    expect(adapter.volumes).toEqual([
      {
        name: 'secrets',
        projected: {
          defaultMode: 0o440,
          sources: [
            ...kafka,
            { secret: { name: 'mqtt', items: [{ key: 'password', path: 'mqtt/password' }] } },
          ],
        },
      },
    ]);
    expect(adapter.containers[0]!.volumeMounts).toEqual([
      { name: 'secrets', mountPath: '/var/run/iotpipe/secrets', readOnly: true },
    ]);
    expect(sourcesOf('simulator', p)).toEqual([
      { secret: { name: 'mqtt', items: [{ key: 'password', path: 'mqtt/password' }] } },
    ]);
    expect(sourcesOf('processor', p)).toEqual(kafka);
    // The sink: its password required, the CA optional (a Secret without TLS keys still mounts).
    expect(sourcesOf('sink', p)).toEqual([
      ...kafka,
      { secret: { name: 'db', items: [{ key: 'pw', path: 'database/password' }] } },
      { secret: { name: 'db', items: [{ key: 'ca.crt', path: 'database/ca.crt' }], optional: true } },
    ]);
    const sink = containerOf(workload('sink', p));
    expect(envOf(sink)).toMatchObject({
      POSTGRES_PASSWORD_FILE: '/var/run/iotpipe/secrets/database/password',
    });
    expect(sink.env.find((e) => e.name === 'DATABASE_URL')).toEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'db', key: 'address' } },
    });
    // An mqtts:// broker is checked against the credentials Secret's ca.crt.
    const tls = pipeline({
      mqtt: { brokerUrl: 'mqtts://mosquitto:8883', credentialsSecret: { name: 'mqtt' } },
    });
    expect(sourcesOf('adapter', tls)?.[2]).toEqual({
      secret: {
        name: 'mqtt',
        items: [
          { key: 'password', path: 'mqtt/password' },
          { key: 'ca.crt', path: 'mqtt/ca.crt' },
        ],
      },
    });
    expect(envOf(containerOf(workload('adapter', tls))).MQTT_CA_FILE).toBe(
      '/var/run/iotpipe/secrets/mqtt/ca.crt',
    );
    expect(envOf(containerOf(workload('adapter', p)))).not.toHaveProperty('MQTT_CA_FILE');
  });

  it('no stage has a password in its environment, whatever the spec', () => {
    const p = pipeline({
      mqtt: { brokerUrl: 'mqtts://mosquitto:8883', credentialsSecret: { name: 'mqtt' } },
      sink: { databaseSecret: { name: 'db', key: 'address', passwordKey: 'password' } },
      simulator: {},
    });
    for (const stage of stagesOf(p)) {
      const { env } = workloadProcess(stage, p);
      const names = env.map((e) => e.name);
      expect(
        names.filter((n) => /PASSWORD$/.test(n)),
        stage,
      ).toEqual([]);
      for (const e of env)
        if (e.valueFrom && 'secretKeyRef' in e.valueFrom)
          expect(['username', 'address', 'sslmode'], `${stage} ${e.name}`).toContain(
            e.valueFrom.secretKeyRef.key,
          );
    }
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

  it('a serving stage is probed on its metrics port, liveness only once it has started', () => {
    const p = pipeline({ simulator: {} });
    type Probe = { httpGet: { path: string; port: string }; periodSeconds: number; failureThreshold: number };
    for (const stage of stagesOf(p)) {
      const c = containerOf(workload(stage, p)) as Container & {
        startupProbe?: Probe;
        livenessProbe?: Probe;
        readinessProbe?: Probe;
      };
      if (workloadProcess(stage, p).metricsPort === null) {
        expect([c.startupProbe, c.livenessProbe, c.readinessProbe], stage).toEqual([
          undefined,
          undefined,
          undefined,
        ]);
        continue;
      }
      expect(c.startupProbe, stage).toEqual({
        httpGet: { path: '/healthz', port: 'metrics' },
        ...NODE_PROCESS_STARTUP,
      });
      expect(c.livenessProbe?.httpGet, stage).toEqual({ path: '/healthz', port: 'metrics' });
      expect(c.readinessProbe?.httpGet, stage).toEqual({ path: '/readyz', port: 'metrics' });
    }
    expect(stagesOf(p)).toContain('simulator');
  });

  it("the ServiceMonitor labels each stage's series job iotpipe-<stage> and pipeline <name>, as rules and dashboards filter", () => {
    const [endpoint] = (serviceMonitor(pipeline()).spec as { endpoints: Array<{ relabelings: unknown[] }> })
      .endpoints;
    expect(endpoint!.relabelings).toEqual([
      {
        sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_component'],
        targetLabel: 'job',
        replacement: 'iotpipe-$1',
      },
      { sourceLabels: ['__meta_kubernetes_pod_label_iotpipe_io_pipeline'], targetLabel: 'pipeline' },
    ]);
    expect(podLabelMeta(PIPELINE_LABEL)).toBe('__meta_kubernetes_pod_label_iotpipe_io_pipeline');
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

type PodSpec = {
  automountServiceAccountToken: boolean;
  enableServiceLinks: boolean;
  securityContext: Record<string, unknown>;
  containers: Array<{ resources: unknown; securityContext: Record<string, unknown> }>;
};
const podSpecOf = (obj: { spec: Record<string, unknown> }) => (obj.spec.template as { spec: PodSpec }).spec;

describe('the pods an IoTPipeline runs', () => {
  it('mount no service-account token, run non-root under RuntimeDefault seccomp, and have default resources', () => {
    const p = pipeline({ simulator: {} });
    for (const stage of stagesOf(p)) {
      const pod = podSpecOf(workload(stage, p));
      expect(pod.automountServiceAccountToken, stage).toBe(false);
      expect(pod.enableServiceLinks, stage).toBe(false);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.containers[0]!.securityContext).toEqual({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(pod.containers[0]!.resources).toEqual({
        requests: { cpu: '100m', memory: '128Mi' },
        limits: { memory: '512Mi' },
      });
    }
    const custom = pipeline({
      resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } },
    });
    expect(podSpecOf(workload('sink', custom)).containers[0]!.resources).toEqual({
      requests: { cpu: '1', memory: '1Gi' },
      limits: { memory: '2Gi' },
    });
  });

  it('a stage with several replicas gets a PodDisruptionBudget; scaled to one, it is stale', () => {
    const two = pipeline({ adapter: { replicas: 2 } });
    expect(stageDisruptionBudget('adapter', two)).toMatchObject({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'p1-adapter', namespace: 'ns1' },
      spec: {
        maxUnavailable: 1,
        selector: { matchLabels: { [PIPELINE_LABEL]: 'p1', 'app.kubernetes.io/component': 'adapter' } },
      },
    });
    expect(desiredChildren(two).map((c) => `${c.kind}/${c.metadata.name}`)).toContain(
      'PodDisruptionBudget/p1-adapter',
    );
    expect(stageDisruptionBudget('sink', two)).toBeUndefined();
    const stale = (p: IoTPipeline) => staleChildren(p).map((c) => `${c.kind.kind}/${c.name}`);
    expect(stale(two)).not.toContain('PodDisruptionBudget/p1-adapter');
    expect(stale(pipeline())).toEqual(
      expect.arrayContaining([
        'PodDisruptionBudget/p1-adapter',
        'Deployment/p1-simulator',
        'NetworkPolicy/p1-simulator',
      ]),
    );
    expect(stale(pipeline({ processor: { enabled: false } }))).toEqual(
      expect.arrayContaining([
        'Deployment/p1-processor',
        'NetworkPolicy/p1-processor',
        'PodDisruptionBudget/p1-processor',
      ]),
    );
    // Nothing desired is stale.
    const desired = new Set(desiredChildren(two).map((c) => `${c.kind}/${c.metadata.name}`));
    for (const s of stale(two)) expect(desired.has(s), s).toBe(false);
  });

  it('each stage reaches only what it uses: Kafka brokers of its cluster, the registry, MQTT, the database; Prometheus scrapes it', () => {
    type Rule = { to?: unknown[]; from?: unknown[]; ports: Array<{ port: number; protocol: string }> };
    const p = pipeline({ simulator: {}, kafka: { topic: 'readings', cluster: 'kc' } });
    const policy = (stage: Stage) =>
      stageNetworkPolicy(stage, p).spec as {
        podSelector: unknown;
        ingress: Rule[];
        egress: Rule[];
        policyTypes: string[];
      };
    const ports = (rules: Rule[]) => rules.slice(1).map((r) => r.ports.map((x) => x.port));
    const brokers = {
      podSelector: {
        matchLabels: {
          'strimzi.io/cluster': 'kc',
          'strimzi.io/kind': 'Kafka',
          'strimzi.io/broker-role': 'true',
        },
      },
    };
    const kafkaPort = Number(resolveNames(p).bootstrapServers.split(':')[1]);
    expect(policy('adapter').policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy('adapter').egress[1]).toEqual({
      to: [brokers],
      ports: [{ protocol: 'TCP', port: kafkaPort }],
    });
    expect(ports(policy('adapter').egress)).toEqual([[kafkaPort], [8080], [1883]]);
    expect(ports(policy('sink').egress)).toEqual([[kafkaPort], [8080], [5432]]);
    expect(ports(policy('processor').egress)).toEqual([[kafkaPort], [8080]]);
    expect(ports(policy('simulator').egress)).toEqual([[1883]]);
    // Every egress list starts with cluster DNS.
    for (const stage of stagesOf(p)) expect(JSON.stringify(policy(stage).egress[0])).toContain('kube-dns');
    expect(policy('sink').ingress).toEqual([
      {
        from: [
          { namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
        ],
        ports: [{ protocol: 'TCP', port: 8003 }],
      },
    ]);
    expect(policy('simulator').ingress).toEqual([]);
    expect(policy('sink').podSelector).toEqual({
      matchLabels: { [PIPELINE_LABEL]: 'p1', 'app.kubernetes.io/component': 'sink' },
    });
    expect(urlPort('mqtts://broker')).toBe(8883);
    expect(urlPort('https://registry/apis')).toBe(443);
    expect(urlPort('mqtt://m:31883')).toBe(31883);
  });

  it('the KafkaUser may use exactly the topic, DLQ, alerts topic and consumer groups of its pipeline', () => {
    const user = kafkaUser(pipeline());
    expect(user.metadata).toMatchObject({ name: 'p1-kafka', labels: { 'strimzi.io/cluster': 'iotpipe' } });
    expect(user.spec).toEqual({
      authentication: { type: 'scram-sha-512' },
      authorization: {
        type: 'simple',
        acls: [
          {
            resource: { type: 'topic', name: 'readings', patternType: 'literal' },
            operations: ['Describe', 'Read', 'Write'],
            host: '*',
          },
          {
            resource: { type: 'topic', name: 'readings-dlq', patternType: 'literal' },
            operations: ['Describe', 'Write'],
            host: '*',
          },
          {
            resource: { type: 'topic', name: 'iot-alerts', patternType: 'literal' },
            operations: ['Describe', 'Write'],
            host: '*',
          },
          {
            resource: { type: 'group', name: 'ns1.p1-', patternType: 'prefix' },
            operations: ['Describe', 'Read'],
            host: '*',
          },
        ],
      },
    });
    // Every consumer group a stage uses lies in the granted prefix.
    const names = resolveNames(pipeline());
    for (const group of [names.sinkGroup, names.processorGroup])
      expect(group.startsWith('ns1.p1-')).toBe(true);
    const explicit = kafkaUser(
      pipeline({ sink: { databaseSecret: { name: 'db', key: 'uri' }, consumerGroup: 'legacy' } }),
    );
    expect(JSON.stringify(explicit.spec)).toContain(
      '{"type":"group","name":"legacy","patternType":"literal"}',
    );
    const noProcessor = kafkaUser(pipeline({ processor: { enabled: false } }));
    expect(JSON.stringify(noProcessor.spec)).not.toContain('iot-alerts');
    expect(CHILD_KINDS.map((k) => k.kind)).toEqual(
      expect.arrayContaining(['KafkaUser', 'NetworkPolicy', 'PodDisruptionBudget']),
    );
  });
});
