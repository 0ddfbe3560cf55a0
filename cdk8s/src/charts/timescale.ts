/**
 * TimescaleDB: a StatefulSet of the timescale/timescaledb image (IMAGES.timescaledb) with a
 * PersistentVolumeClaim, TLS with the platform CA's server certificate (over the network only TLS
 * is accepted), a postgres-exporter sidecar (role with pg_monitor only) for Prometheus, and the
 * migration Job.
 *
 * What it expects of the image, no more than the official image does (the docker-library
 * postgres entrypoint): PostgreSQL 15 with TimescaleDB 2.28 installed, run as uid/gid 70;
 * POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB create the superuser and database on first start,
 * and other hosts get a `host all all all <method>` line in pg_hba.conf; PGDATA is where initdb
 * puts the cluster; the `*.sh` files in /docker-entrypoint-initdb.d run once after initdb. Ours
 * replace the image's own (which create the extension in template1 and tune memory for the node,
 * not the container) and set the server: TimescaleDB preloaded, telemetry off, shared_buffers for
 * the container, only TLS over the network.
 *
 * Least privilege: the owner (initdb's superuser, Secret timescaledb-owner) runs the migrations
 * in a Job; the sink logs in as a member of the writer role (INSERT and SELECT on its tables),
 * Grafana and `iotpipe query` as members of the reader role, the exporter with pg_monitor. All
 * their passwords are generated (charts/credentials.ts). The migrations are NOT run from
 * docker-entrypoint-initdb.d: that would create the tables without the migrator's ledger. The
 * server preloads the library, so the migrator's `auto` picks the `timescale` flavour and creates
 * the extension (it runs as the owner).
 */
import { Chart, type ChartProps } from 'cdk8s';
import {
  CONNECTION,
  DATABASE_ROLES,
  jobObject,
  networkPolicy,
  service,
  serviceMonitor,
  settingsEnv,
  stableHash,
  WORKLOADS_CLI,
  workloadObject,
} from '@iotpipe/contract';
import { k8s } from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { IMAGES } from '../images.js';
import { pipelinePods, podsNamed, PROMETHEUS_PEER } from '../network.js';
import type { Profile } from '../profiles.js';
import { addObjects, componentLabels, execProbe, httpProbe, scratchVolume, selectorOf } from '../workload.js';
import { DATABASE_LOGINS } from './credentials.js';
import { NAMES, PORTS } from './names.js';

/** The workloads image's `node` user (workloads/Dockerfile). */
const WORKLOADS_UID = 1000;

export interface TimescaleChartProps extends ChartProps {
  readonly profile: Profile;
}

/** The postgres user of the official (Alpine) image, and of ours (images/timescaledb). */
const POSTGRES_UID = 70;
const DATA_MOUNT = '/var/lib/postgresql/data';
const SCRAPE = { 'iotpipe.io/scrape': 'true' };

