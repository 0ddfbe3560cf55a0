/**
 * Facts the operator, the workloads and cdk8s share, declared once.
 */

/** The workload stages the operator runs (one image, one CLI subcommand each). */
export const STAGES = ['adapter', 'sink', 'processor', 'simulator'] as const;
export type Stage = (typeof STAGES)[number];

/** Each serving stage's /metrics, /healthz, /readyz port (DESIGN.md: 8001 processor, 8002 adapter, 8003 sink). */
export const METRICS_PORTS = {
  processor: 8001,
  adapter: 8002,
  sink: 8003,
} as const satisfies Record<Exclude<Stage, 'simulator'>, number>;

/** The operator's /metrics, /healthz, /readyz port. */
export const OPERATOR_METRICS_PORT = 8080;

/** The workloads CLI inside the image (`iotpipe` is the same file on PATH) and each stage's subcommand. */
export const WORKLOADS_CLI = ['node', 'workloads/dist/cli.js'] as const;
export const STAGE_COMMANDS = {
  adapter: 'adapter',
  sink: 'sink',
  processor: 'process',
  simulator: 'simulate',
} as const satisfies Record<Stage, string>;

/** The MQTT payload formats the adapter reads, by the names the IoTPipeline CRD uses. */
export const PAYLOAD_FORMATS = ['simulator', 'ruuvi-gateway', 'esp32'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

/**
 * First level(s) of the Ruuvi Gateway topics `<prefix>/<gateway MAC>/<tag MAC>` and
 * `<prefix>/<gateway MAC>/gw_status`: the official Ruuvi Gateway's "MQTT prefix", our gateway
 * firmware's IOTPIPE_MQTT_TOPIC_PREFIX (its Kconfig default is tested against this), the
 * adapter's ADAPTER_RUUVI_TOPIC_PREFIX and the simulator's SIM_RUUVI_TOPIC_PREFIX.
 */
export const DEFAULT_RUUVI_TOPIC_PREFIX = 'ruuvi';
/** The firmware's RUUVI_TOPIC_PREFIX_MAX (ruuvi_gateway.h): its topics must fit its buffers. */
export const RUUVI_TOPIC_PREFIX_MAX_BYTES = 64;

/** The schema flavours the sink's migrations create (TimescaleDB, or native partitioning). */
export const SCHEMA_FLAVORS = ['timescale', 'native'] as const;
export type SchemaFlavor = (typeof SCHEMA_FLAVORS)[number];
/** POSTGRES_FLAVOR: a flavour, or `auto` (TimescaleDB when the server can load it). */
export const FLAVOR_CHOICES = ['auto', ...SCHEMA_FLAVORS] as const;
export type FlavorChoice = (typeof FLAVOR_CHOICES)[number];

/** The readings table the sink writes unless told otherwise, and what a table name may be. */
export const DEFAULT_READINGS_TABLE = 'sensor_readings';
/**
 * A lower-case SQL identifier, short enough that the derived names (`<table>_hourly`,
 * `<table>_archive`, `<table>_p20260101` ...) stay under PostgreSQL's 63 bytes.
 */
export const READINGS_TABLE_PATTERN = '^[a-z_][a-z0-9_]{0,39}$';

/** The measurements the simulator generates (IOT_DEVICE_TYPES, the CRD's simulator.deviceTypes). */
export const SIMULATED_TYPES = ['temperature', 'humidity', 'pressure', 'motion', 'light'] as const;

/** Env var holding the pod name (downward API); later values refer to it as $(POD_NAME). */
export const POD_NAME_ENV = 'POD_NAME';
export type SimulatedType = (typeof SIMULATED_TYPES)[number];

/**
 * The client port of a Strimzi cluster's listener (TLS, SCRAM-SHA-512; cdk8s KafkaChart), so
 * the operator's default bootstrap `<cluster>-kafka-bootstrap:<port>`.
 */
export const STRIMZI_CLIENT_PORT = 9093;

/**
 * How long one of our Node.js processes (a stage, the Mosquitto exporter, the operator) may take
 * to answer /healthz after its container starts, before its liveness probe counts: 2 s x 90 = 3
 * minutes. Loading the CLI costs about 1.3 s of CPU; on a busy node, under a CPU limit of 100m or
 * with few CPU shares, that took minutes, and a liveness probe alone killed the pods over and over
 * before they listened (seen on the local node: the stages 5 times in 10 minutes).
 */
export const NODE_PROCESS_STARTUP = { periodSeconds: 2, failureThreshold: 90 } as const;
