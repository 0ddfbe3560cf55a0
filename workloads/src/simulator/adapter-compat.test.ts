import { describe, expect, it } from 'vitest';
import { formatOfTopic, parsePayload } from '../sources/index.js';
import type { SimUnit } from './devices.js';
import { ReadingGenerator } from './generator.js';
import { manifestDigest, type ManifestReading } from './manifest.js';
import { mqttMessages, type SendableUnit } from './outputs.js';
import { generatorOptions } from './testing.js';

// The simulator and the adapter meet only at the MQTT payloads: run the simulator's messages
// through the adapter's own (pure) parsers and check the readings are those of the manifest.
describe('simulator MQTT messages, parsed by the adapter', () => {
  const units: SimUnit[] = [];
  const gen = new ReadingGenerator(
    generatorOptions({ numDevices: 40, ruuviTags: 6, anomalyProbability: 0.1 }),
  );
  for (let i = 0; i < 46 * 40; i++) units.push(gen.next());
  const sendable = units.filter((u): u is SendableUnit => u.kind !== 'dropout');
  const expected: ManifestReading[] = sendable.flatMap((u) =>
    u.kind === 'ruuvi'
      ? u.readings
      : [
          {
            reading_id: `${u.reading.device_id}#${u.reading.sequence}`,
            device_id: u.reading.device_id,
            device_type: u.reading.device_type,
            unit: u.reading.unit,
            timestamp_ms: u.reading.timestamp_ms,
            value: u.reading.value,
            anomaly: u.anomaly,
          },
        ],
  );

  it.each([1, 7, 1000])('batch size %i: same readings, ids, values and digest', (batchSize) => {
    const messages = mqttMessages(sendable, {
      batchSize,
      mqttTopicPrefix: 'iotpipe/sim',
      ruuviTopicPrefix: 'ruuvi',
    });
    const receivedAt = new Date(0); // would show up in timestamps if any reading lacked a time
    const parsed = messages.flatMap((m) => {
      const format = formatOfTopic(m.topic);
      if (format === 'gateway_status') throw new Error(`unexpected status topic ${m.topic}`);
      return parsePayload(format, m.topic, Buffer.from(m.payload), receivedAt);
    });
    const unique = new Map(parsed.map((r) => [`${r.reading_id}|${r.timestamp.getTime()}`, r]));
    expect(parsed.length).toBeGreaterThan(unique.size); // second-gateway copies
    expect(unique.size).toBe(expected.length);
    const rows = [...unique.values()].map((r) => ({
      reading_id: r.reading_id,
      timestamp_ms: r.timestamp.getTime(),
      value: r.value,
    }));
    expect(manifestDigest(rows)).toBe(manifestDigest(expected));
    for (const r of unique.values()) {
      expect(r.time_source).toBe(r.source === 'SIMULATOR' ? 'DEVICE' : 'GATEWAY');
      expect(r.device_id.startsWith('sim-') ? 'SIMULATOR' : 'RUUVI_GATEWAY').toBe(r.source);
    }
    if (batchSize > 1) expect(messages.some((m) => m.payload.startsWith('['))).toBe(true);
    else expect(messages.some((m) => m.payload.startsWith('['))).toBe(false);
  });
});
