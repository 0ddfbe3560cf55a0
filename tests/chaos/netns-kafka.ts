import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { artifactPaths } from '../../local/src/fetch.js';
import {
  ensureKafkaNodeSecurity,
  KAFKA_ACCOUNTS,
  kafkaSecurityProperties,
  scramFormatArgs,
  setScramPasswords,
  stackKafkaConfig,
} from '../../local/src/index.js';
import { ensurePassword } from '../../local/src/security/index.js';
import { findJava } from '../../local/src/java.js';
import { run as exec } from '../../local/src/proc.js';
import { stackConfig } from '../support/stack.js';
import { sleep } from './faults.js';

/**
 * A separate 3-node KRaft cluster (broker + controller each) for the network-partition scenario,
 * every node in its own network namespace, joined by veth pairs to one bridge in the root
 * namespace (10.77.0.0/24; the host is .1, node n is .1n). Taking a node's host-side veth down
 * cuts it off from the other nodes and from every client without stopping it: a real
 * partition. The stack's own brokers are untouched. Same Kafka distribution and the same
 * security as the stack (SASL_SSL, the stack's accounts and CA; a certificate for these addresses).
 */
export class NetnsKafka {
  readonly bridge = 'chaosbr0';
  readonly nodes = [1, 2, 3];
  private readonly children: ChildProcess[] = [];

  constructor(readonly dir: string) {}

  ns(n: number): string {
    return `chaos-kafka-${n}`;
  }
  veth(n: number): string {
    return `chaosk${n}`;
  }
  ip(n: number): string {
    return `10.77.0.1${n}`;
  }
  get brokers(): string[] {
    return this.nodes.map((n) => `${this.ip(n)}:9092`);
  }

  private async sh(args: string[]): Promise<void> {
    const res = await exec('ip', args);
    if (res.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${(res.stderr || res.stdout).trim()}`);
  }

  async start(): Promise<void> {
    await this.destroyNetwork();
    await this.sh(['link', 'add', this.bridge, 'type', 'bridge']);
    await this.sh(['addr', 'add', '10.77.0.1/24', 'dev', this.bridge]);
    await this.sh(['link', 'set', this.bridge, 'up']);
    for (const n of this.nodes) {
      const ns = this.ns(n);
      await this.sh(['netns', 'add', ns]);
      await this.sh(['link', 'add', this.veth(n), 'type', 'veth', 'peer', 'name', `${this.veth(n)}p`]);
      await this.sh(['link', 'set', `${this.veth(n)}p`, 'netns', ns]);
      await this.sh(['link', 'set', this.veth(n), 'master', this.bridge, 'up']);
      await this.sh(['-n', ns, 'addr', 'add', `${this.ip(n)}/24`, 'dev', `${this.veth(n)}p`]);
      await this.sh(['-n', ns, 'link', 'set', `${this.veth(n)}p`, 'up']);
      await this.sh(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const java = await findJava(17, stackConfig.cacheDir, 'IOTPIPE_KAFKA_JAVA');
    const libs = `${artifactPaths(stackConfig).kafkaLibs}/*`;
    const clusterId = randomBytes(16).toString('base64url').slice(0, 22);
    const voters = this.nodes.map((n) => `${n}@${this.ip(n)}:9093`).join(',');
    for (const n of this.nodes) {
      const home = join(this.dir, `kafka-${n}`);
      await rm(home, { recursive: true, force: true });
      await mkdir(join(home, 'data'), { recursive: true });
      const props = join(home, 'server.properties');
      const security = await ensureKafkaNodeSecurity(
        stackConfig,
        home,
        'kafka-chaos-netns',
        this.nodes.map((m) => this.ip(m)),
      );
      await writeFile(
        props,
        [
          `node.id=${n}`,
          'process.roles=broker,controller',
          `listeners=CLIENT://${this.ip(n)}:9092,CONTROLLER://${this.ip(n)}:9093`,
          `advertised.listeners=CLIENT://${this.ip(n)}:9092`,
          ...kafkaSecurityProperties(security),
          `controller.quorum.voters=${voters}`,
          `log.dirs=${join(home, 'data')}`,
          'default.replication.factor=3',
          'min.insync.replicas=2',
          'offsets.topic.replication.factor=3',
          'transaction.state.log.replication.factor=3',
          'transaction.state.log.min.isr=2',
          'auto.create.topics.enable=false',
          'group.initial.rebalance.delay.ms=0',
          'unclean.leader.election.enable=false',
          'num.network.threads=2',
          'num.io.threads=2',
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      const fmt = await exec(java, [
        '-cp',
        libs,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        props,
        ...(await scramFormatArgs(stackConfig)),
      ]);
      if (fmt.code !== 0) throw new Error(`formatting node ${n} failed: ${fmt.stderr || fmt.stdout}`);
      const log = createWriteStream(join(home, 'kafka.log'));
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          this.ns(n),
          java,
          '-Xms256m',
          '-Xmx384m',
          '-XX:+UseSerialGC',
          '-cp',
          libs,
          'kafka.Kafka',
          props,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
      this.children.push(child);
    }
    await this.waitBrokers(3, 120_000);
    // The stages' accounts, with the stack's passwords (their ACLs come with each run's topics).
    const users = [];
    for (const stage of ['adapter', 'sink', 'processor'] as const)
      users.push({
        name: KAFKA_ACCOUNTS[stage],
        password: await ensurePassword(stackConfig, KAFKA_ACCOUNTS[stage]),
      });
    await setScramPasswords(stackConfig, this.brokers[0]!, users);
  }

  /** Waits until a metadata request lists `count` brokers. */
  async waitBrokers(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const admin = new Kafka({
        brokers: this.brokers,
        ...stackKafkaConfig(stackConfig, KAFKA_ACCOUNTS.admin),
        logLevel: logLevel.NOTHING,
        connectionTimeout: 2000,
      }).admin();
      const n = await admin
        .connect()
        .then(() => admin.describeCluster())
        .then((c) => c.brokers.length)
        .catch(() => 0)
        .finally(() => admin.disconnect().catch(() => {}));
      if (n >= count) return;
      if (Date.now() > deadline)
        throw new Error(`netns Kafka: ${n} of ${count} brokers after ${timeoutMs / 1000} s; see ${this.dir}`);
      await sleep(1000);
    }
  }

  /** Cuts node n off the bridge (the process keeps running), or heals it. */
  async cut(n: number): Promise<void> {
    await this.sh(['link', 'set', this.veth(n), 'down']);
  }
  async heal(n: number): Promise<void> {
    await this.sh(['link', 'set', this.veth(n), 'up']);
  }

  /** Is node n's process still alive (a cut must not stop it)? */
  alive(n: number): boolean {
    const c = this.children[n - 1];
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  async stop(): Promise<void> {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await Promise.race([exited, sleep(20_000)]);
      }
    }
    // `ip netns exec` replaced itself with java, so the pids above are the JVMs; kill leftovers.
    for (const n of this.nodes) {
      const res = await exec('ip', ['netns', 'pids', this.ns(n)]);
      for (const pid of res.stdout.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await this.destroyNetwork();
  }

  private async destroyNetwork(): Promise<void> {
    for (const n of this.nodes) {
      await exec('ip', ['link', 'del', this.veth(n)]);
      await exec('ip', ['netns', 'del', this.ns(n)]);
    }
    await exec('ip', ['link', 'del', this.bridge]);
  }
}
