import { z } from 'zod';
import { PayloadError } from './errors.js';
import { parseJsonBytes, validate } from './json.js';
import { mac } from './ruuvi-gateway.js';
import { DEFAULT_RUUVI_TOPIC_PREFIX, GATEWAY_STATUS_LEVEL, splitRuuviTopic } from './ruuvi-topic.js';

/**
 * The counters our gateway firmware reports in its status, named as in its status message
 * (ruuvi_gateway_status_t in firmware/esp32-gateway/components/ruuvi_core/include/ruuvi_gateway.h).
 * Each only grows until the gateway reboots (then uptime_s starts again).
 */
export const GATEWAY_COUNTERS = [
  'accepted', // new measurements handed to the relay
  'repeats', // the same measurement heard again: de-duplicated
  'superseded', // Ruuvi Air format 6 while its E1 is heard: de-duplicated
  'not_allowed', // tags outside the allow-list
  'unsupported', // Ruuvi data of a format the gateway does not relay
  'table_full', // dropped: a new tag while every tag slot holds a tag heard recently
  'too_long', // dropped: an advertisement longer than a packet holds
  'queue_full', // dropped: the relay task's queue was full
  'tags_forgotten', // tag slots given to a new tag after the old one went silent
  'relayed', // acknowledged by the broker
  'buffer_full', // dropped: the oldest waiting packet, to make room
  'resent', // expired unacknowledged in the MQTT outbox, sent again
  'unformattable', // dropped: no topic or message could be built
  'acks_lost', // acknowledgements the relay could not be told of
  'wifi_reconnects',
  'mqtt_reconnects',
] as const;
export type GatewayCounter = (typeof GATEWAY_COUNTERS)[number];

const count = z.number().int().min(0).max(0xffffffff);

const Counters = z.strictObject(
  Object.fromEntries(GATEWAY_COUNTERS.map((c) => [c, count])) as Record<GatewayCounter, typeof count>,
);

/**
 * `{"state":"online"}` / `{"state":"offline"}` as the official Ruuvi Gateway publishes it (the
 * offline one as its last will); our firmware's "online" adds its levels and counters.
 */
const GatewayStatusMessage = z
  .object({
    state: z.enum(['online', 'offline']),
    uptime_s: z.number().int().min(0).optional(),
    buffered: count.optional(),
    in_flight: count.optional(),
    tags: count.optional(),
    counters: Counters.optional(),
  })
  .refine(
    (m) =>
      [m.uptime_s, m.buffered, m.in_flight, m.tags, m.counters].every((v) => v === undefined) ||
      [m.uptime_s, m.buffered, m.in_flight, m.tags, m.counters].every((v) => v !== undefined),
    'uptime_s, buffered, in_flight, tags and counters come together',
  );

/** What our firmware reports besides its state. */
export interface GatewayReport {
  readonly uptimeSeconds: number;
  /** Packets waiting or in flight. */
  readonly buffered: number;
  /** Packets handed to MQTT and not yet acknowledged. */
  readonly inFlight: number;
  /** Tags remembered for de-duplication. */
  readonly tags: number;
  readonly counters: Readonly<Record<GatewayCounter, number>>;
}

export interface GatewayStatus {
  /** Lower-case MAC, as gateway_id on readings. */
  readonly gatewayId: string;
  readonly online: boolean;
  /** Null for a gateway that reports only its state (the official Ruuvi Gateway). */
  readonly report: GatewayReport | null;
}

/** The gateway MAC of a `<prefix>/<gateway MAC>/...` topic, lower-case; INVALID_MAC otherwise. */
export function gatewayOfTopic(topic: string, prefix = DEFAULT_RUUVI_TOPIC_PREFIX): string {
  const parts = splitRuuviTopic(topic, prefix);
  if (!parts) throw new PayloadError('UNKNOWN_FORMAT', `topic ${topic} is not ${prefix}/<gateway mac>/...`);
  return mac(parts.gateway, 'gateway MAC in topic');
}

/** A gateway's status message (pure). Throws only PayloadError. */
export function parseGatewayStatus(
  topic: string,
  bytes: Uint8Array,
  prefix = DEFAULT_RUUVI_TOPIC_PREFIX,
): GatewayStatus {
  const parts = splitRuuviTopic(topic, prefix);
  if (!parts || parts.last !== GATEWAY_STATUS_LEVEL) {
    throw new PayloadError(
      'UNKNOWN_FORMAT',
      `topic ${topic} is not ${prefix}/<gateway mac>/${GATEWAY_STATUS_LEVEL}`,
    );
  }
  const gatewayId = mac(parts.gateway, 'gateway MAC in topic');
  const msg = validate(GatewayStatusMessage, parseJsonBytes(bytes), 'gateway status');
  const { uptime_s, buffered, in_flight, tags, counters } = msg;
  const report =
    uptime_s !== undefined &&
    buffered !== undefined &&
    in_flight !== undefined &&
    tags !== undefined &&
    counters !== undefined
      ? { uptimeSeconds: uptime_s, buffered, inFlight: in_flight, tags, counters }
      : null;
  return { gatewayId, online: msg.state === 'online', report };
}
