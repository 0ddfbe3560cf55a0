import type { ProducerRecord, RecordProducer } from './record-producer.js';

interface Pending {
  topic: string;
  messages: readonly ProducerRecord[];
  resolve: () => void;
  reject: (err: unknown) => void;
  /** Sent on its own: a batch it was part of was rejected and the culprit must be found. */
  solo: boolean;
}

/**
 * Coalesces concurrent writes into one produce request (acks=all). The producer keeps one
 * request in flight per broker, so separate sends of concurrent MQTT messages would queue
 * behind each other; one send for all that waited costs one round trip. Each write
 * settles on its own: when Kafka rejects a record of a combined batch, its members are retried
 * alone so only the culprit sees the rejection.
 */
export class CoalescingSender {
  private readonly queue: Pending[] = [];
  private sending = false;

  constructor(
    private readonly producer: RecordProducer,
    private readonly maxBatchMessages: number,
    /**
     * Below the broker's message.max.bytes (1 MiB): Kafka accepts or rejects a request per
     * partition, so a batch too large for one partition would land the other partitions' records
     * and then resend them solo, as duplicates (tests/chaos 7 saw 138 duplicated dead letters).
     * A single larger write still goes alone, and only it can be rejected.
     */
    private readonly maxBatchBytes = 768 * 1024,
  ) {}

  /** Resolves when Kafka confirmed every message; rejects with the producer's error. */
  send(topic: string, messages: readonly ProducerRecord[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, messages, resolve, reject, solo: false });
      this.pump();
    });
  }

  private pump(): void {
    if (this.sending || this.queue.length === 0) return;
    this.sending = true;
    const batch = this.take();
    // Not awaited: one flush at a time runs in the background; flush settles every queued send itself.
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
    let bytes = sizeOf(first.messages);
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      const nextBytes = sizeOf(next.messages);
      if (next.solo || count + next.messages.length > this.maxBatchMessages) break;
      if (bytes + nextBytes > this.maxBatchBytes) break;
      batch.push(this.queue.shift()!);
      count += next.messages.length;
      bytes += nextBytes;
    }
    return batch;
  }

  private async flush(batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, ProducerRecord[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic);
      if (list) list.push(...p.messages);
      else byTopic.set(p.topic, [...p.messages]);
    }
    try {
      await this.producer.send([...byTopic].map(([topic, messages]) => ({ topic, messages })));
      for (const p of batch) p.resolve();
    } catch (err) {
      if (batch.length > 1 && this.producer.isRecordRejected(err)) {
        for (const p of batch) p.solo = true;
        this.queue.unshift(...batch);
      } else {
        for (const p of batch) p.reject(err);
      }
    }
  }
}

function sizeOf(messages: readonly ProducerRecord[]): number {
  let bytes = 0;
  for (const m of messages) bytes += m.value.length + m.key.length;
  return bytes;
}
