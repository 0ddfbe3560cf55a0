import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_READINGS_TABLE, type FlavorChoice, type SchemaFlavor } from '@iotpipe/contract';
import postgres from 'postgres';
import { readingsTableDdl } from './readings-table.js';

/** The two schema branches: a TimescaleDB hypertable, or plain PostgreSQL partitions. */
export type DbFlavor = SchemaFlavor;

/**
 * What the operator asks for (POSTGRES_FLAVOR, declared in the contract): `native` outright;
 * `timescale`, refused where the server cannot run it; or `auto`: TimescaleDB where the
 * extension is installed, native where it is not. A server with the extension's files that does
 * not preload its library is refused by both (with the fix), since CREATE EXTENSION would kill
 * the session.
 */
export { FLAVOR_CHOICES, type FlavorChoice } from '@iotpipe/contract';

/** What the server offers, read before anything is created. */
export interface TimescaleSupport {
  /** The extension's files are on the server (pg_available_extensions). */
  readonly installed: boolean;
  /** The server preloads the library (shared_preload_libraries), which CREATE EXTENSION needs. */
  readonly preloaded: boolean;
}

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly file: string;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/**
 * The .sql files are read from the source tree (as the .avsc files are), so dist/ needs no copy:
 * workloads/src/db/migrations, found from dist/db or src/db alike.
 */
export const MIGRATIONS_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'src',
  'db',
  'migrations',
);

const FILE_NAME = /^(\d{4})_([a-z0-9_]+?)(?:\.(native|timescale))?\.sql$/;

/**
 * The ordered migrations for one flavour from a directory listing. A version is either one
 * common file (`0002_views.sql`) or one file per flavour (`0001_readings.native.sql` and
 * `0001_readings.timescale.sql`). Pure; throws MigrationError on a malformed set.
 */
export function planMigrations(files: readonly string[], flavor: DbFlavor): Migration[] {
  const byVersion = new Map<number, { name: string; common?: string; native?: string; timescale?: string }>();
  for (const file of files) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE_NAME.exec(file);
    if (!m)
      throw new MigrationError(`migration file '${file}' is not named NNNN_name[.native|.timescale].sql`);
    const version = Number(m[1]);
    const name = m[2]!;
    const variant = (m[3] ?? 'common') as 'common' | DbFlavor;
    const entry = byVersion.get(version) ?? { name };
    if (entry.name !== name) {
      throw new MigrationError(`migration ${m[1]} has two names: '${entry.name}' and '${name}'`);
    }
    if (entry[variant] !== undefined) throw new MigrationError(`migration ${m[1]} ${variant} is given twice`);
    entry[variant] = file;
    byVersion.set(version, entry);
  }
  const versions = [...byVersion.keys()].sort((a, b) => a - b);
  return versions.map((version, i) => {
    const e = byVersion.get(version)!;
    if (version !== i + 1)
      throw new MigrationError(`migration versions must be 1, 2, 3, ...: found ${version} at ${i + 1}`);
    if (e.common !== undefined && (e.native !== undefined || e.timescale !== undefined)) {
      throw new MigrationError(`migration ${version} has both a common file and flavour files`);
    }
    if (e.common === undefined && (e.native === undefined || e.timescale === undefined)) {
      throw new MigrationError(
        `migration ${version} needs both .native.sql and .timescale.sql (or one common file)`,
      );
    }
    return { version, name: e.name, file: e.common ?? e[flavor]! };
  });
}

const NOT_INSTALLED =
  'POSTGRES_FLAVOR=timescale but the server has no TimescaleDB extension: install it (on the local stack: make deps) or set POSTGRES_FLAVOR=native or auto';
const NOT_PRELOADED =
  "TimescaleDB is installed but the server does not preload it: add shared_preload_libraries = 'timescaledb' to postgresql.conf and restart PostgreSQL (or set POSTGRES_FLAVOR=native for plain PostgreSQL)";

/**
 * The flavour a database gets. Pure. `existing` is the flavour an already migrated database was
 * created with: it is kept whatever the server offers now, and an explicit choice that
 * contradicts it is an error (the schemas differ; nothing converts one into the other).
 */
export function chooseFlavor(choice: FlavorChoice, server: TimescaleSupport, existing?: DbFlavor): DbFlavor {
  if (existing !== undefined) {
    if (choice !== 'auto' && choice !== existing) {
      throw new MigrationError(
        `the database was migrated with the ${existing} flavour; POSTGRES_FLAVOR=${choice} cannot change it (use a new database or POSTGRES_FLAVOR=auto)`,
      );
    }
    if (existing === 'timescale' && !server.preloaded) throw new MigrationError(NOT_PRELOADED);
    return existing;
  }
  if (choice === 'native') return 'native';
  if (choice === 'timescale' && !server.installed) throw new MigrationError(NOT_INSTALLED);
  if (!server.installed) return 'native';
  // The files are there, so TimescaleDB is meant: without the preload, CREATE EXTENSION would
  // kill the session (FATAL), which a client sees only as a closed connection. Say it instead.
  if (!server.preloaded) throw new MigrationError(NOT_PRELOADED);
  return 'timescale';
}

