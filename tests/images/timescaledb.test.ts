// The TimescaleDB image `make images` made, run as the kind profile's StatefulSet runs it: its
// uid, a read-only root with the pod's scratch mounts, the chart's init scripts, its server
// arguments (TLS) and a certificate where its Secret is mounted; then the migration Job's roles
// step from the same image as the Job's uid over verify-full TLS. What the manifests expect of
// the image (cdk8s/src/charts/timescale.ts) is checked against the image itself.
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_ROLES } from '@iotpipe/contract';
import { DATABASE_LOGINS } from '../../cdk8s/src/charts/credentials.js';
import { NAMES } from '../../cdk8s/src/charts/names.js';
import { allObjects, readInputs, synthPlatform, type ManifestObject } from '../../cdk8s/src/platform.js';
import { run } from '../../local/src/cluster/exec.js';
import { loadImagesConfig, Podman } from '../../local/src/images/index.js';
import { fullImageRef } from '../../local/src/images/third-party.js';

const config = loadImagesConfig();
const podman = new Podman(config);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}
interface Mount {
  name: string;
  mountPath: string;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  volumeMounts?: Mount[];
}
interface PodSpec {
  securityContext: { runAsUser: number; runAsGroup: number; fsGroup: number };
  containers: Container[];
  initContainers?: Container[];
  volumes: Array<{
    name: string;
    emptyDir?: unknown;
    configMap?: { name: string };
    secret?: { secretName: string };
  }>;
}

const objects = allObjects(synthPlatform({ profile: 'kind', inputs: readInputs() }));
const find = (kind: string, pred: (o: ManifestObject) => boolean): ManifestObject => {
  const found = objects.find((o) => o.kind === kind && pred(o));
  if (!found) throw new Error(`no ${kind} in the kind profile`);
  return found;
};
const podOf = (o: ManifestObject) =>
  (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const statefulSet = podOf(find('StatefulSet', (o) => o.metadata.name === NAMES.timescale));
const server = statefulSet.containers.find((c) => c.name === 'timescaledb')!;
const migrationJob = podOf(find('Job', (o) => o.metadata.name.startsWith(`${NAMES.timescaleMigrate}-`)));
const rolesStep = migrationJob.initContainers!.find((c) => c.name === 'roles')!;
const configMapData = (name: string) =>
  (find('ConfigMap', (o) => o.metadata.name === name) as unknown as { data: Record<string, string> }).data;

/** The Secrets the credentials Job would make: made-up values, each distinct. */
const SECRETS: Record<string, Record<string, string>> = {
  [DATABASE_LOGINS.owner.secret]: {
    username: DATABASE_LOGINS.owner.user,
    password: 'owner-pw',
    database: NAMES.timescaleDatabase,
  },
  [DATABASE_LOGINS.sink.secret]: { password: 'sink-pw' },
  [DATABASE_LOGINS.reader.secret]: { password: 'reader-pw' },
  [DATABASE_LOGINS.exporter.secret]: { password: 'exporter-pw' },
};
function resolvedEnv(c: Container, override: Record<string, string> = {}): string[] {
  const out: string[] = [];
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    const value = override[e.name] ?? (ref ? SECRETS[ref.name]?.[ref.key] : e.value);
    if (value === undefined) throw new Error(`${c.name}: no value for ${e.name}`);
    out.push('--env', `${e.name}=${value}`);
  }
  return out;
}
const mountOf = (c: Container, volume: string) => c.volumeMounts!.find((m) => m.name === volume)!.mountPath;

const container = `iotpipe-test-timescaledb-${process.pid}`;
let work: string;

async function psql(sqlText: string, user: string = DATABASE_LOGINS.owner.user): Promise<string[]> {
  const { stdout } = await podman.run([
    'exec',
    container,
    'psql',
    '-X',
    '-v',
    'ON_ERROR_STOP=1',
    '-h',
    '127.0.0.1',
    '-U',
    user,
    '-d',
    NAMES.timescaleDatabase,
    '-tAc',
    sqlText,
  ]);
  return stdout.trim().split('\n');
}

