/**
 * Decoded RuuviTag / Ruuvi Air measurements. Units follow the Avro record: temperature °C,
 * humidity %RH, pressure Pa, acceleration g, battery V, tx power dBm, particulate matter µg/m³,
 * CO2 ppm, VOC/NOx index (unitless), luminosity lux. A field holding the format's documented
 * "not available" value is `null`, never a number.
 */
export const DATA_FORMAT_3 = 0x03;
export const DATA_FORMAT_5 = 0x05;
export const DATA_FORMAT_6 = 0x06;
export const DATA_FORMAT_E1 = 0xe1;

export type RuuviDataFormat =
  typeof DATA_FORMAT_3 | typeof DATA_FORMAT_5 | typeof DATA_FORMAT_6 | typeof DATA_FORMAT_E1;

/** Payload length in bytes, data format byte included. */
export const PAYLOAD_LENGTH: Readonly<Record<RuuviDataFormat, number>> = {
  [DATA_FORMAT_3]: 14,
  [DATA_FORMAT_5]: 24,
  [DATA_FORMAT_6]: 20,
  [DATA_FORMAT_E1]: 40,
};

interface RuuviBase {
  /** Full MAC, lower-case `aa:bb:cc:dd:ee:ff`: from the payload (5, E1) or the caller (3, 6). */
  mac: string | null;
  temperature: number | null;
  humidity: number | null;
  pressure: number | null;
}

/** RAWv1. The format has no "not available" encoding, so only `mac` can be null. */
export interface RuuviFormat3 extends RuuviBase {
  dataFormat: typeof DATA_FORMAT_3;
  accelerationX: number | null;
  accelerationY: number | null;
  accelerationZ: number | null;
  batteryVoltage: number | null;
}

/** RAWv2. */
export interface RuuviFormat5 extends RuuviBase {
  dataFormat: typeof DATA_FORMAT_5;
  accelerationX: number | null;
  accelerationY: number | null;
  accelerationZ: number | null;
  batteryVoltage: number | null;
  txPower: number | null;
  movementCounter: number | null;
  measurementSequence: number | null;
}

/** Ruuvi Air, Bluetooth 4 format. Carries only the low 24 bits of the MAC (`macSuffix`). */
export interface RuuviFormat6 extends RuuviBase {
  dataFormat: typeof DATA_FORMAT_6;
  pm25: number | null;
  co2: number | null;
  voc: number | null;
  nox: number | null;
  luminosity: number | null;
  /** 0..255, the low byte of the E1 counter; the format has no "not available" value. */
  measurementSequence: number | null;
  calibrationInProgress: boolean;
  macSuffix: string | null;
}

/** Ruuvi Air, Bluetooth 5 extended format. */
export interface RuuviFormatE1 extends RuuviBase {
  dataFormat: typeof DATA_FORMAT_E1;
  pm1: number | null;
  pm25: number | null;
  pm4: number | null;
  pm10: number | null;
  co2: number | null;
  voc: number | null;
  nox: number | null;
  luminosity: number | null;
  measurementSequence: number | null;
  calibrationInProgress: boolean;
}

export type RuuviMeasurement = RuuviFormat3 | RuuviFormat5 | RuuviFormat6 | RuuviFormatE1;

export interface DecodeOptions {
  /** Advertiser address; used when the payload carries no full MAC (formats 3 and 6). */
  mac?: string | undefined;
}
