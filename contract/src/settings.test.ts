import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import {
  duration,
  int,
  listOf,
  readSettings,
  settingsEnv,
  type AnySetting,
  type SettingGroup,
} from './settings.js';
import {
  ADAPTER,
  CONNECTION,
  DATABASE_ROLES,
  PROCESSOR,
  PROCESSOR_RULES,
  SIMULATOR,
  SINK,
  decodeThresholds,
} from './stages.js';

const GROUPS: Record<string, SettingGroup> = {
  CONNECTION,
  ADAPTER,
  SINK,
  PROCESSOR,
  PROCESSOR_RULES,
  SIMULATOR,
  DATABASE_ROLES,
};

describe('the stages’ settings', () => {
  const all = Object.entries(GROUPS).flatMap(([g, group]) =>
    Object.entries(group).map(([key, s]) => [`${g}.${key}`, s] as [string, AnySetting]),
  );

  it('each variable is declared once, over every group', () => {
    const seen = new Map<string, string>();
    for (const [name, s] of all) {
      expect(seen.get(s.env), `${s.env}: ${name} and ${seen.get(s.env)}`).toBeUndefined();
      seen.set(s.env, name);
    }
  });

  it.each(all)('%s: has a one-line doc, and its default written and read back is itself', (_name, s) => {
    expect(s.doc.length).toBeGreaterThan(5);
    expect(s.doc).not.toContain('\n');
    const text = (s.format as (v: unknown) => string)(s.default);
    if (text !== '') expect(s.parse(text)).toEqual(s.default);
  });

  it('readSettings gives the defaults for unset or empty variables', () => {
    const sink = readSettings(SINK, { SINK_TABLE: '' });
    expect(sink.table).toBe('sensor_readings');
    expect(sink.commitIntervalMs).toBe(5000);
    expect(readSettings(PROCESSOR_RULES, {}).thresholds).toEqual({});
  });

  it('a bad value fails naming the field (with its prefix) and the variable', () => {
    expect(() => readSettings(SINK, { SINK_TABLE: 'Readings; drop table x' })).toThrow(ConfigError);
    try {
      readSettings(PROCESSOR_RULES, { PROCESSOR_WINDOW: '1' }, 'rules.');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect(e).toMatchObject({ field: 'rules.window', envVar: 'PROCESSOR_WINDOW' });
      expect((e as Error).message).toBe(
        "invalid config rules.window (PROCESSOR_WINDOW): '1' is not an integer in 2..1000000",
      );
    }
  });

  it('settingsEnv writes what readSettings reads: values and Secret references, in declaration order', () => {
    const env = settingsEnv(SINK, {
      table: 'greenhouse',
      commitIntervalMs: 250,
      batchSize: 10,
    });
    expect(env).toEqual([
      { name: 'SINK_TABLE', value: 'greenhouse' },
      { name: 'DATA_SINK_BATCH_SIZE', value: '10' },
      { name: 'DATA_SINK_COMMIT_INTERVAL', value: '0.25' },
    ]);
    const read = readSettings(SINK, Object.fromEntries(env.map((e) => [e.name, e.value])));
    expect(read).toMatchObject({ table: 'greenhouse', commitIntervalMs: 250, batchSize: 10 });
    expect(settingsEnv(CONNECTION, { databaseUrl: { secretKeyRef: { name: 'db', key: 'url' } } })).toEqual([
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url' } } },
    ]);
  });
});

describe('setting kinds', () => {
  it('int: any integer in range round-trips; anything else is refused', () => {
    const s = int({ env: 'X', doc: 'an x', default: 1, min: -5, max: 500 });
    fc.assert(fc.property(fc.integer({ min: -5, max: 500 }), (n) => s.parse(s.format(n)) === n));
    for (const bad of ['1.5', '501', '-6', 'x', '0x10z', 'Infinity']) expect(() => s.parse(bad)).toThrow();
  });

  it('duration: the variable in its unit, the value in ms', () => {
    const s = duration({ env: 'X', doc: 'an x', unit: 'min', default: 2, min: 1, max: 60 });
    expect(s.default).toBe(120_000);
    expect(s.parse('1.5')).toBe(90_000);
    expect(s.format(90_000)).toBe('1.5');
    expect(() => s.parse('0.5')).toThrow(/0.5/);
  });

  it('listOf: a subset of the choices; an unknown item or an empty list is refused', () => {
    const s = listOf({ env: 'X', doc: 'an x', default: ['a'], choices: ['a', 'b'] as const });
    expect(s.parse(' b , a ')).toEqual(['b', 'a']);
    expect(() => s.parse('a,c')).toThrow("'c' is not one of a, b");
    expect(() => s.parse(' , ')).toThrow('empty list');
  });
});

describe('PROCESSOR_THRESHOLDS', () => {
  it('reads bands by measurement', () => {
    expect(decodeThresholds({ temperature: { min: -10, max: 40 }, humidity: { max: 90 } })).toEqual({
      temperature: { min: -10, max: 40 },
      humidity: { max: 90 },
    });
  });

  it.each([
    [[], 'JSON object'],
    [{ t: 5 }, 't: must be an object'],
    [{ t: {} }, 't: needs min or max'],
    [{ t: { min: 'a' } }, 't.min: must be a number'],
    [{ t: { min: 5, max: 5 } }, 't: min must be less than max'],
    [{ t: { max: 5, above: 1 } }, 't: unknown key above'],
  ])('%j is refused: %s', (value, reason) => {
    expect(() => decodeThresholds(value)).toThrow(reason);
  });

  it('a variable that is not JSON fails naming it', () => {
    expect(() => readSettings(PROCESSOR_RULES, { PROCESSOR_THRESHOLDS: '{temperature' })).toThrow(
      /PROCESSOR_THRESHOLDS.*is not JSON/,
    );
  });
});
