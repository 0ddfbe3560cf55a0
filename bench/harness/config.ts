import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  EnvReader,
  loadConnectionConfig,
  type ConnectionConfig,
} from '../../workloads/src/config/common.js';

/** One set-up of the pipeline's stages, measured over all the steps (a "before" or an "after"). */
export interface BenchVariant {
  readonly name: string;
  readonly adapters: number;
  readonly sinks: number;
  readonly processors: number;
  /** Env for every stage process (e.g. KAFKA_* tuning). */
  readonly env: Readonly<Record<string, string>>;
  /** Env for one kind of stage only: `adapter.X=1`, `sink.X=1`, `processor.X=1` in the spec. */
  readonly stageEnv: Readonly<Record<StageKind, Readonly<Record<string, string>>>>;
}

export const STAGE_KINDS = ['adapter', 'sink', 'processor'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

/** Everything `make bench` needs; built by loadBenchConfig, validated there. */
export interface BenchConfig {
  readonly connection: ConnectionConfig;
  /** Offered readings/s of each step, rising. */
  readonly rates: readonly number[];
  readonly stepSec: number;
  /** After the simulator stops, how long a step may take to have every reading in the database. */
  readonly drainTimeoutSec: number;
  /** Seconds between two readings of one simulated device; devices = rate * interval. */
  readonly intervalSec: number;
  /**
   * rate: the simulator's load mode (--rate, full arrays of simBatchSize per MQTT message);
   * realtime: each device publishes when due, so arrays hold what fell due in one turn (smaller).
   * Either way devices = rate x interval and the simulated clock runs at wall-clock speed, so a
   * reading's timestamp is its creation time.
   */
  readonly simMode: 'rate' | 'realtime';
  /** Readings per MQTT message from the simulator (its --batch-size). */
  readonly simBatchSize: number;
  /**
   * Readings per message in the Mosquitto ceiling. The simulator sends what fell due since its
   * last turn (a few to a few dozen readings per array at these rates), so the default is small.
   */
  readonly mqttCeilingBatch: number;
  readonly simConnections: number;
  /** Rows / records / readings used by each ceiling measurement; 0 skips the ceilings. */
  readonly ceilingRows: number;
  /** Stepping stops once a step's p99 latency passes this. */
  readonly p99LimitSec: number;
  /** Stepping stops once a step's achieved rate is less than this share above the previous. */
  readonly minGain: number;
  readonly sampleMs: number;
  readonly seed: number;
  readonly variants: readonly BenchVariant[];
  /** Where <time>.json/.md/.png/.svg go. */
  readonly outDir: string;
  /** Copy the summary into bench/README.md (between its markers). */
  readonly publish: boolean;
  readonly readmePath: string;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_RATES = [2000, 5000, 7500, 10000, 15000, 20000, 30000, 40000] as const;

/**
 * A variant from `name:adapters=2,sinks=2,DATA_SINK_BATCH_SIZE=5000,sink.X=1`: counts in
 * lower case, upper-case keys are env for every stage, `<stage>.KEY` env for one kind of stage.
 */
export function parseVariant(spec: string, envVar = 'BENCH_VARIANTS'): BenchVariant {
  const fail = (why: string): never => {
    throw new ConfigError(
      'variants',
      envVar,
      `'${spec}' ${why}; write name:adapters=N,sinks=N,processors=N,ENV_VAR=value,sink.ENV_VAR=value`,
    );
  };
  const colon = spec.indexOf(':');
  const name = (colon < 0 ? spec : spec.slice(0, colon)).trim();
  if (!/^[a-zA-Z0-9_-]+$/.test(name)) fail('has no name of letters, digits, - or _');
  const counts = { adapters: 1, sinks: 1, processors: 1 };
  const env: Record<string, string> = {};
  const stageEnv: Record<StageKind, Record<string, string>> = { adapter: {}, sink: {}, processor: {} };
  const body = colon < 0 ? '' : spec.slice(colon + 1);
  for (const item of body.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) fail(`has '${item}' without key=value`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key in counts) {
      const n = Number(value);
      const min = key === 'processors' ? 0 : 1;
      if (!Number.isInteger(n) || n < min || n > 8) fail(`has ${key}=${value}, not an integer in ${min}..8`);
      counts[key as keyof typeof counts] = n;
      continue;
    }
    const m = /^(?:(adapter|sink|processor)\.)?([A-Z][A-Z0-9_]*)$/.exec(key);
    if (!m) fail(`has an unknown key '${key}'`);
    const [, stage, envKey] = m as RegExpExecArray;
    if (stage) stageEnv[stage as StageKind][envKey!] = value;
    else env[envKey!] = value;
  }
  return { name, ...counts, env, stageEnv };
}

function simMode(r: EnvReader): 'rate' | 'realtime' {
  const mode = r.string('simMode', 'BENCH_SIM_MODE', 'rate');
  if (mode !== 'rate' && mode !== 'realtime') {
    throw new ConfigError('simMode', 'BENCH_SIM_MODE', `'${mode}' is not rate or realtime`);
  }
  return mode;
}

function rising(r: EnvReader, field: string, envVar: string, fallback: readonly number[]): number[] {
  const list = r.list(field, envVar, fallback.map(String)).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
      throw new ConfigError(field, envVar, `'${s}' is not a rate in 1..1000000 readings/s`);
    }
    return n;
  });
  for (let i = 1; i < list.length; i++) {
    if (list[i]! <= list[i - 1]!) throw new ConfigError(field, envVar, `rates must rise: ${list.join(',')}`);
  }
  return list;
}

