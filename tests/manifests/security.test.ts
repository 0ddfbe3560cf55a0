/**
 * The manifests' RBAC and the credentials Job against a real kube-apiserver (RBAC authorizer,
 * service-account tokens): the RBAC objects of the synth are applied for real into a
 * TestNamespace (cluster-scoped ones renamed after it and deleted afterwards), then
 * `kubectl auth can-i` asks as each ServiceAccount, and the credentials Job's code runs with a
 * token of its own ServiceAccount, so what it may not do is refused by the API server.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestNamespace } from '../../local/src/cluster/testing.js';
import { installCrds } from '../../local/src/cluster/crds.js';
import { IOTPIPELINE_CRD_FILE } from '../../cdk8s/src/imports.js';
import { credentialSpecs, DATABASE_ADDRESS_KEY } from '../../cdk8s/src/charts/credentials.js';
import { NAMES } from '../../cdk8s/src/charts/names.js';
import {
  allObjects,
  readInputs,
  synthPlatform,
  toYaml,
  type ManifestObject,
} from '../../cdk8s/src/platform.js';
import { ensureCredentials } from '../../operator/src/credentials/credentials.js';
import { kubeSecretStore } from '../../operator/src/credentials/store.js';

const run = promisify(execFile);

let ns: TestNamespace;
let other: TestNamespace;
let dir: string;
const clusterScoped: string[] = [];

async function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('kubectl', [...ns.kubectlArgs, ...args], { env: ns.env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `kubectl auth can-i` as a ServiceAccount of the test namespace: true for yes, false for no. */
async function can(sa: string, args: string[]): Promise<boolean> {
  const res = await kubectl(['auth', 'can-i', ...args, `--as=system:serviceaccount:${ns.name}:${sa}`]);
  const answer = res.stdout.trim();
  if (answer !== 'yes' && answer !== 'no')
    throw new Error(`can-i ${args.join(' ')}: ${res.stdout} ${res.stderr}`);
  return answer === 'yes';
}

/** Applies the RBAC objects of a synth (cluster-scoped ones suffixed with the namespace). */
async function applyRbac(objects: ManifestObject[], suffix: string): Promise<void> {
  const rename = (n: string) => `${n}-${suffix}`;
  const rbac = objects
    .filter((o) =>
      ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind),
    )
    .map((o): ManifestObject => {
      const copy = structuredClone(o);
      if (o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') {
        copy.metadata.name = rename(o.metadata.name);
        clusterScoped.push(`${o.kind.toLowerCase()}/${copy.metadata.name}`);
      }
      const ref = copy['roleRef'] as { kind: string; name: string } | undefined;
      if (ref?.kind === 'ClusterRole') ref.name = rename(ref.name);
      return copy;
    });
  const file = join(dir, `rbac-${suffix}.yaml`);
  await writeFile(file, toYaml(rbac));
  const res = await kubectl(['apply', '-f', file]);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
}

beforeAll(async () => {
  ns = await TestNamespace.create('security');
  other = await TestNamespace.create('security-other');
  // kubectl auth can-i answers "no" for a resource type discovery does not list, whatever RBAC
  // allows: the IoTPipeline CRD must be served before its verbs are asked about (idempotent).
  await installCrds(ns.kubeConfig, [], { extraFiles: [IOTPIPELINE_CRD_FILE] });
  dir = await mkdtemp(join(tmpdir(), 'iotpipe-security-'));
});

afterAll(async () => {
  for (const o of clusterScoped) await kubectl(['delete', o, '--ignore-not-found']);
  await ns?.delete();
  await other?.delete();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the operator ServiceAccount', () => {
  it('cluster scope: manages pipelines and their children anywhere, reads no Secret anywhere', async () => {
    await applyRbac(
      allObjects(synthPlatform({ profile: 'production', namespace: ns.name, inputs: readInputs() })),
      'c',
    );
    const op = NAMES.operator;
    expect(await can(op, ['list', 'secrets', '--all-namespaces'])).toBe(false);
    expect(await can(op, ['get', 'secrets', '-n', ns.name])).toBe(false);
    expect(await can(op, ['watch', 'secrets', '-n', other.name])).toBe(false);
    for (const [verb, resource] of [
      ['create', 'deployments.apps'],
      ['patch', 'statefulsets.apps'],
      ['create', 'kafkausers.kafka.strimzi.io'],
      ['delete', 'kafkatopics.kafka.strimzi.io'],
      ['create', 'networkpolicies.networking.k8s.io'],
      ['create', 'poddisruptionbudgets.policy'],
      // The kubelet's FailedMount Events: how a missing Secret of the stages' volume is named.
      ['watch', 'events'],
    ] as const) {
      expect(await can(op, [verb, resource, '-n', other.name]), `${verb} ${resource}`).toBe(true);
    }
    expect(
      await can(op, ['update', 'iotpipelines.iotpipe.io', '--subresource=status', '-n', other.name]),
    ).toBe(true);
    expect(await can(op, ['create', 'configmaps', '-n', ns.name])).toBe(false);
    expect(await can(op, ['create', 'pods', '-n', ns.name])).toBe(false);
    expect(await can(op, ['create', 'clusterroles.rbac.authorization.k8s.io'])).toBe(false);
    // Leader election only in its own namespace.
    expect(await can(op, ['update', 'leases.coordination.k8s.io', '-n', ns.name])).toBe(true);
    expect(await can(op, ['update', 'leases.coordination.k8s.io', '-n', other.name])).toBe(false);
  });

  it('namespace scope: the same rules in its own namespace only', async () => {
    // Drop the cluster-scope binding of the previous test, then bind as in namespace scope.
    for (const o of clusterScoped.filter((x) => x.startsWith('clusterrolebinding/')))
      await kubectl(['delete', o, '--ignore-not-found']);
    await applyRbac(
      allObjects(
        synthPlatform({
          profile: 'production',
          namespace: ns.name,
          inputs: readInputs(),
          operatorScope: 'namespace',
        }),
      ),
      'c',
    );
    const op = NAMES.operator;
    expect(await can(op, ['create', 'deployments.apps', '-n', ns.name])).toBe(true);
    expect(await can(op, ['create', 'deployments.apps', '-n', other.name])).toBe(false);
    expect(await can(op, ['list', 'iotpipelines.iotpipe.io', '--all-namespaces'])).toBe(false);
    expect(await can(op, ['get', 'secrets', '-n', ns.name])).toBe(false);
  });
});

