import { findRuuviPayload, RUUVI_COMPANY_ID } from './advertisement.js';
import { formatMac, hexToBytes, i16, normalizeMac, u16, u24 } from './bytes.js';
import { RuuviDecodeError } from './errors.js';
import {
  DATA_FORMAT_3,
  DATA_FORMAT_5,
  DATA_FORMAT_6,
  DATA_FORMAT_E1,
  PAYLOAD_LENGTH,
  type DecodeOptions,
  type RuuviDataFormat,
  type RuuviFormat3,
  type RuuviFormat5,
  type RuuviFormat6,
  type RuuviFormatE1,
  type RuuviMeasurement,
} from './types.js';

// "Not available" markers (docs.ruuvi.com data formats 5, 6, E1): smallest value for signed
// fields, largest for unsigned ones, all bits set for the MAC.
const NA_I16 = -0x8000;
const NA_U16 = 0xffff;
const NA_U8 = 0xff;
const NA_U9 = 0x1ff;
const NA_U24 = 0xffffff;
const NA_BATTERY_11 = 0x7ff;
const NA_TX_POWER_5 = 0x1f;

const TEMPERATURE_DIVISOR = 200; // 0.005 °C per bit
const HUMIDITY_DIVISOR = 400; // 0.0025 % per bit
const PRESSURE_OFFSET_PA = 50_000;
const ACCELERATION_DIVISOR = 1000; // mg -> g
const MILLIVOLTS_PER_VOLT = 1000;
const BATTERY_OFFSET_MV = 1600;
const TX_POWER_OFFSET_DBM = -40;
const TX_POWER_STEP_DBM = 2;
const PM_DIVISOR = 10; // 0.1 µg/m³ per bit
const LUMINOSITY_E1_DIVISOR = 100; // 0.01 lux per bit
const LUMINOSITY_6_MAX_VALUE = 65535;
const LUMINOSITY_6_MAX_CODE = 254;
const FLAG_CALIBRATION = 0x01;
const FLAG_VOC_LSB = 0x40;
const FLAG_NOX_LSB = 0x80;

