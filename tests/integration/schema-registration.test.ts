import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AvroSerializer } from '../../workloads/src/kafka/avro.js';
import { stackEndpoints, uniqueName } from '../support/stack.js';

const schemaText = readFileSync(
  new URL('../../workloads/src/schema/sensor_reading.avsc', import.meta.url),
  'utf8',
);
const registry = stackEndpoints.registryUrl;

const serializerFor = (subject: string) =>
  AvroSerializer.forUrl<unknown>(registry, subject, schemaText, (v) => v);

async function subjectLevel(subject: string): Promise<string> {
  const res = await fetch(`${registry}/config/${subject}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { compatibilityLevel: string }).compatibilityLevel;
}

describe('schema registration against the registry', () => {
  // Stages of one pipeline start together and all register the same subjects (every stage
  // writes the DLQ): the registry sees first registrations race with setting the level.
  it('eight stages registering a new subject at once all start, with one id, and the subject ends BACKWARD', async () => {
    for (let round = 0; round < 60; round++) {
      const subject = `${uniqueName('race')}-value`;
      // Spread the starts over a few tens of ms so that some land inside another's registration.
      const ids = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          await new Promise((r) => setTimeout(r, i * 4 * Math.random()));
          return serializerFor(subject).start();
        }),
      );
      expect(new Set(ids).size, `round ${round}: ids ${ids.join(',')}`).toBe(1);
      expect(await subjectLevel(subject)).toBe('BACKWARD');
    }
  });

  it('a subject whose owner set another level keeps it, and the stage starts', async () => {
    const subject = `${uniqueName('owned')}-value`;
    const first = await serializerFor(subject).start();
    const put = await fetch(`${registry}/config/${subject}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ compatibility: 'FULL' }),
    });
    expect(put.status).toBe(200);
    expect(await serializerFor(subject).start()).toBe(first);
    expect(await subjectLevel(subject)).toBe('FULL');
  });
});
