import { cpSync, mkdtempSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyPostgresFailure } from '@iotpipe/runtime';
import { MIGRATIONS_DIR, Migrator, type DbFlavor } from '../../workloads/src/db/migrator.js';
import type { SensorReading } from '../../workloads/src/schema/index.js';
import { ReadingGenerator } from '../../workloads/src/simulator/generator.js';
import { genericRecord } from '../../workloads/src/simulator/payloads.js';
import { manifestDigest } from '../../workloads/src/simulator/manifest.js';
import { copyLine } from '../../workloads/src/sink/rows.js';
import { ReadingStore } from '../../workloads/src/sink/store.js';
import {
  createTestDatabase,
  FLAVOURS,
  flavourTitle,
  flavourUnavailable,
  makeReadings,
  migrate,
  waitFor,
  type TestDatabase,
} from './db-support.js';
import { onlyRow } from '../support/rows.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Rows of `view` that differ from the same aggregate computed by a GROUP BY over the raw rows. */
async function aggregateDiff(sql: postgres.Sql, view: string, width: string, devicePrefix: string) {
  return sql.unsafe(
    `with raw as (
       select time_bucket($1::interval, "timestamp") as bucket, device_id, device_type,
              count(*) as c, avg(value) as a, min(value) as mn, max(value) as mx,
              count(*) filter (where is_anomaly) as an,
              first(battery_level, "timestamp") filter (where battery_level is not null) as fb,
              last(battery_level, "timestamp") filter (where battery_level is not null) as lb
         from sensor_readings where device_id like $2 group by 1, 2, 3),
     agg as (select * from ${view} where device_id like $2)
     select raw.bucket as raw_bucket, agg.bucket as agg_bucket, coalesce(raw.device_id, agg.device_id) as device_id,
            raw.c, agg.reading_count
       from raw full join agg using (bucket, device_id, device_type)
      where agg.reading_count is distinct from raw.c or abs(agg.avg_value - raw.a) > 1e-9 * greatest(1, abs(raw.a))
         or agg.min_value is distinct from raw.mn or agg.max_value is distinct from raw.mx
         or agg.anomaly_count is distinct from raw.an or agg.first_battery_level is distinct from raw.fb
         or agg.latest_battery_level is distinct from raw.lb`,
    [width, `${devicePrefix}%`],
  );
}

const renamed = (prefix: string) => (r: SensorReading) => ({
  ...r,
  device_id: `${prefix}${r.device_id}`,
  reading_id: `${prefix}${r.reading_id}`,
});

