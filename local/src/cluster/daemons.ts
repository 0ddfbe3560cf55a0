import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { basename, join } from 'node:path';
import { StackError } from '../errors.js';
import { sleep } from './exec.js';
import { isAlive } from './lock.js';

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/** A long-running program of the cluster: etcd, kube-apiserver, containerd, kubelet, ... */
export interface DaemonSpec {
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  /** A TCP port it listens on: checked free before the start, so a stranger is named, not fought. */
  readonly port?: { readonly host: string; readonly port: number; readonly env: string };
  readonly env?: NodeJS.ProcessEnv;
  readonly probe: () => Promise<ProbeResult>;
  /** How long start waits for the probe. */
  readonly readyTimeoutMs: number;
}

const STOP_GRACE_MS = 15_000;

/**
 * Background processes with pid files and logs in one state dir. A pid file is trusted only when
 * its process is alive and runs the expected binary, so a recycled pid is never signalled.
 */
export class Daemons {
  constructor(
    private readonly runDir: string,
    private readonly logDir: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  pidFile(name: string): string {
    return join(this.runDir, `${name}.pid`);
  }

  logFile(name: string): string {
    return join(this.logDir, `${name}.log`);
  }

  /** The pid in our pid file if that process is alive and runs `name` (or `name-<version>`). */
  async pid(name: string): Promise<number | undefined> {
    const raw = await readFile(this.pidFile(name), 'utf8').catch(() => '');
    const pid = Number(raw.trim());
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const argv0 = basename(cmdline.split('\0')[0] ?? '');
    return argv0 === name || argv0.startsWith(`${name}-`) ? pid : undefined;
  }

  /** Starts the daemon unless it runs already, then waits for its probe; true when it started it. */
  async start(spec: DaemonSpec): Promise<boolean> {
    await mkdir(this.runDir, { recursive: true });
    await mkdir(this.logDir, { recursive: true });
    const running = await this.pid(spec.name);
    if (running !== undefined) {
      await this.waitHealthy(spec, running, undefined);
      return false;
    }
    if (spec.port && (await portInUse(spec.port.host, spec.port.port))) {
      throw new StackError(
        `${spec.name} cannot start: ${spec.port.host}:${spec.port.port} is in use by a process that is not ours`,
        `stop that process, or set ${spec.port.env} to a free port`,
      );
    }
    const log = this.logFile(spec.name);
    const fd = openSync(log, 'a');
    let exited: string | undefined;
    try {
      const child = spawn(spec.binary, spec.args, {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: spec.env ?? process.env,
      });
      child.on('exit', (code, signal) => {
        exited = signal ?? `exit ${code}`;
      });
      child.on('error', (err) => {
        exited = err.message;
      });
      if (child.pid === undefined)
        throw new StackError(
          `${spec.name} could not be spawned from ${spec.binary}`,
          'check that it is built',
        );
      child.unref();
      await writeFile(this.pidFile(spec.name), `${child.pid}\n`);
      this.log(`started ${spec.name} (pid ${child.pid}, log ${log})`);
      await this.waitHealthy(spec, child.pid, () => exited);
    } finally {
      closeSync(fd);
    }
    return true;
  }

  /** SIGTERM, then SIGKILL after a grace period; true when it was running. */
  async stop(name: string, graceMs = STOP_GRACE_MS): Promise<boolean> {
    const pid = await this.pid(name);
    if (pid !== undefined) await terminate(pid, graceMs);
    await rm(this.pidFile(name), { force: true });
    return pid !== undefined;
  }

  private async waitHealthy(
    spec: DaemonSpec,
    pid: number,
    exitedWith: (() => string | undefined) | undefined,
  ): Promise<void> {
    const deadline = Date.now() + spec.readyTimeoutMs;
    let last: ProbeResult = { ok: false, detail: 'not probed yet' };
    while (Date.now() < deadline) {
      last = await spec.probe();
      if (last.ok) return;
      const exited = exitedWith?.() ?? (isAlive(pid) ? undefined : 'exited');
      if (exited !== undefined) {
        await rm(this.pidFile(spec.name), { force: true });
        throw new StackError(
          `${spec.name} ${exited} while starting; last log lines:\n${await tail(this.logFile(spec.name), 20)}`,
          `read ${this.logFile(spec.name)}; \`make cluster-down\` then \`make cluster-up\` retries`,
        );
      }
      await sleep(250);
    }
    throw new StackError(
      `${spec.name} (pid ${pid}) not healthy after ${spec.readyTimeoutMs / 1000} s: ${last.detail}`,
      `read ${this.logFile(spec.name)}; raise IOTPIPE_CLUSTER_READY_TIMEOUT on a slow machine`,
    );
  }
}

export function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

export async function terminate(pid: number, graceMs = STOP_GRACE_MS): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  // A zombie whose parent does not reap it stays "alive" to kill(0): wait a bounded time only.
  const reaped = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < reaped) await sleep(50);
}

export async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '(no log)');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
