import type { Logger } from './log.js';
import { describeError } from './log.js';

/**
 * A long-running part of the platform (a pipeline stage, the operator): start() connects and
 * begins the work, resolving once it runs; stop() stops taking input, lets what is in flight
 * finish (flushing it downstream, acknowledging upstream only what is safe), closes, and is
 * idempotent: every call returns the same promise.
 */
export interface Service {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Makes stop() idempotent: the first call runs `doStop`, every call gets its promise. */
export class StopOnce {
  private stopping?: Promise<void>;

  constructor(private readonly doStop: () => Promise<void>) {}

  get requested(): boolean {
    return this.stopping !== undefined;
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }
}

export interface RunOptions {
  readonly log: Logger;
  /** Signals that drain and stop the service; a second one exits at once. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Where the process's exit goes (tests pass their own). */
  readonly exit?: (code: number) => void;
  readonly process?: Pick<NodeJS.Process, 'on' | 'removeListener'>;
}

/**
 * Runs a service as the process's one job: starts it, and on SIGTERM or SIGINT stops it (the
 * drain) and exits 0; a second signal exits 130 without waiting. A start or stop that fails
 * exits 1 with the reason logged. Returns a function the service calls on a fatal error.
 */
export async function runService(service: Service, o: RunOptions): Promise<(err: unknown) => void> {
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const proc = o.process ?? process;
  const signals = o.signals ?? ['SIGTERM', 'SIGINT'];
  let stopping = false;
  const shutdown = (code: number, why: string) => {
    if (stopping) {
      o.log.warn('stopping at once', { why });
      exit(130);
      return;
    }
    stopping = true;
    o.log.info('stopping', { why });
    service.stop().then(
      () => exit(code),
      (err: unknown) => {
        o.log.error('stop failed', { error: describeError(err) });
        exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => shutdown(0, signal);
  for (const s of signals) proc.on(s, onSignal);
  const fatal = (err: unknown) => shutdown(1, `fatal: ${describeError(err)}`);
  try {
    await service.start();
  } catch (err) {
    o.log.error('start failed', { error: describeError(err) });
    for (const s of signals) proc.removeListener(s, onSignal);
    await service.stop().catch(() => {});
    exit(1);
  }
  return fatal;
}