for (const flavor of FLAVOURS) {
  describe.skipIf(flavourUnavailable(flavor) !== undefined)(flavourTitle(flavor), () => {
    describe('migrations', () => {
      let db: TestDatabase;
      beforeAll(async () => {
        db = await createTestDatabase(`it_db_migrate_${flavor}`);
      });
      afterAll(async () => {
        await db?.drop();
      });

      it('four processes migrating at once apply each migration exactly once; a rerun applies nothing', async () => {
        const results = await Promise.all(
          [1, 2, 3, 4].map(() => new Migrator({ databaseUrl: db.url, flavor }).migrate()),
        );
        expect(results.map((r) => r.flavor)).toEqual([flavor, flavor, flavor, flavor]);
        const appliedCounts = results.map((r) => r.applied.length).sort();
        expect(appliedCounts).toEqual([0, 0, 0, results[0]!.current]);
        const rows = await db.sql<
          { version: number; flavor: string }[]
        >`select version, flavor from schema_migrations order by version`;
        expect(rows.map((r) => r.version)).toEqual(
          Array.from({ length: results[0]!.current }, (_, i) => i + 1),
        );
        expect(new Set(rows.map((r) => r.flavor))).toEqual(new Set([flavor]));
        // Run again, twice at once, with `auto` as the sink runs by default: the flavour is kept.
        const again = await Promise.all([1, 2].map(() => new Migrator({ databaseUrl: db.url }).migrate()));
        expect(again.map((r) => [r.flavor, r.applied.length])).toEqual([
          [flavor, 0],
          [flavor, 0],
        ]);
      });

      it('creates the README tables and views', async () => {
        const rels = await db.sql<{ relname: string }[]>`
          select relname from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r','p','v','m')`;
        const names = new Set(rels.map((r) => r.relname));
        for (const n of [
          'sensor_readings',
          'sensor_readings_archive',
          'sensor_readings_hourly',
          'sensor_readings_daily',
          'device_summary',
          'recent_sensor_readings',
          'anomalous_sensor_readings',
        ]) {
          expect(names, n).toContain(n);
        }
        if (flavor === 'native') {
          expect(names).toContain('sensor_readings_default');
          const today = Date.UTC(
            new Date().getUTCFullYear(),
            new Date().getUTCMonth(),
            new Date().getUTCDate(),
          );
          for (let d = -1; d <= 3; d++) {
            const day = new Date(today + d * DAY).toISOString().slice(0, 10).replace(/-/g, '');
            expect(names, `partition for ${day}`).toContain(`sensor_readings_p${day}`);
          }
          const { n } = onlyRow(
            await db.sql`select count(*)::int as n from pg_extension where extname = 'timescaledb'`,
          );
          expect(n).toBe(0);
        } else {
          const hypertables = await db.sql`
            select hypertable_name, compression_enabled from timescaledb_information.hypertables
             order by hypertable_name`;
          expect(hypertables).toEqual([
            { hypertable_name: 'sensor_readings', compression_enabled: true },
            { hypertable_name: 'sensor_readings_archive', compression_enabled: false },
          ]);
          const caggs = await db.sql`
            select view_name, materialized_only from timescaledb_information.continuous_aggregates
             order by view_name`;
          expect(caggs).toEqual([
            { view_name: 'sensor_readings_daily', materialized_only: false },
            { view_name: 'sensor_readings_hourly', materialized_only: false },
          ]);
          const jobs = await db.sql<{ proc_name: string; hypertable_name: string; every: string }[]>`
            select proc_name, hypertable_name, schedule_interval::text as every
              from timescaledb_information.jobs where job_id >= 1000 order by proc_name, hypertable_name`;
          expect(jobs.map((j) => j.proc_name)).toEqual([
            'policy_compression',
            'policy_refresh_continuous_aggregate',
            'policy_refresh_continuous_aggregate',
          ]);
          expect(
            jobs.filter((j) => j.proc_name === 'policy_refresh_continuous_aggregate').map((j) => j.every),
          ).toEqual(['00:01:00', '00:01:00']);
        }
      });

      it('refuses to run when an applied migration file was edited afterwards', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'iotpipe-migrations-'));
        cpSync(MIGRATIONS_DIR, dir, { recursive: true });
        appendFileSync(join(dir, '0002_views.sql'), '\n-- edited\n');
        await expect(new Migrator({ databaseUrl: db.url, dir, flavor }).migrate()).rejects.toThrow(
          /0002_views.sql was changed/,
        );
      });

      it('refuses the other flavour on a migrated database, naming it', async () => {
        const other: DbFlavor = flavor === 'native' ? 'timescale' : 'native';
        await expect(new Migrator({ databaseUrl: db.url, flavor: other }).migrate()).rejects.toThrow(
          `migrated with the ${flavor} flavour; POSTGRES_FLAVOR=${other} cannot change it`,
        );
      });
    });

    describe('storing readings', () => {
      let db: TestDatabase;
      const store = () => new ReadingStore(db.url);
      beforeAll(async () => {
        db = await createTestDatabase(`it_db_store_${flavor}`);
        await migrate(db.url, flavor);
      });
      afterAll(async () => {
        await db?.drop();
      });

      it('stores every field exactly and a replayed batch inserts nothing', async () => {
        const s = store();
        s.start();
        try {
          const readings = makeReadings(500, 10, 3_600_000);
          const lines = readings.map((r, i) => copyLine(i, r));
          expect(await s.write(lines)).toBe(500);
          expect(await s.write(lines)).toBe(0);
          const rows = await db.sql<
            { reading_id: string; value: number; zone: string | null; device_metadata: unknown; ts: Date }[]
          >`
            select reading_id, value, zone, device_metadata, "timestamp" as ts from sensor_readings`;
          expect(rows).toHaveLength(500);
          const byId = new Map(rows.map((r) => [r.reading_id, r]));
          for (const r of readings) {
            const row = byId.get(r.reading_id)!;
            expect(row.value).toBe(r.value);
            expect(row.ts.getTime()).toBe(r.timestamp.getTime());
            expect(row.zone).toBe(r.location?.zone ?? null);
            expect(row.device_metadata).toEqual(r.metadata);
          }
        } finally {
          await s.stop();
        }
      });

      it('a sequenced reading heard twice within the dedup window is stored once, in one batch or across batches; the same sequence a day later is a new reading', async () => {
        const s = store();
        s.start();
        try {
          const [base] = makeReadings(1, 1, 60_000);
          const r = {
            ...base!,
            device_id: 'aa:bb:cc:dd:ee:ff_temperature',
            reading_id: 'aa:bb:cc:dd:ee:ff_temperature#7',
          };
          const secondGateway = {
            ...r,
            timestamp: new Date(r.timestamp.getTime() + 1500),
            gateway_id: 'gw-2',
          };
          expect(await s.write([copyLine(0, r), copyLine(1, secondGateway)])).toBe(1);
          const thirdGateway = {
            ...r,
            timestamp: new Date(r.timestamp.getTime() - 2000),
            gateway_id: 'gw-3',
          };
          expect(await s.write([copyLine(0, thirdGateway)])).toBe(0);
          const wrapped = { ...r, timestamp: new Date(r.timestamp.getTime() - DAY) };
          expect(await s.write([copyLine(0, wrapped)])).toBe(1);
          const { n } = onlyRow(
            await db.sql`select count(*)::int as n from sensor_readings where reading_id = ${r.reading_id}`,
          );
          expect(n).toBe(2);
        } finally {
          await s.stop();
        }
      });

      it('a reading that breaks a CHECK fails the batch with a SQLSTATE class 23 error, classified as a record error', async () => {
        const s = store();
        s.start();
        try {
          const [good, bad] = makeReadings(2, 2, 60_000).map(renamed('chk-'));
          const err = await s
            .write([copyLine(0, good!), copyLine(1, { ...bad!, battery_level: 150 })])
            .catch((e: unknown) => e);
          expect((err as { code: string }).code).toBe('23514');
          expect(classifyPostgresFailure(err)).toBe('permanent');
          const err2 = await s.write([copyLine(0, { ...good!, value: Number.NaN })]).catch((e: unknown) => e);
          expect(classifyPostgresFailure(err2)).toBe('permanent');
          const { n } = onlyRow(
            await db.sql`select count(*)::int as n from sensor_readings where reading_id like 'chk-%'`,
          );
          expect(n).toBe(0);
        } finally {
          await s.stop();
        }
      });
    });

    describe('maintenance: archive and retention', () => {
      let db: TestDatabase;
      beforeAll(async () => {
        db = await createTestDatabase(`it_db_maint_${flavor}`);
        await migrate(db.url, flavor);
      });
      afterAll(async () => {
        await db?.drop();
      });

      it('archives rows past 30 days and drops their partitions or chunks, deletes archived rows past 90 days', async () => {
        const s = new ReadingStore(db.url);
        s.start();
        try {
          const now = Date.now();
          const ages = { fresh: 0.05, tenDays: 10, fortyDays: 40, hundredDays: 100, future: -20 };
          let ord = 0;
          const lines: string[] = [];
          for (const [name, days] of Object.entries(ages)) {
            for (const r of makeReadings(20, 4, 3_600_000, now - days * DAY)) {
              lines.push(
                copyLine(ord++, {
                  ...r,
                  device_id: `${name}_temperature`,
                  reading_id: `${name}_temperature#${r.reading_id}`,
                }),
              );
            }
          }
          expect(await s.write(lines)).toBe(100);
          const cut = `(date_trunc('day', now(), 'UTC') - interval '30 days')`;

          if (flavor === 'native') {
            // Every row without a daily partition sits in DEFAULT: 10, 40, 100 days ago and 20 days ahead.
            const { n: inDefault } = onlyRow(
              await db.sql`select count(*)::int as n from sensor_readings_default`,
            );
            expect(inDefault).toBe(80);
          } else {
            // The archive must read compressed chunks too: compress the 40-day-old rows' chunks first.
            const compressed = await db.sql`
              select compress_chunk(c) from show_chunks('sensor_readings', older_than => now() - interval '35 days') c`;
            expect(compressed.length).toBeGreaterThan(0);
          }
          const chunksBefore = flavor === 'timescale' ? await oldChunks(db.sql, cut) : [];
          if (flavor === 'timescale') expect(chunksBefore.length).toBeGreaterThanOrEqual(2);

          const result = await s.maintain(3, 30, 90);
          if (flavor === 'native') {
            expect(result).toMatchObject({
              rows_moved_from_default: 80,
              partitions_archived: expect.any(Number),
            });
            const { n: leftInDefault } = onlyRow(
              await db.sql`select count(*)::int as n from sensor_readings_default`,
            );
            expect(leftInDefault).toBe(0);
            // The 10-day-old rows now live in their own daily partition, not in DEFAULT.
            const { part } = onlyRow(
              await db.sql`
              select tableoid::regclass::text as part from sensor_readings where device_id = 'tenDays_temperature' limit 1`,
            );
            expect(part).toMatch(/^sensor_readings_p\d{8}$/);
            const old = await db.sql`
              select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
               where i.inhparent = 'sensor_readings'::regclass and c.relname ~ '^sensor_readings_p'
                 and to_date(substr(c.relname, 18), 'YYYYMMDD') < (now() at time zone 'UTC')::date - 30`;
            expect(old).toEqual([]);
          } else {
            expect(result).toMatchObject({
              rows_archived: 40,
              chunks_archived: chunksBefore.length,
              archive_rows_deleted: 20,
            });
            // The chunks are gone, as tables and from TimescaleDB's catalog.
            expect(await oldChunks(db.sql, cut)).toEqual([]);
            for (const chunk of chunksBefore) {
              const { exists } = onlyRow(await db.sql`select to_regclass(${chunk}) is not null as exists`);
              expect(exists, chunk).toBe(false);
            }
          }
          const main = await db.sql<{ device_id: string; n: number }[]>`
            select device_id, count(*)::int as n from sensor_readings group by device_id order by device_id`;
          expect(main).toEqual([
            { device_id: 'fresh_temperature', n: 20 },
            { device_id: 'future_temperature', n: 20 },
            { device_id: 'tenDays_temperature', n: 20 },
          ]);
          const archived = await db.sql<{ device_id: string; n: number }[]>`
            select device_id, count(*)::int as n from sensor_readings_archive group by device_id order by device_id`;
          expect(archived).toEqual([{ device_id: 'fortyDays_temperature', n: 20 }]);

          // A second run finds nothing more to move, archive or delete.
          expect(await s.maintain(3, 30, 90)).toMatchObject({
            rows_archived: 0,
            archive_rows_deleted: 0,
            ...(flavor === 'native'
              ? { rows_moved_from_default: 0, partitions_archived: 0 }
              : { chunks_archived: 0 }),
          });
          // Retention shorter than the archive's oldest rows deletes them.
          expect(await s.maintain(3, 30, 35)).toMatchObject({ archive_rows_deleted: 20 });
          const { n: leftArchived } = onlyRow(
            await db.sql`select count(*)::int as n from sensor_readings_archive`,
          );
          expect(leftArchived).toBe(0);
        } finally {
          await s.stop();
        }
      });
    });

    describe('aggregates', () => {
      let db: TestDatabase;
      beforeAll(async () => {
        db = await createTestDatabase(`it_db_agg_${flavor}`);
        await migrate(db.url, flavor);
      });
      afterAll(async () => {
        await db?.drop();
      });

      /** Materializes what the background refresh would: the sink's maintenance, or the policies. */
      const materialize = async (s: ReadingStore) => {
        if (flavor === 'native') await s.maintain(3, 30, 90);
        else for (const job of await refreshJobs(db.sql)) await db.sql.unsafe(`call run_job(${job})`);
      };

      it('hourly and daily equal a GROUP BY over the raw rows right after each write, before any refresh', async () => {
        const s = new ReadingStore(db.url);
        s.start();
        try {
          const readings = makeReadings(300, 3, 5 * HOUR).map(renamed('fresh-'));
          await s.write(readings.slice(0, 200).map((r, i) => copyLine(i, r)));
          expect(await aggregateDiff(db.sql, 'sensor_readings_hourly', '1 hour', 'fresh-')).toEqual([]);
          expect(await aggregateDiff(db.sql, 'sensor_readings_daily', '1 day', 'fresh-')).toEqual([]);
          await s.write(readings.slice(200).map((r, i) => copyLine(i, r)));
          expect(await aggregateDiff(db.sql, 'sensor_readings_hourly', '1 hour', 'fresh-')).toEqual([]);
          expect(await aggregateDiff(db.sql, 'sensor_readings_daily', '1 day', 'fresh-')).toEqual([]);
          const { total } = onlyRow(
            await db.sql`select sum(reading_count)::int as total from sensor_readings_daily where device_id like 'fresh-%'`,
          );
          expect(total).toBe(300);
        } finally {
          await s.stop();
        }
      });

      it(
        flavor === 'native'
          ? 'late rows into materialized hours count right after the write, and after the refresh'
          : 'late rows into materialized hours count after the refresh policy runs (rows above the watermark at once)',
        async () => {
          const s = new ReadingStore(db.url);
          s.start();
          try {
            const readings = makeReadings(400, 4, 6 * HOUR).map(renamed('late-'));
            const early = readings.filter((_, i) => i % 5 !== 0);
            const late = readings.filter((_, i) => i % 5 === 0);
            await s.write(early.map((r, i) => copyLine(i, r)));
            await materialize(s);
            expect(await aggregateDiff(db.sql, 'sensor_readings_hourly', '1 hour', 'late-')).toEqual([]);
            await s.write(late.map((r, i) => copyLine(i, r)));
            if (flavor === 'native') {
              expect(await aggregateDiff(db.sql, 'sensor_readings_hourly', '1 hour', 'late-')).toEqual([]);
              expect(await aggregateDiff(db.sql, 'sensor_readings_daily', '1 day', 'late-')).toEqual([]);
            } else {
              // Real-time aggregation covers the hours above the watermark (the last hour); the
              // late rows of materialized hours wait for the refresh policy (every minute).
              const stale = await aggregateDiff(db.sql, 'sensor_readings_hourly', '1 hour', 'late-');
              expect(stale.length).toBeGreaterThan(0);
              for (const row of stale) {
                expect((row.raw_bucket as Date).getTime()).toBeLessThan(Date.now() - HOUR);
              }
            }
            await materialize(s);
            expect(await aggregateDiff(db.sql, 'sensor_readings_hourly', '1 hour', 'late-')).toEqual([]);
            expect(await aggregateDiff(db.sql, 'sensor_readings_daily', '1 day', 'late-')).toEqual([]);
          } finally {
            await s.stop();
          }
        },
      );

      it('archiving keeps the aggregates of the archived days, also when the archive age is shorter than the refresh window', async () => {
        const s = new ReadingStore(db.url);
        s.start();
        try {
          const old = makeReadings(60, 3, 3 * HOUR, Date.now() - 10 * DAY).map(renamed('kept-'));
          await s.write(old.map((r, i) => copyLine(i, r)));
          if (flavor === 'timescale') {
            // History older than the policies' windows is materialized once by hand, as after a backfill.
            for (const view of ['sensor_readings_hourly', 'sensor_readings_daily']) {
              await db.sql.unsafe(
                `call refresh_continuous_aggregate('${view}', null, now() - interval '2 days')`,
              );
            }
          }
          await materialize(s);
          const counted = async (view: string) =>
            onlyRow(
              await db.sql.unsafe(
                `select coalesce(sum(reading_count), 0)::int as n from ${view} where device_id like 'kept-%'`,
              ),
            ).n as number;
          expect(await counted('sensor_readings_hourly')).toBe(60);
          expect(await counted('sensor_readings_daily')).toBe(60);
          // Archive after 5 days: the 10-day-old rows leave, and the refreshes that follow keep their buckets.
          expect(await s.maintain(3, 5, 90)).toMatchObject({ rows_archived: 60 });
          await materialize(s);
          expect(await counted('sensor_readings_hourly')).toBe(60);
          expect(await counted('sensor_readings_daily')).toBe(60);
          const { n: raw } = onlyRow(
            await db.sql`select count(*)::int as n from sensor_readings where device_id like 'kept-%'`,
          );
          expect(raw).toBe(0);
        } finally {
          await s.stop();
        }
      });

      if (flavor === 'timescale')
        it("the server's job scheduler runs the refresh policies by itself, successfully", async () => {
          const s = new ReadingStore(db.url);
          s.start();
          try {
            const late = makeReadings(40, 2, 2 * HOUR, Date.now() - 2 * HOUR).map(renamed('sched-'));
            const jobs = await refreshJobs(db.sql);
            const before = await jobRuns(db.sql, jobs);
            await s.write(late.map((r, i) => copyLine(i, r)));
            // Each policy runs every minute: wait for a run that started after the write.
            const after = await waitFor(
              'both refresh policies to run once more',
              async () => {
                const now = await jobRuns(db.sql, jobs);
                return jobs.every((j) => now.get(j)!.runs > before.get(j)!.runs) ? now : undefined;
              },
              180_000,
              1_000,
            );
            for (const j of jobs) {
              expect(after.get(j), `job ${j}`).toMatchObject({ failures: 0, status: 'Success' });
            }
            const errors = await db.sql`select job_id, err_message from timescaledb_information.job_errors`;
            expect(errors).toEqual([]);
            expect(await aggregateDiff(db.sql, 'sensor_readings_hourly', '1 hour', 'sched-')).toEqual([]);
          } finally {
            await s.stop();
          }
        });
    });

    if (flavor === 'timescale')
      describe('compression', () => {
        let db: TestDatabase;
        beforeAll(async () => {
          db = await createTestDatabase('it_db_compress');
          await migrate(db.url, flavor);
        });
        afterAll(async () => {
          await db?.drop();
        });

        it('compresses a chunk of simulator data older than a week, reads every row back, and takes late and replayed rows', async () => {
          // One UTC day, ten days ago, of the simulator's sensors: 60 devices every 30 s.
          const day = Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
          const generator = new ReadingGenerator({
            seed: 15,
            startMs: day,
            intervalSec: 30,
            numDevices: 60,
            deviceTypes: ['temperature', 'humidity', 'pressure', 'motion', 'light'],
            anomalyProbability: 0.05,
            ruuviTags: 0,
            ruuviFormats: [5],
            gateways: 1,
            duplicateGatewayShare: 0,
            gatewayTime: true,
          });
          const readings: SensorReading[] = [];
          while (generator.peekTimeMs() < day + DAY) {
            const unit = generator.next();
            if (unit.kind === 'generic') readings.push(genericRecord(unit.reading));
          }
          // Every sensor every 30 s, less the dropouts the simulator draws.
          expect(readings.length).toBeGreaterThan(0.9 * 60 * 2 * 60 * 24);
          const s = new ReadingStore(db.url);
          s.start();
          try {
            for (let i = 0; i < readings.length; i += 5000) {
              await s.write(readings.slice(i, i + 5000).map((r, k) => copyLine(k, r)));
            }
            const chunks = await db.sql<{ chunk: string }[]>`
            select c::text as chunk from show_chunks('sensor_readings', older_than => now() - interval '7 days') c`;
            expect(chunks).toHaveLength(1);
            const chunk = chunks[0]!.chunk;
            await db.sql`select compress_chunk(${chunk}::regclass)`;
            const [stats] = await db.sql<
              { status: string; before: string; after: string }[]
            >`select compression_status as status, before_compression_total_bytes as before,
                   after_compression_total_bytes as after
              from chunk_compression_stats('sensor_readings')
             where chunk_schema || '.' || chunk_name = ${chunk}`;
            expect(stats!.status).toBe('Compressed');
            const ratio = Number(stats!.before) / Number(stats!.after);
            console.log(
              `compression of ${readings.length} simulator readings (one day, 60 sensors every 30 s): ${stats!.before} -> ${stats!.after} bytes, ratio ${ratio.toFixed(1)}`,
            );
            expect(ratio).toBeGreaterThan(2);

            // Every row reads back from the compressed chunk, bit-equal.
            const digest = (rows: Array<{ reading_id: string; ts: Date; value: number }>) =>
              manifestDigest(
                rows.map((r) => ({ reading_id: r.reading_id, timestamp_ms: r.ts.getTime(), value: r.value })),
              );
            const back = await db.sql<{ reading_id: string; ts: Date; value: number }[]>`
            select reading_id, "timestamp" as ts, value from sensor_readings
             where "timestamp" >= ${new Date(day)} and "timestamp" < ${new Date(day + DAY)}`;
            expect(back).toHaveLength(readings.length);
            expect(digest(back)).toBe(
              digest(readings.map((r) => ({ reading_id: r.reading_id, ts: r.timestamp, value: r.value }))),
            );

            // The sink's replay of a batch into the compressed chunk stores nothing twice; a late
            // reading of that day still lands.
            expect(await s.write(readings.slice(0, 2000).map((r, k) => copyLine(k, r)))).toBe(0);
            const lateReading = { ...readings[0]!, reading_id: `${readings[0]!.device_id}#late` };
            expect(await s.write([copyLine(0, lateReading)])).toBe(1);
            const { n } = onlyRow(
              await db.sql`
            select count(*)::int as n from sensor_readings
             where "timestamp" >= ${new Date(day)} and "timestamp" < ${new Date(day + DAY)}`,
            );
            expect(n).toBe(readings.length + 1);
          } finally {
            await s.stop();
          }
        });
      });
  });
}

