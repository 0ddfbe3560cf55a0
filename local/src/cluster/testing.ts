/**
 * Helpers for suites that test against the local control plane (a real kube-apiserver + etcd).
 *
 * What the control plane does NOT have: kubelet, kube-controller-manager, scheduler. So nothing
 * runs pods, no ReplicaSets appear for a Deployment, nothing garbage-collects owned objects and
 * no namespace controller empties a deleted namespace. A test that needs a Deployment to look
 * rolled out calls {@link markDeploymentAvailable} and says so in its name or a comment ("plays
 * the kubelet/controller"); {@link TestNamespace.delete} empties and finalizes its namespace itself.
 */
import { randomBytes } from 'node:crypto';
import {
  ApisApi,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
  type V1APIResource,
  type V1Deployment,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import { loadControlPlaneConfig } from './config.js';
import { ControlPlane } from './controlplane.js';
import { installCrds, platformCrdFiles } from './crds.js';
import { sleep } from './exec.js';

export interface ControlPlaneHandle {
  readonly plane: ControlPlane;
  /** True when this call started it; then {@link ControlPlaneHandle.release} stops it. */
  readonly startedHere: boolean;
  readonly kubeconfigPath: string;
  /** Stops the control plane if this handle started it, else leaves it running. */
  release(): Promise<void>;
}

/**
 * For a vitest globalSetup: reuses a ready control plane (e.g. from `make cluster-up`) or starts
 * one, and makes sure the platform CRDs (plus `extraCrdFiles`) are installed.
 */
export async function ensureControlPlane(
  options: { env?: NodeJS.ProcessEnv; extraCrdFiles?: readonly string[]; log?: (line: string) => void } = {},
): Promise<ControlPlaneHandle> {
  const config = loadControlPlaneConfig(options.env ?? process.env);
  const plane = new ControlPlane(config, options.log);
  const before = await plane.status();
  let startedHere = false;
  if (!before.ready) {
    const report = await plane.start();
    startedHere = report.started.length > 0;
  }
  await installCrds(plane.kubeConfig(), await platformCrdFiles(config, options.log), {
    extraFiles: options.extraCrdFiles ?? [],
  });
  return {
    plane,
    startedHere,
    kubeconfigPath: plane.kubeconfigPath,
    release: async () => {
      if (startedHere) await plane.stop();
    },
  };
}

/** A DNS-1123 label `<prefix>-<random>` of at most 63 characters. */
export function uniqueNamespaceName(prefix: string): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'test';
  return `${clean.slice(0, 50)}-${randomBytes(4).toString('hex')}`;
}

/**
 * A fresh, uniquely named namespace for one suite: create it in beforeAll, delete it in afterAll.
 *
 *   let ns: TestNamespace;
 *   beforeAll(async () => { ns = await TestNamespace.create('kafkatopic'); });
 *   afterAll(async () => { await ns?.delete(); });
 */
export class TestNamespace {
  private constructor(
    readonly name: string,
    /** Admin (system:masters) KubeConfig for @kubernetes/client-node, default namespace = this one. */
    readonly kubeConfig: KubeConfig,
    readonly kubeconfigPath: string,
  ) {}

  static async create(prefix: string, env: NodeJS.ProcessEnv = process.env): Promise<TestNamespace> {
    const plane = new ControlPlane(loadControlPlaneConfig(env));
    const kc = plane.kubeConfig();
    const name = uniqueNamespaceName(prefix);
    await kc.makeApiClient(CoreV1Api).createNamespace({
      body: { metadata: { name, labels: { 'iotpipe.io/test-namespace': 'true' } } },
    });
    const context = kc.getCurrentContext();
    kc.contexts = kc.contexts.map((c) => (c.name === context ? { ...c, namespace: name } : c));
    return new TestNamespace(name, kc, plane.kubeconfigPath);
  }

  /** Environment for `kubectl` (and anything else reading KUBECONFIG) aimed at this namespace. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, KUBECONFIG: this.kubeconfigPath, IOTPIPE_TEST_NAMESPACE: this.name };
  }

  /** `kubectl` arguments that select this namespace: spread before the rest. */
  get kubectlArgs(): string[] {
    return ['--kubeconfig', this.kubeconfigPath, '--namespace', this.name];
  }

  /**
   * Deletes every object in the namespace (dropping finalizers: no controller would remove them),
   * then the namespace, finalizing it as the namespace controller would.
   */
  async delete(): Promise<void> {
    await deleteNamespaceFully(this.kubeConfig, this.name);
  }
}

