import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from './faults.js';
import { ChaosRun, expectExactlyOnce, metric } from './harness.js';

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

  it('producers block and retry while two brokers are down, then catch up: exactly once', async () => {
    await run.startStages();
    run.startLoad();
    await run.whenSent(5000);

    await run.faultBegins('kafka-2 + kafka-3 kill');
    await run.faults.kill9AndHold(['kafka-2', 'kafka-3']);
    let storedDuring: number[] = [];
    try {
      await sleep(10_000);
      // Nothing can be acknowledged now: the table stops growing once the sink has drained
      // what Kafka had, and the adapter keeps retrying instead of dropping.
      storedDuring = [await run.storedCount()];
      await sleep(10_000);
      storedDuring.push(await run.storedCount());
      // Blocked, not dropped: messages are held in flight (unacknowledged to Mosquitto).
      expect(await metric(run.adapterPort, 'mqtt_adapter_in_flight_messages')).toBeGreaterThan(0);
      expect(run.adapter.running, 'the adapter waits, it does not exit').toBe(true);
    } finally {
      await run.faults.start('kafka-2');
    }
    await run.faults.waitHealthy('kafka-2');
    await run.healed('kafka-2 back (2 of 3 brokers: min ISR met again)');
    expect(storedDuring[1], 'no reading stored while min ISR could not be met').toBe(storedDuring[0]);

    await sleep(10_000);
    await run.faults.start('kafka-3');
    await run.faults.waitHealthy('kafka-3');
    await run.healed('kafka-3 back');

    const result = await run.finish();
    expectExactlyOnce(result);
  });
});
