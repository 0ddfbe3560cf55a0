import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Migrator } from '../../workloads/src/db/index.js';
import { AVRO_OPTIONS } from '../../workloads/src/processor/index.js';
import { loadSchemaText, type SensorReading } from '../../workloads/src/schema/index.js';
import {
  createTopic,
  grantStages,
  kafkaClient,
  stackConfig,
  stackEndpoints,
  stageKafkaEnv,
  uniqueName,
} from '../support/stack.js';

/**
 * Every PromQL expression of every alert rule and dashboard panel (and every dashboard SQL query)
 * runs against the live local stack: each must parse and execute. Then a short pipeline runs on
 * the ports the local Prometheus scrapes (the real `iotpipe adapter | process | sink | simulate`
 * processes, each on its own topics, MQTT prefix, groups and database) and every panel whose
 * sources ran must return data.
 */
const root = stackConfig.repoRoot;
const prometheus = stackEndpoints.prometheusUrl;

interface Target {
  expr?: string;
  rawSql?: string;
}
interface Panel {
  title: string;
  type: string;
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query?: unknown }> };
}

const dashboards: Dashboard[] = readdirSync(join(root, 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(root, 'dashboards', f), 'utf8')) as Dashboard);

const ruleExprs: Array<{ name: string; expr: string }> = readdirSync(join(root, 'monitoring', 'rules'))
  .filter((f) => f.endsWith('.rules.yml'))
  .flatMap((f) => {
    const doc = parse(readFileSync(join(root, 'monitoring', 'rules', f), 'utf8')) as {
      groups: Array<{
        rules: Array<{ alert?: string; record?: string; expr: string; labels?: { severity?: string } }>;
      }>;
    };
    return doc.groups.flatMap((g) =>
      g.rules.map((r) => ({
        name: `${r.alert ?? r.record}/${r.labels?.severity ?? ''}`,
        expr: String(r.expr),
      })),
    );
  });

/** Grafana's variables as a query runs: every namespace and pipeline, a 1 minute rate window. */
function promql(expr: string): string {
  return expr
    .replaceAll('$namespace', '.*')
    .replaceAll('$pipeline', '.*')
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '30s');
}

/** label_values(selector, label) is Grafana's, not PromQL: the selector is what Prometheus runs. */
function variableQuery(q: unknown): string | undefined {
  const text = typeof q === 'string' ? q : (q as { query?: string } | undefined)?.query;
  const m = text?.match(/^label_values\((.+),\s*\w+\)$/);
  return m ? promql(m[1]!) : undefined;
}

/** The SQL Grafana sends for one time range: its macros expanded as the PostgreSQL data source does. */
function sql(raw: string, deviceTypes: string[], devices: string[]): string {
  const list = (xs: string[]) => (xs.length ? xs.map((x) => `'${x.replaceAll("'", "''")}'`).join(',') : "''");
  return raw
    .replace(/\$__timeFilter\(([^)]+)\)/g, "$1 BETWEEN now() - INTERVAL '1 hour' AND now()")
    .replace(
      /\$__timeGroupAlias\(([^,]+),\s*'(\d+)m'\)/g,
      'to_timestamp(floor(extract(epoch FROM $1) / ($2 * 60)) * ($2 * 60)) AS "time"',
    )
    .replace(/\$__time\(([^)]+)\)/g, '$1 AS "time"')
    .replaceAll('$device_type', list(deviceTypes))
    .replaceAll('$device', list(devices));
}

interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

async function query(expr: string): Promise<QueryResult> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await res.json()) as QueryResult;
}

/** Metric names a PromQL expression reads (selectors with braces, and __name__ regex alternatives). */
function metricNames(expr: string): string[] {
  const names = [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)]
    .map((m) => m[1]!)
    .filter((n) => n !== 'by');
  for (const m of expr.matchAll(/__name__=~"([^"]+)"/g)) names.push(...m[1]!.split('|'));
  return names.map((n) => n.replace(/_(bucket|sum|count)$/, ''));
}

