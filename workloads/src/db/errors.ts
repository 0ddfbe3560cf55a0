import { sqlState } from '@iotpipe/runtime';

// Whether a failure is temporary or permanent: @iotpipe/runtime classifyPostgresFailure.

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
