import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { alterUserScramCredentialsV0, Connection } from '@platformatic/kafka';
import kafkajs, { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import type { StackConfig } from '../config.js';
import { StackError } from '../errors.js';
import { artifactPaths } from '../fetch.js';
import { findJava } from '../java.js';
import { portIsFree, run } from '../proc.js';
import { ensurePassword, ensureServerCert, passwordFile, readPassword, stackCa } from '../security/index.js';
import type { Program, ProbeResult, Service, StackContext } from '../service.js';

/**
 * The local Kafka's SCRAM-SHA-512 accounts (passwords from ensurePassword, in the state dir).
 * The broker and admin accounts are super users, written into the metadata when the storage is
 * formatted (the brokers authenticate to each other with the broker account before any user
 * could be created through the API); the stages' accounts are made at every `stack up` through
 * the Admin API with ACLs for exactly what each stage does (pipelineAcls).
 * See kafka-accounts.md: never delete a SCRAM user, overwrite its password instead.
 */
export const KAFKA_ACCOUNTS = {
  /** Inter-broker replication and metadata (super user). */
  broker: 'kafka-broker',
  /** `stack up` (topics, accounts, ACLs), the probes, the tools (bench, simulator) and the tests' own clients (super user). */
  admin: 'kafka-admin',
  adapter: 'kafka-adapter',
  sink: 'kafka-sink',
  processor: 'kafka-processor',
} as const;
export type KafkaStageAccount = 'adapter' | 'sink' | 'processor';

/**
 * The controller listener authenticates with SASL/PLAIN over TLS (KRaft controllers cannot use
 * SCRAM: its credentials live in the metadata the controllers serve). One identity for the three
 * nodes, a super user; its password only in the nodes' server.properties (0600).
 */
const CONTROLLER_ACCOUNT = 'kafka-controller';
const CONTROLLER_PRINCIPAL = 'controller';

// kafkajs is CommonJS: Node's ESM loader does not see these as named exports.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** Marks a storage formatted with the SCRAM accounts; one formatted before security has none. */
const SECURED_MARK = 'iotpipe-secured';

/** Every address a client reaches the local brokers at: their certificate names them all. */
export function kafkaHosts(c: StackConfig): string[] {
  return [...new Set([c.host, '127.0.0.1', 'localhost'])];
}

/**
 * A kafkajs client configuration that authenticates as `account` (SASL_SSL, SCRAM-SHA-512,
 * trusting the stack CA): the stack's own clients and the tests' clients.
 */
export function stackKafkaConfig(c: StackConfig, account: string): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const file = passwordFile(c, account);
  return {
    ssl: { ca: [readFileSync(stackCa(c).caCert, 'utf8')] },
    sasl: {
      mechanism: 'scram-sha-512',
      username: account,
      // Read at each authentication (kafkajs reads the field then): a rotated password is used.
      get password() {
        return readFileSync(file, 'utf8').trim();
      },
    },
  };
}

/**
 * The contract's KAFKA_SECURITY settings (contract/src/stages.ts) for a process that
 * authenticates as `account`: what the stack gives its stages, and tests and tools theirs.
 */
export function kafkaClientEnv(c: StackConfig, account: string): Record<string, string> {
  return {
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: account,
    KAFKA_SASL_PASSWORD_FILE: passwordFile(c, account),
    KAFKA_SSL_CA_FILE: stackCa(c).caCert,
  };
}

/** The shared topics every pipeline on the local stack uses (the operator makes per-pipeline ones). */
export const STACK_TOPICS = [
  { topic: 'iot-sensor-data', numPartitions: 6 },
  { topic: 'iot-sensor-data-dlq', numPartitions: 3 },
  { topic: 'iot-alerts', numPartitions: 3 },
] as const;

/**
 * Kafka prints its metrics through JMX; the Prometheus JMX exporter agent turns them into the
 * names the original README's dashboards and alerts use. The one definition: the local stack
 * writes it for its agent, cdk8s puts it into the ConfigMap of Strimzi's metricsConfig.
 */
