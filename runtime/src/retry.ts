/** Thrown by retry() when its signal aborts: the work was abandoned, not failed. */
export class AbortedError extends Error {
  override readonly name = 'AbortedError';
}

export interface Backoff {
  /** The first wait's cap, ms. */
  readonly initialMs: number;
  /** The cap every wait stays under, ms. */
  readonly maxMs: number;
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): capped exponential backoff
 * with full jitter, so many waiters do not retry in lockstep. `random` in [0, 1). Pure.
 */
export function backoffMs(b: Backoff, attempt: number, random: number): number {
  const cap = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 30));
  return cap / 2 + random * (cap / 2);
}

export interface RetryOptions extends Backoff {
  readonly signal: AbortSignal;
  /** True when the failure is temporary (wait and retry); false rethrows it at once. */
  readonly isTemporary: (err: unknown) => boolean;
  /** Called on every temporary failure before the wait (attempt counts from 1). */
  readonly onFailure?: (err: unknown, attempt: number, waitMs: number) => void;
  readonly random?: () => number;
}

/**
 * Runs `fn` until it succeeds, waiting between temporary failures (backoffMs). Ends only on
 * success, a permanent failure (rethrown), or the signal (AbortedError).
 */
export async function retry<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  const random = o.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    if (o.signal.aborted) throw new AbortedError('aborted');
    try {
      return await fn();
    } catch (err) {
      if (o.signal.aborted) throw new AbortedError('aborted');
      if (!o.isTemporary(err)) throw err;
      const waitMs = backoffMs(o, attempt, random());
      o.onFailure?.(err, attempt, waitMs);
      await sleep(waitMs, o.signal);
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
