import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { stackConfig } from './stack.js';

export const cliPath = join(stackConfig.repoRoot, 'workloads', 'dist', 'cli.js');

/** A pipeline stage run as its own process, exactly as a user runs it: `iotpipe <command>`. */
export class StageProcess {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  starts = 0;

  constructor(
    readonly command: string[],
    readonly env: Record<string, string>,
    readonly logFile: string,
  ) {}

  start(): void {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    log.write(`--- start ${this.command.join(' ')} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [cliPath, ...this.command], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    this.child = child;
    this.starts++;
  }

  /** The current process id (undefined before start). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** kill -9: no chance to flush, commit or say goodbye. */
  async kill9(): Promise<void> {
    if (!this.child || !this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Graceful stop (SIGTERM); idempotent. */
  async stop(): Promise<number | null> {
    if (!this.child) return null;
    if (this.running) this.child.kill('SIGTERM');
    const code = await Promise.race([
      this.exited!,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000)),
    ]);
    if (code === 'timeout') {
      this.child.kill('SIGKILL');
      return this.exited!;
    }
    return code;
  }

  /** Resolves with the exit code when the process ends by itself. */
  wait(): Promise<number | null> {
    return this.exited ?? Promise.resolve(null);
  }
}
