import type { CommandModule } from 'yargs';
import { isPostgresClosedSocketError, KafkaSink, loadSinkConfig } from '../sink/index.js';

/**
 * `iotpipe sink`: Kafka -> PostgreSQL until SIGINT/SIGTERM. All settings come from the
 * environment (workloads/src/sink/config.ts); the CLI only wires.
 */
export const sinkCommand: CommandModule = {
  command: 'sink',
  describe:
    'write the pipeline topic into sensor_readings exactly once (migrates the database first); metrics on SINK_METRICS_PORT (8003)',
  handler: async () => {
    const sink = new KafkaSink(loadSinkConfig(), undefined, () => {
      // Not awaited: a fatal-error callback cannot be awaited; exit follows the stop whatever its outcome.
      void sink.stop().finally(() => process.exit(1));
    });
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
    const shutdown = () => void sink.stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    await sink.start();
  },
};
