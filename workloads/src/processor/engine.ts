import { PROCESSOR_RULES, readSettings, type SettingValues } from '@iotpipe/contract';
import type { Alert, AlertType } from '../schema/alert.js';
import type { SensorReading } from '../schema/index.js';
import { measurementOf } from '../schema/identity.js';

/**
 * The rules' knobs, one per setting of the contract's PROCESSOR_RULES (their docs are there);
 * loadProcessorConfig reads and validates them.
 */
export type RulesConfig = SettingValues<typeof PROCESSOR_RULES>;

/** The rules when no variable is set. */
export const DEFAULT_RULES: RulesConfig = readSettings(PROCESSOR_RULES, {});

/** What the processor remembers about one device_id. */
interface DeviceState {
  readonly deviceId: string;
  deviceType: string;
  partition: number;
  /** EWMA mean and variance of the values not flagged as anomalies. */
  mean: number;
  variance: number;
  samples: number;
  lastValue: number;
  lastReadingAt: Date;
  /** Wall-clock time the processor last saw a reading of it (not the device's own clock). */
  lastSeenMs: number;
  silent: boolean;
}

interface SensorBattery {
  low: boolean;
  source: string;
  partition: number;
}

/** Counts the metrics layer exports as gauges; bounded labels (device_type, source). */
export interface EngineSnapshot {
  readonly devices: number;
  readonly silentByType: ReadonlyMap<string, number>;
  readonly batteryLowBySource: ReadonlyMap<string, number>;
}

/** What observe() decided about one reading. */
export interface Verdict {
  readonly alerts: Alert[];
  /** Alerts raised but not published because the same device+type alerted within the cooldown. */
  readonly suppressed: AlertType[];
  readonly flagged: boolean;
  readonly outlier: boolean;
  readonly zScore: number | null;
}

/**
 * The processor's pure core: per-device state and the alert rules. No I/O and no clock of its
 * own — every call gets `nowMs` — so it is tested without Kafka, and a replay of the same
 * records at the same times gives the same alerts.
 *
 * False-alert guards: z-scores only after `minSamples` readings; silence only for devices seen
 * by this instance, and not before `startupGraceMs` after start or after the device's partition
 * was assigned; one alert per device and type per `cooldownMs`; a silent device alerts once
 * per silence, not per sweep.
 */
export class AlertEngine {
  private readonly devices = new Map<string, DeviceState>();
  private readonly batteries = new Map<string, SensorBattery>();
  private readonly lastAlertMs = new Map<string, number>();
  private readonly alpha: number;
  /** No silence judgement before this wall-clock time, per partition (or for all: -1). */
  private readonly silenceNotBefore = new Map<number, number>();
  private globalSilenceNotBefore: number;

  constructor(
    private readonly rules: RulesConfig,
    startedAtMs: number,
  ) {
    this.alpha = 2 / (rules.window + 1);
    this.globalSilenceNotBefore = startedAtMs + rules.startupGraceMs;
  }

