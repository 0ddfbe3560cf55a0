import type { CommandModule } from 'yargs';
import { loadProcessorConfig, StreamProcessor } from '../processor/index.js';

/**
 * `iotpipe process`: the stream processor (alerts + metrics) until SIGINT/SIGTERM. All settings
 * come from the environment (see workloads/src/processor/config.ts); the CLI only wires.
 */
export const processCommand: CommandModule = {
  command: 'process',
  describe:
    'consume the pipeline topic, keep per-device state and publish alerts (anomalies, outliers, silence, low battery) to the alerts topic; metrics on PROCESSOR_METRICS_PORT (8001)',
  handler: async () => {
    const processor = new StreamProcessor(loadProcessorConfig());
    const shutdown = () => void processor.stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    await processor.start();
    const c = processor.config;
    console.error(
      `processor: ${c.connection.topic} -> ${c.connection.alertsTopic}, group ${c.groupId}, metrics on :${processor.metricsPort}`,
    );
  },
};
