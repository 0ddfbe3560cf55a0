/**
 * The Ruuvi Gateway's topics: `<prefix>/<gateway MAC>/<tag MAC>` for readings and
 * `<prefix>/<gateway MAC>/gw_status` for the gateway's status. The prefix is a setting on both
 * ends (contract: DEFAULT_RUUVI_TOPIC_PREFIX); the firmware's Kconfig default and limit are
 * tested against the contract's (ruuvi-topic.test.ts).
 */
export { DEFAULT_RUUVI_TOPIC_PREFIX, RUUVI_TOPIC_PREFIX_MAX_BYTES } from '@iotpipe/contract';

/** The last topic level of a gateway's status. */
export const GATEWAY_STATUS_LEVEL = 'gw_status';

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
