import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { afterAll, describe, expect, it } from 'vitest';
import { findJava } from '../../local/src/java.js';
import { StackError } from '../../local/src/errors.js';
import {
  createTopic,
  kafkaClient,
  localStack,
  stackConfig,
  stackEndpoints,
  uniqueName,
} from '../support/stack.js';

const exec = promisify(execFile);
// The stack's own entry (make stack-up/-status run it): no longer a workloads command.
const cli = join(stackConfig.repoRoot, 'local', 'dist', 'stack-cli.js');

async function stackCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [cli, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('local stack', () => {
  it('an Avro record registered through the registry round-trips through Kafka in the Confluent wire format', async () => {
    const topic = uniqueName('it-avro');
    await createTopic(topic);
    const schema = {
      type: 'record',
      name: 'Probe',
      namespace: 'io.iotpipe.test',
      fields: [
        { name: 'device_id', type: 'string' },
        { name: 'value', type: 'double' },
      ],
    };
    const registry = new SchemaRegistry({ host: stackEndpoints.registryUrl });
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: `${topic}-value` },
    );
    const record = { device_id: 'c6:8d:c6:26:39:a6_temperature', value: 21.5 };
    const encoded = await registry.encode(id, record);

    const kafka = kafkaClient();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: record.device_id, value: encoded }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('it-avro-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<Buffer>((resolve) => {
      // Not awaited: run() resolves once the consumer starts; the first message resolves the wait.
      void consumer.run({ eachMessage: async ({ message }) => resolve(message.value!) });
    });
    await consumer.disconnect();

    // Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro binary body.
    expect(received[0]).toBe(0);
    const wireId = received.readInt32BE(1);
    expect(wireId).toBe(id);
    // The id resolves through the Confluent-compatible endpoint, as any Confluent client asks it.
    const res = await fetch(`${stackEndpoints.registryUrl}/schemas/ids/${wireId}`);
    expect(res.status).toBe(200);
    const served = JSON.parse(((await res.json()) as { schema: string }).schema) as object;
    // Decode with avsc directly from the served schema: no code shared with the encoder.
    const type = avro.Type.forSchema(served as avro.Schema);
    expect(type.fromBuffer(received.subarray(5))).toEqual(record);
    // Confluent ids name content: the same schema under a second subject gets the same id.
    const again = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: `${topic}-other-value` },
    );
    expect(again.id).toBe(id);
  });

  it('with one of three brokers killed, an acks=all producer still writes and a consumer reads every record', async () => {
    const topic = uniqueName('it-broker-loss');
    await createTopic(topic, 6);
    const stack = localStack();
    const victim = 'kafka-2';
    const pid = (await stack.supervisor.states()).get(victim)?.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    // Keep it down: supervisord would restart a killed broker on its own.
    await stack.supervisor.stop(victim);
    try {
      expect((await stack.supervisor.states()).get(victim)?.state).not.toBe('RUNNING');
      // The scenario is a cluster running on two of three brokers: wait until the controller has
      // fenced the dead one (its session times out after 9 s) and moved leadership away.
      const admin = kafkaClient().admin();
      await admin.connect();
      const deadline = Date.now() + 90_000;
      for (;;) {
        const cluster = await admin.describeCluster().catch(() => undefined);
        if (cluster && !cluster.brokers.some((b) => b.nodeId === 2)) break;
        if (Date.now() > deadline) throw new Error('the controller never fenced the killed broker');
        await new Promise((r) => setTimeout(r, 1000));
      }
      await admin.disconnect();
      const kafka = kafkaClient();
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const n = 2000;
      const sent = new Set<string>();
      for (let batch = 0; batch < n / 200; batch++) {
        const messages = Array.from({ length: 200 }, (_, i) => {
          const v = `r-${batch * 200 + i}`;
          sent.add(v);
          return { key: `k-${i % 17}`, value: v };
        });
        await producer.send({ topic, acks: -1, messages });
      }
      await producer.disconnect();

      const consumer = kafka.consumer({ groupId: uniqueName('it-broker-loss-group') });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const got: string[] = [];
      await new Promise<void>((resolve) => {
        // Not awaited: run() resolves once the consumer starts; the messages resolve the wait.
        void consumer.run({
          eachMessage: async ({ message }) => {
            got.push(message.value!.toString());
            if (got.length >= n) resolve();
          },
        });
      });
      await consumer.disconnect();
      expect(got.length).toBe(n);
      expect(new Set(got)).toEqual(sent);
    } finally {
      await stack.supervisor.start(victim);
    }
  });

  it('`stack up` on a running stack changes nothing', async () => {
    const before = await localStack().supervisor.states();
    const res = await stackCli(['up']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).not.toMatch(/starting /);
    const after = await localStack().supervisor.states();
    for (const [name, st] of before) {
      if (name === 'kafka-2') continue; // restarted by the broker-loss test above
      expect(after.get(name)?.pid, name).toBe(st.pid);
    }
    expect(res.stdout).toMatch(/postgres-exporter/);
  });

  it('`stack status` probes every part and exits 0 when all are healthy', async () => {
    // kafka-2 restarted by the broker-loss test: wait until it is back in the cluster.
    const deadline = Date.now() + 90_000;
    let res = await stackCli(['status']);
    while (res.code !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2000));
      res = await stackCli(['status']);
    }
    expect(res.code, res.stdout).toBe(0);
    for (const part of [
      'postgres',
      'kafka-1',
      'kafka-2',
      'kafka-3',
      'mosquitto',
      'registry',
      'prometheus',
      'alertmanager',
      'smtp-sink',
    ]) {
      expect(res.stdout).toMatch(new RegExp(`^ok\\s+${part}\\s`, 'm'));
    }
    expect(res.stdout).toMatch(/MQTT publish\/subscribe round trip ok/);
    expect(res.stdout).toMatch(/metadata ok: 3 brokers/);
  });
});

