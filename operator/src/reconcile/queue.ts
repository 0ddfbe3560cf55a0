/**
 * A work queue of keys (namespace/name), as client-go's, with two priorities (as
 * controller-runtime's priority queue): a key is queued at most once, is processed by at most
 * one worker at a time (an add while it is processed marks it dirty and it runs again
 * afterwards), and `high` keys (watch events: a spec change, a child changed or deleted by hand)
 * are handed out before `low` ones (the initial list after a start or a failover, periodic
 * resyncs, timed requeues). A key queued low and added high moves up. Failing keys come back
 * after a capped exponential backoff.
 */
export type Priority = 'high' | 'low';

/** The n-th delay (n from 0) of an exponential backoff: base * 2^n, capped at max. */
export function backoff(baseMs: number, maxMs: number, n: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(n, 30));
}

/** A FIFO of keys that tolerates stale entries (a key moved to the other priority). */
class Fifo {
  private items: string[] = [];
  private head = 0;

  push(key: string): void {
    this.items.push(key);
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const key = this.items[this.head++];
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

export class WorkQueue {
  private readonly high = new Fifo();
  private readonly low = new Fifo();
  /** Queued keys and their current priority (the FIFOs may hold stale entries for them). */
  private readonly queued = new Map<string, Priority>();
  private readonly processing = new Set<string>();
  /** Added while processing: queued again (at this priority) when done. */
  private readonly dirty = new Map<string, Priority>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;

  constructor(
    private readonly baseDelayMs: number,
    private readonly maxDelayMs: number,
  ) {}

  /** Keys waiting to be handed out. */
  get depth(): number {
    return this.queued.size;
  }

  add(key: string, priority: Priority = 'high'): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      if (this.dirty.get(key) !== 'high') this.dirty.set(key, priority);
      return;
    }
    const current = this.queued.get(key);
    if (current === 'high' || current === priority) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queued.set(key, priority);
    (priority === 'high' ? this.high : this.low).push(key);
  }

  /** Adds the key (at low priority) after `delayMs`; an earlier pending add wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key, 'low');
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key, 'low');
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Requeues after the key's next backoff delay: base * 2^(failures), capped. Returns the delay. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = backoff(this.baseDelayMs, this.maxDelayMs, n);
    this.addAfter(key, delay);
    return delay;
  }

  /** The key succeeded: its backoff starts from the base again. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The key is gone for good (its object was deleted): drops its timer and backoff. */
  drop(key: string): void {
    this.failures.delete(key);
    const pending = this.timers.get(key);
    if (pending) clearTimeout(pending.timer);
    this.timers.delete(key);
  }

  /** The next key (high before low), marked as processing; undefined once shut down. */
  async get(): Promise<string | undefined> {
    if (this.shuttingDown) return undefined;
    const key = this.next('high') ?? this.next('low');
    if (key !== undefined) {
      this.processing.add(key);
      return key;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private next(priority: Priority): string | undefined {
    const fifo = priority === 'high' ? this.high : this.low;
    for (let key = fifo.shift(); key !== undefined; key = fifo.shift()) {
      if (this.queued.get(key) !== priority) continue; // stale: moved up, or already handed out
      this.queued.delete(key);
      return key;
    }
    return undefined;
  }

  /** The worker finished the key; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    const again = this.dirty.get(key);
    if (again !== undefined) {
      this.dirty.delete(key);
      this.add(key, again);
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.high.clear();
    this.low.clear();
    this.queued.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}
