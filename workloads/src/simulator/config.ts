import { randomInt } from 'node:crypto';
import { ConfigError, EnvReader, loadConnectionConfig, type ConnectionConfig } from '../config/common.js';
import { SIMULATED_MEASUREMENTS } from '../schema/measurements.js';

export const SIM_OUTPUTS = ['mqtt', 'kafka'] as const;
export type SimOutput = (typeof SIM_OUTPUTS)[number];
export const RUUVI_SIM_FORMATS = [5, 3] as const;
export type RuuviSimFormat = (typeof RUUVI_SIM_FORMATS)[number];

/** Everything `iotpipe simulate` needs; built by loadSimulatorConfig, never by hand in the CLI. */
export interface SimulatorConfig {
  readonly connection: ConnectionConfig;
  /** Generic simulated devices (IOT_NUM_DEVICES); device i measures deviceTypes[i % n]. */
  readonly numDevices: number;
  readonly intervalSec: number;
  readonly deviceTypes: readonly string[];
  /** Chance, per reading, that an anomaly (spike, stuck value or dropout) starts. */
  readonly anomalyProbability: number;
  readonly ruuviTags: number;
  /** Data formats the virtual tags use, assigned round-robin (tag i uses formats[i % n]). */
  readonly ruuviFormats: readonly RuuviSimFormat[];
  readonly gateways: number;
  /** Share of Ruuvi packets heard by a second gateway too (0..1; needs gateways >= 2). */
  readonly duplicateGatewayShare: number;
  /** Virtual gateways send `ts` (synced clock); without it the adapter stamps receive time. */
  readonly gatewayTime: boolean;
  /** Readings per second; null runs in real time, each device every intervalSec. */
  readonly rate: number | null;
  readonly durationSec: number | null;
  /** Stop after this many readings (a Ruuvi packet's readings are never split). */
  readonly count: number | null;
  readonly seed: number;
  /** Simulated time of the first round, ms since the epoch. */
  readonly startMs: number;
  readonly output: SimOutput;
  readonly mqttTopicPrefix: string;
  readonly ruuviTopicPrefix: string;
  readonly mqttClientId: string;
  /** Generic readings per MQTT message (a JSON array when > 1) or per Kafka batch. */
  readonly batchSize: number;
  /** Parallel MQTT connections / Kafka producers. */
  readonly connections: number;
  /** Messages (MQTT) or batches (Kafka) awaiting acknowledgement before generation pauses. */
  readonly maxInFlight: number;
  readonly manifestPath: string | null;
  readonly manifestReadingsPath: string | null;
  /**
   * This process simulates only devices i with i % count === index, so several processes can
   * share one seeded fleet (each with its own rate); their manifests' readings JSONL together
   * give the whole run's digest.
   */
  readonly shard: { index: number; count: number };
}

const MAX_BATCH = 1000; // the adapter's limit for one iotpipe/sim message

