import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackConfig } from '../support/stack.js';
import { sleep } from './faults.js';
import { ChaosRun, expectExactlyOnce, metric } from './harness.js';

/** Whether anything accepts TCP connections on 127.0.0.1:port. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, stackConfig.host);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/**
 * Scenario 2: two of the three brokers down at once (kill -9, held down). With min ISR 2 no
 * write can be acknowledged: the adapter must block and retry (its MQTT messages stay unacked
 * with Mosquitto), never drop; when one broker returns it catches up, then the third returns.
 */
const run = new ChaosRun({
  scenario: '2-two-brokers',
  title: 'two brokers kill -9 and held down 20 s (min ISR 2: writes block); one back, later the other',
  rate: 1000,
  count: 60_000,
});

describe('chaos 2: two brokers down at once', () => {
  beforeAll(() => run.setup());
  afterAll(async () => {
    await run.faults.restoreAll();
    await run.teardown();
  });

  it('two brokers down 20 s, then back one at a time: every reading exactly once, the adapter never exits', async () => {
    await run.startStages();
    run.startLoad();
    await run.whenSent(5000);

    await run.faultBegins('kafka-2 + kafka-3 kill');
    await run.faults.kill9AndHold(['kafka-2', 'kafka-3']);
    const produced = () => metric(run.adapterPort, 'mqtt_adapter_readings_produced_total');
    const observed: string[] = [];
    try {
      await sleep(10_000);
      const before = await produced();
      await sleep(10_000);
      const after = await produced();
      const inFlight = await metric(run.adapterPort, 'mqtt_adapter_in_flight_messages');
      observed.push(
        `during the outage (10-20 s after the kill): readings acknowledged by Kafka ${after - before}, MQTT messages in flight ${inFlight}`,
      );
      expect(before, 'the adapter had produced before the fault').toBeGreaterThan(0);
      expect(await listening(stackConfig.kafka.ports[1]!), 'kafka-2 is really down').toBe(false);
      expect(await listening(stackConfig.kafka.ports[2]!), 'kafka-3 is really down').toBe(false);
      // One broker of three cannot meet min ISR 2: nothing is acknowledged, the adapter holds
      // its MQTT messages unacknowledged (Mosquitto keeps the rest) and keeps retrying.
      expect(after - before, 'readings acknowledged by Kafka with two brokers down').toBe(0);
      expect(inFlight, 'MQTT messages held by the adapter while it waits').toBeGreaterThan(0);
      expect(run.adapter.running, 'the adapter waits, it does not exit').toBe(true);
    } finally {
      await run.faults.start('kafka-2');
    }
    await run.faults.waitHealthy('kafka-2');
    await run.healed('kafka-2 back (2 of 3 brokers: min ISR met again)');
    run.notes.push(...observed);

    await sleep(10_000);
    await run.faults.start('kafka-3');
    await run.faults.waitHealthy('kafka-3');
    await run.healed('kafka-3 back');

    const result = await run.finish();
    expectExactlyOnce(result);
  });
});
