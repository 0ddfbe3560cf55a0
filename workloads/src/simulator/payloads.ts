import { bytesToHex } from '../ruuvi/index.js';
import type { SensorReading } from '../schema/index.js';
import type { GenericReading, RuuviDelivery, RuuviUnit } from './devices.js';

/** The contract's JSON for one generic reading on `iotpipe/sim/...` (timestamp ISO 8601 UTC). */
export interface GenericReadingJson extends Omit<GenericReading, 'timestamp_ms'> {
  timestamp: string;
}

export function genericJson(r: GenericReading): GenericReadingJson {
  return {
    device_id: r.device_id,
    device_type: r.device_type,
    timestamp: new Date(r.timestamp_ms).toISOString(),
    value: r.value,
    unit: r.unit,
    sequence: r.sequence,
    battery_level: r.battery_level,
    signal_strength: r.signal_strength,
    firmware_version: r.firmware_version,
    location: r.location,
    metadata: r.metadata,
  };
}

/** The official Ruuvi Gateway's MQTT message (one advertisement, raw data as upper-case hex). */
export interface RuuviGatewayMessage {
  gw_mac: string;
  rssi: number;
  aoa: number[];
  gwts?: string;
  ts?: string;
  data: string;
  coords: string;
}

export function ruuviGatewayTopic(prefix: string, gatewayMac: string, tagMac: string): string {
  return `${prefix}/${gatewayMac.toUpperCase()}/${tagMac.toUpperCase()}`;
}

/** `ts`/`gwts` only when the gateway clock is synced; otherwise the adapter stamps receive time. */
export function ruuviGatewayMessage(unit: RuuviUnit, delivery: RuuviDelivery): RuuviGatewayMessage {
  const time = unit.gatewayTs === null ? {} : { gwts: String(unit.gatewayTs), ts: String(unit.gatewayTs) };
  return {
    gw_mac: delivery.gatewayMac.toUpperCase(),
    rssi: delivery.rssi,
    aoa: [],
    ...time,
    data: bytesToHex(unit.advertisement).toUpperCase(),
    coords: '',
  };
}

/** A generic reading as the adapter would produce it (for --output kafka). */
export function genericRecord(r: GenericReading): SensorReading {
  return {
    reading_id: `${r.device_id}#${r.sequence}`,
    device_id: r.device_id,
    device_type: r.device_type,
    timestamp: new Date(r.timestamp_ms),
    value: r.value,
    unit: r.unit,
    location: r.location,
    battery_level: r.battery_level,
    signal_strength: r.signal_strength,
    firmware_version: r.firmware_version,
    is_anomaly: false,
    metadata: r.metadata,
    gateway_id: null,
    measurement_sequence: r.sequence,
    source: 'SIMULATOR',
    time_source: 'DEVICE',
  };
}

/** A Ruuvi packet relayed by one gateway, as the adapter would expand it (for --output kafka). */
export function ruuviRecords(unit: RuuviUnit, delivery: RuuviDelivery): SensorReading[] {
  const d = unit.decoded;
  const metadata: Record<string, string> = { data_format: String(d.dataFormat) };
  if ('txPower' in d && d.txPower !== null) metadata.tx_power = String(d.txPower);
  const battery = 'batteryVoltage' in d ? d.batteryVoltage : null;
  const sequence = 'measurementSequence' in d ? d.measurementSequence : null;
  return unit.readings.map((r) => ({
    reading_id: r.reading_id,
    device_id: r.device_id,
    device_type: r.device_type,
    timestamp: new Date(r.timestamp_ms),
    value: r.value,
    unit: r.unit,
    location: null,
    battery_level: battery,
    signal_strength: delivery.rssi,
    firmware_version: null,
    is_anomaly: false,
    metadata,
    gateway_id: delivery.gatewayMac.toLowerCase(),
    measurement_sequence: sequence,
    source: 'RUUVI_GATEWAY',
    time_source: unit.gatewayTs === null ? 'ADAPTER' : 'GATEWAY',
  }));
}
