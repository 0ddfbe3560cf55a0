/**
 * The Ruuvi Gateway's topics: `<prefix>/<gateway MAC>/<tag MAC>` for readings and
 * `<prefix>/<gateway MAC>/gw_status` for the gateway's status. The prefix is a setting on both
 * ends: the official Ruuvi Gateway's "MQTT prefix", our firmware's IOTPIPE_MQTT_TOPIC_PREFIX,
 * the adapter's ADAPTER_RUUVI_TOPIC_PREFIX. Its default is declared here; the firmware's
 * Kconfig default is tested against it (ruuvi-topic.test.ts).
 */
export const DEFAULT_RUUVI_TOPIC_PREFIX = 'ruuvi';

/** The firmware's RUUVI_TOPIC_PREFIX_MAX (ruuvi_gateway.h): topics must fit its buffers. */
export const RUUVI_TOPIC_PREFIX_MAX_BYTES = 64;

/** The last topic level of a gateway's status. */
export const GATEWAY_STATUS_LEVEL = 'gw_status';

/**
 * Why a prefix cannot be a Ruuvi topic prefix, or null when it can: the firmware's rules
 * (ruuvi_settings.c), and no overlap with the other formats' topics.
 */
export function ruuviTopicPrefixProblem(prefix: string): string | null {
  if (prefix === '') return 'is empty';
  if (Buffer.byteLength(prefix) > RUUVI_TOPIC_PREFIX_MAX_BYTES)
    return `is longer than ${RUUVI_TOPIC_PREFIX_MAX_BYTES} bytes`;
  if (/[+#]/.test(prefix) || prefix.startsWith('$')) return 'holds a wildcard (+ #) or starts with $';
  if (prefix.split('/').some((level) => level === ''))
    return 'has an empty topic level (a leading, trailing or double /)';
  if (prefix === 'iotpipe' || prefix === 'iotpipe/sim' || prefix.startsWith('iotpipe/sim/'))
    return "overlaps the simulator's iotpipe/sim topics";
  return null;
}

export interface RuuviTopicParts {
  /** The gateway MAC level as written (not yet validated). */
  readonly gateway: string;
  /** The tag MAC level, or 'gw_status'. */
  readonly last: string;
}

/** The two levels after the prefix, or null when the topic is not `<prefix>/<a>/<b>`. */
export function splitRuuviTopic(topic: string, prefix: string): RuuviTopicParts | null {
  if (!topic.startsWith(`${prefix}/`)) return null;
  const rest = topic.slice(prefix.length + 1).split('/');
  if (rest.length !== 2) return null;
  return { gateway: rest[0]!, last: rest[1]! };
}