describe('wrong settings stop `stack up` with one line naming cause and fix', () => {
  let held: Server | undefined;
  afterAll(() => held?.close());

  it('a port already taken', async () => {
    held = createServer();
    const port = await new Promise<number>((r) =>
      held!.listen(0, '127.0.0.1', () => r((held!.address() as { port: number }).port)),
    );
    const stateDir = await mkdtemp(join(tmpdir(), 'iotpipe-state-'));
    const res = await stackCli(['up'], {
      IOTPIPE_STATE_DIR: stateDir,
      IOTPIPE_POSTGRES_PORT: String(port),
    });
    expect(res.code).toBe(2);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`port ${port} .*PostgreSQL.* already taken .* fix: `));
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('a download failing', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'iotpipe-cache-'));
    const stateDir = await mkdtemp(join(tmpdir(), 'iotpipe-state-'));
    // Below the kernel's ephemeral range (32768-60999 here): a port in it can be taken at any
    // moment by an outgoing connection, and then `stack up` fails on the port, not the download.
    const free = (n: number) => String(24000 + n);
    const res = await stackCli(['up'], {
      IOTPIPE_STATE_DIR: stateDir,
      IOTPIPE_CACHE_DIR: cacheDir,
      // Offline with an empty local repository: Maven cannot resolve anything.
      IOTPIPE_MAVEN_ARGS: `-o -Dmaven.repo.local=${join(cacheDir, 'm2')}`,
      IOTPIPE_KAFKA_PORTS: [1, 2, 3].map(free).join(','),
      IOTPIPE_KAFKA_CONTROLLER_PORTS: [4, 5, 6].map(free).join(','),
      IOTPIPE_KAFKA_JMX_PORTS: [7, 8, 9].map(free).join(','),
      IOTPIPE_REGISTRY_PORT: free(10),
      IOTPIPE_POSTGRES_PORT: free(30),
      IOTPIPE_MQTT_PORT: free(12),
      IOTPIPE_PROMETHEUS_PORT: free(13),
      IOTPIPE_ALERTMANAGER_PORT: free(14),
      IOTPIPE_NODE_EXPORTER_PORT: free(15),
      IOTPIPE_POSTGRES_EXPORTER_PORT: free(16),
      IOTPIPE_SMTP_PORT: free(17),
      IOTPIPE_SMTP_HTTP_PORT: free(18),
    });
    expect(res.code).toBe(2);
    // Progress lines may come first; the failure itself is one line and no stack trace.
    const last = res.stderr.trim().split('\n').pop();
    expect(last).toMatch(
      /^stack: downloading Kafka .* failed: .* fix: check that Maven Central is reachable/,
    );
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('Java missing (no runtime new enough)', async () => {
    const err = await findJava(99, '/nonexistent', 'IOTPIPE_TEST_JAVA').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackError);
    expect((err as Error).message).toMatch(/no Java 99 or newer found .* fix: run `make deps`/);
  });

  it('an invalid setting names the field and its variable', async () => {
    const res = await stackCli(['status'], { IOTPIPE_MQTT_PORT: 'eighteen' });
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toBe(
      "stack: invalid config mqtt.port (IOTPIPE_MQTT_PORT): 'eighteen' is not a TCP port (1-65535)",
    );
  });
});
