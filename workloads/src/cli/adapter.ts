import type { CommandModule } from 'yargs';
import { loadAdapterConfig, MqttKafkaAdapter } from '../adapter/index.js';
import { runStage } from './run.js';

/** `iotpipe adapter`: MQTT -> Kafka until SIGINT/SIGTERM. All settings come from env. */
export const adapterCommand: CommandModule = {
  command: 'adapter',
  describe: 'run the MQTT to Kafka adapter (settings from ADAPTER_* and the connection env vars)',
  handler: async () => {
    const config = loadAdapterConfig(process.env);
    await runStage('adapter', (log) => new MqttKafkaAdapter(config, log));
  },
};
