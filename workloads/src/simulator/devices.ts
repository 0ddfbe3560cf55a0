import type { SimulatedType } from '@iotpipe/contract';
import {
  decodeRuuvi,
  encodeFormat3Advertisement,
  encodeFormat5Advertisement,
  type RuuviMeasurement,
} from '../ruuvi/index.js';
import type { Location } from '../schema/index.js';
import { deviceId, readingId } from '../schema/identity.js';
import { ruuviMeasurements, SIMULATED_MEASUREMENTS, type MeasurementKind } from '../schema/measurements.js';
import { activityAt, humidityAt, lightAt, pressureAt, temperatureAt, type Climate } from './climate.js';
import type { AnomalyKind, ManifestReading } from './manifest.js';
import { Prng, hashSeed } from './prng.js';

/** A generic simulated reading: the contract's `iotpipe/sim/...` JSON, with the time as ms. */
export interface GenericReading {
  device_id: string;
  device_type: string;
  timestamp_ms: number;
  value: number;
  unit: string;
  sequence: number;
  battery_level: number | null;
  signal_strength: number | null;
  firmware_version: string | null;
  location: Location | null;
  metadata: Record<string, string> | null;
}

export interface GenericUnit {
  kind: 'generic';
  timestampMs: number;
  reading: GenericReading;
  anomaly: AnomalyKind | null;
}

/** One gateway relaying one packet. */
export interface RuuviDelivery {
  gatewayMac: string;
  rssi: number;
}

export interface RuuviUnit {
  kind: 'ruuvi';
  timestampMs: number;
  /** Lower-case aa:bb:cc:dd:ee:ff. */
  tagMac: string;
  /** Whole BLE advertisement: flags AD + Ruuvi manufacturer data. */
  advertisement: Uint8Array;
  /** The values the tag meant to send, before the format quantised them. */
  intended: TagValues;
  /** What the advertisement decodes to (the values the pipeline will see). */
  decoded: RuuviMeasurement;
  /** Gateway clock in whole seconds, or null when the gateways send no `ts`. */
  gatewayTs: number | null;
  deliveries: RuuviDelivery[];
  /** The packet expanded to readings, values as they decode; timestamps from gatewayTs. */
  readings: ManifestReading[];
}

/** A measurement the sensor took but never sent. */
export interface DropoutUnit {
  kind: 'dropout';
  timestampMs: number;
  readingIds: string[];
}

export type SimUnit = GenericUnit | RuuviUnit | DropoutUnit;

export interface AnomalyDraw {
  kind: AnomalyKind;
  /** For stuck values: how many following readings repeat the value too. */
  extra: number;
}

/**
 * Whether an anomaly starts at this reading, and which: spikes (60 %), stuck values repeating
 * over the next 1-3 readings (20 %), dropouts (20 %). Always draws the same number of values
 * so the streams of seeded runs stay aligned whatever happens.
 */
