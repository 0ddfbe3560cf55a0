// Stage benchmark (not a test): the real adapter and the real sink, each run as its own process
// (`node workloads/dist/cli.js adapter|sink`, as a user runs them), under a fixed offered load
// from the simulator. Several variants run in one invocation, alternating round by round, so a
// before/after pair is measured in the same run on the same (noisy, shared) machine.
//
//   flock /tmp/iotpipe-stack.lock npx tsx bench/stages.ts <adapter|sink|pipeline> [options]
//     --variant 'name:ENV=V,ENV=V'  a variant; repeatable (default: one variant 'default:')
//        special keys: PROCS=n (processes of the stage under test; pipeline: ADAPTER_PROCS,
//        SINK_PROCS), BUILD=/path (a worktree whose workloads/dist/cli.js to run, e.g. the
//        previous commit's build in /tmp/iotpipe-before), PROF=1 (node --cpu-prof into /tmp)
//     --count N        readings per round (default 100000)
//     --rate R         offered readings/s (default 0 = as fast as the simulator goes)
//     --batch B        simulator readings per MQTT message (default 100)
//     --devices D      simulated devices (default 2000)
//     --rounds K       rounds per variant (default 2)
//
// adapter:  readings/s from the first to the last record in Kafka (sum of end offsets).
// sink:     the topic is filled once (simulator --output kafka); each round a fresh database and
//           consumer group drain it: rows/s from the first to the last row.
// pipeline: simulator -> MQTT -> adapter -> Kafka -> sink -> PostgreSQL at the offered rate,
//           with simulated time = wall time, so latency = ingested_at - timestamp (p50/p99).
// adapter and pipeline also report the adapters' own delivery latency per MQTT message (receipt
// to PUBACK, i.e. until Kafka acknowledged all its records; mqtt_adapter_delivery_latency_seconds):
// adapter_mean_ms, and adapter_p99_le_ms, the histogram bucket bound holding the 99th percentile.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../tests/integration/db-support.js';
import {
  adminKafkaEnv,
  createTopic,
  kafkaClient,
  stackConfig,
  stackEndpoints,
  uniqueName,
} from '../tests/support/stack.js';

type Mode = 'adapter' | 'sink' | 'pipeline';
interface Variant {
  name: string;
  env: Record<string, string>;
}

