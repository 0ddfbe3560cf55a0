import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';

const exec = promisify(execFile);

/**
 * A PostgreSQL server of its own, from the stack's binaries, on a free loopback port, for a test
 * that needs a server configured differently from the stack's (e.g. without the TimescaleDB
 * preload). Password-authenticated like the stack's; removed with its data on stop().
 */
export class ThrowawayPostgres {
  readonly user = 'throwaway';
  readonly password = 'throwaway-password';
  port = 0;
  private dir = '';
  private server?: ChildProcess;
  private log = '';

  constructor(
    private readonly binDir: string,
    /** `-c name=value` settings for the server. */
    private readonly settings: Readonly<Record<string, string>> = {},
  ) {}

  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'iotpipe-pg-'));
    const data = join(this.dir, 'data');
    const pwfile = join(this.dir, 'pw');
    await writeFile(pwfile, `${this.password}\n`, { mode: 0o600 });
    // PostgreSQL refuses to run as root: as root, its programs run as the postgres user.
    let ids: { uid: number; gid: number } | Record<string, never> = {};
    if (process.getuid?.() === 0) {
      const uid = Number((await exec('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await exec('id', ['-g', 'postgres'])).stdout.trim());
      ids = { uid, gid };
      await chmod(this.dir, 0o700);
      await chown(this.dir, uid, gid);
      await chown(pwfile, uid, gid);
    }
    await exec(
      join(this.binDir, 'initdb'),
      [
        '-D',
        data,
        '-U',
        this.user,
        '--auth-local=scram-sha-256',
        '--auth-host=scram-sha-256',
        `--pwfile=${pwfile}`,
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
      ],
      ids,
    );
    this.port = await freePort();
    const settings = {
      listen_addresses: '127.0.0.1',
      port: String(this.port),
      unix_socket_directories: this.dir,
      ...this.settings,
    };
    const args = ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const server = spawn(join(this.binDir, 'postgres'), args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = server;
    server.stdout.on('data', (b: Buffer) => (this.log += b.toString()));
    server.stderr.on('data', (b: Buffer) => (this.log += b.toString()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const sql = postgres(this.url('postgres'), { max: 1, connect_timeout: 2, onnotice: () => {} });
      try {
        await sql`select 1`;
        return;
      } catch (err) {
        if (server.exitCode !== null || Date.now() > deadline) {
          throw new Error(`throwaway PostgreSQL did not start: ${(err as Error).message}\n${this.log}`, {
            cause: err,
          });
        }
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        await sql.end({ timeout: 1 }).catch(() => {});
      }
    }
  }

  url(database: string): string {
    return `postgres://${this.user}:${this.password}@127.0.0.1:${this.port}/${database}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGINT'); // fast shutdown
      await exited;
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
