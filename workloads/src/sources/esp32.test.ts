import { describe, expect, it } from 'vitest';
import { parseEsp32 } from './esp32.js';
import { PayloadError } from './errors.js';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const received = new Date('2026-11-27T06:00:00.000Z');
const msg = {
  mac: 'C6:8D:C6:26:39:A6',
  temperature: 21.25,
  humidity: 45.5,
  pressure: 100_500,
  acceleration_x: 0.01,
  acceleration_y: -0.02,
  acceleration_z: 0.98,
  battery: 2.95,
  tx_power: 4,
  movement_counter: 3,
  sequence: 1234,
  rssi: -71,
};

describe('parseEsp32', () => {
  it('expands the decoded JSON into readings keyed <mac>_<measurement>, stamped by the adapter', () => {
    const rs = parseEsp32('ruuvitag/data', enc(msg), received);
    expect(rs).toHaveLength(7);
    expect(rs[0]).toMatchObject({
      reading_id: 'c6:8d:c6:26:39:a6_temperature#1234',
      device_id: 'c6:8d:c6:26:39:a6_temperature',
      value: 21.25,
      battery_level: 2.95,
      signal_strength: -71,
      source: 'ESP32_GATEWAY',
      time_source: 'ADAPTER',
      timestamp: received,
    });
  });

  it('uses the gateway timestamp (seconds) when sent, and <device>@<ms> identity without a sequence', () => {
    const { sequence: _s, ...noSeq } = msg;
    const r = parseEsp32('ruuvitag/data', enc({ ...noSeq, timestamp: 1764223200 }), received)[0]!;
    expect(r.time_source).toBe('GATEWAY');
    expect(r.reading_id).toBe('c6:8d:c6:26:39:a6_temperature@1764223200000');
  });

  it('stores RSSI 127 (not available) as unknown', () => {
    expect(parseEsp32('ruuvitag/data', enc({ ...msg, rssi: 127 }), received)[0]!.signal_strength).toBeNull();
  });

  it.each([
    [{ ...msg, rssi: 21 }, 'SCHEMA_MISMATCH'],
    [{ ...msg, mac: 'c6:8d' }, 'INVALID_MAC'],
    [{ ...msg, temperature: '21' }, 'SCHEMA_MISMATCH'],
    [{ temperature: 1 }, 'SCHEMA_MISMATCH'],
    [{ mac: msg.mac }, 'NO_MEASUREMENTS'],
    [{ ...msg, sequence: -1 }, 'SCHEMA_MISMATCH'],
  ])('rejects %j with %s', (payload, code) => {
    expect(() => parseEsp32('ruuvitag/data', enc(payload), received)).toThrow(
      expect.objectContaining({ code }) as PayloadError,
    );
  });
});
