/**
 * The operator's HTTP client for the Kubernetes API: JSON requests and watch streams over ONE
 * keep-alive connection pool. (@kubernetes/client-node's generated clients make a new
 * https.Agent per request, so every call pays a TCP and TLS handshake: at hundreds of
 * pipelines that was most of a reconcile's time.) Credentials come from a Connection
 * (connection.ts: client certificates, bearer tokens, the in-cluster service account), asked
 * again every minute so a rotated service-account token is picked up.
 */
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { createInterface } from 'node:readline';
import type { Connection, Credentials as ConnectionCredentials } from './connection.js';

/** The API server's Status, as it answers a failed request. */
export interface ApiStatus {
  kind?: 'Status';
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: Array<{ reason?: string; message?: string; field?: string }> };
}

/** A request the API server refused (or that never reached it: code 0). */
export class KubeApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    /** HTTP status; 0 when the connection failed. */
    readonly code: number,
    readonly status: ApiStatus | undefined,
    detail: string,
  ) {
    super(`${method} ${path}: ${code === 0 ? detail : `HTTP ${code}: ${status?.message ?? detail}`}`);
    this.name = 'KubeApiError';
  }

  /** 5xx, 429, conflicts, timeouts and connection failures may pass on retry; other 4xx will not. */
  get temporary(): boolean {
    return this.code === 0 || this.code >= 500 || this.code === 429 || this.code === 409 || this.code === 408;
  }
}

/** The verb of a request as the API server's audit log names it: a GET of a collection is a LIST. */
export function verbOf(method: string, path: string): string {
  if (method !== 'GET') return method;
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const rest = parts.slice(parts[0] === 'api' ? 2 : 3);
  const scoped = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  return scoped.length === 1 ? 'LIST' : 'GET';
}

