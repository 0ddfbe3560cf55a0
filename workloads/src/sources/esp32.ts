import { z } from 'zod';
import type { RuuviFormat5 } from '../ruuvi/index.js';
import type { SensorReading } from '../schema/index.js';
import { PayloadError } from './errors.js';
import { parseJsonBytes, validate } from './json.js';
import { mac } from './ruuvi-gateway.js';
import { expandRuuvi, rssiField, rssiOrUnknown } from './ruuvi-readings.js';

const optionalNumber = z.number().nullable().optional();

/**
 * The original ESP32 firmware's decoded JSON on `ruuvitag/data`: one tag's values in the
 * Avro record's units (°C, %, Pa, g, V, dBm). `timestamp` (unix seconds) only when the ESP32
 * clock is synced; `sequence` only for format 5 tags.
 */
const Esp32Message = z.object({
  mac: z.string(),
  temperature: optionalNumber,
  humidity: optionalNumber,
  pressure: optionalNumber,
  acceleration_x: optionalNumber,
  acceleration_y: optionalNumber,
  acceleration_z: optionalNumber,
  battery: optionalNumber,
  tx_power: optionalNumber,
  movement_counter: z.number().int().nullable().optional(),
  sequence: z.number().int().min(0).nullable().optional(),
  rssi: rssiField.nullable().optional(),
  gateway_id: z.string().min(1).nullable().optional(),
  timestamp: z.number().int().min(0).optional(),
});

/** An ESP32 gateway message -> readings. Throws only PayloadError. */
export function parseEsp32(topic: string, bytes: Uint8Array, receivedAt: Date): SensorReading[] {
  if (topic !== 'ruuvitag/data')
    throw new PayloadError('UNKNOWN_FORMAT', `topic ${topic} is not ruuvitag/data`);
  const msg = validate(Esp32Message, parseJsonBytes(bytes), 'ESP32 message');
  const tagMac = mac(msg.mac, 'mac');
  const n = (v: number | null | undefined) => (v === undefined ? null : v);
  const packet: RuuviFormat5 = {
    dataFormat: 5,
    mac: tagMac,
    temperature: n(msg.temperature),
    humidity: n(msg.humidity),
    pressure: n(msg.pressure),
    accelerationX: n(msg.acceleration_x),
    accelerationY: n(msg.acceleration_y),
    accelerationZ: n(msg.acceleration_z),
    batteryVoltage: n(msg.battery),
    txPower: n(msg.tx_power),
    movementCounter: n(msg.movement_counter),
    measurementSequence: n(msg.sequence),
  };
  const stamped = msg.timestamp !== undefined;
  return expandRuuvi(packet, {
    tagMac,
    gatewayId: msg.gateway_id ?? null,
    rssi: rssiOrUnknown(msg.rssi),
    timestamp: stamped ? new Date(msg.timestamp! * 1000) : receivedAt,
    timeSource: stamped ? 'GATEWAY' : 'ADAPTER',
    source: 'ESP32_GATEWAY',
  });
}
