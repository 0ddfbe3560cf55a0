/**
 * Every setting of every stage, declared once: variable, type, default (working with the local
 * stack), validation and a one-line doc. The workloads' config loaders read these groups with
 * readSettings(); the operator writes a stage's environment from them with settingsEnv().
 * Checks that relate two settings live in the stage's loader, next to the values they relate.
 */
import {
  DEFAULT_READINGS_TABLE,
  DEFAULT_RUUVI_TOPIC_PREFIX,
  RUUVI_TOPIC_PREFIX_MAX_BYTES,
  FLAVOR_CHOICES,
  PAYLOAD_FORMATS,
  READINGS_TABLE_PATTERN,
  SIMULATED_TYPES,
  METRICS_PORTS,
} from './constants.js';
import {
  bool,
  duration,
  int,
  json,
  list,
  listOf,
  number,
  oneOf,
  settingProblem,
  string,
  url,
} from './settings.js';

/** How far apart two deliveries of one sequenced reading may be stamped and still be one reading. */
export const DEDUP_WINDOW_MS = 5 * 60 * 1000;

const POSTGRES_DEFAULTS = {
  user: 'iot_user',
  password: 'iot_password',
  database: 'iot_data',
  host: '127.0.0.1',
  port: 5432,
};

/** A file holding a secret, read again at every (re)connection, so a rotated Secret is picked up. */
const secretFile = (env: string, what: string) =>
  string({
    env,
    doc: `file holding the ${what}, read at each connection (a mounted Secret); instead of the variable itself`,
    default: '',
  });

/** A PEM file of the certificates a client trusts; empty: Node's bundled CAs. */
const caFile = (env: string, what: string) =>
  string({
    env,
    doc: `PEM file of the CA certificate(s) that sign ${what}; empty: the system's trusted CAs`,
    default: '',
  });

/** Kafka's security protocols, by Kafka's own names. */
export const KAFKA_SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type KafkaSecurityProtocol = (typeof KAFKA_SECURITY_PROTOCOLS)[number];
/** The SASL mechanisms the stages' Kafka client speaks. */
export const KAFKA_SASL_MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/** How a stage authenticates to Kafka: Strimzi's KafkaUser (SCRAM) and cluster CA Secrets fit. */
export const KAFKA_SECURITY = {
  kafkaSecurityProtocol: oneOf({
    env: 'KAFKA_SECURITY_PROTOCOL',
    doc: 'how the Kafka client connects: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (TLS + SASL)',
    default: 'PLAINTEXT',
    choices: KAFKA_SECURITY_PROTOCOLS,
  }),
  kafkaSaslMechanism: oneOf({
    env: 'KAFKA_SASL_MECHANISM',
    doc: 'SASL mechanism with SASL_SSL or SASL_PLAINTEXT',
    default: 'SCRAM-SHA-512',
    choices: KAFKA_SASL_MECHANISMS,
  }),
  kafkaSaslUsername: string({
    env: 'KAFKA_SASL_USERNAME',
    doc: "the Kafka user (a pipeline's KafkaUser)",
    default: '',
  }),
  kafkaSaslPassword: string({
    env: 'KAFKA_SASL_PASSWORD',
    doc: "the Kafka user's password (or KAFKA_SASL_PASSWORD_FILE)",
    default: '',
  }),
  kafkaSaslPasswordFile: secretFile('KAFKA_SASL_PASSWORD_FILE', "Kafka user's password"),
  kafkaCaFile: caFile('KAFKA_SSL_CA_FILE', "the Kafka brokers' certificates (SSL, SASL_SSL)"),
};

/** How a stage authenticates to the schema registry: HTTP basic, as Confluent clients do. */
export const REGISTRY_SECURITY = {
  schemaRegistryUsername: string({
    env: 'SCHEMA_REGISTRY_USERNAME',
    doc: 'registry user (HTTP basic); empty: no credentials sent',
    default: '',
  }),
  schemaRegistryPassword: string({
    env: 'SCHEMA_REGISTRY_PASSWORD',
    doc: "the registry user's password (or SCHEMA_REGISTRY_PASSWORD_FILE)",
    default: '',
  }),
  schemaRegistryPasswordFile: secretFile('SCHEMA_REGISTRY_PASSWORD_FILE', "registry user's password"),
  schemaRegistryCaFile: caFile('SCHEMA_REGISTRY_CA_FILE', "the registry's certificate (https://)"),
};

/** libpq's sslmode values (verify-full: TLS, the server's certificate and host name checked). */
export const POSTGRES_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type PostgresSslMode = (typeof POSTGRES_SSL_MODES)[number];

