import { DEFAULT_READINGS_TABLE, READINGS_TABLE_PATTERN } from '@iotpipe/contract';
import type { DbFlavor } from './migrator.js';

/**
 * The DDL of a readings table other than sensor_readings (an IoTPipeline's `sink.table`): the
 * same columns, defaults, constraints, indexes and time partitioning as sensor_readings (a
 * hypertable with daily chunks, or daily range partitioning with a DEFAULT partition), made from
 * sensor_readings itself, so it follows the migrations. What stays with sensor_readings only:
 * the views (recent_sensor_readings ...), the hourly and daily aggregates, the archive and the
 * maintenance (partitions ahead, compression, retention): README "Database".
 * Idempotent; pure (the migrator runs it under its lock, after the migrations).
 */
export function readingsTableDdl(table: string, flavor: DbFlavor): string {
  if (!new RegExp(READINGS_TABLE_PATTERN).test(table) || table === DEFAULT_READINGS_TABLE)
    throw new RangeError(`'${table}' is not a readings table name other than ${DEFAULT_READINGS_TABLE}`);
  if (flavor === 'timescale') {
    return `
      CREATE TABLE IF NOT EXISTS "${table}" (LIKE sensor_readings INCLUDING ALL);
      SELECT create_hypertable('"${table}"', 'timestamp', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE);`;
  }
  return `
    CREATE TABLE IF NOT EXISTS "${table}" (LIKE sensor_readings INCLUDING ALL) PARTITION BY RANGE ("timestamp");
    CREATE TABLE IF NOT EXISTS "${table}_default" PARTITION OF "${table}" DEFAULT;`;
}
