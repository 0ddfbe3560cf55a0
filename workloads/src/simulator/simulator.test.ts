import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSimulatorConfig } from './config.js';
import { manifestDigest, type Manifest, type ManifestReading } from './manifest.js';
import { Simulator } from './simulator.js';
import { MemoryOutput } from './testing.js';

function config(extra: Record<string, string>) {
  return loadSimulatorConfig({
    SIM_SEED: '11',
    SIM_START: '2026-11-27T00:00:00Z',
    IOT_NUM_DEVICES: '30',
    SIM_RUUVI_TAGS: '4',
    SIM_RUUVI_FORMATS: '5,3',
    SIM_GATEWAYS: '2',
    SIM_DUPLICATE_GATEWAYS: '0.5',
    SIM_RATE: '10000000',
    ...extra,
  });
}

async function run(extra: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'sim-'));
  const manifestPath = join(dir, 'manifest.json');
  const readingsPath = join(dir, 'readings.jsonl');
  const output = new MemoryOutput();
  const logs: string[] = [];
  const sim = new Simulator(
    config({ SIM_MANIFEST: manifestPath, SIM_MANIFEST_READINGS: readingsPath, ...extra }),
    {
      output,
      log: (l) => logs.push(l),
    },
  );
  const result = await sim.run();
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const readings = readFileSync(readingsPath, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ManifestReading);
  return { result, manifest, readings, output, logs, sim };
}

describe('Simulator (in-memory output)', () => {
  it('stops at the count, and its manifest describes exactly what it sent', async () => {
    const { manifest, readings, output, logs, result } = await run({ SIM_COUNT: '5000' });
    expect(manifest.total).toBeGreaterThanOrEqual(5000);
    expect(manifest.total).toBeLessThan(5007); // a Ruuvi packet is never split
    expect(result.manifest).toEqual(manifest);
    const sent = output.units.flatMap((u) =>
      u.kind === 'generic'
        ? [
            {
              reading_id: `${u.reading.device_id}#${u.reading.sequence}`,
              timestamp_ms: u.reading.timestamp_ms,
              value: u.reading.value,
            },
          ]
        : u.readings,
    );
    expect(sent).toHaveLength(manifest.total);
    expect(manifestDigest(sent)).toBe(manifest.digest);
    expect(manifestDigest(readings)).toBe(manifest.digest);
    expect(readings).toHaveLength(manifest.total);
    expect(Object.values(manifest.counts_per_device).reduce((a, b) => a + b, 0)).toBe(manifest.total);
    expect(Object.keys(manifest.counts_per_device_type)).toContain('accelerometer');
    expect(manifest.anomalous_reading_ids).toEqual(
      readings
        .filter((r) => r.anomaly === 'spike' || r.anomaly === 'stuck')
        .map((r) => r.reading_id)
        .sort(),
    );
    expect(manifest.dropped_reading_ids.length).toBe(manifest.anomalies_by_kind.dropout);
    const dupes = output.units.reduce((n, u) => n + (u.kind === 'ruuvi' ? u.deliveries.length - 1 : 0), 0);
    expect(manifest.duplicate_deliveries).toBe(dupes);
    expect(dupes).toBeGreaterThan(0);
    const start = Date.UTC(2026, 10, 27);
    expect(manifest.time_range.first_ms).toBeGreaterThanOrEqual(start);
    expect(manifest.time_range.first_ms).toBeLessThan(start + 1000); // every device reports in its first interval
    expect(manifest.seed).toBe(11);
    expect(logs.at(-1)).toMatch(/^simulate: \d+ readings .* digest [0-9a-f]{12}/);
  });

  it('repeats itself: two runs with the same seed give the same manifest digest', async () => {
    const a = await run({ SIM_COUNT: '3000' });
    const b = await run({ SIM_COUNT: '3000' });
    const c = await run({ SIM_COUNT: '3000', SIM_SEED: '12' });
    expect(b.manifest.digest).toBe(a.manifest.digest);
    expect(b.manifest.anomalous_reading_ids).toEqual(a.manifest.anomalous_reading_ids);
    expect(c.manifest.digest).not.toBe(a.manifest.digest);
  });

  it('stop() ends an endless run, and is idempotent', async () => {
    const output = new MemoryOutput(false);
    const sim = new Simulator(config({ SIM_RATE: '2000' }), { output, log: () => {} });
    await sim.start();
    await new Promise((r) => setTimeout(r, 50));
    const [first, second] = await Promise.all([sim.stop(), sim.stop()]);
    expect(second).toBe(first);
    expect(first.manifest.total).toBeGreaterThan(0);
    expect(first.manifest.digest).toBeNull(); // no manifest file asked for: nothing kept per reading
    expect(await sim.stop()).toBe(first);
  });

  it('stops at the duration', async () => {
    const output = new MemoryOutput(false);
    const sim = new Simulator(config({ SIM_RATE: '1000', SIM_DURATION_SEC: '0.2' }), {
      output,
      log: () => {},
    });
    const result = await sim.run();
    expect(result.manifest.total).toBeGreaterThan(0);
    expect(result.manifest.total).toBeLessThan(1000);
  });

  it('shows a live progress line on a terminal and only the summary elsewhere', async () => {
    const runWith = async (isTTY: boolean) => {
      let clock = 0;
      const written: string[] = [];
      const logs: string[] = [];
      const sim = new Simulator(config({ SIM_RATE: '1000', SIM_COUNT: '3000' }), {
        output: new MemoryOutput(false),
        log: (l) => logs.push(l),
        progress: { isTTY, write: (t: string) => written.push(t) },
        now: () => (clock += 50), // simulated wall clock: 50 ms per look
      });
      await sim.run();
      return { written, logs };
    };
    const tty = await runWith(true);
    expect(tty.written.some((t) => /^\r.*simulate: \d+ readings, \d+\/s, \d+ messages/.test(t))).toBe(true);
    expect(tty.logs).toHaveLength(1);
    const pipe = await runWith(false);
    expect(pipe.written).toEqual([]);
    expect(pipe.logs).toHaveLength(1);
    expect(pipe.logs[0]).toMatch(/^simulate: 30\d\d readings/);
  });
});
