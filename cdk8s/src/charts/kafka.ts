/**
 * Kafka through Strimzi 1.x (kafka.strimzi.io/v1): one `Kafka` and one `KafkaNodePool` of three
 * combined controller+broker nodes in KRaft mode, replication 3 with min ISR 2 (a write with
 * acks=all survives one broker down), metrics through Strimzi's metricsConfig with the local
 * stack's JMX exporter rules (one definition), and the shared topics.
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
  KafkaSpecKafkaListenersType,
  KafkaSpecKafkaMetricsConfigType,
  KafkaTopic,
} from '../../imports/kafka.strimzi.io.js';
import { PodMonitor } from '../../imports/monitoring.coreos.com.js';
import { PIPELINE_PODS, podsNamed } from '../network.js';
import type { Profile } from '../profiles.js';
import { PART_OF } from '../workload.js';
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
              name: 'plain',
              port: PORTS.kafka,
              type: KafkaSpecKafkaListenersType.INTERNAL,
              tls: false,
              // Strimzi writes the brokers' NetworkPolicy from these peers: the registry, the
              // operator-made pipeline workloads and nothing else reach the client port.
              networkPolicyPeers: [podsNamed(NAMES.registry), PIPELINE_PODS],
            },
          ],
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
          template: {
            pod: { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } },
            topicOperatorContainer: { securityContext: CONTAINER_SECURITY },
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
