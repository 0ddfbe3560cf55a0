// The operator's wiring, end to end: the adapter and the sink run as local processes with
// exactly the command and env of the workloads the operator created (the adapter's StatefulSet,
// the sink's Deployment; read back from the API server), against the local stack; MQTT messages
// in the simulator format published to the pipeline's topic filter arrive as rows in the database.
//
// What stands in for Kubernetes here, explicitly:
// - the kubelet: secretKeyRef env is resolved from the Secret (an optional one missing leaves the
//   variable unset), projected Secret volumes are written to a temporary directory (a missing
//   Secret or key that is not optional fails, as the pod would not start) and the env's paths
//   under their mount point are pointed there, fieldRef metadata.name is the pod
//   name (`<statefulset>-0` for the adapter, as the StatefulSet controller names it; a made-up
//   one for a Deployment), $(VAR) references are expanded, the process runs in the repo root (the
//   image's /app);
// - cluster DNS: IN_CLUSTER_TO_LOCAL maps the in-cluster service host:port to the local stack's
//   (host names only; nothing else in the env is changed);
// - test isolation: the metrics ports are set to 0 (tests never bind fixed ports);
// - Strimzi's topic operator: the Kafka topics are created as the KafkaTopics say;
// - Strimzi's user and cluster operators: the KafkaUser's Secret, its SCRAM account and ACLs on
//   the local Kafka (from the KafkaUser the operator made), and the cluster CA's Secret (the
//   local stack's CA): the stages log in to the local brokers as the pipeline's KafkaUser.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1EnvVar,
  type V1PodSpec,
} from '@kubernetes/client-node';
import mqtt from 'mqtt';
import type { TestNamespace } from '../../local/src/cluster/testing.js';
import type { Operator } from '../../operator/src/reconcile/operator.js';
import { manifestDigest } from '../../workloads/src/simulator/manifest.js';
import { createTestDatabase, type TestDatabase } from '../integration/db-support.js';
import { grantAcls, setScramPasswords, type KafkaAcl } from '../../local/src/index.js';
import { stackCa } from '../../local/src/security/index.js';
import { createTopic, kafkaClient, stackConfig, stackEndpoints, uniqueName } from '../support/stack.js';
import {
  applyAsUser,
  conditionOf,
  getPipeline,
  inProcessOperator,
  killChild,
  markKafkaTopicReady,
  operatorNamespace,
  pipelineManifest,
  repoRoot,
  waitFor,
} from './support.js';

/** In-cluster service address (the CRD defaults and the Secrets) -> the local stack's. */
const IN_CLUSTER_TO_LOCAL: Record<string, string> = {
  'iotpipe-kafka-bootstrap:9093': stackEndpoints.kafkaBrokers[0]!,
  'apicurio-registry:8080': '127.0.0.1:8081',
  'mosquitto:1883': '127.0.0.1:1883',
  'timescaledb:5432': '127.0.0.1:5432',
};

function toLocal(value: string): string {
  let out = value;
  for (const [cluster, local] of Object.entries(IN_CLUSTER_TO_LOCAL)) out = out.split(cluster).join(local);
  return out;
}

let ns: TestNamespace;
let operator: Operator;
let db: TestDatabase;
const processes: ChildProcess[] = [];
const kafkaTopics: string[] = [];
const secretDirs: string[] = [];

beforeAll(async () => {
  // The test makes its own Secrets (the database it created, the broker's credentials).
  ns = await operatorNamespace('operator-e2e', { databaseSecret: false });
  operator = inProcessOperator(ns, 'op-e2e');
  await operator.start();
  db = await createTestDatabase('op_e2e');
});

afterAll(async () => {
  await Promise.all(processes.map((p) => killChild(p, 'SIGTERM')));
  await operator?.stop();
  await db?.drop();
  if (kafkaTopics.length > 0) {
    const admin = kafkaClient().admin();
    await admin.connect();
    await admin.deleteTopics({ topics: kafkaTopics }).catch(() => undefined);
    await admin.disconnect();
  }
  await ns?.delete();
  for (const dir of secretDirs) rmSync(dir, { recursive: true, force: true });
});

