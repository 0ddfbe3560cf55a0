import { z } from 'zod';
import type { RuuviMeasurement } from '../ruuvi/index.js';
import type { SensorReading } from '../schema/index.js';
import { deviceId, readingId } from '../schema/identity.js';
import { ruuviMeasurements } from '../schema/measurements.js';
import { PayloadError } from './errors.js';

/**
 * HCI reports RSSI as -127..20 dBm, and 127 when the controller could not measure it (ESP32
 * gateways pass NimBLE's value on as is).
 */
export const RSSI_NOT_AVAILABLE = 127;

/** An RSSI field: -127..20 dBm or 127, which rssiOrUnknown() makes null (unknown). */
export const rssiField = z
  .number()
  .int()
  .min(-127)
  .refine((v) => v <= 20 || v === RSSI_NOT_AVAILABLE, 'expected -127..20 dBm, or 127 (not available)');

/** The reading's signal_strength: null when the gateway said "not available". */
export function rssiOrUnknown(rssi: number | null | undefined): number | null {
  return rssi === undefined || rssi === null || rssi === RSSI_NOT_AVAILABLE ? null : rssi;
}

/** What the carrier (gateway JSON) adds to a decoded packet. */
export interface RuuviCarrier {
  tagMac: string;
  gatewayId: string | null;
  rssi: number | null;
  timestamp: Date;
  timeSource: SensorReading['time_source'];
  source: SensorReading['source'];
}

/**
 * One decoded packet -> one reading per measurement present (the shared table in
 * schema/measurements.ts). Battery, RSSI, tx power and data format travel on every reading.
 */
export function expandRuuvi(packet: RuuviMeasurement, carrier: RuuviCarrier): SensorReading[] {
  const mac = packet.mac ?? carrier.tagMac;
  const sequence = 'measurementSequence' in packet ? packet.measurementSequence : null;
  const battery = 'batteryVoltage' in packet ? packet.batteryVoltage : null;
  const txPower = 'txPower' in packet ? packet.txPower : null;
  const metadata: Record<string, string> = { data_format: formatName(packet.dataFormat) };
  if (txPower !== null) metadata.tx_power = String(txPower);
  const measurements = ruuviMeasurements(packet);
  if (measurements.length === 0) {
    throw new PayloadError('NO_MEASUREMENTS', `packet of ${mac} carries no measurement`);
  }
  return measurements.map(({ kind, value }) => {
    const id = deviceId(mac, kind.measurement);
    return {
      reading_id: readingId(id, sequence, carrier.timestamp),
      device_id: id,
      device_type: kind.deviceType,
      timestamp: carrier.timestamp,
      value,
      unit: kind.unit,
      location: null,
      battery_level: battery,
      signal_strength: carrier.rssi,
      firmware_version: null,
      is_anomaly: false,
      metadata: { ...metadata },
      gateway_id: carrier.gatewayId,
      measurement_sequence: sequence,
      source: carrier.source,
      time_source: carrier.timeSource,
    };
  });
}

function formatName(format: number): string {
  return format === 0xe1 ? 'E1' : String(format);
}
