import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/common.js';
import { loadSinkConfig } from './config.js';
import { RecordDecodeError, toReading } from './decoder.js';
import { isPostgresClosedSocketError } from './store.js';

describe('loadSinkConfig', () => {
  it('has defaults that work on the local stack', () => {
    const c = loadSinkConfig({});
    expect(c).toMatchObject({
      batchSize: 5000,
      partitionsConcurrently: 3,
      commitIntervalMs: 5000,
      groupId: 'iotpipe-sink',
      archiveAfterDays: 30,
      retentionDays: 90,
      schemaFlavor: 'auto',
      metricsPort: 8003,
    });
    expect(c.connection.databaseUrl).toBe('postgres://iot_user:iot_password@127.0.0.1:5432/iot_data');
  });

  it('reads the README variables', () => {
    const c = loadSinkConfig({
      DATA_SINK_BATCH_SIZE: '50',
      DATA_SINK_COMMIT_INTERVAL: '2.5',
      SINK_GROUP_ID: 'g',
      POSTGRES_ARCHIVE_AFTER_DAYS: '7',
      POSTGRES_RETENTION_DAYS: '14',
      SINK_MAINTENANCE_INTERVAL: '60',
      SINK_METRICS_PORT: '0',
      POSTGRES_FLAVOR: 'native',
    });
    expect(c).toMatchObject({
      batchSize: 50,
      commitIntervalMs: 2500,
      groupId: 'g',
      archiveAfterDays: 7,
      retentionDays: 14,
      maintenanceIntervalMs: 60_000,
      metricsPort: 0,
      schemaFlavor: 'native',
    });
  });

  it.each([
    [{ DATA_SINK_BATCH_SIZE: '0' }, 'DATA_SINK_BATCH_SIZE'],
    [{ DATA_SINK_BATCH_SIZE: 'many' }, 'DATA_SINK_BATCH_SIZE'],
    [{ SINK_PARTITIONS_CONCURRENTLY: '0' }, 'SINK_PARTITIONS_CONCURRENTLY'],
    [{ DATA_SINK_COMMIT_INTERVAL: '-1' }, 'DATA_SINK_COMMIT_INTERVAL'],
    [{ POSTGRES_ARCHIVE_AFTER_DAYS: '30', POSTGRES_RETENTION_DAYS: '10' }, 'POSTGRES_RETENTION_DAYS'],
    [{ SINK_METRICS_PORT: '70000' }, 'SINK_METRICS_PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ POSTGRES_FLAVOR: 'timescaledb' }, 'POSTGRES_FLAVOR'],
  ])('a bad value %j fails naming %s', (env, variable) => {
    expect(() => loadSinkConfig(env)).toThrow(ConfigError);
    expect(() => loadSinkConfig(env)).toThrow(variable);
  });
});

describe('decoded records', () => {
  it('timestamp-millis becomes a Date; an impossible time is a permanent INVALID_READING', () => {
    const raw = { timestamp: 1_764_223_200_000 } as Parameters<typeof toReading>[0];
    expect(toReading(raw).timestamp.toISOString()).toBe('2025-11-27T06:00:00.000Z');
    const bad = { timestamp: 9e15 } as Parameters<typeof toReading>[0];
    expect(() => toReading(bad)).toThrow(RecordDecodeError);
  });
});

describe('isPostgresClosedSocketError', () => {
  it('recognises only the postgres.js null-socket TypeError', () => {
    const e = new TypeError("Cannot read properties of null (reading 'write')");
    e.stack = `${e.message}\n    at nextWrite (file:///x/node_modules/postgres/src/connection.js:255:22)`;
    expect(isPostgresClosedSocketError(e)).toBe(true);
    const other = new TypeError("Cannot read properties of null (reading 'write')");
    other.stack = `${other.message}\n    at mine (file:///x/workloads/dist/sink/sink.js:1:1)`;
    expect(isPostgresClosedSocketError(other)).toBe(false);
    expect(isPostgresClosedSocketError(new Error('x'))).toBe(false);
  });
});
