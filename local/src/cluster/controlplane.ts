import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createConnection } from 'node:net';
import { basename, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { StackError } from '../errors.js';
import { BinaryBuilder, type BuildReport, type ControlPlaneBinaries } from './binaries.js';
import { clusterPaths, type ClusterPaths, type ControlPlaneConfig } from './config.js';
import { sleep } from './exec.js';
import { isAlive, withFileLock } from './lock.js';
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

interface Component {
  readonly name: ComponentName;
  readonly binary: string;
  readonly args: readonly string[];
  readonly port: number;
  readonly portEnv: string;
  readonly probe: () => Promise<ProbeResult>;
}

interface ProbeResult {
  ok: boolean;
  detail: string;
}

const STOP_GRACE_MS = 15_000;

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

  constructor(
    readonly config: ControlPlaneConfig,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.paths = clusterPaths(config);
    this.builder = new BinaryBuilder(config, log);
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
      await ensurePki(this.paths);
      await writeKubeconfig(this.config, this.paths);
      const started: ComponentName[] = [];
      for (const c of this.components(binaries)) {
        if (await this.startComponent(c)) started.push(c.name);
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
        const pid = await this.ownPid(name);
        if (pid !== undefined) {
          await terminate(pid);
          stopped.push(name);
        }
        await rm(this.pidFile(name), { force: true });
      }
      return stopped;
    });
  }

  async status(): Promise<ControlPlaneStatus> {
    const binaries = await this.builder.paths();
    const components: ComponentStatus[] = [];
    for (const c of this.components(binaries)) {
      const pid = await this.ownPid(c.name);
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

  private components(binaries: ControlPlaneBinaries): Component[] {
    const { host, etcdClientPort, etcdPeerPort, apiserverPort } = this.config;
    const p = this.paths;
    const etcdUrl = `http://${host}:${etcdClientPort}`;
    const peerUrl = `http://${host}:${etcdPeerPort}`;
    return [
      {
        name: 'etcd',
        binary: binaries.etcd,
        port: etcdClientPort,
        portEnv: 'IOTPIPE_ETCD_CLIENT_PORT',
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
        port: apiserverPort,
        portEnv: 'IOTPIPE_APISERVER_PORT',
        args: [
          `--etcd-servers=${etcdUrl}`,
          `--bind-address=${host}`,
          `--advertise-address=${host}`,
          `--secure-port=${apiserverPort}`,
          `--tls-cert-file=${p.apiserverCert}`,
          `--tls-private-key-file=${p.apiserverKey}`,
          `--client-ca-file=${p.caCert}`,
          '--authorization-mode=RBAC',
          `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
          `--service-account-key-file=${p.saPub}`,
          `--service-account-signing-key-file=${p.saKey}`,
          `--service-cluster-ip-range=${SERVICE_CIDR}`,
          '--allow-privileged=true',
          '--profiling=false',
          // No kubelet, no pods: nothing needs the `kubernetes` Service's endpoints, and the lease
          // reconciler refuses a loopback advertise address.
          '--endpoint-reconciler-type=none',
        ],
        probe: () => this.probeApiserver(),
      },
    ];
  }

  private pidFile(name: ComponentName): string {
    return join(this.paths.run, `${name}.pid`);
  }

  private logFile(name: ComponentName): string {
    return join(this.paths.logs, `${name}.log`);
  }

  /** The pid in our pid file if that process is alive and runs the component's binary. */
  private async ownPid(name: ComponentName): Promise<number | undefined> {
    const raw = await readFile(this.pidFile(name), 'utf8').catch(() => '');
    const pid = Number(raw.trim());
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const argv0 = cmdline.split('\0')[0] ?? '';
    return basename(argv0).startsWith(`${name}-`) ? pid : undefined;
  }

  /** Starts one component unless it is already running; returns whether it started it. */
  private async startComponent(c: Component): Promise<boolean> {
    const running = await this.ownPid(c.name);
    if (running !== undefined) {
      await this.waitHealthy(c, running, undefined);
      return false;
    }
    if (await portInUse(this.config.host, c.port)) {
      throw new StackError(
        `${c.name} cannot start: ${this.config.host}:${c.port} is in use by a process that is not ours`,
        `stop that process, or set ${c.portEnv} to a free port`,
      );
    }
    const log = this.logFile(c.name);
    const fd = openSync(log, 'a');
    let exited: string | undefined;
    try {
      const child = spawn(c.binary, c.args, { detached: true, stdio: ['ignore', fd, fd] });
      child.on('exit', (code, signal) => {
        exited = signal ?? `exit ${code}`;
      });
      child.on('error', (err) => {
        exited = err.message;
      });
      if (child.pid === undefined)
        throw new StackError(`${c.name} could not be spawned from ${c.binary}`, 'run `make cluster-build`');
      child.unref();
      await writeFile(this.pidFile(c.name), `${child.pid}\n`);
      this.log(`started ${c.name} (pid ${child.pid}, log ${log})`);
      await this.waitHealthy(c, child.pid, () => exited);
    } finally {
      closeSync(fd);
    }
    return true;
  }

  private async waitHealthy(
    c: Component,
    pid: number,
    exitedWith: (() => string | undefined) | undefined,
  ): Promise<void> {
    const deadline = Date.now() + this.config.readyTimeoutMs;
    let last: ProbeResult = { ok: false, detail: 'not probed yet' };
    while (Date.now() < deadline) {
      last = await c.probe();
      if (last.ok) return;
      const exited = exitedWith?.() ?? (isAlive(pid) ? undefined : 'exited');
      if (exited !== undefined) {
        await rm(this.pidFile(c.name), { force: true });
        throw new StackError(
          `${c.name} ${exited} while starting; last log lines:\n${await tail(this.logFile(c.name), 20)}`,
          `read ${this.logFile(c.name)}; \`iotpipe cluster down\` then \`up\` retries`,
        );
      }
      await sleep(250);
    }
    throw new StackError(
      `${c.name} (pid ${pid}) not healthy after ${this.config.readyTimeoutMs / 1000} s: ${last.detail}`,
      `read ${this.logFile(c.name)}; raise IOTPIPE_CLUSTER_READY_TIMEOUT on a slow machine`,
    );
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

function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

async function terminate(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + STOP_GRACE_MS;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '(no log)');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
