/**
 * TimescaleDB: a StatefulSet of the timescale/timescaledb image (IMAGES.timescaledb) with a
 * PersistentVolumeClaim, a postgres-exporter sidecar for Prometheus, and the credentials Secret
 * the sample IoTPipeline's sink reads its DATABASE_URL from.
 *
 * What it expects of the image, no more than the official image does (the docker-library
 * postgres entrypoint): PostgreSQL 15 with TimescaleDB 2.28 installed, run as uid/gid 70;
 * POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB create the superuser and database on first start;
 * PGDATA is where initdb puts the cluster; the `*.sh` files in /docker-entrypoint-initdb.d run
 * once after initdb. Ours replace the image's own (which create the extension in template1 and
 * tune memory for the node, not the container) and set the server: TimescaleDB preloaded,
 * telemetry off, shared_buffers for the container.
 *
 * Migrations: the sink applies workloads/src/db/migrations at start (its migrator records each
 * version and checksum in a ledger table and creates the extension): the server preloads the
 * library, so `auto` picks the timescale flavour. They are NOT run from docker-entrypoint-initdb.d:
 * that would create the tables without the ledger and the sink's first start would fail.
 */
import { Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { ServiceMonitor } from '../../imports/monitoring.coreos.com.js';
import { IMAGES } from '../images.js';
import { namespaceNamed, networkPolicy, PIPELINE_PODS } from '../network.js';
import type { Profile } from '../profiles.js';
import {
  antiAffinity,
  componentLabels,
  containerSecurity,
  execProbe,
  httpProbe,
  podSecurity,
  resources,
  scratchVolume,
  selectorOf,
} from '../workload.js';
import { NAMES, PORTS } from './names.js';

export interface TimescaleChartProps extends ChartProps {
  readonly profile: Profile;
  /** Database credentials; the defaults are the local stack's (replace them in production). */
  readonly credentials?: { readonly user: string; readonly password: string; readonly database: string };
}

/** The postgres user of the official (Alpine) image. */
const POSTGRES_UID = 70;
const DATA_MOUNT = '/var/lib/postgresql/data';
const SCRAPE = { 'iotpipe.io/scrape': 'true' };

export class TimescaleChart extends Chart {
  constructor(scope: Construct, id: string, props: TimescaleChartProps) {
    super(scope, id, props);
    const p = props.profile;
    const name = NAMES.timescale;
    const labels = componentLabels(name, 'database');
    const c = props.credentials ?? { user: 'iot_user', password: 'iot_password', database: 'iot_data' };

    new k8s.KubeSecret(this, 'credentials', {
      metadata: { name: NAMES.timescaleSecret, labels },
      type: 'Opaque',
      stringData: {
        username: c.user,
        password: c.password,
        database: c.database,
        // What spec.sink.databaseSecret of an IoTPipeline points at.
        'database-url': `postgres://${c.user}:${encodeURIComponent(c.password)}@${name}:${PORTS.postgres}/${c.database}`,
      },
    });
    new k8s.KubeConfigMap(this, 'init', {
      metadata: { name: NAMES.timescaleInitConfigMap, labels },
      data: {
        '000-postgresql-conf.sh': [
          '#!/bin/sh',
          '# Runs once after initdb; the server reads this at its real start.',
          `cat >> "$PGDATA/postgresql.conf" <<'EOF'`,
          "shared_preload_libraries = 'timescaledb'",
          'timescaledb.telemetry_level = off',
          `shared_buffers = ${p.timescale.sharedBuffers}`,
          'EOF',
          '',
        ].join('\n'),
      },
    });

    const secretEnv = (envName: string, key: string): k8s.EnvVar => ({
      name: envName,
      valueFrom: { secretKeyRef: { name: NAMES.timescaleSecret, key } },
    });
    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: { name, labels },
      spec: {
        serviceName: NAMES.timescaleHeadless,
        replicas: 1,
        selector: { matchLabels: selectorOf(name) },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: podSecurity(POSTGRES_UID),
            affinity: antiAffinity(p, name),
            terminationGracePeriodSeconds: 60,
            containers: [
              {
                name: 'timescaledb',
                image: IMAGES.timescaledb,
                env: [
                  secretEnv('POSTGRES_USER', 'username'),
                  secretEnv('POSTGRES_PASSWORD', 'password'),
                  secretEnv('POSTGRES_DB', 'database'),
                  // A directory below the mount point, which may hold lost+found.
                  { name: 'PGDATA', value: `${DATA_MOUNT}/pgdata` },
                ],
                ports: [{ name: 'postgres', containerPort: PORTS.postgres }],
                resources: resources(p.timescale.resources),
                securityContext: containerSecurity(),
                startupProbe: { ...execProbe(['pg_isready', '-h', '127.0.0.1', '-p', String(PORTS.postgres)]), failureThreshold: 60 },
                livenessProbe: execProbe(['pg_isready', '-h', '127.0.0.1', '-p', String(PORTS.postgres)]),
                readinessProbe: execProbe(['sh', '-c', 'psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "SELECT 1"'], {
                  initialDelaySeconds: 5,
                  periodSeconds: 5,
                }),
                volumeMounts: [
                  { name: 'data', mountPath: DATA_MOUNT },
                  { name: 'init', mountPath: '/docker-entrypoint-initdb.d', readOnly: true },
                  // Read-only root filesystem: the entrypoint's and the server's writable paths.
                  { name: 'run', mountPath: '/var/run/postgresql' },
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'shm', mountPath: '/dev/shm' },
                ],
              },
              {
                name: 'postgres-exporter',
                image: IMAGES.postgresExporter,
                env: [
                  { name: 'DATA_SOURCE_URI', value: `127.0.0.1:${PORTS.postgres}/postgres?sslmode=disable` },
                  secretEnv('DATA_SOURCE_USER', 'username'),
                  secretEnv('DATA_SOURCE_PASS', 'password'),
                ],
                ports: [{ name: 'metrics', containerPort: PORTS.postgresExporter }],
                resources: resources(p.timescale.exporter),
                securityContext: containerSecurity(),
                livenessProbe: httpProbe('/', 'metrics'),
                readinessProbe: httpProbe('/', 'metrics'),
              },
            ],
            volumes: [
              { name: 'init', configMap: { name: NAMES.timescaleInitConfigMap, defaultMode: 0o555 } },
              scratchVolume('run', '16Mi'),
              scratchVolume('tmp', '256Mi'),
              { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('256Mi') } },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: {
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: k8s.Quantity.fromString(p.timescale.storage) } },
            },
          },
        ],
      },
    });
    for (const [svcId, svcName, headless] of [
      ['service', name, false],
      ['headless', NAMES.timescaleHeadless, true],
    ] as const) {
      new k8s.KubeService(this, svcId, {
        // Only the ClusterIP Service is scraped; the headless one selects the same pod.
        metadata: { name: svcName, labels: headless ? labels : { ...labels, ...SCRAPE } },
        spec: {
          ...(headless ? { clusterIp: 'None' } : {}),
          selector: selectorOf(name),
          ports: [
            { name: 'postgres', port: PORTS.postgres, targetPort: k8s.IntOrString.fromString('postgres') },
            { name: 'metrics', port: PORTS.postgresExporter, targetPort: k8s.IntOrString.fromString('metrics') },
          ],
        },
      });
    }
    new ServiceMonitor(this, 'monitor', {
      metadata: { name, labels },
      spec: {
        selector: { matchLabels: { ...selectorOf(name), ...SCRAPE } },
        endpoints: [
          { port: 'metrics', interval: '30s', relabelings: [{ targetLabel: 'job', replacement: 'postgres' }] },
        ],
      },
    });
    networkPolicy(
      this,
      name,
      { matchLabels: selectorOf(name) },
      [
        // The sinks of the pipelines write; nothing else connects.
        { peers: [PIPELINE_PODS], ports: [PORTS.postgres] },
        { peers: [namespaceNamed(p.monitoringNamespace)], ports: [PORTS.postgresExporter] },
      ],
      [],
    );
  }
}
