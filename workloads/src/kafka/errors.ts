import kafkajs from 'kafkajs';
import { ProtocolError } from '@platformatic/kafka';

// kafkajs is CommonJS: its error classes are reachable only through the default export in ESM.
const { KafkaJSError, KafkaJSProtocolError } = kafkajs;

/**
 * Broker answers that reject the record itself: retrying the same bytes cannot succeed, so the
 * message goes to the DLQ. Everything else (no leader, broker down, timeouts, not enough
 * replicas, unknown topic while it is being created) is temporary: retry, never drop.
 */
const RECORD_REJECTED = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
]);

/** kafkajs: a send rejected by the broker for the records themselves (see RECORD_REJECTED). */
export function isKafkajsRecordRejected(err: unknown): boolean {
  if (err instanceof KafkaJSProtocolError) return RECORD_REJECTED.has(err.type);
  // kafkajs wraps the cause after its own retries; look one level down.
  if (err instanceof KafkaJSError) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof KafkaJSProtocolError && RECORD_REJECTED.has(cause.type);
  }
  return false;
}

/**
 * @platformatic/kafka: a send fails with a tree of errors (MultipleErrors per broker, a
 * ResponseError per produce response holding one ProtocolError per failed partition). Rejected
 * only when every failure in it is a record rejection: when one partition's records were too
 * large and another partition's leader was down, the send is resent (temporary) until the only
 * answer left is the rejection, so a broker outage never sends readings to the DLQ.
 * The per-record details of a rejected batch (path `.../record_errors/N`, code -1) accompany
 * their partition's own error and are not counted on their own.
 */
export function isPlatformaticRecordRejected(err: unknown): boolean {
  const leaves: unknown[] = [];
  collectLeaves(err, leaves, 0);
  return leaves.length > 0 && leaves.every(isRejectingProtocolError);
}

/**
 * One line naming the failures inside a @platformatic/kafka error tree ("Producing messages
 * failed." alone says nothing): the broker's error ids and the network causes, each once.
 */
export function describePlatformaticError(err: unknown): string {
  const leaves: unknown[] = [];
  collectLeaves(err, leaves, 0);
  const parts = new Set<string>();
  for (const leaf of leaves) {
    if (leaf instanceof ProtocolError) {
      const id: unknown = leaf.apiId;
      parts.add(typeof id === 'string' ? id : leaf.message);
    } else if (leaf instanceof Error) {
      const cause = leaf.cause instanceof Error ? ` (${leaf.cause.message})` : '';
      parts.add(`${leaf.message}${cause}`);
    } else {
      parts.add(String(leaf));
    }
  }
  const top = err instanceof Error ? err.message : String(err);
  const detail = [...parts].filter((p) => p !== top).join('; ');
  return (detail ? `${top} ${detail}` : top).slice(0, 500);
}

function collectLeaves(err: unknown, out: unknown[], depth: number): void {
  if (err instanceof AggregateError && depth < 8) {
    const children: unknown[] = Array.isArray(err.errors) ? (err.errors as unknown[]) : [];
    if (children.length === 0) out.push(err);
    for (const child of children) collectLeaves(child, out, depth + 1);
    return;
  }
  if (err instanceof ProtocolError) {
    const path: unknown = err.path;
    if (typeof path === 'string' && path.includes('/record_errors/')) return;
  }
  out.push(err);
}

function isRejectingProtocolError(err: unknown): boolean {
  if (!(err instanceof ProtocolError)) return false;
  const id: unknown = err.apiId;
  return typeof id === 'string' && RECORD_REJECTED.has(id);
}
