import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The .avsc files are the truth for the records; they are read from the source tree (the
 * Docker image carries it) so no copy can drift.
 */
const schemaDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'schema');

export function loadSchemaText(name: 'sensor_reading' | 'dead_letter'): string {
  return readFileSync(join(schemaDir, `${name}.avsc`), 'utf8');
}

export const READING_SOURCES = ['RUUVI_GATEWAY', 'ESP32_GATEWAY', 'SIMULATOR', 'UNKNOWN'] as const;
export const TIME_SOURCES = ['DEVICE', 'GATEWAY', 'ADAPTER'] as const;

export interface Location {
  latitude: number | null;
  longitude: number | null;
  building: string | null;
  floor: number | null;
  zone: string | null;
}

/** The TypeScript face of sensor_reading.avsc; schema.test.ts checks the two agree. */
export interface SensorReading {
  reading_id: string;
  device_id: string;
  device_type: string;
  timestamp: Date;
  value: number;
  unit: string;
  location: Location | null;
  battery_level: number | null;
  signal_strength: number | null;
  firmware_version: string | null;
  is_anomaly: boolean;
  metadata: Record<string, string> | null;
  gateway_id: string | null;
  measurement_sequence: number | null;
  source: (typeof READING_SOURCES)[number];
  time_source: (typeof TIME_SOURCES)[number];
}

export interface DeadLetter {
  stage: string;
  reason: string;
  error_code: string;
  source: string;
  original: Buffer;
  received_at: Date;
  headers: Record<string, string> | null;
}

/** Field names in schema order, typed so a renamed TS field fails to compile here. */
export const SENSOR_READING_FIELDS: ReadonlyArray<keyof SensorReading> = [
  'reading_id',
  'device_id',
  'device_type',
  'timestamp',
  'value',
  'unit',
  'location',
  'battery_level',
  'signal_strength',
  'firmware_version',
  'is_anomaly',
  'metadata',
  'gateway_id',
  'measurement_sequence',
  'source',
  'time_source',
];

export const DEAD_LETTER_FIELDS: ReadonlyArray<keyof DeadLetter> = [
  'stage',
  'reason',
  'error_code',
  'source',
  'original',
  'received_at',
  'headers',
];
