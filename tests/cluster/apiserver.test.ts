// Against the real local control plane (kube-apiserver + etcd, no kubelet/controllers) with the
// publishers' Strimzi and Prometheus operator CRDs installed by tests/cluster/global-setup.ts.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiextensionsV1Api,
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Watch,
  loadAllYaml,
  type V1CustomResourceDefinition,
  type V1Deployment,
} from '@kubernetes/client-node';
import { loadControlPlaneConfig } from '../../local/src/cluster/config.js';
import { platformCrdFiles } from '../../local/src/cluster/crds.js';
import { markDeploymentAvailable, TestNamespace } from '../../local/src/cluster/testing.js';

const STRIMZI = { group: 'kafka.strimzi.io', version: 'v1', plural: 'kafkatopics' } as const;

interface KafkaTopic {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string };
  spec: { partitions: unknown; replicas: unknown; config?: Record<string, unknown> };
}

function kafkaTopic(name: string, partitions: unknown): KafkaTopic {
  return {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaTopic',
    metadata: { name, labels: { 'strimzi.io/cluster': 'iotpipe' } },
    spec: { partitions, replicas: 3, config: { 'min.insync.replicas': 2, 'retention.ms': 604800000 } },
  };
}

function kubectl(ns: TestNamespace, args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync('kubectl', [...ns.kubectlArgs, ...args], { env: ns.env, input, encoding: 'utf8' });
  if (r.error)
    throw new Error(`kubectl could not run (${r.error.message}): install kubectl or put it on PATH`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function deployment(name: string): V1Deployment {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: 'iotpipe/workloads:test', args: ['adapter'] }] },
      },
    },
  };
}

/** Drops empty maps and lists, as the apiserver's Go types do (omitempty), e.g. `properties: {}`. */
function omitEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(omitEmpty);
  if (value instanceof Date || typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const n = omitEmpty(v);
    if (n === undefined) continue;
    if (typeof n === 'object' && n !== null && !(n instanceof Date) && Object.keys(n).length === 0) continue;
    out[k] = n;
  }
  return out;
}

