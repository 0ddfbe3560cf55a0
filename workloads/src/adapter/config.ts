import { ConfigError, EnvReader, loadConnectionConfig, type ConnectionConfig } from '../config/common.js';
import { isKafkaClientKind, KAFKA_CLIENTS, type KafkaClientKind } from '../kafka/record-producer.js';
import { DEDUP_WINDOW_MS } from '../schema/identity.js';
import { DEFAULT_RUUVI_TOPIC_PREFIX, ruuviTopicPrefixProblem } from '../sources/index.js';

/** The subscriptions when ADAPTER_SUBSCRIPTIONS is unset: Ruuvi Gateway topics under the prefix. */
export function defaultSubscriptions(ruuviTopicPrefix: string): string[] {
  return [`${ruuviTopicPrefix}/+/+`, 'ruuvitag/data', 'iotpipe/sim/#'];
}

export const DEFAULT_SUBSCRIPTIONS: readonly string[] = defaultSubscriptions(DEFAULT_RUUVI_TOPIC_PREFIX);

export interface AdapterConfig {
  readonly connection: ConnectionConfig;
  /** MQTT client id. Fixed so the session (subscription and queued messages) persists. */
  readonly mqttClientId: string;
  /** Topic filters, before the prefix and the shared-subscription group are applied. */
  readonly subscriptions: readonly string[];
  /** Prepended to every filter and stripped before routing (isolates tests and tenants). */
  readonly topicPrefix: string;
  /**
   * First level(s) of the Ruuvi Gateway topics `<prefix>/<gateway MAC>/<tag MAC>`: the gateways'
   * MQTT prefix (our firmware's IOTPIPE_MQTT_TOPIC_PREFIX), after topicPrefix.
   */
  readonly ruuviTopicPrefix: string;
  /**
   * `$share/<group>/<filter>` so several adapter processes split the load; '' (the default)
   * subscribes plainly. Mosquitto 2.0 does not restore shared subscriptions after its own
   * restart: messages published before the adapters subscribe again are not delivered.
   */
  readonly sharedGroup: string;
  /** MQTT messages handled at once: the connection's Receive Maximum (PUBACKs held meanwhile). */
  readonly maxInFlight: number;
  readonly maxPayloadBytes: number;
  readonly dedupWindowSize: number;
  readonly dedupWindowMs: number;
  readonly anomalyMaxDevices: number;
  /** Session kept by the broker while the adapter is away (messages queue there meanwhile). */
  readonly sessionExpirySeconds: number;
  readonly metricsPort: number;
  readonly metricsHost: string;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** How long stop() lets in-flight messages finish before abandoning them (unacked). */
  readonly drainTimeoutMs: number;
  /**
   * The Kafka client the producer uses: 'platformatic' (@platformatic/kafka, the default) or
   * 'kafkajs', same semantics (kafka/record-producer.ts; measured against each other in
   * bench/optimisations.md).
   */
  readonly kafkaClient: KafkaClientKind;
}