export class TimescaleChart extends Chart {
  constructor(scope: Construct, id: string, props: TimescaleChartProps) {
    super(scope, id, props);
    const p = props.profile;
    const name = NAMES.timescale;
    const labels = componentLabels(name, 'database');

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
          '# Over the network only TLS (clients use verify-full); in the pod, loopback stays as',
          "# initdb made it (the probes and the exporter).",
          `sed -i 's/^host all all all \\(.*\\)$/hostnossl all all all reject\\nhostssl all all all \\1/' "$PGDATA/pg_hba.conf"`,
          '',
        ].join('\n'),
      },
    });

    const secretEnv = (envName: string, secret: string, key: string) => ({
      name: envName,
      valueFrom: { secretKeyRef: { name: secret, key } },
    });
    const owner = DATABASE_LOGINS.owner.secret;
    const exporter = DATABASE_LOGINS.exporter.secret;
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
          args: [
            'postgres',
            ...['ssl=on', `ssl_cert_file=${TLS_DIR}/tls.crt`, `ssl_key_file=${TLS_DIR}/tls.key`].flatMap((o) => ['-c', o]),
          ],
          env: [
            // The owner: initdb makes it the superuser; it runs the migrations (the Job below).
            secretEnv('POSTGRES_USER', owner, 'username'),
            secretEnv('POSTGRES_PASSWORD', owner, 'password'),
            secretEnv('POSTGRES_DB', owner, 'database'),
            // A directory below the mount point, which may hold lost+found.
            { name: 'PGDATA', value: `${DATA_MOUNT}/pgdata` },
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
            { name: 'data', mountPath: DATA_MOUNT },
            { name: 'init', mountPath: '/docker-entrypoint-initdb.d', readOnly: true },
            // Read-only root filesystem: the entrypoint's and the server's writable paths.
            { name: 'run', mountPath: '/var/run/postgresql' },
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'shm', mountPath: '/dev/shm' },
            { name: 'tls', mountPath: TLS_DIR, readOnly: true },
          ],
        },
        {
          name: 'postgres-exporter',
          image: IMAGES.postgresExporter,
          env: [
            // In the pod, over loopback; its role has pg_monitor and nothing else.
            { name: 'DATA_SOURCE_URI', value: `127.0.0.1:${PORTS.postgres}/postgres?sslmode=disable` },
            secretEnv('DATA_SOURCE_USER', exporter, 'username'),
            secretEnv('DATA_SOURCE_PASS', exporter, 'password'),
          ],
          ports: [{ name: 'metrics', containerPort: PORTS.postgresExporter }],
          resources: p.timescale.exporter,
          livenessProbe: httpProbe('/', 'metrics'),
          readinessProbe: httpProbe('/', 'metrics'),
        },
      ],
      volumes: [
        { name: 'init', configMap: { name: NAMES.timescaleInitConfigMap, defaultMode: 0o555 } },
        scratchVolume('run', '16Mi'),
        scratchVolume('tmp', '256Mi'),
        { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } },
        // PostgreSQL takes a key file owned by root only with mode 0640 at most.
        { name: 'tls', secret: { secretName: NAMES.timescaleTls, defaultMode: 0o640 } },
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
          // The pipelines' sinks write, the migration Job migrates; nothing else connects.
          { peers: [pipelinePods('sink'), podsNamed(NAMES.timescaleMigrate)], ports: [PORTS.postgres] },
          { peers: [PROMETHEUS_PEER], ports: [PORTS.postgresExporter] },
        ],
        [],
      ),
    ]);
    migrationJob(this, p);
  }
}

const TLS_DIR = '/etc/postgresql-tls';
const CA_DIR = '/etc/iotpipe/database-ca';

/**
 * The roles step of the migration (psql as the owner): the group roles the migrations grant to
 * (DATABASE_ROLES), the login roles with the passwords of their Secrets (set again at every run,
 * so a rotated Secret takes effect), each a member of what it needs and nothing more. Passwords
 * come from the environment through \getenv, never from the command line.
 */
