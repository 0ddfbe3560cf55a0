import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { CoalescingSender } from './coalescing-sender.js';
import { javaCompatiblePartitioner } from './platformatic-producer.js';
import type { RecordProducer, TopicRecords } from './record-producer.js';

describe('partitioning', () => {
  it('@platformatic/kafka as configured puts every key on the partition kafkajs does', () => {
    const kafkajsPartitioner = kafkajs.Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 6, 12]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      for (let i = 0; i < 2000; i++) {
        const key = Buffer.from(`sensor_${i.toString(36)}_temperature`);
        const expected = kafkajsPartitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
        // The client takes the partitioner's number modulo the topic's partitions.
        const partition = javaCompatiblePartitioner({ topic: 't', key, value: Buffer.alloc(0) }, key);
        expect(partition % partitions).toBe(expected);
      }
    }
  });
});

class FakeProducer implements RecordProducer {
  readonly client = 'kafkajs' as const;
  readonly sends: TopicRecords[][] = [];
  reject?: (sent: readonly TopicRecords[]) => Error | undefined;
  connect = () => Promise.resolve();
  disconnect = () => Promise.resolve();
  send(topicMessages: readonly TopicRecords[]): Promise<void> {
    this.sends.push([...topicMessages]);
    const err = this.reject?.(topicMessages);
    return err ? Promise.reject(err) : Promise.resolve();
  }
  isRecordRejected(err: unknown): boolean {
    return err instanceof Error && err.message === 'rejected';
  }
}

const rec = (v: string) => ({ key: Buffer.from('k'), value: Buffer.from(v) });

describe('CoalescingSender over a RecordProducer', () => {
  it('coalesces waiting writes into one send and splits a rejected batch so only the culprit fails', async () => {
    const producer = new FakeProducer();
    producer.reject = (sent) =>
      sent.some((t) => t.messages.some((m) => m.value.toString() === 'bad'))
        ? new Error('rejected')
        : undefined;
    const sender = new CoalescingSender(producer, 100);
    const results = await Promise.allSettled([
      sender.send('a', [rec('1')]),
      sender.send('a', [rec('2')]),
      sender.send('a', [rec('bad')]),
      sender.send('b', [rec('3')]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    // 1 alone (first in), then 2+bad+3 together (rejected), then each alone.
    expect(producer.sends.map((s) => s.map((t) => `${t.topic}:${t.messages.length}`).join(','))).toEqual([
      'a:1',
      'a:2,b:1',
      'a:1',
      'a:1',
      'b:1',
    ]);
  });

  it('a temporary failure rejects every write of the batch for the caller to resend', async () => {
    const producer = new FakeProducer();
    producer.reject = () => new Error('broker down');
    const sender = new CoalescingSender(producer, 100);
    const results = await Promise.allSettled([sender.send('a', [rec('1')]), sender.send('a', [rec('2')])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