/** How a stage authenticates to PostgreSQL beyond the user and password of its URL. */
export const POSTGRES_SECURITY = {
  postgresPasswordFile: secretFile('POSTGRES_PASSWORD_FILE', 'database password'),
  postgresSslMode: oneOf({
    env: 'POSTGRES_SSLMODE',
    doc: "TLS to PostgreSQL, libpq's sslmode: disable, require, verify-ca or verify-full",
    default: 'disable',
    choices: POSTGRES_SSL_MODES,
  }),
  postgresCaFile: caFile('POSTGRES_SSLROOTCERT', "PostgreSQL's certificate (verify-ca, verify-full)"),
};

/** Where the stages find Kafka, the registry, PostgreSQL and Mosquitto, and the topics they share. */
export const CONNECTION = {
  kafkaBrokers: list({
    env: 'KAFKA_BOOTSTRAP_SERVERS',
    doc: 'Kafka bootstrap servers, host:port[,host:port]',
    default: ['127.0.0.1:29092', '127.0.0.1:29093', '127.0.0.1:29094'],
  }),
  schemaRegistryUrl: url({
    env: 'SCHEMA_REGISTRY_URL',
    doc: "the registry's Confluent-compatible API",
    default: 'http://127.0.0.1:8081/apis/ccompat/v7',
    protocols: ['http', 'https'],
  }),
  databaseUrl: url({
    env: 'DATABASE_URL',
    doc: 'postgres://user:password@host:port/db; unset: built from POSTGRES_USER, _PASSWORD, _HOST, _PORT, _DB',
    default: '',
    protocols: ['postgres', 'postgresql'],
  }),
  postgresUser: string({
    env: 'POSTGRES_USER',
    doc: 'database user when DATABASE_URL is unset',
    default: POSTGRES_DEFAULTS.user,
  }),
  postgresPassword: string({
    env: 'POSTGRES_PASSWORD',
    doc: 'database password when DATABASE_URL is unset',
    default: POSTGRES_DEFAULTS.password,
  }),
  postgresDatabase: string({
    env: 'POSTGRES_DB',
    doc: 'database name when DATABASE_URL is unset',
    default: POSTGRES_DEFAULTS.database,
  }),
  postgresHost: string({
    env: 'POSTGRES_HOST',
    doc: 'database host when DATABASE_URL is unset',
    default: POSTGRES_DEFAULTS.host,
  }),
  postgresPort: int({
    env: 'POSTGRES_PORT',
    doc: 'database port when DATABASE_URL is unset',
    default: POSTGRES_DEFAULTS.port,
    min: 1,
    max: 65_535,
  }),
  mqttUrl: url({
    env: 'MQTT_URL',
    doc: 'the MQTT broker',
    default: 'mqtt://127.0.0.1:1883',
    protocols: ['mqtt', 'mqtts', 'tcp', 'ssl', 'ws', 'wss'],
  }),
  mqttUsername: string({ env: 'MQTT_USERNAME', doc: 'MQTT user name', default: 'iotpipe' }),
  mqttPassword: string({
    env: 'MQTT_PASSWORD',
    doc: 'MQTT password (or MQTT_PASSWORD_FILE)',
    default: 'iotpipe',
  }),
  mqttPasswordFile: secretFile('MQTT_PASSWORD_FILE', 'MQTT password'),
  mqttCaFile: caFile('MQTT_CA_FILE', 'the MQTT broker (mqtts://)'),
  ...KAFKA_SECURITY,
  ...REGISTRY_SECURITY,
  ...POSTGRES_SECURITY,
  topic: string({ env: 'KAFKA_TOPIC', doc: "the pipeline's readings topic", default: 'iot-sensor-data' }),
  dlqTopic: string({
    env: 'KAFKA_DLQ_TOPIC',
    doc: "the pipeline's dead-letter topic",
    default: 'iot-sensor-data-dlq',
  }),
  alertsTopic: string({
    env: 'KAFKA_ALERTS_TOPIC',
    doc: 'the topic the processor publishes alerts to',
    default: 'iot-alerts',
  }),
};

/** The database URL the connection settings give: DATABASE_URL, else one built from its parts. */
export function databaseUrlOf(c: {
  readonly databaseUrl: string;
  readonly postgresUser: string;
  readonly postgresPassword: string;
  readonly postgresHost: string;
  readonly postgresPort: number;
  readonly postgresDatabase: string;
}): string {
  if (c.databaseUrl !== '') return c.databaseUrl;
  return `postgres://${c.postgresUser}:${encodeURIComponent(c.postgresPassword)}@${c.postgresHost}:${c.postgresPort}/${c.postgresDatabase}`;
}

