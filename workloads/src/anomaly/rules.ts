import type { SensorReading } from '../schema/index.js';

/**
 * What a sensor can physically report, per device_type + unit. A value outside is a broken
 * sensor or a bad decode, never weather. Ranges are the sensors' datasheet spans, slightly
 * widened: RuuviTag SHTC3/BME280 (-40..85 °C, 0..100 %RH, 300..1100 hPa), LIS2DH12 (±16 g),
 * Ruuvi Air SEN6x/SCD4x (PM 0..1000 µg/m³, CO2 0..40000 ppm, VOC/NOx index 1..500).
 */
export interface MeasurementLimits {
  readonly min: number;
  readonly max: number;
  /** Largest believable change between consecutive readings, per minute elapsed. */
  readonly maxChangePerMinute: number;
}

export const MEASUREMENT_LIMITS: Readonly<Record<string, MeasurementLimits>> = {
  'temperature_sensor|°C': { min: -40, max: 85, maxChangePerMinute: 10 },
  'humidity_sensor|%': { min: 0, max: 100, maxChangePerMinute: 40 },
  'pressure_sensor|Pa': { min: 30_000, max: 110_000, maxChangePerMinute: 1_000 },
  'accelerometer|g': { min: -16, max: 16, maxChangePerMinute: Infinity },
  'motion_sensor|count': { min: 0, max: 255, maxChangePerMinute: Infinity },
  'motion_sensor|bool': { min: 0, max: 1, maxChangePerMinute: Infinity },
  'air_quality_sensor|µg/m³': { min: 0, max: 1_000, maxChangePerMinute: Infinity },
  'air_quality_sensor|ppm': { min: 0, max: 40_000, maxChangePerMinute: 5_000 },
  'air_quality_sensor|index': { min: 0, max: 500, maxChangePerMinute: Infinity },
  'light_sensor|lx': { min: 0, max: 200_000, maxChangePerMinute: Infinity },
};

export function limitsOf(r: Pick<SensorReading, 'device_type' | 'unit'>): MeasurementLimits | undefined {
  return MEASUREMENT_LIMITS[`${r.device_type}|${r.unit}`];
}

/** Reason when the value is outside what the sensor can report, else null. */
export function outOfRange(r: Pick<SensorReading, 'device_type' | 'unit' | 'value'>): string | null {
  const limits = limitsOf(r);
  if (!Number.isFinite(r.value)) return `value ${r.value} is not a finite number`;
  if (!limits) return null;
  if (r.value < limits.min || r.value > limits.max) {
    return `value ${r.value} ${r.unit} outside ${limits.min}..${limits.max}`;
  }
  return null;
}

export interface PreviousReading {
  value: number;
  timestampMs: number;
}

/** Consecutive readings further apart than this are not compared: the trend is unknown. */
export const JUMP_MAX_GAP_MS = 60 * 60 * 1000;

/**
 * Reason when the change from the device's previous reading is more than the measurement can
 * do in the time elapsed (at least one minute is granted: sensors sample every few seconds and
 * a fraction of a minute would make noise look like a jump), else null.
 */
export function impossibleJump(
  r: Pick<SensorReading, 'device_type' | 'unit' | 'value' | 'timestamp'>,
  previous: PreviousReading | undefined,
): string | null {
  const limits = limitsOf(r);
  if (!previous || !limits || !Number.isFinite(limits.maxChangePerMinute)) return null;
  const gapMs = r.timestamp.getTime() - previous.timestampMs;
  if (gapMs <= 0 || gapMs > JUMP_MAX_GAP_MS) return null;
  const allowed = limits.maxChangePerMinute * Math.max(gapMs / 60_000, 1);
  const change = Math.abs(r.value - previous.value);
  if (change <= allowed) return null;
  return `jump of ${round(change)} ${r.unit} in ${Math.round(gapMs / 1000)} s exceeds ${round(allowed)}`;
}

/**
 * Ruuvi's battery-low rule: a CR2477's voltage sags with cold, so the threshold depends on
 * temperature. As Ruuvi Station implements it (ruuvi/com.ruuvi.station.ios,
 * RuuviTagBatteryStatusProvider.batteryNeedsReplacement): below 2.0 V under -20 °C, below
 * 2.3 V from -20 °C to 0 °C, below 2.5 V at 0 °C and above (docs.ruuvi.com / ruuvitag_fw
 * FAQ "battery": replace when the voltage drops below 2.5 V).
 */
export function ruuviBatteryLow(voltage: number | null, temperatureC: number | null): boolean {
  if (voltage === null || temperatureC === null || voltage <= 0) return false;
  if (temperatureC < -20) return voltage < 2.0;
  if (temperatureC < 0) return voltage < 2.3;
  return voltage < 2.5;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