function na<T>(raw: number, marker: number, value: (raw: number) => T): T | null {
  return raw === marker ? null : value(raw);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Format 6 luminosity: 8-bit logarithmic code, value = exp(code * ln(65536) / 254) - 1. */
export function luminosityFromCode6(code: number): number {
  const delta = Math.log(LUMINOSITY_6_MAX_VALUE + 1) / LUMINOSITY_6_MAX_CODE;
  return round2(Math.exp(code * delta) - 1);
}

function macOrNull(bytes: Uint8Array): string | null {
  return bytes.every((b) => b === 0xff) ? null : formatMac(bytes);
}

function checkLength(p: Uint8Array, format: RuuviDataFormat): void {
  const want = PAYLOAD_LENGTH[format];
  const name = formatName(format);
  if (p.length < want)
    throw new RuuviDecodeError('TRUNCATED', `data format ${name} needs ${want} bytes, got ${p.length}`);
  if (p.length > want)
    throw new RuuviDecodeError('TOO_LONG', `data format ${name} has ${want} bytes, got ${p.length}`);
}

function formatName(format: number): string {
  return format === DATA_FORMAT_E1 ? 'E1' : String(format);
}

export function isSupportedFormat(b: number | undefined): b is RuuviDataFormat {
  return b === DATA_FORMAT_3 || b === DATA_FORMAT_5 || b === DATA_FORMAT_6 || b === DATA_FORMAT_E1;
}

function decode3(p: Uint8Array, mac: string | null): RuuviFormat3 {
  const t = p[2]!;
  const hundredths = (t & 0x7f) * 100 + p[3]!;
  return {
    dataFormat: DATA_FORMAT_3,
    mac,
    humidity: p[1]! / 2,
    temperature: (t & 0x80 ? -hundredths : hundredths) / 100,
    pressure: u16(p, 4) + PRESSURE_OFFSET_PA,
    accelerationX: i16(p, 6) / ACCELERATION_DIVISOR,
    accelerationY: i16(p, 8) / ACCELERATION_DIVISOR,
    accelerationZ: i16(p, 10) / ACCELERATION_DIVISOR,
    batteryVoltage: u16(p, 12) / MILLIVOLTS_PER_VOLT,
  };
}

function decode5(p: Uint8Array, fallbackMac: string | null): RuuviFormat5 {
  const power = u16(p, 13);
  const accel = (i: number) => na(i16(p, i), NA_I16, (v) => v / ACCELERATION_DIVISOR);
  return {
    dataFormat: DATA_FORMAT_5,
    mac: macOrNull(p.subarray(18, 24)) ?? fallbackMac,
    temperature: na(i16(p, 1), NA_I16, (v) => v / TEMPERATURE_DIVISOR),
    humidity: na(u16(p, 3), NA_U16, (v) => v / HUMIDITY_DIVISOR),
    pressure: na(u16(p, 5), NA_U16, (v) => v + PRESSURE_OFFSET_PA),
    accelerationX: accel(7),
    accelerationY: accel(9),
    accelerationZ: accel(11),
    batteryVoltage: na(power >> 5, NA_BATTERY_11, (v) => (v + BATTERY_OFFSET_MV) / MILLIVOLTS_PER_VOLT),
    txPower: na(power & 0x1f, NA_TX_POWER_5, (v) => TX_POWER_OFFSET_DBM + TX_POWER_STEP_DBM * v),
    movementCounter: na(p[15]!, NA_U8, (v) => v),
    measurementSequence: na(u16(p, 16), NA_U16, (v) => v),
  };
}

/** 9-bit index: 8 high bits in the byte, least significant bit in the flags byte. */
function u9(high: number, flags: number, lsbMask: number): number | null {
  return na((high << 1) | (flags & lsbMask ? 1 : 0), NA_U9, (v) => v);
}

function decode6(p: Uint8Array, mac: string | null): RuuviFormat6 {
  const flags = p[16]!;
  return {
    dataFormat: DATA_FORMAT_6,
    mac,
    temperature: na(i16(p, 1), NA_I16, (v) => v / TEMPERATURE_DIVISOR),
    humidity: na(u16(p, 3), NA_U16, (v) => v / HUMIDITY_DIVISOR),
    pressure: na(u16(p, 5), NA_U16, (v) => v + PRESSURE_OFFSET_PA),
    pm25: na(u16(p, 7), NA_U16, (v) => v / PM_DIVISOR),
    co2: na(u16(p, 9), NA_U16, (v) => v),
    voc: u9(p[11]!, flags, FLAG_VOC_LSB),
    nox: u9(p[12]!, flags, FLAG_NOX_LSB),
    luminosity: na(p[13]!, NA_U8, luminosityFromCode6),
    measurementSequence: p[15]!,
    calibrationInProgress: (flags & FLAG_CALIBRATION) !== 0,
    macSuffix: macOrNull(p.subarray(17, 20)),
  };
}

function decodeE1(p: Uint8Array, fallbackMac: string | null): RuuviFormatE1 {
  const flags = p[28]!;
  const pm = (i: number) => na(u16(p, i), NA_U16, (v) => v / PM_DIVISOR);
  return {
    dataFormat: DATA_FORMAT_E1,
    mac: macOrNull(p.subarray(34, 40)) ?? fallbackMac,
    temperature: na(i16(p, 1), NA_I16, (v) => v / TEMPERATURE_DIVISOR),
    humidity: na(u16(p, 3), NA_U16, (v) => v / HUMIDITY_DIVISOR),
    pressure: na(u16(p, 5), NA_U16, (v) => v + PRESSURE_OFFSET_PA),
    pm1: pm(7),
    pm25: pm(9),
    pm4: pm(11),
    pm10: pm(13),
    co2: na(u16(p, 15), NA_U16, (v) => v),
    voc: u9(p[17]!, flags, FLAG_VOC_LSB),
    nox: u9(p[18]!, flags, FLAG_NOX_LSB),
    luminosity: na(u24(p, 19), NA_U24, (v) => v / LUMINOSITY_E1_DIVISOR),
    measurementSequence: na(u24(p, 25), NA_U24, (v) => v),
    calibrationInProgress: (flags & FLAG_CALIBRATION) !== 0,
  };
}

/** Decodes a Ruuvi payload: the bytes after the company id, data format byte first. */
export function decodePayload(payload: Uint8Array, options: DecodeOptions = {}): RuuviMeasurement {
  const mac = options.mac === undefined ? null : normalizeMac(options.mac);
  if (payload.length === 0) throw new RuuviDecodeError('EMPTY', 'no bytes given');
  const format = payload[0];
  if (!isSupportedFormat(format)) {
    throw new RuuviDecodeError(
      'UNSUPPORTED_FORMAT',
      `data format 0x${format!.toString(16).padStart(2, '0')} is not one of 3, 5, 6, E1`,
    );
  }
  checkLength(payload, format);
  switch (format) {
    case DATA_FORMAT_3:
      return decode3(payload, mac);
    case DATA_FORMAT_5:
      return decode5(payload, mac);
    case DATA_FORMAT_6:
      return decode6(payload, mac);
    case DATA_FORMAT_E1:
      return decodeE1(payload, mac);
  }
}

/** Decodes a whole raw advertisement (AD structures), as the Ruuvi Gateway's `data` field. */
export function decodeAdvertisement(adv: Uint8Array, options: DecodeOptions = {}): RuuviMeasurement {
  return decodePayload(findRuuviPayload(adv), options);
}

/**
 * Decodes any of: a bare payload (`05...`), manufacturer data with the company id (`9904 05...`)
 * or a whole advertisement (`0201061BFF9904 05...`), as bytes or hex (with or without `0x`).
 * A bare payload is recognised by its data format byte and exact length; anything else is
 * walked as AD structures. Throws only RuuviDecodeError.
 */
export function decodeRuuvi(input: string | Uint8Array, options: DecodeOptions = {}): RuuviMeasurement {
  const bytes = typeof input === 'string' ? hexToBytes(input) : input;
  if (bytes.length === 0) throw new RuuviDecodeError('EMPTY', 'no bytes given');
  const first = bytes[0];
  if (isSupportedFormat(first)) {
    if (bytes.length === PAYLOAD_LENGTH[first]) return decodePayload(bytes, options);
    // Not the exact payload length: it may still be an advertisement whose first AD length
    // happens to equal a format byte; if it is not, report the payload's problem.
    try {
      return decodeAdvertisement(bytes, options);
    } catch {
      return decodePayload(bytes, options);
    }
  }
  if (bytes.length >= 2 && (bytes[0]! | (bytes[1]! << 8)) === RUUVI_COMPANY_ID) {
    if (bytes.length === 2)
      throw new RuuviDecodeError('TRUNCATED', 'Ruuvi manufacturer data has no data format byte');
    return decodePayload(bytes.subarray(2), options);
  }
  return decodeAdvertisement(bytes, options);
}
