import kafkajs from 'kafkajs';
import { ProtocolError } from '@platformatic/kafka';
import { kafkaErrorLeaves } from '@iotpipe/runtime';

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
 * One line naming the failures inside a @platformatic/kafka error tree ("Producing messages
 * failed." alone says nothing): the broker's error ids and the network causes, each once.
 */
export function describePlatformaticError(err: unknown): string {
  const leaves = kafkaErrorLeaves(err);
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
