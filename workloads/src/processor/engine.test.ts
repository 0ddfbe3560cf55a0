import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SensorReading } from '../schema/index.js';
import { AlertEngine, DEFAULT_RULES, type RulesConfig } from './engine.js';

const T0 = Date.parse('2026-11-27T06:00:00Z');
const rules: RulesConfig = {
  ...DEFAULT_RULES,
  minSamples: 10,
  window: 20,
  zScoreThreshold: 4,
  silenceAfterMs: 60_000,
  startupGraceMs: 120_000,
  cooldownMs: 300_000,
};

let seq = 0;
function reading(over: Partial<SensorReading> = {}): SensorReading {
  seq++;
  return {
    reading_id: `sim-0001_temperature#${seq}`,
    device_id: 'sim-0001_temperature',
    device_type: 'temperature_sensor',
    timestamp: new Date(T0 + seq * 1000),
    value: 21,
    unit: '°C',
    location: null,
    battery_level: null,
    signal_strength: null,
    firmware_version: null,
    is_anomaly: false,
    metadata: null,
    gateway_id: null,
    measurement_sequence: seq,
    source: 'SIMULATOR',
    time_source: 'DEVICE',
    ...over,
  };
}

/** Values around 21 with a small, deterministic wobble. */
const normal = (i: number) => 21 + 0.2 * Math.sin(i);

