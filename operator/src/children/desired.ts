/**
 * The children an IoTPipeline owns, as the objects the operator server-side applies. Pure: the
 * same pipeline gives the same objects (level-based reconcile, stable apply, no spurious rollouts).
 */
import type { IoTPipeline } from '../crd/iotpipeline.js';
import {
  CONFIG_HASH_ANNOTATION,
  childName,
  kafkaUserName,
  ownerReference,
  PIPELINE_LABEL,
  pipelineLabels,
  resolveNames,
  stableHash,
  type Stage,
} from './names.js';
import { workloadProcess } from './workload.js';
import { resolveTopics, type TopicUse } from './topics.js';
import {
  ANYWHERE,
  CONNECTION,
  disruptionBudget,
  networkPolicy,
  NODE_PROCESS_STARTUP,
  podsWith,
  PROMETHEUS_PEER,
  workloadObject,
  type ContainerInput,
  type KubeObject,
  type NetworkRule,
} from '@iotpipe/contract';

/** PostgreSQL's port: the database URL is in a Secret the operator does not read. */
const DATABASE_PORT = CONNECTION.postgresPort.default;

/** An object to apply: only the fields the operator owns. */
export interface ChildObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences: Array<ReturnType<typeof ownerReference>>;
  };
  spec: Record<string, unknown>;
}

export const KAFKA_TOPIC = {
  apiVersion: 'kafka.strimzi.io/v1',
  kind: 'KafkaTopic',
  plural: 'kafkatopics',
} as const;
export const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' } as const;
export const STATEFUL_SET = { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets' } as const;
export const SERVICE = { apiVersion: 'v1', kind: 'Service', plural: 'services' } as const;
export const SERVICE_MONITOR = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
  plural: 'servicemonitors',
} as const;
export const PROMETHEUS_RULE = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  plural: 'prometheusrules',
} as const;
export const NETWORK_POLICY = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
} as const;
export const POD_DISRUPTION_BUDGET = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  plural: 'poddisruptionbudgets',
} as const;
export const KAFKA_USER = {
  apiVersion: 'kafka.strimzi.io/v1',
  kind: 'KafkaUser',
  plural: 'kafkausers',
} as const;
/** Every kind the operator owns (it watches each, to put back what is changed by hand). */
export const CHILD_KINDS = [
  KAFKA_TOPIC,
  KAFKA_USER,
  DEPLOYMENT,
  STATEFUL_SET,
  SERVICE,
  SERVICE_MONITOR,
  PROMETHEUS_RULE,
  NETWORK_POLICY,
  POD_DISRUPTION_BUDGET,
] as const;
/** The kinds a stage's pods run under. */
export const WORKLOAD_KINDS = [DEPLOYMENT, STATEFUL_SET] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

function meta(pipeline: IoTPipeline, name: string, extraLabels: Record<string, string> = {}) {
  return {
    name,
    namespace: pipeline.metadata.namespace,
    labels: { ...pipelineLabels(pipeline), ...extraLabels },
    ownerReferences: [ownerReference(pipeline)],
  };
}

/** Alerts: a few partitions (processors of several replicas write there), kept 30 days. */
const ALERTS_PARTITIONS = 3;
const ALERTS_RETENTION_MS = 2_592_000_000;

/**
 * The KafkaTopics the pipeline owns: of `uses` (topics.ts; by default the readings topic and the
 * DLQ, as when no other KafkaTopic holds them), those it owns.
 */
export function kafkaTopics(
  pipeline: IoTPipeline,
  uses: readonly TopicUse[] = defaultTopicUses(pipeline),
): ChildObject[] {
  const { kafka } = pipeline.spec;
  const config = {
    'min.insync.replicas': kafka.minInSyncReplicas,
    'retention.ms': kafka.retentionMs,
  };
  const topic = (name: string, topicName: string, partitions: number, topicConfig = config): ChildObject => ({
    ...KAFKA_TOPIC_TYPE,
    metadata: meta(pipeline, name, { 'strimzi.io/cluster': kafka.cluster }),
    spec: { topicName, partitions, replicas: kafka.replicas, config: topicConfig },
  });
  return uses.flatMap((use) => {
    if (use.use !== 'owned') return [];
    switch (use.role) {
      case 'topic':
        return [topic(use.kafkaTopic, use.topicName, kafka.partitions)];
      case 'dlq':
        // Dead letters are rare: one partition keeps their order and costs nothing.
        return [topic(use.kafkaTopic, use.topicName, 1)];
      case 'alerts':
        return [
          topic(use.kafkaTopic, use.topicName, ALERTS_PARTITIONS, {
            ...config,
            'retention.ms': ALERTS_RETENTION_MS,
          }),
        ];
    }
  });
}

