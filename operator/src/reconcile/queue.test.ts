import { describe, expect, it } from 'vitest';
import { backoff, WorkQueue } from './queue.js';

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

describe('WorkQueue priorities', () => {
  it('hands out high before low, each in arrival order', async () => {
    const q = new WorkQueue(10, 100);
    q.add('resync-1', 'low');
    q.add('resync-2', 'low');
    q.add('edit-1', 'high');
    q.add('edit-2', 'high');
    const order = [];
    for (let i = 0; i < 4; i++) order.push(await q.get());
    expect(order).toEqual(['edit-1', 'edit-2', 'resync-1', 'resync-2']);
  });

  it('moves a key queued low up when it is added high, and does not hand it out twice', async () => {
    const q = new WorkQueue(10, 100);
    for (let i = 0; i < 1000; i++) q.add(`p${i}`, 'low');
    q.add('p999', 'high');
    expect(q.depth).toBe(1000);
    expect(await q.get()).toBe('p999');
    const rest = new Set<string | undefined>();
    for (let i = 0; i < 999; i++) rest.add(await q.get());
    expect(rest.size).toBe(999);
    expect(rest.has('p999')).toBe(false);
    expect(q.depth).toBe(0);
  });

  it('a key added high while processing comes back high', async () => {
    const q = new WorkQueue(10, 100);
    q.add('a', 'low');
    const a = await q.get();
    q.add('a', 'low');
    q.add('a', 'high');
    q.add('b', 'low');
    q.done(a!);
    expect(await q.get()).toBe('a');
  });
});

describe('backoff', () => {
  it('a pipeline that is not Ready is looked at after 5 s, 10 s, 20 s ... up to 5 min (the defaults), not every 30 s', () => {
    expect(Array.from({ length: 8 }, (_, n) => backoff(5_000, 300_000, n))).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000,
    ]);
  });
});
