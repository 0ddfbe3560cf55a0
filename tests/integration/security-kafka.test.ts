import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_ACCOUNTS, stackKafkaConfig, type KafkaStageAccount } from '../../local/src/index.js';
import { stackCa } from '../../local/src/security/index.js';
import { Connection, findCoordinatorV6 } from '@platformatic/kafka';
import { describePlatformaticError } from '../../workloads/src/kafka/errors.js';
import { PlatformaticRecordProducer } from '../../workloads/src/kafka/platformatic-producer.js';
import { platformaticSecurity } from '../../workloads/src/kafka/security.js';
import {
  createTopic,
  grantStages,
  kafkaClient,
  stackConfig,
  stackEndpoints,
  stageKafkaEnv,
  uniqueName,
} from '../support/stack.js';
import { loadConnectionConfig } from '../../workloads/src/config/common.js';

/**
 * The local Kafka refuses whoever it should, with a reason the client sees and the broker logs:
 * no TLS, no SASL, a wrong password, and each stage account doing what its ACLs do not allow.
 */

const logFiles = [1, 2, 3].map((n) => join(stackConfig.stateDir, 'logs', `kafka-${n}.log`));

/** Where each broker's log ends now; brokerLogSince(mark) is what they wrote after. */
function logMark(): number[] {
  return logFiles.map((f) => statSync(f).size);
}
function brokerLogSince(mark: number[]): string {
  return logFiles.map((f, i) => readFileSync(f).subarray(mark[i]).toString('utf8')).join('\n');
}
/** Waits (the brokers log asynchronously) until a broker logged a line matching `re`. */
async function brokerLogged(mark: number[], re: RegExp): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const line = brokerLogSince(mark)
      .split('\n')
      .find((l) => re.test(l));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no broker logged ${re} (${logFiles.join(', ')})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function client(extra: Partial<KafkaConfig>): Kafka {
  return new Kafka({
    clientId: uniqueName('it-sec'),
    brokers: stackEndpoints.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 0 },
    ...extra,
  });
}

const asStage = (stage: KafkaStageAccount) => client(stackKafkaConfig(stackConfig, KAFKA_ACCOUNTS[stage]));

async function failure(p: Promise<unknown>): Promise<Error & { type?: string }> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the broker refused').toBeInstanceOf(Error);
  return err as Error & { type?: string };
}

