import { KAFKA_ACCOUNTS, kafkaClientEnv, loadStackConfig } from '@iotpipe/local';
import type { Argv, CommandModule } from 'yargs';
import { Benchmark } from './benchmark.js';
import { loadBenchConfig } from './config.js';

/** Flag -> the env variable it overrides; loadBenchConfig validates both the same way. */
const FLAG_ENV = {
  rates: 'BENCH_RATES',
  'step-sec': 'BENCH_STEP_SEC',
  'drain-sec': 'BENCH_DRAIN_SEC',
  interval: 'BENCH_INTERVAL_SEC',
  'sim-mode': 'BENCH_SIM_MODE',
  'sim-batch-size': 'BENCH_SIM_BATCH_SIZE',
  'sim-connections': 'BENCH_SIM_CONNECTIONS',
  'ceiling-rows': 'BENCH_CEILING_ROWS',
  'mqtt-ceiling-batch': 'BENCH_MQTT_CEILING_BATCH',
  'p99-limit': 'BENCH_P99_LIMIT_SEC',
  'min-gain': 'BENCH_MIN_GAIN',
  'sample-ms': 'BENCH_SAMPLE_MS',
  seed: 'BENCH_SEED',
  variant: 'BENCH_VARIANTS',
  out: 'BENCH_OUT_DIR',
  publish: 'BENCH_PUBLISH',
} as const;

type FlagName = keyof typeof FLAG_ENV;
type BenchArgs = Partial<Record<FlagName, string | boolean | string[]>>;

const DESCRIPTIONS: Record<FlagName, string> = {
  rates:
    'offered readings/s per step, rising, comma-separated (default 2000,5000,7500,10000,15000,20000,30000,40000)',
  'step-sec': 'seconds the simulator offers each rate (default 20)',
  'drain-sec': 'after a step, seconds allowed until every reading is stored (default 60)',
  interval: 'seconds between readings of one simulated device; devices = rate x interval (default 1)',
  'sim-mode':
    "rate: the simulator's load mode, full arrays per MQTT message; realtime: each device sends when due, smaller arrays (default rate)",
  'sim-batch-size': 'readings per MQTT message from the simulator (default 100)',
  'sim-connections': "the simulator's MQTT connections (default 1)",
  'ceiling-rows': 'rows/records/readings per ceiling measurement; 0 skips the ceilings (default 100000)',
  'mqtt-ceiling-batch': 'readings per MQTT message in the Mosquitto ceiling (default 10)',
  'p99-limit': 'stop stepping once p99 latency passes this many seconds (default 5)',
  'min-gain': 'stop once the achieved rate rises less than this share over the best step (default 0.05)',
  'sample-ms': 'lag/CPU/memory sampling period (default 1000)',
  seed: 'simulator seed of step 1 (step n uses seed + n - 1) (default 11)',
  variant:
    'a pipeline set-up to measure, repeatable: name:adapters=N,sinks=N,processors=N,ENV=value,sink.ENV=value (default: one of each, default settings)',
  out: 'directory for <time>.json/.md/.png/.svg (default bench/results)',
  publish: 'also put the summary into bench/README.md',
};

/** process.env with the given flags written over their env variables. */
export function benchEnv(args: BenchArgs, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const [flag, envVar] of Object.entries(FLAG_ENV) as Array<[FlagName, string]>) {
    const value = args[flag];
    if (value === undefined) continue;
    merged[envVar] = Array.isArray(value) ? value.join(';') : String(value);
  }
  return merged;
}

export const benchCommand: CommandModule<object, BenchArgs> = {
  command: '$0',
  describe:
    'end-to-end benchmark on the local stack: ceilings of the parts, then the pipeline at stepped rates; writes bench/results/<time>.json/.md/.png',
  builder: (y: Argv<object>) => {
    const options = Object.fromEntries(
      (Object.keys(FLAG_ENV) as FlagName[]).map((flag) => [
        flag,
        {
          type:
            flag === 'publish'
              ? ('boolean' as const)
              : flag === 'variant'
                ? ('array' as const)
                : ('string' as const),
          string: flag === 'variant' ? true : undefined,
          describe: `${DESCRIPTIONS[flag]} [${FLAG_ENV[flag]}]`,
        },
      ]),
    );
    return (y.options(options) as unknown as Argv<BenchArgs>)
      .example('$0 --publish', 'the full run (at most ~10 minutes), summary into bench/README.md')
      .example('$0 --rates 1000 --step-sec 3 --ceiling-rows 2000', 'a seconds-long smoke run')
      .example(
        "$0 --variant base --variant 'tuned:adapters=2,sinks=2,DATA_SINK_BATCH_SIZE=5000'",
        'a before/after pair in one run',
      );
  },
  handler: async (args) => {
    // The local stack's Kafka wants an account: unless told otherwise, the bench and the stages
    // it spawns (they inherit this environment) use the stack's admin account; the bench makes
    // and removes its own topics and groups each run.
    if (process.env.KAFKA_SECURITY_PROTOCOL === undefined)
      Object.assign(process.env, kafkaClientEnv(loadStackConfig(), KAFKA_ACCOUNTS.admin));
    const bench = new Benchmark(loadBenchConfig(benchEnv(args)));
    let interrupts = 0;
    const onSignal = () => {
      if (++interrupts > 1) process.exit(130);
      console.error('bench: stopping (cleaning up the stages, database and topics) ...');
      // Not awaited: a signal handler cannot be awaited; exit follows the cleanup whatever its outcome.
      void bench.stop().finally(() => process.exit(130));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Whatever goes wrong, the stage processes, database and topics this run made go too.
    const onCrash = (err: unknown) => {
      console.error('bench: failed:', err);
      // Not awaited: a signal handler cannot be awaited; exit follows the cleanup whatever its outcome.
      void bench.stop().finally(() => process.exit(1));
    };
    process.on('unhandledRejection', onCrash);
    process.on('uncaughtException', onCrash);
    try {
      const { result } = await bench.run();
      const inexact = result.variants.flatMap((v) => v.steps).filter((s) => !s.exact);
      // The last step may fail to drain on purpose (saturation); any other mismatch is an error.
      if (inexact.some((s) => s.drained)) process.exitCode = 1;
      if (result.variants.some((v) => / failed: /.test(v.stop_reason))) process.exitCode = 1;
    } catch (err) {
      // The harness's own errors name cause and fix: one line, no stack.
      if (!(err instanceof Error) || !err.message.startsWith('benchmark:')) throw err;
      console.error(`iotpipe: ${err.message}`);
      process.exitCode = 1;
    } finally {
      await bench.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('unhandledRejection', onCrash);
      process.off('uncaughtException', onCrash);
    }
  },
};
