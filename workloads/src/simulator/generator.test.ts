import { describe, expect, it } from 'vitest';
import { decodeRuuvi, hexToBytes } from '../ruuvi/index.js';
import { deviceId } from '../schema/identity.js';
import type { GenericUnit, RuuviUnit, SimUnit } from './devices.js';
import { expandPacket } from './devices.js';
import { ReadingGenerator } from './generator.js';
import { manifestDigest, type ManifestReading } from './manifest.js';
import { ruuviGatewayMessage, ruuviGatewayTopic } from './payloads.js';
import { generatorOptions } from './testing.js';

function take(gen: ReadingGenerator, n: number): SimUnit[] {
  return Array.from({ length: n }, () => gen.next());
}

function rows(units: SimUnit[]): ManifestReading[] {
  return units.flatMap((u): ManifestReading[] => {
    if (u.kind === 'ruuvi') return u.readings;
    if (u.kind === 'dropout') return [];
    const r = u.reading;
    return [
      {
        reading_id: `${r.device_id}#${r.sequence}`,
        device_id: r.device_id,
        device_type: r.device_type,
        unit: r.unit,
        timestamp_ms: r.timestamp_ms,
        value: r.value,
        anomaly: u.anomaly,
      },
    ];
  });
}

const generic = (units: SimUnit[]) => units.filter((u): u is GenericUnit => u.kind === 'generic');
const ruuvi = (units: SimUnit[]) => units.filter((u): u is RuuviUnit => u.kind === 'ruuvi');

describe('ReadingGenerator determinism', () => {
  it('produces identical units, bytes and digest from the same seed', () => {
    const a = take(new ReadingGenerator(generatorOptions()), 3000);
    const b = take(new ReadingGenerator(generatorOptions()), 3000);
    expect(b).toEqual(a);
    expect(manifestDigest(rows(b))).toBe(manifestDigest(rows(a)));
  });

  it('produces different data from another seed', () => {
    const a = take(new ReadingGenerator(generatorOptions()), 500);
    const b = take(new ReadingGenerator(generatorOptions({ seed: 43 })), 500);
    expect(manifestDigest(rows(b))).not.toBe(manifestDigest(rows(a)));
  });

  it('gives a device the same readings however the run is split into shards', () => {
    const whole = rows(take(new ReadingGenerator(generatorOptions()), 1400));
    const parts = [0, 1, 2].flatMap((index) =>
      rows(take(new ReadingGenerator(generatorOptions({ shard: { index, count: 3 } })), 1400)),
    );
    const ids = new Set(whole.map((r) => `${r.reading_id}|${r.timestamp_ms}|${r.value}`));
    const inParts = new Set(parts.map((r) => `${r.reading_id}|${r.timestamp_ms}|${r.value}`));
    for (const id of ids) expect(inParts.has(id)).toBe(true);
  });
});

describe('ReadingGenerator timing and identity', () => {
  const opts = generatorOptions({ intervalSec: 2, anomalyProbability: 0 });
  const units = take(new ReadingGenerator(opts), 14 * 50);

  it('emits units in simulated-time order, each device once per interval', () => {
    const times = units.map((u) => u.timestampMs);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    const byDevice = new Map<string, number[]>();
    for (const u of generic(units)) {
      const list = byDevice.get(u.reading.device_id) ?? [];
      list.push(u.reading.timestamp_ms);
      byDevice.set(u.reading.device_id, list);
    }
    expect(byDevice.size).toBe(10);
    for (const list of byDevice.values()) {
      expect(list).toHaveLength(50);
      for (let i = 1; i < list.length; i++) expect(list[i]! - list[i - 1]!).toBe(2000);
      expect(list[0]! - opts.startMs).toBeLessThan(2000);
    }
  });

  it('names generic devices sim-NNNN_<measurement>; the sequence is the reading time, never reused', () => {
    const first = generic(units).filter((u) => u.reading.device_id === 'sim-0001_temperature');
    expect(first).toHaveLength(50);
    expect(first.map((u) => u.reading.sequence)).toEqual(first.map((u) => u.reading.timestamp_ms));
    expect(generic(units).map((u) => u.reading.device_id)).toContain('sim-0005_light');
    expect(generic(units).map((u) => u.reading.device_id)).toContain('sim-0009_motion');
    const r = first[0]!.reading;
    expect(r.device_type).toBe('temperature_sensor');
    expect(r.unit).toBe('°C');
    expect(r.location?.building).toBe('sim-building-1');
  });
});

