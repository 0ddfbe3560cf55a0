import { z } from 'zod';
import type { SensorReading } from '../schema/index.js';
import { readingId } from '../schema/identity.js';
import { PayloadError } from './errors.js';
import { parseJsonBytes, validate } from './json.js';

/** The contract's batch limit: one MQTT message carries at most this many readings. */
export const MAX_SIMULATOR_BATCH = 1000;

const SimulatedReading = z.object({
  device_id: z.string().min(1).max(256),
  device_type: z.string().min(1).max(128),
  timestamp: z.iso.datetime({ offset: false }),
  value: z.number(),
  unit: z.string().max(32),
  sequence: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  battery_level: z.number().nullable().optional(),
  signal_strength: z.number().int().min(-2147483648).max(2147483647).nullable().optional(),
  firmware_version: z.string().nullable().optional(),
  location: z
    .object({
      latitude: z.number().min(-90).max(90).nullable(),
      longitude: z.number().min(-180).max(180).nullable(),
      building: z.string().nullable(),
      floor: z.number().int().min(-2147483648).max(2147483647).nullable(),
      zone: z.string().nullable(),
    })
    .nullable()
    .optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
});
type SimulatedReading = z.infer<typeof SimulatedReading>;

/**
 * The simulator's generic sensors on `iotpipe/sim/<anything>`: one JSON object or an array of
 * 1..1000 of them. The batch is all or nothing: one bad element sends the whole message to the
 * DLQ (its original bytes replay as one unit). Throws only PayloadError.
 */
export function parseSimulator(topic: string, bytes: Uint8Array): SensorReading[] {
  if (!topic.startsWith('iotpipe/sim/')) {
    throw new PayloadError('UNKNOWN_FORMAT', `topic ${topic} is not iotpipe/sim/...`);
  }
  const json = parseJsonBytes(bytes);
  const items = Array.isArray(json) ? json : [json];
  if (items.length === 0) throw new PayloadError('INVALID_BATCH', 'batch is empty');
  if (items.length > MAX_SIMULATOR_BATCH) {
    throw new PayloadError(
      'INVALID_BATCH',
      `batch of ${items.length} exceeds ${MAX_SIMULATOR_BATCH} readings`,
    );
  }
  return items.map((item, i) =>
    toReading(
      validate(
        SimulatedReading,
        item,
        Array.isArray(json) ? `simulated reading [${i}]` : 'simulated reading',
      ),
    ),
  );
}

function toReading(r: SimulatedReading): SensorReading {
  const timestamp = new Date(r.timestamp);
  return {
    reading_id: readingId(r.device_id, r.sequence, timestamp),
    device_id: r.device_id,
    device_type: r.device_type,
    timestamp,
    value: r.value,
    unit: r.unit,
    location: r.location ?? null,
    battery_level: r.battery_level ?? null,
    signal_strength: r.signal_strength ?? null,
    firmware_version: r.firmware_version ?? null,
    is_anomaly: false,
    metadata: r.metadata ? { ...r.metadata } : null,
    gateway_id: null,
    measurement_sequence: r.sequence,
    source: 'SIMULATOR',
    time_source: 'DEVICE',
  };
}
