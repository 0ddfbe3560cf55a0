import { access, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { StackError } from '../../errors.js';
import { baseRecipes, DEBIAN_IMAGE, PAUSE_IMAGE } from '../../images/catalog.js';
import { ImageBuilder } from '../../images/builder.js';
import { loadImagesConfig } from '../../images/config.js';
import { BinaryBuilder, type BuildReport, type NodeBinaries } from '../binaries.js';
import { clusterPaths, type ClusterPaths } from '../config.js';
import { ControlPlane } from '../controlplane.js';
import { FIELD_MANAGER } from '../crds.js';
import { Daemons, type DaemonSpec, type ProbeResult } from '../daemons.js';
import { run, sleep } from '../exec.js';
import { withFileLock } from '../lock.js';
import { clientCert, writeKubeconfigFor } from '../pki.js';
import { corednsObjects, localPathObjects } from './addons.js';
import { nodePaths, type NodeConfig, type NodePaths } from './config.js';
import { Containerd, type LoadReport } from './containerd.js';
import {
  CNI_BIN_DIR,
  CNI_NETWORK,
  cniConflist,
  containerdConfig,
  kubeletConfig,
  kubeProxyConfig,
  RUNC,
} from './files.js';
import { nodeImageRecipes } from './images.js';
import { makeCgroups, networkDown, networkUp, removeCgroups } from './network.js';

/** Where containerd's registry requests go: a loopback port nothing listens on (discard). */
export const NO_PULL_PROXY = 'http://127.0.0.1:9';

/** The node's processes besides etcd and kube-apiserver, in start order. */
export const NODE_DAEMONS = [
  'containerd',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
] as const;
export type NodeDaemon = (typeof NODE_DAEMONS)[number];

export interface NodeUpReport {
  readonly started: readonly string[];
  readonly builds: readonly BuildReport[];
  readonly loads: readonly LoadReport[];
  readonly seconds: number;
}

export interface NodeStatus {
  readonly ready: boolean;
  readonly kubeconfig: string;
  readonly parts: ReadonlyArray<{ name: string; healthy: boolean; detail: string }>;
}

/** Identities of the node's components: kubeconfig name, certificate subject. */
const IDENTITIES = {
  kubelet: (node: string) => `/O=system:nodes/CN=system:node:${node}`,
  'kube-controller-manager': () => '/CN=system:kube-controller-manager',
  'kube-scheduler': () => '/CN=system:kube-scheduler',
  'kube-proxy': () => '/CN=system:kube-proxy',
} as const;
type Identity = keyof typeof IDENTITIES;

/**
 * A real single-node Kubernetes on this machine (`make node-up`): its own control
 * plane, containerd + runc from Debian, kubelet, kube-controller-manager, kube-scheduler,
 * kube-proxy built from the Go module proxy, bridge CNI, CoreDNS and a dynamic volume provisioner.
 * up is idempotent (starts what is not running); down stops every process and undoes every mount,
 * route, rule, bridge, address, sysctl and cgroup it made; state (etcd, images, volumes) stays.
 */
export class Node {
  readonly paths: NodePaths;
  readonly plane: ControlPlane;
  private readonly planePaths: ClusterPaths;
  private readonly daemons: Daemons;
  private readonly containerd: Containerd;
  private readonly builder: BinaryBuilder;

  constructor(
    readonly config: NodeConfig,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.paths = nodePaths(config);
    this.plane = new ControlPlane(config.plane, log);
    this.planePaths = clusterPaths(config.plane);
    this.daemons = new Daemons(this.paths.run, this.paths.logs, log);
    this.containerd = new Containerd(this.paths.containerdSocket, log);
    this.builder = new BinaryBuilder(config.plane, log);
  }

  get kubeconfigPath(): string {
    return this.plane.kubeconfigPath;
  }

  kubeConfig(): KubeConfig {
    return this.plane.kubeConfig();
  }

  async up(): Promise<NodeUpReport> {
    const t0 = Date.now();
    await checkPrerequisites();
    await mkdir(this.paths.run, { recursive: true });
    return withFileLock(join(this.paths.run, 'node.lock'), async () => {
      const builds = [...(await this.builder.ensure()).reports];
      const node = await this.builder.ensureNode();
      builds.push(...node.reports);
      const images = await this.buildImages();
      await this.writeFiles();
      await networkUp(this.config, this.paths);
      await makeCgroups(this.config.cgroupRoot);
      const started: string[] = [];
      const specs = this.daemonSpecs(node.binaries);
      if (await this.daemons.start(specs.containerd)) started.push('containerd');
      const loads = await this.containerd.load(images.podman, images.refs);
      const plane = await this.plane.start();
      started.push(...plane.started);
      await this.writeKubeconfigs();
      for (const name of ['kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy'] as const) {
        if (await this.daemons.start(specs[name])) started.push(name);
      }
      await this.waitNodeReady();
      await this.applyAddons(images.coredns, images.localPath);
      return { started, builds, loads, seconds: (Date.now() - t0) / 1000 };
    });
  }

  /**
   * Stops everything up started, then removes what the processes left: containers (killed through
   * containerd before it stops), pod network namespaces, mounts under the state dir, cgroups,
   * iptables chains and rules, the bridge, the route, the node address, the sysctls. Returns what
   * could not be undone (empty when the machine is as before).
   */
  async down(): Promise<{ stopped: string[]; problems: string[] }> {
    await mkdir(this.paths.run, { recursive: true });
    return withFileLock(join(this.paths.run, 'node.lock'), async () => {
      const stopped: string[] = [];
      for (const name of ['kube-proxy', 'kubelet', 'kube-scheduler', 'kube-controller-manager'] as const) {
        if (await this.daemons.stop(name)) stopped.push(name);
      }
      stopped.push(...(await this.plane.stop()));
      const problems: string[] = [];
      if (await this.containerd.answers()) {
        const n = await this.containerd.removeAllContainers();
        if (n > 0) this.log(`killed ${n} containers`);
      }
      if (await this.daemons.stop('containerd')) stopped.push('containerd');
      problems.push(...(await this.killStrayShims()));
      problems.push(...(await this.unmountAll()));
      problems.push(...(await networkDown(this.config, this.paths)));
      problems.push(...(await removeCgroups(this.config.cgroupRoot)));
      return { stopped, problems };
    });
  }

  async status(): Promise<NodeStatus> {
    const plane = await this.plane.status();
    const parts: Array<{ name: string; healthy: boolean; detail: string }> = plane.components.map((c) => ({
      name: c.name,
      healthy: c.healthy,
      detail: c.detail,
    }));
    const binaries = await this.builder.nodePaths();
    const specs = this.daemonSpecs(binaries);
    for (const name of NODE_DAEMONS) {
      const pid = await this.daemons.pid(name);
      const probe = pid === undefined ? { ok: false, detail: 'not running' } : await specs[name].probe();
      parts.push({
        name,
        healthy: probe.ok,
        detail: pid === undefined ? probe.detail : `pid ${pid}: ${probe.detail}`,
      });
    }
    if (plane.ready) {
      const node = await this.nodeCondition();
      parts.push({ name: `node/${this.config.nodeName}`, healthy: node.ok, detail: node.detail });
      for (const [ns, name] of [
        ['kube-system', 'coredns'],
        ['local-path-storage', 'local-path-provisioner'],
      ] as const) {
        const d = await this.deploymentAvailable(ns, name);
        parts.push({ name: `${ns}/${name}`, healthy: d.ok, detail: d.detail });
      }
    }
    return { ready: parts.every((p) => p.healthy), kubeconfig: this.kubeconfigPath, parts };
  }

  private async buildImages() {
    const config = loadImagesConfig({ ...process.env, IOTPIPE_ROOT: this.config.plane.repoRoot });
    const recipes = [...baseRecipes(config), ...(await nodeImageRecipes(config.repoRoot))];
    const builder = new ImageBuilder(config, recipes, this.log);
    const ids = ['pause', 'debian', 'coredns', 'local-path-provisioner'];
    const reports = await builder.build(ids);
    const ref = (id: string): string => {
      const r = reports.find((x) => x.id === id);
      if (!r) throw new Error(`image ${id} was not built`);
      return r.ref;
    };
    return {
      podman: builder.podman,
      refs: ids.map(ref),
      coredns: ref('coredns'),
      localPath: ref('local-path-provisioner'),
    };
  }

  private async writeFiles(): Promise<void> {
    const p = this.paths;
    for (const dir of [
      p.cniConfDir,
      p.cniIpamDir,
      p.kubeletRoot,
      p.kubeconfigs,
      p.podLogs,
      p.volumes,
      p.runcRoot,
      p.containerdRoot,
    ])
      await mkdir(dir, { recursive: true });
    await writeIfChanged(p.containerdConfig, containerdConfig(this.config, p, PAUSE_IMAGE));
    await writeIfChanged(join(p.cniConfDir, `10-${CNI_NETWORK}.conflist`), cniConflist(this.config, p));
    await writeIfChanged(p.kubeletConfig, kubeletConfig(this.config, p, this.planePaths.caCert));
    await writeIfChanged(p.kubeProxyConfig, kubeProxyConfig(this.config, this.kubeconfigFile('kube-proxy')));
  }

  private kubeconfigFile(who: Identity): string {
    return join(this.paths.kubeconfigs, `${who}.kubeconfig`);
  }

  /** Client certificates and kubeconfigs of kubelet, controller-manager, scheduler, kube-proxy. */
  private async writeKubeconfigs(): Promise<void> {
    for (const who of Object.keys(IDENTITIES) as Identity[]) {
      const cert = join(this.planePaths.pki, `${who}.crt`);
      const key = join(this.planePaths.pki, `${who}.key`);
      await clientCert(this.planePaths, cert, key, IDENTITIES[who](this.config.nodeName));
      await writeKubeconfigFor(this.config.plane, this.planePaths, {
        file: this.kubeconfigFile(who),
        user: who,
        cert,
        key,
      });
    }
  }

  private daemonSpecs(bin: NodeBinaries): Record<NodeDaemon, DaemonSpec> {
    const c = this.config;
    const p = this.paths;
    const pp = this.planePaths;
    const readyTimeoutMs = c.readyTimeoutMs;
    const kc = (who: Identity): string => this.kubeconfigFile(who);
    const env = {
      ...process.env,
      PATH: `${CNI_BIN_DIR}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    };
    return {
      containerd: {
        name: 'containerd',
        binary: 'containerd',
        args: ['--config', p.containerdConfig],
        // Every image is loaded by `make images`; a pull (an image that was not) must not leave the
        // machine: registry requests go to a proxy address where nothing listens, and fail at once
        // with "proxyconnect ... 127.0.0.1:9: connection refused".
        env: {
          ...env,
          HTTP_PROXY: NO_PULL_PROXY,
          HTTPS_PROXY: NO_PULL_PROXY,
          http_proxy: NO_PULL_PROXY,
          https_proxy: NO_PULL_PROXY,
          NO_PROXY: '',
          no_proxy: '',
        },
        readyTimeoutMs,
        probe: async () =>
          (await this.containerd.answers())
            ? { ok: true, detail: `answers on ${p.containerdSocket}` }
            : { ok: false, detail: `no answer on ${p.containerdSocket}` },
      },
      'kube-controller-manager': {
        name: 'kube-controller-manager',
        binary: bin.kubeControllerManager,
        port: { host: '127.0.0.1', port: c.ports.controllerManager, env: 'IOTPIPE_CONTROLLER_MANAGER_PORT' },
        args: [
          `--kubeconfig=${kc('kube-controller-manager')}`,
          `--authentication-kubeconfig=${kc('kube-controller-manager')}`,
          `--authorization-kubeconfig=${kc('kube-controller-manager')}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${c.ports.controllerManager}`,
          '--use-service-account-credentials=true',
          `--service-account-private-key-file=${pp.saKey}`,
          `--root-ca-file=${pp.caCert}`,
          `--cluster-signing-cert-file=${pp.caCert}`,
          `--cluster-signing-key-file=${pp.caKey}`,
          '--leader-elect=false',
          '--profiling=false',
        ],
        env,
        readyTimeoutMs,
        probe: () => probeHttps(`https://127.0.0.1:${c.ports.controllerManager}/healthz`),
      },
      'kube-scheduler': {
        name: 'kube-scheduler',
        binary: bin.kubeScheduler,
        port: { host: '127.0.0.1', port: c.ports.scheduler, env: 'IOTPIPE_SCHEDULER_PORT' },
        args: [
          `--kubeconfig=${kc('kube-scheduler')}`,
          `--authentication-kubeconfig=${kc('kube-scheduler')}`,
          `--authorization-kubeconfig=${kc('kube-scheduler')}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${c.ports.scheduler}`,
          '--leader-elect=false',
          '--profiling=false',
        ],
        env,
        readyTimeoutMs,
        probe: () => probeHttps(`https://127.0.0.1:${c.ports.scheduler}/healthz`),
      },
      kubelet: {
        name: 'kubelet',
        binary: bin.kubelet,
        port: { host: c.nodeIp, port: c.ports.kubelet, env: 'IOTPIPE_KUBELET_PORT' },
        args: [
          `--config=${p.kubeletConfig}`,
          `--kubeconfig=${kc('kubelet')}`,
          `--hostname-override=${c.nodeName}`,
          `--node-ip=${c.nodeIp}`,
          `--root-dir=${p.kubeletRoot}`,
          `--cert-dir=${join(p.kubeletRoot, 'pki')}`,
        ],
        env,
        readyTimeoutMs,
        probe: () => probeHttp(`http://127.0.0.1:${c.ports.kubeletHealthz}/healthz`),
      },
      'kube-proxy': {
        name: 'kube-proxy',
        binary: bin.kubeProxy,
        args: [`--config=${p.kubeProxyConfig}`],
        env,
        readyTimeoutMs,
        probe: () => probeHttp(`http://127.0.0.1:${c.ports.kubeProxyHealthz}/healthz`),
      },
    };
  }

  private async nodeCondition(): Promise<ProbeResult> {
    try {
      const node = await this.kubeConfig().makeApiClient(CoreV1Api).readNode({ name: this.config.nodeName });
      const ready = node.status?.conditions?.find((x) => x.type === 'Ready');
      return ready?.status === 'True'
        ? { ok: true, detail: 'Ready' }
        : {
            ok: false,
            detail: `Ready=${ready?.status ?? 'unknown'}: ${ready?.message ?? 'no condition yet'}`,
          };
    } catch (err) {
      return { ok: false, detail: `not registered: ${(err as Error).message.split('\n')[0]}` };
    }
  }

  private async waitNodeReady(): Promise<void> {
    const deadline = Date.now() + this.config.readyTimeoutMs;
    let last: ProbeResult = { ok: false, detail: 'not checked' };
    while (Date.now() < deadline) {
      last = await this.nodeCondition();
      if (last.ok) return;
      await sleep(500);
    }
    throw new StackError(
      `node ${this.config.nodeName} not Ready after ${this.config.readyTimeoutMs / 1000} s: ${last.detail}`,
      `read ${this.daemons.logFile('kubelet')}`,
    );
  }

  private async deploymentAvailable(namespace: string, name: string): Promise<ProbeResult> {
    try {
      const d = await this.kubeConfig()
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ namespace, name });
      const available = d.status?.conditions?.find((x) => x.type === 'Available');
      return available?.status === 'True'
        ? { ok: true, detail: `${d.status?.readyReplicas ?? 0} ready` }
        : {
            ok: false,
            detail: `Available=${available?.status ?? 'unknown'}: ${available?.message ?? 'rolling out'}`,
          };
    } catch (err) {
      return { ok: false, detail: (err as Error).message.split('\n')[0] ?? 'unreadable' };
    }
  }

  /** CoreDNS and the volume provisioner (server-side apply; idempotent), then waits until both serve. */
  private async applyAddons(corednsImage: string, localPathImage: string): Promise<void> {
    const objects: KubernetesObject[] = [
      ...corednsObjects(this.config, corednsImage),
      ...localPathObjects(this.paths, localPathImage, DEBIAN_IMAGE),
    ];
    const api = KubernetesObjectApi.makeApiClient(this.kubeConfig());
    for (const obj of objects) {
      await api.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    }
    for (const [ns, name] of [
      ['kube-system', 'coredns'],
      ['local-path-storage', 'local-path-provisioner'],
    ] as const) {
      const deadline = Date.now() + this.config.readyTimeoutMs;
      let last: ProbeResult = { ok: false, detail: 'not checked' };
      while (Date.now() < deadline) {
        last = await this.deploymentAvailable(ns, name);
        if (last.ok) break;
        await sleep(500);
      }
      if (!last.ok)
        throw new StackError(`${ns}/${name} not available: ${last.detail}`, `kubectl -n ${ns} describe pods`);
    }
  }

  /** containerd-shim processes of this node's containerd that outlived it (none, normally). */
  private async killStrayShims(): Promise<string[]> {
    const problems: string[] = [];
    for (const pid of await readdir('/proc').catch(() => [])) {
      if (!/^\d+$/.test(pid)) continue;
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes(this.paths.containerdSocket) || cmdline.includes(this.config.stateDir + '/')) {
        try {
          process.kill(Number(pid), 'SIGKILL');
          this.log(`killed stray process ${pid}: ${cmdline.split('\0').slice(0, 3).join(' ')}`);
        } catch (err) {
          problems.push(`process ${pid}: ${(err as Error).message}`);
        }
      }
    }
    return problems;
  }

  /** Unmounts everything below the state dir (container rootfs, pod volumes), deepest first. */
  private async unmountAll(): Promise<string[]> {
    const problems: string[] = [];
    for (let round = 0; round < 3; round++) {
      const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
        .split('\n')
        .map((l) => l.split(' ')[4] ?? '')
        .map((m) => m.replace(/\\040/g, ' '))
        .filter((m) => m.startsWith(this.config.stateDir + '/'))
        .sort((a, b) => b.length - a.length);
      if (mounts.length === 0) return problems;
      for (const m of mounts) {
        await run('umount', [m], { installHint: 'util-linux' }).catch(() =>
          run('umount', ['-l', m], { installHint: 'util-linux' }).catch((err: Error) => {
            if (round === 2) problems.push(`umount ${m}: ${err.message.split('\n')[0]}`);
          }),
        );
      }
    }
    return problems;
  }
}

