import { Counter, Gauge, type Registry } from 'prom-client';
import type { GatewayCounter, GatewayReport, GatewayStatus } from '../sources/index.js';

/** Gateways remembered at most: a bound on the metrics' series, whatever arrives. */
export const MAX_GATEWAYS = 10_000;

/** What the adapter last heard from one gateway. */
export interface GatewayState {
  /** Receive time (ms) of its last reading or status message. */
  lastHeardMs: number;
  /** Its last status said online; null before any status came. */
  online: boolean | null;
  /** Its last report (our firmware's status); null from a gateway that sends none. */
  report: GatewayReport | null;
}

/**
 * The gateways seen on the Ruuvi topics: when each was last heard, its state and the counters
 * of its last status. Pure; the adapter feeds it, GatewayMetrics exports it.
 */
export class GatewayBoard {
  private readonly gateways = new Map<string, GatewayState>();

  constructor(private readonly maxGateways = MAX_GATEWAYS) {}

  /** A reading or status message from the gateway arrived at atMs. */
  heard(gatewayId: string, atMs: number): GatewayState | undefined {
    let g = this.gateways.get(gatewayId);
    if (g === undefined) {
      if (this.gateways.size >= this.maxGateways) return undefined;
      g = { lastHeardMs: atMs, online: null, report: null };
      this.gateways.set(gatewayId, g);
    }
    g.lastHeardMs = Math.max(g.lastHeardMs, atMs);
    return g;
  }

  status(s: GatewayStatus, atMs: number): void {
    const g = this.heard(s.gatewayId, atMs);
    if (g === undefined) return;
    g.online = s.online;
    // The last will ("offline") carries no counters: the last report stays.
    if (s.report !== null) g.report = s.report;
  }

  entries(): IterableIterator<[string, GatewayState]> {
    return this.gateways.entries();
  }

  get size(): number {
    return this.gateways.size;
  }
}

type CounterLabel = 'reason' | 'link';

interface CounterMetric {
  readonly name: string;
  readonly help: string;
  readonly label?: CounterLabel;
}

const ACCEPTED: CounterMetric = {
  name: 'mqtt_adapter_gateway_accepted_total',
  help: "New measurements a gateway handed to its relay (the gateway's count)",
};
const RELAYED: CounterMetric = {
  name: 'mqtt_adapter_gateway_relayed_total',
  help: "Packets a gateway relayed and the broker acknowledged (the gateway's count)",
};
const DEDUPLICATED: CounterMetric = {
  name: 'mqtt_adapter_gateway_deduplicated_total',
  help: 'Advertisements a gateway did not relay because it had relayed their measurement, by reason',
  label: 'reason',
};
const DROPPED: CounterMetric = {
  name: 'mqtt_adapter_gateway_dropped_total',
  help: 'Measurements a gateway lost (table full, queue full, buffer full, too long, unformattable), by reason',
  label: 'reason',
};
const IGNORED: CounterMetric = {
  name: 'mqtt_adapter_gateway_ignored_total',
  help: 'Ruuvi advertisements a gateway ignored on purpose (not allowed, unsupported format), by reason',
  label: 'reason',
};
const RESENT: CounterMetric = {
  name: 'mqtt_adapter_gateway_resent_total',
  help: 'Packets a gateway sent again after its MQTT outbox expired them unacknowledged',
};
const TAGS_FORGOTTEN: CounterMetric = {
  name: 'mqtt_adapter_gateway_tags_forgotten_total',
  help: 'Tag slots a gateway gave to a new tag after the old one went silent',
};
const ACKS_LOST: CounterMetric = {
  name: 'mqtt_adapter_gateway_acks_lost_total',
  help: "Broker acknowledgements a gateway's relay could not be told of (each keeps a packet buffered)",
};
const RECONNECTS: CounterMetric = {
  name: 'mqtt_adapter_gateway_reconnects_total',
  help: 'Times a gateway reconnected, by link (wifi, mqtt)',
  label: 'link',
};

/** Where each counter of a gateway's status goes: a metric, and the value of its second label. */
export const GATEWAY_COUNTER_METRICS: Readonly<
  Record<GatewayCounter, { readonly metric: CounterMetric; readonly labelValue?: string }>
