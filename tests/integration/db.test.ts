import { cpSync, mkdtempSync, appendFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyPostgresFailure } from '@iotpipe/runtime';
import { MIGRATIONS_DIR, Migrator } from '../../workloads/src/db/migrator.js';
import { copyLine } from '../../workloads/src/sink/rows.js';
import { ReadingStore } from '../../workloads/src/sink/store.js';
import { createTestDatabase, makeReadings, type TestDatabase } from './db-support.js';
import { onlyRow } from '../support/rows.js';

const DAY = 86_400_000;

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('it_db_migrate');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('three processes migrating at once apply each migration exactly once; a rerun applies nothing', async () => {
    const results = await Promise.all([1, 2, 3].map(() => new Migrator({ databaseUrl: db.url }).migrate()));
    const versions = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).length > 0;
    expect(versions).toBe(true);
    expect(results.map((r) => r.flavor)).toEqual(['native', 'native', 'native']);
    const appliedCounts = results.map((r) => r.applied.length).sort();
    expect(appliedCounts).toEqual([0, 0, results[0]!.current]);
    const rows = await db.sql<{ version: number }[]>`select version from schema_migrations order by version`;
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: results[0]!.current }, (_, i) => i + 1));
    expect((await new Migrator({ databaseUrl: db.url }).migrate()).applied).toEqual([]);
  });

  it('creates the README tables and views, and daily partitions from yesterday to 3 days ahead', async () => {
    const rels = await db.sql<{ relname: string }[]>`
      select relname from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r','p','v')`;
    const names = new Set(rels.map((r) => r.relname));
    for (const n of [
      'sensor_readings',
      'sensor_readings_archive',
      'sensor_readings_hourly',
      'sensor_readings_daily',
      'device_summary',
      'recent_sensor_readings',
      'anomalous_sensor_readings',
      'sensor_readings_default',
    ]) {
      expect(names, n).toContain(n);
    }
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    for (let d = -1; d <= 3; d++) {
      const day = new Date(today + d * DAY).toISOString().slice(0, 10).replace(/-/g, '');
      expect(names, `partition for ${day}`).toContain(`sensor_readings_p${day}`);
    }
  });

  it('refuses to run when an applied migration file was edited afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iotpipe-migrations-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    appendFileSync(join(dir, '0002_views.sql'), '\n-- edited\n');
    await expect(new Migrator({ databaseUrl: db.url, dir }).migrate()).rejects.toThrow(
      /0002_views.sql was changed/,
    );
  });
});

describe('storing readings', () => {
  let db: TestDatabase;
  const store = () => new ReadingStore(db.url);
  beforeAll(async () => {
    db = await createTestDatabase('it_db_store');
    await new Migrator({ databaseUrl: db.url }).migrate();
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
      const secondGateway = { ...r, timestamp: new Date(r.timestamp.getTime() + 1500), gateway_id: 'gw-2' };
      expect(await s.write([copyLine(0, r), copyLine(1, secondGateway)])).toBe(1);
      const thirdGateway = { ...r, timestamp: new Date(r.timestamp.getTime() - 2000), gateway_id: 'gw-3' };
      expect(await s.write([copyLine(0, thirdGateway)])).toBe(0);
      const wrapped = { ...r, timestamp: new Date(r.timestamp.getTime() - DAY) };
      expect(await s.write([copyLine(0, wrapped)])).toBe(1);
      const { n } = onlyRow(
        await db.sql<
          { n: number }[]
        >`select count(*)::int as n from sensor_readings where reading_id = ${r.reading_id}`,
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
      const [good, bad] = makeReadings(2, 2, 60_000).map((r) => ({
        ...r,
        device_id: `chk-${r.device_id}`,
        reading_id: `chk-${r.reading_id}`,
      }));
      const err = await s
        .write([copyLine(0, good!), copyLine(1, { ...bad!, battery_level: 150 })])
        .catch((e: unknown) => e);
      expect((err as { code: string }).code).toBe('23514');
      expect(classifyPostgresFailure(err)).toBe('permanent');
      const err2 = await s.write([copyLine(0, { ...good!, value: Number.NaN })]).catch((e: unknown) => e);
      expect(classifyPostgresFailure(err2)).toBe('permanent');
      const { n } = onlyRow(
        await db.sql<
          { n: number }[]
        >`select count(*)::int as n from sensor_readings where reading_id like 'chk-%'`,
      );
      expect(n).toBe(0);
    } finally {
      await s.stop();
    }
  });
});

