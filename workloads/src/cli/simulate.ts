import type { Argv, CommandModule } from 'yargs';
import { loadSimulatorConfig } from '../simulator/config.js';
import { Simulator } from '../simulator/simulator.js';

/** Flag -> the env variable it overrides; the config loader validates both the same way. */
const FLAG_ENV = {
  devices: 'IOT_NUM_DEVICES',
  interval: 'IOT_DATA_INTERVAL_SEC',
  types: 'IOT_DEVICE_TYPES',
  'anomaly-probability': 'IOT_ANOMALY_PROBABILITY',
  'ruuvi-tags': 'SIM_RUUVI_TAGS',
  'ruuvi-formats': 'SIM_RUUVI_FORMATS',
  gateways: 'SIM_GATEWAYS',
  'duplicate-gateways': 'SIM_DUPLICATE_GATEWAYS',
  'gateway-time': 'SIM_GATEWAY_TIME',
  rate: 'SIM_RATE',
  duration: 'SIM_DURATION_SEC',
  count: 'SIM_COUNT',
  seed: 'SIM_SEED',
  start: 'SIM_START',
  output: 'SIM_OUTPUT',
  'topic-prefix': 'SIM_MQTT_TOPIC_PREFIX',
  'ruuvi-topic-prefix': 'SIM_RUUVI_TOPIC_PREFIX',
  'batch-size': 'SIM_BATCH_SIZE',
  connections: 'SIM_CONNECTIONS',
  'max-in-flight': 'SIM_MAX_IN_FLIGHT',
  manifest: 'SIM_MANIFEST',
  'manifest-readings': 'SIM_MANIFEST_READINGS',
  topic: 'KAFKA_TOPIC',
  shard: 'SIM_SHARD',
} as const;

type FlagName = keyof typeof FLAG_ENV;
type SimulateArgs = Partial<Record<FlagName, string | number | boolean>>;

const DESCRIPTIONS: Record<FlagName, string> = {
  devices: 'generic simulated devices (default 8)',
  interval: 'seconds between readings of one device (default 1.0)',
  types: 'generic device types, comma-separated (temperature,humidity,pressure,motion,light)',
  'anomaly-probability': 'chance per reading that a spike, stuck value or dropout starts (default 0.05)',
  'ruuvi-tags': 'virtual RuuviTags (default 2)',
  'ruuvi-formats': 'their data formats, round-robin: 5, 3 or 5,3 (default 5)',
  gateways: 'virtual Ruuvi Gateways (default 1)',
  'duplicate-gateways': 'share 0..1 of Ruuvi packets a second gateway also relays (default 0)',
  'gateway-time': 'gateways send ts (synced clock); --no-gateway-time leaves stamping to the adapter',
  rate: 'readings per second, as fast as asked (default: real time)',
  duration: 'stop after this many seconds (default: run until Ctrl-C)',
  count: 'stop after this many readings',
  seed: 'seed for a repeatable run (default random, printed in the summary)',
  start: 'simulated start time, ISO 8601 or epoch ms (default now)',
  output: 'mqtt (as devices do) or kafka (Avro, as the adapter does)',
  'topic-prefix': 'MQTT topic prefix for generic sensors (default iotpipe/sim)',
  'ruuvi-topic-prefix': 'MQTT topic prefix for Ruuvi Gateway messages (default ruuvi)',
  'batch-size': 'generic readings per MQTT message or Kafka batch, 1..1000 (default 100)',
  connections: 'parallel MQTT connections / Kafka producers (default 1)',
  'max-in-flight': 'unacknowledged messages/batches before generation pauses (default 64)',
  manifest: 'write the run manifest (counts, digest, anomalies) to this JSON file',
  'manifest-readings': 'write every reading as JSONL to this file, for diffing',
  topic: 'Kafka topic for --output kafka (default iot-sensor-data)',
  shard: 'INDEX/COUNT: simulate only this share of the devices, to split a load over processes',
};

/** process.env with the given flags written over their env variables. */
export function simulateEnv(args: SimulateArgs, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const [flag, envVar] of Object.entries(FLAG_ENV) as Array<[FlagName, string]>) {
    const value = args[flag];
    if (value !== undefined) merged[envVar] = String(value);
  }
  return merged;
}

export const simulateCommand: CommandModule<object, SimulateArgs> = {
  command: 'simulate',
  describe: 'simulate IoT sensors and RuuviTags (real time or load), publishing to MQTT or Kafka',
  builder: (y: Argv<object>) => {
    const options = Object.fromEntries(
      (Object.keys(FLAG_ENV) as FlagName[]).map((flag) => [
        flag,
        {
          type: flag === 'gateway-time' ? ('boolean' as const) : ('string' as const),
          describe: `${DESCRIPTIONS[flag]} [${FLAG_ENV[flag]}]`,
        },
      ]),
    );
    // Values stay strings: loadSimulatorConfig parses and validates them like env variables.
    return (y.options(options) as unknown as Argv<SimulateArgs>)
      .example('$0 simulate', '8 devices + 2 RuuviTags in real time to the local Mosquitto')
      .example(
        '$0 simulate --rate 50000 --devices 5000 --duration 30 --seed 7 --manifest m.json',
        'load test',
      );
  },
  handler: async (args) => {
    const simulator = new Simulator(loadSimulatorConfig(simulateEnv(args)), { progress: process.stderr });
    let interrupts = 0;
    const onSignal = () => {
      if (++interrupts > 1) process.exit(130); // a second Ctrl-C does not wait for acks
      // Not awaited: a signal handler cannot be awaited; the handler's own run() returns when stop() completes.
      void simulator.stop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const result = await simulator.run();
      if (result.manifest.errors > 0) process.exitCode = 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
