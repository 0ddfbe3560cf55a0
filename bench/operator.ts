// Operator figures (a script, not a test): `make operator-bench` = `npx tsx bench/operator.ts [counts...]`
// (default 100 300 1000). Against the local control plane and the local stack's registry; the
// operator runs as its own process (`node operator/dist/main.js`, as in its image), with a
// standby replica for the failover. For each count, in a fresh namespace:
// 1. `count` IoTPipelines applied at once: time until every pipeline has its children, and until
//    every status is written (schema registered); per pipeline apply -> children (its 2
//    KafkaTopics and 3 workloads all exist), p50/p99 (during the burst this is mostly queueing);
// 2. then, with all of them in place (none Ready: no kubelet, no Strimzi here, so they are
//    requeued with backoff, as a real not-ready fleet would be): 20 single new pipelines one
//    at a time (apply -> children), 20 spec changes (apply -> the sink Deployment carries the
//    new setting) and 20 drift repairs (a Deployment deleted -> back), p50/p99 each;
// 3. failover: the leader is killed (SIGKILL) and a Deployment deleted at the same moment: time
//    until the standby holds the lease, and until the Deployment is back;
// 4. RSS of the leader process (VmRSS; VmHWM the peak) before, after the burst, and of the new
//    leader after its first pass over every pipeline;
// 5. hand-off: a successor started, the leader stopped with SIGTERM: time until the successor
//    holds the lease (the leader releases it).
// Prints one block per count; asserts nothing (speed lives here, not in tests).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { KubeClient, METADATA_WATCH } from '../operator/src/kube/client.js';
import { connectionFromKubeConfig } from '../operator/src/kube/connection.js';
import type { TestNamespace } from '../local/src/cluster/testing.js';
import {
  operatorEnv,
  operatorNamespace,
  pipelineManifest,
  repoRoot,
  uniqueTopic,
} from '../tests/operator/support.js';

const counts = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
if (counts.length === 0) counts.push(100, 300, 1000);
const WORKERS = process.env.OPERATOR_WORKERS ?? '';
const SAMPLES = 20;

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}
const ms = (v: number) => `${v.toFixed(0)} ms`;
const stats = (values: number[]) =>
  `p50 ${ms(quantile(values, 0.5))}, p99 ${ms(quantile(values, 0.99))}, max ${ms(Math.max(...values))} (n=${values.length})`;

async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) =>
    Number(/\d+/.exec(status.split('\n').find((l) => l.startsWith(field)) ?? '')?.[0] ?? NaN);
  return { rss: kib('VmRSS:') / 1024, peak: kib('VmHWM:') / 1024 };
}
/** CPU seconds (user + system) a process has used. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The pid of the process whose command line contains `needle` (the control plane's). */
async function pidOf(needle: string): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) return Number(entry);
  }
  return undefined;
}

const mib = (m: { rss: number; peak: number }) => `${m.rss.toFixed(0)} MiB (peak ${m.peak.toFixed(0)} MiB)`;