export function checksum(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface MigrateResult {
  flavor: DbFlavor;
  applied: Migration[];
  current: number;
}

/** Session advisory lock key: the same for every process migrating any iotpipe database. */
const MIGRATION_LOCK_KEY = 0x10_7c_1e_01;

export interface MigratorOptions {
  readonly databaseUrl: string;
  /** POSTGRES_FLAVOR; `auto` by default. */
  readonly flavor?: FlavorChoice;
  /** Where the NNNN_name[.flavour].sql files are; the shipped ones by default. */
  readonly dir?: string;
  readonly log?: (line: string) => void;
  /** The readings table the sink writes (SINK_TABLE); other than sensor_readings: made after the migrations. */
  readonly readingsTable?: string;
}

/**
 * Applies pending migrations. Each migration runs in its own transaction together with its row
 * in schema_migrations; a session-level pg_advisory_lock makes concurrent migrators (two sinks
 * starting at once, or `iotpipe db migrate` beside a sink) take turns, the later one finding
 * nothing left to do. Applied migrations are verified by checksum: editing one after it shipped
 * is an error, not a silent divergence.
 */
export class Migrator {
  private readonly databaseUrl: string;
  private readonly choice: FlavorChoice;
  private readonly dir: string;
  private readonly log: (line: string) => void;
  private readonly readingsTable: string;

  constructor(options: MigratorOptions) {
    this.readingsTable = options.readingsTable ?? DEFAULT_READINGS_TABLE;
    this.databaseUrl = options.databaseUrl;
    this.choice = options.flavor ?? 'auto';
    this.dir = options.dir ?? MIGRATIONS_DIR;
    this.log = options.log ?? (() => {});
  }

  async migrate(): Promise<MigrateResult> {
    const sql = postgres(this.databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
    try {
      await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
      const [tracked] = await sql<{ exists: boolean }[]>`
        select to_regclass('schema_migrations') is not null as exists`;
      const applied = tracked?.exists
        ? await sql<{ version: number; name: string; flavor: DbFlavor; checksum: string }[]>`
            select version, name, flavor, checksum from schema_migrations order by version`
        : [];
      // Decided before anything is created: a server that cannot take the flavour is refused
      // with the fix while the database is still untouched.
      const flavor = chooseFlavor(this.choice, await timescaleSupport(sql), applied[0]?.flavor);
      await sql`
        create table if not exists schema_migrations (
          version integer primary key,
          name text not null,
          flavor text not null check (flavor in ('native', 'timescale')),
          checksum text not null,
          applied_at timestamptz not null default now()
        )`;
      const plan = planMigrations(readdirSync(this.dir), flavor);
      for (const row of applied) {
        const m = plan.find((p) => p.version === row.version);
        if (!m)
          throw new MigrationError(
            `database has migration ${row.version} (${row.name}) this build does not know`,
          );
        if (checksum(this.read(m)) !== row.checksum) {
          throw new MigrationError(`migration ${m.file} was changed after it was applied (checksum differs)`);
        }
      }
      const done = new Set(applied.map((r) => r.version));
      const appliedNow: Migration[] = [];
      for (const m of plan) {
        if (done.has(m.version)) continue;
        const text = this.read(m);
        await sql.begin(async (tx) => {
          await tx.unsafe(text).simple();
          await tx`insert into schema_migrations (version, name, flavor, checksum)
                   values (${m.version}, ${m.name}, ${flavor}, ${checksum(text)})`;
        });
        this.log(`db: applied migration ${m.file}`);
        appliedNow.push(m);
      }
      if (this.readingsTable !== DEFAULT_READINGS_TABLE)
        await sql.unsafe(readingsTableDdl(this.readingsTable, flavor)).simple();
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
      return { flavor, applied: appliedNow, current: plan.length };
    } finally {
      await sql.end({ timeout: 5 });
    }
  }

  private read(m: Migration): string {
    return readFileSync(join(this.dir, m.file), 'utf8');
  }
}

/**
 * Reads what the server offers without touching the extension. The preload shows as the
 * loader's own settings: `timescaledb.max_background_workers` is an integer setting once the
 * library is loaded (a setting merely named in postgresql.conf without the library is a string
 * placeholder), and pg_settings is readable by any role, unlike shared_preload_libraries.
 */
export async function timescaleSupport(sql: postgres.Sql): Promise<TimescaleSupport> {
  const [row] = await sql<{ installed: boolean; preloaded: boolean }[]>`
    select exists (select 1 from pg_available_extensions where name = 'timescaledb') as installed,
           exists (select 1 from pg_settings
                    where name = 'timescaledb.max_background_workers' and vartype = 'integer') as preloaded`;
  return { installed: row?.installed ?? false, preloaded: row?.preloaded ?? false };
}
