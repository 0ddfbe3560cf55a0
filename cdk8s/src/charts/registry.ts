/**
 * Apicurio Registry 3, storing its data in Kafka (kafkasql: the journal topic on the Strimzi
 * cluster), serving the Confluent-compatible API at /apis/ccompat/v7 on 8080. legacy-id-mode
 * stays off as on the local stack (local/src/services/registry.ts): the ccompat API hands out
 * content ids, so one schema under two subjects has one id, as Confluent clients expect.
 * It reaches Kafka over TLS as its own KafkaUser (SCRAM-SHA-512, ACLs for its two topics and
 * its consumer groups: KafkaChart); deleting through the API is off.
 */
import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { IMAGES } from '../images.js';
import { kafkaBrokers, pipelinePods, podsNamed, PROMETHEUS_PEER } from '../network.js';
import type { Profile } from '../profiles.js';
import { addWorkload, componentLabels, httpProbe, scratchVolume, selectorOf } from '../workload.js';
import { REGISTRY_GROUP_PREFIX } from './kafka.js';
import { NAMES, PORTS } from './names.js';

export interface RegistryChartProps extends ChartProps {
  readonly profile: Profile;
}

const REGISTRY_UID = 1001;
/** Where the init container writes the kafkasql client's SASL settings (a Secret-derived file). */
const SASL_PROPERTIES = '/deployments/kafkasql/sasl.properties';
const KAFKA_CA_DIR = '/etc/kafka-ca';

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
      // The registry's KafkaUser may read groups of this prefix only.
      APICURIO_KAFKASQL_CONSUMER_GROUP_PREFIX: REGISTRY_GROUP_PREFIX,
      // TLS to the brokers, trusting Strimzi's cluster CA; SCRAM-SHA-512 as the registry's
      // KafkaUser (its JAAS line is in the file the init container writes).
      APICURIO_KAFKASQL_SECURITY_PROTOCOL: 'SASL_SSL',
      APICURIO_KAFKASQL_SECURITY_SSL_TRUSTSTORE_TYPE: 'PKCS12',
      APICURIO_KAFKASQL_SECURITY_SSL_TRUSTSTORE_LOCATION: `${KAFKA_CA_DIR}/ca.p12`,
      QUARKUS_CONFIG_LOCATIONS: SASL_PROPERTIES,
      APICURIO_CCOMPAT_LEGACY_ID_MODE_ENABLED: 'false',
      // Nothing is deleted through the API: subjects and versions stay (a consumer may still
      // need an old schema to read an old record).
      APICURIO_REST_DELETION_ARTIFACT_ENABLED: 'false',
      APICURIO_REST_DELETION_ARTIFACT_VERSION_ENABLED: 'false',
      APICURIO_REST_DELETION_GROUP_ENABLED: 'false',
      QUARKUS_HTTP_PORT: String(PORTS.registryHttp),
      QUARKUS_MANAGEMENT_PORT: String(PORTS.registryManagement),
      QUARKUS_LOG_LEVEL: 'WARN',
      // Heap from the container's memory limit; /tmp is an emptyDir (read-only root).
      JAVA_OPTS_APPEND: '-XX:MaxRAMPercentage=60 -XX:+UseSerialGC -Djava.io.tmpdir=/tmp',
    };
    const jaas = {
      name: 'KAFKA_SASL_JAAS_CONFIG',
      valueFrom: { secretKeyRef: { name: NAMES.registryKafkaUser, key: 'sasl.jaas.config' } },
    };
    addWorkload(this, p, {
      kind: 'Deployment',
      metadata: { name, labels },
      selector: selectorOf(name),
      replicas: p.registry.replicas,
      runAs: { user: REGISTRY_UID, group: 0 },
      initContainers: [
        {
          // The kafkasql producer, consumers and admin client log in with SCRAM-SHA-512; their
          // JAAS line comes from the KafkaUser's Secret, so it is written here, not in the env
          // of the registry's process.
          name: 'kafkasql-sasl',
          image: IMAGES.registry,
          command: [
            'sh',
            '-c',
            [
              'umask 077',
              `for c in producer consumer admin; do printf 'apicurio.kafkasql.%s.sasl.mechanism=SCRAM-SHA-512\\napicurio.kafkasql.%s.sasl.jaas.config=%s\\n' "$c" "$c" "$KAFKA_SASL_JAAS_CONFIG"; done > ${SASL_PROPERTIES}`,
            ].join(' && '),
          ],
          env: [jaas],
          resources: p.registry.init,
          volumeMounts: [{ name: 'kafkasql', mountPath: '/deployments/kafkasql' }],
        },
      ],
      containers: [
        {
          name: 'registry',
          image: IMAGES.registry,
          env: [
            ...Object.entries(env).map(([k, value]) => ({ name: k, value })),
            {
              name: 'APICURIO_KAFKASQL_SECURITY_SSL_TRUSTSTORE_PASSWORD',
              valueFrom: { secretKeyRef: { name: NAMES.kafkaClusterCaCert, key: 'ca.password' } },
            },
          ],
          ports: [
            { name: 'http', containerPort: PORTS.registryHttp },
            { name: 'management', containerPort: PORTS.registryManagement },
          ],
          resources: p.registry.resources,
          // Liveness counts once the kafkasql storage is alive (it has read its journal to the end).
          // /health/started passes as soon as Quarkus runs; on a busy node the journal then took
          // longer than the liveness probe allows and the registry was killed over and over.
          // 10 minutes: Kafka itself may still be starting (the kind walk-through waits 15).
          startupProbe: httpProbe('/health/live', 'management', { periodSeconds: 5, failureThreshold: 120 }),
          livenessProbe: httpProbe('/health/live', 'management'),
          readinessProbe: httpProbe('/health/ready', 'management', { periodSeconds: 5 }),
          volumeMounts: [
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'kafkasql', mountPath: '/deployments/kafkasql', readOnly: true },
            { name: 'kafka-ca', mountPath: KAFKA_CA_DIR, readOnly: true },
          ],
        },
      ],
      volumes: [
        scratchVolume('tmp', '256Mi'),
        { name: 'kafkasql', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
        { name: 'kafka-ca', secret: { secretName: NAMES.kafkaClusterCaCert, items: [{ key: 'ca.p12', path: 'ca.p12' }] } },
      ],
      service: {
        ports: [
          { name: 'http', port: PORTS.registryHttp },
          { name: 'management', port: PORTS.registryManagement },
        ],
      },
      monitor: { through: 'service', endpoints: [{ port: 'management', job: 'registry' }] },
      network: {
        ingress: [
          // The operator registers schemas; the stages that use Avro look them up.
          { peers: [pipelinePods('adapter', 'sink', 'processor'), podsNamed(NAMES.operator)], ports: [PORTS.registryHttp] },
          { peers: [PROMETHEUS_PEER], ports: [PORTS.registryManagement] },
        ],
        egress: [{ peers: [kafkaBrokers(NAMES.kafkaCluster)], ports: [PORTS.kafka] }],
      },
    });
  }
}
