import type { StackConfig } from './config.js';

/** One long-running process of the stack, as the supervisor should run it. */
export interface Program {
  readonly name: string;
  readonly command: readonly string[];
  readonly directory?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Unix user to run as when the stack runs as root (PostgreSQL refuses to run as root). */
  readonly user?: string;
  readonly stopWaitSecs?: number;
  /** Signal for a clean stop (default TERM). */
  readonly stopSignal?: 'TERM' | 'INT' | 'QUIT';
}

export interface ProbeResult {
  readonly ok: boolean;
  readonly detail: string;
}

export interface StackContext {
  readonly config: StackConfig;
  readonly log: (line: string) => void;
  /** Runs as root: services that must not run as root are given a user. */
  readonly asRoot: boolean;
}

/**
 * A part of the stack: what it runs, which ports it needs, how it is prepared (config files,
 * data directories: idempotent), what it does once running (create databases, topics) and the
 * real probe that says it is healthy.
 */
export interface Service {
  readonly name: string;
  /** Start order: services of a lower stage are healthy before the next stage starts. */
  readonly stage: number;
  ports(): Array<{ port: number; what: string }>;
  programs(): Program[];
  /** Executables (and where they come from) checked before anything starts. */
  requires(): Array<{ binary: string; fix: string }>;
  prepare(ctx: StackContext): Promise<void>;
  probe(): Promise<ProbeResult>;
  /** Readiness before afterStart ran (defaults to probe): e.g. PostgreSQL before its roles exist. */
  startupProbe?(): Promise<ProbeResult>;
  afterStart?(ctx: StackContext): Promise<void>;
  /** An optional part (the pipeline's workloads) is started only on request and is not down when off. */
  readonly optional?: boolean;
  /** How long `up` waits for the probe before declaring the start failed. */
  readonly startTimeoutMs: number;
}