/** Reads and validates the adapter's config (no network). A bad value throws ConfigError. */
export function loadAdapterConfig(env: NodeJS.ProcessEnv = process.env): AdapterConfig {
  const r = new EnvReader(env);
  const connection = loadConnectionConfig(env);
  const ruuviTopicPrefix = r.string(
    'ruuviTopicPrefix',
    'ADAPTER_RUUVI_TOPIC_PREFIX',
    DEFAULT_RUUVI_TOPIC_PREFIX,
  );
  const prefixProblem = ruuviTopicPrefixProblem(ruuviTopicPrefix);
  if (prefixProblem !== null) {
    throw new ConfigError(
      'ruuviTopicPrefix',
      'ADAPTER_RUUVI_TOPIC_PREFIX',
      `'${ruuviTopicPrefix}' ${prefixProblem}`,
    );
  }
  const subscriptions = r.list(
    'subscriptions',
    'ADAPTER_SUBSCRIPTIONS',
    defaultSubscriptions(ruuviTopicPrefix),
  );
  for (const f of subscriptions) {
    if (!validFilter(f))
      throw new ConfigError('subscriptions', 'ADAPTER_SUBSCRIPTIONS', `'${f}' is not an MQTT topic filter`);
  }
  const topicPrefix = r.string('topicPrefix', 'ADAPTER_TOPIC_PREFIX', '');
  if (/[+#]/.test(topicPrefix) || (topicPrefix !== '' && !topicPrefix.endsWith('/'))) {
    throw new ConfigError(
      'topicPrefix',
      'ADAPTER_TOPIC_PREFIX',
      `'${topicPrefix}' must end with '/' and hold no wildcard`,
    );
  }
  // No group by default: one adapter reads with a plain persistent subscription, which Mosquitto
  // keeps across its own restart; a shared subscription it does not (tests/chaos 5a).
  const sharedGroup = r.string('sharedGroup', 'ADAPTER_SHARED_GROUP', '-');
  if (sharedGroup === '-') {
    // '-' is how an env file spells "no group" (an empty value means the default).
  } else if (!/^[A-Za-z0-9_.-]+$/.test(sharedGroup)) {
    throw new ConfigError(
      'sharedGroup',
      'ADAPTER_SHARED_GROUP',
      `'${sharedGroup}' may hold only letters, digits, _ . -`,
    );
  }
  const group = sharedGroup === '-' ? '' : sharedGroup;
  // The connection's Receive Maximum: messages handled at once, each PUBACK held until Kafka
  // acknowledged it. 64: past that the adapter's CPU, not the round trips, is the limit
  // (bench/optimisations.md).
  const maxInFlight = r.int('maxInFlight', 'ADAPTER_MAX_IN_FLIGHT', 64, 1, 65_535);
  const mqttClientId = r.string('mqttClientId', 'ADAPTER_MQTT_CLIENT_ID', 'iotpipe-adapter');
  if (!/^[A-Za-z0-9_.-]{1,60}$/.test(mqttClientId)) {
    throw new ConfigError(
      'mqttClientId',
      'ADAPTER_MQTT_CLIENT_ID',
      `'${mqttClientId}' must be 1-60 letters, digits, _ . -`,
    );
  }
  const backoffInitialMs = r.int('backoffInitialMs', 'ADAPTER_BACKOFF_INITIAL_MS', 200, 1, 60_000);
  const backoffMaxMs = r.int('backoffMaxMs', 'ADAPTER_BACKOFF_MAX_MS', 10_000, 1, 600_000);
  if (backoffMaxMs < backoffInitialMs) {
    throw new ConfigError(
      'backoffMaxMs',
      'ADAPTER_BACKOFF_MAX_MS',
      `${backoffMaxMs} is below ADAPTER_BACKOFF_INITIAL_MS ${backoffInitialMs}`,
    );
  }
  // @platformatic/kafka: more readings/s than kafkajs in every round of the stage benchmarks,
  // nothing lost in chaos 1-3 (bench/optimisations.md, "kafkajs vs @platformatic/kafka").
  const kafkaClient = r.string('kafkaClient', 'ADAPTER_KAFKA_CLIENT', 'platformatic');
  if (!isKafkaClientKind(kafkaClient)) {
    throw new ConfigError(
      'kafkaClient',
      'ADAPTER_KAFKA_CLIENT',
      `'${kafkaClient}' is not one of ${KAFKA_CLIENTS.join(', ')}`,
    );
  }
  return {
    connection,
    mqttClientId,
    subscriptions,
    topicPrefix,
    ruuviTopicPrefix,
    sharedGroup: group,
    maxInFlight,
    maxPayloadBytes: r.int('maxPayloadBytes', 'ADAPTER_MAX_PAYLOAD_BYTES', 256 * 1024, 64, 900 * 1024),
    dedupWindowSize: r.int('dedupWindowSize', 'ADAPTER_DEDUP_WINDOW_SIZE', 100_000, 1, 10_000_000),
    dedupWindowMs: r.int('dedupWindowMs', 'ADAPTER_DEDUP_WINDOW_MS', DEDUP_WINDOW_MS, 1, 24 * 3600 * 1000),
    anomalyMaxDevices: r.int('anomalyMaxDevices', 'ADAPTER_ANOMALY_MAX_DEVICES', 100_000, 1, 10_000_000),
    sessionExpirySeconds: r.int(
      'sessionExpirySeconds',
      'ADAPTER_SESSION_EXPIRY_S',
      7 * 24 * 3600,
      0,
      0xffffffff,
    ),
    metricsPort: r.int('metricsPort', 'ADAPTER_METRICS_PORT', 8002, 0, 65535),
    metricsHost: r.string('metricsHost', 'ADAPTER_METRICS_HOST', '0.0.0.0'),
    backoffInitialMs,
    backoffMaxMs,
    drainTimeoutMs: r.int('drainTimeoutMs', 'ADAPTER_DRAIN_TIMEOUT_MS', 10_000, 0, 600_000),
    kafkaClient,
  };
}

/** The filters actually subscribed: prefix applied, then the shared group. */
export function effectiveFilters(
  c: Pick<AdapterConfig, 'subscriptions' | 'topicPrefix' | 'sharedGroup'>,
): string[] {
  return c.subscriptions.map((f) => {
    const prefixed = `${c.topicPrefix}${f}`;
    return c.sharedGroup === '' ? prefixed : `$share/${c.sharedGroup}/${prefixed}`;
  });
}

function validFilter(f: string): boolean {
  if (f.startsWith('$')) return false;
  const levels = f.split('/');
  return levels.every((l, i) =>
    l.includes('#') ? l === '#' && i === levels.length - 1 : !l.includes('+') || l === '+',
  );
}