describe('virtual RuuviTags', () => {
  const units = ruuvi(take(new ReadingGenerator(generatorOptions({ anomalyProbability: 0.1 })), 14 * 300));

  it('send real advertisements that decode to what the tag meant, within the format step', () => {
    expect(units.length).toBeGreaterThan(1000);
    const formats = new Set<number>();
    for (const u of units) {
      const decoded = decodeRuuvi(u.advertisement, { mac: u.tagMac });
      expect(decoded).toEqual(u.decoded);
      formats.add(decoded.dataFormat);
      if (decoded.dataFormat !== 5 && decoded.dataFormat !== 3) throw new Error('unexpected format');
      const i = u.intended;
      const step = decoded.dataFormat === 5 ? { t: 0.005, h: 0.0025 } : { t: 0.01, h: 0.5 };
      expect(Math.abs(decoded.temperature! - i.temperature)).toBeLessThanOrEqual(step.t / 2 + 1e-9);
      expect(Math.abs(decoded.humidity! - i.humidity)).toBeLessThanOrEqual(step.h / 2 + 1e-9);
      expect(Math.abs(decoded.pressure! - i.pressure)).toBeLessThanOrEqual(0.5 + 1e-9);
      expect(Math.abs(decoded.accelerationZ! - i.accelerationZ)).toBeLessThanOrEqual(0.0005 + 1e-9);
      expect(Math.abs(decoded.batteryVoltage! - i.batteryVoltage)).toBeLessThanOrEqual(0.0005 + 1e-9);
      if (decoded.dataFormat === 5) {
        expect(decoded.mac).toBe(u.tagMac);
        expect(decoded.measurementSequence).toBe(i.measurementSequence);
        expect(decoded.movementCounter).toBe(i.movementCounter);
        expect(decoded.txPower).toBe(4);
      }
    }
    expect([...formats].sort()).toEqual([3, 5]);
  });

  it('expand to manifest readings with the decoded values and the contract ids', () => {
    for (const u of units) {
      expect(u.readings.map((r) => ({ ...r, anomaly: null }))).toEqual(
        expandPacket(u.decoded, u.tagMac, u.gatewayTs! * 1000),
      );
      const temp = u.readings.find((r) => r.device_id === deviceId(u.tagMac, 'temperature'))!;
      expect(temp.value).toBe(u.decoded.temperature);
      expect(temp.reading_id).toBe(
        u.decoded.dataFormat === 5
          ? `${u.tagMac}_temperature#${u.decoded.measurementSequence}`
          : `${u.tagMac}_temperature@${u.gatewayTs! * 1000}`,
      );
      expect(u.readings).toHaveLength(u.decoded.dataFormat === 5 ? 7 : 6);
    }
  });

  it('wrap packets in Ruuvi Gateway messages that carry the same bytes and the gateway time', () => {
    let duplicates = 0;
    for (const u of units) {
      duplicates += u.deliveries.length - 1;
      for (const d of u.deliveries) {
        const msg = JSON.parse(JSON.stringify(ruuviGatewayMessage(u, d))) as Record<string, unknown>;
        expect(msg.gw_mac).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
        expect(msg.ts).toBe(String(Math.floor(u.timestampMs / 1000)));
        expect(decodeRuuvi(hexToBytes(msg.data as string), { mac: u.tagMac })).toEqual(u.decoded);
        expect(ruuviGatewayTopic('ruuvi', d.gatewayMac, u.tagMac)).toBe(
          `ruuvi/${d.gatewayMac}/${u.tagMac.toUpperCase()}`,
        );
      }
    }
    // about 30 % of packets heard by both gateways
    expect(duplicates / units.length).toBeGreaterThan(0.2);
    expect(duplicates / units.length).toBeLessThan(0.4);
  });

  it('send no gateway time with --no-gateway-time', () => {
    const u = ruuvi(take(new ReadingGenerator(generatorOptions({ gatewayTime: false })), 50))[0]!;
    const msg = ruuviGatewayMessage(u, u.deliveries[0]!);
    expect(msg.ts).toBeUndefined();
    expect(msg.gwts).toBeUndefined();
  });
});

