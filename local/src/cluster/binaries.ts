import { access, constants, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StackError } from '../errors.js';
import type { ControlPlaneConfig } from './config.js';
import { run } from './exec.js';
import { withFileLock } from './lock.js';
import {
  checkGoModPin,
  clusterAssetsDir,
  loadVersions,
  stagingVersion,
  type ClusterVersions,
} from './versions.js';

export interface ControlPlaneBinaries {
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly versions: ClusterVersions;
}

/** The node's binaries (`cluster up --node`), built like the control plane's. */
export interface NodeBinaries {
  readonly kubelet: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kubeProxy: string;
  readonly coredns: string;
  readonly localPathProvisioner: string;
}

export interface BuildReport {
  readonly binary: string;
  /** false when the binary was already in the cache. */
  readonly built: boolean;
  readonly seconds: number;
}

const GO_HINT = 'install Go 1.26+ (https://go.dev/dl) or set IOTPIPE_GO to its go binary';
const MIN_GO_MINOR = 26;

/**
 * Builds etcd and kube-apiserver from the Go module proxy, pinned by local/cluster/{etcd,apiserver}
 * go.mod + go.sum, into `<cache>/<name>-<version>`. A binary already there is reused: the version is
 * in the name and the sources are checksummed, so the cache never goes stale.
 */
export class BinaryBuilder {
  constructor(
    private readonly config: ControlPlaneConfig,
    private readonly log: (line: string) => void = () => {},
  ) {}

  async paths(): Promise<ControlPlaneBinaries> {
    const versions = await loadVersions(this.config.repoRoot);
    return {
      versions,
      etcd: join(this.config.cacheDir, `etcd-${versions.etcd}`),
      kubeApiserver: join(this.config.cacheDir, `kube-apiserver-${versions.kubernetes}`),
    };
  }

  async nodePaths(): Promise<NodeBinaries> {
    const v = await loadVersions(this.config.repoRoot);
    const at = (name: string, version: string): string => join(this.config.cacheDir, `${name}-${version}`);
    return {
      kubelet: at('kubelet', v.kubernetes),
      kubeControllerManager: at('kube-controller-manager', v.kubernetes),
      kubeScheduler: at('kube-scheduler', v.kubernetes),
      kubeProxy: at('kube-proxy', v.kubernetes),
      coredns: at('coredns', v.coredns),
      localPathProvisioner: at('local-path-provisioner', v.localPathProvisioner),
    };
  }

  /**
   * Builds the node's binaries that are missing: the Kubernetes components from
   * local/cluster/node (the apiserver's k8s.io/kubernetes tag), CoreDNS and the local-path
   * provisioner from their own modules. The last two run in `FROM scratch` images: static, no cgo.
   */
  async ensureNode(): Promise<{ binaries: NodeBinaries; reports: BuildReport[] }> {
    const binaries = await this.nodePaths();
    const versions = await loadVersions(this.config.repoRoot);
    const assets = clusterAssetsDir(this.config.repoRoot);
    const nodeMod = join(assets, 'node', 'go.mod');
    await checkGoModPin(nodeMod, 'k8s.io/kubernetes', versions.kubernetes);
    await checkStagingReplaces(nodeMod, stagingVersion(versions.kubernetes));
    await checkGoModPin(join(assets, 'coredns', 'go.mod'), 'github.com/coredns/coredns', versions.coredns);
    await checkGoModPin(
      join(assets, 'local-path-provisioner', 'go.mod'),
      'github.com/rancher/local-path-provisioner',
      versions.localPathProvisioner,
    );
    const stamp = kubernetesVersionFlags(versions.kubernetes);
    const reports: BuildReport[] = [];
    for (const [output, cmd] of [
      [binaries.kubelet, 'kubelet'],
      [binaries.kubeControllerManager, 'kube-controller-manager'],
      [binaries.kubeScheduler, 'kube-scheduler'],
      [binaries.kubeProxy, 'kube-proxy'],
    ] as const) {
      reports.push(
        await this.buildOne(output, join(assets, 'node'), `k8s.io/kubernetes/cmd/${cmd}`, [
          '-s',
          '-w',
          ...stamp,
        ]),
      );
    }
    const staticBuild = { CGO_ENABLED: '0' };
    reports.push(
      await this.buildOne(
        binaries.coredns,
        join(assets, 'coredns'),
        'github.com/coredns/coredns',
        ['-s', '-w'],
        staticBuild,
      ),
    );
    reports.push(
      await this.buildOne(
        binaries.localPathProvisioner,
        join(assets, 'local-path-provisioner'),
        'github.com/rancher/local-path-provisioner',
        ['-s', '-w'],
        staticBuild,
      ),
    );
    return { binaries, reports };
  }