/** The resource a path is about: its plural, and the subresource ('iotpipelines/status'). */
export function resourceOf(path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  // /api/v1/namespaces/ns/pods/name[/sub] or /apis/g/v/namespaces/ns/plural/name[/sub]
  const start = parts[0] === 'api' ? 2 : 3;
  const rest = parts.slice(start);
  const scoped = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  return scoped.length > 2 ? `${scoped[0]}/${scoped[2]}` : (scoped[0] ?? '');
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 404;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** Accept headers for metadata-only lists and watches (PartialObjectMetadata). */
export const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
export const METADATA_OBJECT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
export const METADATA_WATCH = METADATA_OBJECT;

const CREDENTIALS_TTL_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;

interface Credentials extends ConnectionCredentials {
  readonly at: number;
}

export class KubeClient {
  private readonly server: URL;
  private credentials?: Credentials;
  /** Requests: keep-alive, bounded (queued beyond maxSockets). */
  private requestAgent?: HttpAgent | HttpsAgent;
  /** Watches hold their connection for minutes: a pool of their own, so they never starve requests. */
  private watchAgent?: HttpAgent | HttpsAgent;

  constructor(
    private readonly connection: Connection,
    /** Called once per request with its verb (LIST for a collection GET), the resource (plural, '/status' for the subresource) and the HTTP status (0: no answer). */
    private readonly observe: (verb: string, resource: string, code: number) => void = () => undefined,
    private readonly maxSockets = 64,
  ) {
    this.server = connection.server;
  }

  private async auth(): Promise<Credentials> {
    const now = Date.now();
    if (this.credentials && now - this.credentials.at < CREDENTIALS_TTL_MS) return this.credentials;
    const { tls, headers } = await this.connection.credentials();
    const first = !this.credentials;
    this.credentials = { tls, headers, at: now };
    if (first) {
      const https = this.server.protocol === 'https:';
      const make = (maxSockets: number) =>
        https
          ? new HttpsAgent({ keepAlive: true, maxSockets, ...tls })
          : new HttpAgent({ keepAlive: true, maxSockets });
      this.requestAgent = make(this.maxSockets);
      this.watchAgent = make(Infinity);
    }
    return this.credentials;
  }

  private url(path: string, query: Query = {}): URL {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  private async send(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; contentType?: string; accept?: string; watch?: boolean },
  ): Promise<IncomingMessage> {
    const creds = await this.auth();
    const url = this.url(path, options.query);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {
      ...creds.headers,
      Accept: options.accept ?? 'application/json',
      ...(body === undefined
        ? {}
        : {
            'Content-Type': options.contentType ?? 'application/json',
            'Content-Length': String(Buffer.byteLength(body)),
          }),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, {
        method,
        headers,
        agent: options.watch ? this.watchAgent : this.requestAgent,
        ...creds.tls,
        ...(options.watch ? {} : { timeout: REQUEST_TIMEOUT_MS }),
      });
      req.on('response', resolve);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', (err) => reject(new KubeApiError(method, path, 0, undefined, err.message)));
      req.end(body);
    });
  }

  /** One request; the parsed JSON answer, or KubeApiError. */
  async request<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: { query?: Query; body?: unknown; contentType?: string; accept?: string } = {},
  ): Promise<T> {
    let res: IncomingMessage;
    try {
      res = await this.send(method, path, options);
    } catch (err) {
      this.observe(verbOf(method, path), resourceOf(path), 0);
      throw err;
    }
    this.observe(verbOf(method, path), resourceOf(path), res.statusCode ?? 0);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of res) chunks.push(chunk as Buffer);
    } catch (err) {
      throw new KubeApiError(method, path, 0, undefined, (err as Error).message);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (status >= 200 && status < 300) return parsed as T;
    const apiStatus = parsed as ApiStatus | undefined;
    throw new KubeApiError(method, path, status, apiStatus, text.slice(0, 500).replace(/\s+/g, ' '));
  }

  async get<T>(path: string, query?: Query): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', path, { query });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Server-side apply of `body` at `path` (the object's own URL) as `fieldManager`, taking over
   * conflicting fields (force); fieldValidation=Strict, so a field the API does not know is an
   * error and not silently dropped.
   */
  apply<T>(
    path: string,
    body: unknown,
    fieldManager: string,
    options: { query?: Query; metadataOnly?: boolean } = {},
  ): Promise<T> {
    return this.request<T>('PATCH', path, {
      query: { fieldManager, force: true, fieldValidation: 'Strict', ...options.query },
      body,
      contentType: 'application/apply-patch+yaml',
      // The answer as PartialObjectMetadata: a caller that only needs the new generation and
      // resourceVersion does not parse the whole object back.
      ...(options.metadataOnly ? { accept: METADATA_OBJECT } : {}),
    });
  }

  mergePatch<T>(path: string, body: unknown, fieldManager: string): Promise<T> {
    return this.request<T>('PATCH', path, {
      query: { fieldManager, fieldValidation: 'Strict' },
      body,
      contentType: 'application/merge-patch+json',
    });
  }

  /** Deletes; false when it was not there. */
  async delete(path: string, body?: unknown): Promise<boolean> {
    try {
      await this.request('DELETE', path, { body });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * Streams a watch: calls `onEvent` per event until the server ends the stream (resolves) or the
   * connection fails (rejects); `signal` aborts it (resolves).
   */
  async watch<T>(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
    accept?: string,
  ): Promise<void> {
    if (signal.aborted) return;
    const res = await this.send('GET', path, { query: { ...query, watch: true }, accept, watch: true });
    // Aborted while the request was on its way (the listener below did not exist yet): without
    // this the stream stayed open until the server's timeoutSeconds, 5 to 10 minutes, and so did
    // the operator's stop (a SIGTERM just after it started leading).
    if (signal.aborted) {
      res.destroy();
      return;
    }
    if ((res.statusCode ?? 0) !== 200) {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      let status: ApiStatus | undefined;
      try {
        status = JSON.parse(text) as ApiStatus;
      } catch {
        status = undefined;
      }
      throw new KubeApiError('WATCH', path, res.statusCode ?? 0, status, text.slice(0, 500));
    }
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    // readline ends its iteration on the stream's 'end' only: a destroyed or broken connection
    // must close it too, or the loop below would wait forever.
    res.on('close', () => lines.close());
    const abort = () => res.destroy();
    signal.addEventListener('abort', abort, { once: true });
    // What onEvent throws ends the watch and is rethrown as it is (the caller's decision, e.g.
    // "too old: list again"); what the stream throws is a connection failure.
    let handlerError: Error | undefined;
    try {
      for await (const line of lines) {
        if (line === '') continue;
        try {
          onEvent(JSON.parse(line) as WatchEvent<T>);
        } catch (err) {
          handlerError = err instanceof Error ? err : new Error(String(err));
          break;
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      throw new KubeApiError('WATCH', path, 0, undefined, (err as Error).message);
    } finally {
      signal.removeEventListener('abort', abort);
      res.destroy();
    }
    if (handlerError !== undefined) throw handlerError;
  }

  /** Closes the idle connections (in-flight requests finish). */
  close(): void {
    this.requestAgent?.destroy();
    this.watchAgent?.destroy();
  }
}
