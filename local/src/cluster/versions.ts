import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StackError } from '../errors.js';

/** The pinned versions of local/cluster/versions.json, the one place they are set. */
export interface ClusterVersions {
  /** k8s.io/kubernetes tag that kube-apiserver is built from, e.g. v1.37.2. */
  readonly kubernetes: string;
  /** go.etcd.io/etcd/server/v3 tag, e.g. v3.7.3. */
  readonly etcd: string;
  /** github.com/coredns/coredns tag: the node's cluster DNS. */
  readonly coredns: string;
  /** github.com/rancher/local-path-provisioner tag: the node's dynamic volume provisioner. */
  readonly localPathProvisioner: string;
  /** io.strimzi:api and io.strimzi:crd-generator on Maven Central, e.g. 1.2.0. */
  readonly strimzi: string;
  /** github.com/prometheus-operator/prometheus-operator Go module tag, e.g. v0.89.0. */
  readonly prometheusOperator: string;
  /** The Java feature release Strimzi's CRD generator is compiled for. */
  readonly javaForStrimzi: number;
}

export function clusterAssetsDir(repoRoot: string): string {
  return join(repoRoot, 'local', 'cluster');
}

export async function loadVersions(repoRoot: string): Promise<ClusterVersions> {
  const file = join(clusterAssetsDir(repoRoot), 'versions.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new StackError(`cannot read ${file}: ${(err as Error).message}`, 'restore it from git');
  }
  if (typeof raw !== 'object' || raw === null)
    throw new StackError(`${file} is not a JSON object`, 'restore it from git');
  const obj = raw as Record<string, unknown>;
  const str = (key: string, pattern: RegExp): string => {
    const v = obj[key];
    if (typeof v !== 'string' || !pattern.test(v)) {
      throw new StackError(
        `${file}: "${key}" is ${JSON.stringify(v)}, expected a version like ${pattern.source}`,
        'fix the pin',
      );
    }
    return v;
  };
  const java = obj['javaForStrimzi'];
  if (typeof java !== 'number' || !Number.isInteger(java)) {
    throw new StackError(`${file}: "javaForStrimzi" must be an integer Java release`, 'fix the pin');
  }
  return {
    kubernetes: str('kubernetes', /^v1\.\d+\.\d+$/),
    etcd: str('etcd', /^v3\.\d+\.\d+$/),
    coredns: str('coredns', /^v1\.\d+\.\d+$/),
    localPathProvisioner: str('localPathProvisioner', /^v0\.\d+\.\d+$/),
    strimzi: str('strimzi', /^\d+\.\d+\.\d+$/),
    prometheusOperator: str('prometheusOperator', /^v0\.\d+\.\d+$/),
    javaForStrimzi: java,
  };
}

/** The staging modules' tag that belongs to a Kubernetes tag: v1.37.2 -> v0.37.2. */
export function stagingVersion(kubernetes: string): string {
  return kubernetes.replace(/^v1\./, 'v0.');
}

/**
 * Fails unless a go.mod requires `module` at `version`, so versions.json and the go.mod files
 * (which carry the checksums in go.sum) cannot drift apart silently.
 */
export async function checkGoModPin(goModPath: string, module: string, version: string): Promise<void> {
  const text = await readFile(goModPath, 'utf8').catch(() => {
    throw new StackError(`${goModPath} is missing`, 'restore it from git');
  });
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(text);
  if (!m)
    throw new StackError(
      `${goModPath} does not require ${module}`,
      `run the bump steps in local/cluster/README.md`,
    );
  if (m[1] !== version) {
    throw new StackError(
      `${goModPath} pins ${module} ${m[1]} but local/cluster/versions.json says ${version}`,
      'make them agree: follow "Bumping a version" in local/cluster/README.md',
    );
  }
}
