import type { Message, Producer } from 'kafkajs';
import { isRecordRejected } from './errors.js';

interface Pending {
  topic: string;
  messages: Message[];
  resolve: () => void;
  reject: (err: unknown) => void;
  /** Sent on its own: a batch it was part of was rejected and the culprit must be found. */
  solo: boolean;
}

/**
 * Coalesces concurrent writes into one produce request (acks=all). The idempotent producer
 * keeps one request in flight per broker, so separate sends of concurrent MQTT messages would
 * queue behind each other; one sendBatch for all that waited costs one round trip. Each write
 * settles on its own: when Kafka rejects a record of a combined batch, its members are retried
 * alone so only the culprit sees the rejection.
 */
export class CoalescingSender {
  private readonly queue: Pending[] = [];
  private sending = false;

  constructor(
    private readonly producer: Producer,
    private readonly maxBatchMessages: number,
  ) {}

  /** Resolves when Kafka confirmed every message; rejects with the producer's error. */
  send(topic: string, messages: Message[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, messages, resolve, reject, solo: false });
      this.pump();
    });
  }

  private pump(): void {
    if (this.sending || this.queue.length === 0) return;
    this.sending = true;
    const batch = this.take();
    void this.flush(batch).finally(() => {
      this.sending = false;
      this.pump();
    });
  }

  private take(): Pending[] {
    const first = this.queue.shift()!;
    const batch = [first];
    if (first.solo) return batch;
    let count = first.messages.length;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.solo || count + next.messages.length > this.maxBatchMessages) break;
      batch.push(this.queue.shift()!);
      count += next.messages.length;
    }
    return batch;
  }

  private async flush(batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), ...p.messages]);
    try {
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      for (const p of batch) p.resolve();
    } catch (err) {
      if (batch.length > 1 && isRecordRejected(err)) {
        for (const p of batch) p.solo = true;
        this.queue.unshift(...batch);
      } else {
        for (const p of batch) p.reject(err);
      }
    }
  }
}
