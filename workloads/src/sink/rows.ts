import type { SensorReading } from '../schema/index.js';

/**
 * The staging table's columns, in COPY order. `ord` is the record's position in the batch: when
 * one batch holds two copies of a reading, the earlier one (lower Kafka offset) is kept.
 */
export const STAGING_COLUMNS = [
  'ord',
  'device_id',
  'device_type',
  'timestamp',
  'value',
  'unit',
  'latitude',
  'longitude',
  'building',
  'floor',
  'zone',
  'battery_level',
  'signal_strength',
  'firmware_version',
  'is_anomaly',
  'device_metadata',
  'reading_id',
  'gateway_id',
  'measurement_sequence',
  'source',
  'time_source',
] as const;

/** The stored columns (STAGING_COLUMNS without `ord`). */
export const READING_COLUMNS = STAGING_COLUMNS.slice(1);

const NULL = '\\N';

/** COPY text format: backslash, newline, carriage return and tab are escaped; NULL is \N. */
export function copyText(value: string): string {
  return value.replace(/[\\\n\r\t]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t',
  );
}

function text(v: string | null | undefined): string {
  return v === null || v === undefined ? NULL : copyText(v);
}

function num(v: number | null | undefined): string {
  // String(number) is the shortest text that parses back to the same double, so values are
  // stored bit-exact; NaN/Infinity pass as PostgreSQL spells them and meet the CHECK.
  if (v === null || v === undefined) return NULL;
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return String(v);
}

/** One COPY line (with its newline) for a reading. Pure. */
export function copyLine(ord: number, r: SensorReading): string {
  const loc = r.location;
  const fields = [
    String(ord),
    text(r.device_id),
    text(r.device_type),
    r.timestamp.toISOString(),
    num(r.value),
    text(r.unit),
    num(loc?.latitude),
    num(loc?.longitude),
    text(loc?.building),
    num(loc?.floor),
    text(loc?.zone),
    num(r.battery_level),
    num(r.signal_strength),
    text(r.firmware_version),
    r.is_anomaly ? 't' : 'f',
    r.metadata === null ? NULL : copyText(JSON.stringify(r.metadata)),
    text(r.reading_id),
    text(r.gateway_id),
    num(r.measurement_sequence),
    text(r.source),
    text(r.time_source),
  ];
  return `${fields.join('\t')}\n`;
}
