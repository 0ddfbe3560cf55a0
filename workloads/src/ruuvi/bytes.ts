import { RuuviDecodeError } from './errors.js';

const HEX_RE = /^[0-9a-fA-F]*$/;

/** Parses hex with or without a `0x` prefix, any case, ignoring spaces, colons and dashes. */
export function hexToBytes(hex: string): Uint8Array {
  let s = hex.trim();
  if (s.startsWith('0x') || s.startsWith('0X')) s = s.slice(2);
  s = s.replace(/[\s:-]/g, '');
  if (s.length === 0) throw new RuuviDecodeError('EMPTY', 'no bytes given');
  if (!HEX_RE.test(s))
    throw new RuuviDecodeError('INVALID_HEX', 'input contains a character that is not a hex digit');
  if (s.length % 2 !== 0) throw new RuuviDecodeError('INVALID_HEX', `odd number of hex digits (${s.length})`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Upper-case hex, no prefix: the way the Ruuvi Gateway writes `data`. */
export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s.toUpperCase();
}

/** `aa:bb:cc:dd:ee:ff`, lower case (the project's device_id convention). */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

const MAC_RE = /^[0-9a-fA-F]{2}([:-]?[0-9a-fA-F]{2}){5}$/;

/** Normalises a MAC given as `AA:BB:..`, `aa-bb-..` or `aabb..` to lower-case colon form. */
export function normalizeMac(mac: string): string {
  const s = mac.trim();
  if (!MAC_RE.test(s)) throw new RuuviDecodeError('INVALID_MAC', `not a MAC address: ${JSON.stringify(mac)}`);
  const hex = s.replace(/[:-]/g, '').toLowerCase();
  return hex.match(/../g)!.join(':');
}

export function macToBytes(mac: string): Uint8Array {
  return hexToBytes(normalizeMac(mac));
}

export function u16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

export function i16(b: Uint8Array, i: number): number {
  const v = u16(b, i);
  return v >= 0x8000 ? v - 0x10000 : v;
}

export function u24(b: Uint8Array, i: number): number {
  return (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
}