/** A '-'-free MQTT topic filter: `+` only as a whole level, `#` only as the whole last level. */
function mqttFilterProblem(f: string): string | undefined {
  const levels = f.split('/');
  const ok =
    !f.startsWith('$') &&
    levels.every((l, i) =>
      l.includes('#') ? l === '#' && i === levels.length - 1 : !l.includes('+') || l === '+',
    );
  return ok ? undefined : `'${f}' is not an MQTT topic filter`;
}

/**
 * Why a prefix cannot be a Ruuvi topic prefix: the gateway firmware's rules (ruuvi_settings.c),
 * and no overlap with the simulator's topics.
 */
export function ruuviTopicPrefixProblem(p: string): string | undefined {
  if (p === '') return 'is empty';
  if (Buffer.byteLength(p) > RUUVI_TOPIC_PREFIX_MAX_BYTES)
    return `is longer than ${RUUVI_TOPIC_PREFIX_MAX_BYTES} bytes`;
  if (/[+#]/.test(p) || p.startsWith('$')) return 'holds a wildcard (+ #) or starts with $';
  if (p.split('/').some((level) => level === ''))
    return 'has an empty topic level (a leading, trailing or double /)';
  if (p === 'iotpipe' || p === 'iotpipe/sim' || p.startsWith('iotpipe/sim/'))
    return "overlaps the simulator's iotpipe/sim topics";
  return undefined;
}

/** The adapter's subscriptions when ADAPTER_SUBSCRIPTIONS is unset, for a Ruuvi topic prefix. */
export function defaultAdapterSubscriptions(ruuviTopicPrefix: string): string[] {
  return [`${ruuviTopicPrefix}/+/+`, 'ruuvitag/data', 'iotpipe/sim/#'];
}

const metricsHost = (env: string) =>
  string({ env, doc: 'address the /metrics, /healthz, /readyz server binds', default: '0.0.0.0' });
const metricsPort = (env: string, port: number) =>
  int({
    env,
    doc: '/metrics, /healthz, /readyz port (0: any free port)',
    default: port,
    min: 0,
    max: 65_535,
  });

export const ADAPTER = {
  subscriptions: list({
    env: 'ADAPTER_SUBSCRIPTIONS',
    doc: 'MQTT topic filters, before the prefix and the shared group are applied; unset: the Ruuvi topics under ADAPTER_RUUVI_TOPIC_PREFIX, ruuvitag/data, iotpipe/sim/#',
    default: defaultAdapterSubscriptions(DEFAULT_RUUVI_TOPIC_PREFIX),
    checkItem: mqttFilterProblem,
  }),
  ruuviTopicPrefix: string({
    env: 'ADAPTER_RUUVI_TOPIC_PREFIX',
    doc: "first level(s) of the Ruuvi Gateway topics <prefix>/<gateway MAC>/<tag MAC>: the gateways' MQTT prefix (the firmware's IOTPIPE_MQTT_TOPIC_PREFIX)",
    default: DEFAULT_RUUVI_TOPIC_PREFIX,
    check: (p) => {
      const why = ruuviTopicPrefixProblem(p);
      return why === undefined ? undefined : `'${p}' ${why}`;
    },
  }),
  topicPrefix: string({
    env: 'ADAPTER_TOPIC_PREFIX',
    doc: 'prepended to every filter and stripped before routing (isolates tests and tenants)',
    default: '',
    check: (p) =>
      /[+#]/.test(p) || !p.endsWith('/') ? `'${p}' must end with '/' and hold no wildcard` : undefined,
  }),
  payloadFormats: listOf({
    env: 'ADAPTER_PAYLOAD_FORMATS',
    doc: 'payload formats accepted; a message of another format is dead-lettered (FORMAT_NOT_ACCEPTED)',
    default: PAYLOAD_FORMATS,
    choices: PAYLOAD_FORMATS,
  }),
  sharedGroup: string({
    env: 'ADAPTER_SHARED_GROUP',
    doc: "shared-subscription group ($share/<group>/<filter>) replicas split the messages in; '-': a plain subscription",
    // No group by default: one adapter reads with a plain persistent subscription, which
    // Mosquitto keeps across its own restart; a shared subscription it does not (tests/chaos 5a).
    default: '-',
    check: (g) =>
      g === '-' || /^[A-Za-z0-9_.-]+$/.test(g) ? undefined : `'${g}' may hold only letters, digits, _ . -`,
  }),
  mqttClientId: string({
    env: 'ADAPTER_MQTT_CLIENT_ID',
    doc: 'MQTT client id; fixed, so the session (subscription and queued messages) persists',
    default: 'iotpipe-adapter',
    check: (id) =>
      /^[A-Za-z0-9_.-]{1,60}$/.test(id) ? undefined : `'${id}' must be 1-60 letters, digits, _ . -`,
  }),
  // 64: past that the adapter's CPU, not the round trips, is the limit (bench/optimisations.md).
  maxInFlight: int({
    env: 'ADAPTER_MAX_IN_FLIGHT',
    doc: "MQTT messages handled at once: the connection's Receive Maximum, each PUBACK held until Kafka acknowledged",
    default: 64,
    min: 1,
    max: 65_535,
  }),
  maxPayloadBytes: int({
    env: 'ADAPTER_MAX_PAYLOAD_BYTES',
    doc: 'larger MQTT payloads are dead-lettered (OVERSIZED)',
    default: 256 * 1024,
    min: 64,
    max: 900 * 1024,
  }),
  dedupWindowSize: int({
    env: 'ADAPTER_DEDUP_WINDOW_SIZE',
    doc: 'reading ids remembered to drop duplicates (several gateways hearing one tag)',
    default: 100_000,
    min: 1,
    max: 10_000_000,
  }),
  dedupWindowMs: int({
    env: 'ADAPTER_DEDUP_WINDOW_MS',
    doc: 'how long a reading id is remembered, ms',
    default: DEDUP_WINDOW_MS,
    min: 1,
    max: 24 * 3600 * 1000,
  }),
  anomalyMaxDevices: int({
    env: 'ADAPTER_ANOMALY_MAX_DEVICES',
    doc: "tags whose history the adapter's range check keeps",
    default: 100_000,
    min: 1,
    max: 10_000_000,
  }),
  sessionExpirySeconds: int({
    env: 'ADAPTER_SESSION_EXPIRY_S',
    doc: 'seconds the broker keeps the session (and queues messages) while the adapter is away',
    default: 7 * 24 * 3600,
    min: 0,
    max: 0xffffffff,
  }),
  backoffInitialMs: int({
    env: 'ADAPTER_BACKOFF_INITIAL_MS',
    doc: 'first wait, ms, before retrying a temporary Kafka or registry failure',
    default: 200,
    min: 1,
    max: 60_000,
  }),
  backoffMaxMs: int({
    env: 'ADAPTER_BACKOFF_MAX_MS',
    doc: 'cap of the retry backoff, ms',
    default: 10_000,
    min: 1,
    max: 600_000,
  }),
  drainTimeoutMs: int({
    env: 'ADAPTER_DRAIN_TIMEOUT_MS',
    doc: 'ms stop() lets in-flight messages finish before abandoning them (unacknowledged)',
    default: 10_000,
    min: 0,
    max: 600_000,
  }),
  // @platformatic/kafka: more readings/s than kafkajs in every round of the stage benchmarks,
  // nothing lost in chaos 1-3 (bench/optimisations.md, "kafkajs vs @platformatic/kafka").
  kafkaClient: oneOf({
    env: 'ADAPTER_KAFKA_CLIENT',
    doc: "the producer's Kafka client",
    default: 'platformatic',
    choices: ['kafkajs', 'platformatic'],
  }),
  metricsPort: metricsPort('ADAPTER_METRICS_PORT', METRICS_PORTS.adapter),
  metricsHost: metricsHost('ADAPTER_METRICS_HOST'),
};

export const SINK = {
  table: string({
    env: 'SINK_TABLE',
    doc: 'the readings table the sink writes; its migrations create it with the views and aggregates named after it',
    default: DEFAULT_READINGS_TABLE,
    check: (t) =>
      new RegExp(READINGS_TABLE_PATTERN).test(t)
        ? undefined
        : `'${t}' is not a lower-case SQL identifier of at most 40 characters`,
  }),
  // 5000, not the original 50: a transaction costs a handful of round trips and a commit (fsync)
  // whatever its size. bench/stages.ts, one run, the same 100k records: 17.9k rows/s at 1000,
  // 34.2k at 5000 (one partition at a time); 30.9k vs 52.7k with 3 partitions at once. A crash
  // replays at most one batch per partition being written.
  batchSize: int({
    env: 'DATA_SINK_BATCH_SIZE',
    doc: 'rows per database transaction (one COPY and one INSERT ... SELECT)',
    default: 5000,
    min: 1,
    max: 50_000,
  }),
  partitionsConcurrently: int({
    env: 'SINK_PARTITIONS_CONCURRENTLY',
    doc: 'partitions written at once, each in its own transaction on its own connection',
    default: 3,
    min: 1,
    max: 32,
  }),
  commitIntervalMs: duration({
    env: 'DATA_SINK_COMMIT_INTERVAL',
    doc: 'seconds a record waits at most for its batch under light traffic (the longest fetch wait)',
    unit: 's',
    default: 5,
    min: 0.01,
    max: 25,
  }),
  fetchMinBytes: int({
    env: 'SINK_FETCH_MIN_BYTES',
    doc: 'bytes a fetch waits for (up to the commit interval); 1: write whatever arrived',
    default: 1,
    min: 1,
    max: 50_000_000,
  }),
  groupId: string({ env: 'SINK_GROUP_ID', doc: "the sink's consumer group", default: 'iotpipe-sink' }),
  clientId: string({ env: 'SINK_CLIENT_ID', doc: "the sink's Kafka client id", default: 'iotpipe-sink' }),
  sessionTimeoutMs: int({
    env: 'SINK_SESSION_TIMEOUT_MS',
    doc: 'ms the group waits for a silent member (a killed sink) before reassigning its partitions',
    default: 30_000,
    min: 6_000,
    max: 300_000,
  }),
  schemaFlavor: oneOf({
    env: 'POSTGRES_FLAVOR',
    doc: 'schema flavour the migrations create: timescale, native, or auto (TimescaleDB where it is installed; a server with it installed but not preloaded is refused, naming the fix)',
    default: 'auto',
    choices: FLAVOR_CHOICES,
  }),
  archiveAfterDays: int({
    env: 'POSTGRES_ARCHIVE_AFTER_DAYS',
    doc: 'days after which readings move to the archive table',
    default: 30,
    min: 1,
    max: 36_500,
  }),
  retentionDays: int({
    env: 'POSTGRES_RETENTION_DAYS',
    doc: 'days after which readings are deleted (from the archive too)',
    default: 90,
    min: 1,
    max: 36_500,
  }),
  maintenanceIntervalMs: duration({
    env: 'SINK_MAINTENANCE_INTERVAL',
    doc: 'seconds between maintenance runs (partitions ahead, aggregates, archive, retention)',
    unit: 's',
    default: 300,
    min: 1,
    max: 86_400,
  }),
  partitionsAheadDays: int({
    env: 'SINK_PARTITIONS_AHEAD_DAYS',
    doc: 'daily partitions created ahead (native flavour)',
    default: 3,
    min: 0,
    max: 366,
  }),
  retryMaxBackoffMs: int({
    env: 'SINK_RETRY_MAX_BACKOFF_MS',
    doc: 'cap, ms, of the backoff while the database, registry or DLQ is unavailable',
    default: 10_000,
    min: 100,
    max: 600_000,
  }),
  writeTimeoutMs: duration({
    env: 'SINK_WRITE_TIMEOUT',
    doc: 'seconds after which a database write is abandoned as a lost connection and retried',
    unit: 's',
    default: 30,
    min: 1,
    max: 3600,
  }),
  fromBeginning: bool({
    env: 'SINK_FROM_BEGINNING',
    doc: 'read from the beginning when the group has no committed offset (no reading left behind)',
    default: true,
  }),
  metricsPort: metricsPort('SINK_METRICS_PORT', METRICS_PORTS.sink),
  metricsHost: metricsHost('SINK_METRICS_HOST'),
};

const roleName = (r: string) =>
  /^[a-z_][a-z0-9_]{0,62}$/.test(r) ? undefined : `'${r}' is not a lower-case SQL role name`;

/**
 * The group roles `iotpipe db migrate` (run as the database's owner) grants to; the platform
 * creates them and makes the login roles members: the sink's of the writer, the query CLI's and
 * Grafana's of the reader. The owner keeps every other right, TimescaleDB's jobs run as it.
 */
export const DATABASE_ROLES = {
  writerRole: string({
    env: 'POSTGRES_WRITER_ROLE',
    doc: 'role granted INSERT and SELECT on the readings tables (the sink logs in as a member)',
    default: 'iotpipe_writer',
    check: roleName,
  }),
  readerRole: string({
    env: 'POSTGRES_READER_ROLE',
    doc: 'role granted SELECT on the tables and views (iotpipe query, Grafana log in as members)',
    default: 'iotpipe_reader',
    check: roleName,
  }),
};

/** A fixed alert band of one measurement (the CRD's processor.thresholds entries). */
export interface Threshold {
  readonly min?: number;
  readonly max?: number;
}
export type Thresholds = Readonly<Record<string, Threshold>>;

/** PROCESSOR_THRESHOLDS' JSON as thresholds; a bad shape is a SettingProblem. Pure. */
export function decodeThresholds(value: unknown): Thresholds {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return settingProblem('must be a JSON object of measurement: {min, max}');
  const out: Record<string, Threshold> = {};
  for (const [measurement, band] of Object.entries(value)) {
    if (typeof band !== 'object' || band === null || Array.isArray(band))
      return settingProblem(`${measurement}: must be an object with min and/or max`);
    const { min, max, ...rest } = band as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) return settingProblem(`${measurement}: unknown key ${extra.join(', ')}`);
    for (const [k, v] of [
      ['min', min],
      ['max', max],
    ] as const) {
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v)))
        return settingProblem(`${measurement}.${k}: must be a number`);
    }
    if (min === undefined && max === undefined) return settingProblem(`${measurement}: needs min or max`);
    if (typeof min === 'number' && typeof max === 'number' && min >= max)
      return settingProblem(`${measurement}: min must be less than max`);
    out[measurement] = {
      ...(typeof min === 'number' ? { min } : {}),
      ...(typeof max === 'number' ? { max } : {}),
    };
  }
  return out;
}

