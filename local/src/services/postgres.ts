import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import type { StackConfig } from '../config.js';
import { StackError } from '../errors.js';
import { run } from '../proc.js';
import type { Program, ProbeResult, Service, StackContext } from '../service.js';

/**
 * The server settings TimescaleDB needs: its library preloaded (CREATE EXTENSION kills a session
 * on a server without it), telemetry off (nothing leaves the machine), and worker slots for its
 * job scheduler (one per database with the extension, plus the jobs: compression, retention,
 * aggregate refresh) beside PostgreSQL's default 8 for parallel queries.
 */
export const TIMESCALEDB_SERVER_SETTINGS: Readonly<Record<string, string>> = {
  shared_preload_libraries: 'timescaledb',
  'timescaledb.telemetry_level': 'off',
  'timescaledb.max_background_workers': '16',
  max_worker_processes: '27',
};

/**
 * Debian's PostgreSQL 15 as an own cluster in the state dir: database iot_data, user iot_user;
 * with TimescaleDB preloaded unless POSTGRES_FLAVOR=native.
 */
export class PostgresService implements Service {
  readonly name = 'postgres';
  readonly stage = 0;
  readonly startTimeoutMs = 60_000;
  readonly binDir: string;
  readonly dataDir: string;
  readonly socketDir: string;

  constructor(private readonly c: StackConfig) {
    this.binDir = c.postgres.binDir;
    this.dataDir = join(c.stateDir, 'postgres', 'data');
    this.socketDir = join(c.stateDir, 'postgres', 'run');
  }

  /** Where the server loads libraries from: `$libdir`, beside bin/ in Debian's layout. */
  get libDir(): string {
    return join(dirname(this.binDir), 'lib');
  }

  ports() {
    return [{ port: this.c.postgres.port, what: 'PostgreSQL' }];
  }

  requires() {
    return [
      {
        binary: join(this.binDir, 'postgres'),
        fix: 'run `make deps` (installs Debian package postgresql-15)',
      },
      { binary: join(this.binDir, 'initdb'), fix: 'run `make deps` (installs Debian package postgresql-15)' },
      ...(this.c.postgres.flavor === 'timescale'
        ? [
            {
              binary: join(this.libDir, 'timescaledb.so'),
              fix: 'run `make deps` (builds TimescaleDB from ../shared/vendor or its GitHub release), or set POSTGRES_FLAVOR=native for plain PostgreSQL',
            },
          ]
        : []),
    ];
  }

  programs(): Program[] {
    return [
      {
        name: 'postgres',
        command: [
          join(this.binDir, 'postgres'),
          '-D',
          this.dataDir,
          '-c',
          `listen_addresses=${this.c.host}`,
          '-c',
          `port=${this.c.postgres.port}`,
          '-c',
          `unix_socket_directories=${this.socketDir}`,
          '-c',
          'max_connections=200',
          '-c',
          'shared_buffers=256MB',
          '-c',
          'log_min_messages=warning',
          ...(this.c.postgres.flavor === 'timescale'
            ? Object.entries(TIMESCALEDB_SERVER_SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`])
            : []),
        ],
        user: 'postgres',
        // SIGTERM is PostgreSQL's smart shutdown, which waits for every client to leave;
        // SIGINT is the fast one: roll back, disconnect, checkpoint, exit.
        stopSignal: 'INT',
        stopWaitSecs: 60,
      },
    ];
  }

  async prepare(ctx: StackContext): Promise<void> {
    await mkdir(this.socketDir, { recursive: true });
    if (!existsSync(join(this.dataDir, 'PG_VERSION'))) {
      ctx.log('postgres: initdb (once)');
      await mkdir(this.dataDir, { recursive: true });
      const pwFile = join(this.c.stateDir, 'postgres', 'superuser.pw');
      await writeFile(pwFile, `${this.c.postgres.password}\n`, { mode: 0o600 });
      if (ctx.asRoot) await this.handToPostgresUser(ctx, pwFile);
      const initdbArgs = [
        '-D',
        this.dataDir,
        '-U',
        'postgres',
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        `--pwfile=${pwFile}`,
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
      ];
      const res = ctx.asRoot
        ? await run('runuser', ['-u', 'postgres', '--', join(this.binDir, 'initdb'), ...initdbArgs])
        : await run(join(this.binDir, 'initdb'), initdbArgs);
      if (res.code !== 0) {
        throw new StackError(
          `initdb failed: ${res.stderr.trim().split('\n').pop()}`,
          `remove ${this.dataDir} and retry`,
        );
      }
    } else if (ctx.asRoot) {
      await this.handToPostgresUser(ctx);
    }
  }

  /** PostgreSQL refuses to run as root: its directories belong to the postgres user. */
  private async handToPostgresUser(ctx: StackContext, ...files: string[]): Promise<void> {
    const ids = await run('id', ['-u', 'postgres']);
    const gids = await run('id', ['-g', 'postgres']);
    if (ids.code !== 0)
      throw new StackError('the postgres user does not exist', 'run `make deps` (installs postgresql-15)');
    const uid = Number(ids.stdout.trim());
    const gid = Number(gids.stdout.trim());
    const root = join(this.c.stateDir, 'postgres');
    for (const p of [root, this.dataDir, this.socketDir, ...files]) await chown(p, uid, gid);
    await chmod(this.dataDir, 0o700);
    // The postgres user must be able to traverse every ancestor of the state dir.
    const probe = await run('runuser', ['-u', 'postgres', '--', 'test', '-x', root]);
    if (probe.code !== 0) {
      for (let dir = dirname(root); dir !== dirname(dir); dir = dirname(dir)) {
        ctx.log(`postgres: allowing search (o+x) on ${dir} so the postgres user reaches its data`);
        await run('chmod', ['o+x', dir]);
      }
    }
    // initdb leaves everything owned right; re-own only the top when it already exists.
    if (existsSync(join(this.dataDir, 'PG_VERSION'))) {
      const entries = await readdir(this.dataDir);
      if (entries.length > 0) await run('chown', ['-R', `${uid}:${gid}`, this.dataDir]);
    }
  }

  /** Creates the pipeline's role and databases once; harmless when they exist. */
  async afterStart(ctx: StackContext): Promise<void> {
    const sql = this.superuser();
    try {
      const { user, password, database, registryDatabase } = this.c.postgres;
      const roles = await sql`select 1 from pg_roles where rolname = ${user}`;
      if (roles.length === 0) {
        ctx.log(`postgres: creating role ${user}`);
        await sql.unsafe(
          `create role ${ident(user)} login createdb password '${password.replace(/'/g, "''")}'`,
        );
      }
      for (const db of [database, registryDatabase]) {
        const rows = await sql`select 1 from pg_database where datname = ${db}`;
        if (rows.length === 0) {
          ctx.log(`postgres: creating database ${db}`);
          await sql.unsafe(`create database ${ident(db)} owner ${ident(user)}`);
        }
      }
    } finally {
      await sql.end({ timeout: 5 });
    }
    if (this.c.postgres.flavor === 'timescale') await this.noteNativeSchema(ctx);
  }

