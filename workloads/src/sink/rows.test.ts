import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SensorReading } from '../schema/index.js';
import { copyLine, copyText, STAGING_COLUMNS } from './rows.js';

const reading: SensorReading = {
  reading_id: 'c6:8d:c6:26:39:a6_temperature#17',
  device_id: 'c6:8d:c6:26:39:a6_temperature',
  device_type: 'temperature_sensor',
  timestamp: new Date('2026-11-27T06:00:00.123Z'),
  value: 0.1 + 0.2,
  unit: '°C',
  location: { latitude: 60.1, longitude: null, building: 'HQ', floor: 2, zone: null },
  battery_level: 2.95,
  signal_strength: -65,
  firmware_version: null,
  is_anomaly: true,
  metadata: { data_format: '5', note: 'a\tb' },
  gateway_id: 'aa:bb:cc:dd:ee:ff',
  measurement_sequence: 17,
  source: 'RUUVI_GATEWAY',
  time_source: 'GATEWAY',
};

/** The inverse of COPY text escaping, as PostgreSQL reads it. */
function unescape(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(.)/g, (_, c: string) =>
    c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c,
  );
}

describe('COPY lines', () => {
  it('one field per staging column, in order, NULL as \\N, ending in a newline', () => {
    const line = copyLine(3, reading);
    expect(line.endsWith('\n')).toBe(true);
    const fields = line.slice(0, -1).split('\t');
    expect(fields).toHaveLength(STAGING_COLUMNS.length);
    const byColumn = Object.fromEntries(STAGING_COLUMNS.map((c, i) => [c, fields[i]]));
    expect(byColumn).toMatchObject({
      ord: '3',
      timestamp: '2026-11-27T06:00:00.123Z',
      value: '0.30000000000000004',
      latitude: '60.1',
      longitude: '\\N',
      zone: '\\N',
      firmware_version: '\\N',
      is_anomaly: 't',
      measurement_sequence: '17',
      source: 'RUUVI_GATEWAY',
    });
    expect(JSON.parse(unescape(byColumn.device_metadata!)!)).toEqual(reading.metadata);
  });

  it('a missing location and metadata are NULLs; NaN and infinities are spelled as PostgreSQL reads them', () => {
    const fields = copyLine(0, { ...reading, location: null, metadata: null, value: Number.NaN }).split('\t');
    expect(fields[STAGING_COLUMNS.indexOf('latitude')]).toBe('\\N');
    expect(fields[STAGING_COLUMNS.indexOf('device_metadata')]).toBe('\\N');
    expect(fields[STAGING_COLUMNS.indexOf('value')]).toBe('NaN');
    expect(copyLine(0, { ...reading, value: -Infinity }).split('\t')[STAGING_COLUMNS.indexOf('value')]).toBe(
      '-Infinity',
    );
  });

  it('any text survives escaping: no raw tab or newline is left, and unescaping gives it back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const escaped = copyText(s);
        expect(escaped).not.toMatch(/[\t\n\r]/);
        expect(unescape(escaped)).toBe(s);
      }),
    );
  });

  it('any double is written as the shortest text that parses back to the same double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const field = copyLine(0, { ...reading, value: v }).split('\t')[STAGING_COLUMNS.indexOf('value')]!;
        expect(Object.is(Number(field), v) || (v === 0 && Number(field) === 0)).toBe(true);
      }),
    );
  });
});
