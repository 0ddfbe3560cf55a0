import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';

/**
 * A Kafka client that rides out the loss of a broker: after a kill -9 the controller fences the
 * broker only when its session times out (9 s by default), so retries must outlast that. The
 * retry budget is capped; callers that must never drop (the adapter) retry around it again.
 */
export function createKafka(brokers: string[], clientId: string, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.ERROR,
    retry: { retries: 20, initialRetryTime: 300, maxRetryTime: 5000 },
    connectionTimeout: 3000,
    requestTimeout: 30000,
    ...extra,
  });
}