export const JMX_EXPORTER_RULES = `lowercaseOutputName: true
lowercaseOutputLabelNames: true
rules:
  - pattern: 'kafka.server<type=BrokerTopicMetrics, name=MessagesInPerSec, topic=(.+)><>Count'
    name: kafka_server_brokertopicmetrics_messagesin_total
    type: COUNTER
    labels: { topic: "$1" }
  - pattern: 'kafka.server<type=BrokerTopicMetrics, name=MessagesInPerSec><>Count'
    name: kafka_server_brokertopicmetrics_messagesin_total
    type: COUNTER
  - pattern: 'kafka.server<type=BrokerTopicMetrics, name=(BytesIn|BytesOut)PerSec(?:, topic=(.+))?><>Count'
    name: kafka_server_brokertopicmetrics_$1_total
    type: COUNTER
    labels: { topic: "$2" }
  - pattern: 'kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value'
    name: kafka_server_replica_manager_under_replicated_partitions
    type: GAUGE
  - pattern: 'kafka.server<type=ReplicaManager, name=(\\w+)><>Value'
    name: kafka_server_replica_manager_$1
    type: GAUGE
  - pattern: 'kafka.network<type=RequestMetrics, name=RequestsPerSec, request=(\\w+), version=(\\d+)><>Count'
    name: kafka_network_requests_total
    type: COUNTER
    labels: { request: "$1", version: "$2" }
  - pattern: 'kafka.controller<type=KafkaController, name=(\\w+)><>Value'
    name: kafka_controller_kafkacontroller_$1
    type: GAUGE
  - pattern: 'kafka.server<type=raft-metrics><>(current-leader|current-state|high-watermark)'
    name: kafka_server_raft_metrics_$1
    type: GAUGE
  - pattern: 'kafka.log<type=Log, name=Size, topic=(.+), partition=(\\d+)><>Value'
    name: kafka_log_log_size
    type: GAUGE
    labels: { topic: "$1", partition: "$2" }
  - pattern: 'kafka.cluster<type=Partition, name=(\\w+), topic=(.+), partition=(\\d+)><>Value'
    name: kafka_cluster_partition_$1
    type: GAUGE
    labels: { topic: "$2", partition: "$3" }
  # Catch-alls only for beans without further keys: a topic or partition in the bean name
  # must become a label, never part of the metric name (one series name per partition).
  - pattern: 'kafka.(\\w+)<type=([^,]+), name=([^,]+)PerSec\\w*><>Count'
    name: kafka_$1_$2_$3_total
    type: COUNTER
  - pattern: 'kafka.(\\w+)<type=([^,]+), name=([^,]+)><>Value'
    name: kafka_$1_$2_$3
    type: GAUGE
`;

const LOG4J2 = `# generated by \`make stack-up\`
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = STDOUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
logger.broker.name = kafka.server.BrokerServer
logger.broker.level = INFO
# Every refused operation: "Principal = User:kafka-sink is Denied operation = WRITE ... on resource = Topic:LITERAL:..."
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = INFO
# Every refused connection: "Failed authentication with /127.0.0.1 (... invalid credentials ...)"
# or "(SSL handshake failed)" for a client without TLS.
logger.selector.name = org.apache.kafka.common.network.Selector
logger.selector.level = INFO
`;

/** One of the three KRaft nodes (broker + controller); all share one cluster id, created once. */
export class KafkaBrokerService implements Service {
  readonly name: string;
  readonly stage = 1;
  readonly startTimeoutMs = 120_000;
  readonly dir: string;
  private java = 'java';

  constructor(
    private readonly c: StackConfig,
    readonly nodeId: number,
  ) {
    this.name = `kafka-${nodeId}`;
    this.dir = join(c.stateDir, 'kafka', this.name);
  }

  get port(): number {
    return this.c.kafka.ports[this.nodeId - 1]!;
  }

  ports() {
    const i = this.nodeId - 1;
    return [
      { port: this.c.kafka.ports[i]!, what: `${this.name} client listener` },
      { port: this.c.kafka.controllerPorts[i]!, what: `${this.name} controller listener` },
      { port: this.c.kafka.jmxPorts[i]!, what: `${this.name} JMX exporter` },
    ];
  }

  requires() {
    return [];
  }

