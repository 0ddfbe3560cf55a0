/** Pure helpers of the benchmark: percentiles, rates, series summaries, the stop rule. */

/**
 * The p-th percentile (0..100) of already sorted numbers, nearest-rank: the smallest value with
 * at least p% of the values at or below it. NaN for an empty list.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (p < 0 || p > 100) throw new RangeError(`percentile ${p} is not in 0..100`);
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sorted[rank - 1]!;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** p50/p95/p99/max/mean of latencies (any unit); sorts a copy. */
export function summarizeLatencies(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const n = sorted.length;
  return {
    count: n,
    p50: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    max: n === 0 ? NaN : sorted[n - 1]!,
    mean: n === 0 ? NaN : sum / n,
  };
}

/** count / seconds, with seconds = spanMs / 1000; 0 when the span is empty. */
export function ratePerSec(count: number, spanMs: number): number {
  return spanMs > 0 ? (count * 1000) / spanMs : 0;
}

/**
 * The rate a step sustained, from its rows (creation time ts_ms, stored ingested_ms): readings /
 * (span of creation times + latency built up during the step), the build-up being the mean
 * latency of the last tenth of the readings minus that of the first tenth (0 when it fell).
 * A pipeline that keeps up builds no queue, so this is the sent rate (batching waits, which hit
 * the first and last readings alike, cancel out); one that falls behind finishes the work that
 * much later, so this is the rate it really carried.
 */
export function achievedRate(rows: ReadonlyArray<{ ts_ms: number; ingested_ms: number }>): number {
  const n = rows.length;
  if (n === 0) return 0;
  const sorted = [...rows].sort((a, b) => a.ts_ms - b.ts_ms);
  const tenth = Math.max(1, Math.floor(n / 10));
  const meanLatency = (part: ReadonlyArray<{ ts_ms: number; ingested_ms: number }>) =>
    part.reduce((sum, r) => sum + (r.ingested_ms - r.ts_ms), 0) / part.length;
  const growth = Math.max(0, meanLatency(sorted.slice(n - tenth)) - meanLatency(sorted.slice(0, tenth)));
  const span = sorted[n - 1]!.ts_ms - sorted[0]!.ts_ms;
  return ratePerSec(n, Math.max(1, span + growth));
}

export interface SeriesSummary {
  max: number;
  mean: number;
  last: number;
}

export function summarizeSeries(values: readonly number[]): SeriesSummary {
  if (values.length === 0) return { max: 0, mean: 0, last: 0 };
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (v > max) max = v;
    sum += v;
  }
  return { max, mean: sum / values.length, last: values[values.length - 1]! };
}

/** CPU time (clock ticks) used over a wall-clock span, as % of one core. */
export function cpuPercent(ticksDelta: number, wallMs: number, ticksPerSec: number): number {
  if (wallMs <= 0) return 0;
  return (ticksDelta / ticksPerSec / (wallMs / 1000)) * 100;
}

/**
 * A step kept up when it carried at least 90% of what was sent: less means a queue grew by more
 * than 2 s over a 20 s step, beyond what the estimate's noise (batching waits) explains.
 */
export const KEPT_UP_SHARE = 0.9;

export function keptUp(achieved: number, sent: number): boolean {
  return achieved >= sent * KEPT_UP_SHARE;
}

export interface StepOutcome {
  achieved: number;
  /** What the simulator generated (readings/s). */
  sent: number;
  p99Sec: number;
  exact: boolean;
  drained: boolean;
}

/**
 * Why stepping stops after this step, or null to go on: p99 over the limit while a queue builds
 * up (the step did not keep up: at low rates the stages' batching waits alone can put p99 near
 * the limit with no queue, and that must not end the run), the achieved rate no longer rising by
 * minGain over the best so far, or a step that did not drain or match.
 */
export function stopReason(
  step: StepOutcome,
  previousBest: number | null,
  p99LimitSec: number,
  minGain: number,
): string | null {
  if (!step.drained) return 'the pipeline did not catch up within the drain timeout';
  if (!step.exact) return 'the database does not hold exactly what was sent';
  if (step.p99Sec > p99LimitSec && !keptUp(step.achieved, step.sent)) {
    return `p99 latency ${step.p99Sec.toFixed(2)} s passed ${p99LimitSec} s with a queue building up`;
  }
  if (previousBest !== null && step.achieved < previousBest * (1 + minGain)) {
    return `achieved rate rose less than ${Math.round(minGain * 100)}% over the previous best`;
  }
  return null;
}

/** Sum of `name` over a Prometheus text exposition (all label sets); 0 when absent. */
export function promValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
