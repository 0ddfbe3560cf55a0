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

  it('is bounded and forgets the least recently remembered ids first, a generation at a time', () => {
    const w = new DedupWindow(4, 1000); // two generations of 2
    for (const id of ['a', 'b']) w.remember(id, 0);
    w.remember('c', 0); // [a b] becomes the previous generation
    w.remember('a', 0); // refresh a: now in the current generation too
    expect(['a', 'b', 'c'].every((id) => w.has(id, 0))).toBe(true);
    w.remember('d', 0); // [c a] becomes the previous generation: b is forgotten, a is kept
    expect(w.size).toBeLessThanOrEqual(4);
    expect(w.has('b', 0)).toBe(false);
    expect(['a', 'c', 'd'].every((id) => w.has(id, 0))).toBe(true);
  });

  it('stays bounded over many ids and keeps at least the last capacity/2', () => {
    const w = new DedupWindow(1000, 1000);
    for (let i = 0; i < 10_000; i++) w.remember(`id${i}`, 0);
    expect(w.size).toBeLessThanOrEqual(1000);
    for (let i = 9_500; i < 10_000; i++) expect(w.has(`id${i}`, 0)).toBe(true);
    expect(w.has('id0', 0)).toBe(false);
  });

  it('forget also undoes a remember in the previous generation', () => {
    const w = new DedupWindow(2, 1000);
    w.remember('x', 5);
    w.remember('y', 5); // x moves to the previous generation
    w.forget('x', 5);
    expect(w.has('x', 5)).toBe(false);
    expect(w.has('y', 5)).toBe(true);
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
