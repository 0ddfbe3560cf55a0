import { describe, expect, it } from 'vitest';
import { countAtOrBefore } from './pipeline.js';
import { parseStat, pssBytes } from './procstat.js';
import {
  achievedRate,
  cpuPercent,
  percentileSorted,
  promValue,
  ratePerSec,
  stopReason,
  summarizeLatencies,
  summarizeSeries,
} from './stats.js';

describe('percentiles', () => {
  it('nearest rank on 1..100', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileSorted(v, 50)).toBe(50);
    expect(percentileSorted(v, 95)).toBe(95);
    expect(percentileSorted(v, 99)).toBe(99);
    expect(percentileSorted(v, 100)).toBe(100);
    expect(percentileSorted(v, 0)).toBe(1);
  });

  it('small and empty lists', () => {
    expect(percentileSorted([7], 99)).toBe(7);
    expect(percentileSorted([1, 2, 3], 50)).toBe(2);
    expect(percentileSorted([], 50)).toBeNaN();
    expect(() => percentileSorted([1], 101)).toThrow(RangeError);
  });

  it('summarizeLatencies sorts a copy and reports p50/p95/p99/max/mean', () => {
    const values = [5, 1, 4, 2, 3, 100, 6, 7, 8, 9];
    const s = summarizeLatencies(values);
    expect(s).toEqual({ count: 10, p50: 5, p95: 100, p99: 100, max: 100, mean: 14.5 });
    expect(values[0]).toBe(5); // input untouched
    expect(summarizeLatencies([]).count).toBe(0);
  });
});

describe('rates, series, CPU', () => {
  it('ratePerSec', () => {
    expect(ratePerSec(5000, 2500)).toBe(2000);
    expect(ratePerSec(10, 0)).toBe(0);
  });

  it('summarizeSeries', () => {
    expect(summarizeSeries([1, 5, 3])).toEqual({ max: 5, mean: 3, last: 3 });
    expect(summarizeSeries([])).toEqual({ max: 0, mean: 0, last: 0 });
  });

  it('cpuPercent: ticks over wall time as % of one core', () => {
    expect(cpuPercent(150, 1000, 100)).toBe(150);
    expect(cpuPercent(50, 2000, 100)).toBe(25);
    expect(cpuPercent(50, 0, 100)).toBe(0);
  });

  it('countAtOrBefore on sorted values', () => {
    const a = Float64Array.from([1, 2, 2, 3, 10]);
    expect(countAtOrBefore(a, 0)).toBe(0);
    expect(countAtOrBefore(a, 2)).toBe(3);
    expect(countAtOrBefore(a, 9.9)).toBe(4);
    expect(countAtOrBefore(a, 10)).toBe(5);
  });
});

describe('stopReason', () => {
  const ok = { achieved: 10_000, sent: 10_000, p99Sec: 1, exact: true, drained: true };
  it('goes on while the rate rises and p99 is under the limit', () => {
    expect(stopReason(ok, null, 5, 0.05)).toBeNull();
    expect(stopReason(ok, 9000, 5, 0.05)).toBeNull();
  });
  it('a p99 over the limit without a queue (batching waits) does not stop', () => {
    expect(stopReason({ ...ok, p99Sec: 6 }, 9000, 5, 0.05)).toBeNull();
    expect(stopReason({ ...ok, p99Sec: 6, achieved: 9400 }, 8000, 5, 0.05)).toBeNull();
  });
  it('stops on a flat rate, a slow p99 with a queue, no drain or a mismatch', () => {
    expect(stopReason(ok, 9800, 5, 0.05)).toMatch(/rose less than 5%/);
    expect(stopReason({ ...ok, achieved: 8000, p99Sec: 5.5 }, null, 5, 0.05)).toMatch(
      /p99 latency 5.50 s passed 5 s with a queue/,
    );
    expect(stopReason({ ...ok, drained: false }, null, 5, 0.05)).toMatch(/did not catch up/);
    expect(stopReason({ ...ok, exact: false }, null, 5, 0.05)).toMatch(/exactly/);
  });
});

describe('achievedRate', () => {
  // 1000 readings over 10 s (one every 10 ms)
  const rows = (latency: (i: number) => number) =>
    Array.from({ length: 1000 }, (_, i) => ({ ts_ms: i * 10, ingested_ms: i * 10 + latency(i) }));
  it('a pipeline that keeps up: the sent rate, whatever the constant wait', () => {
    expect(achievedRate(rows(() => 2000))).toBeCloseTo(1000 / 9.99, 5);
  });
  it('batching waits that hit the first and last readings alike cancel out', () => {
    expect(achievedRate(rows((i) => (i % 100) * 50))).toBeCloseTo(1000 / 9.99, 5);
  });
  it('a queue building up: the rate really carried', () => {
    // stored at 50 readings/s while created at 100/s: the last waits ~10 s more than the first
    const r = Array.from({ length: 1000 }, (_, i) => ({ ts_ms: i * 10, ingested_ms: i * 20 }));
    const rate = achievedRate(r);
    expect(rate).toBeGreaterThan(50);
    expect(rate).toBeLessThan(55);
  });
  it('empty and unordered input', () => {
    expect(achievedRate([])).toBe(0);
    const r = rows(() => 100).reverse();
    expect(achievedRate(r)).toBeCloseTo(1000 / 9.99, 5);
  });
});

describe('promValue', () => {
  const text = [
    '# HELP mqtt_adapter_readings_produced_total Readings Kafka confirmed',
    '# TYPE mqtt_adapter_readings_produced_total counter',
    'mqtt_adapter_readings_produced_total 1234',
    'mqtt_adapter_readings_produced_total_extra 99',
    'iot_sink_batch_duration_seconds_sum{pipeline="a"} 1.5',
    'iot_sink_batch_duration_seconds_sum{pipeline="b"} 2.5',
  ].join('\n');
  it('sums a metric over label sets and ignores longer names', () => {
    expect(promValue(text, 'mqtt_adapter_readings_produced_total')).toBe(1234);
    expect(promValue(text, 'iot_sink_batch_duration_seconds_sum')).toBe(4);
    expect(promValue(text, 'absent')).toBe(0);
  });
});

describe('parseStat', () => {
  it('counts fields after the last parenthesis (names may hold spaces and parentheses)', () => {
    const line =
      '4242 (node (worker) x) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 500 1000000 2560 18446744073709551615';
    expect(parseStat(line, 4096)).toEqual({ ppid: 17, ticks: 300, rssBytes: 2560 * 4096 });
  });
  it('reads this process from /proc', async () => {
    const { readFileSync } = await import('node:fs');
    const s = parseStat(readFileSync('/proc/self/stat', 'utf8'));
    expect(s.rssBytes).toBeGreaterThan(1 << 20);
    expect(s.ticks).toBeGreaterThanOrEqual(0);
    const pss = pssBytes(process.pid);
    expect(pss).toBeGreaterThan(1 << 20);
    expect(pss!).toBeLessThanOrEqual(s.rssBytes * 1.1);
    expect(pssBytes(2 ** 22 + 12345)).toBeNull();
  });
});
