import type { KafkaConnection } from './security.js';

/** The Kafka clients the adapter can produce with (ADAPTER_KAFKA_CLIENT). */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClientKind = (typeof KAFKA_CLIENTS)[number];

export function isKafkaClientKind(value: string): value is KafkaClientKind {
  return (KAFKA_CLIENTS as readonly string[]).includes(value);
}

/** One record: the key picks the partition (Java-compatible murmur2, the same in every client). */
export interface ProducerRecord {
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface TopicRecords {
  readonly topic: string;
  readonly messages: readonly ProducerRecord[];
}

/**
 * The small producer interface the adapter writes through, whichever client is behind it. Every
 * implementation has the semantics of `resendingProducer` (kafka/client.ts): acks=all, not
 * idempotent, one request in flight per broker, no retries inside the client. A failed send may
 * have landed some of its records; the caller resends the whole send until it is acknowledged,
 * so a duplicate is possible and a loss is not.
 */
export interface RecordProducer {
  readonly client: KafkaClientKind;
  /** Resolves once a broker answered; rejects (temporary) while none does. */
  connect(): Promise<void>;
  /** Resolves when every record is acknowledged by all in-sync replicas (acks=all). */
  send(topicMessages: readonly TopicRecords[]): Promise<void>;
  disconnect(): Promise<void>;
  /**
   * True when the broker rejected the records themselves (MESSAGE_TOO_LARGE, INVALID_RECORD, ...):
   * resending the same bytes cannot succeed, so they go to the DLQ. False for everything else
   * (broker down, no leader, NOT_ENOUGH_REPLICAS, timeouts, unknown topic): temporary, resend.
   */
  isRecordRejected(err: unknown): boolean;
}

export interface RecordProducerOptions {
  /** The brokers and how to authenticate to them (KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY). */
  readonly connection: KafkaConnection;
  readonly clientId: string;
}