/** TimescaleDB chunks of sensor_readings wholly before `cut` (an SQL expression). */
async function oldChunks(sql: postgres.Sql, cut: string): Promise<string[]> {
  const rows = await sql.unsafe<{ chunk: string }[]>(
    `select c::text as chunk from show_chunks('sensor_readings', older_than => ${cut}) c`,
  );
  return rows.map((r) => r.chunk);
}

/** The ids of the two aggregates' refresh policies. */
async function refreshJobs(sql: postgres.Sql): Promise<number[]> {
  const rows = await sql<{ job_id: number }[]>`
    select job_id from timescaledb_information.jobs
     where proc_name = 'policy_refresh_continuous_aggregate' order by job_id`;
  expect(rows).toHaveLength(2);
  return rows.map((r) => r.job_id);
}

async function jobRuns(
  sql: postgres.Sql,
  jobs: readonly number[],
): Promise<Map<number, { runs: number; failures: number; status: string | null }>> {
  const rows = await sql<{ job_id: number; runs: number; failures: number; status: string | null }[]>`
    select job_id, total_runs::int as runs, total_failures::int as failures, last_run_status as status
      from timescaledb_information.job_stats where job_id = any(${jobs as number[]})`;
  return new Map(
    jobs.map((j) => {
      const r = rows.find((x) => x.job_id === j);
      return [j, { runs: r?.runs ?? 0, failures: r?.failures ?? 0, status: r?.status ?? null }];
    }),
  );
}