describe('maintenance: partitions, archive, retention', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('it_db_maint');
    await new Migrator({ databaseUrl: db.url }).migrate();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('moves rows out of the DEFAULT partition, archives partitions past 30 days, drops archived rows past 90 days', async () => {
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
      // Every row without a daily partition sits in DEFAULT: 10, 40, 100 days ago and 20 days ahead.
      const { n: inDefault } = onlyRow(
        await db.sql<{ n: number }[]>`select count(*)::int as n from sensor_readings_default`,
      );
      expect(inDefault).toBe(80);

      const result = await s.maintain(3, 30, 90);
      expect(result).toMatchObject({ rows_moved_from_default: 80, partitions_archived: expect.any(Number) });

      const { n: leftInDefault } = onlyRow(
        await db.sql<{ n: number }[]>`select count(*)::int as n from sensor_readings_default`,
      );
      expect(leftInDefault).toBe(0);
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
      // The 10-day-old rows now live in their own daily partition, not in DEFAULT.
      const { part } = onlyRow(
        await db.sql<{ part: string }[]>`
        select tableoid::regclass::text as part from sensor_readings where device_id = 'tenDays_temperature' limit 1`,
      );
      expect(part).toMatch(/^sensor_readings_p\d{8}$/);
      // No partition older than 30 days is left.
      const old = await db.sql`
        select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
         where i.inhparent = 'sensor_readings'::regclass and c.relname ~ '^sensor_readings_p'
           and to_date(substr(c.relname, 18), 'YYYYMMDD') < (now() at time zone 'UTC')::date - 30`;
      expect(old).toEqual([]);

      // A second run finds nothing more to move, archive or delete.
      expect(await s.maintain(3, 30, 90)).toMatchObject({
        rows_moved_from_default: 0,
        partitions_archived: 0,
        rows_archived: 0,
        archive_rows_deleted: 0,
      });
      // Retention shorter than the archive's oldest rows deletes them.
      expect(await s.maintain(3, 30, 35)).toMatchObject({ archive_rows_deleted: 20 });
    } finally {
      await s.stop();
    }
  });

  it('keeps hourly and daily aggregates equal to the raw rows after inserts and late inserts', async () => {
    const s = new ReadingStore(db.url);
    s.start();
    try {
      const readings = makeReadings(300, 3, 5 * 3_600_000).map((r) => ({
        ...r,
        device_id: `agg-${r.device_id}`,
        reading_id: `agg-${r.reading_id}`,
      }));
      await s.write(readings.slice(0, 200).map((r, i) => copyLine(i, r)));
      await s.maintain(3, 30, 90);
      await s.write(readings.slice(200).map((r, i) => copyLine(i, r)));
      await s.maintain(3, 30, 90);
      const diff = await db.sql`
        with raw as (
          select time_bucket('1 hour', "timestamp") as bucket, device_id, count(*) as c, avg(value) as a,
                 min(value) as mn, max(value) as mx, count(*) filter (where is_anomaly) as an,
                 last(battery_level, "timestamp") filter (where battery_level is not null) as lb
            from sensor_readings where device_id like 'agg-%' group by 1, 2)
        select * from raw full join sensor_readings_hourly h using (bucket, device_id)
         where (h.device_id like 'agg-%' or raw.device_id is not null)
           and (h.reading_count is distinct from raw.c or abs(h.avg_value - raw.a) > 1e-9
              or h.min_value is distinct from raw.mn or h.max_value is distinct from raw.mx
              or h.anomaly_count is distinct from raw.an or h.latest_battery_level is distinct from raw.lb)`;
      expect(diff).toEqual([]);
      const { daily, total } = onlyRow(
        await db.sql<{ daily: number; total: number }[]>`
        select (select sum(reading_count)::int from sensor_readings_daily where device_id like 'agg-%') as daily,
               (select count(*)::int from sensor_readings where device_id like 'agg-%') as total`,
      );
      expect(daily).toBe(300);
      expect(total).toBe(300);
    } finally {
      await s.stop();
    }
  });
});
