import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeRuuvi, RuuviDecodeError, RUUVI_ERROR_CODES, type RuuviMeasurement } from './index.js';

interface ValidVector {
  name: string;
  input: string;
  mac?: string;
  expected: Record<string, number | string | boolean | null>;
}
interface InvalidVector {
  name: string;
  input: string;
  mac?: string;
  error: string;
}
interface VectorFile {
  valid: ValidVector[];
  invalid: InvalidVector[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../firmware/test-vectors/ruuvi.json', import.meta.url), 'utf8'),
) as VectorFile;

const RELATIVE_TOLERANCE = 1e-9;

function assertMatches(actual: RuuviMeasurement, expected: ValidVector['expected']): void {
  const got = actual as unknown as Record<string, unknown>;
  expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
  for (const [key, want] of Object.entries(expected)) {
    const have = got[key];
    if (typeof want === 'number') {
      expect(typeof have, key).toBe('number');
      expect(Math.abs((have as number) - want), key).toBeLessThanOrEqual(
        RELATIVE_TOLERANCE * Math.max(1, Math.abs(want)),
      );
    } else {
      expect(have, key).toStrictEqual(want);
    }
  }
}

describe('shared Ruuvi vectors (firmware/test-vectors/ruuvi.json)', () => {
  it('covers every data format and every error code', () => {
    const formats = new Set(vectors.valid.map((v) => v.expected.dataFormat));
    expect([...formats].sort((a, b) => Number(a) - Number(b))).toEqual([3, 5, 6, 225]);
    const codes = new Set(vectors.invalid.map((v) => v.error));
    expect([...codes].sort()).toEqual([...RUUVI_ERROR_CODES].sort());
  });

  it.each(vectors.valid.map((v) => [v.name, v] as const))('decodes %s', (_name, v) => {
    assertMatches(decodeRuuvi(v.input, { mac: v.mac }), v.expected);
  });

  it.each(vectors.invalid.map((v) => [v.name, v] as const))('rejects %s', (_name, v) => {
    let caught: unknown;
    try {
      decodeRuuvi(v.input, { mac: v.mac });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(RuuviDecodeError);
    const err = caught as RuuviDecodeError;
    expect(err.code).toBe(v.error);
    expect(err.message.startsWith(`${v.error}: `)).toBe(true);
    expect(err.message).not.toContain('\n');
  });
});
