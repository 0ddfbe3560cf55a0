/**
 * The operator's side of the schema registry: the Confluent-compatible API (Apicurio's ccompat
 * v7). Errors say whether retrying can help: network trouble, 5xx and 429 are temporary; the
 * registry refusing the schema (409 incompatible, 422 invalid) or the request (4xx) is not.
 */

export class RegistryError extends Error {
  constructor(
    message: string,
    /** True when the same request may succeed later (requeue with backoff). */
    readonly temporary: boolean,
    /** Condition reason: RegistryUnavailable, SchemaIncompatible, SchemaInvalid, RegistryRejected. */
    readonly reason: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/**
 * Where the operator reaches the registry the workloads use (spec.schema.registryUrl). The
 * workloads run in the pipeline's namespace, where a host without a dot (a Service name, like
 * the default apicurio-registry) resolves to that namespace's Service; the operator runs in its
 * own namespace, so it qualifies such a host as <host>.<namespace>.svc to reach the same one.
 */
export function registryUrlFor(registryUrl: string, namespace: string): string {
  const url = new URL(registryUrl);
  const host = url.hostname;
  const bare = !host.includes('.') && !host.includes(':') && host !== 'localhost';
  if (!bare) return registryUrl;
  url.hostname = `${host}.${namespace}.svc`;
  return url.toString().replace(/\/$/, registryUrl.endsWith('/') ? '/' : '');
}

export interface Registration {
  id: number;
  version: number;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** What request() returns for a 404 the caller accepts. */
const NOT_FOUND = Symbol('not found');

export class SchemaRegistryClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Sets the subject's compatibility level (PUT /config/{subject}); idempotent. */
  async setCompatibility(subject: string, compatibility: string): Promise<void> {
    await this.request('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility });
  }

  /**
   * Registers an Avro schema under the subject (idempotent: the same schema gets its existing
   * id) and returns its global id and the subject version.
   */
  async register(subject: string, schema: string): Promise<Registration> {
    const path = `/subjects/${encodeURIComponent(subject)}`;
    const body = { schema, schemaType: 'AVRO' };
    await this.request('POST', `${path}/versions`, body);
    const found = (await this.request('POST', path, body)) as { id?: unknown; version?: unknown };
    if (typeof found.id !== 'number' || typeof found.version !== 'number') {
      throw new RegistryError(
        `registry answered ${JSON.stringify(found)} for ${subject}`,
        true,
        'RegistryUnavailable',
      );
    }
    return { id: found.id, version: found.version };
  }

  /**
   * Deletes the subject with all its versions (soft, then permanent, as the Confluent API
   * requires); false when there was none.
   */
  async deleteSubject(subject: string): Promise<boolean> {
    const path = `/subjects/${encodeURIComponent(subject)}`;
    const soft = await this.request('DELETE', path, undefined, true);
    const permanent = await this.request('DELETE', `${path}?permanent=true`, undefined, true);
    return soft !== NOT_FOUND || permanent !== NOT_FOUND;
  }

  get url(): string {
    return this.baseUrl;
  }

  private async request(method: string, path: string, body: unknown, notFoundOk = false): Promise<unknown> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { 'content-type': CONTENT_TYPE, accept: CONTENT_TYPE },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause =
        err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new RegistryError(`registry ${url} unreachable: ${cause}`, true, 'RegistryUnavailable');
    }
    const text = await res.text();
    if (res.ok) return text === '' ? {} : (JSON.parse(text) as unknown);
    if (res.status === 404 && notFoundOk) return NOT_FOUND;
    const detail = oneLine(text);
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      throw new RegistryError(
        `registry ${method} ${path}: HTTP ${res.status} ${detail}`,
        true,
        'RegistryUnavailable',
      );
    }
    if (res.status === 409) {
      throw new RegistryError(`schema incompatible with ${path}: ${detail}`, false, 'SchemaIncompatible');
    }
    if (res.status === 422) throw new RegistryError(`schema invalid: ${detail}`, false, 'SchemaInvalid');
    throw new RegistryError(
      `registry ${method} ${path}: HTTP ${res.status} ${detail}`,
      false,
      'RegistryRejected',
    );
  }
}

function oneLine(text: string): string {
  let message = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: keep the text
  }
  return message.replace(/\s+/g, ' ').trim().slice(0, 500);
}
