import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from './faults.js';
import { ChaosRun, expectExactlyOnce } from './harness.js';

/**
 * Scenario 5: Mosquitto restarted; the adapter killed -9 and restarted; the sink and the
 * processor killed -9 at random moments. All while the simulator's steady load flows.
 */

const randomMs = (min: number, max: number) => min + Math.random() * (max - min);

describe('chaos 5a: Mosquitto restarted while data flows', () => {
  const run = new ChaosRun({
    scenario: '5a-mosquitto',
    title: 'Mosquitto stopped for 5 s and started again (supervisor), twice',
    rate: 1000,
    count: 30_000,
  });
  beforeAll(() => run.setup());
  afterAll(async () => {
    await run.faults.restoreAll();
    await run.teardown();
  });

  it('every reading exactly once after two Mosquitto restarts', async () => {
    await run.startStages();
    run.startLoad();
    for (const at of [5000, 17_000]) {
      await run.whenSent(at);
      await run.faultBegins('mosquitto stop');
      // A restart through the supervisor: SIGTERM, so Mosquitto saves its persistence file.
      await run.faults.stop('mosquitto');
      try {
        await sleep(5000);
      } finally {
        await run.faults.start('mosquitto');
      }
      await run.faults.waitHealthy('mosquitto');
      await run.healed('Mosquitto back after 5 s down');
    }
    const result = await run.finish();
    expectExactlyOnce(result);
  });
});

describe('chaos 5b: adapter, sink and processor killed while data flows', () => {
  const run = new ChaosRun({
    scenario: '5b-services',
    title: 'adapter kill -9 + restart; sink and processor kill -9 at random moments (3 times each)',
    rate: 1000,
    count: 35_000,
  });
  beforeAll(() => run.setup());
  afterAll(async () => {
    await run.faults.restoreAll();
    await run.teardown();
  });

  it('every reading exactly once after kill -9 of each service', async () => {
    await run.startStages();
    run.startLoad();
    await run.whenSent(4000);

    // The adapter: kill -9 mid-flow, started again 2 s later (its MQTT sessions persist).
    await run.faultBegins('adapter kill');
    await run.adapter.kill9();
    await sleep(2000);
    run.adapter.start();
    await run.waitReady('adapter', run.adapterPort);
    await run.healed('adapter restarted after kill -9');

    // Sink and processor: kill -9 at random moments, three times each, interleaved.
    for (let k = 0; k < 3; k++) {
      await sleep(randomMs(1000, 4000));
      await run.faultBegins(`sink kill ${k + 1}`);
      await run.sink.kill9();
      await sleep(randomMs(200, 1500));
      await run.processor.kill9();
      await sleep(500);
      run.sink.start();
      run.processor.start();
      await run.waitReady('sink', run.sinkPort);
      await run.healed(`sink + processor restarted after kill -9 (#${k + 1})`);
    }
    expect(run.adapter.starts).toBe(2);
    expect(run.sink.starts).toBe(4);
    expect(run.processor.starts).toBe(4);

    const result = await run.finish();
    expectExactlyOnce(result);
    expect(run.adapter.running && run.sink.running && run.processor.running, 'stages alive').toBe(true);
  });
});
