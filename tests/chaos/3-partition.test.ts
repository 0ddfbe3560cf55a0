import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackConfig } from '../support/stack.js';
import { sleep } from './faults.js';
import { ChaosRun, expectExactlyOnce } from './harness.js';
import { NetnsKafka } from './netns-kafka.js';

/**
 * Scenario 3: a broker cut off from the others and from every client without being stopped. The
 * brokers of the stack all listen on 127.0.0.1 and cannot be told apart on `lo`, so this
 * scenario runs its own 3-node KRaft cluster, each node in a network namespace behind a veth
 * pair on one bridge (tests/chaos/netns-kafka.ts); the cut is `ip link set <veth> down`, the
 * heal `up`. Registry, PostgreSQL and Mosquitto stay the stack's.
 */
const cluster = new NetnsKafka(join(stackConfig.stateDir, 'chaos', 'netns-kafka'));
let run: ChaosRun;

describe('chaos 3: a broker partitioned away', () => {
  beforeAll(async () => {
    await cluster.start();
    run = new ChaosRun({
      scenario: '3-partition',
      title:
        'one broker of a 3-node KRaft cluster (network namespaces) cut off the network for 20 s, then healed',
      rate: 1000,
      count: 50_000,
      kafkaBrokers: cluster.brokers,
    });
    await run.setup();
  });
  afterAll(async () => {
    await run?.teardown();
    await cluster.stop();
    await run?.faults.restoreAll();
  });

  it('every reading exactly once after a broker was partitioned away and healed', async () => {
    await run.startStages();
    run.startLoad();
    await run.whenSent(5000);
    const victim = 3;
    await run.faultBegins(`node ${victim} cut`);
    await cluster.cut(victim);
    try {
      await sleep(20_000);
      expect(cluster.alive(victim), 'the cut broker keeps running (cut, not stopped)').toBe(true);
    } finally {
      await cluster.heal(victim);
    }
    await cluster.waitBrokers(3, 120_000);
    await run.healed(`node ${victim} reachable again`);

    const result = await run.finish();
    expectExactlyOnce(result);
  });
});
