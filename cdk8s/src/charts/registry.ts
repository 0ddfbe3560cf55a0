/**
 * Apicurio Registry 3, storing its data in Kafka (kafkasql: the journal topic on the Strimzi
 * cluster), serving the Confluent-compatible API at /apis/ccompat/v7 on 8080. legacy-id-mode
 * stays off as on the local stack (local/src/services/registry.ts): the ccompat API hands out
 * content ids, so one schema under two subjects has one id, as Confluent clients expect.
 */
import { Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { ServiceMonitor } from '../../imports/monitoring.coreos.com.js';
import { IMAGES } from '../images.js';
import { kafkaBrokers, namespaceNamed, networkPolicy, PIPELINE_PODS, podsNamed } from '../network.js';
import type { Profile } from '../profiles.js';
import {
  antiAffinity,
  componentLabels,
  containerSecurity,
  disruptionBudget,
  httpProbe,
  podSecurity,
  resources,
  scratchVolume,
  selectorOf,
} from '../workload.js';
import { NAMES, PORTS } from './names.js';

export interface RegistryChartProps extends ChartProps {
  readonly profile: Profile;
}

export class RegistryChart extends Chart {
  constructor(scope: Construct, id: string, props: RegistryChartProps) {
    super(scope, id, props);
    const p = props.profile;
    const name = NAMES.registry;
    const labels = componentLabels(name, 'schema-registry');
    const env: Record<string, string> = {
      APICURIO_STORAGE_KIND: 'kafkasql',
      APICURIO_KAFKASQL_BOOTSTRAP_SERVERS: NAMES.kafkaBootstrap,
      APICURIO_KAFKASQL_TOPIC: NAMES.registryJournalTopic,
      APICURIO_KAFKASQL_SNAPSHOTS_TOPIC: NAMES.registrySnapshotsTopic,
      APICURIO_EVENTS_KAFKA_TOPIC: NAMES.registryEventsTopic,
      // The topics are KafkaTopic resources (KafkaChart); auto-create is off on the brokers.
      APICURIO_KAFKASQL_TOPIC_AUTO_CREATE: 'false',
      APICURIO_CCOMPAT_LEGACY_ID_MODE_ENABLED: 'false',
      APICURIO_REST_DELETION_ARTIFACT_ENABLED: 'true',
      APICURIO_REST_DELETION_ARTIFACT_VERSION_ENABLED: 'true',
      QUARKUS_HTTP_PORT: String(PORTS.registryHttp),
      QUARKUS_MANAGEMENT_PORT: String(PORTS.registryManagement),
      QUARKUS_LOG_LEVEL: 'WARN',
      // Heap from the container's memory limit; /tmp is an emptyDir (read-only root).
      JAVA_OPTS_APPEND: '-XX:MaxRAMPercentage=60 -XX:+UseSerialGC -Djava.io.tmpdir=/tmp',
    };
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name, labels },
      spec: {
        replicas: p.registry.replicas,
        selector: { matchLabels: selectorOf(name) },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: podSecurity(1001, 0),
            affinity: antiAffinity(p, name),
            containers: [
              {
                name: 'registry',
                image: IMAGES.registry,
                env: Object.entries(env).map(([k, value]) => ({ name: k, value })),
                ports: [
                  { name: 'http', containerPort: PORTS.registryHttp },
                  { name: 'management', containerPort: PORTS.registryManagement },
                ],
                resources: resources(p.registry.resources),
                securityContext: containerSecurity(),
                // Liveness counts once the kafkasql storage is alive (it has read its journal to the
                // end). /health/started passes as soon as Quarkus runs; on a busy node the journal
                // then took longer than the liveness probe allows and the registry was killed over
                // and over. 10 minutes: Kafka itself may still be starting (kind walk-through: 15).
                startupProbe: httpProbe('/health/live', 'management', { periodSeconds: 5, failureThreshold: 120 }),
                livenessProbe: httpProbe('/health/live', 'management'),
                readinessProbe: httpProbe('/health/ready', 'management', { periodSeconds: 5 }),
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [scratchVolume('tmp', '256Mi')],
          },
        },
      },
    });
    new k8s.KubeService(this, 'service', {
      metadata: { name, labels },
      spec: {
        selector: selectorOf(name),
        ports: [
          { name: 'http', port: PORTS.registryHttp, targetPort: k8s.IntOrString.fromString('http') },
          { name: 'management', port: PORTS.registryManagement, targetPort: k8s.IntOrString.fromString('management') },
        ],
      },
    });
    disruptionBudget(this, p, name, p.registry.replicas);
    new ServiceMonitor(this, 'monitor', {
      metadata: { name, labels },
      spec: {
        selector: { matchLabels: selectorOf(name) },
        endpoints: [
          {
            port: 'management',
            path: '/metrics',
            interval: '30s',
            relabelings: [{ targetLabel: 'job', replacement: 'registry' }],
          },
        ],
      },
    });
    networkPolicy(
      this,
      name,
      { matchLabels: selectorOf(name) },
      [
        // The operator registers schemas; pipeline workloads look them up.
        { peers: [PIPELINE_PODS, podsNamed(NAMES.operator)], ports: [PORTS.registryHttp] },
        { peers: [namespaceNamed(p.monitoringNamespace)], ports: [PORTS.registryManagement] },
      ],
      [{ peers: [kafkaBrokers(NAMES.kafkaCluster)], ports: [PORTS.kafka] }],
    );
  }
}
