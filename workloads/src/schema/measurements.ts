import type { SimulatedType } from '@iotpipe/contract';
import type { RuuviMeasurement } from '../ruuvi/index.js';

/** One measurement a sensor packet expands into: the reading's device_type and unit. */
export interface MeasurementKind {
  readonly measurement: string;
  readonly deviceType: string;
  readonly unit: string;
}

/**
 * How a decoded RuuviTag/Ruuvi Air packet expands into readings, one per measurement present
 * (a null, the format's "not available", yields no reading). Battery voltage, tx power and RSSI
 * are not readings of their own: they travel on every reading (battery_level, metadata,
 * signal_strength). The adapter and the simulator's manifest both use this one table.
 */
const RUUVI_MEASUREMENTS: Readonly<Record<string, MeasurementKind>> = {
  temperature: { measurement: 'temperature', deviceType: 'temperature_sensor', unit: '°C' },
  humidity: { measurement: 'humidity', deviceType: 'humidity_sensor', unit: '%' },
  pressure: { measurement: 'pressure', deviceType: 'pressure_sensor', unit: 'Pa' },
  accelerationX: { measurement: 'acceleration_x', deviceType: 'accelerometer', unit: 'g' },
  accelerationY: { measurement: 'acceleration_y', deviceType: 'accelerometer', unit: 'g' },
  accelerationZ: { measurement: 'acceleration_z', deviceType: 'accelerometer', unit: 'g' },
  movementCounter: { measurement: 'movement_counter', deviceType: 'motion_sensor', unit: 'count' },
  pm1: { measurement: 'pm1', deviceType: 'air_quality_sensor', unit: 'µg/m³' },
  pm25: { measurement: 'pm2_5', deviceType: 'air_quality_sensor', unit: 'µg/m³' },
  pm4: { measurement: 'pm4', deviceType: 'air_quality_sensor', unit: 'µg/m³' },
  pm10: { measurement: 'pm10', deviceType: 'air_quality_sensor', unit: 'µg/m³' },
  co2: { measurement: 'co2', deviceType: 'air_quality_sensor', unit: 'ppm' },
  voc: { measurement: 'voc', deviceType: 'air_quality_sensor', unit: 'index' },
  nox: { measurement: 'nox', deviceType: 'air_quality_sensor', unit: 'index' },
  luminosity: { measurement: 'luminosity', deviceType: 'light_sensor', unit: 'lx' },
};

/** The measurements of a decoded packet, in table order, skipping "not available" ones. */
export function ruuviMeasurements(packet: RuuviMeasurement): Array<{ kind: MeasurementKind; value: number }> {
  const out: Array<{ kind: MeasurementKind; value: number }> = [];
  const fields = packet as unknown as Record<string, unknown>;
  for (const [field, kind] of Object.entries(RUUVI_MEASUREMENTS)) {
    const value = fields[field];
    if (typeof value === 'number' && Number.isFinite(value)) out.push({ kind, value });
  }
  return out;
}

/**
 * The simulator's generic sensor types (contract: SIMULATED_TYPES), as readings: one measurement each.
 * Pressure is in Pa like the RuuviTags', so ranges and dashboards need one unit.
 */
export const SIMULATED_MEASUREMENTS: Readonly<Record<SimulatedType, MeasurementKind>> = {
  temperature: { measurement: 'temperature', deviceType: 'temperature_sensor', unit: '°C' },
  humidity: { measurement: 'humidity', deviceType: 'humidity_sensor', unit: '%' },
  pressure: { measurement: 'pressure', deviceType: 'pressure_sensor', unit: 'Pa' },
  motion: { measurement: 'motion', deviceType: 'motion_sensor', unit: 'bool' },
  light: { measurement: 'light', deviceType: 'light_sensor', unit: 'lx' },
};
