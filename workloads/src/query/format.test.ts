import { describe, expect, it } from 'vitest';
import { formatJson, formatTable } from './format.js';

describe('query output', () => {
  const rows = [
    {
      device_id: 'a_temperature',
      bucket: new Date('2026-11-27T06:00:00Z'),
      avg_value: 21.123456,
      reading_count: '12',
    },
    {
      device_id: 'bb_humidity',
      bucket: new Date('2026-11-27T07:00:00Z'),
      avg_value: null,
      reading_count: '3',
    },
  ];

  it('a table: header, rule, aligned columns, ISO times, a row count', () => {
    expect(formatTable(rows)).toBe(
      [
        'device_id      bucket                    avg_value  reading_count',
        '-------------  ------------------------  ---------  -------------',
        'a_temperature  2026-11-27T06:00:00.000Z  21.123     12',
        'bb_humidity    2026-11-27T07:00:00.000Z             3',
        '(2 rows)',
        '',
      ].join('\n'),
    );
    expect(formatTable([])).toBe('(no rows)\n');
  });

  it('JSON: counts as numbers, times as ISO strings', () => {
    expect(JSON.parse(formatJson(rows))).toEqual([
      {
        device_id: 'a_temperature',
        bucket: '2026-11-27T06:00:00.000Z',
        avg_value: 21.123456,
        reading_count: 12,
      },
      { device_id: 'bb_humidity', bucket: '2026-11-27T07:00:00.000Z', avg_value: null, reading_count: 3 },
    ]);
  });
});
