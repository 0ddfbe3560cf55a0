import type { SensorReading } from '../schema/index.js';
import { impossibleJump, outOfRange, ruuviBatteryLow, type PreviousReading } from './rules.js';

/**
 * Flags anomalies on the readings of one packet: each reading's own range, the jump from the
 * device's previous reading, and (RuuviTags) a low battery for the packet's temperature. The
 * reasons go to metadata.anomaly_reason ('; '-joined). Remembers the last reading of at most
 * `maxDevices` devices (least recently seen forgotten first), so memory is bounded.
 */
export class AnomalyDetector {
  private readonly last = new Map<string, PreviousReading>();

  constructor(private readonly maxDevices: number) {}

  /** Returns the readings with is_anomaly/metadata set; the reasons found, per reading. */
  flag(readings: SensorReading[]): SensorReading[] {
    const temperature = readings.find((r) => r.device_type === 'temperature_sensor' && r.unit === '°C');
    return readings.map((r) => {
      const reasons: string[] = [];
      const range = outOfRange(r);
      if (range) reasons.push(`out_of_range: ${range}`);
      const jump = impossibleJump(r, this.last.get(r.device_id));
      if (jump) reasons.push(`jump: ${jump}`);
      const isRuuvi = r.source === 'RUUVI_GATEWAY' || r.source === 'ESP32_GATEWAY';
      if (isRuuvi && ruuviBatteryLow(r.battery_level, temperature?.value ?? null)) {
        reasons.push(`battery_low: ${r.battery_level} V at ${temperature?.value} °C`);
      }
      // An out-of-range value is not a trend point: the next good reading is compared with
      // the last good one.
      if (!range) this.remember(r);
      if (reasons.length === 0) return r;
      return {
        ...r,
        is_anomaly: true,
        metadata: { ...(r.metadata ?? {}), anomaly_reason: reasons.join('; ') },
      };
    });
  }

  private remember(r: SensorReading): void {
    const prev = this.last.get(r.device_id);
    if (prev && prev.timestampMs > r.timestamp.getTime()) return; // an older reading arrived late
    this.last.delete(r.device_id);
    this.last.set(r.device_id, { value: r.value, timestampMs: r.timestamp.getTime() });
    if (this.last.size > this.maxDevices) {
      const oldest = this.last.keys().next();
      if (!oldest.done) this.last.delete(oldest.value);
    }
  }

  get trackedDevices(): number {
    return this.last.size;
  }
}