/** The pipeline's topics when nothing else holds them (unit tests, the e2e suite). */
export function defaultTopicUses(pipeline: IoTPipeline): TopicUse[] {
  return resolveTopics(pipeline, () => []);
}

const KAFKA_TOPIC_TYPE = { apiVersion: KAFKA_TOPIC.apiVersion, kind: KAFKA_TOPIC.kind };

export function stagesOf(pipeline: IoTPipeline): Stage[] {
  const stages: Stage[] = ['adapter', 'sink'];
  if (pipeline.spec.processor.enabled) stages.push('processor');
  if (pipeline.spec.simulator) stages.push('simulator');
  return stages;
}

function replicasOf(stage: Stage, pipeline: IoTPipeline): number {
  const { spec } = pipeline;
  switch (stage) {
    case 'adapter':
      return spec.adapter.replicas;
    case 'sink':
      return spec.sink.replicas;
    case 'processor':
      return spec.processor.replicas;
    case 'simulator':
      return 1;
  }
}

/**
 * The adapter runs as a StatefulSet: its MQTT session is persistent (clean start off, a session
 * expiry) and its client id is the pod name, so only a stable pod name (`<name>-adapter-0`, ...)
 * lets a restarted replica resume its session and receive the QoS 1 messages whose PUBACK it held
 * (up to ADAPTER_MAX_IN_FLIGHT) and those Mosquitto queued for it while it was away. A Deployment's
 * new pod gets a new random name, and those messages would wait in the orphaned session until it
 * expired. The other stages keep no per-pod state (Kafka consumer groups, the simulator): Deployments.
 */
export function workloadKind(stage: Stage): WorkloadKind {
  return stage === 'adapter' ? STATEFUL_SET : DEPLOYMENT;
}

/** The image's `node` user (workloads/Dockerfile); numeric so the kubelet can check runAsNonRoot. */
export const WORKLOADS_UID = 1000;

/** The labels that select one stage's pods (Service, PDB, NetworkPolicy, workload selector). */
export function stageSelector(stage: Stage, pipeline: IoTPipeline): Record<string, string> {
  return { [PIPELINE_LABEL]: pipeline.metadata.name, 'app.kubernetes.io/component': stage };
}

/** The Deployment or StatefulSet (see {@link workloadKind}) that runs a stage. */
export function workload(stage: Stage, pipeline: IoTPipeline): ChildObject {
  const process = workloadProcess(stage, pipeline);
  const selector = stageSelector(stage, pipeline);
  const container: ContainerInput = {
    name: stage,
    image: pipeline.spec.image,
    ...(pipeline.spec.imagePullPolicy ? { imagePullPolicy: pipeline.spec.imagePullPolicy } : {}),
    workingDir: '/app',
    command: process.command.slice(0, 1),
    args: process.command.slice(1),
    env: process.env,
    volumeMounts: process.volumeMounts,
    ...(process.metricsPort === null
      ? {}
      : {
          ports: [{ name: 'metrics', containerPort: process.metricsPort, protocol: 'TCP' as const }],
          // The liveness probe counts only once the process answers (NODE_PROCESS_STARTUP).
          startupProbe: { httpGet: { path: '/healthz', port: 'metrics' }, ...NODE_PROCESS_STARTUP },
          livenessProbe: {
            httpGet: { path: '/healthz', port: 'metrics' },
            periodSeconds: 10,
            failureThreshold: 6,
          },
          readinessProbe: { httpGet: { path: '/readyz', port: 'metrics' }, periodSeconds: 5 },
        }),
    ...(pipeline.spec.resources ? { resources: pipeline.spec.resources } : {}),
  };
  // A change of what this stage runs (image, command, env, resources) changes the pod template,
  // so the workload rolls; changes that do not concern this stage leave its pods alone.
  const configHash = stableHash({ container, volumes: process.volumes });
  const kind = workloadKind(stage);
  const built = workloadObject({
    kind: kind.kind,
    metadata: { name: childName(pipeline, stage), namespace: pipeline.metadata.namespace },
    selector,
    replicas: replicasOf(stage, pipeline),
    podLabels: pipelineLabels(pipeline),
    podAnnotations: { [CONFIG_HASH_ANNOTATION]: configHash },
    containers: [container],
    volumes: process.volumes,
    runAs: { user: WORKLOADS_UID },
    terminationGracePeriodSeconds: 30,
    // The stages talk to Kafka, the registry, MQTT and PostgreSQL, never to the API server.
    serviceAccountToken: false,
    ...(kind === STATEFUL_SET && {
      statefulSet: {
        // The governing Service (pod DNS names); selector, serviceName and
        // podManagementPolicy are immutable, so they depend on nothing in the spec.
        serviceName: childName(pipeline, stage),
        // The replicas share the messages through a shared subscription and do not depend on
        // one another: start, restart and scale them all at once, not one by one in order.
        podManagementPolicy: 'Parallel' as const,
      },
    }),
  });
  return {
    apiVersion: built.apiVersion,
    kind: built.kind,
    metadata: meta(pipeline, childName(pipeline, stage), { 'app.kubernetes.io/component': stage }),
    spec: built['spec'] as Record<string, unknown>,
  };
}