function topicPrefix(r: EnvReader, field: string, envVar: string, fallback: string): string {
  const value = r.string(field, envVar, fallback).replace(/\/+$/, '');
  if (value === '' || /[#+]/.test(value)) {
    throw new ConfigError(field, envVar, `'${value}' is not an MQTT topic prefix (no wildcards, not empty)`);
  }
  return value;
}

function optionalPositive(r: EnvReader, field: string, envVar: string, max: number): number | null {
  const v = r.number(field, envVar, 0, 0, max);
  return v === 0 ? null : v;
}

/**
 * Reads and validates the simulator's settings from env (flags are merged into the env map by
 * the CLI). Touches no network; a bad value throws ConfigError naming the field and variable.
 */
export function loadSimulatorConfig(
  env: NodeJS.ProcessEnv = process.env,
  now: () => number = Date.now,
): SimulatorConfig {
  const r = new EnvReader(env);
  const deviceTypes = r.list('deviceTypes', 'IOT_DEVICE_TYPES', Object.keys(SIMULATED_MEASUREMENTS));
  for (const t of deviceTypes) {
    if (!(t in SIMULATED_MEASUREMENTS)) {
      throw new ConfigError(
        'deviceTypes',
        'IOT_DEVICE_TYPES',
        `unknown type '${t}' (known: ${Object.keys(SIMULATED_MEASUREMENTS).join(', ')})`,
      );
    }
  }
  const formats = r.list('ruuviFormats', 'SIM_RUUVI_FORMATS', ['5']).map((f) => {
    const n = Number(f);
    if (n !== 5 && n !== 3)
      throw new ConfigError('ruuviFormats', 'SIM_RUUVI_FORMATS', `'${f}' is not 5 or 3`);
    return n;
  });
  const intervalSec = r.number('intervalSec', 'IOT_DATA_INTERVAL_SEC', 1.0, 0.001, 86_400);
  const ruuviTags = r.int('ruuviTags', 'SIM_RUUVI_TAGS', 2, 0, 100_000);
  if (ruuviTags > 0 && formats.includes(3) && intervalSec < 1) {
    // Format 3 has no sequence counter: its reading_id is device@timestamp, and gateway `ts`
    // has whole seconds, so two packets in one second would be one reading.
    throw new ConfigError(
      'ruuviFormats',
      'SIM_RUUVI_FORMATS',
      'format 3 needs IOT_DATA_INTERVAL_SEC >= 1 (it has no sequence counter and gateway time has 1 s steps)',
    );
  }
  const gateways = r.int('gateways', 'SIM_GATEWAYS', 1, 1, 1000);
  const duplicateGatewayShare = r.number('duplicateGatewayShare', 'SIM_DUPLICATE_GATEWAYS', 0, 0, 1);
  if (duplicateGatewayShare > 0 && gateways < 2) {
    throw new ConfigError('duplicateGatewayShare', 'SIM_DUPLICATE_GATEWAYS', 'needs SIM_GATEWAYS >= 2');
  }
  const numDevices = r.int('numDevices', 'IOT_NUM_DEVICES', 8, 0, 1_000_000);
  if (numDevices + ruuviTags === 0) {
    throw new ConfigError(
      'numDevices',
      'IOT_NUM_DEVICES',
      'no devices: set IOT_NUM_DEVICES or SIM_RUUVI_TAGS > 0',
    );
  }
  const output = r.string('output', 'SIM_OUTPUT', 'mqtt');
  if (!(SIM_OUTPUTS as readonly string[]).includes(output)) {
    throw new ConfigError('output', 'SIM_OUTPUT', `'${output}' is not one of ${SIM_OUTPUTS.join(', ')}`);
  }
  const startRaw = r.string('start', 'SIM_START', '');
  let startMs = now();
  if (startRaw !== '') {
    startMs = /^\d+$/.test(startRaw) ? Number(startRaw) : Date.parse(startRaw);
    if (!Number.isFinite(startMs)) {
      throw new ConfigError('start', 'SIM_START', `'${startRaw}' is not an ISO 8601 time or epoch ms`);
    }
  }
  const seedRaw = r.string('seed', 'SIM_SEED', '');
  const seed = seedRaw === '' ? randomInt(0, 2 ** 32 - 1) : r.int('seed', 'SIM_SEED', 0, 0, 2 ** 32 - 1);
  const count = r.int('count', 'SIM_COUNT', 0, 0, Number.MAX_SAFE_INTEGER);
  const manifestPath = r.string('manifestPath', 'SIM_MANIFEST', '');
  const shardRaw = r.string('shard', 'SIM_SHARD', '0/1');
  const shardMatch = /^(\d+)\/(\d+)$/.exec(shardRaw);
  const shard = shardMatch ? { index: Number(shardMatch[1]), count: Number(shardMatch[2]) } : null;
  if (!shard || shard.count < 1 || shard.index >= shard.count) {
    throw new ConfigError('shard', 'SIM_SHARD', `'${shardRaw}' is not INDEX/COUNT with 0 <= INDEX < COUNT`);
  }
  const manifestReadingsPath = r.string('manifestReadingsPath', 'SIM_MANIFEST_READINGS', '');
  return {
    connection: loadConnectionConfig(env),
    numDevices,
    intervalSec,
    deviceTypes,
    anomalyProbability: r.number('anomalyProbability', 'IOT_ANOMALY_PROBABILITY', 0.05, 0, 1),
    ruuviTags,
    ruuviFormats: formats,
    gateways,
    duplicateGatewayShare,
    gatewayTime: r.bool('gatewayTime', 'SIM_GATEWAY_TIME', true),
    rate: optionalPositive(r, 'rate', 'SIM_RATE', 10_000_000),
    durationSec: optionalPositive(r, 'durationSec', 'SIM_DURATION_SEC', 365 * 86_400),
    count: count === 0 ? null : count,
    seed,
    startMs,
    output: output as SimOutput,
    mqttTopicPrefix: topicPrefix(r, 'mqttTopicPrefix', 'SIM_MQTT_TOPIC_PREFIX', 'iotpipe/sim'),
    ruuviTopicPrefix: topicPrefix(r, 'ruuviTopicPrefix', 'SIM_RUUVI_TOPIC_PREFIX', 'ruuvi'),
    mqttClientId: r.string(
      'mqttClientId',
      'SIM_MQTT_CLIENT_ID',
      `iotpipe-sim-${randomInt(0, 1e9).toString(36)}`,
    ),
    batchSize: r.int('batchSize', 'SIM_BATCH_SIZE', 100, 1, MAX_BATCH),
    connections: r.int('connections', 'SIM_CONNECTIONS', 1, 1, 64),
    maxInFlight: r.int('maxInFlight', 'SIM_MAX_IN_FLIGHT', 64, 1, 100_000),
    manifestPath: manifestPath === '' ? null : manifestPath,
    manifestReadingsPath: manifestReadingsPath === '' ? null : manifestReadingsPath,
    shard,
  };
}
