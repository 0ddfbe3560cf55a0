import { ConfigError, EnvReader, loadConnectionConfig, type ConnectionConfig } from '../config/common.js';
import { FLAVOR_CHOICES, type FlavorChoice } from '../db/migrator.js';

export interface SinkConfig {
  readonly connection: ConnectionConfig;
  /** Rows per database transaction (one COPY + one INSERT ... SELECT). */
  readonly batchSize: number;
  /**
   * Partitions written at once, each in its own transaction on its own database connection.
   * Safe for exactly-once: a device's records share one partition (key = device_id), so two
   * concurrent transactions never hold the same reading, and each partition's offsets are
   * still committed only after its own transaction committed.
   */
  readonly partitionsConcurrently: number;
  /**
   * The longest the broker holds a fetch that has fewer than `fetchMinBytes`: the longest a record
   * waits before it is written under light traffic. Kafka offsets are committed after every
   * database commit, so a crash replays at most one batch.
   */
  readonly commitIntervalMs: number;
  /**
   * Bytes a fetch waits for (up to the commit interval). 1 by default: whatever arrived is
   * written at once, and batches grow with the load, since records pile up while the previous
   * batch is being written. A larger value trades latency for fuller batches under light traffic.
   */
  readonly fetchMinBytes: number;
  readonly groupId: string;
  readonly clientId: string;
  /** How long the group waits for a silent member (a killed sink) before reassigning its partitions. */
  readonly sessionTimeoutMs: number;
  /** The schema flavour the migrations create (see chooseFlavor in db/migrator.ts). */
  readonly schemaFlavor: FlavorChoice;
  readonly archiveAfterDays: number;
  readonly retentionDays: number;
  /** How often iotpipe_maintain() runs: partitions ahead, aggregates, archive, retention. */
  readonly maintenanceIntervalMs: number;
  readonly partitionsAheadDays: number;
  readonly metricsPort: number;
  readonly metricsHost: string;
  /** A database write not finished in this time is abandoned as a lost connection and retried. */
  readonly writeTimeoutMs: number;
  /** Cap of the exponential backoff while the database (or registry, or DLQ) is unavailable. */
  readonly retryMaxBackoffMs: number;
  /** Read from the beginning when the group has no committed offset (no reading left behind). */
  readonly fromBeginning: boolean;
}

/**
 * Every setting from the environment with a default that works on the local stack; validated
 * here, before any connection, so a bad value fails at start naming the field and variable.
 */
export function loadSinkConfig(env: NodeJS.ProcessEnv = process.env): SinkConfig {
  const r = new EnvReader(env);
  const connection = loadConnectionConfig(env);
  const archiveAfterDays = r.int('archiveAfterDays', 'POSTGRES_ARCHIVE_AFTER_DAYS', 30, 1, 36_500);
  const retentionDays = r.int('retentionDays', 'POSTGRES_RETENTION_DAYS', 90, 1, 36_500);
  if (retentionDays < archiveAfterDays) {
    throw new ConfigError(
      'retentionDays',
      'POSTGRES_RETENTION_DAYS',
      `${retentionDays} is less than POSTGRES_ARCHIVE_AFTER_DAYS (${archiveAfterDays}); archived rows are kept until then`,
    );
  }
  return {
    connection,
    // 5000, not the original 50: a transaction costs a handful of round trips and a commit
    // (fsync) whatever its size. bench/stages.ts, one run, the same 100k records: 17.9k rows/s at
    // 1000, 34.2k at 5000 (one partition at a time); 30.9k vs 52.7k with 3 partitions at once. A
    // crash replays at most one batch per partition being written.
    batchSize: r.int('batchSize', 'DATA_SINK_BATCH_SIZE', 5000, 1, 50_000),
    partitionsConcurrently: r.int('partitionsConcurrently', 'SINK_PARTITIONS_CONCURRENTLY', 3, 1, 32),
    commitIntervalMs: Math.round(
      r.number('commitInterval', 'DATA_SINK_COMMIT_INTERVAL', 5.0, 0.01, 25) * 1000,
    ),
    fetchMinBytes: r.int('fetchMinBytes', 'SINK_FETCH_MIN_BYTES', 1, 1, 50_000_000),
    groupId: r.string('groupId', 'SINK_GROUP_ID', 'iotpipe-sink'),
    clientId: r.string('clientId', 'SINK_CLIENT_ID', 'iotpipe-sink'),
    sessionTimeoutMs: r.int('sessionTimeoutMs', 'SINK_SESSION_TIMEOUT_MS', 30_000, 6_000, 300_000),
    schemaFlavor: r.oneOf('schemaFlavor', 'POSTGRES_FLAVOR', FLAVOR_CHOICES, 'auto'),
    archiveAfterDays,
    retentionDays,
    maintenanceIntervalMs: Math.round(
      r.number('maintenanceInterval', 'SINK_MAINTENANCE_INTERVAL', 300, 1, 86_400) * 1000,
    ),
    partitionsAheadDays: r.int('partitionsAheadDays', 'SINK_PARTITIONS_AHEAD_DAYS', 3, 0, 366),
    metricsPort: r.int('metricsPort', 'SINK_METRICS_PORT', 8003, 0, 65_535),
    metricsHost: r.string('metricsHost', 'SINK_METRICS_HOST', '0.0.0.0'),
    retryMaxBackoffMs: r.int('retryMaxBackoffMs', 'SINK_RETRY_MAX_BACKOFF_MS', 10_000, 100, 600_000),
    writeTimeoutMs: Math.round(r.number('writeTimeout', 'SINK_WRITE_TIMEOUT', 30, 1, 3600) * 1000),
    fromBeginning: r.bool('fromBeginning', 'SINK_FROM_BEGINNING', true),
  };
}
