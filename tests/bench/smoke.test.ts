import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/harness/report.js';
import { BENCH_ENTRY } from '../../bench/harness/stage.js';

/**
 * `make bench-smoke`: the real harness (`bench/run.ts`, as `make bench` runs it) with tiny
 * ceilings and one short step on the local stack. Asserts only that it ran and that the
 * database held exactly what the simulator sent; speed is what `make bench` reports.
 */
describe('the benchmark harness, seconds-long', () => {
  let out = '';
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('measures the ceilings and one step, stores every reading exactly once, writes the report', async () => {
    out = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
    const args = [
      '--import',
      'tsx',
      BENCH_ENTRY,
      '--rates',
      '1000',
      '--step-sec',
      '3',
      '--ceiling-rows',
      '2000',
      '--out',
      out,
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code, log).toBe(0);
    expect(log).toMatch(/step 1\/1 \[default\]: offered 1000\/s, sent \d+\/s, achieved \d+\/s/);

    const files = await readdir(out);
    const json = files.find((f) => f.endsWith('.json'));
    expect(json, files.join(', ')).toBeDefined();
    const stem = json!.slice(0, -'.json'.length);
    for (const ext of ['.md', '.svg', '.png']) expect(existsSync(join(out, stem + ext)), ext).toBe(true);

    const result = JSON.parse(await readFile(join(out, json!), 'utf8')) as BenchResult;
    expect(result.ceilings!.copy_rows_per_s).toBeGreaterThan(0);
    expect(result.ceilings!.staging_insert_rows_per_s).toBeGreaterThan(0);
    expect(result.ceilings!.kafka_records_per_s).toBeGreaterThan(0);
    expect(result.ceilings!.mqtt_readings_per_s).toBeGreaterThan(0);
    // The parts' own tools (Kafka's perf tools, Mosquitto's C clients) ran on the same data.
    expect(result.ceilings!.kafka_tool!.produce_records_per_s).toBeGreaterThan(0);
    expect(result.ceilings!.kafka_tool!.consume_records_per_s).toBeGreaterThan(0);
    expect(result.ceilings!.kafka_tool!.record_bytes).toBeGreaterThan(20);
    expect(result.ceilings!.mqtt_c_messages_per_s).toBeGreaterThan(0);
    const [step] = result.variants[0]!.steps;
    expect(step, 'one step ran').toBeDefined();
    expect(step!.readings).toBeGreaterThan(1000);
    expect(step!.stored).toBe(step!.readings);
    expect(step!.duplicates).toBe(0);
    expect(step!.digest_match).toBe(true);
    expect(step!.exact).toBe(true);
    expect(step!.latency_ms.count).toBe(step!.readings);
    expect(step!.processes.map((p) => p.name)).toEqual(
      expect.arrayContaining(['adapter-1', 'sink-1', 'processor-1', 'simulator', 'postgres', 'kafka-1']),
    );
    const md = await readFile(join(out, `${stem}.md`), 'utf8');
    expect(md).toContain(
      `yes (${step!.stored.toLocaleString('en-US')}/${step!.readings.toLocaleString('en-US')})`,
    );
  });
});