  /** Judges one reading, updates the device's state, returns the alerts to publish. */
  observe(r: SensorReading, partition: number, nowMs: number): Verdict {
    const alerts: Alert[] = [];
    const suppressed: AlertType[] = [];
    const emit = (a: Alert) => (this.allow(a, nowMs) ? alerts.push(a) : suppressed.push(a.alert_type));
    const nowDate = new Date(nowMs);

    let state = this.devices.get(r.device_id);
    if (!state) {
      this.evictIfFull();
      state = {
        deviceId: r.device_id,
        deviceType: r.device_type,
        partition,
        mean: r.value,
        variance: 0,
        samples: 0,
        lastValue: r.value,
        lastReadingAt: r.timestamp,
        lastSeenMs: nowMs,
        silent: false,
      };
      this.devices.set(r.device_id, state);
    } else {
      // Map order is the eviction order: a seen device moves to the back.
      this.devices.delete(r.device_id);
      this.devices.set(r.device_id, state);
    }
    state.deviceType = r.device_type;
    state.partition = partition;
    state.silent = false;
    state.lastSeenMs = nowMs;
    if (r.timestamp.getTime() >= state.lastReadingAt.getTime()) state.lastReadingAt = r.timestamp;

    const flagged = r.is_anomaly;
    if (flagged) {
      emit({
        ...base('ANOMALY_FLAGGED', r, nowDate),
        value: r.value,
        message: `${r.device_id} (${r.device_type}) reading ${fmt(r.value)} ${r.unit} flagged as anomalous${reasonOf(r)}`,
      });
    }

    let zScore: number | null = null;
    let outlier = false;
    if (Number.isFinite(r.value)) {
      if (state.samples >= this.rules.minSamples) {
        const std = Math.max(Math.sqrt(state.variance), this.rules.minStdDev);
        zScore = (r.value - state.mean) / std;
        if (Math.abs(zScore) >= this.rules.zScoreThreshold) {
          outlier = true;
          emit({
            ...base('STATISTICAL_OUTLIER', r, nowDate),
            value: r.value,
            threshold: this.rules.zScoreThreshold,
            score: zScore,
            message: `${r.device_id} (${r.device_type}) reading ${fmt(r.value)} ${r.unit} is ${fmt(zScore)} standard deviations from its recent mean ${fmt(state.mean)}`,
          });
        }
      }
      // Readings the source already flagged as anomalous do not teach the model what normal is.
      if (!flagged) this.learn(state, r.value);
      state.lastValue = r.value;

      const measurement = measurementOf(r.device_id);
      const band = Object.hasOwn(this.rules.thresholds, measurement)
        ? this.rules.thresholds[measurement]
        : undefined;
      const bound =
        band?.min !== undefined && r.value < band.min
          ? { side: 'min', word: 'below the minimum', limit: band.min }
          : band?.max !== undefined && r.value > band.max
            ? { side: 'max', word: 'above the maximum', limit: band.max }
            : undefined;
      if (bound) {
        emit({
          ...base('THRESHOLD_EXCEEDED', r, nowDate),
          value: r.value,
          threshold: bound.limit,
          message: `${r.device_id} (${r.device_type}) reading ${fmt(r.value)} ${r.unit} is ${bound.word} ${fmt(bound.limit)} set for ${measurement}`,
          metadata: { measurement, bound: bound.side },
        });
      }
    }

    if (r.battery_level !== null && Number.isFinite(r.battery_level)) {
      const { sensor, unit, limit } = this.batteryRule(r);
      const low = r.battery_level < limit;
      const known = this.batteries.get(sensor);
      if (known) {
        known.low = low;
        known.source = r.source;
        known.partition = partition;
      } else {
        this.batteries.set(sensor, { low, source: r.source, partition });
      }
      if (low) {
        emit({
          ...base('BATTERY_LOW', r, nowDate),
          device_id: sensor,
          alert_id: `BATTERY_LOW:${sensor}:${r.reading_id}`,
          value: r.battery_level,
          threshold: limit,
          message: `sensor ${sensor} battery ${fmt(r.battery_level)} ${unit} is below ${fmt(limit)} ${unit}`,
          metadata: { battery_unit: unit, source: r.source },
        });
      }
    }
    return { alerts, suppressed, flagged, outlier, zScore };
  }

  /**
   * The timer's half: devices silent longer than the threshold, each alerted once per silence.
   * The caller passes `inputHealthy` false while its own consumer cannot fetch, so an outage of
   * Kafka does not look like every device falling silent at once.
   */
  sweep(nowMs: number, inputHealthy: boolean): { alerts: Alert[]; suppressed: AlertType[] } {
    const alerts: Alert[] = [];
    const suppressed: AlertType[] = [];
    for (const [id, s] of this.devices) {
      if (nowMs - s.lastSeenMs > this.rules.forgetAfterMs) {
        this.devices.delete(id);
        continue;
      }
      if (!inputHealthy || s.silent || nowMs < this.silenceGraceEnd(s.partition)) continue;
      const silentMs = nowMs - s.lastSeenMs;
      if (silentMs <= this.rules.silenceAfterMs) continue;
      s.silent = true;
      const a: Alert = {
        alert_id: `DEVICE_SILENT:${id}:${s.lastSeenMs}`,
        alert_type: 'DEVICE_SILENT',
        severity: 'WARNING',
        device_id: id,
        device_type: s.deviceType,
        reading_id: null,
        value: silentMs / 1000,
        threshold: this.rules.silenceAfterMs / 1000,
        score: null,
        message: `${id} (${s.deviceType}) sent nothing for ${Math.round(silentMs / 1000)} s (limit ${Math.round(this.rules.silenceAfterMs / 1000)} s); last reading ${s.lastReadingAt.toISOString()}`,
        detected_at: new Date(nowMs),
        reading_timestamp: s.lastReadingAt,
        metadata: null,
      };
      if (this.allow(a, nowMs)) alerts.push(a);
      else suppressed.push('DEVICE_SILENT');
    }
    for (const [key, at] of this.lastAlertMs) {
      if (nowMs - at > this.rules.cooldownMs) this.lastAlertMs.delete(key);
    }
    return { alerts, suppressed };
  }