  programs(): Program[] {
    const a = artifactPaths(this.c);
    const i = this.nodeId - 1;
    return [
      {
        name: this.name,
        command: [
          this.java,
          `-Xms${this.c.kafka.heap}`,
          `-Xmx${this.c.kafka.heap}`,
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          '-Djava.awt.headless=true',
          `-Dlog4j2.configurationFile=${join(this.dir, 'log4j2.properties')}`,
          `-javaagent:${a.jmxAgent}=${this.c.host}:${this.c.kafka.jmxPorts[i]}:${join(this.dir, 'jmx-exporter.yaml')}`,
          '-cp',
          `${a.kafkaLibs}/*`,
          'kafka.Kafka',
          join(this.dir, 'server.properties'),
        ],
        stopWaitSecs: 60,
      },
    ];
  }

  serverProperties(security: KafkaNodeSecurity): string {
    const h = this.c.host;
    const i = this.nodeId - 1;
    const voters = this.c.kafka.controllerPorts.map((p, n) => `${n + 1}@${h}:${p}`).join(',');
    return [
      '# generated by `make stack-up`',
      `node.id=${this.nodeId}`,
      'process.roles=broker,controller',
      `listeners=CLIENT://${h}:${this.c.kafka.ports[i]},CONTROLLER://${h}:${this.c.kafka.controllerPorts[i]}`,
      `advertised.listeners=CLIENT://${h}:${this.c.kafka.ports[i]}`,
      ...kafkaSecurityProperties(security),
      `controller.quorum.voters=${voters}`,
      `log.dirs=${join(this.dir, 'data')}`,
      'num.partitions=6',
      'default.replication.factor=3',
      'min.insync.replicas=2',
      'offsets.topic.replication.factor=3',
      'transaction.state.log.replication.factor=3',
      'transaction.state.log.min.isr=2',
      'auto.create.topics.enable=false',
      'group.initial.rebalance.delay.ms=0',
      'unclean.leader.election.enable=false',
      'log.retention.hours=168',
      'log.segment.bytes=134217728',
      'num.network.threads=3',
      'num.io.threads=4',
      '',
    ].join('\n');
  }

  async prepare(ctx: StackContext): Promise<void> {
    this.java = await findJava(17, this.c.cacheDir, 'IOTPIPE_KAFKA_JAVA');
    await mkdir(join(this.dir, 'data'), { recursive: true });
    const security = await ensureKafkaNodeSecurity(this.c, this.dir, 'kafka', kafkaHosts(this.c));
    // The file holds the broker and controller passwords: only this user reads it.
    await writeFile(join(this.dir, 'server.properties'), this.serverProperties(security), { mode: 0o600 });
    await writeFile(join(this.dir, 'log4j2.properties'), LOG4J2);
    await writeFile(
      join(this.dir, 'jmx-exporter.yaml'),
      `# generated by \`make stack-up\`\n${JMX_EXPORTER_RULES}`,
    );
    const data = join(this.dir, 'data');
    if (existsSync(join(data, 'meta.properties'))) {
      if (existsSync(join(data, SECURED_MARK))) return;
      // Formatted before the stack's Kafka had accounts: its metadata holds no SCRAM users, so
      // the brokers could never log in to each other. A stopped node is formatted again (the
      // local stack's topics and offsets go; `stack up` makes the stack's topics again).
      if (!(await portIsFree(this.c.host, this.port)))
        throw new StackError(
          `${this.name} runs on storage formatted before the stack's Kafka had accounts`,
          'stop the stack (`make stack-down`), then `make stack-up` formats it again with the accounts',
        );
      ctx.log(
        `${this.name}: storage formatted before Kafka had accounts: formatting it again (topics and offsets are dropped)`,
      );
      await rm(data, { recursive: true, force: true });
      await mkdir(data, { recursive: true });
    }
    const clusterId = await ensureClusterId(this.c);
    ctx.log(`${this.name}: formatting storage for cluster ${clusterId} (once)`);
    const res = await run(this.java, [
      `-Dlog4j2.configurationFile=${join(this.dir, 'log4j2.properties')}`,
      '-cp',
      `${artifactPaths(this.c).kafkaLibs}/*`,
      'kafka.tools.StorageTool',
      'format',
      // One argument, so an id that starts with '-' (1 in 64 of them) is not read as an option.
      `--cluster-id=${clusterId}`,
      '-c',
      join(this.dir, 'server.properties'),
      ...(await scramFormatArgs(this.c)),
    ]);
    if (res.code !== 0) {
      throw new StackError(
        `formatting ${this.name} storage failed: ${(res.stderr || res.stdout).trim().split('\n').pop()}`,
        `remove ${join(this.dir, 'data')} and retry`,
      );
    }
    await writeFile(join(data, SECURED_MARK), 'SCRAM-SHA-512 accounts kafka-broker, kafka-admin\n');
  }

