import { describe, expect, it } from 'vitest';
import type { SensorReading } from '../schema/index.js';
import { AnomalyDetector } from './detector.js';
import { impossibleJump, outOfRange, ruuviBatteryLow } from './rules.js';

const t0 = Date.parse('2026-11-27T06:00:00Z');
function reading(
  device: string,
  value: number,
  atMs: number,
  extra: Partial<SensorReading> = {},
): SensorReading {
  const temp = device.endsWith('temperature');
  return {
    reading_id: `${device}@${atMs}`,
    device_id: device,
    device_type: temp ? 'temperature_sensor' : 'humidity_sensor',
    timestamp: new Date(atMs),
    value,
    unit: temp ? '°C' : '%',
    location: null,
    battery_level: 3.0,
    signal_strength: null,
    firmware_version: null,
    is_anomaly: false,
    metadata: null,
    gateway_id: null,
    measurement_sequence: null,
    source: 'RUUVI_GATEWAY',
    time_source: 'GATEWAY',
    ...extra,
  };
}

describe('outOfRange', () => {
  it('accepts the sensor span, edges included, and names the span when outside', () => {
    expect(outOfRange({ device_type: 'temperature_sensor', unit: '°C', value: -40 })).toBeNull();
    expect(outOfRange({ device_type: 'temperature_sensor', unit: '°C', value: 85 })).toBeNull();
    expect(outOfRange({ device_type: 'temperature_sensor', unit: '°C', value: 85.01 })).toMatch(/-40\.\.85/);
    expect(outOfRange({ device_type: 'humidity_sensor', unit: '%', value: -0.1 })).not.toBeNull();
    expect(outOfRange({ device_type: 'pressure_sensor', unit: 'Pa', value: 1013 })).not.toBeNull(); // hPa by mistake
    expect(outOfRange({ device_type: 'pressure_sensor', unit: 'Pa', value: 101_300 })).toBeNull();
  });
  it('flags non-finite values and leaves unknown kinds alone', () => {
    expect(outOfRange({ device_type: 'temperature_sensor', unit: '°C', value: NaN })).not.toBeNull();
    expect(outOfRange({ device_type: 'flux_sensor', unit: 'Wb', value: 1e9 })).toBeNull();
  });
});

describe('impossibleJump', () => {
  const prev = { value: 20, timestampMs: t0 };
  it('allows the per-minute change, at least one minute granted', () => {
    expect(impossibleJump(reading('a_temperature', 30, t0 + 1000), prev)).toBeNull();
    expect(impossibleJump(reading('a_temperature', 30.5, t0 + 1000), prev)).toMatch(/jump of 10.5/);
    expect(impossibleJump(reading('a_temperature', 39, t0 + 120_000), prev)).toBeNull();
    expect(impossibleJump(reading('a_temperature', 41, t0 + 120_000), prev)).not.toBeNull();
  });
  it('does not compare without history, out of order, or after a long gap', () => {
    expect(impossibleJump(reading('a_temperature', 80, t0), undefined)).toBeNull();
    expect(impossibleJump(reading('a_temperature', 80, t0 - 1000), prev)).toBeNull();
    expect(impossibleJump(reading('a_temperature', 80, t0 + 2 * 3600_000), prev)).toBeNull();
  });
});

describe('ruuviBatteryLow (Ruuvi Station thresholds)', () => {
  it.each([
    [2.49, 0, true],
    [2.5, 0, false],
    [2.49, -0.1, false],
    [2.29, -0.1, true],
    [2.29, -20, true],
    [2.3, -20, false],
    [2.29, -20.1, false],
    [1.99, -25, true],
    [2.0, -25, false],
  ])('%s V at %s °C -> %s', (v, t, low) => {
    expect(ruuviBatteryLow(v, t)).toBe(low);
  });
  it('needs both values', () => {
    expect(ruuviBatteryLow(null, 20)).toBe(false);
    expect(ruuviBatteryLow(2.0, null)).toBe(false);
  });
});

describe('AnomalyDetector', () => {
  it('puts every reason into metadata.anomaly_reason, keeping existing metadata', () => {
    const d = new AnomalyDetector(10);
    const [t, h] = d.flag([
      reading('m_temperature', 90, t0, { battery_level: 2.4, metadata: { data_format: '5' } }),
      reading('m_humidity', 50, t0, { battery_level: 2.4 }),
    ]);
    expect(t!.is_anomaly).toBe(true);
    expect(t!.metadata).toEqual({
      data_format: '5',
      anomaly_reason: expect.stringMatching(/^out_of_range: .*; battery_low: 2.4 V at 90/),
    });
    expect(h!.metadata!.anomaly_reason).toMatch(/^battery_low/);
  });

  it('compares with the last in-range reading of the same device only', () => {
    const d = new AnomalyDetector(10);
    expect(d.flag([reading('j_temperature', 20, t0)])[0]!.is_anomaly).toBe(false);
    expect(d.flag([reading('j_temperature', 99, t0 + 1000)])[0]!.metadata!.anomaly_reason).toMatch(
      /^out_of_range/,
    );
    expect(d.flag([reading('k_temperature', 60, t0 + 2000)])[0]!.is_anomaly).toBe(false);
    expect(d.flag([reading('j_temperature', 21, t0 + 2000)])[0]!.is_anomaly).toBe(false);
    expect(d.flag([reading('j_temperature', 45, t0 + 3000)])[0]!.metadata!.anomaly_reason).toMatch(/^jump/);
  });

  it('does not apply the Ruuvi battery rule to simulated sensors (percent)', () => {
    const d = new AnomalyDetector(10);
    expect(
      d.flag([reading('s_temperature', 20, t0, { source: 'SIMULATOR', battery_level: 1 })])[0]!.is_anomaly,
    ).toBe(false);
  });

  it('forgets the least recently seen device beyond its bound', () => {
    const d = new AnomalyDetector(2);
    d.flag([
      reading('a_temperature', 20, t0),
      reading('b_temperature', 20, t0),
      reading('c_temperature', 20, t0),
    ]);
    expect(d.trackedDevices).toBe(2);
    // a was forgotten: a big change is no longer compared with its old value.
    expect(d.flag([reading('a_temperature', 60, t0 + 1000)])[0]!.is_anomaly).toBe(false);
  });
});
