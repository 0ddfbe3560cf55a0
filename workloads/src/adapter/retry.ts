/** Thrown by retryUntilDone when the signal aborts: the work is abandoned, not failed. */
export class AbortedError extends Error {
  override readonly name = 'AbortedError';
}

export interface RetryOptions {
  signal: AbortSignal;
  initialMs: number;
  maxMs: number;
  /** True when the error is temporary (retry); false rethrows it at once. */
  isTemporary: (err: unknown) => boolean;
  /** Called on every temporary failure (attempt counts from 1). */
  onFailure: (err: unknown, attempt: number) => void;
}

/**
 * Runs `fn` until it succeeds, waiting between temporary failures with capped exponential
 * backoff and full jitter (so many waiters do not retry in lockstep). Stops only on success,
 * a permanent error, or the signal.
 */
export async function retryUntilDone<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (o.signal.aborted) throw new AbortedError('aborted');
    try {
      return await fn();
    } catch (err) {
      if (o.signal.aborted) throw new AbortedError('aborted');
      if (!o.isTemporary(err)) throw err;
      o.onFailure(err, attempt);
      const cap = Math.min(o.maxMs, o.initialMs * 2 ** Math.min(attempt - 1, 30));
      await sleep(cap / 2 + Math.random() * (cap / 2), o.signal);
    }
  }
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
