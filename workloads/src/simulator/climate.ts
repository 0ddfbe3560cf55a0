import { Prng, hashSeed } from './prng.js';

/**
 * The weather a group of co-located sensors shares, as pure functions of time so every sensor
 * of a zone (and every run with the same seed) sees the same values at the same moment.
 * Times are UTC ms; the sites are simulated on UTC so daily cycles line up with timestamps.
 */
export interface Climate {
  readonly indoor: boolean;
  readonly baseTempC: number;
  readonly dailyAmplitudeC: number;
  readonly baseHumidity: number;
  /** %RH lost per °C above the base: warm air holds more water, so relative humidity falls. */
  readonly humidityPerDegree: number;
  readonly basePressurePa: number;
  /** Slow weather: periods (h) and phases of a few sines, so it drifts but never repeats daily. */
  readonly weather: ReadonlyArray<{ periodH: number; phase: number; amplitude: number }>;
  readonly pressurePhases: readonly [number, number];
  readonly windowLux: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const TAU = 2 * Math.PI;

export function makeClimate(seed: number, zone: string, indoor: boolean): Climate {
  const rng = new Prng(hashSeed(seed, 'climate', zone));
  return {
    indoor,
    baseTempC: indoor ? rng.range(19.5, 23) : rng.range(2, 16),
    dailyAmplitudeC: indoor ? rng.range(0.8, 2) : rng.range(3, 7),
    baseHumidity: indoor ? rng.range(35, 50) : rng.range(60, 80),
    humidityPerDegree: indoor ? rng.range(1.2, 2) : rng.range(2.5, 4),
    basePressurePa: rng.range(100_600, 102_000),
    weather: [
      { periodH: rng.range(5, 9), phase: rng.range(0, TAU), amplitude: indoor ? 0.3 : 1.2 },
      { periodH: rng.range(20, 40), phase: rng.range(0, TAU), amplitude: indoor ? 0.5 : 2.5 },
      { periodH: rng.range(70, 120), phase: rng.range(0, TAU), amplitude: indoor ? 0.7 : 3.5 },
    ],
    pressurePhases: [rng.range(0, TAU), rng.range(0, TAU)],
    windowLux: indoor ? rng.range(150, 900) : rng.range(20_000, 60_000),
  };
}

/** Hour of day in [0, 24). */
function hourOfDay(tMs: number): number {
  return (((tMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
}

/** Sun above the horizon between 06:00 and 18:00, peaking at noon; 0 at night. */
function daylight(tMs: number): number {
  const h = hourOfDay(tMs);
  return h < 6 || h > 18 ? 0 : Math.sin((Math.PI * (h - 6)) / 12);
}

function weatherAt(c: Climate, tMs: number): number {
  let sum = 0;
  for (const w of c.weather) sum += w.amplitude * Math.sin((TAU * tMs) / (w.periodH * HOUR_MS) + w.phase);
  return sum;
}

/** Daily cycle peaking mid-afternoon (15:00) plus slow weather. */
export function temperatureAt(c: Climate, tMs: number): number {
  const daily = c.dailyAmplitudeC * Math.cos((TAU * (hourOfDay(tMs) - 15)) / 24);
  return c.baseTempC + daily + weatherAt(c, tMs);
}

/** Relative humidity moves against temperature. */
export function humidityAt(c: Climate, tMs: number): number {
  const rh = c.baseHumidity - c.humidityPerDegree * (temperatureAt(c, tMs) - c.baseTempC);
  return Math.min(100, Math.max(1, rh));
}

/** Slow drift: a multi-day swing and a smaller half-day one (Pa). */
export function pressureAt(c: Climate, tMs: number): number {
  const [p1, p2] = c.pressurePhases;
  return (
    c.basePressurePa +
    900 * Math.sin((TAU * tMs) / (74 * HOUR_MS) + p1) +
    250 * Math.sin((TAU * tMs) / (12.4 * HOUR_MS) + p2)
  );
}

/** Daylight through windows; indoors, lamps on during working hours. */
export function lightAt(c: Climate, tMs: number): number {
  const h = hourOfDay(tMs);
  const lamps = c.indoor && h >= 7.5 && h < 18.5 ? 320 : 0;
  return 1 + lamps + c.windowLux * daylight(tMs);
}

/** How busy a place is: chance per reading that motion starts, higher in the day. */
export function activityAt(c: Climate, tMs: number): number {
  const h = hourOfDay(tMs);
  const busy = h >= 8 && h < 19 ? 1 : h >= 6 && h < 23 ? 0.35 : 0.05;
  return (c.indoor ? 0.12 : 0.05) * busy;
}