  /** Builds what is missing; returns the binaries and what each cost. */
  async ensure(): Promise<{ binaries: ControlPlaneBinaries; reports: BuildReport[] }> {
    const binaries = await this.paths();
    const { versions } = binaries;
    const assets = clusterAssetsDir(this.config.repoRoot);
    const apiserverMod = join(assets, 'apiserver', 'go.mod');
    await checkGoModPin(apiserverMod, 'k8s.io/kubernetes', versions.kubernetes);
    await checkStagingReplaces(apiserverMod, stagingVersion(versions.kubernetes));
    await checkGoModPin(join(assets, 'etcd', 'go.mod'), 'go.etcd.io/etcd/server/v3', versions.etcd);

    const reports: BuildReport[] = [];
    reports.push(
      await this.buildOne(binaries.etcd, join(assets, 'etcd'), 'go.etcd.io/etcd/server/v3', ['-s', '-w']),
    );
    reports.push(
      await this.buildOne(
        binaries.kubeApiserver,
        join(assets, 'apiserver'),
        'k8s.io/kubernetes/cmd/kube-apiserver',
        ['-s', '-w', ...kubernetesVersionFlags(versions.kubernetes)],
      ),
    );
    return { binaries, reports };
  }

  private async buildOne(
    output: string,
    moduleDir: string,
    pkg: string,
    ldflags: string[],
    extraEnv: Readonly<Record<string, string>> = {},
  ): Promise<BuildReport> {
    if (await isExecutable(output)) return { binary: output, built: false, seconds: 0 };
    await mkdir(this.config.cacheDir, { recursive: true });
    return withFileLock(`${output}.lock`, async () => {
      // Another process may have built it while this one waited for the lock.
      if (await isExecutable(output)) return { binary: output, built: false, seconds: 0 };
      await this.checkGo();
      const started = Date.now();
      const tmp = `${output}.tmp-${process.pid}`;
      this.log(`building ${pkg} -> ${output} (first time only; Kubernetes components take minutes)`);
      const env = {
        ...process.env,
        ...extraEnv,
        GOFLAGS: `${process.env['GOFLAGS'] ?? ''} -trimpath -mod=readonly`.trim(),
      };
      try {
        await run(this.config.go, ['build', '-o', tmp, '-ldflags', ldflags.join(' '), pkg], {
          cwd: moduleDir,
          env,
          installHint: GO_HINT,
        });
        await rename(tmp, output);
      } finally {
        await rm(tmp, { force: true });
      }
      const seconds = (Date.now() - started) / 1000;
      this.log(`built ${output} in ${seconds.toFixed(0)} s`);
      return { binary: output, built: true, seconds };
    });
  }

  private async checkGo(): Promise<void> {
    const { stdout } = await run(this.config.go, ['version'], { installHint: GO_HINT });
    const m = /go1\.(\d+)/.exec(stdout);
    if (!m || Number(m[1]) < MIN_GO_MINOR) {
      throw new StackError(
        `${this.config.go} is '${stdout.trim()}', too old for the pinned go.mod files`,
        GO_HINT,
      );
    }
  }
}

/** What `<component> --version` and /version report; without these they say v0.0.0. */
function kubernetesVersionFlags(v: string): string[] {
  const [major, minor] = v.replace(/^v/, '').split('.');
  return [
    `-X k8s.io/component-base/version.gitVersion=${v}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    '-X k8s.io/component-base/version.gitTreeState=clean',
    `-X k8s.io/client-go/pkg/version.gitVersion=${v}`,
  ];
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Every `k8s.io/x => k8s.io/x vA.B.C` replace in the apiserver go.mod must name the staging tag. */
async function checkStagingReplaces(goModPath: string, expected: string): Promise<void> {
  const text = await readFile(goModPath, 'utf8');
  const wrong = [...text.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s*=>\s*\S+\s+(v\S+)/gm)].filter(
    (m) => m[2] !== expected,
  );
  if (wrong.length > 0) {
    throw new StackError(
      `${goModPath} replaces ${wrong.map((m) => `${m[1]}@${m[2]}`).join(', ')}; the staging modules must be ${expected}`,
      'follow "Bumping a version" in local/cluster/README.md',
    );
  }
}
