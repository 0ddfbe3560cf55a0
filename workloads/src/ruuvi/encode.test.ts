import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  decodeAdvertisement,
  decodePayload,
  encodeFormat3,
  encodeFormat3Advertisement,
  encodeFormat5,
  encodeFormat5Advertisement,
  hexToBytes,
  type RuuviFormat3,
  type RuuviFormat5,
} from './index.js';

const DF3_VALID = '03291A1ECE1EFC18F94202CA0B53';
const DF5_VALID = '0512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F';

function strip<T extends { dataFormat: unknown }>(m: T): Omit<T, 'dataFormat'> {
  const { dataFormat: _dataFormat, ...rest } = m;
  return rest;
}

describe('format 5 encoder', () => {
  it('re-encodes the published vectors byte for byte', () => {
    for (const hex of [
      DF5_VALID,
      '057FFFFFFEFFFE7FFF7FFF7FFFFFDEFEFFFECBB8334C884F',
      '058001000000008001800180010000000000CBB8334C884F',
      '058000FFFFFFFF800080008000FFFFFFFFFFFFFFFFFFFFFF',
    ]) {
      const m = decodePayload(hexToBytes(hex)) as RuuviFormat5;
      expect(bytesToHex(encodeFormat5(strip(m)))).toBe(hex);
    }
  });

  it('decode(encode(bytes)) is the identity for every 24-byte df5 payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 23, maxLength: 23 }), (rest) => {
        const bytes = Uint8Array.from([5, ...rest]);
        const m = decodePayload(bytes) as RuuviFormat5;
        expect(bytesToHex(encodeFormat5(strip(m)))).toBe(bytesToHex(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('encode then decode returns the values within one quantisation step', () => {
    const values = fc.record({
      temperature: fc.double({ min: -163.835, max: 163.835, noNaN: true }),
      humidity: fc.double({ min: 0, max: 100, noNaN: true }),
      pressure: fc.integer({ min: 50_000, max: 115_534 }),
      accelerationX: fc.double({ min: -32.767, max: 32.767, noNaN: true }),
      accelerationY: fc.double({ min: -32.767, max: 32.767, noNaN: true }),
      accelerationZ: fc.double({ min: -32.767, max: 32.767, noNaN: true }),
      batteryVoltage: fc.double({ min: 1.6, max: 3.646, noNaN: true }),
      txPower: fc.integer({ min: -20, max: 10 }).map((n) => n * 2),
      movementCounter: fc.integer({ min: 0, max: 254 }),
      measurementSequence: fc.integer({ min: 0, max: 65_534 }),
      mac: fc.constantFrom('c6:8d:c6:26:39:a6', 'cb:b8:33:4c:88:4f'),
    });
    fc.assert(
      fc.property(values, (v) => {
        const m = decodeAdvertisement(encodeFormat5Advertisement(v)) as RuuviFormat5;
        expect(m.dataFormat).toBe(5);
        expect(Math.abs(m.temperature! - v.temperature)).toBeLessThanOrEqual(0.0025 + 1e-9);
        expect(Math.abs(m.humidity! - v.humidity)).toBeLessThanOrEqual(0.00125 + 1e-9);
        expect(m.pressure).toBe(v.pressure);
        expect(Math.abs(m.accelerationX! - v.accelerationX)).toBeLessThanOrEqual(0.0005 + 1e-9);
        expect(Math.abs(m.accelerationY! - v.accelerationY)).toBeLessThanOrEqual(0.0005 + 1e-9);
        expect(Math.abs(m.accelerationZ! - v.accelerationZ)).toBeLessThanOrEqual(0.0005 + 1e-9);
        expect(Math.abs(m.batteryVoltage! - v.batteryVoltage)).toBeLessThanOrEqual(0.0005 + 1e-9);
        expect(m.txPower).toBe(v.txPower);
        expect(m.movementCounter).toBe(v.movementCounter);
        expect(m.measurementSequence).toBe(v.measurementSequence);
        expect(m.mac).toBe(v.mac);
      }),
      { numRuns: 2000 },
    );
  });

  it('clips out-of-range values and encodes null/NaN as not available', () => {
    const m = decodePayload(
      encodeFormat5({
        temperature: 170,
        humidity: -5,
        pressure: 200_000,
        accelerationX: -40,
        accelerationY: Number.NaN,
        accelerationZ: null,
        batteryVoltage: 5,
        txPower: 30,
        movementCounter: 300,
        measurementSequence: null,
        mac: null,
      }),
    ) as RuuviFormat5;
    expect(m).toMatchObject({
      temperature: 163.835,
      humidity: 0,
      pressure: 115_534,
      accelerationX: -32.767,
      accelerationY: null,
      accelerationZ: null,
      batteryVoltage: 3.646,
      txPower: 20,
      movementCounter: 254,
      measurementSequence: null,
      mac: null,
    });
  });

  it('wraps the payload in a flags AD and a 0x0499 manufacturer AD', () => {
    const m = decodePayload(hexToBytes(DF5_VALID)) as RuuviFormat5;
    expect(bytesToHex(encodeFormat5Advertisement(strip(m)))).toBe(`0201061BFF9904${DF5_VALID}`);
  });
});

describe('format 3 encoder', () => {
  it('re-encodes the published vectors byte for byte', () => {
    for (const hex of [DF3_VALID, '03FF7F63FFFF7FFF7FFF7FFFFFFF', '0300FF6300008001800180010000']) {
      const { mac: _mac, ...m } = strip(decodePayload(hexToBytes(hex)) as RuuviFormat3);
      expect(bytesToHex(encodeFormat3(m))).toBe(hex);
    }
  });

  it('decode(encode(bytes)) is the identity for canonical df3 payloads', () => {
    const canonical = fc
      .tuple(
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 127 }),
        fc.integer({ min: 0, max: 99 }),
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
      )
      .filter(([, neg, whole, frac]) => !(neg && whole === 0 && frac === 0)) // -0.00 is 0.00
      .map(([h, neg, whole, frac, rest]) => Uint8Array.from([3, h, (neg ? 0x80 : 0) | whole, frac, ...rest]));
    fc.assert(
      fc.property(canonical, (bytes) => {
        const { mac: _mac, ...m } = strip(decodePayload(bytes) as RuuviFormat3);
        expect(bytesToHex(encodeFormat3(m))).toBe(bytesToHex(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('encode then decode keeps values within one step, and the advertisement carries the MAC given', () => {
    const values = fc.record({
      temperature: fc.double({ min: -127.99, max: 127.99, noNaN: true }),
      humidity: fc.double({ min: 0, max: 100, noNaN: true }),
      pressure: fc.integer({ min: 50_000, max: 115_535 }),
      accelerationX: fc.double({ min: -2, max: 2, noNaN: true }),
      accelerationY: fc.double({ min: -2, max: 2, noNaN: true }),
      accelerationZ: fc.double({ min: -2, max: 2, noNaN: true }),
      batteryVoltage: fc.double({ min: 1.8, max: 3.6, noNaN: true }),
    });
    fc.assert(
      fc.property(values, (v) => {
        const m = decodeAdvertisement(encodeFormat3Advertisement(v), {
          mac: 'C6:8D:C6:26:39:A6',
        }) as RuuviFormat3;
        expect(m.mac).toBe('c6:8d:c6:26:39:a6');
        expect(Math.abs(m.temperature! - v.temperature)).toBeLessThanOrEqual(0.005 + 1e-9);
        expect(Math.abs(m.humidity! - v.humidity)).toBeLessThanOrEqual(0.25 + 1e-9);
        expect(m.pressure).toBe(v.pressure);
        expect(Math.abs(m.accelerationX! - v.accelerationX)).toBeLessThanOrEqual(0.0005 + 1e-9);
        expect(Math.abs(m.batteryVoltage! - v.batteryVoltage)).toBeLessThanOrEqual(0.0005 + 1e-9);
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes a small negative temperature with the sign bit', () => {
    expect(
      bytesToHex(
        encodeFormat3Advertisement({
          temperature: -0.5,
          humidity: 25,
          pressure: 100_000,
          accelerationX: 0,
          accelerationY: 0,
          accelerationZ: 1,
          batteryVoltage: 3,
        }),
      ),
    ).toBe('02010611FF990403328032C3500000000003E80BB8');
  });
});
