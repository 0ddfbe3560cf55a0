import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_READINGS_TABLE } from '@iotpipe/contract';
import postgres from 'postgres';
import { sqlState } from '@iotpipe/runtime';
import { DEDUP_WINDOW_MS } from '../schema/identity.js';
import { READING_COLUMNS, STAGING_COLUMNS } from './rows.js';

const quoted = (cols: readonly string[]) => cols.map((c) => `"${c}"`).join(', ');

// Lives for the connection; ON COMMIT DELETE ROWS empties it after every transaction, so no
// catalog churn per batch. IF NOT EXISTS because a reconnect after an outage starts without it.
const CREATE_STAGING = `
  create temp table if not exists sink_staging (
    ord integer not null, device_id text, device_type text, "timestamp" timestamptz, value float8,
    unit text, latitude float8, longitude float8, building text, floor integer, zone text,
    battery_level float8, signal_strength integer, firmware_version text, is_anomaly boolean,
    device_metadata jsonb, reading_id text, gateway_id text, measurement_sequence bigint,
    source text, time_source text
  ) on commit delete rows`;

const COPY_STAGING = `copy sink_staging (${quoted(STAGING_COLUMNS)}) from stdin`;

/**
 * One statement stores a batch idempotently. A staged row is skipped when
 * - an earlier record of this batch is the same reading (same device and reading_id, stamped
 *   within the dedup window: one packet heard by two gateways, or a record produced twice), or
 * - the readings table already holds that reading within the dedup window (replay after a crash,
 *   the second gateway's copy arriving in a later batch), or
 * - the natural key (device_id, timestamp, reading_id) exists (ON CONFLICT: the race-free guard).
 * For unsequenced ids (`<device>@<ms>`) the same id implies the same timestamp, so the window
 * test is an exact-match test for them. Records of one device share a Kafka partition (key =
 * device_id), so no two sink instances insert the same device at once.
 */
const insertFromStaging = (table: string) => `
  insert into "${table}" (${quoted(READING_COLUMNS)})
  select ${READING_COLUMNS.map((c) => `s."${c}"`).join(', ')}
    from sink_staging s
   where not exists (
           select 1 from sink_staging e
            where e.device_id = s.device_id and e.reading_id = s.reading_id and e.ord < s.ord
              and e."timestamp" between s."timestamp" - $1::bigint * interval '1 millisecond'
                                    and s."timestamp" + $1::bigint * interval '1 millisecond')
     and not exists (
           select 1 from "${table}" r
            where r.device_id = s.device_id and r.reading_id = s.reading_id
              and r."timestamp" between s."timestamp" - $1::bigint * interval '1 millisecond'
                                    and s."timestamp" + $1::bigint * interval '1 millisecond')
   order by s.ord
  on conflict do nothing`;

export interface MaintenanceResult {
  [key: string]: number | string;
}

class WriteTimeoutError extends Error {
  override readonly name = 'WriteTimeoutError';
  readonly code = 'ETIMEDOUT';
}

/**
 * TCP_NODELAY on the database socket. postgres.js leaves Nagle's algorithm on, and a COPY ends
 * with small messages (CopyDone, then the next query) written while the previous segment is
 * still unacknowledged: each waits for the server's delayed ACK, ~40 ms, twice per batch —
 * measured 92 ms per 50-row transaction with Nagle, a few ms without.
 */
function noDelaySocket(options: { host: string[]; port: number[]; path?: string | false }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = options.path
      ? connect({ path: options.path })
      : connect({ host: options.host[0]!, port: options.port[0]!, noDelay: true });
    const timer = setTimeout(() => socket.destroy(new Error('connect ETIMEDOUT')), 5_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
  });
}

const CLIENT_OPTIONS = {
  max: 1,
  onnotice: () => {},
  connect_timeout: 5,
  idle_timeout: 0,
  max_lifetime: null,
  // Not in postgres.js's types, but documented and supported: a factory of connected sockets.
  socket: noDelaySocket,
};

/**
 * The sink's side of PostgreSQL: batches in through COPY into a per-connection staging table and
 * one idempotent INSERT ... SELECT, in one transaction. Two clients: one for writes, one for
 * maintenance, so a long maintenance run never holds a batch behind it.
 *
 * The transaction is driven by hand on a reserved connection rather than with sql.begin():
 * postgres.js 3.4 sends ROLLBACK on a connection that has just closed, which throws inside the
 * library (socket is null) and takes the process down. Here, when the connection failed (no
 * SQLSTATE, or a FATAL one), nothing more is sent on it: the whole client is discarded and a new
 * one made, so every outage starts from a clean connection.
 */
export class ReadingStore {
  private writer?: postgres.Sql;
  private maintainer?: postgres.Sql;

