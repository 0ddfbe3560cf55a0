import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdapterConfig, MqttKafkaAdapter } from '../../workloads/src/adapter/index.js';
import { createTopic, grantStages, stackConfig, stackEndpoints, uniqueName } from '../support/stack.js';
import { kafkaClientEnv, publisher, scrape, TcpProxy, topicSize, waitFor } from './adapter-support.js';

interface Run {
  adapter: MqttKafkaAdapter;
  log: string[];
  topic: string;
  prefix: string;
}

function makeAdapter(topic: string, env: Record<string, string>): Run {
  const log: string[] = [];
  const adapter = new MqttKafkaAdapter(
    loadAdapterConfig({
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: `${topic}-dlq`,
      ADAPTER_TOPIC_PREFIX: `${topic}/`,
      ADAPTER_MQTT_CLIENT_ID: topic,
      ADAPTER_SHARED_GROUP: topic,
      ADAPTER_METRICS_PORT: '0',
      ADAPTER_METRICS_HOST: '127.0.0.1',
      ADAPTER_SESSION_EXPIRY_S: '300',
      ...kafkaClientEnv,
      ADAPTER_MAX_IN_FLIGHT: '4',
      ADAPTER_BACKOFF_MAX_MS: '1000',
      ...env,
    }),
    { info: (m) => log.push(`INFO ${m}`), warn: (m) => log.push(`WARN ${m}`) },
  );
  return { adapter, log, topic, prefix: `${topic}/` };
}

const sim = (seq: number) =>
  JSON.stringify({
    device_id: 'sim-outage_temperature',
    device_type: 'temperature_sensor',
    timestamp: new Date(Date.UTC(2026, 10, 27, 8, 0, seq)).toISOString(),
    value: 20 + seq / 10,
    unit: '°C',
    sequence: seq,
  });

const lines = (log: string[], re: RegExp) => log.filter((l) => re.test(l)).length;
const metric = async (r: Run, name: string) => (await scrape(r.adapter.metricsPort)).get(name) ?? 0;

