import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, MigrationError, chooseFlavor, planMigrations } from './migrator.js';
import { classifyPostgresFailure } from '@iotpipe/runtime';

describe('planMigrations', () => {
  const files = ['0001_readings.native.sql', '0001_readings.timescale.sql', '0002_views.sql', 'README.md'];

  it('picks the flavour file where a version has two, the common file otherwise', () => {
    expect(planMigrations(files, 'native').map((m) => m.file)).toEqual([
      '0001_readings.native.sql',
      '0002_views.sql',
    ]);
    expect(planMigrations(files, 'timescale').map((m) => m.file)).toEqual([
      '0001_readings.timescale.sql',
      '0002_views.sql',
    ]);
  });

  it.each([
    [['0001_a.sql', '0003_b.sql'], /versions must be 1, 2, 3/],
    [['0001_a.native.sql'], /needs both .native.sql and .timescale.sql/],
    [['0001_a.sql', '0001_a.native.sql', '0001_a.timescale.sql'], /both a common file and flavour files/],
    [['0001_a.sql', '0001_b.native.sql'], /two names/],
    [['1_a.sql'], /is not named NNNN_name/],
  ])('rejects a malformed set %j', (set, message) => {
    expect(() => planMigrations(set, 'native')).toThrow(MigrationError);
    expect(() => planMigrations(set, 'native')).toThrow(message);
  });

  it('the shipped migrations form a valid plan for both flavours, each opening a fresh object set', () => {
    const shipped = readdirSync(MIGRATIONS_DIR);
    const native = planMigrations(shipped, 'native');
    const timescale = planMigrations(shipped, 'timescale');
    expect(native.length).toBe(timescale.length);
    expect(native.length).toBeGreaterThanOrEqual(4);
    // Both flavours create the objects the README's queries and the sink use.
    for (const plan of [native, timescale]) {
      const sql = plan.map((m) => readFileSync(join(MIGRATIONS_DIR, m.file), 'utf8')).join('\n');
      for (const name of [
        'sensor_readings',
        'sensor_readings_archive',
        'sensor_readings_hourly',
        'sensor_readings_daily',
        'device_summary',
        'recent_sensor_readings',
        'anomalous_sensor_readings',
        'iotpipe_maintain',
        'iotpipe_refresh_aggregates',
        'sensor_readings_natural_key',
      ]) {
        expect(sql, name).toMatch(new RegExp(`\\b${name}\\b`));
      }
    }
  });
});

describe('chooseFlavor', () => {
  const none = { installed: false, preloaded: false };
  const filesOnly = { installed: true, preloaded: false };
  const ready = { installed: true, preloaded: true };

  it('auto takes TimescaleDB where it is installed and plain PostgreSQL where it is not', () => {
    expect(chooseFlavor('auto', none)).toBe('native');
    expect(chooseFlavor('auto', ready)).toBe('timescale');
  });

  it('native is taken anywhere, timescale only where the server runs it', () => {
    expect(chooseFlavor('native', ready)).toBe('native');
    expect(chooseFlavor('native', filesOnly)).toBe('native');
    expect(chooseFlavor('timescale', ready)).toBe('timescale');
    expect(() => chooseFlavor('timescale', none)).toThrow(/has no TimescaleDB extension: install it/);
  });

  it.each(['auto', 'timescale'] as const)(
    '%s on a server with the extension files but no preload stops with the fix, in one line',
    (choice) => {
      let message = '';
      try {
        chooseFlavor(choice, filesOnly);
      } catch (err) {
        expect(err).toBeInstanceOf(MigrationError);
        message = (err as Error).message;
      }
      expect(message).toMatch(
        /^TimescaleDB is installed but the server does not preload it: add shared_preload_libraries = 'timescaledb' .* POSTGRES_FLAVOR=native/,
      );
      expect(message).not.toContain('\n');
    },
  );

  it('a migrated database keeps its flavour; an explicit choice against it is refused', () => {
    expect(chooseFlavor('auto', ready, 'native')).toBe('native');
    expect(chooseFlavor('auto', none, 'native')).toBe('native');
    expect(chooseFlavor('timescale', ready, 'timescale')).toBe('timescale');
    expect(() => chooseFlavor('timescale', ready, 'native')).toThrow(
      /migrated with the native flavour; POSTGRES_FLAVOR=timescale cannot change it/,
    );
    expect(() => chooseFlavor('native', ready, 'timescale')).toThrow(MigrationError);
  });

  it('a TimescaleDB database on a server that stopped preloading the library names the fix', () => {
    expect(() => chooseFlavor('auto', filesOnly, 'timescale')).toThrow(
      /^TimescaleDB is installed but the server does not preload it: add shared_preload_libraries = 'timescaledb'/,
    );
  });
});

describe('classifyPostgresFailure', () => {
  const pg = (code: string, severity = 'ERROR') => Object.assign(new Error('x'), { code, severity });
  it.each([
    ['23505', 'permanent'],
    ['23514', 'permanent'],
    ['22P02', 'permanent'],
    ['22021', 'permanent'],
    ['08006', 'temporary'],
    ['57P01', 'temporary'],
    ['40001', 'temporary'],
    ['40P01', 'temporary'],
    ['53300', 'temporary'],
    ['55P03', 'temporary'],
    // A deployment problem (no table, no permission): retried, not dropped.
    ['42P01', 'temporary'],
    ['42501', 'temporary'],
  ])('SQLSTATE %s is %s', (code, kind) => {
    expect(classifyPostgresFailure(pg(code))).toBe(kind);
  });

  it('socket and postgres.js connection errors are temporary', () => {
    expect(
      classifyPostgresFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe('temporary');
    expect(
      classifyPostgresFailure(
        Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' }),
      ),
    ).toBe('temporary');
  });
});
