/**
 * One classification of failures for every dependency: `temporary` (the dependency is away,
 * busy or restarting: wait and retry, never drop) or `permanent` (the input itself, or the
 * configuration, is refused: retrying the same thing cannot succeed). A stage then decides
 * what a permanent failure means for it: a record to dead-letter, or a start that fails.
 * The checks are structural (error codes, statuses, SQLSTATEs), so this module needs none of
 * the client libraries.
 */
export type Failure = 'temporary' | 'permanent';

/** Socket and DNS errors of Node and of the clients' own connection handling. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  // postgres.js
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);
const SOCKET_MESSAGE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|fetch failed|network|timed? ?out/i;

function field(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[name] : undefined;
}

/** A lost, refused or timed-out connection, whoever reported it (also as an error's cause). */
function isConnectionFailure(err: unknown, depth = 0): boolean {
  const code = field(err, 'code');
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
  const message = field(err, 'message');
  if (typeof message === 'string' && SOCKET_MESSAGE.test(message)) return true;
  return (
    depth < 4 && field(err, 'cause') !== undefined && isConnectionFailure(field(err, 'cause'), depth + 1)
  );
}

/**
 * The schema registry (Confluent API over HTTP). Temporary: no connection, 5xx, 429; the
 * registry client reports a refused connection or a timeout as status 400 with the socket
 * error in its message (tests/chaos 6), so that is temporary too. Permanent: any other 4xx
 * (unknown schema id, bad credentials, an incompatible or invalid schema).
 */
export function classifyRegistryFailure(err: unknown): Failure {
  if (isConnectionFailure(err)) return 'temporary';
  const status = field(err, 'status');
  if (typeof status === 'number') return status >= 500 || status === 429 ? 'temporary' : 'permanent';
  return 'permanent';
}

/**
 * PostgreSQL. Permanent: the data is refused (SQLSTATE class 22 data exception, 23 integrity
 * violation). Everything else is temporary: the database away or restarting (08, 57, 58), a
 * lost race (40, 55P03), resources (53), and also what looks like a deployment problem (a
 * missing table, permissions): retried with the problem logged, since dropping data is worse.
 */
export function classifyPostgresFailure(err: unknown): Failure {
  const state = sqlState(err);
  return state !== undefined && (state.startsWith('22') || state.startsWith('23'))
    ? 'permanent'
    : 'temporary';
}

/** The SQLSTATE of a server error (postgres.js sets `code` and `severity`), else undefined. */
export function sqlState(err: unknown): string | undefined {
  const code = field(err, 'code');
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof field(err, 'severity') === 'string'
    ? code
    : undefined;
}

/** Broker answers that refuse the records themselves: the same bytes can never be written. */
const KAFKA_RECORD_REFUSED = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
]);

/**
 * Kafka (@platformatic/kafka). A failed request is a tree of errors (one per broker, one per
 * partition); permanent only when every leaf is a refusal of the records, so that when one
 * partition's records are too large and another's leader is down the send is retried until
 * the refusal is the only answer left: a broker outage never dead-letters readings.
 */
export function classifyKafkaFailure(err: unknown): Failure {
  const leaves = kafkaErrorLeaves(err);
  return leaves.length > 0 && leaves.every(isRecordRefusal) ? 'permanent' : 'temporary';
}

/** The leaves of a Kafka error tree; per-record details of a refused batch are not leaves of their own. */
export function kafkaErrorLeaves(err: unknown, depth = 0, out: unknown[] = []): unknown[] {
  const children = field(err, 'errors');
  if (err instanceof AggregateError && Array.isArray(children) && children.length > 0 && depth < 8) {
    for (const child of children as unknown[]) kafkaErrorLeaves(child, depth + 1, out);
    return out;
  }
  const path = field(err, 'path');
  if (typeof path === 'string' && path.includes('/record_errors/')) return out;
  out.push(err);
  return out;
}

function isRecordRefusal(err: unknown): boolean {
  const id = field(err, 'apiId');
  return field(err, 'code') === 'PLT_KFK_PROTOCOL' && typeof id === 'string' && KAFKA_RECORD_REFUSED.has(id);
}

/**
 * MQTT (MQTT.js). Permanent: the broker refused the client (CONNACK: bad user name or
 * password, not authorized, banned, client id refused; v3 codes 2, 4, 5 and v5 codes 133-135,
 * 138, 140). Everything else (connection lost, refused, timed out, server unavailable or busy)
 * is temporary.
 */
export function classifyMqttFailure(err: unknown): Failure {
  const code = field(err, 'code');
  if (typeof code === 'number' && [2, 4, 5, 133, 134, 135, 138, 140].includes(code)) return 'permanent';
  return 'temporary';
}
