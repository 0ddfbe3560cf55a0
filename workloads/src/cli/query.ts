import type { Argv, CommandModule } from 'yargs';
import { loadConnectionConfig } from '../config/common.js';
import { formatJson, formatTable, ReadingQueries, type Row } from '../query/index.js';

interface QueryArgs {
  json: boolean;
  limit: number;
  hours?: number;
  days?: number;
  minutes?: number;
  type?: string;
  device?: string;
  device_id?: string;
}

async function run(args: QueryArgs, ask: (q: ReadingQueries) => Promise<Row[]>): Promise<void> {
  const q = new ReadingQueries(loadConnectionConfig().databaseUrl);
  try {
    const rows = await ask(q);
    process.stdout.write(args.json ? formatJson(rows) : formatTable(rows));
  } finally {
    await q.close();
  }
}

const sub = (
  command: string,
  describe: string,
  options: (y: Argv<QueryArgs>) => Argv<QueryArgs>,
  ask: (q: ReadingQueries, a: QueryArgs) => Promise<Row[]>,
): CommandModule<QueryArgs, QueryArgs> => ({
  command,
  describe,
  builder: (y) => options(y),
  handler: (a) => run(a, (q) => ask(q, a)),
});

const typeOpt = { type: 'string', describe: 'device_type, e.g. temperature_sensor' } as const;
const deviceOpt = { type: 'string', describe: 'device_id, e.g. c6:8d:c6:26:39:a6_temperature' } as const;

/** `iotpipe query <question>`: the original README's common questions, as a table or --json. */
export const queryCommand: CommandModule<object, QueryArgs> = {
  command: 'query',
  describe: 'ask the database: recent, device, hourly, daily, anomalies, gaps, summary',
  builder: (y: Argv<object>) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print rows as JSON' })
      .option('limit', { type: 'number', default: 100, describe: 'at most this many rows' })
      .command(
        sub(
          'recent',
          'readings of the last hours, newest first',
          (y) => y.option('hours', { type: 'number', default: 24 }).option('type', typeOpt),
          (q, a) => q.recent({ hours: a.hours ?? 24, limit: a.limit, deviceType: a.type }),
        ),
      )
      .command(
        sub(
          'device <device_id>',
          "one device's readings of the last days",
          (y) =>
            y
              .positional('device_id', { ...deviceOpt, demandOption: true })
              .option('days', { type: 'number', default: 7 }),
          (q, a) => q.history({ deviceId: String(a.device_id), days: a.days ?? 7, limit: a.limit }),
        ),
      )
      .command(
        sub(
          'hourly',
          'hourly aggregates (sensor_readings_hourly)',
          (y) =>
            y
              .option('days', { type: 'number', default: 7 })
              .option('type', typeOpt)
              .option('device', deviceOpt),
          (q, a) =>
            q.aggregates('hourly', {
              days: a.days ?? 7,
              deviceType: a.type,
              deviceId: a.device,
              limit: a.limit,
            }),
        ),
      )
      .command(
        sub(
          'daily',
          'daily aggregates (sensor_readings_daily)',
          (y) =>
            y
              .option('days', { type: 'number', default: 30 })
              .option('type', typeOpt)
              .option('device', deviceOpt),
          (q, a) =>
            q.aggregates('daily', {
              days: a.days ?? 30,
              deviceType: a.type,
              deviceId: a.device,
              limit: a.limit,
            }),
        ),
      )
      .command(
        sub(
          'anomalies',
          'readings flagged anomalous',
          (y) => y.option('hours', { type: 'number', default: 24 }),
          (q, a) => q.anomalies({ hours: a.hours ?? 24, limit: a.limit }),
        ),
      )
      .command(
        sub(
          'gaps',
          'periods without readings longer than --minutes',
          (y) =>
            y
              .option('minutes', { type: 'number', default: 30 })
              .option('days', { type: 'number', default: 7 })
              .option('device', deviceOpt),
          (q, a) =>
            q.gaps({ minutes: a.minutes ?? 30, days: a.days ?? 7, deviceId: a.device, limit: a.limit }),
        ),
      )
      .command(
        sub(
          'summary',
          'per-device statistics (device_summary)',
          (y) => y,
          (q, a) => q.summary(a.limit),
        ),
      )
      .demandCommand(1, 'name a question: recent, device, hourly, daily, anomalies, gaps, summary'),
  handler: () => {},
};