  /**
   * Partitions this instance now owns: state of devices on partitions it lost is dropped (the
   * new owner judges them; stale state here would report them silent), and newly gained
   * partitions get a fresh grace period before silence is judged.
   */
  assign(partitions: readonly number[], nowMs: number): void {
    const owned = new Set(partitions);
    for (const [id, s] of this.devices) if (!owned.has(s.partition)) this.devices.delete(id);
    for (const [id, b] of this.batteries) if (!owned.has(b.partition)) this.batteries.delete(id);
    for (const p of [...this.silenceNotBefore.keys()]) if (!owned.has(p)) this.silenceNotBefore.delete(p);
    for (const p of partitions) {
      if (!this.silenceNotBefore.has(p)) this.silenceNotBefore.set(p, nowMs + this.rules.startupGraceMs);
    }
  }

  snapshot(): EngineSnapshot {
    const silentByType = new Map<string, number>();
    // Every known type/source gets a count, 0 included, so the series exist before the first
    // silence or low battery (dashboards show 0, not "no data").
    for (const s of this.devices.values()) {
      silentByType.set(s.deviceType, (silentByType.get(s.deviceType) ?? 0) + (s.silent ? 1 : 0));
    }
    const batteryLowBySource = new Map<string, number>();
    for (const b of this.batteries.values()) {
      batteryLowBySource.set(b.source, (batteryLowBySource.get(b.source) ?? 0) + (b.low ? 1 : 0));
    }
    return { devices: this.devices.size, silentByType, batteryLowBySource };
  }

  /** The device's learned state, for tests and debugging. */
  stateOf(deviceId: string): Readonly<{ mean: number; stdDev: number; samples: number }> | undefined {
    const s = this.devices.get(deviceId);
    return s && { mean: s.mean, stdDev: Math.sqrt(s.variance), samples: s.samples };
  }

  private silenceGraceEnd(partition: number): number {
    return Math.max(this.globalSilenceNotBefore, this.silenceNotBefore.get(partition) ?? 0);
  }

  /** Exponentially weighted mean and variance (West 1979): O(1) per device, no sample buffer. */
  private learn(s: DeviceState, x: number): void {
    if (s.samples === 0) {
      s.mean = x;
      s.variance = 0;
    } else {
      const d = x - s.mean;
      const inc = this.alpha * d;
      s.mean += inc;
      s.variance = (1 - this.alpha) * (s.variance + d * inc);
    }
    s.samples++;
  }

  /** RuuviTags report volts, simulated sensors percent (metadata.battery_unit says so when set). */
  private batteryRule(r: SensorReading): { sensor: string; unit: string; limit: number } {
    const declared = r.metadata?.battery_unit;
    const percent = declared !== undefined ? declared === '%' : r.source === 'SIMULATOR';
    const cut = r.device_id.indexOf('_');
    const sensor = cut > 0 ? r.device_id.slice(0, cut) : r.device_id;
    return percent
      ? { sensor, unit: '%', limit: this.rules.batteryLowPercent }
      : { sensor, unit: 'V', limit: this.rules.batteryLowVolts };
  }

  private allow(a: Alert, nowMs: number): boolean {
    const key = `${a.alert_type}\u0000${a.device_id}`;
    const last = this.lastAlertMs.get(key);
    if (last !== undefined && nowMs - last < this.rules.cooldownMs) return false;
    this.lastAlertMs.set(key, nowMs);
    return true;
  }

  /** Drops the least recently seen device when the table is full (Map keeps insertion order). */
  private evictIfFull(): void {
    while (this.devices.size >= this.rules.maxDevices) {
      const oldest = this.devices.keys().next();
      if (oldest.done) return;
      this.devices.delete(oldest.value);
    }
    while (this.batteries.size >= this.rules.maxDevices) {
      const oldest = this.batteries.keys().next();
      if (oldest.done) return;
      this.batteries.delete(oldest.value);
    }
  }
}

function base(type: AlertType, r: SensorReading, now: Date): Alert {
  return {
    alert_id: `${type}:${r.device_id}:${r.reading_id}`,
    alert_type: type,
    severity: 'WARNING',
    device_id: r.device_id,
    device_type: r.device_type,
    reading_id: r.reading_id,
    value: null,
    threshold: null,
    score: null,
    message: '',
    detected_at: now,
    reading_timestamp: r.timestamp,
    metadata: null,
  };
}

function reasonOf(r: SensorReading): string {
  const reason = r.metadata?.anomaly_reason ?? r.metadata?.anomaly_type;
  return reason ? `: ${reason}` : '';
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) >= 100 ? 1 : 3);
}