/** A child made by the shared builder, with the pipeline's metadata (labels, owner). */
function owned(pipeline: IoTPipeline, stage: Stage, built: KubeObject | undefined): ChildObject | undefined {
  if (!built) return undefined;
  return {
    apiVersion: built.apiVersion,
    kind: built.kind,
    metadata: meta(pipeline, built.metadata.name, { 'app.kubernetes.io/component': stage }),
    spec: built['spec'] as Record<string, unknown>,
  };
}

/** A PodDisruptionBudget for a stage with several replicas (none for one). */
export function stageDisruptionBudget(stage: Stage, pipeline: IoTPipeline): ChildObject | undefined {
  return owned(
    pipeline,
    stage,
    disruptionBudget(
      { name: childName(pipeline, stage) },
      stageSelector(stage, pipeline),
      replicasOf(stage, pipeline),
    ),
  );
}

/** The port a URL names, or its scheme's default. */
export function urlPort(url: string): number {
  const u = new URL(url);
  if (u.port !== '') return Number(u.port);
  const byScheme: Record<string, number> = {
    'http:': 80,
    'https:': 443,
    'mqtt:': 1883,
    'tcp:': 1883,
    'mqtts:': 8883,
    'ssl:': 8883,
    'ws:': 80,
    'wss:': 443,
  };
  const port = byScheme[u.protocol];
  if (port === undefined) throw new Error(`no default port for ${u.protocol} (${url})`);
  return port;
}

/**
 * A service the pipeline names only by URL (the registry, MQTT) or not at all (the database,
 * whose URL is in a Secret the operator never reads): any pod or address, on its port only.
 * The platform's own policies decide who may connect to them.
 */
function onPort(port: number): NetworkRule {
  return { peers: [{ namespaceSelector: {} }, ANYWHERE], ports: [port] };
}

/** The brokers of the Strimzi cluster the pipeline names, or any address on a custom bootstrap's ports. */
function kafkaEgress(pipeline: IoTPipeline): NetworkRule {
  const ports = [
    ...new Set(
      resolveNames(pipeline)
        .bootstrapServers.split(',')
        .map((hostPort) => Number(hostPort.slice(hostPort.lastIndexOf(':') + 1))),
    ),
  ];
  if (pipeline.spec.kafka.bootstrapServers !== undefined) return { ...onPort(ports[0]!), ports };
  return {
    peers: [
      podsWith({
        'strimzi.io/cluster': pipeline.spec.kafka.cluster,
        'strimzi.io/kind': 'Kafka',
        'strimzi.io/broker-role': 'true',
      }),
    ],
    ports,
  };
}

/**
 * A stage's allow-list (under the namespace's default deny): Prometheus scrapes its metrics
 * port; it reaches what its settings name and nothing else: Kafka (adapter, sink, processor),
 * the registry (the same three), MQTT (adapter, simulator), PostgreSQL (sink).
 */
export function stageNetworkPolicy(stage: Stage, pipeline: IoTPipeline): ChildObject {
  const { spec } = pipeline;
  const process = workloadProcess(stage, pipeline);
  const kafka = kafkaEgress(pipeline);
  const registry = onPort(urlPort(spec.schema.registryUrl));
  const mqtt = onPort(urlPort(spec.mqtt.brokerUrl));
  const egress: Record<Stage, NetworkRule[]> = {
    adapter: [kafka, registry, mqtt],
    sink: [kafka, registry, onPort(DATABASE_PORT)],
    processor: [kafka, registry],
    simulator: [mqtt],
  };
  const ingress: NetworkRule[] =
    process.metricsPort === null ? [] : [{ peers: [PROMETHEUS_PEER], ports: [process.metricsPort] }];
  return owned(
    pipeline,
    stage,
    networkPolicy(
      { name: childName(pipeline, stage) },
      { matchLabels: stageSelector(stage, pipeline) },
      ingress,
      egress[stage],
    ),
  )!;
}