function drawAnomaly(rng: Prng, probability: number): AnomalyDraw | null {
  const hit = rng.next() < probability;
  const which = rng.next();
  const extra = rng.int(1, 3);
  if (!hit) return null;
  if (which < 0.6) return { kind: 'spike', extra: 0 };
  if (which < 0.8) return { kind: 'stuck', extra };
  return { kind: 'dropout', extra: 0 };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function macFromSeed(seed: number, firstByteOr: number): string {
  const a = hashSeed(seed, 'mac-a');
  const b = hashSeed(seed, 'mac-b');
  const bytes = [
    ((a >>> 24) & 0xff) | firstByteOr,
    (a >>> 16) & 0xff,
    (a >>> 8) & 0xff,
    a & 0xff,
    (b >>> 8) & 0xff,
    b & 0xff,
  ];
  return bytes.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** A virtual tag's address: a BLE static random address (two top bits set), as RuuviTags use. */
export function tagMac(seed: number, index: number): string {
  return macFromSeed(hashSeed(seed, 'tag', index), 0xc0);
}

/** A virtual gateway's address, upper-case as the Ruuvi Gateway writes it. */
export function gatewayMac(seed: number, index: number): string {
  return macFromSeed(hashSeed(seed, 'gateway', index), 0x02).toUpperCase();
}

export function simDeviceName(index: number, total: number): string {
  return `sim-${String(index + 1).padStart(Math.max(4, String(total).length), '0')}`;
}

/**
 * One generic sensor (temperature, humidity, pressure, motion or light) in a zone it shares with
 * its neighbours. Sequential state: sequence, battery, stuck episodes, motion events.
 */
export class GenericDevice {
  readonly deviceId: string;
  private readonly kind: MeasurementKind;
  private readonly rng: Prng;
  private battery: number;
  private readonly drainPerReading: number;
  private readonly rssiBase: number;
  private lastValue: number | null = null;
  private stuckLeft = 0;
  private motionLeft = 0;
  private readonly location: Location;

  constructor(
    seed: number,
    name: string,
    private readonly type: SimulatedType,
    private readonly climate: Climate,
    zone: number,
    private readonly anomalyProbability: number,
  ) {
    const kind = SIMULATED_MEASUREMENTS[type];
    this.kind = kind;
    this.deviceId = `${name}_${kind.measurement}`;
    this.rng = new Prng(hashSeed(seed, 'device', this.deviceId));
    this.battery = this.rng.range(55, 100);
    this.drainPerReading = this.rng.range(0.0003, 0.0012);
    this.rssiBase = this.rng.range(-88, -45);
    const building = Math.floor(zone / 8);
    this.location = {
      latitude: round(60.1699 + building * 0.0021 + (zone % 8) * 0.00003, 6),
      longitude: round(24.9384 + building * 0.0034, 6),
      building: `sim-building-${building + 1}`,
      floor: zone % 8,
      zone: `zone-${zone + 1}`,
    };
  }

  private measure(tMs: number): number {
    const noise = this.rng.normal();
    switch (this.type) {
      case 'temperature':
        return round(temperatureAt(this.climate, tMs) + 0.08 * noise, 2);
      case 'humidity':
        return round(Math.min(100, Math.max(0, humidityAt(this.climate, tMs) + 0.6 * noise)), 2);
      case 'pressure':
        return round(pressureAt(this.climate, tMs) + 4 * noise, 1);
      case 'light':
        return round(Math.max(0, lightAt(this.climate, tMs) * (1 + 0.03 * noise)), 1);
      default: {
        // motion: events that last a few readings, more of them in busy hours
        const starts = this.rng.next() < activityAt(this.climate, tMs);
        const length = this.rng.int(0, 4);
        if (this.motionLeft > 0) {
          this.motionLeft--;
          return 1;
        }
        if (starts) {
          this.motionLeft = length;
          return 1;
        }
        return 0;
      }
    }
  }

  private spike(value: number): number {
    const sign = this.rng.next() < 0.5 ? -1 : 1;
    const size = this.rng.next();
    switch (this.type) {
      case 'temperature':
        return round(value + sign * (12 + 18 * size), 2);
      case 'humidity':
        return round(Math.min(100, Math.max(0, value + sign * (25 + 25 * size))), 2);
      case 'pressure':
        return round(value + sign * (2500 + 5500 * size), 1);
      case 'light':
        return round(value * (8 + 22 * size) + 5000, 1);
      default:
        return 1; // motion: a phantom trigger
    }
  }

  sample(tMs: number): GenericUnit | DropoutUnit {
    // The counter is the reading's time (ms): strictly increasing per device and never reused,
    // so a restarted simulator cannot mint ids the sink would take for replays of older readings.
    const sequence = tMs;
    this.battery = Math.max(0, this.battery - this.drainPerReading);
    const signal = Math.round(this.rssiBase + 2 * this.rng.normal());
    let value = this.measure(tMs);
    const draw = drawAnomaly(this.rng, this.anomalyProbability);
    let anomaly: AnomalyKind | null = null;
    if (this.stuckLeft > 0 && this.lastValue !== null) {
      this.stuckLeft--;
      value = this.lastValue;
      anomaly = 'stuck';
    } else if (draw?.kind === 'spike') {
      value = this.spike(value);
      anomaly = 'spike';
    } else if (draw?.kind === 'stuck' && this.lastValue !== null) {
      this.stuckLeft = draw.extra;
      value = this.lastValue;
      anomaly = 'stuck';
    } else if (draw?.kind === 'dropout') {
      return { kind: 'dropout', timestampMs: tMs, readingIds: [`${this.deviceId}#${sequence}`] };
    }
    if (anomaly !== 'stuck') this.lastValue = value;
    return {
      kind: 'generic',
      timestampMs: tMs,
      anomaly,
      reading: {
        device_id: this.deviceId,
        device_type: this.kind.deviceType,
        timestamp_ms: tMs,
        value,
        unit: this.kind.unit,
        sequence,
        battery_level: round(this.battery, 2),
        signal_strength: signal,
        firmware_version: 'sim-1.0',
        location: this.location,
        metadata: { battery_unit: '%' },
      },
    };
  }
}

type TagField = 'temperature' | 'humidity' | 'pressure';

export interface TagValues {
  temperature: number;
  humidity: number;
  pressure: number;
  accelerationX: number;
  accelerationY: number;
  accelerationZ: number;
  batteryVoltage: number;
  /** Format 5 only. */
  movementCounter: number | null;
  measurementSequence: number | null;
}
const TAG_FIELDS: readonly TagField[] = ['temperature', 'humidity', 'pressure'];

export interface TagRadio {
  /** Upper-case MACs of all virtual gateways. */
  gatewayMacs: readonly string[];
  duplicateShare: number;
  gatewayTime: boolean;
}

/**
 * A RuuviTag on a shelf or a wall: climate readings, an accelerometer at rest that moves now and
 * then (movement counter), a battery that slowly drains, format 5 sequence counter. Its packets
 * are real advertisements; readings are whatever they decode to.
 */
export class VirtualRuuviTag {
  readonly mac: string;
  private readonly rng: Prng;
  /** Radio draws (which gateways, RSSI) apart, so gateway settings do not change sensor values. */
  private readonly radio: Prng;
  private sequence: number;
  private movements: number;
  private battery: number;
  private readonly orientation: readonly [number, number, number];
  private moveLeft = 0;
  private stuck: { field: TagField; value: number; left: number } | null = null;
  private last: Record<TagField, number> | null = null;
  private readonly rssiBase: number[];

  constructor(
    seed: number,
    private readonly index: number,
    private readonly format: 3 | 5,
    private readonly climate: Climate,
    private readonly anomalyProbability: number,
    private readonly radioSetup: TagRadio,
  ) {
    this.mac = tagMac(seed, index);
    this.rng = new Prng(hashSeed(seed, 'ruuvi', this.mac));
    this.radio = new Prng(hashSeed(seed, 'ruuvi-radio', this.mac));
    this.sequence = this.rng.int(0, 65_534);
    this.movements = this.rng.int(0, 254);
    this.battery = this.rng.range(2.85, 3.05);
    const upright = this.rng.next() < 0.5;
    this.orientation = upright
      ? [this.rng.range(-0.05, 0.05), this.rng.range(0.97, 1.0), this.rng.range(-0.05, 0.05)]
      : [this.rng.range(-0.05, 0.05), this.rng.range(-0.05, 0.05), this.rng.range(0.97, 1.0)];
    this.rssiBase = radioSetup.gatewayMacs.map((_, g) =>
      new Prng(hashSeed(seed, 'rssi', this.mac, g)).range(-95, -50),
    );
  }

  sample(tMs: number): RuuviUnit | DropoutUnit {
    const rng = this.rng;
    this.battery = Math.max(1.6, this.battery - rng.range(1e-7, 4e-7));
    const moveStarts = rng.next() < activityAt(this.climate, tMs);
    const moveLength = rng.int(1, 5);
    if (this.moveLeft > 0) this.moveLeft--;
    else if (moveStarts) {
      this.moveLeft = moveLength;
      this.movements = (this.movements + 1) % 255;
    }
    const jitter = this.moveLeft > 0 ? 0.35 : 0.004;
    const accel = this.orientation.map((a) => a + jitter * rng.normal());
    const measured: Record<TagField, number> = {
      temperature: temperatureAt(this.climate, tMs) + 0.05 * rng.normal(),
      humidity: Math.min(100, Math.max(0, humidityAt(this.climate, tMs) + 0.4 * rng.normal())),
      pressure: pressureAt(this.climate, tMs) + 3 * rng.normal(),
    };
    const draw = drawAnomaly(rng, this.anomalyProbability);
    const field = rng.pick(TAG_FIELDS);
    const spikeSign = rng.next() < 0.5 ? -1 : 1;
    const spikeSize = rng.next();
    let anomaly: { field: TagField; kind: AnomalyKind } | null = null;
    if (this.stuck !== null && this.stuck.left > 0) {
      this.stuck.left--;
      measured[this.stuck.field] = this.stuck.value;
      anomaly = { field: this.stuck.field, kind: 'stuck' };
    } else if (draw?.kind === 'spike') {
      const size = {
        temperature: 15 + 20 * spikeSize,
        humidity: 25 + 25 * spikeSize,
        pressure: 2500 + 5500 * spikeSize,
      };
      const spiked = measured[field] + spikeSign * size[field];
      measured[field] = field === 'humidity' ? Math.min(100, Math.max(0, spiked)) : spiked;
      anomaly = { field, kind: 'spike' };
    } else if (draw?.kind === 'stuck' && this.last !== null) {
      this.stuck = { field, value: this.last[field], left: draw.extra };
      measured[field] = this.last[field];
      anomaly = { field, kind: 'stuck' };
    } else if (draw?.kind === 'dropout') {
      anomaly = { field, kind: 'dropout' };
    }
    if (anomaly?.kind !== 'stuck') this.last = { ...measured };

    const sequence = this.sequence;
    this.sequence = (this.sequence + 1) % 65_535; // 0xFFFF means "not available"
    const [ax, ay, az] = accel as [number, number, number];
    const intended: TagValues = {
      ...measured,
      accelerationX: ax,
      accelerationY: ay,
      accelerationZ: az,
      batteryVoltage: this.battery,
      movementCounter: this.format === 5 ? this.movements : null,
      measurementSequence: this.format === 5 ? sequence : null,
    };
    const advertisement =
      this.format === 5
        ? encodeFormat5Advertisement({ ...intended, mac: this.mac, txPower: 4 })
        : encodeFormat3Advertisement({ ...intended });
    const decoded = decodeRuuvi(advertisement, { mac: this.mac });
    const gatewayTs = this.radioSetup.gatewayTime ? Math.floor(tMs / 1000) : null;
    const readings = expandPacket(decoded, this.mac, gatewayTs === null ? tMs : gatewayTs * 1000);
    if (anomaly !== null) {
      const id = deviceId(this.mac, anomaly.field);
      for (const r of readings) if (r.device_id === id) r.anomaly = anomaly.kind;
    }
    const duplicate = this.radio.next() < this.radioSetup.duplicateShare;
    const gws = this.radioSetup.gatewayMacs;
    const primary = this.index % gws.length;
    const heardBy = duplicate && gws.length > 1 ? [primary, (primary + 1) % gws.length] : [primary];
    const deliveries = heardBy.map((g) => ({
      gatewayMac: gws[g]!,
      rssi: Math.round((this.rssiBase[g] ?? -80) + 2 * this.radio.normal()),
    }));
    if (anomaly?.kind === 'dropout') {
      return { kind: 'dropout', timestampMs: tMs, readingIds: readings.map((r) => r.reading_id) };
    }
    return {
      kind: 'ruuvi',
      timestampMs: tMs,
      tagMac: this.mac,
      advertisement,
      intended,
      decoded,
      gatewayTs,
      deliveries,
      readings,
    };
  }
}

/**
 * A decoded packet as the adapter stores it: one reading per measurement (ruuviMeasurements),
 * ids from identity.ts, values exactly as decoded.
 */
export function expandPacket(decoded: RuuviMeasurement, mac: string, timestampMs: number): ManifestReading[] {
  const sequence = 'measurementSequence' in decoded ? decoded.measurementSequence : null;
  const at = new Date(timestampMs);
  return ruuviMeasurements(decoded).map(({ kind, value }) => {
    const id = deviceId(mac, kind.measurement);
    return {
      reading_id: readingId(id, sequence, at),
      device_id: id,
      device_type: kind.deviceType,
      unit: kind.unit,
      timestamp_ms: timestampMs,
      value,
      anomaly: null,
    };
  });
}
