import type { DeadLetter, SensorReading } from '../schema/index.js';

/** SensorReading -> the shape avsc encodes (timestamp-millis as epoch millis). */
export function sensorReadingToAvro(r: SensorReading): unknown {
  return { ...r, timestamp: r.timestamp.getTime() };
}

export function deadLetterToAvro(d: DeadLetter): unknown {
  return { ...d, received_at: d.received_at.getTime() };
}
