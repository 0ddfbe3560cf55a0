import { createHash } from 'node:crypto';

/** The part of a reading the manifest digest covers. */
export interface DigestRow {
  reading_id: string;
  timestamp_ms: number;
  value: number;
}

/** One line of the digest: `${reading_id}|${timestamp_ms}|${value}`, value as JS String(number). */
export function manifestLine(row: DigestRow): string {
  return `${row.reading_id}|${row.timestamp_ms}|${String(row.value)}`;
}

/**
 * The shared contract's digest of a set of readings: sha256 hex of their lines, sorted
 * lexicographically (UTF-16 code-unit order, which is byte order for the ASCII ids the pipeline
 * produces) and joined with '\n'. The simulator writes it into its manifest; end-to-end tests
 * compute it over what landed in Kafka or the database and compare.
 */
export function manifestDigest(rows: Iterable<DigestRow>): string {
  const lines: string[] = [];
  for (const row of rows) lines.push(manifestLine(row));
  return digestOfLines(lines);
}

/** The digest of already-formatted lines; sorts `lines` in place. */
function digestOfLines(lines: string[]): string {
  lines.sort();
  const hash = createHash('sha256');
  for (let i = 0; i < lines.length; i++) {
    if (i > 0) hash.update('\n');
    hash.update(lines[i]!);
  }
  return hash.digest('hex');
}

export const ANOMALY_KINDS = ['spike', 'stuck', 'dropout'] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** A reading as the manifest knows it: what the pipeline must store for it. */
export interface ManifestReading extends DigestRow {
  device_id: string;
  device_type: string;
  unit: string;
  /** Set when the simulator made this reading anomalous on purpose. */
  anomaly: AnomalyKind | null;
}

export interface Manifest {
  seed: number;
  start: string;
  interval_sec: number;
  output: string;
  /** Readings, each counted once however many gateways relayed it. */
  total: number;
  /** Messages published (MQTT) or records produced (Kafka), duplicates included. */
  messages: number;
  /** Extra copies sent on purpose: a second gateway relaying the same Ruuvi packet. */
  duplicate_deliveries: number;
  errors: number;
  counts_per_device: Record<string, number>;
  counts_per_device_type: Record<string, number>;
  time_range: { first_ms: number | null; last_ms: number | null; first: string | null; last: string | null };
  /** manifestDigest over every reading; null when the run kept no per-reading lines. */
  digest: string | null;
  /** Readings that land and were made anomalous (spike or stuck), sorted. */
  anomalous_reading_ids: string[];
  anomalies_by_kind: Record<AnomalyKind, number>;
  /** Readings the simulated sensor measured but never sent (dropouts); not in total or digest. */
  dropped_reading_ids: string[];
  /** False with --no-gateway-time: the adapter stamps Ruuvi readings, so their times differ. */
  ruuvi_timestamps_deterministic: boolean;
}

export interface ManifestRunInfo {
  seed: number;
  startMs: number;
  intervalSec: number;
  output: string;
  messages: number;
  duplicateDeliveries: number;
  errors: number;
  ruuviTimestampsDeterministic: boolean;
}

/**
 * Accumulates what a run generated. Per-reading lines (for the digest) are kept only when asked,
 * so an endless run without a manifest holds bounded memory (counts per device only).
 */
export class ManifestBuilder {
  private readonly lines: string[] | null;
  private readonly perDevice = new Map<string, number>();
  private readonly perType = new Map<string, number>();
  private readonly anomalous: string[] = [];
  private readonly dropped: string[] = [];
  private readonly byKind: Record<AnomalyKind, number> = { spike: 0, stuck: 0, dropout: 0 };
  private firstMs: number | null = null;
  private lastMs: number | null = null;
  private count = 0;

  constructor(keepLines: boolean) {
    this.lines = keepLines ? [] : null;
  }

  get total(): number {
    return this.count;
  }

  add(r: ManifestReading): void {
    this.count++;
    this.lines?.push(manifestLine(r));
    this.perDevice.set(r.device_id, (this.perDevice.get(r.device_id) ?? 0) + 1);
    this.perType.set(r.device_type, (this.perType.get(r.device_type) ?? 0) + 1);
    if (this.firstMs === null || r.timestamp_ms < this.firstMs) this.firstMs = r.timestamp_ms;
    if (this.lastMs === null || r.timestamp_ms > this.lastMs) this.lastMs = r.timestamp_ms;
    if (r.anomaly !== null) {
      this.byKind[r.anomaly]++;
      if (this.lines !== null) this.anomalous.push(r.reading_id);
    }
  }

  addDropped(readingId: string): void {
    this.byKind.dropout++;
    if (this.lines !== null) this.dropped.push(readingId);
  }

  build(info: ManifestRunInfo): Manifest {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      seed: info.seed,
      start: new Date(info.startMs).toISOString(),
      interval_sec: info.intervalSec,
      output: info.output,
      total: this.count,
      messages: info.messages,
      duplicate_deliveries: info.duplicateDeliveries,
      errors: info.errors,
      counts_per_device: sortedRecord(this.perDevice),
      counts_per_device_type: sortedRecord(this.perType),
      time_range: {
        first_ms: this.firstMs,
        last_ms: this.lastMs,
        first: iso(this.firstMs),
        last: iso(this.lastMs),
      },
      digest: this.lines === null ? null : digestOfLines(this.lines),
      anomalous_reading_ids: [...this.anomalous].sort(),
      anomalies_by_kind: { ...this.byKind },
      dropped_reading_ids: [...this.dropped].sort(),
      ruuvi_timestamps_deterministic: info.ruuviTimestampsDeterministic,
    };
  }
}

function sortedRecord(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...m.keys()].sort()) out[k] = m.get(k)!;
  return out;
}