/**
 * The headless Service governing a StatefulSet (its `serviceName`). No ports: the metrics
 * Service already exposes every workload's port for the ServiceMonitor, which selects Services
 * by the pipeline label and would otherwise scrape the adapter twice.
 */
export function governingService(stage: Stage, pipeline: IoTPipeline): ChildObject {
  return {
    apiVersion: SERVICE.apiVersion,
    kind: SERVICE.kind,
    metadata: meta(pipeline, childName(pipeline, stage), { 'app.kubernetes.io/component': stage }),
    spec: {
      clusterIP: 'None',
      selector: { [PIPELINE_LABEL]: pipeline.metadata.name, 'app.kubernetes.io/component': stage },
    },
  };
}

/** A headless Service over every workload's `metrics` port, for the ServiceMonitor. */
export function metricsService(pipeline: IoTPipeline): ChildObject {
  return {
    apiVersion: SERVICE.apiVersion,
    kind: SERVICE.kind,
    metadata: meta(pipeline, childName(pipeline, 'metrics')),
    spec: {
      clusterIP: 'None',
      selector: { [PIPELINE_LABEL]: pipeline.metadata.name },
      ports: [{ name: 'metrics', port: 8000, targetPort: 'metrics', protocol: 'TCP' }],
    },
  };
}

/** The name Prometheus's Kubernetes discovery gives a pod label (`__meta_kubernetes_pod_label_<name>`). */
export function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/**
 * Scrapes every stage's metrics port. Each series gets the labels the rules and dashboards filter
 * on (monitoring/README.md): `job` iotpipe-<stage>, as the local stack names its jobs, and
 * `pipeline`; Prometheus adds `namespace`.
 */
export function serviceMonitor(pipeline: IoTPipeline): ChildObject {
  return {
    apiVersion: SERVICE_MONITOR.apiVersion,
    kind: SERVICE_MONITOR.kind,
    metadata: meta(pipeline, pipeline.metadata.name),
    spec: {
      selector: { matchLabels: { [PIPELINE_LABEL]: pipeline.metadata.name } },
      endpoints: [
        {
          port: 'metrics',
          path: '/metrics',
          interval: '15s',
          relabelings: [
            {
              sourceLabels: [podLabelMeta('app.kubernetes.io/component')],
              targetLabel: 'job',
              replacement: 'iotpipe-$1',
            },
            { sourceLabels: [podLabelMeta(PIPELINE_LABEL)], targetLabel: 'pipeline' },
          ],
        },
      ],
    },
  };
}

/**
 * The pipeline's alerting rules. A seam: the alerting issue fills in the real rule groups; for
 * now one rule says when a workload of the pipeline stops being scraped.
 */
export function pipelineRuleGroups(pipeline: IoTPipeline): Array<Record<string, unknown>> {
  const { name, namespace } = pipeline.metadata;
  return [
    {
      name: `iotpipe.${namespace}.${name}`,
      rules: [
        {
          alert: 'IoTPipelineWorkloadDown',
          expr: `up{namespace="${namespace}", service="${childName(pipeline, 'metrics')}"} == 0`,
          for: '5m',
          labels: { severity: 'warning', pipeline: name },
          annotations: { summary: `A workload of IoTPipeline ${namespace}/${name} is down` },
        },
      ],
    },
  ];
}

export function prometheusRule(pipeline: IoTPipeline): ChildObject {
  return {
    apiVersion: PROMETHEUS_RULE.apiVersion,
    kind: PROMETHEUS_RULE.kind,
    metadata: meta(pipeline, pipeline.metadata.name),
    spec: { groups: pipelineRuleGroups(pipeline) },
  };
}

/**
 * The pipeline's Kafka principal (Strimzi's user operator makes it and its Secret, of the same
 * name, with the SCRAM-SHA-512 password the workloads read): ACLs for exactly the pipeline's
 * topic (read, write), DLQ and alerts topic (write) and its consumer groups (the prefix
 * `<namespace>.<name>-`, and spec.sink.consumerGroup when set). Nothing else: no create, no
 * delete, no other topic, no cluster operation.
 */
