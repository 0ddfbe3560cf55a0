import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The CLI users run (and the workloads image runs): workloads/dist/cli.js. */
export const CLI_PATH = fileURLToPath(new URL('../../workloads/dist/cli.js', import.meta.url));
/** The harness's own entry (`make bench`), run from source: `node --import tsx <BENCH_ENTRY> [flags]`. */
export const BENCH_ENTRY = fileURLToPath(new URL('../run.ts', import.meta.url));

/**
 * A pipeline stage run as its own process, exactly as a user runs it: `iotpipe <args>`, output
 * appended to a log file. Shared by the benchmark and the test suites (e2e, chaos).
 */
export class StageProcess {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  /** How many times start() spawned a process (restarts after a kill count). */
  starts = 0;

  constructor(
    readonly args: readonly string[],
    readonly env: Readonly<Record<string, string>>,
    readonly logFile: string,
    /** What reports and errors call it; the subcommand unless given. */
    readonly name: string = args[0] ?? 'iotpipe',
  ) {}

  start(): void {
    if (this.running) return;
    const log = createWriteStream(this.logFile, { flags: 'a' });
    log.write(`--- start iotpipe ${this.args.join(' ')} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [CLI_PATH, ...this.args], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    this.child = child;
    this.starts++;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the exit code when the process ends by itself. */
  wait(): Promise<number | null> {
    return this.exited ?? Promise.resolve(null);
  }

  /** kill -9: no chance to flush, commit or say goodbye. */
  async kill9(): Promise<void> {
    if (!this.child || !this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after 30 s; idempotent. Resolves with the exit code (null: killed). */
  async stop(): Promise<number | null> {
    if (!this.child) return null;
    if (this.running) this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      this.exited!.then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), 30_000))),
    ]);
    clearTimeout(timer);
    if (!ended) this.child.kill('SIGKILL');
    return this.exited!;
  }
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until check() is true; throws naming what was awaited and the last answer. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean | string>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: boolean | string = false;
  for (;;) {
    last = await check().catch((err: Error) => err.message);
    if (last === true) return;
    if (Date.now() > deadline) {
      throw new Error(`benchmark: timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${last})`);
    }
    await sleep(500);
  }
}