const argv = process.argv.slice(2);
const mode = argv[0] as Mode;
if (!['adapter', 'sink', 'pipeline'].includes(mode)) {
  console.error('usage: bench/stages.ts <adapter|sink|pipeline> [--variant name:K=V,...] [--count N] ...');
  process.exit(2);
}
const opt = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? Number(argv[i + 1]) : fallback;
};
const variants: Variant[] = [];
argv.forEach((a, i) => {
  if (a !== '--variant') return;
  const spec = argv[i + 1] ?? '';
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const env: Record<string, string> = {};
  for (const kv of (colon < 0 ? '' : spec.slice(colon + 1)).split(',').filter(Boolean)) {
    const eq = kv.indexOf('=');
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  variants.push({ name, env });
});
if (variants.length === 0) variants.push({ name: 'default', env: {} });
const COUNT = opt('count', 100_000);
const RATE = opt('rate', 0);
const BATCH = opt('batch', 100);
const DEVICES = opt('devices', 2000);
const ROUNDS = opt('rounds', 2);
const logDir = join('/tmp', uniqueName('bench-stages'));
mkdirSync(logDir, { recursive: true });
const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const common = {
  KAFKA_BOOTSTRAP_SERVERS: stackEndpoints.kafkaBrokers.join(','),
  SCHEMA_REGISTRY_URL: stackEndpoints.registryUrl,
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

class Proc {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  constructor(
    readonly name: string,
    readonly args: string[],
    readonly env: Record<string, string>,
  ) {}

  start(): void {
    const root = this.env.BUILD ?? stackConfig.repoRoot;
    const out = createWriteStream(join(logDir, `${this.name}.log`), { flags: 'a' });
    const nodeArgs =
      this.env.PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${logDir}/prof-${this.name}`] : [];
    const child = spawn(process.execPath, [...nodeArgs, join(root, 'workloads/dist/cli.js'), ...this.args], {
      // A measuring tool: its stages run as the stack's admin account on their own topics.
      env: { ...process.env, ...adminKafkaEnv, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    this.exited = new Promise((r) => child.on('exit', () => r()));
    this.child = child;
  }

  wait(): Promise<void> {
    return this.exited ?? Promise.resolve();
  }

  get code(): number | null {
    return this.child?.exitCode ?? null;
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await Promise.race([this.exited, sleep(20_000)]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

async function waitUntil(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (logs in ${logDir})`);
    await sleep(100);
  }
}

async function topicTotal(topic: string): Promise<number> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((s, o) => s + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Polls a counter until it reaches `target`; returns the rate from first to last progress. */
async function measure(
  what: string,
  count: () => Promise<number>,
  target: number,
  timeoutMs: number,
): Promise<{ rate: number; seconds: number; reached: number }> {
  let first: { t: number; n: number } | undefined;
  let last = { t: Date.now(), n: 0 };
  const deadline = Date.now() + timeoutMs;
  let stalledSince = Date.now();
  for (;;) {
    const n = await count();
    const t = Date.now();
    if (n > 0 && !first) first = { t, n: 0 };
    if (n > last.n) {
      last = { t, n };
      stalledSince = t;
    }
    if (n >= target || t > deadline || t - stalledSince > 30_000) break;
    await sleep(200);
  }
  if (last.n < target) log(`  ${what}: reached only ${last.n} of ${target}`);
  const seconds = first ? Math.max(0.001, (last.t - first.t) / 1000) : 0;
  return { rate: first ? Math.round(last.n / seconds) : 0, seconds, reached: last.n };
}

function simulatorArgs(prefix: string, extra: string[] = []): string[] {
  const args = [
    'simulate',
    '--count',
    String(COUNT),
    '--devices',
    String(DEVICES),
    '--ruuvi-tags',
    '0',
    '--batch-size',
    String(BATCH),
    '--anomaly-probability',
    '0.01',
    '--seed',
    '11',
    '--topic-prefix',
    `${prefix}iotpipe/sim`,
    ...extra,
  ];
  if (RATE > 0) {
    // Simulated time = wall time: each device reads every DEVICES/RATE seconds from now.
    args.push('--rate', String(RATE), '--interval', String(DEVICES / RATE), '--start', String(Date.now()));
  } else {
    args.push('--rate', '10000000', '--start', String(Date.now() - 24 * 3600_000));
  }
  return args;
}

interface Stages {
  id: string;
  topic: string;
  dlq: string;
  adapters: Proc[];
  adapterPorts: number[];
  sinks: Proc[];
  db?: TestDatabase;
}

async function startAdapters(s: Stages, v: Variant, procs: number): Promise<void> {
  const ports: number[] = [];
  for (let i = 0; i < procs; i++) {
    const port = await freePort();
    ports.push(port);
    s.adapterPorts.push(port);
    const p = new Proc(`${s.id}-adapter-${v.name}-${i}`, ['adapter'], {
      ...common,
      KAFKA_TOPIC: s.topic,
      KAFKA_DLQ_TOPIC: s.dlq,
      ADAPTER_TOPIC_PREFIX: `${s.id}/`,
      ADAPTER_MQTT_CLIENT_ID: `${s.id}-a${i}`,
      ADAPTER_SHARED_GROUP: `${s.id}-adapter`,
      ADAPTER_METRICS_PORT: String(port),
      ADAPTER_METRICS_HOST: '127.0.0.1',
      ...v.env,
    });
    p.start();
    s.adapters.push(p);
  }
  for (const port of ports)
    await waitUntil(
      'adapter ready',
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
      120_000,
    );
}

async function startSinks(s: Stages, v: Variant, procs: number, group: string): Promise<void> {
  for (let i = 0; i < procs; i++) {
    const port = await freePort();
    const p = new Proc(`${s.id}-sink-${v.name}-${i}`, ['sink'], {
      ...common,
      KAFKA_TOPIC: s.topic,
      KAFKA_DLQ_TOPIC: s.dlq,
      DATABASE_URL: s.db!.url,
      SINK_GROUP_ID: group,
      SINK_CLIENT_ID: `${group}-${i}`,
      SINK_METRICS_PORT: String(port),
      SINK_METRICS_HOST: '127.0.0.1',
      SINK_SESSION_TIMEOUT_MS: '10000',
      DATA_SINK_COMMIT_INTERVAL: '0.5',
      SINK_MAINTENANCE_INTERVAL: '3600',
      ...v.env,
    });
    p.start();
    s.sinks.push(p);
  }
}

/** The adapters' delivery latency histogram (summed over processes): mean and p99 bucket bound, ms. */
async function adapterLatency(ports: number[]): Promise<Record<string, number>> {
  const buckets = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const port of ports) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const line of text.split('\n')) {
      const b = /^mqtt_adapter_delivery_latency_seconds_bucket\{.*le="([^"]+)".*\} (\S+)$/.exec(line);
      const le = b?.[1] === '+Inf' ? Infinity : Number(b?.[1]);
      if (b) buckets.set(le, (buckets.get(le) ?? 0) + Number(b[2]));
      const m = /^mqtt_adapter_delivery_latency_seconds_(sum|count)(?:\{[^}]*\})? (\S+)$/.exec(line);
      if (m?.[1] === 'sum') sum += Number(m[2]);
      if (m?.[1] === 'count') count += Number(m[2]);
    }
  }
  const bound = [...buckets].sort((a, b) => a[0] - b[0]).find(([, n]) => n >= 0.99 * count)?.[0];
  return {
    adapter_mean_ms: count > 0 ? Number(((sum / count) * 1000).toFixed(1)) : NaN,
    adapter_p99_le_ms: bound === undefined ? NaN : bound * 1000,
  };
}

