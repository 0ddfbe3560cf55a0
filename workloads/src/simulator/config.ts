import { randomInt } from 'node:crypto';
import { readSettings, SIMULATOR, type SimulatedType } from '@iotpipe/contract';
import { ConfigError, loadConnectionConfig, type ConnectionConfig } from '../config/common.js';

export const SIM_OUTPUTS = SIMULATOR.output.choices;
export type SimOutput = (typeof SIM_OUTPUTS)[number];
export const RUUVI_SIM_FORMATS = [5, 3] as const;
export type RuuviSimFormat = (typeof RUUVI_SIM_FORMATS)[number];

/** Everything `iotpipe simulate` needs; built by loadSimulatorConfig, never by hand in the CLI. */
export interface SimulatorConfig {
  readonly connection: ConnectionConfig;
  /** Generic simulated devices (IOT_NUM_DEVICES); device i measures deviceTypes[i % n]. */
  readonly numDevices: number;
  readonly intervalSec: number;
  readonly deviceTypes: readonly SimulatedType[];
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

/**
 * Reads and validates the simulator's settings from env (flags are merged into the env map by
 * the CLI). Touches no network; a bad value throws ConfigError naming the field and variable.
 */
export function loadSimulatorConfig(
  env: NodeJS.ProcessEnv = process.env,
  now: () => number = Date.now,
): SimulatorConfig {
  const s = readSettings(SIMULATOR, env);
  const formats = s.ruuviFormats.map((f) => Number(f) as RuuviSimFormat);
  if (s.ruuviTags > 0 && formats.includes(3) && s.intervalSec < 1) {
    throw new ConfigError(
      'ruuviFormats',
      SIMULATOR.ruuviFormats.env,
      `format 3 needs ${SIMULATOR.intervalSec.env} >= 1 (it has no sequence counter and gateway time has 1 s steps)`,
    );
  }
  if (s.duplicateGatewayShare > 0 && s.gateways < 2) {
    throw new ConfigError(
      'duplicateGatewayShare',
      SIMULATOR.duplicateGatewayShare.env,
      `needs ${SIMULATOR.gateways.env} >= 2`,
    );
  }
  if (s.numDevices + s.ruuviTags === 0) {
    throw new ConfigError(
      'numDevices',
      SIMULATOR.numDevices.env,
      `no devices: set ${SIMULATOR.numDevices.env} or ${SIMULATOR.ruuviTags.env} > 0`,
    );
  }
  const shard = s.shard.split('/').map(Number);
  return {
    connection: loadConnectionConfig(env),
    numDevices: s.numDevices,
    intervalSec: s.intervalSec,
    deviceTypes: s.deviceTypes,
    anomalyProbability: s.anomalyProbability,
    ruuviTags: s.ruuviTags,
    ruuviFormats: formats,
    gateways: s.gateways,
    duplicateGatewayShare: s.duplicateGatewayShare,
    gatewayTime: s.gatewayTime,
    rate: s.rate === 0 ? null : s.rate,
    durationSec: s.durationSec === 0 ? null : s.durationSec,
    count: s.count === 0 ? null : s.count,
    seed: s.seed === '' ? randomInt(0, 2 ** 32 - 1) : Number(s.seed),
    startMs: s.start === '' ? now() : /^\d+$/.test(s.start) ? Number(s.start) : Date.parse(s.start),
    output: s.output,
    mqttTopicPrefix: s.mqttTopicPrefix.replace(/\/+$/, ''),
    ruuviTopicPrefix: s.ruuviTopicPrefix.replace(/\/+$/, ''),
    mqttClientId: s.mqttClientId === '' ? `iotpipe-sim-${randomInt(0, 1e9).toString(36)}` : s.mqttClientId,
    batchSize: s.batchSize,
    connections: s.connections,
    maxInFlight: s.maxInFlight,
    manifestPath: s.manifestPath === '' ? null : s.manifestPath,
    manifestReadingsPath: s.manifestReadingsPath === '' ? null : s.manifestReadingsPath,
    shard: { index: shard[0]!, count: shard[1]! },
  };
}