/**
 * Reads and validates the benchmark's settings from env (the CLI merges its flags into the env
 * map first). Touches no network; a bad value throws ConfigError naming field and variable.
 */
export function loadBenchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const r = new EnvReader(env);
  const intervalSec = r.number('intervalSec', 'BENCH_INTERVAL_SEC', 1, 0.01, 60);
  const rates = rising(r, 'rates', 'BENCH_RATES', DEFAULT_RATES);
  for (const rate of rates) {
    if (Math.round(rate * intervalSec) < 1) {
      throw new ConfigError(
        'rates',
        'BENCH_RATES',
        `${rate}/s at BENCH_INTERVAL_SEC=${intervalSec} is less than one device; raise the rate or the interval`,
      );
    }
  }
  const variantSpecs = (env.BENCH_VARIANTS ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  const variants =
    variantSpecs.length === 0 ? [parseVariant('default')] : variantSpecs.map((s) => parseVariant(s));
  const names = new Set(variants.map((v) => v.name));
  if (names.size !== variants.length) {
    throw new ConfigError(
      'variants',
      'BENCH_VARIANTS',
      'two variants share a name; name each one differently',
    );
  }
  return {
    connection: loadConnectionConfig(env),
    rates,
    stepSec: r.number('stepSec', 'BENCH_STEP_SEC', 20, 1, 3600),
    drainTimeoutSec: r.number('drainTimeoutSec', 'BENCH_DRAIN_SEC', 60, 5, 3600),
    intervalSec,
    simMode: simMode(r),
    simBatchSize: r.int('simBatchSize', 'BENCH_SIM_BATCH_SIZE', 100, 1, 1000),
    mqttCeilingBatch: r.int('mqttCeilingBatch', 'BENCH_MQTT_CEILING_BATCH', 10, 1, 1000),
    simConnections: r.int('simConnections', 'BENCH_SIM_CONNECTIONS', 1, 1, 64),
    ceilingRows: r.int('ceilingRows', 'BENCH_CEILING_ROWS', 100_000, 0, 10_000_000),
    p99LimitSec: r.number('p99LimitSec', 'BENCH_P99_LIMIT_SEC', 5, 0.01, 3600),
    minGain: r.number('minGain', 'BENCH_MIN_GAIN', 0.05, 0, 10),
    sampleMs: r.int('sampleMs', 'BENCH_SAMPLE_MS', 1000, 100, 60_000),
    seed: r.int('seed', 'BENCH_SEED', 11, 0, 2 ** 32 - 1),
    variants,
    outDir: r.string('outDir', 'BENCH_OUT_DIR', `${REPO_ROOT}bench/results`),
    publish: r.bool('publish', 'BENCH_PUBLISH', false),
    readmePath: r.string('readmePath', 'BENCH_README', `${REPO_ROOT}bench/README.md`),
  };
}