/** The processor's rules (the pure engine's knobs). */
export const PROCESSOR_RULES = {
  zScoreThreshold: number({
    env: 'PROCESSOR_ZSCORE_THRESHOLD',
    doc: "|z| at or above which a reading is an outlier against its device's own history",
    default: 4,
    min: 0.5,
    max: 1000,
  }),
  minSamples: int({
    env: 'PROCESSOR_MIN_SAMPLES',
    doc: 'readings a device must have sent before its z-score is judged',
    default: 30,
    min: 2,
    max: 1_000_000,
  }),
  window: int({
    env: 'PROCESSOR_WINDOW',
    doc: 'EWMA window in readings (alpha = 2 / (window + 1))',
    default: 100,
    min: 2,
    max: 1_000_000,
  }),
  minStdDev: number({
    env: 'PROCESSOR_MIN_STDDEV',
    doc: 'floor of the standard deviation, so a flat history does not make every change infinite',
    default: 1e-3,
    min: 0,
    max: 1e12,
  }),
  silenceAfterMs: duration({
    env: 'PROCESSOR_SILENCE_AFTER_SECONDS',
    doc: 'seconds without a reading after which a device is silent',
    unit: 's',
    default: 300,
    min: 1,
    max: 7 * 24 * 3600,
  }),
  startupGraceMs: duration({
    env: 'PROCESSOR_STARTUP_GRACE_SECONDS',
    doc: "seconds after start (or a partition's assignment) without silence alerts",
    unit: 's',
    default: 300,
    min: 0,
    max: 7 * 24 * 3600,
  }),
  cooldownMs: duration({
    env: 'PROCESSOR_ALERT_COOLDOWN_SECONDS',
    doc: 'seconds in which one device and alert type alert once; the rest are counted',
    unit: 's',
    default: 600,
    min: 0,
    max: 7 * 24 * 3600,
  }),
  batteryLowVolts: number({
    env: 'PROCESSOR_BATTERY_LOW_VOLTS',
    doc: 'battery below this many volts is low (RuuviTags)',
    default: 2.5,
    min: 0,
    max: 10,
  }),
  batteryLowPercent: number({
    env: 'PROCESSOR_BATTERY_LOW_PERCENT',
    doc: 'battery below this percentage is low (simulated sensors)',
    default: 20,
    min: 0,
    max: 100,
  }),
  forgetAfterMs: duration({
    env: 'PROCESSOR_FORGET_AFTER_MINUTES',
    doc: 'minutes after which a device not seen is forgotten',
    unit: 'min',
    default: 24 * 60,
    min: 1,
    max: 365 * 24 * 60,
  }),
  maxDevices: int({
    env: 'PROCESSOR_MAX_DEVICES',
    doc: 'devices remembered at most',
    default: 100_000,
    min: 1,
    max: 10_000_000,
  }),
  thresholds: json<Thresholds>({
    env: 'PROCESSOR_THRESHOLDS',
    doc: 'fixed alert bands by measurement, JSON {"temperature": {"min": -10, "max": 40}}; outside one: a threshold alert',
    default: {},
    decode: decodeThresholds,
  }),
};