describe('the credentials Job', () => {
  it('may create Secrets in its namespace and read only the CA', async () => {
    const sa = NAMES.credentials;
    expect(await can(sa, ['create', 'secrets', '-n', ns.name])).toBe(true);
    expect(await can(sa, ['get', `secrets/${NAMES.platformCa}`, '-n', ns.name])).toBe(true);
    expect(await can(sa, ['get', `secrets/${NAMES.timescaleOwnerSecret}`, '-n', ns.name])).toBe(false);
    expect(await can(sa, ['list', 'secrets', '-n', ns.name])).toBe(false);
    expect(await can(sa, ['update', 'secrets', '-n', ns.name])).toBe(false);
    expect(await can(sa, ['create', 'secrets', '-n', other.name])).toBe(false);
  });

  it('as its ServiceAccount: makes every Secret once, keeps them, remakes a deleted certificate with the same CA', async () => {
    const token = await kubectl(['create', 'token', NAMES.credentials, '-n', ns.name, '--duration=10m']);
    expect(token.code).toBe(0);
    const admin = ns.kubeConfig;
    const cluster = admin.getCurrentCluster()!;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'credentials', token: token.stdout.trim() }],
      contexts: [{ name: 'credentials', cluster: cluster.name, user: 'credentials' }],
      currentContext: 'credentials',
    });
    const specs = credentialSpecs(ns.name);
    const store = kubeSecretStore(kc, ns.name);
    const first = await ensureCredentials(specs, store, new Date());
    expect(first).toEqual(specs.map((s) => `created Secret ${s.name}`));
    expect(await ensureCredentials(specs, store, new Date())).toEqual(
      specs.map((s) => `kept Secret ${s.name}`),
    );

    // What the workloads will read, through the admin's eyes.
    const read = async (name: string) => {
      const res = await kubectl(['get', 'secret', name, '-o', 'json']);
      const data = (JSON.parse(res.stdout) as { data: Record<string, string> }).data;
      return Object.fromEntries(
        Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
      );
    };
    const sink = await read(NAMES.timescaleSinkSecret);
    expect(sink['database-url']).toBe(
      `postgres://iot_sink:${sink['password']}@${NAMES.timescale}:5432/${NAMES.timescaleDatabase}`,
    );
    const ca = new X509Certificate((await read(NAMES.platformCa))['ca.crt']!);
    const tls = await read(NAMES.timescaleTls);
    expect(new X509Certificate(tls['tls.crt']!).checkHost(`${NAMES.timescale}.${ns.name}.svc`)).toBeDefined();
    // What the sink connects with: the URL without its password (read from a file), verify-full
    // against the CA that signed the database's certificate.
    expect(sink[DATABASE_ADDRESS_KEY]).toBe(
      `postgres://iot_sink@${NAMES.timescale}:5432/${NAMES.timescaleDatabase}`,
    );
    expect(sink['sslmode']).toBe('verify-full');
    expect(new X509Certificate(tls['tls.crt']!).verify(new X509Certificate(sink['ca.crt']!).publicKey)).toBe(
      true,
    );

    expect((await kubectl(['delete', 'secret', NAMES.timescaleTls])).code).toBe(0);
    const third = await ensureCredentials(specs, store, new Date());
    expect(third).toContain(`created Secret ${NAMES.timescaleTls}`);
    expect(third.filter((l) => l.startsWith('created'))).toHaveLength(1);
    const remade = new X509Certificate((await read(NAMES.timescaleTls))['tls.crt']!);
    expect(remade.verify(ca.publicKey)).toBe(true);

    // Its token cannot read what it made (only the CA): the API server refuses.
    await expect(store.read(NAMES.timescaleOwnerSecret)).rejects.toThrow(/403|forbidden/i);
    expect(await store.read(NAMES.platformCa)).toBeDefined();
  });
});
