import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManifestBuilder, manifestDigest, manifestLine } from './manifest.js';

const rows = [
  { reading_id: 'sim-0002_humidity#3', timestamp_ms: 1_700_000_001_000, value: 40.25 },
  { reading_id: 'aa:bb:cc:dd:ee:ff_temperature@1700000000000', timestamp_ms: 1_700_000_000_000, value: -3 },
  { reading_id: 'sim-0001_temperature#17', timestamp_ms: 1_700_000_000_500, value: 21.5 },
];

describe('manifestDigest', () => {
  it('is sha256 of the sorted lines joined by newlines, value as String(number)', () => {
    const expected = createHash('sha256')
      .update(
        [
          'aa:bb:cc:dd:ee:ff_temperature@1700000000000|1700000000000|-3',
          'sim-0001_temperature#17|1700000000500|21.5',
          'sim-0002_humidity#3|1700000001000|40.25',
        ].join('\n'),
      )
      .digest('hex');
    expect(manifestDigest(rows)).toBe(expected);
  });

  it('does not depend on order', () => {
    expect(manifestDigest([...rows].reverse())).toBe(manifestDigest(rows));
  });

  it('changes when a value, time or id changes', () => {
    const base = manifestDigest(rows);
    expect(manifestDigest([{ ...rows[0]!, value: 40.2500001 }, rows[1]!, rows[2]!])).not.toBe(base);
    expect(manifestDigest([{ ...rows[0]!, timestamp_ms: 1 }, rows[1]!, rows[2]!])).not.toBe(base);
    expect(manifestDigest([{ ...rows[0]!, reading_id: 'x#3' }, rows[1]!, rows[2]!])).not.toBe(base);
    expect(manifestDigest(rows.slice(1))).not.toBe(base);
  });

  it('formats lines as id|ms|value', () => {
    expect(manifestLine(rows[2]!)).toBe('sim-0001_temperature#17|1700000000500|21.5');
  });
});

describe('ManifestBuilder', () => {
  it('counts per device and type, time range, anomalies and dropouts', () => {
    const b = new ManifestBuilder(true);
    const reading = (id: string, device: string, type: string, ms: number, anomaly: 'spike' | null) => ({
      reading_id: id,
      device_id: device,
      device_type: type,
      unit: 'u',
      timestamp_ms: ms,
      value: ms / 1000,
      anomaly,
    });
    b.add(reading('a#1', 'a', 't', 2000, null));
    b.add(reading('a#2', 'a', 't', 3000, 'spike'));
    b.add(reading('b#1', 'b', 'h', 1000, null));
    b.addDropped('b#2');
    const m = b.build({
      seed: 1,
      startMs: 0,
      intervalSec: 1,
      output: 'mqtt',
      messages: 3,
      duplicateDeliveries: 0,
      errors: 0,
      ruuviTimestampsDeterministic: true,
    });
    expect(m.total).toBe(3);
    expect(m.counts_per_device).toEqual({ a: 2, b: 1 });
    expect(m.counts_per_device_type).toEqual({ h: 1, t: 2 });
    expect(m.time_range.first_ms).toBe(1000);
    expect(m.time_range.last).toBe('1970-01-01T00:00:03.000Z');
    expect(m.anomalous_reading_ids).toEqual(['a#2']);
    expect(m.dropped_reading_ids).toEqual(['b#2']);
    expect(m.anomalies_by_kind).toEqual({ spike: 1, stuck: 0, dropout: 1 });
    expect(m.digest).toBe(
      manifestDigest([
        { reading_id: 'a#1', timestamp_ms: 2000, value: 2 },
        { reading_id: 'a#2', timestamp_ms: 3000, value: 3 },
        { reading_id: 'b#1', timestamp_ms: 1000, value: 1 },
      ]),
    );
  });

  it('keeps no per-reading data when not asked to', () => {
    const b = new ManifestBuilder(false);
    b.add({
      reading_id: 'a#1',
      device_id: 'a',
      device_type: 't',
      unit: 'u',
      timestamp_ms: 1,
      value: 1,
      anomaly: 'stuck',
    });
    const m = b.build({
      seed: 1,
      startMs: 0,
      intervalSec: 1,
      output: 'mqtt',
      messages: 1,
      duplicateDeliveries: 0,
      errors: 0,
      ruuviTimestampsDeterministic: true,
    });
    expect(m.digest).toBeNull();
    expect(m.anomalous_reading_ids).toEqual([]);
    expect(m.anomalies_by_kind.stuck).toBe(1);
  });
});
