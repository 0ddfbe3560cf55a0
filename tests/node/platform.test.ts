// The platform on the single-node cluster, as a user installs it (cdk8s/README.md "Run it on
// kind", step for step): the prerequisites' CRDs, then `kubectl apply -f cdk8s/dist/kind/`. One
// apply serves every check of this file; the namespace is removed at the end so the next run
// starts from nothing.
//
// Strimzi's operators, TimescaleDB, Apicurio, Mosquitto, the exporters and prometheus-operator
// run once their images are built here (images/, issue 17's third-party images); until then the
// prerequisites are their CRDs (what `helm install strimzi` and kube-prometheus's setup/ create
// first), and these checks hold with or without them.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRepoRoot, loadControlPlaneConfig } from '../../local/src/cluster/config.js';
import { platformCrdFiles, waitCrdsEstablished } from '../../local/src/cluster/crds.js';
import { run } from '../../local/src/cluster/exec.js';
import { kubectl, kubectlJson, node } from '../support/kubectl.js';
import { installStrimzi } from '../support/strimzi.js';

const repo = defaultRepoRoot();
const kind = join(repo, 'cdk8s', 'dist', 'kind');
const NS = 'iotpipe';

interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { serviceAccountName?: string; containers: Array<{ image: string }> };
  status: {
    phase: string;
    containerStatuses?: Array<{
      name: string;
      ready: boolean;
      restartCount: number;
      state: Record<string, unknown>;
    }>;
  };
}

