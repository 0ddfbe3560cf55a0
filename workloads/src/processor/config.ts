import { ConfigError, EnvReader, loadConnectionConfig, type ConnectionConfig } from '../config/common.js';
import { DEFAULT_RULES, type RulesConfig } from './engine.js';

export interface ProcessorConfig {
  readonly connection: ConnectionConfig;
  readonly groupId: string;
  readonly clientId: string;
  readonly metricsPort: number;
  readonly metricsHost: string;
  readonly rules: RulesConfig;
  /** How often the silence timer runs and lag/gauges are refreshed. */
  readonly sweepIntervalMs: number;
  /** The consumer counts as healthy for silence judgement if it fetched within this time. */
  readonly fetchStaleAfterMs: number;
  /** Upper bound on one fetch: bounds the records (and their alerts) in flight. */
  readonly maxBytesPerPartition: number;
  /** Backoff cap for retrying a temporary failure to publish alerts. */
  readonly retryMaxBackoffMs: number;
  /** Read the topic from the beginning when the group has no committed offset. */
  readonly fromBeginning: boolean;
}

/**
 * Every setting from the environment with a default that works on the local stack; validated
 * here, before any connection, so a bad value fails at start naming the field and variable.
 */
export function loadProcessorConfig(env: NodeJS.ProcessEnv = process.env): ProcessorConfig {
  const r = new EnvReader(env);
  const connection = loadConnectionConfig(env);
  const minutes = 60_000;
  const rules: RulesConfig = {
    zScoreThreshold: r.number(
      'rules.zScoreThreshold',
      'PROCESSOR_ZSCORE_THRESHOLD',
      DEFAULT_RULES.zScoreThreshold,
      0.5,
      1000,
    ),
    minSamples: r.int('rules.minSamples', 'PROCESSOR_MIN_SAMPLES', DEFAULT_RULES.minSamples, 2, 1_000_000),
    window: r.int('rules.window', 'PROCESSOR_WINDOW', DEFAULT_RULES.window, 2, 1_000_000),
    minStdDev: r.number('rules.minStdDev', 'PROCESSOR_MIN_STDDEV', DEFAULT_RULES.minStdDev, 0, 1e12),
    silenceAfterMs:
      r.number(
        'rules.silenceAfterMs',
        'PROCESSOR_SILENCE_AFTER_SECONDS',
        DEFAULT_RULES.silenceAfterMs / 1000,
        1,
        7 * 24 * 3600,
      ) * 1000,
    startupGraceMs:
      r.number(
        'rules.startupGraceMs',
        'PROCESSOR_STARTUP_GRACE_SECONDS',
        DEFAULT_RULES.startupGraceMs / 1000,
        0,
        7 * 24 * 3600,
      ) * 1000,
    cooldownMs:
      r.number(
        'rules.cooldownMs',
        'PROCESSOR_ALERT_COOLDOWN_SECONDS',
        DEFAULT_RULES.cooldownMs / 1000,
        0,
        7 * 24 * 3600,
      ) * 1000,
    batteryLowVolts: r.number(
      'rules.batteryLowVolts',
      'PROCESSOR_BATTERY_LOW_VOLTS',
      DEFAULT_RULES.batteryLowVolts,
      0,
      10,
    ),
    batteryLowPercent: r.number(
      'rules.batteryLowPercent',
      'PROCESSOR_BATTERY_LOW_PERCENT',
      DEFAULT_RULES.batteryLowPercent,
      0,
      100,
    ),
    forgetAfterMs:
      r.number(
        'rules.forgetAfterMs',
        'PROCESSOR_FORGET_AFTER_MINUTES',
        DEFAULT_RULES.forgetAfterMs / minutes,
        1,
        365 * 24 * 60,
      ) * minutes,
    maxDevices: r.int('rules.maxDevices', 'PROCESSOR_MAX_DEVICES', DEFAULT_RULES.maxDevices, 1, 10_000_000),
  };
  if (rules.forgetAfterMs <= rules.silenceAfterMs) {
    throw new ConfigError(
      'rules.forgetAfterMs',
      'PROCESSOR_FORGET_AFTER_MINUTES',
      `must be longer than the silence threshold (${rules.silenceAfterMs / 1000} s), or silent devices are forgotten before they are reported`,
    );
  }
  return {
    connection,
    groupId: r.string('groupId', 'PROCESSOR_GROUP_ID', 'iotpipe-processor'),
    clientId: r.string('clientId', 'PROCESSOR_CLIENT_ID', 'iotpipe-processor'),
    metricsPort: r.int('metricsPort', 'PROCESSOR_METRICS_PORT', 8001, 0, 65535),
    metricsHost: r.string('metricsHost', 'PROCESSOR_METRICS_HOST', '0.0.0.0'),
    rules,
    sweepIntervalMs: r.int('sweepIntervalMs', 'PROCESSOR_SWEEP_INTERVAL_MS', 5000, 100, 3_600_000),
    fetchStaleAfterMs: r.int('fetchStaleAfterMs', 'PROCESSOR_FETCH_STALE_AFTER_MS', 30_000, 1000, 3_600_000),
    maxBytesPerPartition: r.int(
      'maxBytesPerPartition',
      'PROCESSOR_MAX_BYTES_PER_PARTITION',
      1_048_576,
      1024,
      64 * 1_048_576,
    ),
    retryMaxBackoffMs: r.int('retryMaxBackoffMs', 'PROCESSOR_RETRY_MAX_BACKOFF_MS', 30_000, 100, 600_000),
    fromBeginning: r.bool('fromBeginning', 'PROCESSOR_FROM_BEGINNING', false),
  };
}
