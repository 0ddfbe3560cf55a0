import type { SimulatedType } from '@iotpipe/contract';
import { makeClimate } from './climate.js';
import type { RuuviSimFormat } from './config.js';
import { gatewayMac, GenericDevice, simDeviceName, VirtualRuuviTag, type SimUnit } from './devices.js';
import { hashSeed, Prng } from './prng.js';

export interface GeneratorOptions {
  seed: number;
  startMs: number;
  intervalSec: number;
  numDevices: number;
  deviceTypes: readonly SimulatedType[];
  anomalyProbability: number;
  ruuviTags: number;
  ruuviFormats: readonly RuuviSimFormat[];
  gateways: number;
  duplicateGatewayShare: number;
  gatewayTime: boolean;
  /** Generate only streams i with i % count === index (to split a run across workers). */
  shard?: { index: number; count: number };
}

interface Stream {
  phaseMs: number;
  order: number;
  sample(tMs: number): SimUnit;
}

/**
 * Every simulated sensor's output in time order, a pure function of the options: simulated time
 * only advances as units are taken, never from the wall clock. Each sensor reports every
 * interval, offset by its own fixed phase within the interval (sensors are not synchronised).
 */
export class ReadingGenerator {
  readonly gatewayMacs: readonly string[];
  private readonly streams: Stream[] = [];
  private readonly intervalMs: number;
  private round = 0;
  private position = 0;

  constructor(private readonly options: GeneratorOptions) {
    const { seed, numDevices, deviceTypes } = options;
    this.intervalMs = options.intervalSec * 1000;
    this.gatewayMacs = Array.from({ length: options.gateways }, (_, g) => gatewayMac(seed, g));
    const shard = options.shard ?? { index: 0, count: 1 };
    const climates = new Map<string, ReturnType<typeof makeClimate>>();
    const climate = (zone: string, indoor: boolean) => {
      let c = climates.get(zone);
      if (!c) climates.set(zone, (c = makeClimate(seed, zone, indoor)));
      return c;
    };
    const total = numDevices + options.ruuviTags;
    for (let i = 0; i < total; i++) {
      if (i % shard.count !== shard.index) continue;
      let stream: { name: string; sample(tMs: number): SimUnit };
      if (i < numDevices) {
        const zone = Math.floor(i / deviceTypes.length);
        const name = simDeviceName(i, numDevices);
        const type = deviceTypes[i % deviceTypes.length]!;
        const device = new GenericDevice(
          seed,
          name,
          type,
          climate(`sim-${zone}`, true),
          zone,
          options.anomalyProbability,
        );
        stream = { name: device.deviceId, sample: (t) => device.sample(t) };
      } else {
        const t = i - numDevices;
        const format = options.ruuviFormats[t % options.ruuviFormats.length]!;
        const tag = new VirtualRuuviTag(
          seed,
          t,
          format,
          climate(`ruuvi-${t}`, t % 2 === 0),
          options.anomalyProbability,
          {
            gatewayMacs: this.gatewayMacs,
            duplicateShare: options.duplicateGatewayShare,
            gatewayTime: options.gatewayTime,
          },
        );
        stream = { name: tag.mac, sample: (tMs) => tag.sample(tMs) };
      }
      const phase = new Prng(hashSeed(seed, 'phase', stream.name)).next();
      this.streams.push({ phaseMs: phase * this.intervalMs, order: i, sample: (tMs) => stream.sample(tMs) });
    }
    this.streams.sort((a, b) => a.phaseMs - b.phaseMs || a.order - b.order);
  }

  get streamCount(): number {
    return this.streams.length;
  }

  /** Simulated time of the next unit (ms), without taking it. */
  peekTimeMs(): number {
    const s = this.streams[this.position];
    if (!s) return Infinity;
    return Math.round(this.options.startMs + this.round * this.intervalMs + s.phaseMs);
  }

  next(): SimUnit {
    const s = this.streams[this.position];
    if (!s) throw new RangeError('generator has no streams');
    const unit = s.sample(this.peekTimeMs());
    if (++this.position === this.streams.length) {
      this.position = 0;
      this.round++;
    }
    return unit;
  }
}
