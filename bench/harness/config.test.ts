import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../workloads/src/config/common.js';
import { DEFAULT_RATES, loadBenchConfig, parseVariant } from './config.js';

describe('loadBenchConfig', () => {
  it('has defaults for a full run of at most ~10 minutes', () => {
    const c = loadBenchConfig({});
    expect(c.rates).toEqual([...DEFAULT_RATES]);
    expect(c.stepSec).toBe(20);
    expect(c.p99LimitSec).toBe(5);
    expect(c.variants).toHaveLength(1);
    expect(c.variants[0]).toMatchObject({ name: 'default', adapters: 1, sinks: 1, processors: 1, env: {} });
    expect(c.outDir).toMatch(/bench\/results$/);
    expect(c.publish).toBe(false);
  });

  it('reads its variables', () => {
    const c = loadBenchConfig({
      BENCH_RATES: '100, 200',
      BENCH_STEP_SEC: '3',
      BENCH_CEILING_ROWS: '0',
      BENCH_VARIANTS: 'a; b:adapters=2,sinks=3,processors=0,DATA_SINK_BATCH_SIZE=5000,sink.SINK_X=1',
      BENCH_PUBLISH: 'true',
    });
    expect(c.rates).toEqual([100, 200]);
    expect(c.stepSec).toBe(3);
    expect(c.ceilingRows).toBe(0);
    expect(c.publish).toBe(true);
    expect(c.variants.map((v) => v.name)).toEqual(['a', 'b']);
    expect(c.variants[1]).toMatchObject({
      adapters: 2,
      sinks: 3,
      processors: 0,
      env: { DATA_SINK_BATCH_SIZE: '5000' },
      stageEnv: { adapter: {}, sink: { SINK_X: '1' }, processor: {} },
    });
  });

  it('refuses bad values, naming the variable', () => {
    expect(() => loadBenchConfig({ BENCH_RATES: '200,100' })).toThrow(/BENCH_RATES.*rise/);
    expect(() => loadBenchConfig({ BENCH_RATES: 'fast' })).toThrow(ConfigError);
    expect(() => loadBenchConfig({ BENCH_RATES: '10', BENCH_INTERVAL_SEC: '0.01' })).toThrow(
      /less than one device/,
    );
    expect(() => loadBenchConfig({ BENCH_STEP_SEC: '0' })).toThrow(/BENCH_STEP_SEC/);
    expect(() => loadBenchConfig({ BENCH_VARIANTS: 'a;a' })).toThrow(/share a name/);
  });
});

describe('parseVariant', () => {
  it('rejects what it cannot read, with the fix', () => {
    expect(() => parseVariant('x:adapters=0')).toThrow(/adapters=0, not an integer in 1..8/);
    expect(() => parseVariant('x:lowercase=1')).toThrow(/unknown key 'lowercase'/);
    expect(() => parseVariant('x:ADAPTER_MAX_IN_FLIGHT')).toThrow(/key=value/);
    expect(() => parseVariant('bad name')).toThrow(/name/);
  });
  it('stage-specific env', () => {
    expect(parseVariant('t:adapter.ADAPTER_MAX_IN_FLIGHT=8').stageEnv.adapter).toEqual({
      ADAPTER_MAX_IN_FLIGHT: '8',
    });
  });
});
