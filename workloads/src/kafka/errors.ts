import kafkajs from 'kafkajs';

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

export function isRecordRejected(err: unknown): boolean {
  if (err instanceof KafkaJSProtocolError) return RECORD_REJECTED.has(err.type);
  // kafkajs wraps the cause after its own retries; look one level down.
  if (err instanceof KafkaJSError) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof KafkaJSProtocolError && RECORD_REJECTED.has(cause.type);
  }
  return false;
}