/** The operator as its own process, as it runs in its image. */
function startOperator(ns: TestNamespace, identity: string, log: string[]): ChildProcess {
  const child = spawn(process.execPath, [resolve(repoRoot, 'operator/dist/main.js')], {
    env: {
      ...process.env,
      ...operatorEnv(ns.name, identity, {
        // The defaults a deployment has, except the namespace scoping and the metrics port.
        OPERATOR_LEASE_DURATION_SECONDS: '',
        OPERATOR_RENEW_DEADLINE_SECONDS: '',
        OPERATOR_RETRY_PERIOD_SECONDS: '',
        OPERATOR_BACKOFF_BASE_MS: '',
        OPERATOR_BACKOFF_MAX_MS: '',
        OPERATOR_NOT_READY_REQUEUE_SECONDS: '',
        OPERATOR_NOT_READY_REQUEUE_MAX_SECONDS: '',
        OPERATOR_RESYNC_SECONDS: '',
        ...(WORKERS ? { OPERATOR_WORKERS: WORKERS } : {}),
      }),
      // As its Deployment runs it (cdk8s/src/charts/operator.ts): the heap is capped.
      NODE_OPTIONS: '--max-old-space-size=128',
      KUBECONFIG: ns.kubeconfigPath,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) =>
      log.push(
        ...chunk
          .split('\n')
          .filter(Boolean)
          .map((l) => `[${identity}] ${l}`),
      ),
    );
  }
  return child;
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 900_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Watched {
  metadata: { name: string; uid?: string; labels?: Record<string, string> };
  spec?: { template?: { spec?: { containers?: Array<{ env?: Array<{ name: string; value?: string }> }> } } };
  status?: { observedGeneration?: number; schemaId?: number };
}

/** What the bench sees through its own watches: when each child appeared, each status was written. */
class Observer {
  /** pipeline -> child kind/name -> first seen (ms). */
  readonly children = new Map<string, Map<string, number>>();
  /** pipeline -> when its status had the schema registered for generation 1. */
  readonly statusAt = new Map<string, number>();
  /** Deployment name -> its sink batch size as last seen, and when. */
  readonly batchSize = new Map<string, { value: string | undefined; at: number }>();
  /** kind/name -> the uid of the object there now, and when it was first seen. */
  readonly present = new Map<string, { uid: string; at: number }>();
  private readonly abort = new AbortController();

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
  ) {}

  start(): void {
    // Metadata only where that is all the bench reads: it shares the 2 CPUs with the operator.
    const watch = (path: string, kind: string, metadataOnly = false) => {
      const loop = async () => {
        while (!this.abort.signal.aborted) {
          await this.client
            .watch<Watched>(
              path,
              { allowWatchBookmarks: false, resourceVersion: '0' },
              (e) => this.seen(kind, e.type, e.object),
              this.abort.signal,
              metadataOnly ? METADATA_WATCH : undefined,
            )
            .catch(() => undefined);
        }
      };
      void loop();
    };
    const ns = this.namespace;
    watch(`/apis/apps/v1/namespaces/${ns}/deployments`, 'Deployment');
    watch(`/apis/apps/v1/namespaces/${ns}/statefulsets`, 'StatefulSet', true);
    watch(`/apis/kafka.strimzi.io/v1/namespaces/${ns}/kafkatopics`, 'KafkaTopic', true);
    watch(`/apis/iotpipe.io/v1alpha1/namespaces/${ns}/iotpipelines`, 'IoTPipeline');
  }

  stop(): void {
    this.abort.abort();
  }

  private seen(kind: string, type: string, obj: Watched): void {
    const now = performance.now();
    const name = obj.metadata.name;
    const key = `${kind}/${name}`;
    if (type === 'DELETED') {
      this.present.delete(key);
      return;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED') return;
    const uid = obj.metadata.uid ?? '';
    if (this.present.get(key)?.uid !== uid) this.present.set(key, { uid, at: now });
    if (kind === 'IoTPipeline') {
      if (
        obj.status?.observedGeneration === 1 &&
        obj.status.schemaId !== undefined &&
        !this.statusAt.has(name)
      )
        this.statusAt.set(name, now);
      return;
    }
    const pipeline = obj.metadata.labels?.['iotpipe.io/pipeline'];
    if (!pipeline) return;
    let mine = this.children.get(pipeline);
    if (!mine) this.children.set(pipeline, (mine = new Map<string, number>()));
    if (!mine.has(key)) mine.set(key, now);
    if (kind === 'Deployment') {
      const env = obj.spec?.template?.spec?.containers?.[0]?.env ?? [];
      const value = env.find((e) => e.name === 'DATA_SINK_BATCH_SIZE')?.value;
      if (this.batchSize.get(name)?.value !== value) this.batchSize.set(name, { value, at: now });
    }
  }

  /** When a pipeline's children were all there (2 KafkaTopics, the adapter StatefulSet, 2 Deployments). */
  childrenAt(pipeline: string): number | undefined {
    const mine = this.children.get(pipeline);
    if (!mine || mine.size < 5) return undefined;
    return Math.max(...mine.values());
  }
}

/** The leader's own counters: reconciles, their mean time, and the writes it sent (leases aside). */
async function operatorCounters(log: string[], identity: string): Promise<string> {
  const port = /metrics on :(\d+)/.exec(
    log.find((l) => l.startsWith(`[${identity}]`) && l.includes('metrics on :')) ?? '',
  )?.[1];
  if (!port) return 'no metrics port';
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sum = (re: RegExp) =>
    text
      .split('\n')
      .filter((l) => re.test(l))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  const reconciles = sum(/^iotpipe_operator_reconcile_total\{/);
  const seconds = sum(/^iotpipe_operator_reconcile_duration_seconds_sum/);
  const writes = sum(
    /^iotpipe_operator_api_requests_total\{(?=.*verb="(PATCH|POST|PUT|DELETE)")(?!.*resource="leases")/,
  );
  const events = sum(/^iotpipe_operator_api_requests_total\{(?=.*resource="events")/);
  // p99 from the histogram: the first bucket bound under which 99 % of the reconciles fall.
  const buckets = text
    .split('\n')
    .filter((l) => l.startsWith('iotpipe_operator_reconcile_duration_seconds_bucket{'))
    .map((l) => ({ le: /le="([^"]+)"/.exec(l)?.[1] ?? '', n: Number(l.split(' ').at(-1)) }));
  const total = buckets.find((b) => b.le === '+Inf')?.n ?? 0;
  const p99 = buckets.find((b) => b.n >= 0.99 * total)?.le ?? '?';
  return `${reconciles} reconciles, mean ${((seconds / reconciles) * 1000).toFixed(0)} ms, p99 <= ${p99} s (histogram bucket); ${writes} API writes (${events} of them Events)`;
}

async function leaseHolder(client: KubeClient, namespace: string): Promise<string> {
  const lease = await client.get<{ spec?: { holderIdentity?: string } }>(
    `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/iotpipe-operator`,
  );
  return lease?.spec?.holderIdentity ?? '';
}

async function run(count: number): Promise<void> {
  const ns = await operatorNamespace(`operator-bench-${count}`);
  const client = new KubeClient(connectionFromKubeConfig(ns.kubeConfig));
  const log: string[] = [];
  const observer = new Observer(client, ns.name);
  const operators: ChildProcess[] = [];
  const prefix = uniqueTopic(`bench${count}`);
  const apply = (name: string, spec: Record<string, unknown> = {}) =>
    client.apply(
      `/apis/iotpipe.io/v1alpha1/namespaces/${ns.name}/iotpipelines/${name}`,
      {
        ...pipelineManifest({ name, topic: `${prefix}-${name}`, spec }),
        metadata: { name, namespace: ns.name },
      },
      'bench',
    );
  const del = (kind: 'deployments', name: string) =>
    client.delete(`/apis/apps/v1/namespaces/${ns.name}/${kind}/${name}`);
  const print = (line: string) => console.log(line);
  try {
    print(
      `== ${count} IoTPipelines (operator process, ${WORKERS || 'default'} workers; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(1)} at start)`,
    );
    observer.start();
    const leader = startOperator(ns, 'bench-leader', log);
    operators.push(leader);
    await until('leader', async () => (await leaseHolder(client, ns.name)) === 'bench-leader', 60_000);
    await until('caches synced', () => log.some((l) => l.includes('caches synced')), 60_000);
    const idle = await memory(leader.pid!);
    const standby = startOperator(ns, 'bench-standby', log);
    operators.push(standby);

    // Who burns the CPU during the burst: the operator, the API server, etcd (the rest of the
    // machine is the bench itself and whatever else runs).
    const apiserver = await pidOf(`--secure-port=${process.env.IOTPIPE_APISERVER_PORT ?? '6443'}`);
    const etcd = await pidOf(
      `--listen-client-urls=http://127.0.0.1:${process.env.IOTPIPE_ETCD_CLIENT_PORT ?? '2379'}`,
    );
    const cpu = async () => ({
      operator: await cpuSeconds(leader.pid!),
      apiserver: apiserver ? await cpuSeconds(apiserver) : NaN,
      etcd: etcd ? await cpuSeconds(etcd) : NaN,
      bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
    });
    const cpuBefore = await cpu();

    // 1. count at once.
    const names = Array.from({ length: count }, (_, i) => `p${i}`);
    const appliedAt = new Map<string, number>();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < names.length) {
          const name = names[next++]!;
          await apply(name);
          appliedAt.set(name, performance.now());
        }
      }),
    );
    const appliedIn = performance.now() - t0;
    await until('every pipeline has its children', () =>
      names.every((n) => observer.childrenAt(n) !== undefined),
    );
    const childrenIn = Math.max(...names.map((n) => observer.childrenAt(n)!)) - t0;
    await until('every status written', () => names.every((n) => observer.statusAt.has(n)));
    const statusIn = Math.max(...names.map((n) => observer.statusAt.get(n)!)) - t0;
    const burst = names.map((n) => observer.childrenAt(n)! - appliedAt.get(n)!);
    const afterBurst = await memory(leader.pid!);
    print(
      `burst: applied in ${ms(appliedIn)}; every pipeline's children after ${ms(childrenIn)}; every status after ${ms(statusIn)}`,
    );
    print(`burst apply -> children (mostly queueing): ${stats(burst)}`);
    print(`leader after the burst: ${await operatorCounters(log, 'bench-leader')}`);
    const cpuAfter = await cpu();
    const used = (k: keyof typeof cpuAfter) => (cpuAfter[k] - cpuBefore[k]).toFixed(1);
    print(
      `CPU seconds during the burst: operator ${used('operator')}, kube-apiserver ${used('apiserver')}, etcd ${used('etcd')}, bench ${used('bench')} (wall ${(statusIn / 1000).toFixed(1)} s on ${cpus().length} CPUs)`,
    );

    // 2. Single changes with all of them in place.
    const single: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const name = `single${i}`;
      const t = performance.now();
      await apply(name);
      single.push((await until('children', () => observer.childrenAt(name))) - t);
    }
    print(`one new pipeline among them, apply -> children: ${stats(single)}`);
    const change: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const name = names[Math.floor((i * count) / SAMPLES)]!;
      const t = performance.now();
      await apply(name, { sink: { batchSize: 500 + i } });
      const seen = await until('the sink rolled', () => {
        const b = observer.batchSize.get(`${name}-sink`);
        return b?.value === String(500 + i) ? b.at : undefined;
      });
      change.push(seen - t);
    }
    print(`spec change, apply -> sink Deployment updated: ${stats(change)}`);
    // A deleted Deployment is back when one with another uid is there (the watch may deliver
    // the deletion and the re-creation together).
    const recreated = async (key: string, t: number, timeoutMs?: number) => {
      const before = observer.present.get(key)?.uid;
      await del('deployments', key.slice('Deployment/'.length));
      return (
        (await until(
          `${key} back`,
          () => {
            const now = observer.present.get(key);
            return now && now.uid !== before ? now.at : undefined;
          },
          timeoutMs,
        )) - t
      );
    };
    const repair: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const name = `${names[Math.floor(((i + 0.5) * count) / SAMPLES)]!}-processor`;
      repair.push(await recreated(`Deployment/${name}`, performance.now()));
    }
    print(`drift, Deployment deleted -> back: ${stats(repair)}`);
    const loaded = await memory(leader.pid!);

    // 3. Failover.
    const victim = `Deployment/${names[Math.floor(count / 3)]!}-sink`;
    const tk = performance.now();
    await kill(leader, 'SIGKILL');
    const back = recreated(victim, tk, 300_000);
    await until(
      'the standby leads',
      async () => (await leaseHolder(client, ns.name)) === 'bench-standby',
      120_000,
    );
    const leadsIn = performance.now() - tk;
    const backIn = await back;
    print(
      `failover (SIGKILL): standby leads after ${ms(leadsIn)}; a Deployment deleted at the kill back after ${ms(backIn)}`,
    );
    // The new leader's first pass over every pipeline.
    await new Promise((r) => setTimeout(r, 5000));
    const newLeader = await memory(standby.pid!);

    print(
      `RSS: idle ${mib(idle)}; after the burst ${mib(afterBurst)}; after the changes ${mib(loaded)}; new leader ${mib(newLeader)}`,
    );

    // 4. A rolling update's hand-off: a new standby, then SIGTERM to the leader, which releases
    // the lease on its way out.
    const successor = startOperator(ns, 'bench-successor', log);
    operators.push(successor);
    await until(
      'the successor started',
      () => log.some((l) => l.startsWith('[bench-successor]') && l.includes('started; metrics on')),
      60_000,
    );
    const ts = performance.now();
    standby.kill('SIGTERM');
    await until(
      'the successor leads',
      async () => (await leaseHolder(client, ns.name)) === 'bench-successor',
      120_000,
    );
    print(`hand-off (SIGTERM): the successor leads after ${ms(performance.now() - ts)}`);
  } catch (err) {
    console.error(log.slice(-40).join('\n'));
    throw err;
  } finally {
    observer.stop();
    await Promise.all(operators.map((o) => kill(o, 'SIGKILL')));
    client.close();
    const t = performance.now();
    await ns.delete();
    console.log(`(namespace deleted in ${ms(performance.now() - t)})`);
  }
}

for (const count of counts) await run(count);
