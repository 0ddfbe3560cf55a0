import { compatibilityPartitioner, Producer, ProduceAcks, type MessageToProduce } from '@platformatic/kafka';
import { classifyKafkaFailure } from '@iotpipe/runtime';
import { describePlatformaticError } from './errors.js';
import { platformaticSecurity } from './security.js';
import type { RecordProducer, RecordProducerOptions, TopicRecords } from './record-producer.js';

/** Java's (and kafkajs') key -> partition mapping: murmur2 masked to 31 bits, modulo partitions. */
export const javaCompatiblePartitioner = compatibilityPartitioner;

/**
 * @platformatic/kafka (1.x, pure JavaScript) behind RecordProducer, with the semantics of
 * kafkajs' `resendingProducer`:
 * - acks=all on every send; not idempotent (no producer id, no sequence numbers to fall out of
 *   step with the broker after a kill -9).
 * - No retries inside the client: `retries: 0`, and `repeatOnStaleMetadata: false` (by default
 *   it resends one broker's share of a send once by itself when a partition's leader moved).
 *   Instead a failed send drops the cached metadata, so the caller's resend of the whole send
 *   asks the cluster where the leaders are now.
 * - One request in flight per broker connection (`maxInflights: 1`), 30 s for the brokers'
 *   acks, 3 s to connect: kafkajs' `createKafka` settings.
 * - The Java-compatible murmur2 partitioner (the client's default masks the hash differently,
 *   which would put half the devices on other partitions than kafkajs does).
 */
export class PlatformaticRecordProducer implements RecordProducer {
  readonly client = 'platformatic' as const;
  private readonly producer: Producer;

  constructor(options: RecordProducerOptions) {
    this.producer = new Producer({
      clientId: options.clientId,
      bootstrapBrokers: [...options.connection.kafkaBrokers],
      ...platformaticSecurity(options.connection),
      idempotent: false,
      acks: ProduceAcks.ALL,
      retries: 0,
      repeatOnStaleMetadata: false,
      partitioner: javaCompatiblePartitioner,
      autocreateTopics: false,
      maxInflights: 1,
      connectTimeout: 3_000,
      timeout: 30_000,
      requestTimeout: 30_000,
    });
  }

  /** The client connects lazily; asking a bootstrap broker for its API versions proves one answers. */
  async connect(): Promise<void> {
    await this.producer.listApis();
  }

  async send(topicMessages: readonly TopicRecords[]): Promise<void> {
    const messages: MessageToProduce[] = [];
    for (const t of topicMessages)
      for (const m of t.messages) messages.push({ topic: t.topic, key: m.key, value: m.value });
    try {
      await this.producer.send({ messages, acks: ProduceAcks.ALL });
    } catch (err) {
      this.producer.clearMetadata();
      throw new PlatformaticSendError(err);
    }
  }

  async disconnect(): Promise<void> {
    // The promise overload of close(force) is shadowed by the callback one in the client's types.
    await new Promise<void>((resolve, reject) =>
      this.producer.close(true, (err) => (err ? reject(err) : resolve())),
    );
  }

  isRecordRejected(err: unknown): boolean {
    return classifyKafkaFailure(err instanceof PlatformaticSendError ? err.cause : err) === 'permanent';
  }
}

/** A failed send: the client's error (as `cause`) with a message naming what failed inside it. */
export class PlatformaticSendError extends Error {
  override readonly name = 'PlatformaticSendError';
  constructor(override readonly cause: unknown) {
    super(describePlatformaticError(cause), { cause });
  }
}
