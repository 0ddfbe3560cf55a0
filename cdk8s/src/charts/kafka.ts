/**
 * Kafka through Strimzi 1.x (kafka.strimzi.io/v1): one `Kafka` and one `KafkaNodePool` of three
 * combined controller+broker nodes in KRaft mode, replication 3 with min ISR 2 (a write with
 * acks=all survives one broker down), metrics through Strimzi's metricsConfig with the local
 * stack's JMX exporter rules (one definition), and the shared topics.
 *
 * Security as in Strimzi's secured examples: the only client listener is TLS (certificates from
 * the cluster CA Strimzi makes; clients trust `<cluster>-cluster-ca-cert`) with SCRAM-SHA-512,
 * `authorization: simple` (a principal may do only what its ACLs allow), and the user operator,
 * which turns each `KafkaUser` into a SCRAM principal and a Secret holding its password. The
 * operator makes one per IoTPipeline; the registry's is here. Strimzi's own components use the
 * internal mTLS listeners and are super users.
 */
import { JMX_EXPORTER_RULES } from '@iotpipe/local';
import { Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import {
  Kafka,
  KafkaNodePool,
  KafkaNodePoolSpecResourcesLimits,
  KafkaNodePoolSpecResourcesRequests,
  KafkaNodePoolSpecRoles,
  KafkaNodePoolSpecStorageType,
  KafkaNodePoolSpecStorageVolumesKraftMetadata,
  KafkaNodePoolSpecStorageVolumesType,
  KafkaSpecEntityOperatorTopicOperatorResourcesLimits,
  KafkaSpecEntityOperatorTopicOperatorResourcesRequests,
  KafkaSpecEntityOperatorUserOperatorResourcesLimits,
  KafkaSpecEntityOperatorUserOperatorResourcesRequests,
  KafkaSpecKafkaAuthorizationType,
  KafkaSpecKafkaListenersAuthenticationType,
  KafkaSpecKafkaListenersType,
  KafkaSpecKafkaMetricsConfigType,
  KafkaTopic,
  KafkaUser,
  KafkaUserSpecAuthenticationType,
  KafkaUserSpecAuthorizationAcls,
  KafkaUserSpecAuthorizationType,
} from '../../imports/kafka.strimzi.io.js';
import { PodMonitor } from '../../imports/monitoring.coreos.com.js';
import { networkPolicy } from '@iotpipe/contract';
import { ANYWHERE, API_SERVER_PORTS, pipelinePods, podsNamed, PROMETHEUS_PEER } from '../network.js';
import type { Profile } from '../profiles.js';
import { addObjects, PART_OF } from '../workload.js';

/** The registry's kafkasql consumers take group ids with this prefix (APICURIO_KAFKASQL_CONSUMER_GROUP_PREFIX). */
export const REGISTRY_GROUP_PREFIX = 'apicurio-registry-';
/** The entity operator's `healthcheck` port (its metrics; Strimzi's default). */
const ENTITY_OPERATOR_HEALTH_PORT = 8080;

/** Every Kafka pod (broker or controller) of the cluster. */
function kafkaPods(cluster: string) {
  return { podSelector: { matchLabels: { 'strimzi.io/cluster': cluster, 'strimzi.io/kind': 'Kafka', 'strimzi.io/name': `${cluster}-kafka` } } };
}
import { NAMES, PORTS } from './names.js';

export interface KafkaChartProps extends ChartProps {
  readonly profile: Profile;
}

const CONTAINER_SECURITY = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

/** A resources map in the generated types' quantity class. */
function quantities<Q>(values: Readonly<Record<string, string | undefined>>, make: (v: string) => Q): Record<string, Q> {
  return Object.fromEntries(
    Object.entries(values)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => [k, make(v)]),
  );
}

