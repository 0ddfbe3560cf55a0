import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from './faults.js';
import { ChaosRun, expectExactlyOnce } from './harness.js';

/**
 * Scenario 6: the schema registry stopped for 30 s. Running stages have their schemas cached,
 * so the outage only bites a stage that starts during it: the adapter and the sink are killed
 * -9 and started again while the registry is down; they must wait for it, never drop or
 * dead-letter a reading because a schema could not be fetched.
 */
const run = new ChaosRun({
  scenario: '6-registry',
  title: 'schema registry stopped for 30 s; adapter and sink kill -9 and restarted during the outage',
  rate: 1000,
  count: 60_000,
});

describe('chaos 6: schema registry down', () => {
  beforeAll(() => run.setup());
  afterAll(async () => {
    await run.faults.restoreAll();
    await run.teardown();
  });

  it('every reading exactly once after a 30 s registry outage with stages restarted during it', async () => {
    await run.startStages();
    run.startLoad();
    await run.whenSent(5000);

    await run.faultBegins('registry stop');
    await run.faults.stop('registry');
    try {
      await sleep(3000);
      await run.adapter.kill9();
      await run.sink.kill9();
      run.adapter.start();
      run.sink.start();
      await sleep(27_000);
      expect(run.adapter.running, 'the adapter waits for the registry instead of exiting').toBe(true);
      expect(run.sink.running, 'the sink waits for the registry instead of exiting').toBe(true);
    } finally {
      await run.faults.start('registry');
    }
    await run.faults.waitHealthy('registry');
    await run.healed('registry back after 30 s down');
    await run.waitReady('adapter', run.adapterPort);
    await run.waitReady('sink', run.sinkPort);

    const result = await run.finish();
    expectExactlyOnce(result);
  });
});
