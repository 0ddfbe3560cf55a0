import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeRuuvi, RuuviDecodeError, RUUVI_ERROR_CODES, type RuuviMeasurement } from './index.js';

const vectors = JSON.parse(
  readFileSync(new URL('../../../firmware/test-vectors/ruuvi.json', import.meta.url), 'utf8'),
) as { valid: { input: string }[] };

const seeds = vectors.valid.map((v) => Uint8Array.from(Buffer.from(v.input.replace(/^0x/i, ''), 'hex')));

/** Every numeric field of a decoded record is a finite number or null; nothing else appears. */
function wellFormed(m: RuuviMeasurement): boolean {
  return Object.entries(m).every(([k, v]) => {
    if (v === null) return true;
    if (k === 'mac' || k === 'macSuffix')
      return typeof v === 'string' && /^[0-9a-f]{2}(:[0-9a-f]{2})*$/.test(v);
    if (k === 'calibrationInProgress') return typeof v === 'boolean';
    return typeof v === 'number' && Number.isFinite(v);
  });
}

/** Decodes or throws only the documented error; returns what happened. */
function attempt(bytes: Uint8Array): 'ok' | 'error' {
  try {
    const m = decodeRuuvi(bytes);
    if (!wellFormed(m)) throw new Error(`malformed record ${JSON.stringify(m)}`);
    return 'ok';
  } catch (e) {
    if (!(e instanceof RuuviDecodeError)) throw e;
    expect(RUUVI_ERROR_CODES).toContain(e.code);
    expect(e.message).not.toContain('\n');
    return 'error';
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(seed: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = Array.from(seed);
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'flip' && b.length > 0) b[at] = b[at]! ^ (1 << m.bit);
    else if (m.kind === 'set' && b.length > 0) b[at] = m.value;
    else if (m.kind === 'cut') b = b.slice(0, at);
    else if (m.kind === 'insert') b.splice(at, 0, m.value);
  }
  return Uint8Array.from(b);
}

describe('decoder robustness (fast-check)', () => {
  it('random bytes decode to a well-formed record or throw only RuuviDecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        attempt(bytes);
      }),
      { numRuns: 5000 },
    );
  });

  it('random hex-ish strings decode or throw only RuuviDecodeError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        try {
          decodeRuuvi(s);
        } catch (e) {
          expect(e).toBeInstanceOf(RuuviDecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated published vectors decode to a well-formed record or throw only RuuviDecodeError', () => {
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (seed, ms) => {
          outcomes.add(attempt(mutate(seed, ms)));
        },
      ),
      { numRuns: 5000 },
    );
    // The mutations must exercise both paths, or the property says little.
    expect([...outcomes].sort()).toEqual(['error', 'ok']);
  });

  it('any single-bit flip in a valid df5 payload still decodes (every bit pattern is meaningful)', () => {
    const seed = seeds.find((s) => s[0] === 5 && s.length === 24)!;
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 24 * 8 - 1 }), (bit) => {
        const b = Uint8Array.from(seed);
        b[bit >> 3] = b[bit >> 3]! ^ (1 << (bit & 7));
        expect(decodeRuuvi(b).dataFormat).toBe(5);
      }),
    );
  });
});
