import { describe, expect, it } from 'vitest';
import { portIsFree } from '../../local/src/proc.js';
import { localStack, stackConfig } from '../support/stack.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('stack down', () => {
  it('leaves no process of the stack running and frees every port', async () => {
    const stack = localStack();
    const states = await stack.supervisor.states();
    const pids = [...states.values()].flatMap((s) => (s.pid ? [s.pid] : []));
    expect(pids.length).toBeGreaterThanOrEqual(stack.services.filter((s) => !s.optional).length);
    await stack.down();
    expect(await stack.supervisor.isRunning()).toBe(false);
    expect(pids.filter(alive)).toEqual([]);
    const ports = stack.services.flatMap((s) => s.ports().map((p) => p.port));
    for (const port of ports) expect(await portIsFree(stackConfig.host, port), `port ${port}`).toBe(true);
    // Idempotent: a second down is harmless.
    await stack.down();
  });
});
