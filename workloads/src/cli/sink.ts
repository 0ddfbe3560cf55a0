import type { CommandModule } from 'yargs';
import { isPostgresClosedSocketError, KafkaSink, loadSinkConfig } from '../sink/index.js';
import { runStage } from './run.js';

/**
 * `iotpipe sink`: Kafka -> PostgreSQL until SIGINT/SIGTERM. All settings come from the
 * environment (workloads/src/sink/config.ts); the CLI only wires.
 */
export const sinkCommand: CommandModule = {
  command: 'sink',
  describe:
    'write the pipeline topic into its readings table (SINK_TABLE, sensor_readings) exactly once (migrates the database first); metrics on SINK_METRICS_PORT (8003)',
  handler: async () => {
    const config = loadSinkConfig();
    const tolerate = (err: unknown) => {
      if (!isPostgresClosedSocketError(err)) throw err;
      console.error('sink: postgres.js failed while closing a dropped connection; the write is retried');
    };
    process.on('unhandledRejection', tolerate);
    process.on('uncaughtException', (err) => {
      try {
        tolerate(err);
      } catch {
        console.error(err);
        process.exit(1);
      }
    });
    await runStage('sink', (log, fatal) => new KafkaSink(config, (line) => log.info(line), fatal));
  },
};
