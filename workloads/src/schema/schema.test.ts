import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_FIELDS, loadSchemaText, SENSOR_READING_FIELDS, type SensorReading } from './index.js';

describe('sensor_reading.avsc is the truth', () => {
  const schema = JSON.parse(loadSchemaText('sensor_reading')) as { fields: Array<{ name: string }> };

  it('the TypeScript type lists exactly the schema fields, in order', () => {
    expect(schema.fields.map((f) => f.name)).toEqual(SENSOR_READING_FIELDS);
  });

  it('a SensorReading value round-trips through the schema', () => {
    const type = avro.Type.forSchema(JSON.parse(loadSchemaText('sensor_reading')) as avro.Schema, {
      logicalTypes: {},
    });
    const reading: SensorReading = {
      reading_id: 'c6:8d:c6:26:39:a6/205/temperature',
      device_id: 'c6:8d:c6:26:39:a6_temperature',
      device_type: 'temperature_sensor',
      timestamp: new Date('2026-11-27T06:00:00.123Z'),
      value: 24.3,
      unit: '°C',
      location: { latitude: 60.17, longitude: 24.94, building: 'HQ', floor: 2, zone: 'lab' },
      battery_level: 2.977,
      signal_strength: -71,
      firmware_version: null,
      is_anomaly: false,
      metadata: { data_format: '5' },
      gateway_id: 'aa:bb:cc:dd:ee:ff',
      measurement_sequence: 205,
      source: 'RUUVI_GATEWAY',
      time_source: 'GATEWAY',
    };
    const wire = { ...reading, timestamp: reading.timestamp.getTime() };
    expect(type.isValid(wire)).toBe(true);
    expect(type.fromBuffer(type.toBuffer(wire))).toEqual(wire);
  });

  it('dead_letter.avsc matches its TypeScript type', () => {
    const dl = JSON.parse(loadSchemaText('dead_letter')) as { fields: Array<{ name: string }> };
    expect(dl.fields.map((f) => f.name)).toEqual(DEAD_LETTER_FIELDS);
  });
});