async function rowCount(db: TestDatabase): Promise<number> {
  // Before the sink's migration has run the table does not exist yet: nothing stored.
  const [row] = await db.sql<{ n: string | null }[]>`
    select case when to_regclass('sensor_readings') is null then null
           else (select count(*)::text from sensor_readings) end as n`.catch(() => [{ n: null }]);
  return Number(row?.n ?? 0);
}

async function fresh(): Promise<Stages> {
  const id = uniqueName('bst');
  const s: Stages = {
    id,
    topic: `${id}-readings`,
    dlq: `${id}-dlq`,
    adapters: [],
    adapterPorts: [],
    sinks: [],
  };
  await createTopic(s.topic, 6);
  await createTopic(s.dlq, 3);
  return s;
}

async function cleanup(s: Stages): Promise<void> {
  await Promise.all([...s.adapters, ...s.sinks].map((p) => p.stop()));
  await s.db?.drop().catch(() => {});
  const admin = kafkaClient().admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [s.topic, s.dlq] }).catch(() => {});
  await admin.disconnect();
}

const procsOf = (v: Variant, key: string) => Number(v.env[key] ?? v.env.PROCS ?? 1);

async function adapterRound(v: Variant): Promise<Record<string, number>> {
  const s = await fresh();
  try {
    await startAdapters(s, v, procsOf(v, 'ADAPTER_PROCS'));
    const sim = new Proc(`${s.id}-sim-${v.name}`, simulatorArgs(`${s.id}/`), {
      SIM_MQTT_CLIENT_ID: `${s.id}-sim`,
    });
    const t0 = Date.now();
    sim.start();
    const m = await measure('adapter', () => topicTotal(s.topic), COUNT, 600_000);
    await sim.wait();
    return {
      readings_per_s: m.rate,
      seconds: m.seconds,
      reached: m.reached,
      wall_s: (Date.now() - t0) / 1000,
      ...(await adapterLatency(s.adapterPorts)),
    };
  } finally {
    await cleanup(s);
  }
}

