import { z } from 'zod';
import {
  decodeRuuvi,
  normalizeMac,
  RuuviDecodeError,
  type RuuviFormat5,
  type RuuviMeasurement,
} from '../ruuvi/index.js';
import type { SensorReading } from '../schema/index.js';
import { PayloadError } from './errors.js';
import { oneLine, parseJsonBytes, validate } from './json.js';
import { expandRuuvi, rssiField, rssiOrUnknown } from './ruuvi-readings.js';
import { DEFAULT_RUUVI_TOPIC_PREFIX, splitRuuviTopic } from './ruuvi-topic.js';

/** Unix seconds as the gateway writes them: a digit string or a number. */
const unixSeconds = z.union([
  z.string().regex(/^\d{1,12}$/, 'expected unix seconds'),
  z.number().int().min(0),
]);
const optionalNumber = z.number().nullable().optional();

/**
 * The Ruuvi Gateway's MQTT JSON (docs.ruuvi.com "MQTT: Data from Bluetooth-sensors"), and the
 * same with the gateway's decoded fields instead of (or besides) the raw `data`.
 */
const RuuviGatewayMessage = z.object({
  gw_mac: z.string(),
  rssi: rssiField,
  aoa: z.array(z.unknown()).optional(),
  gwts: unixSeconds.optional(),
  ts: unixSeconds.optional(),
  // Without a synced clock the gateway counts advertisements instead (no ts); not needed here.
  cnt: z.union([z.string().regex(/^\d{1,10}$/, 'expected a counter'), z.number().int().min(0)]).optional(),
  data: z.string().min(1).optional(),
  coords: z.string().optional(),
  dataFormat: z.number().int().optional(),
  temperature: optionalNumber,
  humidity: optionalNumber,
  pressure: optionalNumber,
  accelX: optionalNumber,
  accelY: optionalNumber,
  accelZ: optionalNumber,
  movementCounter: z.number().int().nullable().optional(),
  voltage: optionalNumber,
  txPower: optionalNumber,
  measurementSequenceNumber: z.number().int().min(0).nullable().optional(),
});
type RuuviGatewayMessage = z.infer<typeof RuuviGatewayMessage>;

export interface RuuviGatewayTopic {
  gatewayMac: string;
  tagMac: string;
}

/** `<prefix>/<gateway mac>/<tag mac>` (after any test prefix was stripped). */
export function parseRuuviGatewayTopic(
  topic: string,
  prefix = DEFAULT_RUUVI_TOPIC_PREFIX,
): RuuviGatewayTopic {
  const parts = splitRuuviTopic(topic, prefix);
  if (!parts) {
    throw new PayloadError('UNKNOWN_FORMAT', `topic ${topic} is not ${prefix}/<gateway mac>/<tag mac>`);
  }
  return {
    gatewayMac: mac(parts.gateway, 'gateway MAC in topic'),
    tagMac: mac(parts.last, 'tag MAC in topic'),
  };
}

/**
 * A Ruuvi Gateway message -> readings. `ts` (seconds) is present only when the gateway clock is
 * synced: then it is the reading's time (GATEWAY); else the adapter's receive time (ADAPTER).
 * Throws only PayloadError.
 */
export function parseRuuviGateway(
  topic: string,
  bytes: Uint8Array,
  receivedAt: Date,
  prefix = DEFAULT_RUUVI_TOPIC_PREFIX,
): SensorReading[] {
  const { tagMac } = parseRuuviGatewayTopic(topic, prefix);
  const msg = validate(RuuviGatewayMessage, parseJsonBytes(bytes), 'Ruuvi Gateway message');
  const gatewayId = mac(msg.gw_mac, 'gw_mac');
  const packet = msg.data !== undefined ? decodeRaw(msg.data, tagMac) : fromDecodedFields(msg, tagMac);
  const ts = msg.ts === undefined ? null : Number(msg.ts) * 1000;
  return expandRuuvi(packet, {
    tagMac,
    gatewayId,
    rssi: rssiOrUnknown(msg.rssi),
    timestamp: ts === null ? receivedAt : new Date(ts),
    timeSource: ts === null ? 'ADAPTER' : 'GATEWAY',
    source: 'RUUVI_GATEWAY',
  });
}

function decodeRaw(hex: string, tagMac: string): RuuviMeasurement {
  try {
    return decodeRuuvi(hex, { mac: tagMac });
  } catch (e) {
    if (e instanceof RuuviDecodeError)
      throw new PayloadError('UNDECODABLE_RAW', oneLine(`data: ${e.message}`));
    throw e;
  }
}

/** The gateway's decoded variant: treated as a format 5 packet with the fields it carries. */
function fromDecodedFields(msg: RuuviGatewayMessage, tagMac: string): RuuviFormat5 {
  if (msg.dataFormat === undefined) {
    throw new PayloadError('SCHEMA_MISMATCH', 'Ruuvi Gateway message has neither data nor dataFormat');
  }
  const n = (v: number | null | undefined) => (v === undefined ? null : v);
  return {
    dataFormat: 5,
    mac: tagMac,
    temperature: n(msg.temperature),
    humidity: n(msg.humidity),
    pressure: n(msg.pressure),
    accelerationX: n(msg.accelX),
    accelerationY: n(msg.accelY),
    accelerationZ: n(msg.accelZ),
    batteryVoltage: n(msg.voltage),
    txPower: n(msg.txPower),
    movementCounter: n(msg.movementCounter),
    measurementSequence: n(msg.measurementSequenceNumber),
  };
}

export function mac(raw: string, what: string): string {
  try {
    return normalizeMac(raw);
  } catch {
    throw new PayloadError('INVALID_MAC', oneLine(`${what} ${JSON.stringify(raw)} is not a MAC address`));
  }
}