/** What the kubelet would give the container: env resolved, then the DNS stand-in. */
async function containerEnv(
  env: V1EnvVar[],
  podName: string,
  mounts: ReadonlyMap<string, string>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of env) {
    let value: string;
    if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      if (ref.name === undefined) throw new Error(`env ${e.name}: secretKeyRef without a name`);
      const data = (await secretData(ref.name))?.[ref.key];
      if (data === undefined) {
        if (ref.optional === true) continue;
        throw new Error(`Secret ${ref.name} has no key ${ref.key}`);
      }
      value = data.toString('utf8');
    } else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') {
      value = podName;
    } else if (e.valueFrom) {
      throw new Error(`env ${e.name}: unsupported valueFrom ${JSON.stringify(e.valueFrom)}`);
    } else {
      // The kubelet expands $(VAR) from variables defined before this one.
      value = (e.value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => out[name] ?? m);
    }
    for (const [mountPath, local] of mounts)
      if (value.startsWith(`${mountPath}/`)) value = local + value.slice(mountPath.length);
    out[e.name] = toLocal(value);
  }
  return out;
}

/** A Secret's data, or undefined when there is no such Secret. */
async function secretData(name: string): Promise<Record<string, Buffer> | undefined> {
  const core = ns.kubeConfig.makeApiClient(CoreV1Api);
  try {
    const secret = await core.readNamespacedSecret({ name, namespace: ns.name });
    return Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    );
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/**
 * What the kubelet mounts for the container: each projected Secret volume written to a
 * temporary directory with the volume's mode. Returns mount path -> that directory.
 */
async function secretVolumes(pod: V1PodSpec, containerIndex: number): Promise<Map<string, string>> {
  const mounts = new Map<string, string>();
  for (const mount of pod.containers[containerIndex]!.volumeMounts ?? []) {
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    if (!volume?.projected) throw new Error(`volume ${mount.name}: only projected Secrets are stood in for`);
    const dir = mkdtempSync(join(tmpdir(), 'op-e2e-secrets-'));
    secretDirs.push(dir);
    for (const source of volume.projected.sources ?? []) {
      const ref = source.secret;
      if (!ref?.name) throw new Error(`volume ${mount.name}: a source that is not a Secret`);
      const data = await secretData(ref.name);
      if (data === undefined) {
        if (ref.optional === true) continue;
        throw new Error(`volume ${mount.name}: Secret ${ref.name} does not exist`);
      }
      for (const item of ref.items ?? []) {
        const bytes = data[item.key];
        if (bytes === undefined) {
          if (ref.optional === true) continue;
          throw new Error(`volume ${mount.name}: Secret ${ref.name} has no key ${item.key}`);
        }
        const file = join(dir, item.path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, bytes, { mode: volume.projected.defaultMode ?? 0o644 });
      }
    }
    mounts.set(mount.mountPath, dir);
  }
  return mounts;
}

/** Runs the first pod of a Deployment or StatefulSet as a local process: its command, args and env. */
async function runWorkload(
  kind: 'Deployment' | 'StatefulSet',
  name: string,
  output: string[],
): Promise<ChildProcess> {
  const apps = ns.kubeConfig.makeApiClient(AppsV1Api);
  const w =
    kind === 'StatefulSet'
      ? await apps.readNamespacedStatefulSet({ name, namespace: ns.name })
      : await apps.readNamespacedDeployment({ name, namespace: ns.name });
  const pod = w.spec!.template.spec!;
  const container = pod.containers[0]!;
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  const podName = kind === 'StatefulSet' ? `${name}-0` : `${name}-local-${randomBytes(3).toString('hex')}`;
  const env = await containerEnv(container.env ?? [], podName, await secretVolumes(pod, 0));
  for (const key of Object.keys(env)) if (key.endsWith('_METRICS_PORT')) env[key] = '0';
  expect(argv[0]).toBe('node');
  const script = resolve(repoRoot, argv[1]!);
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npx tsc -b\` first`);
  const child = spawn(process.execPath, argv.slice(1), {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      output.push(chunk);
      if (process.env.IOTPIPE_TEST_VERBOSE === '1') process.stdout.write(`[${name}] ${chunk}`);
    });
  }
  processes.push(child);
  return child;
}