describe('Kafka on the local stack: who is refused', () => {
  const topic = uniqueName('it-sec');
  const dlqTopic = `${topic}-dlq`;
  const alertsTopic = `${topic}-alerts`;
  const processorGroup = `${topic}-processor`;
  const sinkGroup = `${topic}-sink`;

  beforeAll(async () => {
    await createTopic(topic, 1);
    await createTopic(dlqTopic, 1);
    await createTopic(alertsTopic, 1);
    await grantStages({ topic, dlqTopic, alertsTopic, sinkGroup, processorGroup });
  });
  afterAll(async () => {
    const admin = kafkaClient().admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, dlqTopic, alertsTopic] }).finally(() => admin.disconnect());
  });

  it('a plaintext client: the TLS handshake fails, the broker logs it', async () => {
    const mark = logMark();
    const admin = client({}).admin();
    const err = await failure(admin.connect());
    await admin.disconnect();
    expect(err.name).toMatch(
      /KafkaJS(Connection|NonRetriable|RequestTimeout)Error|KafkaJSNumberOfRetriesExceeded/,
    );
    expect(
      await brokerLogged(mark, /Failed authentication with \/127\.0\.0\.1 .*SSL handshake failed/),
    ).toBeTruthy();
  });

  it('anonymous (TLS without SASL): refused before any request is served', async () => {
    const mark = logMark();
    const admin = client({ ssl: { ca: [readFileSync(stackCa(stackConfig).caCert, 'utf8')] } }).admin();
    const err = await failure(admin.connect().then(() => admin.listTopics()));
    await admin.disconnect();
    // The broker closes the connection at the first request that is not part of a SASL login.
    expect(`${err.name}: ${err.message}`).toBe('KafkaJSConnectionClosedError: Closed connection');
    expect(
      await brokerLogged(mark, /Unexpected Kafka request of type METADATA during SASL handshake/),
    ).toBeTruthy();
  });

  it('a wrong password: SASL authentication failed, with the reason in the broker log', async () => {
    const mark = logMark();
    const admin = client({
      ssl: { ca: [readFileSync(stackCa(stackConfig).caCert, 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: KAFKA_ACCOUNTS.sink, password: 'not-the-password' },
    }).admin();
    const err = await failure(admin.connect());
    await admin.disconnect();
    expect(err.name).toBe('KafkaJSSASLAuthenticationError');
    expect(err.message).toMatch(/SASL SCRAM SHA512 authentication failed/);
    expect(
      await brokerLogged(
        mark,
        /Failed authentication with \/127\.0\.0\.1 .*invalid credentials with SASL mechanism SCRAM-SHA-512/,
      ),
    ).toBeTruthy();
  });

  it("the adapter's client (@platformatic/kafka) is refused a wrong password, and writes with its own", async () => {
    const settings = (password: string | undefined) =>
      loadConnectionConfig({
        KAFKA_BOOTSTRAP_SERVERS: stackEndpoints.kafkaBrokers.join(','),
        ...stageKafkaEnv('adapter'),
        ...(password === undefined ? {} : { KAFKA_SASL_PASSWORD_FILE: '', KAFKA_SASL_PASSWORD: password }),
      });
    const wrong = new PlatformaticRecordProducer({
      connection: settings('not-the-password'),
      clientId: 'it-sec',
    });
    const mark = logMark();
    const err = await failure(
      wrong.send([{ topic, messages: [{ key: Buffer.from('k'), value: Buffer.from('v') }] }]),
    );
    await wrong.disconnect();
    expect(err.message).toMatch(/SASL|[Aa]uthentication/);
    expect(await brokerLogged(mark, /Failed authentication with .*invalid credentials/)).toBeTruthy();

    const right = new PlatformaticRecordProducer({ connection: settings(undefined), clientId: 'it-sec' });
    try {
      await right.send([{ topic, messages: [{ key: Buffer.from('k'), value: Buffer.from('v') }] }]);
    } finally {
      await right.disconnect();
    }
  });

  it('the sink may read the readings but not write them: TOPIC_AUTHORIZATION_FAILED, logged by the authorizer', async () => {
    const mark = logMark();
    const producer = asStage('sink').producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    const err = await failure(producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'v' }] }));
    await producer.disconnect();
    expect(err.type).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(
      await brokerLogged(
        mark,
        new RegExp(
          `Principal = User:${KAFKA_ACCOUNTS.sink} is Denied operation = WRITE .*Topic:LITERAL:${topic}\\b`,
        ),
      ),
    ).toBeTruthy();
  });

  it('the processor may not read the DLQ', async () => {
    const mark = logMark();
    const admin = asStage('processor').admin();
    await admin.connect();
    const err = await failure(admin.fetchTopicOffsets(dlqTopic));
    await admin.disconnect();
    expect(err.type).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(
      await brokerLogged(
        mark,
        new RegExp(
          `Principal = User:${KAFKA_ACCOUNTS.processor} is Denied operation = \\w+ .*Topic:LITERAL:${dlqTopic}\\b`,
        ),
      ),
    ).toBeTruthy();
  });

  it('the processor may read its readings in its own group only: GROUP_AUTHORIZATION_FAILED in another', async () => {
    const other = `${topic}-not-the-processors`;
    const mark = logMark();
    // The processor's client (kafkajs) cannot join: it reports no coordinator, since kafkajs
    // drops the broker's answer while trying each broker ...
    const consumer = asStage('processor').consumer({ groupId: other, retry: { retries: 0 } });
    const crashed = new Promise<Error>((resolve) =>
      consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)),
    );
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} }).catch(() => {});
    expect((await crashed).message).toMatch(/group coordinator/);
    await consumer.disconnect();
    // ... which is GROUP_AUTHORIZATION_FAILED (FindCoordinator asked directly), logged as such.
    const [host, port] = stackEndpoints.kafkaBrokers[0]!.split(':');
    const conn = new Connection('it-sec', {
      ...platformaticSecurity(
        loadConnectionConfig({
          KAFKA_BOOTSTRAP_SERVERS: stackEndpoints.kafkaBrokers.join(','),
          ...stageKafkaEnv('processor'),
        }),
      ),
    });
    try {
      await conn.connect(host!, Number(port));
      const err = await failure(findCoordinatorV6.api.async(conn, 0, [other]));
      expect(describePlatformaticError(err)).toMatch(/GROUP_AUTHORIZATION_FAILED/);
      // Its own group it may use (COORDINATOR_NOT_AVAILABLE while the offsets topic is made).
      const deadline = Date.now() + 30_000;
      for (;;) {
        const own = await findCoordinatorV6.api.async(conn, 0, [processorGroup]).then(
          () => 'ok',
          (e: unknown) => describePlatformaticError(e),
        );
        expect(own).not.toMatch(/AUTHORIZATION_FAILED/);
        if (own === 'ok') break;
        if (Date.now() > deadline) throw new Error(`FindCoordinator for its own group: ${own}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await conn.close();
    }
    expect(
      await brokerLogged(
        mark,
        new RegExp(
          `Principal = User:${KAFKA_ACCOUNTS.processor} is Denied operation = DESCRIBE .*Group:LITERAL:${other}\\b`,
        ),
      ),
    ).toBeTruthy();
  });

  it('no stage account may create or delete a topic', async () => {
    const mark = logMark();
    const created = uniqueName('it-sec-new');
    for (const stage of ['adapter', 'sink', 'processor'] as const) {
      const admin = asStage(stage).admin();
      await admin.connect();
      try {
        const create = await failure(
          admin.createTopics({ topics: [{ topic: created, numPartitions: 1, replicationFactor: 3 }] }),
        );
        expect(JSON.stringify(create), `${stage} create`).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
        const del = await failure(admin.deleteTopics({ topics: [topic], timeout: 5000 }));
        expect(JSON.stringify(del) + del.message, `${stage} delete`).toMatch(
          /TOPIC_AUTHORIZATION_FAILED|[Tt]opic authorization failed/,
        );
      } finally {
        await admin.disconnect();
      }
    }
    expect(
      await brokerLogged(
        mark,
        new RegExp(`Principal = User:${KAFKA_ACCOUNTS.adapter} is Denied operation = (CREATE|DELETE) `),
      ),
    ).toBeTruthy();
    // Still there, still readable by whoever may.
    const admin = kafkaClient().admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toContain(topic);
      expect(await admin.listTopics()).not.toContain(created);
    } finally {
      await admin.disconnect();
    }
  });
});
