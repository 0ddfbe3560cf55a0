// Runs every SQL query of the original README (tests/fixtures/readme-queries.sql, plus the three
// statements of its "Access TimescaleDB Database" step) against a database and prints how many
// rows each returned; exits 1 when one fails or returns none. `make demo` runs it on iot_data.
// On plain PostgreSQL (POSTGRES_FLAVOR=native) the TimescaleDB catalog queries are listed as not
// applicable rather than run.
//
//   npx tsx scripts/readme-queries.ts        (DATABASE_URL or POSTGRES_*; the local stack's by default)
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { loadConnectionConfig } from '../workloads/src/config/common.js';

export interface ReadmeStatement {
  title: string;
  sql: string;
  /** Reads TimescaleDB's own catalog (timescaledb_information): fails on plain PostgreSQL. */
  timescaleOnly: boolean;
}

/** The README's example device, which its per-device queries name. */
export const README_DEVICE = 'c6:8d:c6:26:39:a6_temperature';

const FIXTURE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'tests',
  'fixtures',
  'readme-queries.sql',
);

/** The fixture's statements, each with the comment line above it as its title. Pure but for the read. */
export function readmeStatements(text = readFileSync(FIXTURE, 'utf8')): ReadmeStatement[] {
  const out: ReadmeStatement[] = [];
  let title = '';
  let body: string[] = [];
  for (const line of text.split('\n')) {
    if (body.length === 0 && line.startsWith('--')) {
      title = line.replace(/^--\s*/, '');
      continue;
    }
    if (body.length === 0 && line.trim() === '') continue;
    body.push(line);
    if (line.trimEnd().endsWith(';')) {
      out.push({ title, sql: body.join('\n'), timescaleOnly: title.includes('[timescaledb-only]') });
      body = [];
    }
  }
  return out;
}

/** The README's "Access TimescaleDB Database" step; `<hypertable-name>` is sensor_readings. */
export const ACCESS_STATEMENTS: readonly ReadmeStatement[] = [
  'select * from timescaledb_information.hypertables;',
  "SELECT * FROM timescaledb_information.chunks WHERE hypertable_name = 'sensor_readings';",
  'SELECT * FROM timescaledb_information.compression_settings;',
].map((sql) => ({ title: `access step: ${sql}`, sql, timescaleOnly: true }));

/** The only edit to the README's SQL: its fixed dates become yesterday..tomorrow of `now`. */
export function withCurrentDates(sql: string, now: number): string {
  const day = (offset: number) => new Date(now + offset * 86_400_000).toISOString().slice(0, 10);
  return sql.replace("'2025-06-17'", `'${day(-1)}'`).replace("'2025-06-18'", `'${day(1)}'`);
}

async function main(): Promise<void> {
  const sql = postgres(loadConnectionConfig().databaseUrl, { max: 1, onnotice: () => {} });
  let failed = 0;
  try {
    const statements = [...readmeStatements(), ...ACCESS_STATEMENTS];
    const [ext] = await sql<{ timescale: boolean }[]>`
      select exists (select 1 from pg_extension where extname = 'timescaledb') as timescale`;
    let notApplicable = 0;
    for (const s of statements) {
      if (s.timescaleOnly && !ext?.timescale) {
        notApplicable++;
        console.log(`     -      ${s.title} (plain PostgreSQL: no TimescaleDB catalog)`);
        continue;
      }
      try {
        const rows = await sql.unsafe(withCurrentDates(s.sql, Date.now()));
        if (rows.length === 0) failed++;
        console.log(`${String(rows.length).padStart(6)} rows  ${s.title}`);
      } catch (err) {
        failed++;
        console.log(`     ERROR  ${s.title}: ${(err as Error).message}`);
      }
    }
    const ran = statements.length - notApplicable;
    console.log(
      failed === 0
        ? `every one of the README's ${ran} queries run here returned rows${notApplicable ? ` (${notApplicable} TimescaleDB catalog queries not applicable)` : ''}`
        : `${failed} of the README's ${ran} queries run here returned no rows or failed`,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
  if (failed > 0) process.exitCode = 1;
}

// Run as a script, not when imported (scripts/readme-tag.ts, the DB suites).
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main();