> = {
  accepted: { metric: ACCEPTED },
  relayed: { metric: RELAYED },
  repeats: { metric: DEDUPLICATED, labelValue: 'repeat' },
  superseded: { metric: DEDUPLICATED, labelValue: 'superseded' },
  table_full: { metric: DROPPED, labelValue: 'table_full' },
  too_long: { metric: DROPPED, labelValue: 'too_long' },
  queue_full: { metric: DROPPED, labelValue: 'queue_full' },
  buffer_full: { metric: DROPPED, labelValue: 'buffer_full' },
  unformattable: { metric: DROPPED, labelValue: 'unformattable' },
  not_allowed: { metric: IGNORED, labelValue: 'not_allowed' },
  unsupported: { metric: IGNORED, labelValue: 'unsupported' },
  resent: { metric: RESENT },
  tags_forgotten: { metric: TAGS_FORGOTTEN },
  acks_lost: { metric: ACKS_LOST },
  wifi_reconnects: { metric: RECONNECTS, labelValue: 'wifi' },
  mqtt_reconnects: { metric: RECONNECTS, labelValue: 'mqtt' },
};

const LEVELS = {
  buffered: {
    name: 'mqtt_adapter_gateway_buffered_packets',
    help: 'Packets a gateway holds until acknowledged',
  },
  inFlight: {
    name: 'mqtt_adapter_gateway_in_flight_packets',
    help: "Packets in a gateway's MQTT outbox awaiting their PUBACK",
  },
  tags: { name: 'mqtt_adapter_gateway_tags', help: 'Tags a gateway heard recently' },
  uptimeSeconds: { name: 'mqtt_adapter_gateway_uptime_seconds', help: 'Seconds since the gateway booted' },
} as const satisfies Partial<Record<keyof GatewayReport, { name: string; help: string }>>;

/**
 * The gateways' own counters and levels as metrics, labelled by gateway MAC, from their last
 * status (read at scrape time). The counters are the gateway's: they restart from 0 when it
 * reboots, which Prometheus' rate()/increase() take as a counter reset.
 */
export class GatewayMetrics {
  constructor(registry: Registry, board: GatewayBoard) {
    const counters = new Map<
      string,
      { metric: CounterMetric; from: [GatewayCounter, string | undefined][] }
    >();
    for (const [counter, { metric, labelValue }] of Object.entries(GATEWAY_COUNTER_METRICS) as [
      GatewayCounter,
      { metric: CounterMetric; labelValue?: string },
    ][]) {
      const entry = counters.get(metric.name) ?? { metric, from: [] };
      entry.from.push([counter, labelValue]);
      counters.set(metric.name, entry);
    }
    for (const { metric, from } of counters.values()) {
      new Counter({
        name: metric.name,
        help: metric.help,
        labelNames: metric.label === undefined ? ['gateway'] : ['gateway', metric.label],
        registers: [registry],
        collect(this: Counter) {
          this.reset();
          for (const [gateway, g] of board.entries()) {
            if (g.report === null) continue;
            for (const [counter, labelValue] of from) {
              const labels =
                metric.label === undefined || labelValue === undefined
                  ? { gateway }
                  : { gateway, [metric.label]: labelValue };
              this.inc(labels, g.report.counters[counter]);
            }
          }
        },
      });
    }
    for (const [field, { name, help }] of Object.entries(LEVELS) as [
      keyof typeof LEVELS,
      { name: string; help: string },
    ][]) {
      new Gauge({
        name,
        help,
        labelNames: ['gateway'],
        registers: [registry],
        collect(this: Gauge) {
          this.reset();
          for (const [gateway, g] of board.entries()) {
            if (g.report !== null) this.set({ gateway }, g.report[field]);
          }
        },
      });
    }
    new Gauge({
      name: 'mqtt_adapter_gateway_online',
      help: "1 while a gateway's last status says online, 0 after its last will (offline)",
      labelNames: ['gateway'],
      registers: [registry],
      collect(this: Gauge) {
        this.reset();
        for (const [gateway, g] of board.entries()) {
          if (g.online !== null) this.set({ gateway }, g.online ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'mqtt_adapter_gateway_last_message_timestamp_seconds',
      help: 'When the adapter last received a reading or status from a gateway (Unix seconds)',
      labelNames: ['gateway'],
      registers: [registry],
      collect(this: Gauge) {
        this.reset();
        for (const [gateway, g] of board.entries()) this.set({ gateway }, g.lastHeardMs / 1000);
      },
    });
  }
}
