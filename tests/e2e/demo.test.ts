import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PIPELINE_STAGES } from '../../local/src/services/workloads.js';
import { localStack, stackConfig } from '../support/stack.js';

const exec = promisify(execFile);

/**
 * `make demo` (scripts/demo.sh) on the running stack, smaller: the pipeline it starts carries the
 * simulator's readings and the original README's example RuuviTag, and then every query of the
 * original README returns rows on iot_data (its last step exits non-zero otherwise); on
 * TimescaleDB the timescaledb_information ones included.
 */
describe('make demo', () => {
  const stack = localStack();
  afterAll(async () => {
    // The demo leaves the stack's pipeline running for the user; the suites after this one
    // expect only the stack.
    for (const stage of PIPELINE_STAGES) await stack.supervisor.stop(stage);
  });

  it('runs end to end, and afterwards every query of the original README returns rows', async () => {
    const { stdout } = await exec('bash', [join(stackConfig.repoRoot, 'scripts', 'demo.sh')], {
      env: { ...process.env, DEMO_READINGS: '6000', DEMO_RATE: '3000' },
      cwd: stackConfig.repoRoot,
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toMatch(/exactly the simulator's manifest: \d+ readings, none missing, none twice/);
    expect(stdout).toContain('c6:8d:c6:26:39:a6: 31 advertisements over the last 6 hours');
    if (stackConfig.postgres.flavor === 'timescale') {
      expect(stdout).toMatch(/rows {2}access step: select \* from timescaledb_information\.hypertables;/);
      expect(stdout).toContain("every one of the README's 19 queries run here returned rows\n");
    } else {
      expect(stdout).toContain(
        "every one of the README's 14 queries run here returned rows (5 TimescaleDB catalog queries not applicable)",
      );
    }
  });
});
