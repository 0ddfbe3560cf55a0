/**
 * Every object cdk8s synthesizes, for each profile, through `kubectl apply --dry-run=server` on
 * the local control plane: the real kube-apiserver validates them against the real Strimzi
 * 1.2.0, prometheus-operator 0.89.0 and IoTPipeline CRD schemas (CEL rules included), RBAC and
 * built-in types; strict field validation rejects unknown fields. Namespaced objects go into a
 * TestNamespace (the synth takes its name); cluster-scoped ones (Namespace, CRD, ClusterRole,
 * ClusterRoleBinding) go through the same dry run, so nothing is stored.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from '../../local/src/cluster/crds.js';
import { TestNamespace } from '../../local/src/cluster/testing.js';
import { IOTPIPELINE_CRD_FILE } from '../../cdk8s/src/imports.js';
import {
  allObjects,
  readInputs,
  synthPlatform,
  toYaml,
  type ManifestObject,
} from '../../cdk8s/src/platform.js';
import { PROFILE_NAMES } from '../../cdk8s/src/profiles.js';
import { desiredChildren } from '../../operator/src/children/desired.js';
import { defaultedSpec, type IoTPipeline } from '../../operator/src/crd/iotpipeline.js';

const run = promisify(execFile);

async function kubectl(
  ns: TestNamespace,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('kubectl', [...ns.kubectlArgs, ...args], {
      env: ns.env,
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let ns: TestNamespace;
let dir: string;
beforeAll(async () => {
  ns = await TestNamespace.create('manifests');
  // The IoTPipeline CRD for the sample pipeline (idempotent; the platform CRDs are installed by
  // the global setup).
  await installCrds(ns.kubeConfig, [], { extraFiles: [IOTPIPELINE_CRD_FILE] });
  dir = await mkdtemp(join(tmpdir(), 'iotpipe-manifests-'));
});
afterAll(async () => {
  await ns?.delete();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(PROFILE_NAMES)('profile %s', (profile) => {
  it('every synthesized object passes kubectl apply --dry-run=server', async () => {
    const files = synthPlatform({ profile, namespace: ns.name, inputs: readInputs() });
    const target = join(dir, profile);
    await run('mkdir', ['-p', target]);
    for (const f of files) await writeFile(join(target, f.file), toYaml(f.objects));
    const res = await kubectl(ns, ['apply', '--dry-run=server', '--validate=strict', '-f', target]);
    // kubectl warns that the test namespace and the CRD (made by the harness, not by apply) lack
    // its last-applied annotation; anything else on stderr is a failure.
    const stderr = res.stderr
      .split('\n')
      .filter(
        (l) =>
          l !== '' && !l.includes('missing the kubectl.kubernetes.io/last-applied-configuration annotation'),
      );
    expect(stderr).toEqual([]);
    expect(res.code).toBe(0);
    // One "(server dry run)" line per object: nothing was skipped.
    const lines = res.stdout.split('\n').filter((l) => l.endsWith('(server dry run)'));
    const objects = allObjects(files);
    expect(lines.length).toBe(objects.length);
    for (const o of objects) {
      const kind = o.kind.toLowerCase();
      // `<kind>[.<group>]/<name> created|configured (server dry run)`
      const applied = lines.some(
        (l) =>
          /^[a-z]+(\.[a-z0-9.-]+)?\//.test(l) &&
          l.split('/')[0]!.split('.')[0] === kind &&
          l.includes(`/${o.metadata.name} `),
      );
      expect(applied, `${o.kind}/${o.metadata.name}`).toBe(true);
    }
  });
});

describe('what the operator makes from the sample IoTPipeline', () => {
  it('every child (topics, the adapter StatefulSet and its Service, Deployments, monitoring) passes kubectl apply --dry-run=server', async () => {
    const sample = allObjects(
      synthPlatform({ profile: 'kind', namespace: ns.name, inputs: readInputs() }),
    ).find((o) => o.kind === 'IoTPipeline')!;
    const pipeline = {
      ...sample,
      metadata: { ...sample.metadata, namespace: ns.name, uid: '00000000-0000-4000-8000-000000000001' },
      spec: defaultedSpec(sample['spec']),
    } as unknown as IoTPipeline;
    const children = desiredChildren(pipeline);
    expect(children.map((c) => c.kind)).toContain('StatefulSet');
    const file = join(dir, 'operator-children.yaml');
    await writeFile(file, toYaml(children.map((c): ManifestObject => ({ ...c }))));
    const res = await kubectl(ns, ['apply', '--dry-run=server', '--validate=strict', '-f', file]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(
      `statefulset.apps/${pipeline.metadata.name}-adapter created (server dry run)`,
    );
    expect(res.stdout.split('\n').filter((l) => l.endsWith('(server dry run)'))).toHaveLength(
      children.length,
    );
  });
});

describe('the dry run really validates', () => {
  it('rejects a Kafka with a field the Strimzi schema does not have', async () => {
    const kafka = allObjects(
      synthPlatform({ profile: 'kind', namespace: ns.name, inputs: readInputs() }),
    ).find((o) => o.kind === 'Kafka')!;
    const broken = {
      ...kafka,
      spec: {
        ...(kafka['spec'] as object),
        kafka: { ...(kafka['spec'] as { kafka: object }).kafka, replicas: 3 },
      },
    };
    const file = join(dir, 'broken-kafka.yaml');
    await writeFile(file, toYaml([broken]));
    const res = await kubectl(ns, ['apply', '--dry-run=server', '--validate=strict', '-f', file]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/unknown field "spec\.kafka\.replicas"/);
  });

  it('rejects an IoTPipeline that breaks a CEL rule of the CRD (minInSyncReplicas == replicas)', async () => {
    const pipeline = allObjects(
      synthPlatform({ profile: 'kind', namespace: ns.name, inputs: readInputs() }),
    ).find((o) => o.kind === 'IoTPipeline')!;
    const spec = pipeline['spec'] as { kafka: object };
    const broken = { ...pipeline, spec: { ...spec, kafka: { ...spec.kafka, minInSyncReplicas: 3 } } };
    const file = join(dir, 'broken-pipeline.yaml');
    await writeFile(file, toYaml([broken]));
    const res = await kubectl(ns, ['apply', '--dry-run=server', '-f', file]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('minInSyncReplicas must be less than replicas');
  });
});