  async probe(): Promise<ProbeResult> {
    let security: Pick<KafkaConfig, 'ssl' | 'sasl'>;
    try {
      security = stackKafkaConfig(this.c, KAFKA_ACCOUNTS.admin);
    } catch (err) {
      return { ok: false, detail: `no stack credentials yet: ${(err as Error).message}` };
    }
    const kafka = new Kafka({
      clientId: 'iotpipe-stack-probe',
      brokers: [`${this.c.host}:${this.port}`],
      ...security,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      requestTimeout: 3000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      const me = cluster.brokers.find((b) => b.nodeId === this.nodeId);
      if (!me) return { ok: false, detail: `metadata from :${this.port} does not list node ${this.nodeId}` };
      return {
        ok: true,
        detail: `metadata ok: ${cluster.brokers.length} brokers, controller ${cluster.controller}, cluster ${cluster.clusterId} (SASL_SSL as ${KAFKA_ACCOUNTS.admin})`,
      };
    } catch (err) {
      return { ok: false, detail: `metadata request to :${this.port}: ${(err as Error).message}` };
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
}

/** What a node's security settings are made of: its key and certificate, the CA, two passwords. */
export interface KafkaNodeSecurity {
  /** PEM: the node's private key (PKCS#8) and certificate. */
  readonly keystore: string;
  /** PEM: the stack CA. */
  readonly truststore: string;
  readonly brokerPassword: string;
  readonly controllerPassword: string;
}

/**
 * The node's keystore from a stack-CA server certificate for `hosts` (every address it is
 * reached at), and the broker and controller passwords. `certName` is the certificate's name in
 * the state dir's pki (the chaos suite's netns nodes have their own, for their addresses).
 */
export async function ensureKafkaNodeSecurity(
  c: StackConfig,
  dir: string,
  certName: string,
  hosts: readonly string[],
): Promise<KafkaNodeSecurity> {
  const pair = await ensureServerCert(c, certName, hosts);
  const keystore = join(dir, 'keystore.pem');
  const pem =
    (await readFile(pair.key, 'utf8')).trim() + '\n' + (await readFile(pair.cert, 'utf8')).trim() + '\n';
  await writeFile(keystore, pem, { mode: 0o600 });
  return {
    keystore,
    truststore: stackCa(c).caCert,
    brokerPassword: await ensurePassword(c, KAFKA_ACCOUNTS.broker),
    controllerPassword: await ensurePassword(c, CONTROLLER_ACCOUNT),
  };
}

/**
 * The listeners' security, the same for the stack's nodes and the chaos suite's: clients and
 * the brokers among themselves on CLIENT (SASL_SSL, SCRAM-SHA-512), the KRaft quorum on
 * CONTROLLER (SASL_SSL, PLAIN: the controllers' credentials cannot come from the metadata they
 * serve). The StandardAuthorizer refuses whatever no ACL allows; only the broker, controller and
 * admin identities are super users. Hostnames are verified on every TLS connection.
 */
export function kafkaSecurityProperties(s: KafkaNodeSecurity): string[] {
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule';
  const plain = 'org.apache.kafka.common.security.plain.PlainLoginModule';
  const ctl = CONTROLLER_PRINCIPAL;
  return [
    'listener.security.protocol.map=CLIENT:SASL_SSL,CONTROLLER:SASL_SSL',
    'inter.broker.listener.name=CLIENT',
    'controller.listener.names=CONTROLLER',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.client.scram-sha-512.sasl.jaas.config=${scram} required username="${KAFKA_ACCOUNTS.broker}" password="${s.brokerPassword}";`,
    'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
    'sasl.mechanism.controller.protocol=PLAIN',
    `listener.name.controller.plain.sasl.jaas.config=${plain} required username="${ctl}" password="${s.controllerPassword}" user_${ctl}="${s.controllerPassword}";`,
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${s.keystore}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${s.truststore}`,
    'ssl.endpoint.identification.algorithm=https',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    `super.users=User:${KAFKA_ACCOUNTS.broker};User:${ctl};User:${KAFKA_ACCOUNTS.admin}`,
    'allow.everyone.if.no.acl.found=false',
  ];
}

/** `kafka-storage format` arguments that write the broker and admin SCRAM users into the metadata. */
export async function scramFormatArgs(c: StackConfig): Promise<string[]> {
  const users = [KAFKA_ACCOUNTS.broker, KAFKA_ACCOUNTS.admin];
  const args: string[] = [];
  for (const name of users)
    args.push('--add-scram', `SCRAM-SHA-512=[name=${name},password=${await ensurePassword(c, name)}]`);
  return args;
}

/** The KRaft cluster id: 16 random bytes, base64url like Kafka's Uuid, created once and kept. */
export async function ensureClusterId(c: StackConfig): Promise<string> {
  const file = join(c.stateDir, 'kafka', 'cluster-id');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(join(c.stateDir, 'kafka'), { recursive: true });
  const id = randomBytes(16).toString('base64url');
  await writeFile(file, `${id}\n`);
  return id;
}

/** The names one pipeline's stages use on Kafka: what their ACLs are for. */
export interface PipelineKafkaNames {
  readonly topic: string;
  readonly dlqTopic: string;
  readonly alertsTopic?: string;
  readonly sinkGroup?: string;
  /** The sink's group is a prefix (the stack: iotpipe-sink*, so more sinks can share a stack). */
  readonly sinkGroupIsPrefix?: boolean;
  readonly processorGroup?: string;
}

/** One ALLOW rule; READ and WRITE imply DESCRIBE, which metadata and offset requests need. */
export interface KafkaAcl {
  readonly account: string;
  readonly resource: 'topic' | 'group';
  readonly name: string;
  readonly pattern: 'literal' | 'prefixed';
  readonly operation: 'read' | 'write';
}

/** The pipeline the stack's own stages run: the shared topics and the stages' default groups. */
export const STACK_PIPELINE: PipelineKafkaNames = {
  topic: 'iot-sensor-data',
  dlqTopic: 'iot-sensor-data-dlq',
  alertsTopic: 'iot-alerts',
  sinkGroup: 'iotpipe-sink',
  sinkGroupIsPrefix: true,
  processorGroup: 'iotpipe-processor',
};

/**
 * Exactly what a stage does, nothing more: the adapter writes readings and dead letters; the
 * sink reads readings in its group and writes dead letters; the processor reads readings in its
 * group and writes alerts. No stage may create, delete or configure anything.
 */
export function stageAcls(stage: KafkaStageAccount, n: PipelineKafkaNames): KafkaAcl[] {
  const account = KAFKA_ACCOUNTS[stage];
  const topic = (name: string, operation: KafkaAcl['operation']): KafkaAcl => ({
    account,
    resource: 'topic',
    name,
    pattern: 'literal',
    operation,
  });
  const group = (name: string, prefixed = false): KafkaAcl => ({
    account,
    resource: 'group',
    name,
    pattern: prefixed ? 'prefixed' : 'literal',
    operation: 'read',
  });
  switch (stage) {
    case 'adapter':
      return [topic(n.topic, 'write'), topic(n.dlqTopic, 'write')];
    case 'sink':
      return [
        topic(n.topic, 'read'),
        topic(n.dlqTopic, 'write'),
        ...(n.sinkGroup === undefined ? [] : [group(n.sinkGroup, n.sinkGroupIsPrefix)]),
      ];
    case 'processor':
      return [
        topic(n.topic, 'read'),
        ...(n.alertsTopic === undefined ? [] : [topic(n.alertsTopic, 'write')]),
        ...(n.processorGroup === undefined ? [] : [group(n.processorGroup)]),
      ];
  }
}

/** A kafkajs client of the stack's brokers authenticated as the admin account. */
export function stackAdminKafka(c: StackConfig, clientId: string, brokers?: readonly string[]): Kafka {
  return new Kafka({
    clientId,
    brokers: [...(brokers ?? c.kafka.ports.map((p) => `${c.host}:${p}`))],
    ...stackKafkaConfig(c, KAFKA_ACCOUNTS.admin),
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 300, maxRetryTime: 5000 },
  });
}

/** Adds the ACLs (an existing one is left as it is). */
export async function grantAcls(kafka: Kafka, acls: readonly KafkaAcl[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createAcls({
      acl: acls.map((a) => ({
        resourceType: a.resource === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
        resourceName: a.name,
        resourcePatternType:
          a.pattern === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
        principal: `User:${a.account}`,
        host: '*',
        operation: a.operation === 'read' ? AclOperationTypes.READ : AclOperationTypes.WRITE,
        permissionType: AclPermissionTypes.ALLOW,
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** Kafka's code for SCRAM-SHA-512 in AlterUserScramCredentials. */
const SCRAM_SHA_512 = 2;
const SCRAM_ITERATIONS = 4096;

/**
 * Sets SCRAM-SHA-512 passwords through the Admin API (AlterUserScramCredentials, as the admin
 * account, on `broker`): the client sends the salted password, never the password itself.
 * An upsert replaces the user's credential, so this is also how a password is rotated, and how
 * an account is revoked (a random password nobody keeps): never with a deletion, see
 * kafka-accounts.md.
 */
export async function setScramPasswords(
  c: StackConfig,
  broker: string,
  users: ReadonlyArray<{ readonly name: string; readonly password: string }>,
): Promise<void> {
  const [host, port] = broker.split(':');
  const conn = new Connection('iotpipe-stack-accounts', {
    tls: { ca: [await readFile(stackCa(c).caCert, 'utf8')] },
    sasl: {
      mechanism: 'SCRAM-SHA-512',
      username: KAFKA_ACCOUNTS.admin,
      password: await readPassword(c, KAFKA_ACCOUNTS.admin),
    },
    connectTimeout: 5_000,
    requestTimeout: 30_000,
  });
  try {
    await conn.connect(host!, Number(port));
    const upserts = users.map((u) => {
      const salt = randomBytes(32);
      return {
        name: u.name,
        mechanism: SCRAM_SHA_512,
        iterations: SCRAM_ITERATIONS,
        salt,
        saltedPassword: pbkdf2Sync(u.password, salt, SCRAM_ITERATIONS, 64, 'sha512'),
      };
    });
    await alterUserScramCredentialsV0.api.async(conn, [], upserts);
  } finally {
    await conn.close();
  }
}

/**
 * What `stack up` makes on Kafka once the brokers answer: the stack's topics (replication 3,
 * min ISR 2) unless they exist, the stages' accounts (their passwords from the state dir, set
 * again each time so a rotated one takes effect) and the stages' ACLs for the stack's pipeline.
 */
export async function provisionKafka(c: StackConfig, log: (line: string) => void): Promise<void> {
  const kafka = stackAdminKafka(c, 'iotpipe-stack');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = STACK_TOPICS.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      log(`kafka: creating topics ${missing.map((t) => t.topic).join(', ')}`);
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.numPartitions,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        })),
      });
    }
  } finally {
    await admin.disconnect();
  }
  const stages: KafkaStageAccount[] = ['adapter', 'sink', 'processor'];
  const users = [];
  for (const s of stages)
    users.push({ name: KAFKA_ACCOUNTS[s], password: await ensurePassword(c, KAFKA_ACCOUNTS[s]) });
  await setScramPasswords(c, `${c.host}:${c.kafka.ports[0]}`, users);
  await grantAcls(
    kafka,
    stages.flatMap((s) => stageAcls(s, STACK_PIPELINE)),
  );
  log(`kafka: accounts ${users.map((u) => u.name).join(', ')} with their ACLs`);
}