/** Writes only a changed file: kube-proxy exits when its config file is written to, even unchanged. */
async function writeIfChanged(file: string, content: string): Promise<void> {
  if ((await readFile(file, 'utf8').catch(() => undefined)) !== content) await writeFile(file, content);
}

async function checkPrerequisites(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new StackError(
      'the node needs root (network namespaces, iptables, cgroups, mounts)',
      'run it as root',
    );
  }
  for (const [path, pkg] of [
    ['/usr/bin/containerd', 'containerd'],
    [RUNC, 'runc'],
    [join(CNI_BIN_DIR, 'bridge'), 'containernetworking-plugins'],
    ['/usr/sbin/iptables', 'iptables'],
    ['/usr/sbin/conntrack', 'conntrack'],
  ] as const) {
    await access(path).catch(() => {
      throw new StackError(`${path} is missing`, `apt-get install ${pkg} (make deps installs it)`);
    });
  }
}

/** kube-controller-manager and kube-scheduler serve /healthz with a self-signed certificate on loopback. */
function probeHttps(url: string): Promise<ProbeResult> {
  return probe(url, (cb) => httpsRequest(url, { rejectUnauthorized: false, timeout: 2000 }, cb));
}

function probeHttp(url: string): Promise<ProbeResult> {
  return probe(url, (cb) => httpRequest(url, { timeout: 2000 }, cb));
}

function probe(
  url: string,
  make: (cb: (res: import('node:http').IncomingMessage) => void) => import('node:http').ClientRequest,
): Promise<ProbeResult> {
  return new Promise((resolvePromise) => {
    const req = make((res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolvePromise(
          res.statusCode === 200
            ? { ok: true, detail: `healthy (${url})` }
            : { ok: false, detail: `${url} answered ${res.statusCode}: ${body.trim().slice(0, 200)}` },
        ),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 2 s')));
    req.on('error', (err) => resolvePromise({ ok: false, detail: `${url}: ${err.message}` }));
    req.end();
  });
}

/** Removes the node's state (etcd, images in containerd, volumes); down first. */
export async function destroyNodeState(node: Node): Promise<void> {
  const { problems } = await node.down();
  if (problems.length > 0) throw new StackError(`down left: ${problems.join('; ')}`, 'fix those, then retry');
  await rm(node.config.stateDir, { recursive: true, force: true });
}
