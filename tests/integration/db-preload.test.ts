import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackConfig } from '../support/stack.js';
import { ThrowawayPostgres } from '../support/throwaway-postgres.js';
import { flavourUnavailable } from './db-support.js';

const exec = promisify(execFile);
const cli = join(stackConfig.repoRoot, 'workloads', 'dist', 'cli.js');

/** Runs `iotpipe <args>` and returns its exit code and output, without throwing on failure. */
async function iotpipe(args: string[], env: NodeJS.ProcessEnv) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [cli, ...args], {
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const FIX =
  "iotpipe: TimescaleDB is installed but the server does not preload it: add shared_preload_libraries = 'timescaledb' to postgresql.conf and restart PostgreSQL (or set POSTGRES_FLAVOR=native for plain PostgreSQL)";

/**
 * The bug of issue 15: a server with TimescaleDB's files that does not preload its library. The
 * migrator used to pick the timescale flavour there, and the server killed the session running
 * CREATE EXTENSION; the user saw only `write CONNECTION_CLOSED`. A server of our own, from the
 * stack's binaries (which have the extension installed), started without the preload.
 */
describe.skipIf(flavourUnavailable('timescale') !== undefined)(
  `a server with TimescaleDB installed but not preloaded${flavourUnavailable('timescale') ? ` (${flavourUnavailable('timescale')})` : ''}`,
  () => {
    const server = new ThrowawayPostgres(stackConfig.postgres.binDir);
    let admin: postgres.Sql;
    beforeAll(async () => {
      await server.start();
      admin = postgres(server.url('postgres'), { max: 1, onnotice: () => {} });
      await admin`create database refused`;
      await admin`create database fallback`;
    });
    afterAll(async () => {
      await admin?.end({ timeout: 5 });
      await server.stop();
    });

    it('offers the extension files and does not preload the library (the case under test)', async () => {
      const [row] = await admin<{ available: boolean; preload: string }[]>`
        select exists (select 1 from pg_available_extensions where name = 'timescaledb') as available,
               current_setting('shared_preload_libraries') as preload`;
      expect(row).toEqual({ available: true, preload: '' });
    });

    it('`iotpipe db migrate` stops before creating anything, with one line that names the fix', async () => {
      const r = await iotpipe(['db', 'migrate'], { DATABASE_URL: server.url('refused') });
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toEqual([FIX]);
      const sql = postgres(server.url('refused'), { max: 1, onnotice: () => {} });
      try {
        const tables = await sql`select relname from pg_class where relnamespace = 'public'::regnamespace`;
        expect(tables).toEqual([]);
        const extensions = await sql`select extname from pg_extension where extname = 'timescaledb'`;
        expect(extensions).toEqual([]);
      } finally {
        await sql.end({ timeout: 5 });
      }
    });

    it('the sink stops at start with the same reason instead of retrying (a failed start: exit 1, the reason in its last log line)', async () => {
      const r = await iotpipe(['sink'], {
        DATABASE_URL: server.url('refused'),
        SINK_METRICS_PORT: '0',
        SINK_METRICS_HOST: '127.0.0.1',
      });
      expect(r.code).toBe(1);
      const last = JSON.parse(r.stderr.trimEnd().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
      expect(last).toMatchObject({
        level: 'error',
        component: 'sink',
        msg: 'start failed',
        error: FIX.slice('iotpipe: '.length),
      });
      expect(r.stderr).not.toMatch(/CONNECTION_CLOSED|database unavailable/);
    });

    it('POSTGRES_FLAVOR=timescale is refused the same way', async () => {
      const r = await iotpipe(['db', 'migrate'], {
        DATABASE_URL: server.url('refused'),
        POSTGRES_FLAVOR: 'timescale',
      });
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toEqual([FIX]);
    });

    it('POSTGRES_FLAVOR=native falls back to plain PostgreSQL on the same server', async () => {
      const r = await iotpipe(['db', 'migrate'], {
        DATABASE_URL: server.url('fallback'),
        POSTGRES_FLAVOR: 'native',
      });
      expect(r.stderr).not.toContain('iotpipe:');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^schema at version \d+ \(native\); applied now: \d+$/m);
      const sql = postgres(server.url('fallback'), { max: 1, onnotice: () => {} });
      try {
        const [row] = await sql<{ n: number }[]>`select count(*)::int as n from sensor_readings`;
        expect(row).toEqual({ n: 0 });
      } finally {
        await sql.end({ timeout: 5 });
      }
    });
  },
);