export function kafkaUser(pipeline: IoTPipeline): ChildObject {
  const names = resolveNames(pipeline);
  const acl = (
    type: 'topic' | 'group',
    name: string,
    patternType: 'literal' | 'prefix',
    operations: string[],
  ) => ({
    resource: { type, name, patternType },
    operations,
    host: '*',
  });
  const groups = [acl('group', groupPrefix(pipeline), 'prefix', ['Describe', 'Read'])];
  if (pipeline.spec.sink.consumerGroup !== undefined)
    groups.push(acl('group', pipeline.spec.sink.consumerGroup, 'literal', ['Describe', 'Read']));
  return {
    apiVersion: KAFKA_USER.apiVersion,
    kind: KAFKA_USER.kind,
    metadata: meta(pipeline, kafkaUserName(pipeline), { 'strimzi.io/cluster': pipeline.spec.kafka.cluster }),
    spec: {
      authentication: { type: 'scram-sha-512' },
      authorization: {
        type: 'simple',
        acls: [
          acl('topic', names.topic, 'literal', ['Describe', 'Read', 'Write']),
          acl('topic', names.dlqTopic, 'literal', ['Describe', 'Write']),
          ...(pipeline.spec.processor.enabled
            ? [acl('topic', names.alertsTopic, 'literal', ['Describe', 'Write'])]
            : []),
          ...groups,
        ],
      },
    },
  };
}

/** The consumer groups of the pipeline's stages all start with this (names.ts resolveNames). */
export function groupPrefix(pipeline: IoTPipeline): string {
  return `${pipeline.metadata.namespace}.${pipeline.metadata.name}-`;
}

/**
 * Everything the pipeline owns (its KafkaTopics: those of `uses` it owns). The reconciler applies
 * them all at once: a workload whose topic or Kafka user is not ready yet waits for it and
 * retries on its own.
 */
export function desiredChildren(
  pipeline: IoTPipeline,
  uses: readonly TopicUse[] = defaultTopicUses(pipeline),
): ChildObject[] {
  return [
    ...kafkaTopics(pipeline, uses),
    kafkaUser(pipeline),
    ...stagesOf(pipeline).flatMap((stage) => [
      ...(workloadKind(stage) === STATEFUL_SET ? [governingService(stage, pipeline)] : []),
      workload(stage, pipeline),
      ...[stageDisruptionBudget(stage, pipeline)].filter((c): c is ChildObject => c !== undefined),
      stageNetworkPolicy(stage, pipeline),
    ]),
    metricsService(pipeline),
    serviceMonitor(pipeline),
    prometheusRule(pipeline),
  ];
}

/**
 * What the operator may have made before and the spec no longer wants, by kind and name: the
 * Deployment and NetworkPolicy of a removed stage, and the PodDisruptionBudget of a removed
 * stage or of one scaled to a single replica. The reconciler deletes each it owns.
 */
export function staleChildren(
  pipeline: IoTPipeline,
): Array<{ kind: typeof DEPLOYMENT | typeof NETWORK_POLICY | typeof POD_DISRUPTION_BUDGET; name: string }> {
  const removed = removedStages(pipeline);
  const single = stagesOf(pipeline).filter((s) => stageDisruptionBudget(s, pipeline) === undefined);
  return [
    ...removed.flatMap((stage) => [
      { kind: DEPLOYMENT, name: childName(pipeline, stage) },
      { kind: NETWORK_POLICY, name: childName(pipeline, stage) },
    ]),
    ...[...removed, ...single].map((stage) => ({
      kind: POD_DISRUPTION_BUDGET,
      name: childName(pipeline, stage),
    })),
  ];
}

/** Deployments of stages the spec no longer has (processor disabled, simulator removed). */
export function removedStages(pipeline: IoTPipeline): Stage[] {
  const present = new Set(stagesOf(pipeline));
  return (['processor', 'simulator'] as const).filter((s) => !present.has(s));
}

/**
 * Workloads of an older operator version under a kind the stage no longer runs as: the
 * adapter's Deployment from before it became a StatefulSet. The reconciler deletes each once
 * its replacement has rolled out (so the shared subscription is never left without consumers).
 */
export function supersededWorkloads(pipeline: IoTPipeline): Array<{ stage: Stage; kind: WorkloadKind }> {
  return stagesOf(pipeline)
    .filter((stage) => workloadKind(stage) !== DEPLOYMENT)
    .map((stage) => ({ stage, kind: DEPLOYMENT }));
}

/** Status replicas: desired over all workloads. */
export function desiredReplicas(pipeline: IoTPipeline): number {
  return stagesOf(pipeline).reduce((sum, s) => sum + replicasOf(s, pipeline), 0);
}
