import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from './faults.js';
import { ChaosRun, expectExactlyOnce, waitUntil } from './harness.js';

/**
 * Scenario 4: PostgreSQL stopped for 60 s and started again; then PostgreSQL restarted at a
 * moment the sink is inside a batch (its COPY or INSERT is active in pg_stat_activity).
 */
const run = new ChaosRun({
  scenario: '4-postgres',
  title: 'PostgreSQL stopped for 60 s; then restarted while the sink is inside a batch',
  rate: 1000,
  count: 100_000,
});

describe('chaos 4: PostgreSQL down and restarted', () => {
  beforeAll(() => run.setup());
  afterAll(async () => {
    await run.faults.restoreAll();
    await run.teardown();
  });

  it('every reading exactly once after a 60 s outage and a restart mid-batch', async () => {
    await run.startStages();
    run.startLoad();
    await run.whenSent(5000);

    await run.faultBegins('postgres stop 60 s');
    // The supervisor's stop is PostgreSQL's fast shutdown: every session is cut, mid-transaction too.
    await run.faults.stop('postgres');
    try {
      expect(await run.faults.stack.postgres.startupProbe()).toMatchObject({ ok: false });
      await sleep(60_000);
    } finally {
      await run.faults.start('postgres');
    }
    await run.faults.waitHealthy('postgres');
    await run.healed('PostgreSQL back after 60 s down');

    // Mid-batch: the sink's COPY into staging or its INSERT ... SELECT is running right now.
    await waitUntil(
      "the sink's batch statement active",
      async () => {
        const [row] = await run.db.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and state = 'active' and pid <> pg_backend_pid()
            and (query ilike 'copy%' or query ilike 'insert%')`;
        return (row?.n ?? 0) > 0;
      },
      120_000,
    );
    await run.faultBegins('postgres restart mid-batch');
    await run.faults.stop('postgres');
    await run.faults.start('postgres');
    await run.faults.waitHealthy('postgres');
    await run.healed('PostgreSQL restarted mid-batch, back');

    const result = await run.finish();
    expectExactlyOnce(result);
    expect(run.sink.running, 'the sink rode out both outages').toBe(true);
  });
});
