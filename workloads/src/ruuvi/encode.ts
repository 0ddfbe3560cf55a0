import { wrapAdvertisement } from './advertisement.js';
import { macToBytes } from './bytes.js';
import {
  DATA_FORMAT_3,
  DATA_FORMAT_5,
  PAYLOAD_LENGTH,
  type RuuviFormat3,
  type RuuviFormat5,
} from './types.js';

/** Values for a format 3 packet; `null` encodes as 0 (the format has no "not available"). */
export type Format3Values = Omit<RuuviFormat3, 'dataFormat' | 'mac'>;
/** Values for a format 5 packet; `null` (or NaN) encodes as the field's "not available" value. */
export type Format5Values = Omit<RuuviFormat5, 'dataFormat'>;

function clip(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function usable(x: number | null): x is number {
  return x !== null && Number.isFinite(x);
}

function putU16(out: Uint8Array, i: number, v: number): void {
  out[i] = (v >> 8) & 0xff;
  out[i + 1] = v & 0xff;
}

/** Quantises to the field's step, clipping to its range, as the sensor firmware does. */
function code(x: number | null, lo: number, hi: number, scale: number, offset = 0): number | null {
  return usable(x) ? Math.round((clip(x, lo, hi) - offset) * scale) : null;
}

/** Encodes a RAWv1 (format 3) payload, 14 bytes. */
export function encodeFormat3(v: Format3Values): Uint8Array {
  const out = new Uint8Array(PAYLOAD_LENGTH[DATA_FORMAT_3]);
  out[0] = DATA_FORMAT_3;
  out[1] = code(v.humidity, 0, 127.5, 2) ?? 0;
  const hundredths = code(v.temperature === null ? null : Math.abs(v.temperature), 0, 127.99, 100) ?? 0;
  const negative = usable(v.temperature) && v.temperature < 0 && hundredths > 0;
  out[2] = (negative ? 0x80 : 0) | Math.floor(hundredths / 100);
  out[3] = hundredths % 100;
  putU16(out, 4, code(v.pressure, 50_000, 115_535, 1, 50_000) ?? 0);
  putU16(out, 6, (code(v.accelerationX, -32.768, 32.767, 1000) ?? 0) & 0xffff);
  putU16(out, 8, (code(v.accelerationY, -32.768, 32.767, 1000) ?? 0) & 0xffff);
  putU16(out, 10, (code(v.accelerationZ, -32.768, 32.767, 1000) ?? 0) & 0xffff);
  putU16(out, 12, code(v.batteryVoltage, 0, 65.535, 1000) ?? 0);
  return out;
}

/** Encodes a RAWv2 (format 5) payload, 24 bytes. A null `mac` encodes as not available. */
export function encodeFormat5(v: Format5Values): Uint8Array {
  const out = new Uint8Array(PAYLOAD_LENGTH[DATA_FORMAT_5]);
  out[0] = DATA_FORMAT_5;
  putU16(out, 1, (code(v.temperature, -163.835, 163.835, 200) ?? -0x8000) & 0xffff);
  putU16(out, 3, code(v.humidity, 0, 163.835, 400) ?? 0xffff);
  putU16(out, 5, code(v.pressure, 50_000, 115_534, 1, 50_000) ?? 0xffff);
  putU16(out, 7, (code(v.accelerationX, -32.767, 32.767, 1000) ?? -0x8000) & 0xffff);
  putU16(out, 9, (code(v.accelerationY, -32.767, 32.767, 1000) ?? -0x8000) & 0xffff);
  putU16(out, 11, (code(v.accelerationZ, -32.767, 32.767, 1000) ?? -0x8000) & 0xffff);
  const battery = code(v.batteryVoltage, 1.6, 3.646, 1000, 1.6) ?? 0x7ff;
  const tx = code(v.txPower, -40, 20, 0.5, -40) ?? 0x1f;
  putU16(out, 13, (battery << 5) | tx);
  out[15] = code(v.movementCounter, 0, 254, 1) ?? 0xff;
  putU16(out, 16, code(v.measurementSequence, 0, 65_534, 1) ?? 0xffff);
  out.set(v.mac === null ? new Uint8Array(6).fill(0xff) : macToBytes(v.mac), 18);
  return out;
}

/** A whole advertisement (flags + manufacturer data) carrying a format 3 payload. */
export function encodeFormat3Advertisement(v: Format3Values): Uint8Array {
  return wrapAdvertisement(encodeFormat3(v));
}

/** A whole advertisement (flags + manufacturer data) carrying a format 5 payload. */
export function encodeFormat5Advertisement(v: Format5Values): Uint8Array {
  return wrapAdvertisement(encodeFormat5(v));
}
