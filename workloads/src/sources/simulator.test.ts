import { describe, expect, it } from 'vitest';
import { PayloadError } from './errors.js';
import { MAX_SIMULATOR_BATCH, parseSimulator } from './simulator.js';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const one = (i: number) => ({
  device_id: 'sim-0001_temperature',
  device_type: 'temperature_sensor',
  timestamp: '2026-11-27T06:00:00.000Z',
  value: 21.5 + i / 7,
  unit: '°C',
  sequence: i,
  battery_level: 87.5,
  signal_strength: -60,
  firmware_version: 'sim-1.0',
  location: { latitude: 60.1, longitude: 24.9, building: 'A', floor: 2, zone: 'north' },
  metadata: { site: 'lab' },
});

function codeOf(bytes: Uint8Array): string {
  try {
    parseSimulator('iotpipe/sim/batch', bytes);
  } catch (e) {
    if (e instanceof PayloadError) return `${e.code}: ${e.reason}`;
    throw e;
  }
  return 'ok';
}

describe('parseSimulator', () => {
  it('maps one object to one reading: identity <device_id>#<sequence>, value passed through exactly', () => {
    const [r] = parseSimulator('iotpipe/sim/x', enc(one(17)));
    expect(r).toMatchObject({
      reading_id: 'sim-0001_temperature#17',
      value: 21.5 + 17 / 7,
      source: 'SIMULATOR',
      time_source: 'DEVICE',
      measurement_sequence: 17,
      location: { building: 'A', floor: 2 },
      metadata: { site: 'lab' },
    });
    expect(r!.timestamp.toISOString()).toBe('2026-11-27T06:00:00.000Z');
  });

  it('maps a batch in order and treats absent optional fields as null', () => {
    const minimal = { ...one(0) } as Record<string, unknown>;
    for (const k of ['battery_level', 'signal_strength', 'firmware_version', 'location', 'metadata'])
      delete minimal[k];
    const rs = parseSimulator('iotpipe/sim/x', enc([minimal, one(1), one(2)]));
    expect(rs.map((r) => r.measurement_sequence)).toEqual([0, 1, 2]);
    expect(rs[0]).toMatchObject({
      battery_level: null,
      location: null,
      metadata: null,
      firmware_version: null,
    });
  });

  it('accepts the largest batch and rejects an empty or larger one', () => {
    const max = Array.from({ length: MAX_SIMULATOR_BATCH }, (_, i) => one(i));
    expect(parseSimulator('iotpipe/sim/x', enc(max))).toHaveLength(MAX_SIMULATOR_BATCH);
    expect(codeOf(enc([]))).toMatch(/^INVALID_BATCH/);
    expect(codeOf(enc([...max, one(MAX_SIMULATOR_BATCH)]))).toMatch(/^INVALID_BATCH/);
  });

  it('rejects the whole batch naming the bad element', () => {
    expect(codeOf(enc([one(0), { ...one(1), value: 'hot' }]))).toMatch(
      /^SCHEMA_MISMATCH: simulated reading \[1\]: value/,
    );
  });

  it.each([
    ['timestamp not ISO UTC', { ...one(0), timestamp: '27.11.2026' }],
    ['timestamp with an offset', { ...one(0), timestamp: '2026-11-27T08:00:00+02:00' }],
    ['negative sequence', { ...one(0), sequence: -1 }],
    ['fractional sequence', { ...one(0), sequence: 1.5 }],
    ['missing device_id', { ...one(0), device_id: undefined }],
    ['metadata with a number', { ...one(0), metadata: { a: 1 } }],
    ['floor not an integer', { ...one(0), location: { ...one(0).location, floor: 1.5 } }],
    ['a string payload', 'reading'],
  ])('rejects %s', (_what, payload) => {
    expect(codeOf(enc(payload))).toMatch(/^SCHEMA_MISMATCH/);
  });
});