describe('signals', () => {
  // one zone of 5 sensors, two simulated days at 60 s, no anomalies
  const units = generic(
    take(
      new ReadingGenerator(
        generatorOptions({ numDevices: 5, ruuviTags: 0, intervalSec: 60, anomalyProbability: 0 }),
      ),
      5 * 2 * 1440,
    ),
  );
  const series = (id: string) => units.filter((u) => u.reading.device_id === id).map((u) => u.reading);
  const hour = (ms: number) => new Date(ms).getUTCHours();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  it('temperature follows a daily cycle: afternoons warmer than nights', () => {
    const t = series('sim-0001_temperature');
    const afternoon = mean(
      t.filter((r) => hour(r.timestamp_ms) >= 13 && hour(r.timestamp_ms) < 17).map((r) => r.value),
    );
    const night = mean(
      t.filter((r) => hour(r.timestamp_ms) >= 1 && hour(r.timestamp_ms) < 5).map((r) => r.value),
    );
    expect(afternoon).toBeGreaterThan(night + 0.5);
  });

  it('humidity moves against temperature', () => {
    const t = series('sim-0001_temperature').map((r) => r.value);
    const h = series('sim-0002_humidity').map((r) => r.value);
    const mt = mean(t);
    const mh = mean(h);
    let cov = 0;
    let vt = 0;
    let vh = 0;
    for (let i = 0; i < t.length; i++) {
      cov += (t[i]! - mt) * (h[i]! - mh);
      vt += (t[i]! - mt) ** 2;
      vh += (h[i]! - mh) ** 2;
    }
    expect(cov / Math.sqrt(vt * vh)).toBeLessThan(-0.8);
  });

  it('pressure drifts slowly', () => {
    const p = series('sim-0003_pressure').map((r) => r.value);
    for (let i = 1; i < p.length; i++) expect(Math.abs(p[i]! - p[i - 1]!)).toBeLessThan(40);
    expect(Math.max(...p) - Math.min(...p)).toBeGreaterThan(100);
    for (const v of p) expect(v).toBeGreaterThan(95_000);
  });

  it('motion comes as events (0/1), more by day than by night', () => {
    const m = series('sim-0004_motion');
    for (const r of m) expect([0, 1]).toContain(r.value);
    const day = mean(
      m.filter((r) => hour(r.timestamp_ms) >= 9 && hour(r.timestamp_ms) < 17).map((r) => r.value),
    );
    const night = mean(m.filter((r) => hour(r.timestamp_ms) < 5).map((r) => r.value));
    expect(day).toBeGreaterThan(night);
    expect(day).toBeGreaterThan(0);
  });

  it('light is dark at night and bright at noon', () => {
    const l = series('sim-0005_light');
    const noon = mean(l.filter((r) => hour(r.timestamp_ms) === 12).map((r) => r.value));
    const night = mean(l.filter((r) => hour(r.timestamp_ms) === 2).map((r) => r.value));
    expect(night).toBeLessThan(5);
    expect(noon).toBeGreaterThan(100);
  });

  it('batteries drain', () => {
    const b = series('sim-0001_temperature').map((r) => r.battery_level!);
    for (let i = 1; i < b.length; i++) expect(b[i]!).toBeLessThanOrEqual(b[i - 1]!);
    expect(b[b.length - 1]!).toBeLessThan(b[0]!);
  });
});

