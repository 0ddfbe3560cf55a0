import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from './faults.js';
import { ChaosRun, expectExactlyOnce } from './harness.js';

/**
 * Scenario 1: a Kafka broker killed -9 while data flows (supervisord starts it again, as it
 * would after a crash), then the active KRaft controller killed -9 the same way.
 */
const run = new ChaosRun({
  scenario: '1-kafka-broker',
  title: 'a Kafka broker kill -9 (restarted by the supervisor), then the active KRaft controller kill -9',
  rate: 1000,
  count: 50_000,
});

describe('chaos 1: Kafka broker and KRaft controller killed', () => {
  beforeAll(() => run.setup());
  afterAll(async () => {
    await run.faults.restoreAll();
    await run.teardown();
  });

  it('every reading exactly once after a broker and then the active controller were killed -9', async () => {
    await run.startStages();
    run.startLoad();
    await run.whenSent(5000);

    // A broker that is not the active controller.
    const controller = await run.faults.activeController();
    const broker = `kafka-${(controller % 3) + 1}`;
    await run.faultBegins(`${broker} kill`);
    const pid = await run.faults.kill9(broker);
    await run.faults.waitHealthy(broker);
    expect(await run.faults.pid(broker)).not.toBe(pid);
    await run.healed(`${broker} (not the controller) killed -9, back`);

    await sleep(5000);
    const active = await run.faults.activeController();
    await run.faultBegins(`controller kafka-${active} kill`);
    const controllerPid = await run.faults.kill9(`kafka-${active}`);
    await run.faults.waitHealthy(`kafka-${active}`);
    expect(await run.faults.pid(`kafka-${active}`)).not.toBe(controllerPid);
    await run.healed(`active controller kafka-${active} killed -9, back`);

    const result = await run.finish();
    expectExactlyOnce(result);
  });
});
