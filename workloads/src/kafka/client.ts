import { Kafka, type Producer, logLevel, type KafkaConfig } from 'kafkajs';
import { kafkajsSecurity, type KafkaConnection } from './security.js';

/**
 * A Kafka client that rides out the loss of a broker: after a kill -9 the controller fences the
 * broker only when its session times out (9 s by default), so retries must outlast that. The
 * retry budget is capped; callers that must never drop (the adapter) retry around it again.
 * It authenticates as the connection's KAFKA_SECURITY settings say (TLS, SASL).
 */
export function createKafka(
  connection: KafkaConnection,
  clientId: string,
  extra: Partial<KafkaConfig> = {},
): Kafka {
  return new Kafka({
    clientId,
    brokers: [...connection.kafkaBrokers],
    ...kafkajsSecurity(connection),
    logLevel: logLevel.ERROR,
    retry: { retries: 20, initialRetryTime: 300, maxRetryTime: 5000 },
    connectionTimeout: 3000,
    requestTimeout: 30000,
    ...extra,
  });
}

/**
 * The producer every stage writes with: acks=all is per send; the caller owns the retry and
 * resends the whole send until it is acknowledged, so a duplicate is possible and a loss is not
 * (downstream collapses duplicates: the adapter's window and the sink's natural key for readings,
 * deterministic ids for alerts, the source offset for dead letters).
 * - Not kafkajs' idempotent producer: with a broker killed -9 mid-request its sequence
 *   bookkeeping went out of step with the broker's (OUT_OF_ORDER_SEQUENCE_NUMBER), after which it
 *   either lost records or never produced again (tests/chaos 1).
 * - No retries inside kafkajs: its retry resends only to brokers that have not answered, so the
 *   records of a partition whose leader moved to a broker that had answered are never sent, yet
 *   the send succeeds (tests/chaos 3 lost readings this way).
 */
export function resendingProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: false, maxInFlightRequests: 1, retry: { retries: 0 } });
}
