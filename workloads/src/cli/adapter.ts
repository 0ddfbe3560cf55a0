import type { CommandModule } from 'yargs';
import { loadAdapterConfig, MqttKafkaAdapter } from '../adapter/index.js';

/** `iotpipe adapter`: MQTT -> Kafka until SIGINT/SIGTERM. All settings come from env. */
export const adapterCommand: CommandModule = {
  command: 'adapter',
  describe: 'run the MQTT to Kafka adapter (settings from ADAPTER_* and the connection env vars)',
  handler: async () => {
    const adapter = new MqttKafkaAdapter(loadAdapterConfig(process.env));
    const stop = () => void adapter.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await adapter.start();
  },
};
