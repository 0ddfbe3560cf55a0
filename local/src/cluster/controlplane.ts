import { mkdir, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { BinaryBuilder, type BuildReport, type ControlPlaneBinaries } from './binaries.js';
import { clusterPaths, type ClusterPaths, type ControlPlaneConfig } from './config.js';
import { Daemons, type DaemonSpec, type ProbeResult } from './daemons.js';
import { withFileLock } from './lock.js';
import { apiserverUrl, ensurePki, SERVICE_CIDR, writeKubeconfig } from './pki.js';

export type ComponentName = 'etcd' | 'kube-apiserver';

export interface ComponentStatus {
  readonly name: ComponentName;
  /** The pid from our pid file when that process is alive and is the component. */
  readonly pid: number | undefined;
  /** The health probe (etcd /health, kube-apiserver /readyz) answered OK. */
  readonly healthy: boolean;
  readonly detail: string;
}

export interface ControlPlaneStatus {
  /** Both components are healthy: kubectl and clients can use the kubeconfig. */
  readonly ready: boolean;
  readonly server: string;
  readonly kubeconfig: string;
  readonly components: readonly ComponentStatus[];
}

export interface StartReport {
  /** Components that this call started (empty when everything was already up). */
  readonly started: readonly ComponentName[];
  readonly builds: readonly BuildReport[];
  readonly seconds: number;
}

/**
 * The local Kubernetes control plane: etcd and kube-apiserver as background processes on
 * 127.0.0.1, with its own certificates and an admin kubeconfig. No kubelet, no controller-manager,
 * no scheduler: objects are stored and validated, nothing runs them (see testing.ts).
 *
 * Idempotent: start() on a running plane only checks it; stop() stops what our pid files name.
 */
export class ControlPlane {
  readonly paths: ClusterPaths;
  private readonly builder: BinaryBuilder;
  private readonly daemons: Daemons;

  constructor(
    readonly config: ControlPlaneConfig,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.paths = clusterPaths(config);
    this.builder = new BinaryBuilder(config, log);
    this.daemons = new Daemons(this.paths.run, this.paths.logs, log);
  }

  get kubeconfigPath(): string {
    return this.paths.kubeconfig;
  }

  get server(): string {
    return apiserverUrl(this.config);
  }

  /** A client-node KubeConfig for the admin user (system:masters). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.paths.kubeconfig);
    return kc;
  }

  /** Builds the binaries when missing, then starts whatever is not running and waits until ready. */
  async start(): Promise<StartReport> {
    const t0 = Date.now();
    await mkdir(this.paths.run, { recursive: true });
    await mkdir(this.paths.logs, { recursive: true });
    return withFileLock(this.paths.lock, async () => {
      const { binaries, reports } = await this.builder.ensure();
      await ensurePki(this.paths, this.config.apiserverHost);
      await writeKubeconfig(this.config, this.paths);
      const started: ComponentName[] = [];
      for (const c of this.components(binaries)) {
        if (await this.daemons.start(c)) started.push(c.name);
      }
      return { started, builds: reports, seconds: (Date.now() - t0) / 1000 };
    });
  }

  /** Stops kube-apiserver, then etcd; returns the components it stopped. Data stays for the next start. */
  async stop(): Promise<ComponentName[]> {
    await mkdir(this.paths.run, { recursive: true });
    return withFileLock(this.paths.lock, async () => {
      const stopped: ComponentName[] = [];
      for (const name of ['kube-apiserver', 'etcd'] as const) {
        if (await this.daemons.stop(name)) stopped.push(name);
      }
      return stopped;
    });
  }

  async status(): Promise<ControlPlaneStatus> {
    const binaries = await this.builder.paths();
    const components: ComponentStatus[] = [];
    for (const c of this.components(binaries)) {
      const pid = await this.daemons.pid(c.name);
      const probe = await c.probe();
      const detail =
        pid === undefined
          ? probe.ok
            ? `not started by us, but ${probe.detail}`
            : 'not running'
          : probe.detail;
      components.push({ name: c.name, pid, healthy: probe.ok, detail });
    }
    return {
      ready: components.every((c) => c.healthy),
      server: this.server,
      kubeconfig: this.paths.kubeconfig,
      components,
    };
  }

  /** Removes the state dir (certificates, etcd data, logs); stop() first. */
  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.config.stateDir, { recursive: true, force: true });
  }

  private components(binaries: ControlPlaneBinaries): Array<DaemonSpec & { name: ComponentName }> {
    const { host, apiserverHost, etcdClientPort, etcdPeerPort, apiserverPort, readyTimeoutMs } = this.config;
    const p = this.paths;
    const etcdUrl = `http://${host}:${etcdClientPort}`;
    const peerUrl = `http://${host}:${etcdPeerPort}`;
    return [
      {
        name: 'etcd',
        binary: binaries.etcd,
        port: { host, port: etcdClientPort, env: 'IOTPIPE_ETCD_CLIENT_PORT' },
        readyTimeoutMs,
        // Plain HTTP on loopback only: etcd is reachable by local processes, as the apiserver is
        // with the admin kubeconfig; nothing listens on other interfaces.
        args: [
          '--name=iotpipe',
          `--data-dir=${p.etcdData}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=iotpipe=${peerUrl}`,
          '--initial-cluster-state=new',
          '--log-level=warn',
        ],
        probe: () => probeEtcd(`${etcdUrl}/health`),
      },
      {
        name: 'kube-apiserver',
        binary: binaries.kubeApiserver,
        port: { host: apiserverHost, port: apiserverPort, env: 'IOTPIPE_APISERVER_PORT' },
        readyTimeoutMs,
        args: [
          `--etcd-servers=${etcdUrl}`,
          `--bind-address=${apiserverHost}`,
          `--advertise-address=${apiserverHost}`,
          `--secure-port=${apiserverPort}`,
          `--tls-cert-file=${p.apiserverCert}`,
          `--tls-private-key-file=${p.apiserverKey}`,
          `--client-ca-file=${p.caCert}`,
          ...(this.config.servesNode
            ? [
                // A kubelet talks to it: the Node authorizer and NodeRestriction limit what a node
                // may read and write; logs/exec go to the kubelet with a client certificate.
                '--authorization-mode=Node,RBAC',
                '--enable-admission-plugins=NodeRestriction',
                `--kubelet-client-certificate=${p.kubeletClientCert}`,
                `--kubelet-client-key=${p.kubeletClientKey}`,
                '--kubelet-preferred-address-types=InternalIP',
              ]
            : ['--authorization-mode=RBAC']),
          `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
          `--service-account-key-file=${p.saPub}`,
          `--service-account-signing-key-file=${p.saKey}`,
          `--service-cluster-ip-range=${SERVICE_CIDR}`,
          '--allow-privileged=true',
          '--profiling=false',
          // Without a node, no pod needs the `kubernetes` Service's endpoints, and the lease
          // reconciler refuses a loopback advertise address. With one, pods reach the apiserver
          // through that Service at the node's address.
          ...(this.config.servesNode ? [] : ['--endpoint-reconciler-type=none']),
        ],
        probe: () => this.probeApiserver(),
      },
    ];
  }

  private async probeApiserver(): Promise<ProbeResult> {
    let ca: Buffer, cert: Buffer, key: Buffer;
    try {
      ca = await readFile(this.paths.caCert);
      cert = await readFile(this.paths.adminCert);
      key = await readFile(this.paths.adminKey);
    } catch {
      return { ok: false, detail: 'no certificates yet (never started)' };
    }
    return new Promise((resolvePromise) => {
      const req = httpsRequest(`${this.server}/readyz`, { ca, cert, key, timeout: 2000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolvePromise(
            res.statusCode === 200
              ? { ok: true, detail: `ready at ${this.server}` }
              : { ok: false, detail: `/readyz answered ${res.statusCode}: ${failingChecks(body)}` },
          ),
        );
      });
      req.on('timeout', () => req.destroy(new Error('timed out after 2 s')));
      req.on('error', (err) =>
        resolvePromise({ ok: false, detail: `${this.server}/readyz: ${err.message}` }),
      );
      req.end();
    });
  }
}

function failingChecks(body: string): string {
  const failed = body.split('\n').filter((l) => l.startsWith('[-]'));
  return failed.length > 0 ? failed.join('; ') : body.trim().slice(0, 200);
}

function probeEtcd(url: string): Promise<ProbeResult> {
  return new Promise((resolvePromise) => {
    const req = httpRequest(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => {
        const ok = res.statusCode === 200 && /"health"\s*:\s*"true"/.test(body);
        resolvePromise({
          ok,
          detail: ok ? `healthy at ${url}` : `${url} answered ${res.statusCode}: ${body.trim()}`,
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 2 s')));
    req.on('error', (err) => resolvePromise({ ok: false, detail: `${url}: ${err.message}` }));
    req.end();
  });
}
