import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SensorReading } from '../../workloads/src/schema/index.js';
import { copyLine } from '../../workloads/src/sink/rows.js';
import { ReadingStore } from '../../workloads/src/sink/store.js';
import {
  ACCESS_STATEMENTS,
  README_DEVICE,
  readmeStatements,
  withCurrentDates,
} from '../../scripts/readme-queries.js';
import { stackConfig } from '../support/stack.js';
import {
  createTestDatabase,
  FLAVOURS,
  flavourTitle,
  flavourUnavailable,
  makeReadings,
  migrate,
  type TestDatabase,
} from './db-support.js';
import { onlyRow } from '../support/rows.js';

const exec = promisify(execFile);
const cli = join(stackConfig.repoRoot, 'workloads', 'dist', 'cli.js');
/** `iotpipe query --json` output: an array of rows. */
const jsonRows = <Row = Record<string, unknown>>(text: string) => JSON.parse(text) as Row[];

/** The README's example device every 10 minutes for 6 hours, with one 50-minute hole. */
function readmeDeviceReadings(now: number): SensorReading[] {
  const [template] = makeReadings(1, 1, 0, now);
  const out: SensorReading[] = [];
  for (let i = 0; i < 36; i++) {
    if (i >= 10 && i < 14) continue;
    out.push({
      ...template!,
      device_id: README_DEVICE,
      device_type: 'temperature_sensor',
      reading_id: `${README_DEVICE}#${i}`,
      measurement_sequence: i,
      timestamp: new Date(now - (36 - i) * 600_000),
      value: 21 + i / 10,
      battery_level: 3.0 - i * 0.001,
      is_anomaly: i === 20,
      source: 'RUUVI_GATEWAY',
      time_source: 'GATEWAY',
    });
  }
  return out;
}

for (const flavor of FLAVOURS) {
  describe.skipIf(flavourUnavailable(flavor) !== undefined)(
    `the original README's SQL and \`iotpipe query\`, ${flavourTitle(flavor)}`,
    () => {
      let db: TestDatabase;
      const now = Date.now();
      beforeAll(async () => {
        db = await createTestDatabase(`it_db_readme_${flavor}`);
        await migrate(db.url, flavor);
        const store = new ReadingStore(db.url);
        store.start();
        try {
          const readings = [...makeReadings(2000, 20, 6 * 3_600_000, now), ...readmeDeviceReadings(now)];
          expect(await store.write(readings.map((r, i) => copyLine(i, r)))).toBe(readings.length);
          // No maintenance run and no refresh: the aggregates must answer from what was written.
        } finally {
          await store.stop();
        }
      });
      afterAll(async () => {
        await db?.drop();
      });

      const statements = readmeStatements();

      it('the fixture holds every query of the README section (16, two of them TimescaleDB catalog queries)', () => {
        expect(statements).toHaveLength(16);
        expect(statements.filter((s) => s.timescaleOnly)).toHaveLength(2);
      });

      for (const [i, s] of statements.entries()) {
        if (s.timescaleOnly && flavor === 'native') continue;
        it(`README query ${i + 1} runs and returns rows: ${s.title}`, async () => {
          const rows = await db.sql.unsafe(withCurrentDates(s.sql, now));
          expect(rows.length).toBeGreaterThan(0);
        });
      }

      if (flavor === 'timescale') {
        for (const statement of ACCESS_STATEMENTS) {
          it(`README ${statement.title} runs and returns rows`, async () => {
            const rows = await db.sql.unsafe(statement.sql);
            expect(rows.length).toBeGreaterThan(0);
          });
        }
      } else {
        it('on plain PostgreSQL the TimescaleDB catalog queries fail for lack of the extension, as expected', async () => {
          const { n } = onlyRow(
            await db.sql`select count(*)::int as n from pg_extension where extname = 'timescaledb'`,
          );
          expect(n).toBe(0);
          for (const statement of [
            ...statements.filter((s) => s.timescaleOnly).map((s) => s.sql),
            ...ACCESS_STATEMENTS.map((s) => s.sql),
          ]) {
            await expect(db.sql.unsafe(statement)).rejects.toThrow(/timescaledb_information/);
          }
        });
      }

      const iotpipe = async (args: string[]) => {
        const { stdout } = await exec(process.execPath, [cli, ...args], {
          env: { ...process.env, DATABASE_URL: db.url },
        });
        return stdout;
      };

      it('`iotpipe query` answers each question; --json gives parseable rows', async () => {
        const summary = jsonRows(await iotpipe(['query', 'summary', '--json', '--limit', '1000']));
        expect(summary).toHaveLength(21);
        expect(summary.find((r) => r.device_id === README_DEVICE)).toMatchObject({
          reading_count: 32,
          anomaly_count: 1,
        });

        const gaps = jsonRows<{ gap_minutes: string }>(
          await iotpipe(['query', 'gaps', '--json', '--minutes', '30', '--device', README_DEVICE]),
        );
        expect(gaps).toHaveLength(1);
        expect(Number(gaps[0]!.gap_minutes)).toBe(50);

        const history = jsonRows(await iotpipe(['query', 'device', README_DEVICE, '--json']));
        expect(history).toHaveLength(32);
        const hourly = jsonRows<{ reading_count: number }>(
          await iotpipe(['query', 'hourly', '--json', '--device', README_DEVICE]),
        );
        expect(hourly.reduce((a, r) => a + r.reading_count, 0)).toBe(32);
        const daily = jsonRows<{ reading_count: number }>(
          await iotpipe(['query', 'daily', '--json', '--device', README_DEVICE]),
        );
        expect(daily.reduce((a, r) => a + r.reading_count, 0)).toBe(32);
        const anomalies = jsonRows(await iotpipe(['query', 'anomalies', '--json', '--limit', '1000']));
        expect(anomalies.length).toBeGreaterThan(1);
        const recent = await iotpipe(['query', 'recent', '--limit', '5', '--type', 'temperature_sensor']);
        expect(recent.split('\n')[0]).toMatch(
          /^device_id\s+device_type\s+value\s+unit\s+timestamp\s+is_anomaly$/,
        );
        expect(recent).toContain('(5 rows)');
      });
    },
  );
}