describe('anomalies', () => {
  const opts = generatorOptions({ numDevices: 20, ruuviTags: 4, anomalyProbability: 0.05 });
  const units = take(new ReadingGenerator(opts), 24 * 1000);

  it('occur at about the configured probability and are marked', () => {
    const g = generic(units);
    const dropped = units.filter((u) => u.kind === 'dropout');
    const spikes = g.filter((u) => u.anomaly === 'spike').length;
    const generated = g.length + dropped.length; // dropouts include the tags' packets
    expect(spikes / generated).toBeGreaterThan(0.02);
    expect(spikes / generated).toBeLessThan(0.05);
    expect(g.some((u) => u.anomaly === 'stuck')).toBe(true);
    expect(dropped.length).toBeGreaterThan(0);
  });

  it('none at probability 0', () => {
    const clean = take(new ReadingGenerator(generatorOptions({ anomalyProbability: 0 })), 3000);
    expect(clean.some((u) => u.kind === 'dropout')).toBe(false);
    expect(rows(clean).some((r) => r.anomaly !== null)).toBe(false);
  });

  it('stuck readings repeat the previous value, spikes stand out, dropouts leave sequence gaps', () => {
    const temps = units.filter(
      (u): u is GenericUnit | Extract<SimUnit, { kind: 'dropout' }> =>
        (u.kind === 'generic' && u.reading.device_type === 'temperature_sensor') ||
        (u.kind === 'dropout' && /^sim-.*_temperature#/.test(u.readingIds[0]!)),
    );
    const byDevice = new Map<string, Array<{ seq: number; value: number | null; anomaly: string | null }>>();
    for (const u of temps) {
      const [id, seq] = (
        u.kind === 'generic' ? `${u.reading.device_id}#${u.reading.sequence}` : u.readingIds[0]!
      ).split('#');
      const list = byDevice.get(id!) ?? [];
      list.push({
        seq: Number(seq),
        value: u.kind === 'generic' ? u.reading.value : null,
        anomaly: u.kind === 'generic' ? u.anomaly : 'dropout',
      });
      byDevice.set(id!, list);
    }
    let checkedSpikes = 0;
    for (const list of byDevice.values()) {
      // Dropouts keep their slot: sequences (reading times) stay one interval apart.
      list.forEach((r, i) => i > 0 && expect(r.seq - list[i - 1]!.seq).toBe(opts.intervalSec * 1000));
      for (let i = 1; i < list.length - 1; i++) {
        const r = list[i]!;
        const prev = list
          .slice(0, i)
          .reverse()
          .find((x) => x.value !== null);
        if (r.anomaly === 'stuck' && prev) expect(r.value).toBe(prev.value);
        if (r.anomaly === 'spike' && prev && prev.anomaly === null) {
          expect(Math.abs(r.value! - prev.value!)).toBeGreaterThan(10);
          checkedSpikes++;
        }
      }
    }
    expect(checkedSpikes).toBeGreaterThan(10);
  });

  it('mark the affected Ruuvi reading only, and list a dropped packet by all its readings', () => {
    const tags = ruuvi(units);
    const marked = tags.flatMap((u) => u.readings.filter((r) => r.anomaly !== null));
    expect(marked.length).toBeGreaterThan(0);
    for (const r of marked) expect(r.device_id).toMatch(/_(temperature|humidity|pressure)$/);
    const droppedPackets = units.filter((u) => u.kind === 'dropout' && u.readingIds.length > 1);
    expect(droppedPackets.length).toBeGreaterThan(0);
  });
});
