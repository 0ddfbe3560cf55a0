import type { Ceilings } from './ceilings.js';
import type { StepResult } from './pipeline.js';
import { keptUp } from './stats.js';

export interface VariantResult {
  name: string;
  adapters: number;
  sinks: number;
  processors: number;
  env: Record<string, string>;
  stage_env: Record<string, Record<string, string>>;
  steps: StepResult[];
  stop_reason: string;
}

export interface BenchResult {
  started_at: string;
  finished_at: string;
  host: { cpus: number; memory_gib: number; node: string };
  settings: {
    rates: number[];
    step_sec: number;
    interval_sec: number;
    sim_mode: string;
    sim_batch_size: number;
    ceiling_rows: number;
    p99_limit_sec: number;
    min_gain: number;
  };
  latency_definition: string;
  ceilings: Ceilings | null;
  variants: VariantResult[];
}

export const LATENCY_DEFINITION =
  "per row: sensor_readings.ingested_at - sensor_readings.timestamp. timestamp is the reading's " +
  "creation: the simulated clock runs at wall-clock speed from the simulator's start, so a reading is " +
  'stamped with the moment it is generated, before it is published (in load mode up to the MQTT connect ' +
  'time earlier, which only adds to the latency). ingested_at is now() in the sink transaction that ' +
  "inserted the row, i.e. that transaction's start; the row becomes visible when it commits, on " +
  'average "sink tx" later. Both ends are read from the same machine clock.';

/** The fastest exact step that kept up (no queue growing): the rate the pipeline sustains. */
export function sustainedStep(steps: readonly StepResult[]): StepResult | null {
  return bestStep(steps.filter((s) => keptUp(s.achieved_per_s, s.sent_per_s)));
}

/** The step with the highest achieved rate among those that stored exactly what was sent. */
export function bestStep(steps: readonly StepResult[]): StepResult | null {
  let best: StepResult | null = null;
  for (const s of steps) if (s.exact && (!best || s.achieved_per_s > best.achieved_per_s)) best = s;
  return best;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const sec = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '-');
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

/** One line: the best exact step's rate and latency, and its share of the COPY ceiling. */
export function headline(result: BenchResult): string {
  const parts: string[] = [];
  for (const v of result.variants) {
    const peak = bestStep(v.steps);
    const sustained = sustainedStep(v.steps);
    if (!peak) {
      parts.push(`${v.name}: no step stored exactly what was sent`);
      continue;
    }
    const copy = (s: StepResult) =>
      result.ceilings ? ` (${pct(s.achieved_per_s / result.ceilings.copy_rows_per_s)} of raw COPY)` : '';
    const kept = sustained
      ? `${int(sustained.achieved_per_s)} readings/s sustained${copy(sustained)}, p50 ${sec(sustained.latency_ms.p50)} s, p99 ${sec(sustained.latency_ms.p99)} s`
      : 'no step kept up';
    const more =
      peak !== sustained
        ? `; at ${int(peak.offered_per_s)}/s offered it carried ${int(peak.achieved_per_s)}/s${copy(peak)} with a growing queue (p99 ${sec(peak.latency_ms.p99)} s)`
        : '';
    parts.push(
      `${v.name} (${v.adapters} adapter, ${v.sinks} sink): ${kept}${more}; every reading stored exactly once`,
    );
  }
  return parts.join('; ');
}

