import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import {
  endpoints,
  grantAcls,
  KAFKA_ACCOUNTS,
  kafkaClientEnv,
  LocalStack,
  loadStackConfig,
  stackKafkaConfig,
  stageAcls,
  type KafkaStageAccount,
  type PipelineKafkaNames,
} from '../../local/src/index.js';

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
 * It is the tests' own client (topics, test data, reading results): the stack's admin account.
 */
export function kafkaClient(clientId = uniqueName('it')): Kafka {
  return new Kafka({
    clientId,
    brokers: stackEndpoints.kafkaBrokers,
    ...stackKafkaConfig(stackConfig, KAFKA_ACCOUNTS.admin),
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 300, maxRetryTime: 5000 },
  });
}

/**
 * A fresh topic with the pipeline's durability settings: replication 3, min ISR 2. Waits for
 * leaders itself: kafkajs' waitForLeaders gives up with UNKNOWN_TOPIC_OR_PARTITION when a broker's
 * metadata lags the controller's by a moment, which is normal in KRaft.
 */
export async function createTopic(
  topic: string,
  partitions = 3,
  configEntries: Array<{ name: string; value: string }> = [{ name: 'min.insync.replicas', value: '2' }],
  replicationFactor = 3,
  /** The cluster to create it on: the stack's unless given (chaos 3 runs its own). */
  kafka: Kafka = kafkaClient(),
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: [
        {
          topic,
          numPartitions: partitions,
          replicationFactor,
          configEntries,
        },
      ],
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      const parts = meta?.topics[0]?.partitions ?? [];
      if (parts.length === partitions && parts.every((p) => p.leader >= 0)) return;
      if (Date.now() > deadline) throw new Error(`topic ${topic} has no leaders after 60 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
}

/** The KAFKA_SECURITY settings of a stage's own account (the env a stage under test gets). */
export function stageKafkaEnv(stage: KafkaStageAccount): Record<string, string> {
  return kafkaClientEnv(stackConfig, KAFKA_ACCOUNTS[stage]);
}

/** The admin account's settings: the tools (simulator, bench) and the stages that test them. */
export const adminKafkaEnv = kafkaClientEnv(stackConfig, KAFKA_ACCOUNTS.admin);

/**
 * Gives the stages' accounts exactly what they do on a test's own topics and groups (the stack
 * grants them for its shared pipeline at `stack up`): the same rules (local stageAcls).
 */
export async function grantStages(
  names: PipelineKafkaNames,
  stages: readonly KafkaStageAccount[] = ['adapter', 'sink', 'processor'],
  kafka: Kafka = kafkaClient(),
): Promise<void> {
  await grantAcls(
    kafka,
    stages.flatMap((s) => stageAcls(s, names)),
  );
}