/** Namespaced resources of every served group version that can be listed and deleted. */
async function namespacedResources(
  kc: KubeConfig,
): Promise<Array<{ apiVersion: string; resource: V1APIResource }>> {
  const out: Array<{ apiVersion: string; resource: V1APIResource }> = [];
  const keep = (apiVersion: string, list: V1APIResource[]): void => {
    for (const r of list) {
      if (r.namespaced && !r.name.includes('/') && r.verbs.includes('list') && r.verbs.includes('delete')) {
        out.push({ apiVersion, resource: r });
      }
    }
  };
  keep('v1', (await kc.makeApiClient(CoreV1Api).getAPIResources()).resources);
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (const group of (await kc.makeApiClient(ApisApi).getAPIVersions()).groups) {
    const gv = group.preferredVersion ?? group.versions[0];
    if (gv === undefined) continue;
    const list = await custom.getAPIResources({ group: group.name, version: gv.version });
    keep(gv.groupVersion, list.resources);
  }
  return out;
}

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
}

function isNotFound(err: unknown): boolean {
  return errorCode(err) === 404;
}

/**
 * Retries while the apiserver answers 429 "storage is (re)initializing": a resource's watch cache
 * (e.g. of a CRD installed moments ago) fills after /readyz is already OK.
 */
export async function retryWhileBusy<T>(fn: () => Promise<T>, attempts = 60): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (errorCode(err) !== 429 || i >= attempts) throw err;
      await sleep(500);
    }
  }
}

export async function deleteNamespaceFully(kc: KubeConfig, namespace: string): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  for (const { apiVersion, resource } of await namespacedResources(kc)) {
    const list = await retryWhileBusy(() =>
      objects.list<KubernetesObject>(apiVersion, resource.kind, namespace),
    );
    for (const item of list.items) {
      const meta = { name: item.metadata?.name ?? '', namespace };
      try {
        if ((item.metadata?.finalizers ?? []).length > 0) {
          await objects.patch(
            {
              apiVersion,
              kind: resource.kind,
              metadata: { ...meta, finalizers: null },
            } as unknown as KubernetesObject,
            undefined,
            undefined,
            undefined,
            undefined,
            PatchStrategy.MergePatch,
          );
        }
        await objects.delete({ apiVersion, kind: resource.kind, metadata: meta });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await core.deleteNamespace({ name: namespace });
    const ns = await core.readNamespace({ name: namespace });
    await core.replaceNamespaceFinalize({ name: namespace, body: { ...ns, spec: { finalizers: [] } } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * Plays the kubelet and the deployment controller for one Deployment: writes the status they
 * would once all replicas run (observedGeneration, replicas, updated/ready/available replicas,
 * Available and Progressing conditions). Nothing actually runs; tests that use it must say so.
 */
export async function markDeploymentAvailable(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<V1Deployment> {
  const apps = kc.makeApiClient(AppsV1Api);
  const current = await apps.readNamespacedDeployment({ name, namespace });
  const replicas = current.spec?.replicas ?? 1;
  const now = new Date();
  const body: V1Deployment = {
    ...current,
    status: {
      observedGeneration: current.metadata?.generation ?? 1,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
          lastTransitionTime: now,
          lastUpdateTime: now,
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${name}" has successfully progressed.`,
          lastTransitionTime: now,
          lastUpdateTime: now,
        },
      ],
    },
  };
  return apps.replaceNamespacedDeploymentStatus({ name, namespace, body });
}

/**
 * Plays the kubelet and the StatefulSet controller for one StatefulSet: writes the status they
 * would once every replica (`<name>-0` ... `<name>-<n-1>`) runs the current template
 * (observedGeneration, replicas, current/updated/ready/available replicas, current revision =
 * update revision). Nothing actually runs; tests that use it must say so.
 */
export async function markStatefulSetAvailable(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<V1StatefulSet> {
  const apps = kc.makeApiClient(AppsV1Api);
  const current = await apps.readNamespacedStatefulSet({ name, namespace });
  const replicas = current.spec?.replicas ?? 1;
  const generation = current.metadata?.generation ?? 1;
  // The controller names revisions after the ControllerRevision of the pod template.
  const revision = `${name}-r${generation}`;
  const body: V1StatefulSet = {
    ...current,
    status: {
      observedGeneration: generation,
      replicas,
      currentReplicas: replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
    },
  };
  return apps.replaceNamespacedStatefulSetStatus({ name, namespace, body });
}