  /**
   * A state dir from before TimescaleDB was the default holds iot_data with the native schema,
   * which a database keeps (the migrator never converts one): say how to start afresh.
   */
  private async noteNativeSchema(ctx: StackContext): Promise<void> {
    const sql = postgres({
      host: this.socketDir,
      port: this.c.postgres.port,
      user: 'postgres',
      database: this.c.postgres.database,
      max: 1,
      onnotice: () => {},
      connect_timeout: 5,
    });
    try {
      const [probe] = await sql<{ migrated: boolean }[]>`
        select to_regclass('public.schema_migrations') is not null as migrated`;
      const rows = probe?.migrated
        ? await sql<{ flavor: string }[]>`select flavor from schema_migrations limit 1`
        : [];
      if (rows[0]?.flavor === 'native') {
        ctx.log(
          `postgres: ${this.c.postgres.database} keeps the native schema it was created with; for TimescaleDB start afresh: make stack-down && rm -rf ${join(this.c.stateDir, 'postgres')}`,
        );
      }
    } finally {
      await sql.end({ timeout: 5 });
    }
  }

  /** A superuser connection over the unix socket (trusted locally). */
  superuser() {
    return postgres({
      host: this.socketDir,
      port: this.c.postgres.port,
      user: 'postgres',
      database: 'postgres',
      max: 1,
      onnotice: () => {},
      connect_timeout: 5,
    });
  }

  async startupProbe(): Promise<ProbeResult> {
    const sql = this.superuser();
    try {
      await sql`select 1`;
      return { ok: true, detail: 'accepting connections' };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  }

  async probe(): Promise<ProbeResult> {
    const { user, password, database } = this.c.postgres;
    const sql = postgres({
      host: this.c.host,
      port: this.c.postgres.port,
      user,
      password,
      database,
      max: 1,
      connect_timeout: 3,
      onnotice: () => {},
    });
    try {
      const rows = await sql`
        select 1 as one, current_setting('server_version') as version,
               (select default_version from pg_available_extensions where name = 'timescaledb') as timescaledb,
               exists (select 1 from pg_settings where name = 'timescaledb.max_background_workers'
                                                  and vartype = 'integer') as preloaded`;
      const r = rows[0];
      const timescale = r?.timescaledb
        ? `, TimescaleDB ${r.timescaledb}${r.preloaded ? '' : ' not preloaded'}`
        : '';
      const wanted = this.c.postgres.flavor === 'timescale';
      return {
        ok: r?.one === 1 && (!wanted || r.preloaded === true),
        detail: `SELECT 1 ok on ${database} (PostgreSQL ${r?.version}${timescale})`,
      };
    } catch (err) {
      return { ok: false, detail: `SELECT 1 on ${database}: ${(err as Error).message}` };
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  }
}

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new StackError(`'${name}' is not a plain SQL identifier`, 'use lower-case letters, digits and _');
  return name;
}
