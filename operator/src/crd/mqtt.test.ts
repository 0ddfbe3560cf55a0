import { describe, expect, it } from 'vitest';
import { filterCoversSimulator, topicMatches } from './mqtt.js';
import { SIMULATOR_PREFIXES, TOPIC_FILTERS } from './mqtt-cases.js';

/** Topics the simulator publishes under a prefix (device ids hold ':' and '_', never '/'). */
const published = (prefix: string) => [
  `${prefix}/c6:8d:c6:26:39:a6_temperature`,
  `${prefix}/sim-0001_humidity`,
  `${prefix}/batch`,
];

describe('topicMatches (MQTT 5.0 4.7)', () => {
  it.each([
    ['#', 'a/b', true],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/+', 'a', false],
    ['+/+', 'a/b', true],
    ['+', '/a', false],
    ['+/a', '/a', true],
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
  ])('%s matches %s: %s', (filter, topic, want) => {
    expect(topicMatches(filter, topic)).toBe(want);
  });
});

describe('filterCoversSimulator', () => {
  it('accepts + and # levels that match the prefix (the issue: +/sim/# covers site1/sim)', () => {
    expect(filterCoversSimulator('+/sim/#', 'site1/sim')).toBe(true);
    expect(filterCoversSimulator('site1/sim/+', 'site1/sim')).toBe(true);
    expect(filterCoversSimulator('+/+/+', 'site1/sim')).toBe(true);
    expect(filterCoversSimulator('site1/+', 'site1/sim')).toBe(false);
    expect(filterCoversSimulator('site1/sim', 'site1/sim')).toBe(false);
    expect(filterCoversSimulator('#', '$sys/sim')).toBe(false);
  });

  it('is exactly "matches every topic the simulator publishes" over the matrix', () => {
    for (const prefix of SIMULATOR_PREFIXES) {
      for (const filter of TOPIC_FILTERS) {
        const all = published(prefix).every((t) => topicMatches(filter, t));
        expect(filterCoversSimulator(filter, prefix), `${filter} vs ${prefix}`).toBe(all);
      }
    }
  });

  it('agrees with topicMatches on random filters and prefixes (fuzz)', () => {
    let seed = 21;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const words = ['a', 'b', 'sim', '', '$x'];
    for (let n = 0; n < 5000; n++) {
      const prefix = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(words)).join('/');
      if (prefix.endsWith('/') || prefix === '') continue;
      const levels = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick([...words, '+', '+']));
      if (random() < 0.4) levels.push('#');
      const filter = levels.join('/');
      const all = published(prefix).every((t) => topicMatches(filter, t));
      expect(filterCoversSimulator(filter, prefix), `${filter} vs ${prefix}`).toBe(all);
    }
  });
});
