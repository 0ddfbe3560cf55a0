import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AVRO_OPTIONS } from '../processor/codec.js';
import { ALERT_FIELDS, ALERT_TYPES, loadAlertSchemaText, type Alert } from './alert.js';

describe('alert.avsc is the truth', () => {
  const raw = JSON.parse(loadAlertSchemaText()) as {
    fields: Array<{ name: string; type: unknown }>;
  };

  it('the TypeScript type lists exactly the schema fields, in order', () => {
    expect(raw.fields.map((f) => f.name)).toEqual(ALERT_FIELDS);
  });

  it('the alert types agree', () => {
    const t = raw.fields.find((f) => f.name === 'alert_type')!.type as { symbols: string[] };
    expect(t.symbols).toEqual(ALERT_TYPES);
  });

  it('an Alert round-trips with Date timestamps', () => {
    const type = avro.Type.forSchema(raw as avro.Schema, { ...AVRO_OPTIONS });
    const alert: Alert = {
      alert_id: 'DEVICE_SILENT:sim-0001_temperature:1764223200000',
      alert_type: 'DEVICE_SILENT',
      severity: 'WARNING',
      device_id: 'sim-0001_temperature',
      device_type: 'temperature_sensor',
      reading_id: null,
      value: 301,
      threshold: 300,
      score: null,
      message: 'silent',
      detected_at: new Date('2026-11-27T06:05:01.000Z'),
      reading_timestamp: new Date('2026-11-27T06:00:00.000Z'),
      metadata: null,
    };
    expect(type.fromBuffer(type.toBuffer(alert))).toEqual(alert);
  });
});