/** The Markdown summary: ceilings, steps, per-stage lag, CPU and memory, ratios. */
export function renderMarkdown(result: BenchResult, pngName: string | null): string {
  const L: string[] = [];
  const c = result.ceilings;
  L.push(`# Benchmark ${result.started_at}`, '');
  L.push(
    `Machine: ${result.host.cpus} cores, ${result.host.memory_gib.toFixed(0)} GiB, Node ${result.host.node}; ` +
      `the whole local stack (3 Kafka brokers, registry, PostgreSQL, Mosquitto, Prometheus, ...) runs on it too.`,
  );
  L.push('', `**Headline:** ${headline(result)}.`, '');
  if (pngName) L.push(`![rate against latency](${pngName})`, '');
  L.push('## Ceilings of the parts (same run, same data)', '');
  if (c) {
    L.push('| part | measured | what |', '| --- | ---: | --- |');
    const table = (flavor: string | undefined) =>
      flavor === 'timescale'
        ? 'the sensor_readings hypertable (TimescaleDB)'
        : flavor === 'native'
          ? 'sensor_readings, natively partitioned'
          : 'sensor_readings';
    L.push(
      `| PostgreSQL COPY | ${int(c.copy_rows_per_s)} rows/s | one COPY of ${int(c.rows)} rows into ${table(c.schema_flavor)}${c.schema_flavor ? ' (the pipeline writes here)' : ''} |`,
    );
    L.push(
      `| PostgreSQL staging insert | ${int(c.staging_insert_rows_per_s)} rows/s | the sink's transaction: COPY to staging + idempotent INSERT ... SELECT + commit, ${c.staging_batch_size} rows each |`,
    );
    if (c.other_flavor) {
      const o = c.other_flavor;
      L.push(
        `| PostgreSQL COPY, ${o.flavor} | ${int(o.copy_rows_per_s)} rows/s | the same COPY into ${table(o.flavor)}, a database of the same server |`,
      );
      L.push(
        `| PostgreSQL staging insert, ${o.flavor} | ${int(o.staging_insert_rows_per_s)} rows/s | the sink's transaction there |`,
      );
    }
    L.push(
      `| Kafka produce+consume | ${int(c.kafka_records_per_s)} records/s | Avro, acks=all, idempotent, 3 brokers, min ISR 2, consumed at once (produce alone ${int(c.kafka_produce_records_per_s)}/s) |`,
    );
    L.push(
      `| Mosquitto publish+subscribe | ${int(c.mqtt_messages_per_s)} messages/s = ${int(c.mqtt_readings_per_s)} readings/s | QoS 1, simulator JSON arrays of ${c.mqtt_batch_size} readings, 64 in flight |`,
    );
    if (c.kafka_tool) {
      const k = c.kafka_tool;
      L.push(
        `| Kafka's own producer (ProducerPerformance) | ${int(k.produce_records_per_s)} records/s (${k.produce_mb_per_s.toFixed(1)} MB/s) | ${int(c.rows)} records of ${k.record_bytes} bytes (our mean Avro record), acks=all, compression ${k.compression}, the tool's defaults otherwise |`,
      );
      L.push(
        `| Kafka's own consumer (ConsumerPerformance) | ${int(k.consume_records_per_s)} records/s | the same records, fetch rate (group join left out) |`,
      );
    }
    if (c.mqtt_c_messages_per_s) {
      L.push(
        `| Mosquitto, its own C clients | ${int(c.mqtt_c_messages_per_s)} messages/s = ${int(c.mqtt_c_readings_per_s ?? 0)} readings/s | mosquitto_pub -l and mosquitto_sub, QoS 1, the same messages |`,
      );
    }
  } else {
    L.push('Not measured in this run (ceiling rows 0).');
  }
  for (const v of result.variants) {
    L.push('', `## Pipeline: ${v.name}`, '');
    const env = {
      ...v.env,
      ...Object.fromEntries(
        Object.entries(v.stage_env).flatMap(([k, e]) => Object.entries(e).map(([n, x]) => [`${k}.${n}`, x])),
      ),
    };
    const envText =
      Object.keys(env).length === 0
        ? 'default settings'
        : Object.entries(env)
            .map(([k, x]) => `${k}=${x}`)
            .join(', ');
    L.push(
      `${v.adapters} adapter(s), ${v.sinks} sink(s), ${v.processors} processor(s) as their own processes; ${envText}. Stopped: ${v.stop_reason}.`,
      '',
    );
    L.push(
      '| step | offered/s | sent/s | readings/MQTT msg | achieved/s | p50 s | p95 s | p99 s | sink tx ms | exact (stored/sent) | drain s |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
    );
    for (const s of v.steps) {
      L.push(
        `| ${s.index} | ${int(s.offered_per_s)} | ${int(s.sent_per_s)} | ${s.messages > 0 ? (s.readings / s.messages).toFixed(1) : '-'} | ${int(s.achieved_per_s)} | ${sec(s.latency_ms.p50)} | ${sec(s.latency_ms.p95)} | ${sec(s.latency_ms.p99)} | ${s.sink_tx_ms_mean.toFixed(0)} | ${s.exact ? 'yes' : 'NO'} (${int(s.stored)}/${int(s.readings)}${s.duplicates ? `, ${s.duplicates} twice` : ''}) | ${s.drain_sec.toFixed(1)} |`,
      );
    }
    L.push('', 'Per-stage lag, maximum of the samples during the step (mean in brackets):', '');
    L.push(
      '| step | adapter: readings created, not yet in Kafka | adapter: MQTT messages in flight | sink: records behind | processor: records behind | end to end: created, not yet in the database |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    const lag = (s: { max: number; mean: number }) => `${int(s.max)} (${int(s.mean)})`;
    for (const s of v.steps) {
      L.push(
        `| ${s.index} | ${lag(s.lag.adapter_readings)} | ${lag(s.lag.adapter_in_flight_messages)} | ${lag(s.lag.sink_records)} | ${lag(s.lag.processor_records)} | ${lag(s.lag.database_readings)} |`,
      );
    }
    const names = [...new Set(v.steps.flatMap((s) => s.processes.map((p) => p.name)))].sort();
    if (names.length > 0) {
      L.push(
        '',
        'CPU (% of one core, over the step and its drain) / peak memory (MiB, PSS: shared pages split among their users) per process and its children:',
        '',
      );
      L.push(
        `| process | ${v.steps.map((s) => `step ${s.index} (${int(s.offered_per_s)}/s)`).join(' | ')} |`,
      );
      L.push(`| --- | ${v.steps.map(() => '---:').join(' | ')} |`);
      for (const n of names) {
        const cells = v.steps.map((s) => {
          const p = s.processes.find((x) => x.name === n);
          return p ? `${p.cpu_percent.toFixed(0)}% / ${p.rss_mib_max.toFixed(0)}` : '-';
        });
        L.push(`| ${n} | ${cells.join(' | ')} |`);
      }
    }
    const best = bestStep(v.steps);
    if (best && c) {
      L.push(
        '',
        `Ratios at the highest rate carried exactly (${int(best.achieved_per_s)} readings/s, step ${best.index}${keptUp(best.achieved_per_s, best.sent_per_s) ? '' : ', queue growing'}):`,
        '',
      );
      L.push('| pipeline rate / ceiling | ratio |', '| --- | ---: |');
      L.push(`| / PostgreSQL COPY | ${pct(best.achieved_per_s / c.copy_rows_per_s)} |`);
      L.push(`| / sink's staging insert | ${pct(best.achieved_per_s / c.staging_insert_rows_per_s)} |`);
      L.push(`| / Kafka produce+consume | ${pct(best.achieved_per_s / c.kafka_records_per_s)} |`);
      L.push(`| / Mosquitto QoS 1 (readings) | ${pct(best.achieved_per_s / c.mqtt_readings_per_s)} |`);
      if (c.kafka_tool) {
        L.push(
          `| / Kafka's own producer | ${pct(best.achieved_per_s / c.kafka_tool.produce_records_per_s)} |`,
        );
        L.push(
          `| / Kafka's own consumer | ${pct(best.achieved_per_s / c.kafka_tool.consume_records_per_s)} |`,
        );
      }
      if (c.mqtt_c_readings_per_s)
        L.push(
          `| / Mosquitto C clients (readings) | ${pct(best.achieved_per_s / c.mqtt_c_readings_per_s)} |`,
        );
      if (best.messages > 0) {
        const msgs = best.achieved_per_s / (best.readings / best.messages);
        L.push(
          `| MQTT messages/s (${int(msgs)}) / Mosquitto QoS 1 messages/s | ${pct(msgs / c.mqtt_messages_per_s)} |`,
        );
      }
    }
  }
  L.push('', '## How to read it', '');
  L.push(
    `- offered: the target; the simulator (${result.settings.sim_mode === 'rate' ? `load mode, arrays of up to ${result.settings.sim_batch_size} readings per MQTT message` : 'real time, each device publishing when due'}) ` +
      `runs rate x ${result.settings.interval_sec} s devices for ${result.settings.step_sec} s per step, so simulated time runs at wall-clock speed. ` +
      'sent: readings generated / span of their timestamps. achieved: readings / (that span + the latency ' +
      'the step built up: mean latency of its last tenth of readings minus that of its first tenth), i.e. the ' +
      'sent rate when no queue builds, and the rate really carried when one does.',
    '- readings/MQTT msg: the simulator publishes what fell due since its last turn (a few ms) as one JSON array ' +
      `(up to ${result.settings.sim_batch_size}), so arrays grow with the rate. Mosquitto's and the adapter's cost is ` +
      'mostly per message: compare messages/s (sent/s divided by readings/MQTT msg) with the Mosquitto ceiling.',
    `- latency: ${LATENCY_DEFINITION}`,
    `- exact: the rows whose timestamps fall in the step are exactly the simulator's manifest: same count, ` +
      'no reading twice, and the sha256 digest of reading_id|timestamp|value equal.',
    '- adapter lag: readings whose timestamp had passed minus readings Kafka confirmed to the adapters ' +
      '(waiting in the simulator, Mosquitto or the adapter). sink/processor lag: end offsets minus the ' +
      "group's committed offsets (the sink commits after its database commit).",
    `- stepping stops when p99 (plus the mean sink transaction) passes ${result.settings.p99_limit_sec} s while a ` +
      'queue builds (achieved below sent: batching waits alone can put p99 near the limit at low rates), when ' +
      'the achieved rate rises less than ' +
      `${Math.round(result.settings.min_gain * 100)}% over the best so far, or a step does not drain or match.`,
  );
  return `${L.join('\n')}\n`;
}

interface Series {
  label: string;
  color: string;
  dash: string;
  points: Array<[number, number]>;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

/** SVG: achieved readings/s (log x) against latency p50/p95/p99 (s); ceilings as vertical lines. */
export function renderSvg(result: BenchResult): string {
  const W = 900;
  const H = 540;
  const m = { l: 70, r: 30, t: 50, b: 70 };
  const series: Series[] = [];
  result.variants.forEach((v, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = (q: 'p50' | 'p95' | 'p99') =>
      v.steps
        .filter((s) => s.achieved_per_s > 0 && Number.isFinite(s.latency_ms[q]))
        .map((s) => [s.achieved_per_s, s.latency_ms[q] / 1000] as [number, number]);
    const prefix = result.variants.length > 1 ? `${v.name} ` : '';
    series.push({ label: `${prefix}p50`, color, dash: '', points: pts('p50') });
    series.push({ label: `${prefix}p95`, color, dash: '8 4', points: pts('p95') });
    series.push({ label: `${prefix}p99`, color, dash: '2 4', points: pts('p99') });
  });
  const c = result.ceilings;
  const refs: Array<[string, number]> = c
    ? [
        ['COPY', c.copy_rows_per_s],
        ['staging insert', c.staging_insert_rows_per_s],
        ['Kafka', c.kafka_records_per_s],
        ['MQTT', c.mqtt_readings_per_s],
      ]
    : [];
  const xs = [...series.flatMap((s) => s.points.map((p) => p[0])), ...refs.map((r) => r[1])].filter(
    (x) => x > 0,
  );
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMin = 10 ** Math.floor(Math.log10(Math.min(...xs, 1000)));
  const xMax = 10 ** Math.ceil(Math.log10(Math.max(...xs, 10_000)));
  const yMax = niceCeil(Math.max(...ys, result.settings.p99_limit_sec, 0.1));
  const px = (x: number) =>
    m.l + ((Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - (y / yMax) * (H - m.t - m.b);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">iotpipe end to end: achieved rate against latency (${esc(result.started_at)})</text>`,
  );
  for (let d = xMin; d <= xMax; d *= 10) {
    for (const k of [1, 2, 5]) {
      const x = d * k;
      if (x > xMax) break;
      out.push(`<line x1="${px(x)}" y1="${m.t}" x2="${px(x)}" y2="${H - m.b}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${px(x)}" y="${H - m.b + 16}" text-anchor="middle">${fmtRate(x)}</text>`);
    }
  }
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    out.push(`<line x1="${m.l}" y1="${py(y)}" x2="${W - m.r}" y2="${py(y)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.l - 6}" y="${py(y) + 4}" text-anchor="end">${+y.toFixed(2)}</text>`);
  }
  out.push(
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`,
  );
  out.push(
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 30}" text-anchor="middle">achieved readings/s (log scale); vertical lines: ceilings of the parts</text>`,
  );
  out.push(
    `<text transform="translate(20 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">latency, creation to stored (s)</text>`,
  );
  const limit = py(result.settings.p99_limit_sec);
  out.push(
    `<line x1="${m.l}" y1="${limit}" x2="${W - m.r}" y2="${limit}" stroke="#ff7f0e" stroke-dasharray="4 3"/>`,
  );
  out.push(
    `<text x="${W - m.r - 4}" y="${limit - 4}" text-anchor="end" fill="#ff7f0e">p99 limit ${result.settings.p99_limit_sec} s</text>`,
  );
  refs.forEach(([label, x], i) => {
    out.push(
      `<line x1="${px(x)}" y1="${m.t}" x2="${px(x)}" y2="${H - m.b}" stroke="#777" stroke-dasharray="6 3"/>`,
    );
    out.push(
      `<text transform="translate(${px(x) + 4} ${m.t + 8 + i * 4}) rotate(90)" fill="#555" font-size="11">${esc(label)} ${fmtRate(x)}/s</text>`,
    );
  });
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`)
      .join(' ');
    out.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/>`,
    );
    for (const p of s.points)
      out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3" fill="${s.color}"/>`);
  }
  series.forEach((s, i) => {
    const y = m.t + 14 + i * 16;
    out.push(
      `<line x1="${m.l + 10}" y1="${y - 4}" x2="${m.l + 40}" y2="${y - 4}" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/>`,
    );
    out.push(`<text x="${m.l + 46}" y="${y}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const k of [1, 2, 2.5, 5, 10]) if (k * p >= v) return k * p;
  return 10 * p;
}

export function fmtRate(x: number): string {
  if (x >= 1_000_000) return `${+(x / 1_000_000).toFixed(1)}M`;
  if (x >= 1000) return `${+(x / 1000).toFixed(1)}k`;
  return String(Math.round(x));
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const README_START = '<!-- bench:latest:start -->';
export const README_END = '<!-- bench:latest:end -->';

/** bench/README.md with the block between the markers replaced (appended when absent). */
export function spliceReadme(readme: string, block: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  const inner = `${README_START}\n${block.trimEnd()}\n${README_END}`;
  if (start < 0 || end < start) return `${readme.trimEnd()}\n\n${inner}\n`;
  return `${readme.slice(0, start)}${inner}${readme.slice(end + README_END.length)}`;
}
