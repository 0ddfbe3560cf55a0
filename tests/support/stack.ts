import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { endpoints, LocalStack, loadStackConfig } from '../../local/src/index.js';

/** The running local stack the integration suites share (`make test` starts it). */
export const stackConfig = loadStackConfig();
export const stackEndpoints = endpoints(stackConfig);
export const localStack = () => new LocalStack(stackConfig, () => {});

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * A client that rides out a broker loss: after a kill -9 the controller fences the broker only
 * when its session times out (broker.session.timeout.ms, 9 s), so retries must outlast that.
 */
export function kafkaClient(clientId = uniqueName('it')): Kafka {
  return new Kafka({
    clientId,
    brokers: stackEndpoints.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 300, maxRetryTime: 5000 },
  });
}

/** A fresh topic with the pipeline's durability settings: replication 3, min ISR 2. */
export async function createTopic(topic: string, partitions = 3): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: partitions,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}