describe('operator wiring, end to end', () => {
  it('the adapter and the sink run with their workloads command and env move MQTT readings into the database', async () => {
    const topic = uniqueName('op-e2e');
    const prefix = `${uniqueName('op-e2e')}/`;
    const core = ns.kubeConfig.makeApiClient(CoreV1Api);
    const dbUrlInCluster = `postgres://iot_user:iot_password@timescaledb:5432/${db.name}`;
    await core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: 'db' }, stringData: { uri: dbUrlInCluster } },
    });
    await core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: 'mqtt' }, stringData: { username: 'iotpipe', password: 'iotpipe' } },
    });
    // Playing Strimzi's user operator (the KafkaUser's Secret) and cluster operator (the CA).
    const kafkaPassword = randomBytes(16).toString('hex');
    await core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: 'e2e-kafka' }, stringData: { password: kafkaPassword } },
    });
    await core.createNamespacedSecret({
      namespace: ns.name,
      body: {
        metadata: { name: 'iotpipe-cluster-ca-cert' },
        stringData: { 'ca.crt': readFileSync(stackCa(stackConfig).caCert, 'utf8') },
      },
    });
    await applyAsUser(
      ns.kubeConfig,
      ns.name,
      pipelineManifest({
        name: 'e2e',
        topic,
        spec: {
          mqtt: { topicPrefix: prefix, credentialsSecret: { name: 'mqtt' } },
          kafka: { partitions: 3 },
          sink: { databaseSecret: { name: 'db', key: 'uri' }, batchIntervalMs: 200 },
        },
      }),
    );
    await waitFor('adapter StatefulSet and sink Deployment', async () => {
      const apps = ns.kubeConfig.makeApiClient(AppsV1Api);
      const deployments = await apps.listNamespacedDeployment({ namespace: ns.name });
      const statefulSets = await apps.listNamespacedStatefulSet({ namespace: ns.name });
      return (
        deployments.items.some((d) => d.metadata?.name === 'e2e-sink') &&
        statefulSets.items.some((d) => d.metadata?.name === 'e2e-adapter')
      );
    });
    await waitFor(
      'schema registered',
      async () =>
        conditionOf(await getPipeline(ns.kubeConfig, ns.name, 'e2e'), 'SchemaRegistered')?.status === 'True',
    );

    // Playing Strimzi's topic operator: create the topics the KafkaTopics describe.
    const custom = ns.kubeConfig.makeApiClient(CustomObjectsApi);
    // Playing Strimzi's user operator: the KafkaUser's SCRAM account and its ACLs.
    {
      const user = (await custom.getNamespacedCustomObject({
        group: 'kafka.strimzi.io',
        version: 'v1',
        namespace: ns.name,
        plural: 'kafkausers',
        name: 'e2e-kafka',
      })) as {
        spec: {
          authorization: {
            acls: Array<{
              resource: { type: string; name: string; patternType: string };
              operations: string[];
            }>;
          };
        };
      };
      const acls: KafkaAcl[] = user.spec.authorization.acls.flatMap((a) =>
        // Describe is implied by Read and Write, the only other operations a pipeline is given.
        a.operations
          .filter((op) => op !== 'Describe')
          .map((op) => ({
            account: 'e2e-kafka',
            resource: a.resource.type as KafkaAcl['resource'],
            name: a.resource.name,
            pattern: a.resource.patternType === 'prefix' ? ('prefixed' as const) : ('literal' as const),
            operation: op.toLowerCase() as KafkaAcl['operation'],
          })),
      );
      await setScramPasswords(stackConfig, stackEndpoints.kafkaBrokers[0]!, [
        { name: 'e2e-kafka', password: kafkaPassword },
      ]);
      await grantAcls(kafkaClient(), acls);
    }
    {
      for (const name of ['e2e-topic', 'e2e-dlq']) {
        const kt = (await custom.getNamespacedCustomObject({
          group: 'kafka.strimzi.io',
          version: 'v1',
          namespace: ns.name,
          plural: 'kafkatopics',
          name,
        })) as {
          spec: { topicName: string; partitions: number; replicas: number; config: Record<string, number> };
        };
        await createTopic(
          kt.spec.topicName,
          kt.spec.partitions,
          Object.entries(kt.spec.config).map(([k, v]) => ({ name: k, value: String(v) })),
          kt.spec.replicas,
        );
        kafkaTopics.push(kt.spec.topicName);
        await markKafkaTopicReady(ns.kubeConfig, ns.name, name);
      }
    }

    const adapterOut: string[] = [];
    const sinkOut: string[] = [];
    await runWorkload('Deployment', 'e2e-sink', sinkOut);
    await runWorkload('StatefulSet', 'e2e-adapter', adapterOut);
    await waitFor('adapter subscribed', async () => adapterOut.join('').includes('running:'), 60_000);

    // 3 devices x 5 readings: one JSON array of 10 and 5 single objects (the simulator's format).
    const start = Date.parse('2026-11-27T06:00:00.000Z');
    const readings = Array.from({ length: 15 }, (_, i) => {
      const device = `e2e-${i % 3}_temperature`;
      const sequence = Math.floor(i / 3);
      return {
        device_id: device,
        device_type: 'temperature_sensor',
        timestamp: new Date(start + sequence * 1000).toISOString(),
        value: 20 + i / 8,
        unit: '°C',
        sequence,
        battery_level: null,
        signal_strength: -60,
        firmware_version: 'sim-1.0',
        location: null,
        metadata: null,
      };
    });
    const client = await mqtt.connectAsync(`mqtt://${IN_CLUSTER_TO_LOCAL['mosquitto:1883']}`, {
      username: 'iotpipe',
      password: 'iotpipe',
      clientId: uniqueName('op-e2e-pub'),
    });
    try {
      const mqttTopic = `${prefix}iotpipe/sim/e2e`;
      await client.publishAsync(mqttTopic, JSON.stringify(readings.slice(0, 10)), { qos: 1 });
      for (const r of readings.slice(10)) await client.publishAsync(mqttTopic, JSON.stringify(r), { qos: 1 });
    } finally {
      await client.endAsync();
    }

    const rows = await waitFor(
      '15 rows in the database',
      async () => {
        const got = await db.sql<{ reading_id: string; ts: string; value: number }[]>`
          select reading_id, (extract(epoch from "timestamp") * 1000)::bigint::text as ts, value from sensor_readings`;
        return got.length >= 15 ? got : undefined;
      },
      90_000,
      500,
    ).catch((err: unknown) => {
      // Say what the processes said: the failure is theirs or the wiring's.
      const tail = (out: string[]) => out.join('').split('\n').slice(-15).join('\n');
      throw new Error(`${String(err)}\n--- adapter:\n${tail(adapterOut)}\n--- sink:\n${tail(sinkOut)}`);
    });
    expect(rows).toHaveLength(15);
    const expected = manifestDigest(
      readings.map((r) => ({
        reading_id: `${r.device_id}#${r.sequence}`,
        timestamp_ms: Date.parse(r.timestamp),
        value: r.value,
      })),
    );
    const actual = manifestDigest(
      rows.map((r) => ({ reading_id: r.reading_id, timestamp_ms: Number(r.ts), value: r.value })),
    );
    expect(actual).toBe(expected);
  });
});
