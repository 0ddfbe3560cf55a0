/**
 * Mosquitto's $SYS topics as Prometheus samples. Pure: a topic and its payload in, a sample (or
 * nothing, for topics that carry no number) out.
 *
 * Mosquitto publishes, retained and every `sys_interval` seconds, under `$SYS/broker/`:
 * running totals since start (bytes, messages, publishes received/sent/dropped), current
 * values (clients connected, subscriptions, retained and stored messages, heap) and moving
 * averages (load/.../1min|5min|15min). Names follow the topic: `$SYS/broker/clients/connected`
 * is `mosquitto_clients_connected`; totals are counters (`_total`), the uptime is
 * `mosquitto_uptime_seconds`, the version string becomes `mosquitto_info{version}`.
 */

export type SampleKind = 'counter' | 'gauge';

export interface SysSample {
  /** Prometheus metric name, e.g. mosquitto_messages_received_total. */
  readonly name: string;
  readonly kind: SampleKind;
  readonly help: string;
  readonly value: number;
  readonly labels?: Readonly<Record<string, string>>;
}

export const SYS_PREFIX = '$SYS/broker/';

/**
 * The $SYS values that only grow while the broker runs (they restart from 0 with it): Prometheus
 * counters. Everything else numeric is a gauge.
 */
const TOTALS = new Set([
  'bytes/received',
  'bytes/sent',
  'messages/received',
  'messages/sent',
  'publish/bytes/received',
  'publish/bytes/sent',
  'publish/messages/received',
  'publish/messages/sent',
  'publish/messages/dropped',
  'clients/expired',
]);

/** A Prometheus-safe name from a $SYS path: lower case, [a-z0-9_], no leading digit. */
function metricName(path: string): string {
  const base = path
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return `mosquitto_${base}`;
}

/** The number at the start of a payload ("12", "0.53", "3600 seconds"); NaN when there is none. */
function leadingNumber(payload: string): number {
  const m = /^\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?:\s|$)/.exec(payload);
  return m?.[1] === undefined ? Number.NaN : Number(m[1]);
}

/** One $SYS message as a sample; undefined for topics outside $SYS/broker/ or without a number. */
export function parseSysMessage(topic: string, payload: string): SysSample | undefined {
  if (!topic.startsWith(SYS_PREFIX)) return undefined;
  const path = topic.slice(SYS_PREFIX.length);
  if (path === '' || path.includes('#') || path.includes('+')) return undefined;
  if (path === 'version') {
    const version = payload.trim().slice(0, 200);
    if (version === '') return undefined;
    return {
      name: 'mosquitto_info',
      kind: 'gauge',
      help: 'Mosquitto version ($SYS/broker/version)',
      value: 1,
      labels: { version },
    };
  }
  const value = leadingNumber(payload);
  if (!Number.isFinite(value)) return undefined;
  if (path === 'uptime') {
    return {
      name: 'mosquitto_uptime_seconds',
      kind: 'gauge',
      help: 'seconds since the broker started ($SYS/broker/uptime)',
      value,
    };
  }
  const total = TOTALS.has(path);
  const name = metricName(path);
  return {
    name: total ? `${name}_total` : name,
    kind: total ? 'counter' : 'gauge',
    help: `${total ? 'total since the broker started' : 'current value'} of ${SYS_PREFIX}${path}`,
    value,
  };
}
