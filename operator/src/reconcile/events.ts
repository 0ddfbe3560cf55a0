/**
 * Events (events.k8s.io/v1) on IoTPipelines: what `kubectl describe` and `kubectl events` show.
 * Deduplicated and rate-limited as client-go's recorders do it:
 * - the same event again (same object, type, reason, action and note) within six minutes of the
 *   last one is not a new Event but a series: `series.count` and `series.lastObservedTime` of
 *   the first are updated (kubectl shows "x5 over 3m"): at once for the second occurrence, then
 *   at most every 30 seconds, and once more after it stops;
 * - each object has a token bucket (burst 25, one more token every 5 minutes: client-go's
 *   EventSourceObjectSpamFilter defaults) that every write (new Event or series update)
 *   takes from; without a token a new event is dropped (counted) and a series update waits.
 * Writes are asynchronous and bounded (at most 1000 waiting, as client-go); a failed write is
 * retried a few times with backoff and then dropped: events never hold up a reconcile.
 */
import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../kube/client.js';
import { collectionPath, EVENT, objectPath } from '../kube/resources.js';

export type EventType = 'Normal' | 'Warning';

/** The object an event is about. */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string };
}

export interface EventRecorderOptions {
  /** reportingController, e.g. iotpipe.io/operator. */
  readonly controller: string;
  /** reportingInstance: this replica's identity. */
  readonly instance: string;
  readonly burst?: number;
  readonly refillMs?: number;
  readonly seriesWindowMs?: number;
  readonly seriesUpdateMs?: number;
  readonly maxCached?: number;
  readonly maxQueued?: number;
  readonly onDropped?: (reason: 'rate-limited' | 'queue-full' | 'failed') => void;
  readonly log?: (line: string) => void;
}

interface SeriesState {
  namespace: string;
  /** The Event's name once created. */
  name?: string;
  count: number;
  firstAt: number;
  lastObservedAt: number;
  /** count already written to the API server. */
  writtenCount: number;
  lastWriteAt: number;
  subjectUid: string;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** The API server's limit for an Event's note. */
const NOTE_MAX = 1024;

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class EventRecorder {
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly seriesWindowMs: number;
  private readonly seriesUpdateMs: number;
  private readonly maxCached: number;
  private readonly maxQueued: number;
  /** Series by event key, least recently observed first (a Map keeps insertion order). */
  private readonly series = new Map<string, SeriesState>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly queue: Array<() => Promise<void>> = [];
  private running = 0;
  private flushTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly options: EventRecorderOptions,
  ) {
    this.burst = options.burst ?? 25;
    this.refillMs = options.refillMs ?? 300_000;
    this.seriesWindowMs = options.seriesWindowMs ?? 360_000;
    this.seriesUpdateMs = options.seriesUpdateMs ?? 30_000;
    this.maxCached = options.maxCached ?? 4096;
    this.maxQueued = options.maxQueued ?? 1000;
    this.flushTimer = setInterval(() => this.flush(), Math.min(this.seriesUpdateMs, 30_000));
    this.flushTimer.unref();
  }

