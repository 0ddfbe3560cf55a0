/**
 * A cache of one resource kind kept current by list + watch (client-go's reflector and store):
 * it lists (in pages), then watches from the list's resourceVersion with bookmarks; when the
 * watch ends it resumes from the last version seen, and when that version is too old (410 Gone)
 * it lists again and reports what changed meanwhile. Each object is passed through `transform`
 * before it is stored: the cache keeps only what the operator reads (no managedFields, no pod
 * templates), so its memory per object is bounded. `metadataOnly` lists and watches
 * PartialObjectMetadata: only the metadata crosses the wire.
 */
import { collectionPath, type Resource } from './resources.js';
import {
  isNotFound,
  KubeApiError,
  METADATA_LIST,
  METADATA_WATCH,
  type KubeClient,
  type WatchEvent,
} from './client.js';

/** What every cached object has. */
export interface CachedObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
}

/** An object as the API server sends it (before transform). */
export interface RawObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface InformerHandlers<T> {
  /** `initial`: part of the first list (what was there before the informer started). */
  add?(obj: T, initial: boolean): void;
  update?(previous: T, obj: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions<T extends CachedObject> {
  resource: Resource;
  /** '' for every namespace. */
  namespace: string;
  labelSelector?: string;
  fieldSelector?: string;
  metadataOnly?: boolean;
  transform: (raw: RawObject) => T;
  /** Secondary index: the keys an object is found under (e.g. `<namespace>/<topic name>`). */
  indexBy?: (obj: T) => string | undefined;
  log: (line: string) => void;
  pageSize?: number;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

export function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export class Informer<T extends CachedObject> {
  private readonly store = new Map<string, T>();
  private readonly index = new Map<string, Set<string>>();
  private readonly handlers: Array<InformerHandlers<T>> = [];
  private resourceVersion = '';
  private abort = new AbortController();
  private running?: Promise<void>;
  private synced = false;
  private lastError = '';

  constructor(
    private readonly client: KubeClient,
    private readonly options: InformerOptions<T>,
  ) {}

  on(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get size(): number {
    return this.store.size;
  }

  get(namespace: string, name: string): T | undefined {
    return this.store.get(keyOf(namespace, name));
  }

  list(): IterableIterator<T> {
    return this.store.values();
  }

  /** The objects the secondary index files under `key`. */
  byIndex(key: string): T[] {
    const keys = this.index.get(key);
    if (!keys) return [];
    return [...keys].flatMap((k) => {
      const obj = this.store.get(k);
      return obj ? [obj] : [];
    });
  }

  /** Lists (retrying until it succeeds or stop() is called), then watches in the background. */
  async start(): Promise<void> {
    for (let delay = RETRY_MIN_MS; !this.abort.signal.aborted; delay = Math.min(RETRY_MAX_MS, delay * 2)) {
      try {
        await this.relist(true);
        break;
      } catch (err) {
        this.report(err);
        await this.sleep(delay);
      }
    }
    this.synced = !this.abort.signal.aborted;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private report(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    // Once per distinct failure, not per retry.
    if (message !== this.lastError)
      this.options.log(`watch of ${this.options.resource.plural} failed (${message}); retrying`);
    this.lastError = message;
  }

  private async loop(): Promise<void> {
    let delay = RETRY_MIN_MS;
    while (!this.abort.signal.aborted) {
      try {
        // client-go's reflector: a random timeout of 5 to 10 minutes spreads the watches' renewals.
        await this.client.watch<RawObject>(
          collectionPath(this.options.resource, this.options.namespace),
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: 300 + Math.floor(Math.random() * 300),
            labelSelector: this.options.labelSelector,
            fieldSelector: this.options.fieldSelector,
          },
          (event) => this.apply(event),
          this.abort.signal,
          this.options.metadataOnly ? METADATA_WATCH : undefined,
        );
        if (this.lastError !== '') this.options.log(`watch of ${this.options.resource.plural} resumed`);
        this.lastError = '';
        delay = RETRY_MIN_MS;
      } catch (watchErr) {
        if (this.abort.signal.aborted) return;
        let err = watchErr;
        if (err instanceof Gone || (err instanceof KubeApiError && err.code === 410)) {
          // Too old to resume: list again, and report what changed meanwhile.
          try {
            await this.relist(false);
            continue;
          } catch (listErr) {
            err = listErr;
          }
        }
        this.report(err);
        await this.sleep(delay);
        delay = Math.min(RETRY_MAX_MS, delay * 2);
      }
    }
  }

  private apply(event: WatchEvent<RawObject>): void {
    if (event.type === 'ERROR') {
      const status = event.object as { code?: number; message?: string };
      if (status.code === 410) throw new Gone();
      throw new Error(`watch error: ${status.message ?? JSON.stringify(status)}`);
    }
    const rv = event.object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (event.type === 'BOOKMARK') return;
    const obj = this.options.transform(event.object);
    const key = keyOf(obj.metadata.namespace, obj.metadata.name);
    const previous = this.store.get(key);
    if (event.type === 'DELETED') {
      this.remove(key);
      if (previous) for (const h of this.handlers) h.delete?.(previous);
      return;
    }
    this.put(key, obj);
    if (previous) for (const h of this.handlers) h.update?.(previous, obj);
    else for (const h of this.handlers) h.add?.(obj, false);
  }

  private async relist(initial: boolean): Promise<void> {
    const path = collectionPath(this.options.resource, this.options.namespace);
    const seen = new Map<string, T>();
    let continueToken: string | undefined;
    let listVersion = '';
    do {
      let page: { metadata?: { resourceVersion?: string; continue?: string }; items?: RawObject[] };
      try {
        page = await this.client.request('GET', path, {
          query: {
            labelSelector: this.options.labelSelector,
            fieldSelector: this.options.fieldSelector,
            limit: this.options.pageSize ?? 500,
            continue: continueToken,
          },
          accept: this.options.metadataOnly ? METADATA_LIST : undefined,
        });
      } catch (err) {
        // The resource kind is not installed (e.g. no Strimzi CRDs): an empty cache, said once.
        if (isNotFound(err) && continueToken === undefined) {
          this.report(err);
          page = { metadata: { resourceVersion: '' }, items: [] };
        } else throw err;
      }
      for (const raw of page.items ?? []) {
        const obj = this.options.transform(raw);
        seen.set(keyOf(obj.metadata.namespace, obj.metadata.name), obj);
      }
      listVersion = page.metadata?.resourceVersion ?? listVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    for (const [key, previous] of [...this.store]) {
      if (seen.has(key)) continue;
      this.remove(key);
      for (const h of this.handlers) h.delete?.(previous);
    }
    for (const [key, obj] of seen) {
      const previous = this.store.get(key);
      this.put(key, obj);
      if (!previous) for (const h of this.handlers) h.add?.(obj, initial);
      else if (previous.metadata.resourceVersion !== obj.metadata.resourceVersion)
        for (const h of this.handlers) h.update?.(previous, obj);
    }
    this.resourceVersion = listVersion;
  }

  private put(key: string, obj: T): void {
    this.removeIndex(key);
    this.store.set(key, obj);
    const indexKey = this.options.indexBy?.(obj);
    if (indexKey !== undefined) {
      let keys = this.index.get(indexKey);
      if (!keys) this.index.set(indexKey, (keys = new Set()));
      keys.add(key);
    }
  }

  private remove(key: string): void {
    this.removeIndex(key);
    this.store.delete(key);
  }

  private removeIndex(key: string): void {
    const obj = this.store.get(key);
    const indexKey = obj && this.options.indexBy?.(obj);
    if (indexKey === undefined) return;
    const keys = this.index.get(indexKey);
    keys?.delete(key);
    if (keys?.size === 0) this.index.delete(indexKey);
  }
}

/** A watch event said the resourceVersion is gone: list again. */
class Gone extends Error {
  constructor() {
    super('resourceVersion too old (410 Gone)');
  }
}
