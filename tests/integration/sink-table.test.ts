// `sink.table` (SINK_TABLE): the migrator makes the named readings table with sensor_readings'
// shape, and the sink's store writes there, idempotently, and not into sensor_readings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migrator } from '../../workloads/src/db/migrator.js';
import { copyLine } from '../../workloads/src/sink/rows.js';
import { ReadingStore } from '../../workloads/src/sink/store.js';
import { onlyRow } from '../support/rows.js';
import {
  createTestDatabase,
  FLAVOURS,
  flavourTitle,
  flavourUnavailable,
  makeReadings,
  type TestDatabase,
} from './db-support.js';

const TABLE = 'greenhouse_readings';

for (const flavor of FLAVOURS) {
  describe.skipIf(flavourUnavailable(flavor) !== undefined)(
    `a readings table other than sensor_readings (SINK_TABLE), ${flavourTitle(flavor)}`,
    () => {
      let db: TestDatabase;
      beforeAll(async () => {
        db = await createTestDatabase(`it_sink_table_${flavor}`);
      });
      afterAll(async () => {
        await db?.drop();
      });

      const columns = async (table: string) =>
        (
          await db.sql<{ c: string }[]>`
        select format('%s %s %s %s', column_name, data_type, is_nullable, coalesce(column_default, '-')) as c
          from information_schema.columns where table_name = ${table} order by ordinal_position`
        ).map((r) => r.c);
      const checks = async (table: string) =>
        (
          await db.sql<{ d: string }[]>`
        select pg_get_constraintdef(oid) as d from pg_constraint
         where conrelid = ${table}::regclass order by 1`
        ).map((r) => r.d);

      it('is made by the migrator, next to sensor_readings, with its columns, constraints and time partitioning', async () => {
        const first = await new Migrator({ databaseUrl: db.url, readingsTable: TABLE, flavor }).migrate();
        expect(await columns(TABLE)).toEqual(await columns('sensor_readings'));
        expect(await checks(TABLE)).toEqual(await checks('sensor_readings'));
        expect(first.flavor).toBe(flavor);
        if (flavor === 'native') {
          const { strategy } = onlyRow(
            await db.sql<{ strategy: string }[]>`
          select partstrat as strategy from pg_partitioned_table where partrelid = ${TABLE}::regclass`,
          );
          expect(strategy).toBe('r');
        } else {
          const { n } = onlyRow(
            await db.sql<{ n: number }[]>`
          select count(*)::int as n from timescaledb_information.hypertables where hypertable_name = ${TABLE}`,
          );
          expect(n).toBe(1);
        }
        // Again: nothing to apply, and the table is left as it is.
        const again = await new Migrator({ databaseUrl: db.url, readingsTable: TABLE, flavor }).migrate();
        expect(again.applied).toEqual([]);
      });

      it('the store writes there exactly once, replays included, and nothing into sensor_readings', async () => {
        const store = new ReadingStore(db.url, 30_000, undefined, 1, TABLE);
        store.start();
        try {
          const readings = makeReadings(500, 10, 3_600_000);
          const lines = readings.map((r, i) => copyLine(i, r));
          expect(await store.write(lines)).toBe(500);
          expect(await store.write(lines)).toBe(0);
          const count = async (table: string) =>
            onlyRow(await db.sql<{ n: number }[]>`select count(*)::int as n from ${db.sql(table)}`).n;
          expect(await count(TABLE)).toBe(500);
          expect(await count('sensor_readings')).toBe(0);
        } finally {
          await store.stop();
        }
      });

      it('refuses a value the constraints refuse, as sensor_readings does', async () => {
        const store = new ReadingStore(db.url, 30_000, undefined, 1, TABLE);
        store.start();
        try {
          const [r] = makeReadings(1, 1, 1000);
          await expect(
            store.write([copyLine(0, { ...r!, value: Number.POSITIVE_INFINITY })]),
          ).rejects.toThrow(/sensor_readings_value_check|value_check/);
        } finally {
          await store.stop();
        }
      });
    },
  );
}
