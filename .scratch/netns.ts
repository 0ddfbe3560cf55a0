import { Kafka, logLevel } from 'kafkajs';
import { NetnsKafka } from '../tests/chaos/netns-kafka.js';
import { KAFKA_ACCOUNTS, stackKafkaConfig } from '../local/src/index.js';
import { stackConfig } from '../tests/support/stack.js';
const cluster = new NetnsKafka('/tmp/i18kafka-netns');
try {
  await cluster.start();
  console.log('started', cluster.brokers);
  const k = new Kafka({ clientId: 'x', brokers: cluster.brokers, ...stackKafkaConfig(stackConfig, KAFKA_ACCOUNTS.adapter), logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const a = k.admin();
  await a.connect();
  console.log('adapter account logs in to netns cluster; topics visible:', (await a.listTopics()).length);
  await a.disconnect();
} finally {
  await cluster.stop();
  console.log('stopped');
}
