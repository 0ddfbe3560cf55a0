import { spawn } from 'node:child_process';
import { StackError } from '../errors.js';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Shown in the error when the command is missing, e.g. "install Go 1.26+". */
  installHint: string;
  /** Called with each chunk of output (build logs); otherwise output is only kept for errors. */
  onOutput?: (chunk: string) => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a missing command or a non-zero exit is a StackError naming it. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      options.onOutput?.(c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      options.onOutput?.(c);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(new StackError(`${command} not found`, options.installHint));
      } else {
        reject(new StackError(`${command} could not be started: ${err.message}`, options.installHint));
      }
    });
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolvePromise({ stdout, stderr });
        return;
      }
      const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-15).join('\n');
      reject(
        new StackError(
          `\`${command} ${args.join(' ')}\` failed (${signal ?? `exit ${code}`}):\n${tail}`,
          'read the output above; the command is the one the control plane would run',
        ),
      );
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
