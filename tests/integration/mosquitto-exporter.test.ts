// The Mosquitto exporter against the local stack's Mosquitto: what it serves is what the broker
// reports on $SYS, and its totals move with real traffic.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MosquittoExporter } from '../../workloads/src/mosquitto-exporter/exporter.js';
import { parseMetrics, publisher, waitFor } from './adapter-support.js';
import { stackConfig, stackEndpoints } from '../support/stack.js';

let exporter: MosquittoExporter;
const scrape = async () => {
  const res = await fetch(`http://127.0.0.1:${exporter.metricsPort}/metrics`);
  return parseMetrics(await res.text());
};

beforeAll(async () => {
  exporter = new MosquittoExporter({
    brokerUrl: stackEndpoints.mqttUrl,
    username: stackConfig.mqtt.user,
    password: stackConfig.mqtt.password,
    host: '127.0.0.1',
    port: 0,
  });
  await exporter.start();
  await waitFor(
    'the exporter to be ready',
    async () => (await fetch(`http://127.0.0.1:${exporter.metricsPort}/readyz`)).ok,
    30_000,
  );
});
afterAll(async () => {
  await exporter?.stop();
});

describe('mosquitto-exporter', () => {
  it('serves the version and uptime the broker publishes on $SYS', async () => {
    const direct = await mqtt.connectAsync(stackEndpoints.mqttUrl, {
      username: stackConfig.mqtt.user,
      password: stackConfig.mqtt.password,
    });
    const version = await new Promise<string>((resolve) => {
      direct.on('message', (topic, payload) => {
        if (topic === '$SYS/broker/version') resolve(payload.toString());
      });
      void direct.subscribeAsync('$SYS/broker/version');
    });
    await direct.endAsync();
    const m = await scrape();
    expect(m.get(`mosquitto_info{version="${version}"}`)).toBe(1);
    expect(m.get('mosquitto_exporter_broker_connected')).toBe(1);
    expect(m.get('mosquitto_uptime_seconds')).toBeGreaterThan(0);
  });

  it("counts the broker's received publishes: 25 more after 25 are published", async () => {
    const key = 'mosquitto_publish_messages_received_total';
    await waitFor(`${key} to be served`, async () => (await scrape()).has(key), 30_000);
    const before = (await scrape()).get(key)!;
    const pub = await publisher();
    for (let i = 0; i < 25; i++) await pub.publishAsync(`it/mosquitto-exporter/${i}`, 'x', { qos: 1 });
    await pub.endAsync();
    // The broker republishes $SYS every sys_interval (10 s by default).
    await waitFor(
      `${key} to grow by 25`,
      async () => ((await scrape()).get(key) ?? 0) >= before + 25,
      30_000,
    );
    expect((await scrape()).get(key)).toBeGreaterThanOrEqual(before + 25);
  });
});
