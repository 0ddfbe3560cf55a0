import { describe, expect, it } from 'vitest';
import { DedupWindow } from './dedup.js';

describe('DedupWindow', () => {
  it('sees a reading again only within the time window (sequence counters wrap)', () => {
    const w = new DedupWindow(10, 5000);
    w.remember('tag_temperature#7', 1_000_000);
    expect(w.has('tag_temperature#7', 1_000_000)).toBe(true);
    expect(w.has('tag_temperature#7', 1_004_000)).toBe(true); // second gateway, later receive stamp
    expect(w.has('tag_temperature#7', 995_000)).toBe(true);
    expect(w.has('tag_temperature#7', 1_005_001)).toBe(false); // counter wrapped: a new reading
    expect(w.has('tag_temperature#8', 1_000_000)).toBe(false);
  });

  it('is bounded and evicts the least recently remembered id', () => {
    const w = new DedupWindow(3, 1000);
    for (const id of ['a', 'b', 'c']) w.remember(id, 0);
    w.remember('a', 0); // refresh a
    w.remember('d', 0);
    expect(w.size).toBe(3);
    expect(w.has('b', 0)).toBe(false);
    expect(['a', 'c', 'd'].every((id) => w.has(id, 0))).toBe(true);
  });

  it('forget undoes only its own remember', () => {
    const w = new DedupWindow(10, 1000);
    w.remember('x', 5);
    w.forget('x', 6);
    expect(w.has('x', 5)).toBe(true);
    w.forget('x', 5);
    expect(w.has('x', 5)).toBe(false);
  });
});