let sinkSource: Stages | undefined;
async function sinkRound(v: Variant): Promise<Record<string, number>> {
  if (!sinkSource) {
    sinkSource = await fresh();
    const sim = new Proc(
      `${sinkSource.id}-fill`,
      simulatorArgs(`${sinkSource.id}/`, ['--output', 'kafka', '--topic', sinkSource.topic]),
      {},
    );
    sim.start();
    await sim.wait();
    const total = await topicTotal(sinkSource.topic);
    if (total < COUNT) throw new Error(`filling the topic produced ${total} of ${COUNT} records`);
  }
  const s = sinkSource;
  const db = await createTestDatabase('bst');
  const run: Stages = { ...s, adapters: [], adapterPorts: [], sinks: [], db };
  try {
    await startSinks(run, v, procsOf(v, 'SINK_PROCS'), uniqueName(`${s.id}-g`));
    const m = await measure('sink', () => rowCount(db), COUNT, 600_000);
    return { rows_per_s: m.rate, seconds: m.seconds, reached: m.reached };
  } finally {
    await Promise.all(run.sinks.map((p) => p.stop()));
    await db.drop().catch(() => {});
  }
}

async function pipelineRound(v: Variant): Promise<Record<string, number>> {
  const s = await fresh();
  s.db = await createTestDatabase('bst');
  try {
    await startSinks(s, v, procsOf(v, 'SINK_PROCS'), `${s.id}-sink`);
    await startAdapters(s, v, procsOf(v, 'ADAPTER_PROCS'));
    const sim = new Proc(`${s.id}-sim-${v.name}`, simulatorArgs(`${s.id}/`), {
      SIM_MQTT_CLIENT_ID: `${s.id}-sim`,
    });
    sim.start();
    const m = await measure('pipeline', () => rowCount(s.db!), COUNT, 600_000);
    await sim.wait();
    const [lat] = await s.db.sql<{ p50: number; p99: number; max: number }[]>`
      select percentile_cont(0.5) within group (order by l) as p50,
             percentile_cont(0.99) within group (order by l) as p99, max(l) as max
        from (select extract(epoch from ingested_at - "timestamp") as l from sensor_readings) x`;
    const [dupes] = await s.db.sql<{ n: string }[]>`
      select (count(*) - count(distinct reading_id))::text as n from sensor_readings`;
    return {
      readings_per_s: m.rate,
      seconds: m.seconds,
      reached: m.reached,
      p50_s: Number(Number(lat?.p50 ?? NaN).toFixed(3)),
      p99_s: Number(Number(lat?.p99 ?? NaN).toFixed(3)),
      max_s: Number(Number(lat?.max ?? NaN).toFixed(3)),
      duplicates: Number(dupes?.n ?? 0),
      ...(await adapterLatency(s.adapterPorts)),
    };
  } finally {
    await cleanup(s);
  }
}

async function main(): Promise<void> {
  log(
    `stages ${mode}: ${variants.map((v) => v.name).join(' vs ')}, ${COUNT} readings, rate ${RATE || 'max'}, batch ${BATCH}, ${ROUNDS} round(s); logs ${logDir}`,
  );
  const results = new Map<string, Array<Record<string, number>>>();
  const round = mode === 'adapter' ? adapterRound : mode === 'sink' ? sinkRound : pipelineRound;
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of variants) {
        const res = await round(v);
        log(`  round ${r + 1} ${v.name}: ${JSON.stringify(res)}`);
        results.set(v.name, [...(results.get(v.name) ?? []), res]);
      }
    }
  } finally {
    if (sinkSource) await cleanup(sinkSource);
  }
  const key = mode === 'sink' ? 'rows_per_s' : 'readings_per_s';
  for (const v of variants) {
    const rs = results.get(v.name) ?? [];
    const rates = rs.map((x) => x[key] ?? 0);
    const median = [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)] ?? 0;
    const extra =
      mode === 'pipeline'
        ? ` p99 ${rs.map((x) => x.p99_s).join('/')} s, dup ${rs.map((x) => x.duplicates).join('/')}`
        : '';
    console.log(
      `${mode} ${v.name.padEnd(16)} ${key} ${rates.join(' / ')} (median ${median})${extra}  [${Object.entries(
        v.env,
      )
        .map(([k, x]) => `${k}=${x}`)
        .join(' ')}]`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