export class KafkaChart extends Chart {
  constructor(scope: Construct, id: string, props: KafkaChartProps) {
    super(scope, id, props);
    const p = props.profile;
    const cluster = NAMES.kafkaCluster;

    new k8s.KubeConfigMap(this, 'metrics', {
      metadata: { name: NAMES.kafkaMetricsConfigMap, labels: { 'app.kubernetes.io/part-of': PART_OF } },
      data: { [NAMES.kafkaMetricsKey]: JMX_EXPORTER_RULES },
    });

    const replication = Math.min(3, p.kafka.replicas);
    const minIsr = Math.max(1, replication - 1);
    new Kafka(this, 'kafka', {
      metadata: { name: cluster, labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        kafka: {
          listeners: [
            {
              name: 'tls',
              port: PORTS.kafka,
              type: KafkaSpecKafkaListenersType.INTERNAL,
              tls: true,
              authentication: { type: KafkaSpecKafkaListenersAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512 },
              // Strimzi writes the brokers' ingress NetworkPolicy from these peers: the
              // registry and the operator-made stages that use Kafka reach the client port.
              networkPolicyPeers: [podsNamed(NAMES.registry), pipelinePods('adapter', 'sink', 'processor')],
            },
          ],
          authorization: { type: KafkaSpecKafkaAuthorizationType.SIMPLE },
          config: {
            'default.replication.factor': replication,
            'min.insync.replicas': minIsr,
            'offsets.topic.replication.factor': replication,
            'transaction.state.log.replication.factor': replication,
            'transaction.state.log.min.isr': minIsr,
            // Topics exist only as KafkaTopic resources (ours and the operator's).
            'auto.create.topics.enable': false,
          },
          metricsConfig: {
            type: KafkaSpecKafkaMetricsConfigType.JMX_PROMETHEUS_EXPORTER,
            valueFrom: { configMapKeyRef: { name: NAMES.kafkaMetricsConfigMap, key: NAMES.kafkaMetricsKey } },
          },
          template: {
            pod: {
              securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
              ...(p.highAvailability
                ? {
                    affinity: {
                      podAntiAffinity: {
                        preferredDuringSchedulingIgnoredDuringExecution: [
                          {
                            weight: 100,
                            podAffinityTerm: {
                              topologyKey: 'kubernetes.io/hostname',
                              labelSelector: { matchLabels: { 'strimzi.io/cluster': cluster, 'strimzi.io/kind': 'Kafka' } },
                            },
                          },
                        ],
                      },
                    },
                  }
                : {}),
            },
            kafkaContainer: { securityContext: CONTAINER_SECURITY },
            // Strimzi makes a PodDisruptionBudget for the brokers; maxUnavailable 1 keeps ISR 2.
            podDisruptionBudget: { maxUnavailable: 1 },
          },
        },
        entityOperator: {
          topicOperator: {
            resources: {
              requests: quantities(p.kafka.topicOperator.requests, (q) => KafkaSpecEntityOperatorTopicOperatorResourcesRequests.fromString(q)),
              limits: quantities(p.kafka.topicOperator.limits, (q) => KafkaSpecEntityOperatorTopicOperatorResourcesLimits.fromString(q)),
            },
          },
          userOperator: {
            // Strimzi gives the user operator no startup probe, and its liveness probe counts from
            // 10 s on: on the local node a JVM under a 500m limit took longer to listen, and it was
            // killed 3 times in 2 minutes. Up to 2 minutes before liveness can kill it.
            livenessProbe: { initialDelaySeconds: 60, periodSeconds: 10, failureThreshold: 6 },
            resources: {
              requests: quantities(p.kafka.userOperator.requests, (q) => KafkaSpecEntityOperatorUserOperatorResourcesRequests.fromString(q)),
              limits: quantities(p.kafka.userOperator.limits, (q) => KafkaSpecEntityOperatorUserOperatorResourcesLimits.fromString(q)),
            },
          },
          template: {
            pod: { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } },
            topicOperatorContainer: { securityContext: CONTAINER_SECURITY },
            userOperatorContainer: { securityContext: CONTAINER_SECURITY },
          },
        },
      },
    });

