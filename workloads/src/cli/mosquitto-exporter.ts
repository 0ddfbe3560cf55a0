import type { CommandModule } from 'yargs';
import { loadMosquittoExporterConfig, MosquittoExporter } from '../mosquitto-exporter/exporter.js';

/**
 * `iotpipe mosquitto-exporter`: Mosquitto's $SYS topics as Prometheus metrics until
 * SIGINT/SIGTERM. Settings from the environment (contract: MOSQUITTO_EXPORTER).
 */
export const mosquittoExporterCommand: CommandModule = {
  command: 'mosquitto-exporter',
  describe:
    "serve the Mosquitto broker's $SYS values as Prometheus metrics (MOSQUITTO_EXPORTER_BROKER_URL; /metrics on MOSQUITTO_EXPORTER_PORT, 9234)",
  handler: async () => {
    const exporter = new MosquittoExporter(loadMosquittoExporterConfig());
    const shutdown = () => void exporter.stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    await exporter.start();
    console.error(
      `mosquitto-exporter: ${exporter.config.brokerUrl} $SYS -> :${exporter.metricsPort}/metrics`,
    );
  },
};