describe('every PromQL expression parses and runs on the local Prometheus', () => {
  it.each(ruleExprs.map((r) => [r.name, r.expr] as const))('rule %s', async (_name, expr) => {
    const r = await query(expr);
    expect(r.error ?? '').toBe('');
    expect(r.status).toBe('success');
  });

  const panelExprs = dashboards.flatMap((d) => [
    ...d.panels.flatMap((p) =>
      (p.targets ?? []).filter((t) => t.expr).map((t) => [`${d.uid}: ${p.title}`, promql(t.expr!)] as const),
    ),
    ...d.templating.list.flatMap((v) => {
      const q = variableQuery(v.query);
      return q === undefined ? [] : [[`${d.uid}: variable ${v.name}`, q] as const];
    }),
  ]);

  it('the dashboards have PromQL panels and variables for namespace and pipeline', () => {
    expect(panelExprs.length).toBeGreaterThan(50);
    for (const d of dashboards) {
      const names = d.templating.list.map((v) => v.name);
      expect(names, d.uid).toEqual(expect.arrayContaining(['namespace', 'pipeline']));
      for (const p of d.panels)
        for (const t of p.targets ?? [])
          if (t.expr)
            expect(t.expr, `${d.uid}: ${p.title}`).toContain(
              'namespace=~"$namespace", pipeline=~"$pipeline"',
            );
    }
  });

  it.each(panelExprs)('%s', async (_title, expr) => {
    const r = await query(expr);
    expect(r.error ?? '').toBe('');
    expect(r.status).toBe('success');
  });
});

// ---------------------------------------------------------------------------------------------
// A short pipeline run, then data in the panels.

const prefix = `${uniqueName('dash')}/`;
const topic = uniqueName('dash-in');
const dlqTopic = `${topic}-dlq`;
const alertsTopic = uniqueName('dash-alerts');
const database = uniqueName('dash').replaceAll('-', '_');
const databaseUrl = `postgres://${stackConfig.postgres.user}:${stackConfig.postgres.password}@${stackConfig.host}:${stackConfig.postgres.port}/${database}`;
const superuser = () =>
  postgres({
    host: join(stackConfig.stateDir, 'postgres', 'run'),
    port: stackConfig.postgres.port,
    user: 'postgres',
    database: 'postgres',
    max: 1,
    onnotice: () => {},
  });
const children: ChildProcess[] = [];
const childLogs = new Map<string, string[]>();
const exitedEarly: string[] = [];
let stopping = false;
/** Which scraped parts ran in this process (their port was free), so their panels must have data. */
const ran = new Set<string>();
let suiteStart = 0;

function listenOn(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, stackConfig.host, () => {
      const bound = (s.address() as { port: number }).port;
      s.close(() => resolve(bound));
    });
  });
}

/**
 * The port the local Prometheus scrapes for this part when it is free (then the part counts as
 * run, and its panels must have data); else any free port, so the part still feeds the others.
 */
async function metricsPort(part: string, scraped: number): Promise<string> {
  if ((await listenOn(scraped)) !== undefined) {
    ran.add(part);
    return String(scraped);
  }
  return String(await listenOn(0));
}

function startCli(name: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(root, 'workloads', 'dist', 'cli.js'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  childLogs.set(name, lines);
  const keep = (b: Buffer) => {
    lines.push(...b.toString().split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.once('exit', (code, signal) => {
    if (!stopping) exitedEarly.push(`${name} exited (${code ?? signal})`);
  });
  children.push(child);
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline || exitedEarly.length > 0) {
      const logs = [...childLogs].map(([n, l]) => `${n}: ${l.slice(-5).join(' | ')}`).join('\n');
      throw new Error(`gave up waiting for ${what} ${exitedEarly.join(', ')}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const commonEnv = {
  KAFKA_TOPIC: topic,
  KAFKA_DLQ_TOPIC: dlqTopic,
  KAFKA_ALERTS_TOPIC: alertsTopic,
  DATABASE_URL: databaseUrl,
};

/** Processor metrics need some variety: anomalies, a low battery, a record it cannot read. */
async function seedProcessorInput(): Promise<void> {
  const registry = new SchemaRegistry(
    { host: stackEndpoints.registryUrl },
    { [SchemaType.AVRO]: { ...AVRO_OPTIONS } },
  );
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: loadSchemaText('sensor_reading') },
    { subject: `${topic}-value` },
  );
  const producer = kafkaClient().producer({ idempotent: true });
  await producer.connect();
  try {
    const now = Date.now();
    const readings: SensorReading[] = Array.from({ length: 40 }, (_, i) => ({
      reading_id: `dash-seed_temperature#${i}`,
      device_id: 'dash-seed_temperature',
      device_type: 'temperature_sensor',
      timestamp: new Date(now - 40_000 + i * 1000),
      value: i === 39 ? 80 : 21 + 0.1 * Math.sin(i),
      unit: '°C',
      location: null,
      battery_level: i >= 38 ? 5 : 80,
      signal_strength: -60,
      firmware_version: null,
      is_anomaly: i === 20 || i === 21,
      metadata: null,
      gateway_id: null,
      measurement_sequence: i,
      source: 'SIMULATOR',
      time_source: 'DEVICE',
    }));
    const messages = await Promise.all(
      readings.map(async (r) => ({ key: r.device_id, value: await registry.encode(id, r) })),
    );
    await producer.send({
      topic,
      acks: -1,
      messages: [...messages, { key: 'junk', value: Buffer.from('junk') }],
    });
  } finally {
    await producer.disconnect();
  }
}