export function rolesSql(): string {
  const exists = (role: string) => `WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${role})`;
  const lines = [
    '\\set ON_ERROR_STOP on',
    '\\getenv writer_role POSTGRES_WRITER_ROLE',
    '\\getenv reader_role POSTGRES_READER_ROLE',
    `SELECT format('CREATE ROLE %I NOLOGIN', :'writer_role') ${exists(":'writer_role'")} \\gexec`,
    `SELECT format('CREATE ROLE %I NOLOGIN', :'reader_role') ${exists(":'reader_role'")} \\gexec`,
  ];
  const logins: Array<[keyof typeof DATABASE_LOGINS, string]> = [
    ['sink', ':"writer_role"'],
    ['reader', ':"reader_role"'],
    ['exporter', 'pg_monitor'],
  ];
  for (const [who, member] of logins) {
    const user = DATABASE_LOGINS[who].user;
    lines.push(
      `\\getenv ${who}_password ${who.toUpperCase()}_PASSWORD`,
      `SELECT 'CREATE ROLE ${user} LOGIN' ${exists(`'${user}'`)} \\gexec`,
      `ALTER ROLE ${user} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'${who}_password';`,
      `GRANT ${member} TO ${user};`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The migration Job: as the database's owner over TLS (verify-full), first the roles step, then
 * `iotpipe db migrate`. The sink's role only inserts and selects; it runs no DDL. A new image
 * or spec gets a new Job (name hashed from its template); finished ones go after an hour.
 */
function migrationJob(scope: Construct, p: Profile): void {
  const name = NAMES.timescaleMigrate;
  const labels = componentLabels(name, 'database-migration');
  const owner = DATABASE_LOGINS.owner.secret;
  const fromSecret = (env: string, secret: string, key: string) => ({
    name: env,
    valueFrom: { secretKeyRef: { name: secret, key } },
  });
  const tls = {
    postgresSslMode: 'verify-full' as const,
    postgresCaFile: `${CA_DIR}/ca.crt`,
  };
  const roles = settingsEnv(DATABASE_ROLES, {
    writerRole: DATABASE_ROLES.writerRole.default,
    readerRole: DATABASE_ROLES.readerRole.default,
  });
  const rolesConfig = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: NAMES.timescaleRolesConfigMap, labels }, data: { 'roles.sql': rolesSql() } };
  const job = {
    metadata: { name: '', labels },
    selector: selectorOf(name),
    backoffLimit: 10,
    ttlSecondsAfterFinished: 3600,
    runAs: { user: WORKLOADS_UID },
    initContainers: [
      {
        name: 'roles',
        image: IMAGES.timescaledb,
        command: ['psql', '-f', '/etc/iotpipe/roles/roles.sql'],
        env: [
          { name: 'PGHOST', value: NAMES.timescale },
          { name: 'PGPORT', value: String(PORTS.postgres) },
          fromSecret('PGUSER', owner, 'username'),
          fromSecret('PGPASSWORD', owner, 'password'),
          fromSecret('PGDATABASE', owner, 'database'),
          { name: 'PGSSLMODE', value: tls.postgresSslMode },
          { name: 'PGSSLROOTCERT', value: tls.postgresCaFile },
          ...roles,
          ...(['sink', 'reader', 'exporter'] as const).map((who) =>
            fromSecret(`${who.toUpperCase()}_PASSWORD`, DATABASE_LOGINS[who].secret, 'password'),
          ),
        ],
        resources: p.timescale.migrate,
        volumeMounts: [
          { name: 'roles', mountPath: '/etc/iotpipe/roles', readOnly: true },
          { name: 'ca', mountPath: CA_DIR, readOnly: true },
        ],
      },
    ],
    containers: [
      {
        name: 'migrate',
        image: IMAGES.workloads,
        workingDir: '/app',
        command: [...WORKLOADS_CLI, 'db', 'migrate'],
        env: [
          ...settingsEnv(CONNECTION, {
            databaseUrl: { secretKeyRef: { name: owner, key: 'database-url' } },
            ...tls,
          }),
          ...roles,
        ],
        resources: p.timescale.migrate,
        volumeMounts: [{ name: 'ca', mountPath: CA_DIR, readOnly: true }],
      },
    ],
    volumes: [
      { name: 'roles', configMap: { name: NAMES.timescaleRolesConfigMap } },
      { name: 'ca', secret: { secretName: NAMES.platformCa, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ],
  };
  const hash = stableHash({ job, sql: rolesConfig.data });
  addObjects(scope, [
    rolesConfig,
    jobObject({ ...job, metadata: { name: `${name}-${hash.slice(0, 8)}`, labels } }),
    networkPolicy(
      { name, labels },
      { matchLabels: selectorOf(name) },
      [],
      [{ peers: [podsNamed(NAMES.timescale)], ports: [PORTS.postgres] }],
    ),
  ]);
}