describe('adapter: unreachable dependencies', () => {
  let pub: MqttClient;
  const runs: Run[] = [];
  const proxies: TcpProxy[] = [];
  beforeAll(async () => {
    pub = await publisher();
  });
  afterAll(async () => {
    for (const r of runs) await r.adapter.stop();
    for (const p of proxies) await p.cut();
    await pub?.endAsync();
  });

  it('waits for the registry and Kafka at start, logging once per change and showing it in metrics', async () => {
    const topic = uniqueName('it-adapter-deps');
    await createTopic(topic, 1);
    await createTopic(`${topic}-dlq`, 1);
    await grantStages({ topic, dlqTopic: `${topic}-dlq` }, ['adapter']);
    const registryUrl = new URL(stackEndpoints.registryUrl);
    const registry = new TcpProxy(registryUrl.hostname, Number(registryUrl.port));
    const [kafkaHost, kafkaPort] = stackEndpoints.kafkaBrokers[0]!.split(':');
    // Bootstrap only: after the first metadata answer the client talks to the brokers directly.
    const kafka = new TcpProxy(kafkaHost!, Number(kafkaPort));
    proxies.push(registry, kafka);
    await registry.reserve();
    await kafka.reserve();
    const run = makeAdapter(topic, {
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${registry.port}${registryUrl.pathname}`,
      KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${kafka.port}`,
    });
    runs.push(run);
    const started = run.adapter.start();
    await waitFor('metrics served', () => run.adapter.metricsPort !== 0);

    await waitFor(
      'registry retried twice',
      async () => (await metric(run, 'iotpipe_adapter_retries_total{dependency="registry"}')) >= 2,
    );
    expect(await metric(run, 'iotpipe_adapter_dependency_up{dependency="registry"}')).toBe(0);
    expect((await fetch(`http://127.0.0.1:${run.adapter.metricsPort}/readyz`)).status).toBe(503);
    expect(lines(run.log, /registry unreachable/)).toBe(1);

    await registry.open();
    await waitFor(
      'Kafka retried twice',
      async () => (await metric(run, 'iotpipe_adapter_retries_total{dependency="kafka"}')) >= 2,
    );
    expect(await metric(run, 'iotpipe_adapter_dependency_up{dependency="registry"}')).toBe(1);
    expect(await metric(run, 'iotpipe_adapter_dependency_up{dependency="kafka"}')).toBe(0);
    expect(lines(run.log, /kafka unreachable/)).toBe(1);

    await kafka.open();
    await started;
    await pub.publishAsync(`${run.prefix}iotpipe/sim/x`, sim(1), { qos: 1 });
    await waitFor('the reading', async () => (await topicSize(topic)) === 1);
    expect(await metric(run, 'iotpipe_adapter_dependency_up{dependency="kafka"}')).toBe(1);
    expect((await fetch(`http://127.0.0.1:${run.adapter.metricsPort}/readyz`)).status).toBe(200);
    expect(lines(run.log, /registry (unreachable|reachable again)/)).toBe(2);
    expect(lines(run.log, /kafka (unreachable|reachable again)/)).toBe(2);
  });

  it('rides out a Mosquitto outage mid-stream: reconnects with backoff, loses nothing', async () => {
    const topic = uniqueName('it-adapter-mqtt');
    await createTopic(topic, 3);
    await createTopic(`${topic}-dlq`, 1);
    await grantStages({ topic, dlqTopic: `${topic}-dlq` }, ['adapter']);
    const mqtt = new TcpProxy('127.0.0.1', stackConfig.mqtt.port);
    proxies.push(mqtt);
    await mqtt.open();
    const run = makeAdapter(topic, { MQTT_URL: `mqtt://127.0.0.1:${mqtt.port}` });
    runs.push(run);
    await run.adapter.start();
    for (let s = 0; s < 10; s++) await pub.publishAsync(`${run.prefix}iotpipe/sim/x`, sim(s), { qos: 1 });
    await waitFor('first 10', async () => (await topicSize(topic)) === 10);

    await mqtt.cut();
    await waitFor(
      'mqtt seen down',
      async () => (await metric(run, 'iotpipe_adapter_dependency_up{dependency="mqtt"}')) === 0,
    );
    // Published while the adapter cannot reach the broker: queued in its persistent sessions.
    for (let s = 10; s < 40; s++) await pub.publishAsync(`${run.prefix}iotpipe/sim/x`, sim(s), { qos: 1 });
    await new Promise((r) => setTimeout(r, 1500)); // a few reconnect attempts fail meanwhile
    expect(await topicSize(topic)).toBe(10);
    await mqtt.open();
    await waitFor('all 40', async () => (await topicSize(topic)) >= 40);
    await waitFor(
      'mqtt seen up',
      async () => (await metric(run, 'iotpipe_adapter_dependency_up{dependency="mqtt"}')) === 1,
    );
    expect(await topicSize(topic)).toBe(40);
    expect(lines(run.log, /mqtt unreachable/)).toBe(1);
    expect(lines(run.log, /mqtt reachable again/)).toBe(1);
  });

  it('retries a Kafka write that keeps failing and acknowledges nothing until it succeeds', async () => {
    // auto.create.topics.enable=false on the stack: writes to a missing topic fail (retriable).
    const topic = uniqueName('it-adapter-notopic');
    await createTopic(`${topic}-dlq`, 1);
    await grantStages({ topic, dlqTopic: `${topic}-dlq` }, ['adapter']);
    const run = makeAdapter(topic, {});
    runs.push(run);
    await run.adapter.start();
    for (let s = 0; s < 5; s++) await pub.publishAsync(`${run.prefix}iotpipe/sim/x`, sim(s), { qos: 1 });
    await waitFor(
      'Kafka writes retried',
      async () => (await metric(run, 'iotpipe_adapter_retries_total{dependency="kafka"}')) >= 4,
    );
    expect(await metric(run, 'iotpipe_adapter_dependency_up{dependency="kafka"}')).toBe(0);
    expect(await metric(run, 'mqtt_adapter_delivery_latency_seconds_count')).toBe(0); // nothing acked
    expect(await metric(run, 'mqtt_adapter_in_flight_messages')).toBe(4); // the Receive Maximum (ADAPTER_MAX_IN_FLIGHT=4): the 5th waits at the broker
    expect(lines(run.log, /kafka unreachable/)).toBe(1);

    await createTopic(topic, 3);
    await waitFor(
      'all 5 acknowledged',
      async () => (await metric(run, 'mqtt_adapter_delivery_latency_seconds_count')) === 5,
    );
    expect(await topicSize(topic)).toBe(5);
    expect(await topicSize(`${topic}-dlq`)).toBe(0);
    expect(await metric(run, 'iotpipe_adapter_dependency_up{dependency="kafka"}')).toBe(1);
  });
});

describe('adapter: its persistent session across a change of subscription', () => {
  let pub: MqttClient;
  const runs: Run[] = [];
  beforeAll(async () => {
    pub = await publisher();
  });
  afterAll(async () => {
    for (const r of runs) await r.adapter.stop();
    await pub?.endAsync();
  });

  // The operator gives a single adapter a plain subscription and several a shared one: scaling
  // 1 -> N restarts replica 0 with a group, on the session that holds the plain subscription.
  it('a single adapter restarted to share drops its plain subscription: each message arrives once', async () => {
    const topic = uniqueName('it-adapter-share');
    await createTopic(topic, 3);
    await createTopic(`${topic}-dlq`, 1);
    await grantStages({ topic, dlqTopic: `${topic}-dlq` }, ['adapter']);
    const single = makeAdapter(topic, { ADAPTER_SHARED_GROUP: '-' });
    await single.adapter.start();
    await single.adapter.stop();

    const sharing = makeAdapter(topic, {});
    runs.push(sharing);
    await sharing.adapter.start();
    for (let s = 0; s < 5; s++) await pub.publishAsync(`${sharing.prefix}iotpipe/sim/x`, sim(s), { qos: 1 });
    await waitFor(
      'all 5 acknowledged',
      async () => (await metric(sharing, 'mqtt_adapter_delivery_latency_seconds_count')) >= 5,
    );
    await new Promise((r) => setTimeout(r, 500)); // a second copy would be here by now
    expect(await metric(sharing, 'mqtt_adapter_messages_received_total{format="simulator"}')).toBe(5);
    expect(await metric(sharing, 'mqtt_adapter_duplicates_dropped_total')).toBe(0);
    expect(await topicSize(topic)).toBe(5);
  });
});
