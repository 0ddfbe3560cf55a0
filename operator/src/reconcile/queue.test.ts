import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.js';

describe('WorkQueue', () => {
  it('queues a key once however often it is added', async () => {
    const q = new WorkQueue(10, 100);
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.depth).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands out a key that is being processed; an add meanwhile runs it again after done', async () => {
    const q = new WorkQueue(10, 100);
    q.add('a');
    const key = await q.get();
    q.add('a');
    expect(q.depth).toBe(0);
    q.done(key!);
    expect(q.depth).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('backs off exponentially up to the cap and starts over after forget', () => {
    const q = new WorkQueue(100, 1000);
    const delays = Array.from({ length: 6 }, () => q.addRateLimited('a'));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    q.forget('a');
    expect(q.addRateLimited('a')).toBe(100);
    q.shutDown();
  });

  it('hands a key added later to a waiting worker; shutDown releases waiting workers', async () => {
    const q = new WorkQueue(10, 100);
    const waiting = q.get();
    q.add('x');
    expect(await waiting).toBe('x');
    const second = q.get();
    q.shutDown();
    expect(await second).toBeUndefined();
  });
});