/** Waits for what the StatefulSet's startup probe waits for: the server on loopback TCP. */
async function serverReady(): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt++) {
    const ok = await podman.run(['exec', container, 'pg_isready', '-h', '127.0.0.1', '-q']).then(
      () => true,
      () => false,
    );
    if (ok) return;
    const state = (await podman.run(['inspect', '--format', '{{.State.Status}}', container])).stdout.trim();
    if (state !== 'running') {
      const logs = await podman
        .run(['logs', container])
        .catch((e: unknown) => ({ stdout: String(e), stderr: '' }));
      throw new Error(`the server container is ${state}: ${logs.stdout}${logs.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the server did not accept connections on 127.0.0.1 within 240 attempts');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'iotpipe-timescaledb-image-'));
  const { runAsUser: uid, fsGroup } = statefulSet.securityContext;
  // The volumes as the kubelet makes them: the PVC owned by fsGroup, the init ConfigMap 0555,
  // the TLS Secret root-owned with group fsGroup and mode 0640 (defaultMode in the chart).
  const data = join(work, 'data');
  mkdirSync(data);
  chownSync(data, uid, fsGroup);
  const init = join(work, 'init');
  mkdirSync(init);
  for (const [file, text] of Object.entries(configMapData(NAMES.timescaleInitConfigMap))) {
    writeFileSync(join(init, file), text, { mode: 0o555 });
  }
  const tls = join(work, 'tls');
  mkdirSync(tls);
  // A self-signed server certificate for 127.0.0.1 stands in for the platform CA's: it is its own CA.
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(tls, 'tls.key'),
      '-out',
      join(tls, 'tls.crt'),
    ],
    { installHint: 'apt-get install openssl' },
  );
  for (const f of ['tls.key', 'tls.crt']) {
    chownSync(join(tls, f), 0, fsGroup);
    chmodSync(join(tls, f), 0o640);
  }
  const roles = join(work, 'roles');
  mkdirSync(roles);
  for (const [file, text] of Object.entries(configMapData(NAMES.timescaleRolesConfigMap))) {
    writeFileSync(join(roles, file), text, { mode: 0o444 });
  }
  const ca = join(work, 'ca');
  mkdirSync(ca);
  copyFileSync(join(tls, 'tls.crt'), join(ca, 'ca.crt'));
  chmodSync(join(ca, 'ca.crt'), 0o444);

  // The emptyDirs as the kubelet makes them: mode 0777, group fsGroup with setgid. (podman's
  // --tmpfs over a directory of the image takes that directory's mode and owner instead.)
  const scratch = statefulSet.volumes.filter((v) => v.emptyDir !== undefined).map((v) => v.name);
  for (const v of scratch) {
    const dir = join(work, 'scratch', v);
    mkdirSync(dir, { recursive: true });
    chownSync(dir, 0, fsGroup);
    chmodSync(dir, 0o2777);
  }
  await podman.run([
    'run',
    '--detach',
    '--name',
    container,
    '--network=none',
    `--user=${uid}:${statefulSet.securityContext.runAsGroup}`,
    `--group-add=${fsGroup}`,
    '--read-only',
    '--read-only-tmpfs=false',
    ...scratch.flatMap((v) => ['--volume', `${join(work, 'scratch', v)}:${mountOf(server, v)}`]),
    '--volume',
    `${data}:${mountOf(server, 'data')}`,
    '--volume',
    `${init}:${mountOf(server, 'init')}:ro`,
    '--volume',
    `${tls}:${mountOf(server, 'tls')}:ro`,
    // The migration Job's mounts, for its roles step run in this container below.
    '--volume',
    `${roles}:${mountOf(rolesStep, 'roles')}:ro`,
    '--volume',
    `${ca}:${mountOf(rolesStep, 'ca')}:ro`,
    ...resolvedEnv(server),
    fullImageRef(server.image),
    ...(server.args ?? []),
  ]);
  await serverReady();
}, 300_000);

afterAll(async () => {
  await podman.run(['rm', '--force', '--time', '10', container]).catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the TimescaleDB image as the kind profile runs it', () => {
  it('the manifests name the image make images built, and it runs as the pod does (uid 70)', async () => {
    expect(await podman.inspect(fullImageRef(server.image))).toBeDefined();
    const user = await podman.run([
      'image',
      'inspect',
      '--format',
      '{{.Config.User}}',
      fullImageRef(server.image),
    ]);
    expect(user.stdout.trim()).toBe(String(statefulSet.securityContext.runAsUser));
    const id = await podman.run(['exec', container, 'id', '-u']);
    expect(id.stdout.trim()).toBe(String(statefulSet.securityContext.runAsUser));
  });

  it("the chart's init scripts ran at initdb: TimescaleDB preloaded, telemetry off, shared_buffers set, TLS on and required over the network", async () => {
    const [preload, telemetry, buffers, ssl] = await psql(
      "select current_setting('shared_preload_libraries') || E'\\n' || current_setting('timescaledb.telemetry_level') || E'\\n' || current_setting('shared_buffers') || E'\\n' || current_setting('ssl')",
    ).then((r) => r.join('\n').split('\n'));
    expect(preload).toBe('timescaledb');
    expect(telemetry).toBe('off');
    const tuning = configMapData(NAMES.timescaleInitConfigMap)['000-postgresql-conf.sh']!;
    expect(tuning).toContain(`shared_buffers = ${buffers}`);
    expect(ssl).toBe('on');
    // Other hosts: refused without TLS, password over TLS (loopback stays as initdb made it).
    const rules = await psql(
      "select type || ' ' || auth_method from pg_hba_file_rules where address = 'all' order by line_number",
    );
    expect(rules).toEqual(['hostnossl reject', 'hostssl scram-sha-256']);
  });

  it("the migration Job's roles step runs from this image as the Job's uid over verify-full TLS, and again without change", async () => {
    const uid = migrationJob.securityContext.runAsUser;
    // PGHOST is the Service in the cluster; here the server is the container's own loopback,
    // which the certificate names. PGSSLMODE verify-full: the step fails unless TLS is verified.
    const exec = () =>
      podman.run([
        'exec',
        `--user=${uid}`,
        ...resolvedEnv(rolesStep, { PGHOST: '127.0.0.1' }),
        container,
        ...(rolesStep.command ?? []),
      ]);
    await exec();
    await exec();
    const logins = [DATABASE_LOGINS.sink.user, DATABASE_LOGINS.reader.user, DATABASE_LOGINS.exporter.user];
    const members = await psql(
      `select r.rolname || ' ' || g.rolname || ' ' || r.rolsuper from pg_auth_members m
         join pg_roles r on r.oid = m.member join pg_roles g on g.oid = m.roleid
        where r.rolname in (${logins.map((l) => `'${l}'`).join(', ')}) order by 1`,
    );
    expect(members).toEqual(
      [
        `${DATABASE_LOGINS.exporter.user} pg_monitor false`,
        `${DATABASE_LOGINS.reader.user} ${DATABASE_ROLES.readerRole.default} false`,
        `${DATABASE_LOGINS.sink.user} ${DATABASE_ROLES.writerRole.default} false`,
      ].sort(),
    );
  });

  it('the extension is the tested version, takes a hypertable and compresses it, and a restart keeps the data', async () => {
    await psql('create extension if not exists timescaledb');
    const [version] = await psql("select extversion from pg_extension where extname = 'timescaledb'");
    const pinned = /^TIMESCALEDB_VERSION=(\S+)$/m.exec(
      readFileSync(join(config.repoRoot, 'local/timescaledb/versions.env'), 'utf8'),
    )?.[1];
    expect(version).toBe(pinned);
    await psql(`create table image_check (ts timestamptz not null, device text, v double precision);
      select create_hypertable('image_check', 'ts', chunk_time_interval => interval '1 day');
      insert into image_check select now() - i * interval '1 minute', 'd' || (i % 10), i from generate_series(1, 5000) i;
      alter table image_check set (timescaledb.compress, timescaledb.compress_segmentby = 'device');
      select count(compress_chunk(c)) from show_chunks('image_check') c`);
    await podman.run(['stop', '--time', '60', container]);
    await podman.run(['start', container]);
    await serverReady();
    expect(await psql('select count(*) from image_check')).toEqual(['5000']);
    expect(
      await psql(
        "select count(*) from timescaledb_information.hypertables where hypertable_name = 'image_check'",
      ),
    ).toEqual(['1']);
  });
});
