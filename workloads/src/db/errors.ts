/**
 * How a PostgreSQL failure is handled:
 * - `record`: the data itself is rejected (SQLSTATE class 22 data exception, 23 integrity
 *   violation). Retrying the same rows cannot succeed: isolate them and dead-letter them.
 * - `transient`: the database is unreachable, restarting, overloaded or the transaction lost a
 *   race (classes 08, 40, 53, 57, 58, 55P03, and socket errors). Retry with backoff.
 * - `fatal`: anything else (missing table, syntax, permissions): a deployment problem, not a data
 *   problem. The sink retries these too — dropping data would be worse — but logs them as such.
 */
export type PgFailureKind = 'record' | 'transient' | 'fatal';

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  // postgres.js's own connection errors
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

export function sqlState(err: unknown): string | undefined {
  const e = err as { code?: unknown; severity?: unknown } | null;
  if (e && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string') {
    return e.code;
  }
  return undefined;
}

export function classifyPgError(err: unknown): PgFailureKind {
  const state = sqlState(err);
  if (state === undefined) {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && SOCKET_CODES.has(code)) return 'transient';
    const message = err instanceof Error ? err.message : String(err);
    if (/ECONNREFUSED|ECONNRESET|socket|connection|timeout/i.test(message)) return 'transient';
    return 'fatal';
  }
  const cls = state.slice(0, 2);
  if (cls === '22' || cls === '23') return 'record';
  if (['08', '40', '53', '57', '58'].includes(cls) || state === '55P03' || state === '55006')
    return 'transient';
  return 'fatal';
}

/** A short, one-line description for logs and dead letters. */
export function describePgError(err: unknown): string {
  const state = sqlState(err);
  const e = err as { message?: unknown; code?: unknown; detail?: unknown; constraint_name?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const parts = [state ? `SQLSTATE ${state}: ${message}` : message];
  if (typeof e?.constraint_name === 'string') parts.push(`constraint ${e.constraint_name}`);
  if (typeof e?.detail === 'string') parts.push(e.detail);
  if (!state && typeof e?.code === 'string') parts.push(e.code);
  return parts.join('; ').replace(/\s+/g, ' ').trim();
}
