/**
 * Registry unreachable or failing (sockets, 5xx, 429): retry, the record is fine. A 404 (unknown
 * schema id) or a 4xx about the schema itself is permanent. One classification for every stage
 * that talks to the registry.
 */
export function isTemporaryRegistryError(err: unknown): boolean {
  const e = err as { status?: unknown; code?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'string' && /^(ECONN|ETIMEDOUT|EAI_AGAIN|EPIPE|EHOSTUNREACH|UND_ERR)/.test(e.code)) {
    return true;
  }
  // Checked before the status: the registry client (mappersmith) reports a refused connection
  // or a timeout as status 400 with the socket error in the message (found by tests/chaos 6).
  if (
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up|fetch failed|network|timeout/i.test(
      typeof e?.message === 'string' ? e.message : '',
    )
  )
    return true;
  if (typeof e?.status === 'number') return e.status >= 500 || e.status === 429;
  return false;
}