export const PROCESSOR = {
  groupId: string({
    env: 'PROCESSOR_GROUP_ID',
    doc: "the processor's consumer group",
    default: 'iotpipe-processor',
  }),
  clientId: string({
    env: 'PROCESSOR_CLIENT_ID',
    doc: "the processor's Kafka client id",
    default: 'iotpipe-processor',
  }),
  sweepIntervalMs: int({
    env: 'PROCESSOR_SWEEP_INTERVAL_MS',
    doc: 'ms between silence sweeps and gauge refreshes',
    default: 5000,
    min: 100,
    max: 3_600_000,
  }),
  fetchStaleAfterMs: int({
    env: 'PROCESSOR_FETCH_STALE_AFTER_MS',
    doc: 'ms since the last fetch after which silence is not judged (the consumer, not the devices, is stuck)',
    default: 30_000,
    min: 1000,
    max: 3_600_000,
  }),
  maxBytesPerPartition: int({
    env: 'PROCESSOR_MAX_BYTES_PER_PARTITION',
    doc: 'upper bound of one fetch per partition: bounds the records (and their alerts) in flight',
    default: 1_048_576,
    min: 1024,
    max: 64 * 1_048_576,
  }),
  retryMaxBackoffMs: int({
    env: 'PROCESSOR_RETRY_MAX_BACKOFF_MS',
    doc: 'cap, ms, of the backoff while alerts cannot be published',
    default: 30_000,
    min: 100,
    max: 600_000,
  }),
  fromBeginning: bool({
    env: 'PROCESSOR_FROM_BEGINNING',
    doc: 'read the topic from the beginning when the group has no committed offset',
    default: false,
  }),
  metricsPort: metricsPort('PROCESSOR_METRICS_PORT', METRICS_PORTS.processor),
  metricsHost: metricsHost('PROCESSOR_METRICS_HOST'),
};