describe('AlertEngine: statistical outliers', () => {
  it('judges nothing before minSamples readings, however extreme', () => {
    const e = new AlertEngine(rules, T0);
    for (let i = 0; i < rules.minSamples; i++) {
      const v = e.observe(reading({ value: i % 2 === 0 ? -1000 : 1000 }), 0, T0 + i);
      expect(v.outlier).toBe(false);
      expect(v.zScore).toBeNull();
    }
  });

  it('flags a spike after warm-up with its z-score, not the normal readings around it', () => {
    const e = new AlertEngine(rules, T0);
    for (let i = 0; i < 50; i++)
      expect(e.observe(reading({ value: normal(i) }), 0, T0 + i).outlier).toBe(false);
    const v = e.observe(reading({ value: 35 }), 0, T0 + 100);
    expect(v.outlier).toBe(true);
    expect(v.zScore!).toBeGreaterThan(rules.zScoreThreshold);
    expect(v.alerts.map((a) => a.alert_type)).toEqual(['STATISTICAL_OUTLIER']);
    expect(v.alerts[0]!.score).toBeCloseTo(v.zScore!, 10);
    expect(v.alerts[0]!.alert_id).toBe(`STATISTICAL_OUTLIER:sim-0001_temperature:${v.alerts[0]!.reading_id}`);
    expect(e.observe(reading({ value: normal(51) }), 0, T0 + 101).outlier).toBe(false);
  });

  it('EWMA mean and deviation converge to the stream statistics', () => {
    const e = new AlertEngine({ ...rules, window: 200 }, T0);
    // Alternating 10 and 20: mean 15, deviation 5.
    for (let i = 0; i < 2000; i++) e.observe(reading({ value: i % 2 === 0 ? 10 : 20 }), 0, T0 + i);
    const s = e.stateOf('sim-0001_temperature')!;
    expect(s.mean).toBeGreaterThan(14.8);
    expect(s.mean).toBeLessThan(15.2);
    expect(s.stdDev).toBeGreaterThan(4.8);
    expect(s.stdDev).toBeLessThan(5.2);
  });

  it('adapts to a level shift instead of alerting forever', () => {
    const e = new AlertEngine({ ...rules, cooldownMs: 0 }, T0);
    for (let i = 0; i < 50; i++) e.observe(reading({ value: normal(i) }), 0, T0 + i);
    let outliers = 0;
    for (let i = 0; i < 200; i++)
      if (e.observe(reading({ value: 30 + normal(i) }), 0, T0 + 100 + i).outlier) outliers++;
    expect(outliers).toBeGreaterThan(0);
    expect(outliers).toBeLessThan(40);
  });

  it('a flat history does not make every tiny change an outlier (stddev floor)', () => {
    const e = new AlertEngine({ ...rules, minStdDev: 0.5 }, T0);
    for (let i = 0; i < 30; i++) e.observe(reading({ value: 21 }), 0, T0 + i);
    expect(e.observe(reading({ value: 21.1 }), 0, T0 + 31).outlier).toBe(false);
    expect(e.observe(reading({ value: 25 }), 0, T0 + 32).outlier).toBe(true);
  });

  it('never emits non-finite scores or alerts for any value sequence (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 200 }), (values) => {
        const e = new AlertEngine(rules, T0);
        values.forEach((value, i) => {
          const v = e.observe(reading({ value }), 0, T0 + i);
          if (v.zScore !== null) expect(Number.isFinite(v.zScore)).toBe(true);
          for (const a of v.alerts) expect(a.device_id).toBe('sim-0001_temperature');
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('AlertEngine: flagged anomalies and cooldown', () => {
  it('alerts a reading flagged is_anomaly, once per cooldown per device', () => {
    const e = new AlertEngine(rules, T0);
    const first = e.observe(
      reading({ is_anomaly: true, value: 99, metadata: { anomaly_reason: 'spike' } }),
      0,
      T0,
    );
    expect(first.alerts.map((a) => a.alert_type)).toEqual(['ANOMALY_FLAGGED']);
    expect(first.alerts[0]!.message).toContain('spike');
    const again = e.observe(reading({ is_anomaly: true }), 0, T0 + 1000);
    expect(again.alerts).toEqual([]);
    expect(again.suppressed).toEqual(['ANOMALY_FLAGGED']);
    const other = e.observe(reading({ is_anomaly: true, device_id: 'sim-0002_temperature' }), 0, T0 + 1000);
    expect(other.alerts).toHaveLength(1);
    const later = e.observe(reading({ is_anomaly: true }), 0, T0 + rules.cooldownMs);
    expect(later.alerts).toHaveLength(1);
  });

  it('flagged readings do not teach the model', () => {
    const e = new AlertEngine(rules, T0);
    for (let i = 0; i < 20; i++) e.observe(reading({ value: 21 }), 0, T0 + i);
    e.observe(reading({ value: 1e6, is_anomaly: true }), 0, T0 + 21);
    expect(e.stateOf('sim-0001_temperature')!.mean).toBe(21);
  });
});

describe('AlertEngine: low battery', () => {
  it('volts for RuuviTags (one alert per physical tag), percent for simulated sensors', () => {
    const e = new AlertEngine(rules, T0);
    const ruuvi = (m: string, battery: number) =>
      reading({ device_id: `c6:8d:c6:26:39:a6_${m}`, source: 'RUUVI_GATEWAY', battery_level: battery });
    const a = e.observe(ruuvi('temperature', 2.3), 0, T0);
    expect(a.alerts.map((x) => [x.alert_type, x.device_id, x.threshold])).toEqual([
      ['BATTERY_LOW', 'c6:8d:c6:26:39:a6', 2.5],
    ]);
    expect(e.observe(ruuvi('humidity', 2.3), 0, T0 + 1).suppressed).toEqual(['BATTERY_LOW']);
    expect(e.observe(ruuvi('pressure', 2.9), 0, T0 + 2).alerts).toEqual([]);
    expect(e.observe(reading({ battery_level: 15 }), 0, T0).alerts[0]!.threshold).toBe(20);
    expect(
      e.observe(reading({ device_id: 'sim-0009_light', battery_level: 2.9 }), 0, T0).alerts[0]?.alert_type,
    ).toBe('BATTERY_LOW');
    expect(
      e.observe(
        reading({ device_id: 'sim-0010_light', battery_level: 80, metadata: { battery_unit: '%' } }),
        0,
        T0,
      ).alerts,
    ).toEqual([]);
  });

  it('counts sensors whose last battery reading is low, by source', () => {
    const e = new AlertEngine(rules, T0);
    e.observe(reading({ device_id: 'sim-1_temperature', battery_level: 5 }), 0, T0);
    e.observe(reading({ device_id: 'sim-2_temperature', battery_level: 5 }), 0, T0);
    e.observe(reading({ device_id: 'sim-2_humidity', battery_level: 90 }), 0, T0);
    expect(e.snapshot().batteryLowBySource.get('SIMULATOR')).toBe(1);
    expect(e.snapshot().batteryLowBySource.get('RUUVI_GATEWAY')).toBeUndefined();
  });
});

describe('AlertEngine: silent devices', () => {
  it('no silence alert during the startup grace period, then one per silence', () => {
    const e = new AlertEngine(rules, T0);
    e.observe(reading(), 0, T0);
    expect(e.sweep(T0 + 90_000, true).alerts).toEqual([]); // silent 90 s > 60 s, but in grace
    const { alerts } = e.sweep(T0 + 130_000, true);
    expect(alerts.map((a) => [a.alert_type, a.device_id, a.value, a.threshold])).toEqual([
      ['DEVICE_SILENT', 'sim-0001_temperature', 130, 60],
    ]);
    expect(e.snapshot().silentByType.get('temperature_sensor')).toBe(1);
    expect(e.sweep(T0 + 500_000, true).alerts).toEqual([]); // still the same silence
    e.observe(reading(), 0, T0 + 600_000);
    expect(e.snapshot().silentByType.get('temperature_sensor')).toBe(0);
    expect(e.sweep(T0 + 900_000, true).alerts).toHaveLength(1); // a new silence, past the cooldown
  });

  it('does not judge silence while its own input is unhealthy (Kafka outage is not silence)', () => {
    const e = new AlertEngine({ ...rules, startupGraceMs: 0 }, T0);
    e.observe(reading(), 0, T0);
    expect(e.sweep(T0 + 300_000, false).alerts).toEqual([]);
    expect(e.sweep(T0 + 300_001, true).alerts).toHaveLength(1);
  });

  it('a rebalance drops devices of lost partitions and gives gained partitions a grace period', () => {
    const e = new AlertEngine(rules, T0 - 1_000_000);
    e.assign([0, 1], T0 - 200_000);
    e.observe(reading({ device_id: 'a_temperature' }), 0, T0);
    e.observe(reading({ device_id: 'b_temperature' }), 1, T0);
    e.assign([1, 2], T0 + 10_000);
    expect(e.stateOf('a_temperature')).toBeUndefined();
    e.observe(reading({ device_id: 'c_temperature' }), 2, T0 + 10_000);
    const ids = e.sweep(T0 + 100_000, true).alerts.map((a) => a.device_id);
    expect(ids).toEqual(['b_temperature']); // c's partition 2 is still in its grace period
  });

  it('forgets devices silent far longer than the threshold, and caps the table', () => {
    const e = new AlertEngine({ ...rules, startupGraceMs: 0, maxDevices: 3 }, T0);
    for (const d of ['a', 'b', 'c', 'd']) e.observe(reading({ device_id: `${d}_x` }), 0, T0);
    expect(e.snapshot().devices).toBe(3);
    expect(e.stateOf('a_x')).toBeUndefined();
    e.sweep(T0 + rules.forgetAfterMs + 1, true);
    expect(e.snapshot().devices).toBe(0);
  });
});

describe('AlertEngine: fixed thresholds by measurement (PROCESSOR_THRESHOLDS)', () => {
  const banded: RulesConfig = {
    ...rules,
    thresholds: { temperature: { min: -10, max: 40 }, humidity: { max: 90 } },
  };
  const types = (v: { alerts: Array<{ alert_type: string }> }) => v.alerts.map((a) => a.alert_type);

  it('alerts below min and above max at once, before any warm-up, naming the bound', () => {
    const e = new AlertEngine(banded, T0);
    const hot = e.observe(reading({ device_id: 'aa:bb:cc:dd:ee:01_temperature', value: 41.5 }), 0, T0);
    expect(types(hot)).toEqual(['THRESHOLD_EXCEEDED']);
    expect(hot.alerts[0]).toMatchObject({
      value: 41.5,
      threshold: 40,
      metadata: { measurement: 'temperature', bound: 'max' },
    });
    expect(hot.alerts[0]!.message).toContain('above the maximum 40 set for temperature');
    const cold = e.observe(reading({ device_id: 'aa:bb:cc:dd:ee:02_temperature', value: -12 }), 0, T0);
    expect(cold.alerts[0]).toMatchObject({
      alert_type: 'THRESHOLD_EXCEEDED',
      threshold: -10,
      metadata: { bound: 'min' },
    });
  });

  it('raises nothing inside the band, on the bound itself, or for a measurement without one', () => {
    const e = new AlertEngine(banded, T0);
    for (const [device_id, value] of [
      ['aa:bb:cc:dd:ee:01_temperature', 40],
      ['aa:bb:cc:dd:ee:01_temperature', -10],
      ['aa:bb:cc:dd:ee:01_humidity', 20],
      ['aa:bb:cc:dd:ee:01_pressure', 1e9],
      ['sim-0001_light', -5],
    ] as const)
      expect(types(e.observe(reading({ device_id, value }), 0, T0)), `${device_id} ${value}`).toEqual([]);
  });

  it('raises nothing without thresholds (the default), whatever the value', () => {
    const e = new AlertEngine(rules, T0);
    expect(types(e.observe(reading({ value: 1e6 }), 0, T0))).toEqual([]);
  });

  it('one alert per device within the cooldown; the rest are counted as suppressed', () => {
    const e = new AlertEngine(banded, T0);
    const id = 'aa:bb:cc:dd:ee:03_humidity';
    expect(types(e.observe(reading({ device_id: id, value: 95 }), 0, T0))).toEqual(['THRESHOLD_EXCEEDED']);
    const again = e.observe(reading({ device_id: id, value: 96 }), 0, T0 + 1000);
    expect(again.alerts).toEqual([]);
    expect(again.suppressed).toEqual(['THRESHOLD_EXCEEDED']);
    expect(types(e.observe(reading({ device_id: id, value: 97 }), 0, T0 + rules.cooldownMs + 1))).toEqual([
      'THRESHOLD_EXCEEDED',
    ]);
  });
});
