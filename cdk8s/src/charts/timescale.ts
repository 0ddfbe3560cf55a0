/**
 * TimescaleDB: a StatefulSet of the timescaledb-ha image with a PersistentVolumeClaim, a
 * postgres-exporter sidecar for Prometheus, and the credentials Secret the sample IoTPipeline's
 * sink reads its DATABASE_URL from.
 *
 * Migrations: the sink applies workloads/src/db/migrations at start (its migrator records each
 * version and checksum in a ledger table). They are NOT run from docker-entrypoint-initdb.d:
 * that would create the tables without the ledger and the sink's first start would fail
 * re-creating them. initdb only creates the extension, so the `timescale` flavour is chosen.
 */
import { Chart, type ChartProps } from 'cdk8s';
import { networkPolicy, service, serviceMonitor, workloadObject } from '@iotpipe/contract';
import { k8s } from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { IMAGES } from '../images.js';
import { pipelinePods, PROMETHEUS_PEER } from '../network.js';
import type { Profile } from '../profiles.js';
import { addObjects, componentLabels, execProbe, httpProbe, scratchVolume, selectorOf } from '../workload.js';
import { NAMES, PORTS } from './names.js';

export interface TimescaleChartProps extends ChartProps {
  readonly profile: Profile;
  /** Database credentials; the defaults are the local stack's (replace them in production). */
  readonly credentials?: { readonly user: string; readonly password: string; readonly database: string };
}

const POSTGRES_UID = 1000;
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
        '000-timescaledb.sql': 'CREATE EXTENSION IF NOT EXISTS timescaledb;\n',
        'postgresql-tuning.sh': [
          '#!/bin/sh',
          '# Sizes shared_buffers for the container, not for the machine.',
          `echo "shared_buffers = ${p.timescale.sharedBuffers}" >> "$PGDATA/postgresql.conf"`,
          '',
        ].join('\n'),
      },
    });

    const secretEnv = (envName: string, key: string) => ({
      name: envName,
      valueFrom: { secretKeyRef: { name: NAMES.timescaleSecret, key } },
    });
    const workload = workloadObject({
      kind: 'StatefulSet',
      metadata: { name, labels },
      selector: selectorOf(name),
      replicas: 1,
      runAs: { user: POSTGRES_UID },
      spreadAcrossNodes: p.highAvailability,
      terminationGracePeriodSeconds: 60,
      statefulSet: {
        serviceName: NAMES.timescaleHeadless,
        volumeClaimTemplates: [{ name: 'data', storage: p.timescale.storage }],
      },
      containers: [
        {
          name: 'timescaledb',
          image: IMAGES.timescaledb,
          env: [
            secretEnv('POSTGRES_USER', 'username'),
            secretEnv('POSTGRES_PASSWORD', 'password'),
            secretEnv('POSTGRES_DB', 'database'),
            { name: 'PGDATA', value: '/home/postgres/pgdata/data' },
            { name: 'TIMESCALEDB_TELEMETRY', value: 'off' },
          ],
          ports: [{ name: 'postgres', containerPort: PORTS.postgres }],
          resources: p.timescale.resources,
          startupProbe: { ...execProbe(['pg_isready', '-h', '127.0.0.1', '-p', String(PORTS.postgres)]), failureThreshold: 60 },
          livenessProbe: execProbe(['pg_isready', '-h', '127.0.0.1', '-p', String(PORTS.postgres)]),
          readinessProbe: execProbe(['sh', '-c', 'psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "SELECT 1"'], {
            initialDelaySeconds: 5,
            periodSeconds: 5,
          }),
          volumeMounts: [
            { name: 'data', mountPath: '/home/postgres/pgdata' },
            { name: 'init', mountPath: '/docker-entrypoint-initdb.d', readOnly: true },
            // Read-only root filesystem: the entrypoint's and the server's writable paths.
            { name: 'home', mountPath: '/home/postgres' },
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
          resources: p.timescale.exporter,
          livenessProbe: httpProbe('/', 'metrics'),
          readinessProbe: httpProbe('/', 'metrics'),
        },
      ],
      volumes: [
        { name: 'init', configMap: { name: NAMES.timescaleInitConfigMap, defaultMode: 0o555 } },
        scratchVolume('home', '64Mi'),
        scratchVolume('run', '16Mi'),
        scratchVolume('tmp', '256Mi'),
        { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } },
      ],
    });
    const ports = [
      { name: 'postgres', port: PORTS.postgres },
      { name: 'metrics', port: PORTS.postgresExporter },
    ];
    addObjects(this, [
      workload,
      // Only the ClusterIP Service is scraped; the headless one selects the same pod.
      service({ name, labels: { ...labels, ...SCRAPE } }, selectorOf(name), ports),
      service({ name: NAMES.timescaleHeadless, labels }, selectorOf(name), ports, { headless: true }),
      serviceMonitor({ name, labels }, { ...selectorOf(name), ...SCRAPE }, [{ port: 'metrics', job: 'postgres' }]),
      networkPolicy(
        { name, labels },
        { matchLabels: selectorOf(name) },
        [
          // The pipelines' sinks write; nothing else connects.
          { peers: [pipelinePods('sink')], ports: [PORTS.postgres] },
          { peers: [PROMETHEUS_PEER], ports: [PORTS.postgresExporter] },
        ],
        [],
      ),
    ]);
  }
}