const MAX_SIM_BATCH = 1000; // the adapter's limit for one iotpipe/sim message

const topicPrefixProblem = (p: string) =>
  /[#+]/.test(p) || p.replace(/\/+$/, '') === ''
    ? `'${p}' is not an MQTT topic prefix (no wildcards, not empty)`
    : undefined;

/**
 * The simulator's settings. Those whose default is drawn at start (seed, start time, client id)
 * default to '' here and are drawn by the loader.
 */
export const SIMULATOR = {
  numDevices: int({
    env: 'IOT_NUM_DEVICES',
    doc: 'generic simulated devices',
    default: 8,
    min: 0,
    max: 1_000_000,
  }),
  intervalSec: number({
    env: 'IOT_DATA_INTERVAL_SEC',
    doc: 'seconds between two readings of one device',
    default: 1,
    min: 0.001,
    max: 86_400,
  }),
  deviceTypes: listOf({
    env: 'IOT_DEVICE_TYPES',
    doc: 'measurements of the generic devices, assigned round-robin',
    default: SIMULATED_TYPES,
    choices: SIMULATED_TYPES,
  }),
  anomalyProbability: number({
    env: 'IOT_ANOMALY_PROBABILITY',
    doc: 'chance per reading that an anomaly (spike, stuck value or dropout) starts',
    default: 0.05,
    min: 0,
    max: 1,
  }),
  ruuviTags: int({
    env: 'SIM_RUUVI_TAGS',
    doc: 'virtual RuuviTags heard by virtual gateways',
    default: 2,
    min: 0,
    max: 100_000,
  }),
  ruuviFormats: listOf({
    env: 'SIM_RUUVI_FORMATS',
    doc: 'Ruuvi data formats the virtual tags use, round-robin',
    default: ['5'],
    choices: ['5', '3'],
  }),
  gateways: int({ env: 'SIM_GATEWAYS', doc: 'virtual Ruuvi gateways', default: 1, min: 1, max: 1000 }),
  duplicateGatewayShare: number({
    env: 'SIM_DUPLICATE_GATEWAYS',
    doc: 'share of Ruuvi packets a second gateway hears too (needs SIM_GATEWAYS >= 2)',
    default: 0,
    min: 0,
    max: 1,
  }),
  gatewayTime: bool({
    env: 'SIM_GATEWAY_TIME',
    doc: 'virtual gateways send a time (a synced clock); without it the adapter stamps receive time',
    default: true,
  }),
  rate: number({
    env: 'SIM_RATE',
    doc: 'readings per second; 0: real time',
    default: 0,
    min: 0,
    max: 10_000_000,
  }),
  durationSec: number({
    env: 'SIM_DURATION_SEC',
    doc: 'seconds to run; 0: until stopped',
    default: 0,
    min: 0,
    max: 365 * 86_400,
  }),
  count: int({
    env: 'SIM_COUNT',
    doc: "readings to send; 0: no limit (a Ruuvi packet's readings are never split)",
    default: 0,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
  }),
  seed: string({
    env: 'SIM_SEED',
    doc: 'seed of the generator, 0..2^32-1; unset: random',
    default: '',
    check: (s) =>
      /^\d+$/.test(s) && Number(s) <= 2 ** 32 - 1 ? undefined : `'${s}' is not an integer in 0..4294967295`,
  }),
  start: string({
    env: 'SIM_START',
    doc: 'simulated time of the first round, ISO 8601 or epoch ms; unset: now',
    default: '',
    check: (s) =>
      Number.isFinite(/^\d+$/.test(s) ? Number(s) : Date.parse(s))
        ? undefined
        : `'${s}' is not an ISO 8601 time or epoch ms`,
  }),
  output: oneOf({
    env: 'SIM_OUTPUT',
    doc: 'where readings go: mqtt, or kafka directly',
    default: 'mqtt',
    choices: ['mqtt', 'kafka'],
  }),
  mqttTopicPrefix: string({
    env: 'SIM_MQTT_TOPIC_PREFIX',
    doc: 'MQTT topic prefix of the generic devices',
    default: 'iotpipe/sim',
    check: topicPrefixProblem,
  }),
  ruuviTopicPrefix: string({
    env: 'SIM_RUUVI_TOPIC_PREFIX',
    doc: 'MQTT topic prefix of the virtual Ruuvi gateways',
    default: DEFAULT_RUUVI_TOPIC_PREFIX,
    check: topicPrefixProblem,
  }),
  mqttClientId: string({
    env: 'SIM_MQTT_CLIENT_ID',
    doc: 'MQTT client id; unset: a random one',
    default: '',
  }),
  batchSize: int({
    env: 'SIM_BATCH_SIZE',
    doc: 'generic readings per MQTT message (a JSON array when > 1) or per Kafka batch',
    default: 100,
    min: 1,
    max: MAX_SIM_BATCH,
  }),
  connections: int({
    env: 'SIM_CONNECTIONS',
    doc: 'parallel MQTT connections or Kafka producers',
    default: 1,
    min: 1,
    max: 64,
  }),
  maxInFlight: int({
    env: 'SIM_MAX_IN_FLIGHT',
    doc: 'messages (MQTT) or batches (Kafka) awaiting acknowledgement before generation pauses',
    default: 64,
    min: 1,
    max: 100_000,
  }),
  manifestPath: string({
    env: 'SIM_MANIFEST',
    doc: 'file the run manifest (what was sent) is written to',
    default: '',
  }),
  manifestReadingsPath: string({
    env: 'SIM_MANIFEST_READINGS',
    doc: 'file every reading sent is written to (JSON lines)',
    default: '',
  }),
  shard: string({
    env: 'SIM_SHARD',
    doc: 'INDEX/COUNT: this process generates one shard of the devices',
    default: '0/1',
    check: (s) => {
      const m = /^(\d+)\/(\d+)$/.exec(s);
      return m && Number(m[2]) >= 1 && Number(m[1]) < Number(m[2])
        ? undefined
        : `'${s}' is not INDEX/COUNT with 0 <= INDEX < COUNT`;
    },
  }),
};

/** The levels of the structured logs, lowest first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What every process reads besides its own settings (the stages and the operator). */
export const RUNTIME = {
  logLevel: oneOf({
    env: 'LOG_LEVEL',
    doc: 'lowest level of the JSON log lines written to stderr: debug, info, warn or error',
    default: 'info',
    choices: LOG_LEVELS,
  }),
};

/**
 * The Mosquitto exporter (`iotpipe mosquitto-exporter`): reads the broker's $SYS topics and serves
 * them as Prometheus metrics; the Mosquitto chart runs it beside the broker.
 */
export const MOSQUITTO_EXPORTER = {
  brokerUrl: url({
    env: 'MOSQUITTO_EXPORTER_BROKER_URL',
    doc: 'the broker whose $SYS topics are read (mqtt:// or mqtts://)',
    default: 'mqtt://127.0.0.1:1883',
    protocols: ['mqtt', 'mqtts'],
  }),
  username: string({ env: 'MOSQUITTO_EXPORTER_USERNAME', doc: 'MQTT user name (empty: none)', default: '' }),
  password: string({ env: 'MOSQUITTO_EXPORTER_PASSWORD', doc: 'MQTT password (empty: none)', default: '' }),
  host: metricsHost('MOSQUITTO_EXPORTER_HOST'),
  port: int({
    env: 'MOSQUITTO_EXPORTER_PORT',
    doc: 'port /metrics, /healthz and /readyz listen on',
    default: 9234,
    min: 1,
    max: 65535,
  }),
};
