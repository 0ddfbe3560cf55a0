import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvReader, FLAVOR_CHOICES } from '@iotpipe/contract';

/** Pinned versions of everything the stack downloads; the Maven descriptors in local/maven agree. */
export const VERSIONS = {
  kafka: '4.3.1',
  apicurio: '3.3.3',
  jmxExporter: '1.0.1',
} as const;

export interface StackConfig {
  readonly repoRoot: string;
  readonly stateDir: string;
  readonly cacheDir: string;
  readonly host: string;
  readonly kafka: {
    readonly ports: number[];
    readonly controllerPorts: number[];
    readonly jmxPorts: number[];
    readonly heap: string;
  };
  readonly registry: { readonly port: number; readonly heap: string };
  readonly postgres: {
    /**
     * POSTGRES_FLAVOR: the stack runs TimescaleDB (the library preloaded) unless it is `native`,
     * for machines that cannot install the extension; the sink's migrations follow the same
     * variable (workloads/src/db/migrator.ts).
     */
    readonly flavor: 'timescale' | 'native';
    /** Debian's PostgreSQL 15 programs; IOTPIPE_POSTGRES_BIN_DIR for another build of 15. */
    readonly binDir: string;
    readonly port: number;
    readonly database: string;
    readonly user: string;
    readonly password: string;
    readonly registryDatabase: string;
  };
  readonly mqtt: { readonly port: number; readonly user: string; readonly password: string };
  readonly prometheus: { readonly port: number };
  readonly alertmanager: { readonly port: number };
  readonly nodeExporter: { readonly port: number };
  readonly postgresExporter: { readonly port: number };
  readonly smtp: { readonly port: number; readonly httpPort: number };
  /** Ports the pipeline's own processes expose metrics on, scraped by the local Prometheus. */
  readonly workloadMetricsPorts: {
    readonly processor: number;
    readonly adapter: number;
    readonly sink: number;
  };
}

export function defaultRepoRoot(): string {
  // local/dist/config.js -> repo root, two levels up from dist's parent.
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** Builds the stack's config from the environment; validates without touching the network. */
export function loadStackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const r = new EnvReader(env);
  const repoRoot = r.string('repoRoot', 'IOTPIPE_ROOT', defaultRepoRoot());
  return {
    repoRoot,
    stateDir: resolve(r.string('stateDir', 'IOTPIPE_STATE_DIR', join(repoRoot, '.state'))),
    cacheDir: resolve(r.string('cacheDir', 'IOTPIPE_CACHE_DIR', join(homedir(), '.cache', 'iotpipe'))),
    host: '127.0.0.1',
    kafka: {
      ports: r.ports('kafka.ports', 'IOTPIPE_KAFKA_PORTS', [29092, 29093, 29094]),
      // Below Linux's ephemeral range (32768-60999): with 39092-39094 a client's outgoing
      // connection took a stopped controller's port and the broker could not start again.
      controllerPorts: r.ports(
        'kafka.controllerPorts',
        'IOTPIPE_KAFKA_CONTROLLER_PORTS',
        [19092, 19093, 19094],
      ),
      jmxPorts: r.ports('kafka.jmxPorts', 'IOTPIPE_KAFKA_JMX_PORTS', [9101, 9102, 9103]),
      heap: r.memory('kafka.heap', 'IOTPIPE_KAFKA_HEAP', '512m'),
    },
    registry: {
      port: r.port('registry.port', 'IOTPIPE_REGISTRY_PORT', 8081),
      heap: r.memory('registry.heap', 'IOTPIPE_REGISTRY_HEAP', '384m'),
    },
    postgres: {
      flavor:
        r.oneOf('postgres.flavor', 'POSTGRES_FLAVOR', FLAVOR_CHOICES, 'auto') === 'native'
          ? 'native'
          : 'timescale',
      binDir: resolve(r.string('postgres.binDir', 'IOTPIPE_POSTGRES_BIN_DIR', '/usr/lib/postgresql/15/bin')),
      port: r.port('postgres.port', 'IOTPIPE_POSTGRES_PORT', 5432),
      database: r.string('postgres.database', 'POSTGRES_DB', 'iot_data'),
      user: r.string('postgres.user', 'POSTGRES_USER', 'iot_user'),
      password: r.string('postgres.password', 'POSTGRES_PASSWORD', 'iot_password'),
      registryDatabase: 'registry',
    },
    mqtt: {
      port: r.port('mqtt.port', 'IOTPIPE_MQTT_PORT', 1883),
      user: r.string('mqtt.user', 'MQTT_USERNAME', 'iotpipe'),
      password: r.string('mqtt.password', 'MQTT_PASSWORD', 'iotpipe'),
    },
    prometheus: { port: r.port('prometheus.port', 'IOTPIPE_PROMETHEUS_PORT', 9090) },
    alertmanager: { port: r.port('alertmanager.port', 'IOTPIPE_ALERTMANAGER_PORT', 9093) },
    nodeExporter: { port: r.port('nodeExporter.port', 'IOTPIPE_NODE_EXPORTER_PORT', 9100) },
    postgresExporter: { port: r.port('postgresExporter.port', 'IOTPIPE_POSTGRES_EXPORTER_PORT', 9187) },
    smtp: {
      port: r.port('smtp.port', 'IOTPIPE_SMTP_PORT', 1025),
      httpPort: r.port('smtp.httpPort', 'IOTPIPE_SMTP_HTTP_PORT', 8025),
    },
    workloadMetricsPorts: { processor: 8001, adapter: 8002, sink: 8003 },
  };
}

/** Where clients of the local stack connect; the workloads' defaults match these. */
export function endpoints(c: StackConfig) {
  return {
    kafkaBrokers: c.kafka.ports.map((p) => `${c.host}:${p}`),
    registryUrl: `http://${c.host}:${c.registry.port}/apis/ccompat/v7`,
    databaseUrl: `postgres://${c.postgres.user}:${c.postgres.password}@${c.host}:${c.postgres.port}/${c.postgres.database}`,
    mqttUrl: `mqtt://${c.host}:${c.mqtt.port}`,
    prometheusUrl: `http://${c.host}:${c.prometheus.port}`,
    alertmanagerUrl: `http://${c.host}:${c.alertmanager.port}`,
    mailUrl: `http://${c.host}:${c.smtp.httpPort}`,
  };
}
