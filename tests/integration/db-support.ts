import { join } from 'node:path';
import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import postgres from 'postgres';
import { Migrator, type DbFlavor } from '../../workloads/src/db/migrator.js';
import { loadSchemaText, type SensorReading } from '../../workloads/src/schema/index.js';
import { stackConfig, uniqueName, stackEndpoints } from '../support/stack.js';

/** Helpers for the sink and db suites: a database per suite, readings, a cuttable TCP proxy. */

/**
 * The schema flavours the DB, sink and query suites run on, each suite once per flavour. Both
 * live in the one local stack: its server preloads TimescaleDB, a TimescaleDB database is one
 * migrated with POSTGRES_FLAVOR=timescale, a native one is a database of the same server that
 * never ran CREATE EXTENSION (POSTGRES_FLAVOR=native).
 */
export const FLAVOURS: readonly DbFlavor[] = ['timescale', 'native'];

/**
 * Why a flavour's suites cannot run against this stack, or undefined. Only a stack started with
 * POSTGRES_FLAVOR=native (no TimescaleDB) lacks one; its suites are skipped with this reason in
 * their title, so the report shows them.
 */
export function flavourUnavailable(flavor: DbFlavor): string | undefined {
  return flavor === 'timescale' && stackConfig.postgres.flavor === 'native'
    ? 'skipped: the stack runs POSTGRES_FLAVOR=native'
    : undefined;
}

/** `<flavor> flavour`, with the reason when it is skipped. */
export function flavourTitle(flavor: DbFlavor): string {
  const reason = flavourUnavailable(flavor);
  return `${flavor} flavour${reason ? ` (${reason})` : ''}`;
}

/** Applies the project's migrations with the flavour forced, as POSTGRES_FLAVOR does. */
export async function migrate(url: string, flavor: DbFlavor): Promise<void> {
  const result = await new Migrator({ databaseUrl: url, flavor }).migrate();
  if (result.flavor !== flavor) throw new Error(`migrated ${result.flavor}, wanted ${flavor}`);
}

const superuser = () =>
  postgres({
    host: join(stackConfig.stateDir, 'postgres', 'run'),
    port: stackConfig.postgres.port,
    user: 'postgres',
    database: 'postgres',
    max: 1,
    onnotice: () => {},
  });

export interface TestDatabase {
  name: string;
  url: string;
  /** A URL to the same database through another host:port (the proxy). */
  urlVia(port: number): string;
  sql: postgres.Sql;
  drop(): Promise<void>;
}

/** CREATE DATABASE via the superuser socket, owned by the pipeline's user (as iot_data is). */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = uniqueName(prefix).replace(/-/g, '_');
  const admin = superuser();
  try {
    await admin.unsafe(`create database ${name} owner ${stackConfig.postgres.user}`);
  } finally {
    await admin.end();
  }
  const p = stackConfig.postgres;
  const urlVia = (port: number) => `postgres://${p.user}:${p.password}@127.0.0.1:${port}/${name}`;
  const url = urlVia(p.port);
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  return {
    name,
    url,
    urlVia,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const a = superuser();
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** Simulated-sensor readings spread over the last `spanMs`, with exact-but-awkward doubles. */
export function makeReadings(
  count: number,
  devices: number,
  spanMs: number,
  now = Date.now(),
): SensorReading[] {
  const out: SensorReading[] = [];
  const perDevice = Math.ceil(count / devices);
  for (let i = 0; i < count; i++) {
    const d = i % devices;
    const seq = Math.floor(i / devices);
    const deviceId = `sim-${String(d).padStart(4, '0')}_${d % 2 === 0 ? 'temperature' : 'humidity'}`;
    const timestamp = new Date(now - spanMs + Math.floor((seq * spanMs) / perDevice));
    out.push({
      reading_id: `${deviceId}#${seq}`,
      device_id: deviceId,
      device_type: d % 2 === 0 ? 'temperature_sensor' : 'humidity_sensor',
      timestamp,
      value: (i % 7 === 0 ? 0.1 + 0.2 : 20 + Math.sin(i) * 5) + seq * 1e-9,
      unit: d % 2 === 0 ? '°C' : '%',
      location:
        d % 3 === 0
          ? { latitude: 60.17, longitude: 24.94, building: 'HQ', floor: 2, zone: 'lab\ttab' }
          : null,
      battery_level: d % 5 === 0 ? null : 100 - seq * 0.01,
      signal_strength: -60 - (i % 30),
      firmware_version: 'sim-1.0',
      is_anomaly: i % 97 === 0,
      metadata: i % 11 === 0 ? { note: 'line\nbreak "quoted" \\ back' } : null,
      gateway_id: null,
      measurement_sequence: seq,
      source: 'SIMULATOR',
      time_source: 'DEVICE',
    });
  }
  return out;
}

/** Our own producer-side encoding through the registry (not the adapter's code). */
export class ReadingEncoder {
  private readonly registry = new SchemaRegistry({ host: stackEndpoints.registryUrl });
  private id?: number;

  constructor(private readonly topic: string) {}

  async encode(r: SensorReading): Promise<Buffer> {
    this.id ??= (
      await this.registry.register(
        { type: SchemaType.AVRO, schema: loadSchemaText('sensor_reading') },
        { subject: `${this.topic}-value`, compatibility: COMPATIBILITY.BACKWARD },
      )
    ).id;
    return this.registry.encode(this.id, { ...r, timestamp: r.timestamp.getTime() });
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until check() is truthy or the deadline passes (then throws with the last value). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | null | undefined | false;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(everyMs);
  }
}