describe('after a short pipeline run, every panel whose sources ran returns data', () => {
  beforeAll(async () => {
    suiteStart = Date.now();
    await createTopic(topic, 3);
    await createTopic(dlqTopic, 3);
    await createTopic(alertsTopic, 3);
    const processorGroup = uniqueName('dash-proc');
    const sinkGroup = uniqueName('dash-sink');
    await grantStages({ topic, dlqTopic, alertsTopic, sinkGroup, processorGroup });
    const su = superuser();
    try {
      await su.unsafe(`CREATE DATABASE ${database} OWNER ${stackConfig.postgres.user}`);
    } finally {
      await su.end();
    }
    await new Migrator({ databaseUrl }).migrate();
    const ports = stackConfig.workloadMetricsPorts;
    await seedProcessorInput();
    {
      startCli('processor', ['process'], {
        ...commonEnv,
        ...stageKafkaEnv('processor'),
        PROCESSOR_GROUP_ID: processorGroup,
        PROCESSOR_FROM_BEGINNING: 'true',
        PROCESSOR_METRICS_PORT: await metricsPort('processor', ports.processor),
        PROCESSOR_METRICS_HOST: stackConfig.host,
        PROCESSOR_MIN_SAMPLES: '10',
        PROCESSOR_SILENCE_AFTER_SECONDS: '5',
        PROCESSOR_STARTUP_GRACE_SECONDS: '0',
        PROCESSOR_SWEEP_INTERVAL_MS: '1000',
      });
    }
    {
      startCli('sink', ['sink'], {
        ...commonEnv,
        ...stageKafkaEnv('sink'),
        SINK_GROUP_ID: sinkGroup,
        SINK_CLIENT_ID: uniqueName('dash-sink'),
        SINK_METRICS_PORT: await metricsPort('sink', ports.sink),
        SINK_METRICS_HOST: stackConfig.host,
        DATA_SINK_COMMIT_INTERVAL: '0.5',
      });
    }
    {
      const adapterPort = await metricsPort('adapter', ports.adapter);
      startCli('adapter', ['adapter'], {
        ...commonEnv,
        ...stageKafkaEnv('adapter'),
        ADAPTER_TOPIC_PREFIX: prefix,
        ADAPTER_SHARED_GROUP: uniqueName('dash-adapter'),
        ADAPTER_MQTT_CLIENT_ID: uniqueName('dash-adapter'),
        ADAPTER_METRICS_PORT: adapterPort,
        ADAPTER_METRICS_HOST: stackConfig.host,
      });
      // The adapter subscribes before the simulator publishes (QoS 1, persistent session).
      await until(
        'the adapter to be ready',
        async () => {
          const r = await fetch(`http://${stackConfig.host}:${adapterPort}/readyz`).catch(() => undefined);
          return r?.ok ? true : undefined;
        },
        60_000,
      );
      startCli('simulator', ['simulate'], {
        ...commonEnv,
        SIM_MQTT_TOPIC_PREFIX: `${prefix}iotpipe/sim`,
        SIM_RUUVI_TOPIC_PREFIX: `${prefix}ruuvi`,
        SIM_MQTT_CLIENT_ID: uniqueName('dash-sim'),
        IOT_NUM_DEVICES: '5',
        SIM_RUUVI_TAGS: '2',
        IOT_DATA_INTERVAL_SEC: '1',
        IOT_ANOMALY_PROBABILITY: '0.1',
        SIM_DURATION_SEC: '60',
        SIM_SEED: '7',
      });
    }
    // Two successful scrapes of each part since this run started, with this run's data (its
    // topic), so no panel can pass on an earlier run's series.
    const fresh: Record<string, string> = {
      processor: `iot_consumer_lag{job="iotpipe-processor", topic="${topic}"}`,
      sink: `iot_sink_consumer_lag{job="iotpipe-sink", topic="${topic}"}`,
      adapter: `mqtt_adapter_readings_produced_total{job="iotpipe-adapter"}`,
    };
    await until(
      `two scrapes of ${[...ran].join(', ')} with this run's data`,
      async () => {
        const window = `${Math.ceil((Date.now() - suiteStart) / 1000) + 1}s`;
        const checks = await Promise.all(
          [...ran].map(async (part) => {
            const series = fresh[part]!;
            const r = await query(
              `count_over_time(${series}[${window}]) >= 2 and max_over_time(${series}[${window}]) >= 0`,
            );
            const data = part === 'adapter' ? await query(`max_over_time(${series}[${window}]) > 0`) : r;
            return (r.data?.result.length ?? 0) > 0 && (data.data?.result.length ?? 0) > 0;
          }),
        );
        return checks.every(Boolean) ? true : undefined;
      },
      150_000,
    );
  });

  afterAll(async () => {
    stopping = true;
    for (const c of children.reverse()) await stopChild(c);
    const su = superuser();
    try {
      await su.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    } finally {
      await su.end();
    }
  });

  /** Metric families present for each source: the stack's exporters always, the workloads that ran. */
  function sourceOf(metric: string): string {
    if (metric.startsWith('mqtt_adapter_') || metric.startsWith('iotpipe_adapter_')) return 'adapter';
    if (metric.startsWith('iot_sink_')) return 'sink';
    if (metric.startsWith('iot_')) return 'processor';
    return 'stack';
  }

  it('PromQL panels', async () => {
    // A panel must show data when the sources of at least one of its queries ran; error
    // breakdowns (DLQ by code, retries) may be empty in a healthy run as long as another query
    // of the panel has data.
    const empty: string[] = [];
    const unchecked: string[] = [];
    for (const d of dashboards) {
      for (const p of d.panels) {
        const exprs = (p.targets ?? []).map((t) => t.expr).filter((e): e is string => Boolean(e));
        if (exprs.length === 0) continue;
        const expected = exprs.some((e) =>
          metricNames(e).every((m) => sourceOf(m) === 'stack' || ran.has(sourceOf(m))),
        );
        let has = false;
        for (const e of exprs) has ||= ((await query(promql(e))).data?.result.length ?? 0) > 0;
        if (has) continue;
        (expected ? empty : unchecked).push(`${d.uid}: ${p.title}`);
      }
    }
    console.log(
      `pipeline parts scraped from this run: ${[...ran].join(', ') || 'none'}; panels without data whose sources did not run: ${unchecked.join('; ') || 'none'}`,
    );
    expect(empty).toEqual([]);
  });

  it('SQL panels and variables run on the sink database and return rows', async () => {
    const db = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    try {
      await until(
        'rows in sensor_readings',
        async () => {
          const [r] = await db`SELECT count(*)::int AS n FROM sensor_readings`;
          return (r?.n ?? 0) > 20 ? true : undefined;
        },
        60_000,
      );
      const types = (await db`SELECT DISTINCT device_type FROM sensor_readings`).map((r) =>
        String(r.device_type),
      );
      const devices = (await db`SELECT DISTINCT device_id FROM sensor_readings LIMIT 5`).map((r) =>
        String(r.device_id),
      );
      const d = dashboards.find((x) => x.uid === 'iotpipe-iot-data')!;
      const statements = [
        ...d.templating.list
          .filter((v) => typeof v.query === 'string' && /select/i.test(v.query))
          .map((v) => [`variable ${v.name}`, v.query as string] as const),
        ...d.panels.flatMap((p) =>
          (p.targets ?? []).filter((t) => t.rawSql).map((t) => [p.title, t.rawSql!] as const),
        ),
      ];
      expect(statements.length).toBeGreaterThanOrEqual(7);
      const empty: string[] = [];
      for (const [title, raw] of statements) {
        const rows = await db.unsafe(sql(raw, types, devices));
        // Anomalies and silent devices may legitimately be none in a one-minute run.
        if (rows.length === 0 && !/anomal|without a reading/i.test(title)) empty.push(title);
      }
      expect(empty).toEqual([]);
    } finally {
      await db.end();
    }
  });
});