  /** Records an event about `subject` (asynchronous; never throws). */
  record(subject: EventSubject, type: EventType, reason: string, note: string, action = 'Reconcile'): void {
    if (this.stopped) return;
    const now = Date.now();
    const trimmed = note.length > NOTE_MAX ? `${note.slice(0, NOTE_MAX - 3)}...` : note;
    const key = [subject.metadata.uid, type, reason, action, trimmed].join('\u0000');
    const existing = this.series.get(key);
    if (existing && now - existing.lastObservedAt < this.seriesWindowMs) {
      existing.count++;
      existing.lastObservedAt = now;
      this.series.delete(key);
      this.series.set(key, existing);
      // The second occurrence starts the series at once (as client-go's events library does);
      // later counts are written at most every seriesUpdateMs.
      if (existing.name && (existing.count === 2 || now - existing.lastWriteAt >= this.seriesUpdateMs)) {
        this.writeSeries(existing);
      }
      return;
    }
    if (!this.take(subject.metadata.uid, now)) {
      this.options.onDropped?.('rate-limited');
      return;
    }
    const state: SeriesState = {
      namespace: subject.metadata.namespace,
      count: 1,
      firstAt: now,
      lastObservedAt: now,
      writtenCount: 1,
      lastWriteAt: now,
      subjectUid: subject.metadata.uid,
    };
    this.series.delete(key);
    this.series.set(key, state);
    while (this.series.size > this.maxCached) {
      const oldest = this.series.keys().next().value;
      if (oldest === undefined) break;
      this.series.delete(oldest);
    }
    const name = `${subject.metadata.name}.${now.toString(16)}${randomBytes(2).toString('hex')}`;
    const body = {
      apiVersion: EVENT.apiVersion,
      kind: EVENT.kind,
      metadata: { name, namespace: subject.metadata.namespace },
      eventTime: microTime(now),
      reportingController: this.options.controller,
      reportingInstance: this.options.instance,
      action,
      reason,
      type,
      note: trimmed,
      regarding: {
        apiVersion: subject.apiVersion,
        kind: subject.kind,
        name: subject.metadata.name,
        namespace: subject.metadata.namespace,
        uid: subject.metadata.uid,
        ...(subject.metadata.resourceVersion ? { resourceVersion: subject.metadata.resourceVersion } : {}),
      },
    };
    this.enqueue(async () => {
      await this.client.request('POST', collectionPath(EVENT, subject.metadata.namespace), { body });
      state.name = name;
      // Repeats that came while the Event was being created.
      if (state.count > state.writtenCount) this.writeSeries(state);
    });
  }

  /** Writes pending series counts whose update interval has passed, and ends quiet series. */
  flush(): void {
    const now = Date.now();
    for (const [key, state] of this.series) {
      if (state.name && state.count > state.writtenCount && now - state.lastWriteAt >= this.seriesUpdateMs) {
        this.writeSeries(state);
      }
      if (now - state.lastObservedAt >= this.seriesWindowMs && state.count === state.writtenCount) {
        this.series.delete(key);
      }
    }
    for (const [uid, bucket] of this.buckets) {
      if (this.refill(bucket, now).tokens >= this.burst) this.buckets.delete(uid);
    }
  }

  private writeSeries(state: SeriesState): void {
    const now = Date.now();
    if (!state.name || !this.take(state.subjectUid, now)) return;
    state.lastWriteAt = now;
    const count = state.count;
    const name = state.name;
    this.enqueue(async () => {
      await this.client.request('PATCH', objectPath(EVENT, state.namespace, name), {
        body: { series: { count, lastObservedTime: microTime(state.lastObservedAt) } },
        contentType: 'application/merge-patch+json',
      });
      state.writtenCount = Math.max(state.writtenCount, count);
    });
  }

  private refill(bucket: Bucket, now: number): Bucket {
    const gained = Math.floor((now - bucket.at) / this.refillMs);
    if (gained > 0) {
      bucket.tokens = Math.min(this.burst, bucket.tokens + gained);
      bucket.at += gained * this.refillMs;
    }
    return bucket;
  }

  private take(uid: string, now: number): boolean {
    let bucket = this.buckets.get(uid);
    if (!bucket) this.buckets.set(uid, (bucket = { tokens: this.burst, at: now }));
    this.refill(bucket, now);
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }

  private enqueue(write: () => Promise<void>): void {
    if (this.queue.length >= this.maxQueued) {
      this.options.onDropped?.('queue-full');
      return;
    }
    this.queue.push(write);
    this.pump();
  }

  private pump(): void {
    // A few writes at once: events must not crowd out the reconciles' requests.
    while (this.running < 4 && this.queue.length > 0) {
      const write = this.queue.shift()!;
      this.running++;
      void this.attempt(write).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async attempt(write: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await write();
        return;
      } catch (err) {
        if (this.stopped || attempt >= 3) {
          this.options.onDropped?.('failed');
          this.options.log?.(`event not recorded: ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 500 * attempt).unref());
      }
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
  }
}
