import { describe, expect, it } from 'vitest';
import { bytesToHex, encodeFormat3Advertisement } from '../ruuvi/index.js';
import type { PayloadError } from './errors.js';
import { codeOf, enc } from './payload.testing.js';
import { parseRuuviGateway } from './ruuvi-gateway.js';

const received = new Date('2026-11-27T06:00:00.000Z');
const TOPIC = 'ruuvi/C8:25:2D:8E:9C:2C/CB:B8:33:4C:88:4F';
// The Ruuvi Gateway MQTT schema's example advertisement (format 5; docs.ruuvi.com).
const DATA = '0201061BFF99040512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F';
const base = {
  gw_mac: 'C8:25:2D:8E:9C:2C',
  rssi: -62,
  aoa: [],
  gwts: '1728719836',
  ts: '1728719836',
  data: DATA,
  coords: '',
};

describe('parseRuuviGateway', () => {
  it('expands a format 5 advertisement into one reading per measurement with the contract identity', () => {
    const rs = parseRuuviGateway(TOPIC, enc(base), received);
    const byDevice = Object.fromEntries(rs.map((r) => [r.device_id, r]));
    expect(Object.keys(byDevice).sort()).toEqual(
      [
        'acceleration_x',
        'acceleration_y',
        'acceleration_z',
        'humidity',
        'movement_counter',
        'pressure',
        'temperature',
      ].map((m) => `cb:b8:33:4c:88:4f_${m}`),
    );
    const t = byDevice['cb:b8:33:4c:88:4f_temperature']!;
    expect(t).toMatchObject({
      reading_id: 'cb:b8:33:4c:88:4f_temperature#205',
      device_type: 'temperature_sensor',
      value: 24.3,
      unit: '°C',
      battery_level: 2.977,
      signal_strength: -62,
      gateway_id: 'c8:25:2d:8e:9c:2c',
      measurement_sequence: 205,
      source: 'RUUVI_GATEWAY',
      time_source: 'GATEWAY',
      metadata: { data_format: '5', tx_power: '4' },
      is_anomaly: false,
    });
    expect(t.timestamp.getTime()).toBe(1728719836000);
    expect(byDevice['cb:b8:33:4c:88:4f_pressure']!.value).toBe(100044);
  });

  it('stamps receive time (ADAPTER) when the gateway clock is not synced (no ts), and accepts numeric ts', () => {
    const { ts: _ts, gwts: _gwts, ...unsynced } = base;
    const r = parseRuuviGateway(TOPIC, enc(unsynced), received)[0]!;
    expect(r.time_source).toBe('ADAPTER');
    expect(r.timestamp).toEqual(received);
    const n = parseRuuviGateway(TOPIC, enc({ ...base, ts: 1728719836 }), received)[0]!;
    expect(n.timestamp.getTime()).toBe(1728719836000);
  });

  it('takes the tag MAC from the topic for formats without one (3) and names readings by time', () => {
    const adv = encodeFormat3Advertisement({
      temperature: 21.5,
      humidity: 40,
      pressure: 101_325,
      accelerationX: 0,
      accelerationY: 0,
      accelerationZ: 1,
      batteryVoltage: 2.9,
    });
    const rs = parseRuuviGateway(TOPIC, enc({ ...base, data: bytesToHex(adv) }), received);
    const t = rs.find((r) => r.device_id.endsWith('_temperature'))!;
    expect(t.reading_id).toBe('cb:b8:33:4c:88:4f_temperature@1728719836000');
    expect(t.measurement_sequence).toBeNull();
    expect(t.metadata).toEqual({ data_format: '3' });
  });

  it('stores RSSI 127 (the radio did not measure it) as unknown, and reads cnt and a prefix of more levels', () => {
    const { ts: _ts, gwts: _gwts, ...unsynced } = base;
    const [r] = parseRuuviGateway(TOPIC, enc({ ...unsynced, rssi: 127, cnt: 338 }), received);
    expect(r).toMatchObject({ signal_strength: null, time_source: 'ADAPTER' });
    expect(parseRuuviGateway(TOPIC, enc({ ...base, cnt: '338' }), received)[0]!.signal_strength).toBe(-62);
    const other = parseRuuviGateway(
      'home/ruuvi/C8:25:2D:8E:9C:2C/CB:B8:33:4C:88:4F',
      enc(base),
      received,
      'home/ruuvi',
    );
    expect(other[0]!.device_id).toBe('cb:b8:33:4c:88:4f_temperature');
  });

  it("reads the gateway's decoded variant", () => {
    const decoded = {
      gw_mac: 'C8:25:2D:8E:9C:2C',
      rssi: -70,
      dataFormat: 5,
      temperature: 5.5,
      humidity: 80,
      pressure: 99_000,
      voltage: 2.4,
      txPower: 4,
      measurementSequenceNumber: 9,
    };
    const rs = parseRuuviGateway(TOPIC, enc(decoded), received);
    expect(rs.map((r) => r.device_id.split('_')[1])).toEqual(['temperature', 'humidity', 'pressure']);
    expect(rs[0]).toMatchObject({ reading_id: 'cb:b8:33:4c:88:4f_temperature#9', battery_level: 2.4 });
  });

  it.each([
    ['not JSON', TOPIC, '{"gw_mac":', 'INVALID_JSON'],
    ['not UTF-8', TOPIC, '\u00ff', 'INVALID_JSON'],
    ['a JSON array', TOPIC, '[]', 'SCHEMA_MISMATCH'],
    ['rssi as a string', TOPIC, { ...base, rssi: '-62' }, 'SCHEMA_MISMATCH'],
    ['rssi above 20 dBm that is not 127', TOPIC, { ...base, rssi: 21 }, 'SCHEMA_MISMATCH'],
    ['rssi below -127 dBm', TOPIC, { ...base, rssi: -128 }, 'SCHEMA_MISMATCH'],
    ['cnt that is not a counter', TOPIC, { ...base, cnt: 'many' }, 'SCHEMA_MISMATCH'],
    [
      'a topic under another prefix',
      'home/ruuvi/C8:25:2D:8E:9C:2C/CB:B8:33:4C:88:4F',
      base,
      'UNKNOWN_FORMAT',
    ],
    ['missing gw_mac', TOPIC, { rssi: -1, data: DATA }, 'SCHEMA_MISMATCH'],
    ['ts that is not seconds', TOPIC, { ...base, ts: 'yesterday' }, 'SCHEMA_MISMATCH'],
    ['neither data nor decoded fields', TOPIC, { gw_mac: base.gw_mac, rssi: -1 }, 'SCHEMA_MISMATCH'],
    ['a malformed gw_mac', TOPIC, { ...base, gw_mac: 'C8:25:2D' }, 'INVALID_MAC'],
    ['a malformed tag MAC in the topic', 'ruuvi/C8:25:2D:8E:9C:2C/zz', base, 'INVALID_MAC'],
    ['data that is not hex', TOPIC, { ...base, data: 'XYZ' }, 'UNDECODABLE_RAW'],
    ['data of another company', TOPIC, { ...base, data: '0201061AFF4C000215' }, 'UNDECODABLE_RAW'],
    ['truncated data', TOPIC, { ...base, data: DATA.slice(0, 30) }, 'UNDECODABLE_RAW'],
  ])('rejects %s', (_what, topic, payload, code) => {
    const bytes = payload === '\u00ff' ? new Uint8Array([0xff, 0xfe]) : enc(payload);
    expect(codeOf(() => parseRuuviGateway(topic, bytes, received))).toBe(code);
  });

  it('keeps the reason to one line', () => {
    try {
      parseRuuviGateway(TOPIC, enc('{\n"a"\n:'), received);
    } catch (e) {
      expect((e as PayloadError).reason).not.toMatch(/\n/);
    }
    expect.assertions(1);
  });
});
