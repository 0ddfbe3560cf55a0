import type { CommandModule } from 'yargs';
import { loadProcessorConfig, StreamProcessor } from '../processor/index.js';
import { runStage } from './run.js';

/**
 * `iotpipe process`: the stream processor (alerts + metrics) until SIGINT/SIGTERM. All settings
 * come from the environment (see workloads/src/processor/config.ts); the CLI only wires.
 */
export const processCommand: CommandModule = {
  command: 'process',
  describe:
    'consume the pipeline topic, keep per-device state and publish alerts (anomalies, outliers, silence, low battery) to the alerts topic; metrics on PROCESSOR_METRICS_PORT (8001)',
  handler: async () => {
    const config = loadProcessorConfig();
    await runStage('processor', (log) => new StreamProcessor(config, (line) => log.info(line)));
  },
};
