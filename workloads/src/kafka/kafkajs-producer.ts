import { logLevel, type Producer } from 'kafkajs';
import { createKafka, resendingProducer } from './client.js';
import { isKafkajsRecordRejected } from './errors.js';
import type { RecordProducer, RecordProducerOptions, TopicRecords } from './record-producer.js';

/** kafkajs behind RecordProducer: `resendingProducer` (acks=all per send, not idempotent, no retries). */
export class KafkajsRecordProducer implements RecordProducer {
  readonly client = 'kafkajs' as const;
  private readonly producer: Producer;

  constructor(options: RecordProducerOptions) {
    // Connecting and metadata give up after a few tries (sends never retry inside kafkajs, see
    // resendingProducer) so the caller's own loop can report the outage and keep retrying.
    // The caller logs each state change itself, so kafkajs stays silent instead of logging
    // every retry.
    const retry = { retries: 3, initialRetryTime: 300, maxRetryTime: 3000 };
    this.producer = resendingProducer(
      createKafka(options.connection, options.clientId, { logLevel: logLevel.NOTHING, retry }),
    );
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(topicMessages: readonly TopicRecords[]): Promise<void> {
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: topicMessages.map((t) => ({ topic: t.topic, messages: [...t.messages] })),
    });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  isRecordRejected(err: unknown): boolean {
    return isKafkajsRecordRejected(err);
  }
}