async function pods(selector: string): Promise<Pod[]> {
  return (await kubectlJson<{ items: Pod[] }>(['-n', NS, 'get', 'pods', '-l', selector])).items;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  const cause = last instanceof Error ? ` (${last.message})` : '';
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${cause}`);
}

/**
 * Uninstalls as a user must: the IoTPipelines first, while our operator still runs to release
 * their finalizer, then the KafkaTopics, while Strimzi's topic operator still runs to release
 * theirs, then the namespace. Deleting the namespace at once removes both operators first and
 * leaves those objects, and the namespace, stuck in Terminating.
 */
async function uninstall(): Promise<void> {
  for (const [crd, kind] of [
    ['iotpipelines.iotpipe.io', 'iotpipelines'],
    ['kafkatopics.kafka.strimzi.io', 'kafkatopics'],
  ] as const) {
    const present = await kubectl(['get', 'crd', crd, '--ignore-not-found']);
    if (present.trim() !== '')
      await kubectl(['-n', NS, 'delete', kind, '--all', '--wait=true', '--timeout=180s']);
  }
  await kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=300s']);
}

beforeAll(async () => {
  // `make synth`: the manifests of this checkout (cdk8s/dist is build output, absent in a clone).
  await run('node', [join(repo, 'cdk8s', 'dist', 'src', 'main.js'), 'synth'], {
    cwd: repo,
    installHint: 'make build',
  });
  // A namespace left by an interrupted run: start from nothing.
  await uninstall();
  // Step 2 of the walk-through: Strimzi's cluster operator from its release YAML (into the
  // platform's namespace). Step 3: the Prometheus operator's CRDs (its operator follows once its
  // images land).
  await kubectl(['apply', '-f', join(kind, '00-namespace.yaml')]);
  await installStrimzi(NS);
  for (const file of await platformCrdFiles(loadControlPlaneConfig())) {
    if (file.includes('prometheus-operator')) await kubectl(['apply', '--server-side', '-f', file]);
  }
  // kubectl wait --for=condition=Established fails on a CRD that has no status yet: polled instead.
  await waitCrdsEstablished(node.kubeConfig());
  // Step 4: the CRD and the operator's cluster objects first, then everything.
  await kubectl([
    'apply',
    '-f',
    join(kind, '00-namespace.yaml'),
    '-f',
    join(kind, '01-operator-cluster.yaml'),
  ]);
  await waitCrdsEstablished(node.kubeConfig(), ['iotpipelines.iotpipe.io']);
  const files = (await readdir(kind)).filter((f) => f.endsWith('.yaml'));
  expect(files.length).toBeGreaterThan(5);
  await kubectl(['apply', '-f', kind]);
});

afterAll(async () => {
  await uninstall();
});

describe('the kind profile on a real node', () => {
  it('the operator runs in its pod under its own ServiceAccount, Ready, without a restart', async () => {
    const [operator] = await until('the operator pod Ready', async () => {
      const list = await pods('app.kubernetes.io/name=iotpipe-operator');
      return list.length === 1 && list[0]!.status.containerStatuses?.every((c) => c.ready) ? list : undefined;
    });
    expect(operator!.spec.serviceAccountName).toBe('iotpipe-operator');
    expect(operator!.spec.containers[0]!.image).toBe('ghcr.io/iotpipe/operator:0.1.0');
    expect(operator!.status.containerStatuses!.map((c) => c.restartCount)).toEqual([0]);
  });

  it("Strimzi's Kafka becomes Ready: 3 KRaft nodes and the entity operator", async () => {
    await kubectl(['-n', NS, 'wait', 'kafka/iotpipe', '--for=condition=Ready', '--timeout=1200s']);
    const nodes = await pods('strimzi.io/cluster=iotpipe,strimzi.io/kind=Kafka,strimzi.io/broker-role=true');
    expect(nodes.length).toBe(3);
  }, 1_300_000);

  it("makes the pipeline's topics through Strimzi's topic operator", async () => {
    // Polled: `kubectl wait` fails at once on a KafkaTopic our operator has not made yet.
    for (const topic of ['sensors-topic', 'sensors-dlq']) {
      await until(
        `KafkaTopic ${topic} Ready`,
        async () => {
          const t = await kubectlJson<{ status?: { conditions?: Array<{ type: string; status: string }> } }>([
            '-n',
            NS,
            'get',
            'kafkatopic',
            topic,
          ]);
          return t.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? t : undefined;
        },
        300_000,
      );
    }
    const topic = await kubectlJson<{ spec: { topicName: string; partitions: number; replicas: number } }>([
      '-n',
      NS,
      'get',
      'kafkatopic',
      'sensors-topic',
    ]);
    expect(topic.spec).toMatchObject({ topicName: 'iot-sensor-data', partitions: 6, replicas: 3 });
  });

  it('reconciles the sample IoTPipeline into the pipeline stages, run from the workloads image', async () => {
    const stages = await until('adapter, sink, processor and simulator pods started', async () => {
      const list = await pods('iotpipe.io/pipeline=sensors');
      const running = list.filter((p) => p.status.phase === 'Running');
      return running.length >= 4 ? running : undefined;
    });
    const names = stages.map((p) => p.metadata.name);
    for (const stage of ['adapter', 'sink', 'processor', 'simulator'])
      expect(
        names.some((n) => n.startsWith(`sensors-${stage}`)),
        stage,
      ).toBe(true);
    for (const p of stages) expect(p.spec.containers[0]!.image).toBe('ghcr.io/iotpipe/workloads:0.1.0');
  });

  it('`kubectl get iotpipelines` and `kubectl describe` tell the state at a glance', async () => {
    const table = await until('status columns filled', async () => {
      const out = await kubectl(['-n', NS, 'get', 'iotpipelines']);
      return /sensors\s+iot-sensor-data\s+.*(True|False)/.test(out) ? out : undefined;
    });
    // Ready and, when it is not, why: without -o wide (operator/README.md "Status, conditions and Events").
    expect(table.split('\n')[0]).toMatch(/NAME\s+TOPIC\s+READY\s+REASON\s+READY REPLICAS\s+AGE/);
    const describe = await kubectl(['-n', NS, 'describe', 'iotpipeline', 'sensors']);
    // Every condition with its reason and a message a person can act on.
    for (const type of ['Ready', 'DependenciesReady', 'TopicReady', 'SchemaRegistered', 'WorkloadsAvailable'])
      expect(describe, type).toMatch(new RegExp(`Type:\\s+${type}`));
    const status = await kubectlJson<{
      status: { conditions: Array<{ type: string; status: string; reason: string; message: string }> };
    }>(['-n', NS, 'get', 'iotpipeline', 'sensors']);
    for (const c of status.status.conditions) {
      expect(c.reason, c.type).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(c.message.length, c.type).toBeGreaterThan(0);
    }
  });
});