    new KafkaNodePool(this, 'pool', {
      metadata: { name: NAMES.kafkaNodePool, labels: { 'strimzi.io/cluster': cluster, 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        replicas: p.kafka.replicas,
        roles: [KafkaNodePoolSpecRoles.CONTROLLER, KafkaNodePoolSpecRoles.BROKER],
        storage: {
          type: KafkaNodePoolSpecStorageType.JBOD,
          volumes: [
            {
              id: 0,
              type: KafkaNodePoolSpecStorageVolumesType.PERSISTENT_HYPHEN_CLAIM,
              size: p.kafka.storage,
              deleteClaim: false,
              kraftMetadata: KafkaNodePoolSpecStorageVolumesKraftMetadata.SHARED,
            },
          ],
        },
        resources: {
          requests: quantities(p.kafka.resources.requests, (q) => KafkaNodePoolSpecResourcesRequests.fromString(q)),
          limits: quantities(p.kafka.resources.limits, (q) => KafkaNodePoolSpecResourcesLimits.fromString(q)),
        },
        jvmOptions: { xms: p.kafka.heap, xmx: p.kafka.heap },
      },
    });

    const topic = (id: string, name: string, partitions: number, config: Record<string, string | number>) =>
      new KafkaTopic(this, id, {
        metadata: { name, labels: { 'strimzi.io/cluster': cluster, 'app.kubernetes.io/part-of': PART_OF } },
        spec: { topicName: name, partitions, replicas: replication, config: { 'min.insync.replicas': minIsr, ...config } },
      });
    // Alerts of every pipeline's processor (spec.processor.alertsTopic defaults to it). Each
    // pipeline's own topic and DLQ are KafkaTopics the operator makes from its IoTPipeline.
    topic('alerts', NAMES.alertsTopic, 3, { 'retention.ms': 2_592_000_000 });
    // The registry's storage (kafkasql): kept forever, one partition keeps the journal's order.
    topic('registry-journal', NAMES.registryJournalTopic, 1, { 'retention.ms': -1, 'cleanup.policy': 'delete' });
    topic('registry-snapshots', NAMES.registrySnapshotsTopic, 1, { 'retention.ms': -1, 'cleanup.policy': 'delete' });
    // Its storage events, one partition for their total order. Missing, the registry's storage
    // stays down for good (UnknownTopicOrPartitionException, seen on the local node), since it
    // may not create topics itself.
    topic('registry-events', NAMES.registryEventsTopic, 1, { 'retention.ms': -1, 'cleanup.policy': 'delete' });

    // The registry's principal: its kafkasql journal and snapshots (it reads both back at start,
    // and its consumers' groups carry the prefix it is given) and its events topic, nothing else.
    const acl = (type: 'topic' | 'group', name: string, patternType: 'literal' | 'prefix', operations: string[]) => ({
      resource: { type, name, patternType },
      operations,
      host: '*',
    });
    new KafkaUser(this, 'registry-user', {
      metadata: { name: NAMES.registryKafkaUser, labels: { 'strimzi.io/cluster': cluster, 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        authentication: { type: KafkaUserSpecAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512 },
        authorization: {
          type: KafkaUserSpecAuthorizationType.SIMPLE,
          acls: [
            acl('topic', NAMES.registryJournalTopic, 'literal', ['Describe', 'DescribeConfigs', 'Read', 'Write']),
            acl('topic', NAMES.registrySnapshotsTopic, 'literal', ['Describe', 'DescribeConfigs', 'Read', 'Write']),
            // It only publishes its storage events there (for other consumers).
            acl('topic', NAMES.registryEventsTopic, 'literal', ['Describe', 'DescribeConfigs', 'Write']),
            acl('group', REGISTRY_GROUP_PREFIX, 'prefix', ['Describe', 'Read']),
          ] as unknown as KafkaUserSpecAuthorizationAcls[],
        },
      },
    });

    // Egress of Strimzi's pods under the namespace's default deny (Strimzi writes their ingress
    // policies itself): brokers and controllers reach each other on the KRaft and replication
    // ports; the entity operator reaches the brokers' replication port and the API server.
    addObjects(this, [
      networkPolicy(
        { name: `${cluster}-kafka-egress`, labels: { 'app.kubernetes.io/part-of': PART_OF } },
        { matchLabels: { 'strimzi.io/cluster': cluster, 'strimzi.io/kind': 'Kafka', 'strimzi.io/name': `${cluster}-kafka` } },
        [],
        [{ peers: [kafkaPods(cluster)], ports: [PORTS.kafkaControlPlane, PORTS.kafkaReplication] }],
      ),
      networkPolicy(
        { name: `${cluster}-entity-operator-egress`, labels: { 'app.kubernetes.io/part-of': PART_OF } },
        { matchLabels: { 'strimzi.io/cluster': cluster, 'strimzi.io/name': `${cluster}-entity-operator` } },
        [{ peers: [PROMETHEUS_PEER], ports: [ENTITY_OPERATOR_HEALTH_PORT] }],
        [
          { peers: [kafkaPods(cluster)], ports: [PORTS.kafkaReplication] },
          { peers: [ANYWHERE], ports: [...API_SERVER_PORTS] },
        ],
      ),
    ]);

    // Strimzi names the metrics port `tcp-prometheus` (9404); `job` becomes what the alert
    // rules use (monitoring/rules: job="kafka").
    new PodMonitor(this, 'kafka-monitor', {
      metadata: { name: 'kafka', labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        selector: { matchLabels: { 'strimzi.io/cluster': cluster, 'strimzi.io/kind': 'Kafka' } },
        podMetricsEndpoints: [
          {
            port: 'tcp-prometheus',
            path: '/metrics',
            interval: '15s',
            relabelings: [
              { targetLabel: 'job', replacement: 'kafka' },
              { sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'instance' },
            ],
          },
        ],
      },
    });
    new PodMonitor(this, 'entity-operator-monitor', {
      metadata: { name: 'kafka-entity-operator', labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        selector: { matchLabels: { 'strimzi.io/cluster': cluster, 'strimzi.io/kind': 'Kafka', 'strimzi.io/name': `${cluster}-entity-operator` } },
        podMetricsEndpoints: [
          { port: 'healthcheck', path: '/metrics', interval: '30s', relabelings: [{ targetLabel: 'job', replacement: 'kafka-topic-operator' }] },
        ],
      },
    });
  }
}
