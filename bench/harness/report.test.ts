import { describe, expect, it } from 'vitest';
import type { StepResult } from './pipeline.js';
import {
  bestStep,
  fmtRate,
  headline,
  README_END,
  README_START,
  renderMarkdown,
  renderSvg,
  spliceReadme,
  sustainedStep,
  type BenchResult,
} from './report.js';

function step(index: number, offered: number, achieved: number, p99: number, exact = true): StepResult {
  const s = { max: 10, mean: 5, last: 0 };
  return {
    index,
    offered_per_s: offered,
    sent_per_s: offered,
    readings: offered * 20,
    messages: offered * 2,
    stored: exact ? offered * 20 : offered * 20 - 1,
    duplicates: 0,
    digest_match: exact,
    exact,
    drained: true,
    drain_sec: 2,
    achieved_per_s: achieved,
    latency_ms: { count: offered * 20, p50: p99 / 3, p95: p99 / 2, p99, max: p99 * 2, mean: p99 / 3 },
    sink_tx_ms_mean: 40,
    lag: {
      adapter_readings: s,
      adapter_in_flight_messages: s,
      sink_records: s,
      processor_records: s,
      database_readings: s,
    },
    dlq_records: 0,
    processes: [{ name: 'sink-1', cpu_percent: 42.4, rss_mib_max: 180.2 }],
    stop_reason: null,
  };
}

const result: BenchResult = {
  started_at: '2026-11-27T10:00:00.000Z',
  finished_at: '2026-11-27T10:08:00.000Z',
  host: { cpus: 2, memory_gib: 24, node: '20.0.0' },
  settings: {
    rates: [2000, 5000, 10000],
    step_sec: 20,
    interval_sec: 1,
    sim_mode: 'rate',
    sim_batch_size: 100,
    ceiling_rows: 100000,
    p99_limit_sec: 5,
    min_gain: 0.05,
  },
  latency_definition: 'x',
  ceilings: {
    copy_rows_per_s: 80_000,
    staging_insert_rows_per_s: 30_000,
    staging_batch_size: 1000,
    kafka_records_per_s: 40_000,
    kafka_produce_records_per_s: 45_000,
    mqtt_messages_per_s: 1500,
    mqtt_readings_per_s: 150_000,
    mqtt_batch_size: 100,
    rows: 100_000,
  },
  variants: [
    {
      name: 'default',
      adapters: 1,
      sinks: 1,
      processors: 1,
      env: {},
      stage_env: { adapter: {}, sink: {}, processor: {} },
      steps: [step(1, 2000, 1990, 800), step(2, 5000, 4980, 1200), step(3, 10000, 12000, 9000, false)],
      stop_reason: 'after step 3: the database does not hold exactly what was sent',
    },
  ],
};

describe('report', () => {
  it('the best step is the fastest exact one', () => {
    expect(bestStep(result.variants[0]!.steps)?.index).toBe(2);
    expect(sustainedStep([step(1, 2000, 1990, 800), step(2, 5000, 4000, 9000)])?.index).toBe(1);
    expect(bestStep([])).toBeNull();
  });

  it('headline: best exact rate, its share of COPY and p99', () => {
    expect(headline(result)).toBe(
      'default (1 adapter, 1 sink): 4,980 readings/s sustained (6.2% of raw COPY), p50 0.40 s, p99 1.20 s; every reading stored exactly once',
    );
    const queued = structuredClone(result);
    queued.variants[0]!.steps[2] = step(3, 10000, 7000, 9000);
    expect(headline(queued)).toBe(
      'default (1 adapter, 1 sink): 4,980 readings/s sustained (6.2% of raw COPY), p50 0.40 s, p99 1.20 s; ' +
        'at 10,000/s offered it carried 7,000/s (8.8% of raw COPY) with a growing queue (p99 9.00 s); every reading stored exactly once',
    );
  });

  it('markdown has the ceilings, every step, lag, CPU/memory and the ratios', () => {
    const md = renderMarkdown(result, 'plot.png');
    expect(md).toContain('![rate against latency](plot.png)');
    expect(md).toContain('| PostgreSQL COPY | 80,000 rows/s |');
    expect(md).toContain(
      '| 2 | 5,000 | 5,000 | 10.0 | 4,980 | 0.40 | 0.60 | 1.20 | 40 | yes (100,000/100,000) | 2.0 |',
    );
    expect(md).toContain(
      '| 3 | 10,000 | 10,000 | 10.0 | 12,000 | 3.00 | 4.50 | 9.00 | 40 | NO (199,999/200,000) | 2.0 |',
    );
    expect(md).toContain('| sink-1 | 42% / 180 | 42% / 180 | 42% / 180 |');
    expect(md).toContain('| / PostgreSQL COPY | 6.2% |');
    expect(md).toContain("| / sink's staging insert | 16.6% |");
    expect(md).toContain('| / Kafka produce+consume | 12.4% |');
    expect(md).toContain('| / Mosquitto QoS 1 (readings) | 3.3% |');
    expect(md).toContain('| MQTT messages/s (498) / Mosquitto QoS 1 messages/s | 33.2% |');
    expect(md).toContain('Stopped: after step 3');
  });

  it('markdown names the flavour the pipeline writes and gives the other flavour its own rows', () => {
    const md = renderMarkdown(
      {
        ...result,
        ceilings: {
          ...result.ceilings!,
          schema_flavor: 'timescale',
          other_flavor: { flavor: 'native', copy_rows_per_s: 91_000, staging_insert_rows_per_s: 31_000 },
        },
      },
      null,
    );
    expect(md).toContain(
      '| PostgreSQL COPY | 80,000 rows/s | one COPY of 100,000 rows into the sensor_readings hypertable (TimescaleDB) (the pipeline writes here) |',
    );
    expect(md).toContain(
      '| PostgreSQL COPY, native | 91,000 rows/s | the same COPY into sensor_readings, natively partitioned',
    );
    expect(md).toContain('| PostgreSQL staging insert, native | 31,000 rows/s |');
    expect(renderMarkdown(result, null)).not.toContain('COPY, native');
  });

  it('svg plots three percentiles and four ceilings', () => {
    const svg = renderSvg(result);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(3);
    expect(svg.match(/<circle /g)).toHaveLength(9);
    for (const label of ['COPY 80k/s', 'staging insert 30k/s', 'Kafka 40k/s', 'MQTT 150k/s'])
      expect(svg).toContain(label);
  });

  it('fmtRate', () => {
    expect(fmtRate(950)).toBe('950');
    expect(fmtRate(12_340)).toBe('12.3k');
    expect(fmtRate(2_000_000)).toBe('2M');
  });

  it('spliceReadme replaces only the marked block, or appends it', () => {
    const readme = `# Bench\nintro\n${README_START}\nold\n${README_END}\nfooter\n`;
    expect(spliceReadme(readme, 'new')).toBe(`# Bench\nintro\n${README_START}\nnew\n${README_END}\nfooter\n`);
    expect(spliceReadme('# Bench\n', 'new')).toBe(`# Bench\n\n${README_START}\nnew\n${README_END}\n`);
  });
});
