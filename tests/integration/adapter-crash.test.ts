import type { ChildProcess } from 'node:child_process';
import type { MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopic, grantStages, uniqueName } from '../support/stack.js';
import { collect, decodeConfluent, publisher, spawnAdapter, topicSize, waitFor } from './adapter-support.js';

const MESSAGES = 300;
const BATCH = 10;
const KILL_AT_READINGS = 600;
/** The session's Receive Maximum: messages the adapter holds unacknowledged at most. */
const MAX_IN_FLIGHT = 16;

function running(log: string[]): boolean {
  return log.join('').includes('"msg":"running: ');
}

describe('adapter: kill -9 in the middle of a stream', () => {
  const children: ChildProcess[] = [];
  let pub: MqttClient | undefined;
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await pub?.endAsync();
  });

  it('loses no reading: every published reading is in Kafka after a restart', async () => {
    const topic = uniqueName('it-adapter-crash');
    const dlq = `${topic}-dlq`;
    await createTopic(topic, 3);
    await createTopic(dlq, 1);
    await grantStages({ topic, dlqTopic: dlq }, ['adapter']);
    const env = {
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      ADAPTER_TOPIC_PREFIX: `${topic}/`,
      ADAPTER_MQTT_CLIENT_ID: topic,
      ADAPTER_SHARED_GROUP: topic,
      ADAPTER_METRICS_PORT: '0',
      ADAPTER_METRICS_HOST: '127.0.0.1',
      ADAPTER_SESSION_EXPIRY_S: '300',
      ADAPTER_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
    };
    const first = spawnAdapter(env);
    children.push(first.child);
    await waitFor('adapter running', () => running(first.log), 60_000);

    pub = await publisher();
    const expected = new Set<string>();
    const publish = async (m: number) => {
      const batch = Array.from({ length: BATCH }, (_, j) => {
        const seq = m * BATCH + j;
        expected.add(`sim-crash-${j}_pressure#${seq}`);
        return {
          device_id: `sim-crash-${j}_pressure`,
          device_type: 'pressure_sensor',
          timestamp: new Date(Date.UTC(2026, 10, 27, 6, 0, 0, seq)).toISOString(),
          value: 100_000 + seq,
          unit: 'Pa',
          sequence: seq,
        };
      });
      await pub!.publishAsync(`${topic}/iotpipe/sim/crash`, JSON.stringify(batch), { qos: 1 });
    };
    // The stream runs in the background, paced, while the adapter is killed without warning
    // once it is well into it; the broker queues what follows for the sessions.
    let published = 0;
    const stream = (async () => {
      for (let m = 0; m < MESSAGES; m++) {
        await publish(m);
        published++;
        if (m % 5 === 4) await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await waitFor(
      'the adapter well into the stream',
      async () => (await topicSize(topic)) >= KILL_AT_READINGS,
      60_000,
    );
    first.child.kill('SIGKILL');
    const publishedAtKill = published;
    await new Promise((r) => first.child.once('exit', r));
    const writtenBeforeKill = await topicSize(topic);
    await stream;

    const second = spawnAdapter(env);
    children.push(second.child);
    await waitFor('restarted adapter running', () => running(second.log), 60_000);
    await waitFor('all readings written', async () => (await topicSize(topic)) >= expected.size, 120_000);

    const { records, consumer } = await collect(topic);
    const total = await topicSize(topic);
    await waitFor('all records consumed', () => records.length >= total);
    await consumer.disconnect();
    const ids = new Map<string, number>();
    for (const rec of records) {
      const id = String((await decodeConfluent(rec.value)).value.reading_id);
      ids.set(id, (ids.get(id) ?? 0) + 1);
    }
    const missing = [...expected].filter((id) => !ids.has(id));
    expect(missing).toEqual([]);
    expect([...ids.keys()].filter((id) => !expected.has(id))).toEqual([]);
    expect(await topicSize(dlq)).toBe(0);
    const duplicates = total - ids.size;
    // Duplicates can only come from messages written but not yet acknowledged at the kill: at
    // most the session's Receive Maximum of them, each a batch of BATCH readings.
    expect(duplicates).toBeLessThanOrEqual(MAX_IN_FLIGHT * BATCH);
    console.log(
      `adapter kill -9: ${expected.size} readings in ${MESSAGES} messages published (${publishedAtKill} messages when killed), ${writtenBeforeKill} written before the kill, ${total} records in Kafka, ${duplicates} duplicates let through`,
    );
    second.child.kill('SIGTERM');
    const code = await new Promise((r) => second.child.once('exit', (c) => r(c)));
    expect(code).toBe(0);
  });
});