describe('local kube-apiserver', () => {
  let ns: TestNamespace;

  beforeAll(async () => {
    ns = await TestNamespace.create('apiserver');
  });
  afterAll(async () => {
    await ns?.delete();
  });

  it('accepts and stores a Deployment; a test plays the kubelet to make it Available', async () => {
    const apps = ns.kubeConfig.makeApiClient(AppsV1Api);
    const created = await apps.createNamespacedDeployment({
      namespace: ns.name,
      body: deployment('adapter'),
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);

    const stored = await apps.readNamespacedDeployment({ name: 'adapter', namespace: ns.name });
    expect(stored.spec?.replicas).toBe(2);
    expect(stored.spec?.template.spec?.containers[0]?.image).toBe('iotpipe/workloads:test');
    // No controller-manager: nothing rolls it out by itself.
    expect(stored.status?.availableReplicas ?? 0).toBe(0);

    // Plays the kubelet + deployment controller (nothing runs here).
    await markDeploymentAvailable(ns.kubeConfig, ns.name, 'adapter');
    const rolledOut = await apps.readNamespacedDeployment({ name: 'adapter', namespace: ns.name });
    expect(rolledOut.status?.availableReplicas).toBe(2);
    expect(rolledOut.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
  });

  it('accepts and stores a Strimzi KafkaTopic (kafka.strimzi.io/v1)', async () => {
    const api = ns.kubeConfig.makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({
      ...STRIMZI,
      namespace: ns.name,
      body: kafkaTopic('readings', 6),
    });
    const stored = (await api.getNamespacedCustomObject({
      ...STRIMZI,
      namespace: ns.name,
      name: 'readings',
    })) as KafkaTopic;
    expect(stored.spec).toEqual({
      partitions: 6,
      replicas: 3,
      config: { 'min.insync.replicas': 2, 'retention.ms': 604800000 },
    });
    expect(stored.metadata.labels?.['strimzi.io/cluster']).toBe('iotpipe');
  });

  it('rejects an invalid KafkaTopic with the schema of the real CRD, naming the field', async () => {
    const api = ns.kubeConfig.makeApiClient(CustomObjectsApi);
    const err = await api
      .createNamespacedCustomObject({ ...STRIMZI, namespace: ns.name, body: kafkaTopic('bad', 'three') })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApiException);
    const apiErr = err as ApiException<string>;
    expect(apiErr.code).toBe(422);
    const status = JSON.parse(apiErr.body) as { message: string };
    expect(status.message).toContain('spec.partitions');
    expect(status.message).toMatch(/must be of type integer/);
    await expect(
      api.getNamespacedCustomObject({ ...STRIMZI, namespace: ns.name, name: 'bad' }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('a watch sees a change to a KafkaTopic', async () => {
    const api = ns.kubeConfig.makeApiClient(CustomObjectsApi);
    const created = (await api.createNamespacedCustomObject({
      ...STRIMZI,
      namespace: ns.name,
      body: kafkaTopic('watched', 3),
    })) as KafkaTopic;

    let abort: (() => void) | undefined;
    const seen = new Promise<KafkaTopic>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no MODIFIED event within 10 s')), 10_000);
      // Not awaited: the watch reports through its callbacks, which settle `seen`.
      void new Watch(ns.kubeConfig)
        .watch(
          `/apis/kafka.strimzi.io/v1/namespaces/${ns.name}/kafkatopics`,
          { resourceVersion: created.metadata.resourceVersion, fieldSelector: 'metadata.name=watched' },
          (type: string, obj: KafkaTopic) => {
            if (type === 'MODIFIED') {
              clearTimeout(timer);
              resolve(obj);
            }
          },
          (err: unknown) => {
            if (err) reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
          },
        )
        .then((req) => {
          abort = () => req.abort();
        }, reject);
    });
    const updated = { ...created, spec: { ...created.spec, partitions: 12 } };
    await api.replaceNamespacedCustomObject({
      ...STRIMZI,
      namespace: ns.name,
      name: 'watched',
      body: updated,
    });
    try {
      expect((await seen).spec.partitions).toBe(12);
    } finally {
      abort?.();
    }
  });

  it('`kubectl apply --dry-run=server` validates against it without storing', () => {
    const manifest = JSON.stringify(kafkaTopic('dry', 3));
    const ok = kubectl(ns, ['apply', '--dry-run=server', '-f', '-'], manifest);
    expect(ok.out).toContain('kafkatopic.kafka.strimzi.io/dry created (server dry run)');
    expect(ok.status).toBe(0);
    expect(kubectl(ns, ['get', 'kafkatopic', 'dry']).status).not.toBe(0);

    const bad = kubectl(
      ns,
      ['apply', '--dry-run=server', '-f', '-'],
      JSON.stringify(kafkaTopic('dry-bad', 'many')),
    );
    expect(bad.status).not.toBe(0);
    expect(bad.out).toContain('spec.partitions');
  });

  it('authorizes with RBAC: the admin is allowed, a service account is not', () => {
    expect(kubectl(ns, ['auth', 'can-i', 'create', 'kafkatopics.kafka.strimzi.io']).out.trim()).toBe('yes');
    const sa = kubectl(ns, [
      'auth',
      'can-i',
      'list',
      'secrets',
      `--as=system:serviceaccount:${ns.name}:default`,
    ]);
    expect(sa.out.trim()).toBe('no');
    expect(sa.status).not.toBe(0);
  });

  it('serves the CRD schemas exactly as the publishers ship them', async () => {
    const ext = ns.kubeConfig.makeApiClient(ApiextensionsV1Api);
    const files = await platformCrdFiles(loadControlPlaneConfig());
    expect(files).toHaveLength(8);
    for (const file of files) {
      const [published] = loadAllYaml(await readFile(file, 'utf8')) as V1CustomResourceDefinition[];
      const name = published!.metadata!.name!;
      const served = await ext.readCustomResourceDefinition({ name });
      expect(
        served.spec.versions.map((v) => v.name),
        name,
      ).toEqual(published!.spec.versions.map((v) => v.name));
      for (const [i, v] of published!.spec.versions.entries()) {
        expect(omitEmpty(served.spec.versions[i]!.schema), `${name} ${v.name}`).toEqual(omitEmpty(v.schema));
      }
    }
  });
});

describe('TestNamespace', () => {
  it('deletes its objects (even with finalizers) and the namespace itself, with no namespace controller', async () => {
    const ns = await TestNamespace.create('cleanup');
    const core = ns.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'held', finalizers: ['iotpipe.io/test'] }, data: { a: '1' } },
    });
    await ns.delete();
    await expect(core.readNamespace({ name: ns.name })).rejects.toMatchObject({ code: 404 });
    await expect(core.readNamespacedConfigMap({ name: 'held', namespace: ns.name })).rejects.toMatchObject({
      code: 404,
    });
  });
});
