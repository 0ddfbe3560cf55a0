import { readdir, readFile } from 'node:fs/promises';
import { localStack, stackConfig } from '../support/stack.js';

/**
 * Faults on the shared local stack, through its own supervisor: stop/start a part, kill -9 the
 * real process (supervisord restarts it, as it would a crash), find the active KRaft controller.
 * `restoreAll()` brings every part back; scenarios call it in `finally`/`afterAll`.
 */
export class StackFaults {
  readonly stack = localStack();

  async pid(name: string): Promise<number> {
    const st = (await this.stack.supervisor.states()).get(name);
    if (!st?.pid || st.state !== 'RUNNING')
      throw new Error(
        `${name} is not running (state ${st?.state ?? 'unknown'}); \`make stack-up\` starts it`,
      );
    return st.pid;
  }

  /** SIGKILL to the real process; supervisord notices the exit and starts it again. */
  async kill9(name: string): Promise<number> {
    const pid = await this.pid(name);
    process.kill(pid, 'SIGKILL');
    // Wait until the old process is gone, so the next probe is not answered by it.
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return pid;
      }
      await sleep(50);
    }
    throw new Error(`${name} (pid ${pid}) survived SIGKILL`);
  }

  /**
   * kill -9 and keep it down. supervisord respawns a killed program at once, and `stop` on a
   * respawned Kafka sends SIGTERM to a JVM still starting, which then serves for many seconds
   * before it exits (and `supervisorctl stop a b` stops one after the other, so b ran on): two
   * "held" brokers were in fact up. So each program is stopped on its own, and whatever process
   * supervisord spawns meanwhile is killed -9 too; returns when every one is STOPPED.
   */
  async kill9AndHold(names: readonly string[]): Promise<void> {
    for (const pid of await Promise.all(names.map((n) => this.pid(n)))) process.kill(pid, 'SIGKILL');
    let stopping = true;
    const stops = Promise.all(names.map((n) => this.stack.supervisor.ctl(['stop', n]))).finally(
      () => (stopping = false),
    );
    // `supervisorctl status` shows no pid while STARTING or STOPPING: find them by command line.
    const commands = names.map((n) => this.programCommand(n));
    while (stopping) {
      for (const pid of await pidsRunning(commands)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await sleep(20);
    }
    await stops;
    const states = await this.stack.supervisor.states();
    const up = names.filter((n) => states.get(n)?.state !== 'STOPPED');
    if (up.length > 0) throw new Error(`held parts not stopped: ${up.join(', ')}`);
  }

  private programCommand(name: string): string {
    for (const s of this.stack.services)
      for (const p of s.programs()) if (p.name === name) return p.command.slice(1).join('\0');
    throw new Error(`no stack program named ${name}`);
  }

  async stop(name: string): Promise<void> {
    await this.stack.supervisor.stop(name);
  }

  async start(name: string): Promise<void> {
    const st = (await this.stack.supervisor.states()).get(name)?.state;
    if (st !== 'RUNNING' && st !== 'STARTING') await this.stack.supervisor.start(name);
  }

  /** Polls the part's own probe (the one `stack status` uses) until it passes. */
  async waitHealthy(name: string, timeoutMs = 240_000): Promise<void> {
    const service = this.stack.services.find((s) => s.name === name);
    if (!service) throw new Error(`no stack part named ${name}`);
    const deadline = Date.now() + timeoutMs;
    let detail = '';
    for (;;) {
      const st = (await this.stack.supervisor.states()).get(name)?.state;
      if (st === 'RUNNING') {
        const probe = await service.probe().catch((e: unknown) => ({ ok: false, detail: String(e) }));
        if (probe.ok) return;
        detail = probe.detail;
      } else {
        detail = `supervisor state ${st ?? 'unknown'}`;
      }
      if (Date.now() > deadline)
        throw new Error(`${name} not healthy after ${timeoutMs / 1000} s: ${detail}`);
      await sleep(500);
    }
  }

  /** The KRaft node whose controller reports itself active (JMX exporter of each node). */
  async activeController(): Promise<number> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      for (let i = 0; i < stackConfig.kafka.jmxPorts.length; i++) {
        const text = await fetch(`http://${stackConfig.host}:${stackConfig.kafka.jmxPorts[i]}/metrics`)
          .then((r) => r.text())
          .catch(() => '');
        if (/^kafka_controller_kafkacontroller_activecontrollercount 1(\.0)?$/m.test(text)) return i + 1;
      }
      if (Date.now() > deadline) throw new Error('no active KRaft controller found on the JMX exporters');
      await sleep(500);
    }
  }

  /** Parts that are not healthy now (the optional pipeline parts, when off, count as fine). */
  async unhealthy(): Promise<string[]> {
    return (await this.stack.status()).filter((p) => !p.ok).map((p) => `${p.name}: ${p.detail}`);
  }

  /** Starts whatever is not running and waits for every part to be healthy again. */
  async restoreAll(): Promise<void> {
    const states = await this.stack.supervisor.states();
    for (const s of this.stack.services) {
      if (s.optional) continue;
      for (const p of s.programs()) {
        const st = states.get(p.name)?.state;
        if (st !== 'RUNNING' && st !== 'STARTING') await this.stack.supervisor.start(p.name).catch(() => {});
      }
    }
    for (const s of this.stack.services) if (!s.optional) await this.waitHealthy(s.name);
  }
}

/**
 * Processes whose arguments are exactly one of `commands` (arguments after argv[0], joined by
 * NUL; supervisord runs argv[0] by its resolved path).
 */
async function pidsRunning(commands: readonly string[]): Promise<number[]> {
  const wanted = new Set(commands);
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (wanted.has(cmdline.replace(/\0$/, '').split('\0').slice(1).join('\0'))) pids.push(Number(entry));
  }
  return pids;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