  constructor(
    private readonly databaseUrl: string,
    /**
     * A write that has not finished in this time counts as a lost connection. postgres.js never
     * settles a COPY whose connection drops after the last row was sent (it waits for a
     * CommandComplete that cannot come), so without this a dropped connection could hang the sink.
     */
    private readonly writeTimeoutMs = 30_000,
    private readonly dedupWindowMs: number = DEDUP_WINDOW_MS,
    /** Writes that may run at once, one connection each (the sink's concurrent partitions). */
    private readonly connections = 1,
    /** The readings table written (SINK_TABLE); the migrator made it. */
    table: string = DEFAULT_READINGS_TABLE,
  ) {
    this.insertFromStaging = insertFromStaging(table);
  }

  private readonly insertFromStaging: string;

  private writerClient(): postgres.Sql {
    return postgres(this.databaseUrl, { ...CLIENT_OPTIONS, max: this.connections });
  }

  start(): void {
    if (this.writer) return;
    this.writer = this.writerClient();
    this.maintainer = postgres(this.databaseUrl, CLIENT_OPTIONS);
  }

  /**
   * Stores COPY lines (rows.ts copyLine) in one transaction; returns how many were inserted (the
   * rest were already stored). Throws the PostgreSQL error as is: callers classify it.
   */
  async write(lines: readonly string[]): Promise<number> {
    const sql = this.requireWriter();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WriteTimeoutError(`no answer within ${this.writeTimeoutMs} ms`)),
        this.writeTimeoutMs,
      );
    });
    const tx = this.transaction(sql, lines);
    // After a timeout the transaction is abandoned: its client is ended below, which rejects it
    // later with CONNECTION_DESTROYED; unobserved, that rejection would end the process
    // (tests/chaos 4 lost the sink this way during a 60 s outage).
    tx.catch(() => {});
    try {
      return await Promise.race([tx, timeout]);
    } catch (err) {
      if (!connectionSurvived(err)) this.replaceWriter(sql);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async transaction(sql: postgres.Sql, lines: readonly string[]): Promise<number> {
    const conn = await sql.reserve();
    let open = false;
    try {
      await conn.unsafe('begin');
      open = true;
      await conn.unsafe(CREATE_STAGING);
      const copy = await conn.unsafe(COPY_STAGING).writable();
      await pipeline(Readable.from([lines.join('')]), copy);
      const result = await conn.unsafe(this.insertFromStaging, [this.dedupWindowMs]);
      await conn.unsafe('commit');
      open = false;
      return result.count;
    } catch (err) {
      if (open && connectionSurvived(err)) await conn.unsafe('rollback').catch(() => {});
      throw err;
    } finally {
      conn.release();
    }
  }

  private replaceWriter(broken: postgres.Sql): void {
    if (this.writer !== broken) return;
    this.writer = this.writerClient();
    // Not awaited: the broken client is dropped: ending it must not delay the writer that replaces it, and its failure changes nothing.
    void broken.end({ timeout: 0 }).catch(() => {});
  }

  async maintain(
    partitionsAheadDays: number,
    archiveAfterDays: number,
    retentionDays: number,
  ): Promise<MaintenanceResult> {
    const sql = this.maintainer;
    if (!sql) throw new Error('ReadingStore not started');
    try {
      const [row] = await sql<{ result: MaintenanceResult }[]>`
        select iotpipe_maintain(${partitionsAheadDays}, ${archiveAfterDays}, ${retentionDays}) as result`;
      return row?.result ?? {};
    } catch (err) {
      if (!connectionSurvived(err) && this.maintainer === sql) {
        this.maintainer = postgres(this.databaseUrl, CLIENT_OPTIONS);
        // Not awaited: as above: the failed maintenance client is dropped, ending it is best effort.
        void sql.end({ timeout: 0 }).catch(() => {});
      }
      throw err;
    }
  }

  async stop(): Promise<void> {
    const clients = [this.writer, this.maintainer];
    this.writer = undefined;
    this.maintainer = undefined;
    await Promise.all(clients.flatMap((c) => (c ? [c.end({ timeout: 5 })] : [])));
  }

  private requireWriter(): postgres.Sql {
    if (!this.writer) throw new Error('ReadingStore not started');
    return this.writer;
  }
}

/** An ordinary (ERROR-severity) PostgreSQL error leaves the session usable; anything else may not. */
function connectionSurvived(err: unknown): boolean {
  const severity = (err as { severity?: unknown } | null)?.severity;
  return sqlState(err) !== undefined && severity !== 'FATAL' && severity !== 'PANIC';
}

/**
 * postgres.js 3.4 can throw from inside its own socket-close handling (writing a CopyFail or a
 * queued message to a socket it has just set to null) when the connection drops mid-COPY. The
 * error escapes as an unhandled rejection or exception although no caller's state is harmed:
 * the sink's write times out (WriteTimeoutError) and the client is replaced. The sink process
 * recognises exactly this error and carries on; anything else still ends the process.
 */
export function isPostgresClosedSocketError(err: unknown): boolean {
  return (
    err instanceof TypeError &&
    /Cannot read properties of null \(reading 'write'\)/.test(err.message) &&
    /postgres[\\/]src[\\/]connection\.js/.test(err.stack ?? '')
  );
}
