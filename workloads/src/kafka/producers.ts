import { KafkajsRecordProducer } from './kafkajs-producer.js';
import { PlatformaticRecordProducer } from './platformatic-producer.js';
import type { KafkaClientKind, RecordProducer, RecordProducerOptions } from './record-producer.js';

export function createRecordProducer(kind: KafkaClientKind, options: RecordProducerOptions): RecordProducer {
  switch (kind) {
    case 'kafkajs':
      return new KafkajsRecordProducer(options);
    case 'platformatic':
      return new PlatformaticRecordProducer(options);
  }
}
