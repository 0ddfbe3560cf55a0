/**
 * The acting part of the operator (runs only while this replica leads): informers on
 * IoTPipelines, on every kind of child, and on what pipelines depend on (Strimzi Kafka clusters;
 * the workloads' pods, whose waiting reasons name a missing image, Secret or key) feed a priority work queue keyed by
 * namespace/name; workers reconcile from the caches.
 *
 * Priorities: a watch event (a spec change, a child changed or deleted by hand, a pod's new
 * problem, a Kafka cluster that appeared) is `high`; what the informers list at start (every
 * pipeline, after a start or a failover), the periodic resync and timed requeues are `low`. A pipeline that is
 * not Ready is looked at again after a delay that doubles each time (from
 * OPERATOR_NOT_READY_REQUEUE_SECONDS to OPERATOR_NOT_READY_REQUEUE_MAX_SECONDS); what it waits
 * for usually arrives as a watch event first. A failed reconcile comes back with backoff.
 */
import type { OperatorConfig } from '../config.js';
import { CHILD_KINDS, KAFKA_TOPIC } from '../children/desired.js';
import { MANAGED_BY, MANAGED_BY_LABEL, PIPELINE_LABEL, resolveNames } from '../children/names.js';
import { controllingPipeline, kafkaTopicIndexKey } from '../children/topics.js';
import type { IoTPipeline } from '../crd/iotpipeline.js';
import type { KubeClient } from '../kube/client.js';
import { Informer, keyOf, type CachedObject } from '../kube/informer.js';
import { CORE_EVENT, KAFKA, POD } from '../kube/resources.js';
import { FAILED_MOUNT } from './dependencies.js';
import { EventRecorder } from './events.js';
import type { OperatorMetrics } from './metrics.js';
import {
  observeChild,
  observeKafka,
  observeMountFailure,
  observePipeline,
  observePod,
  type ObservedChild,
  type ObservedKafka,
  type ObservedMountFailure,
  type ObservedPod,
} from './observed.js';
import { backoff, WorkQueue, type Priority } from './queue.js';
import {
  describeError,
  NotLeaderError,
  PIPELINE_RESOURCE,
  ReconcileError,
  Reconciler,
  type Caches,
} from './reconciler.js';

/** The reportingController of the operator's Events. */
export const EVENT_CONTROLLER = 'iotpipe.io/operator';

export interface ControllerOptions {
  readonly schemaText: string;
  readonly isLeader: () => boolean;
}

export class Controller {
  private readonly queue: WorkQueue;
  private readonly informers: Array<Informer<CachedObject>> = [];
  private readonly caches: Caches;
  private readonly reconciler: Reconciler;
  private readonly events: EventRecorder;
  private workers: Array<Promise<void>> = [];
  private resyncTimer?: NodeJS.Timeout;
  private stopped = false;
  private synced = false;
  /** Keys the resync asked to apply in full. */
  private readonly full = new Set<string>();
  /** Consecutive not-Ready reconciles per key (the requeue delay doubles with each). */
  private readonly notReady = new Map<string, number>();
  /** Last error logged per key: a failure is logged when it starts or changes, not per retry. */
  private readonly lastError = new Map<string, string>();
  private readonly lastReady = new Map<string, boolean>();
  /** namespace/topic name -> the pipelines that use that topic (any role). */
  private readonly topicUsers = new Map<string, Set<string>>();
  private readonly topicsOf = new Map<string, string[]>();

  constructor(
    client: KubeClient,
    private readonly config: OperatorConfig,
    options: ControllerOptions,
    private readonly metrics: OperatorMetrics,
    private readonly log: (line: string) => void,
  ) {
    this.queue = new WorkQueue(config.backoffBaseMs, config.backoffMaxMs);
    const ns = config.watchNamespace;
    const managed = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
    const informer = <T extends CachedObject>(
      opts: Omit<ConstructorParameters<typeof Informer<T>>[1], 'log' | 'namespace'>,
    ) => {
      const i = new Informer<T>(client, { ...opts, namespace: ns, log });
      this.informers.push(i as unknown as Informer<CachedObject>);
      return i;
    };
    const children = new Map<string, Informer<ObservedChild>>();
    for (const kind of CHILD_KINDS) {
      children.set(
        kind.kind,
        kind === KAFKA_TOPIC
          ? // Every KafkaTopic of the namespace, not only the operator's: a topic held by another
            // KafkaTopic is a conflict, and the shared alerts topic is not the operator's.
            informer<ObservedChild>({ resource: kind, transform: observeChild, indexBy: kafkaTopicIndexKey })
          : informer<ObservedChild>({ resource: kind, labelSelector: managed, transform: observeChild }),
      );
    }
    this.caches = {
      pipelines: informer<IoTPipeline>({ resource: PIPELINE_RESOURCE, transform: observePipeline }),
      children,
      kafkas: informer<ObservedKafka>({ resource: KAFKA, transform: observeKafka }),
      pods: informer<ObservedPod>({
        resource: POD,
        labelSelector: managed,
        transform: observePod,
        indexBy: (p) => {
          const pipeline = p.metadata.labels?.[PIPELINE_LABEL];
          return pipeline ? keyOf(p.metadata.namespace, pipeline) : undefined;
        },
      }),
      // The kubelet reports a volume it cannot set up (a Secret the stages read as files) only
      // as a FailedMount Event of the pod. Events carry no labels: the field selector keeps the
      // cache to FailedMount Events of pods (any pod's; they expire with the API server's event
      // TTL, an hour by default).
      mountFailures: informer<ObservedMountFailure>({
        resource: CORE_EVENT,
        fieldSelector: `involvedObject.kind=Pod,reason=${FAILED_MOUNT}`,
        transform: observeMountFailure,
        indexBy: (e) => keyOf(e.metadata.namespace, e.pod.name),
      }),
    };
    this.events = new EventRecorder(client, {
      controller: EVENT_CONTROLLER,
      instance: config.leaderElection.identity,
      onDropped: (reason) => metrics.eventsDropped.inc({ reason }),
      log,
    });
    this.reconciler = new Reconciler(client, this.caches, this.events, {
      schemaText: options.schemaText,
      isLeader: options.isLeader,
      log,
      imagePolicy: config.imagePolicy,
    });
    this.wire();
  }

  get isSynced(): boolean {
    return this.synced;
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  private enqueue(key: string, priority: Priority): void {
    this.queue.add(key, priority);
    this.metrics.queueDepth.set(this.queue.depth);
  }

  /** Every pipeline of `namespace` for which `matches` holds. */
  private pipelinesWhere(namespace: string, matches: (p: IoTPipeline) => boolean): string[] {
    const out: string[] = [];
    for (const p of this.caches.pipelines.list()) {
      if (p.metadata.namespace === namespace && matches(p)) out.push(keyOf(namespace, p.metadata.name));
    }
    return out;
  }

  /** Files a pipeline under the names of its topics (what a KafkaTopic event is looked up by). */
  private indexTopics(p: IoTPipeline | undefined, key: string): void {
    for (const t of this.topicsOf.get(key) ?? []) {
      const users = this.topicUsers.get(t);
      users?.delete(key);
      if (users?.size === 0) this.topicUsers.delete(t);
    }
    this.topicsOf.delete(key);
    if (!p) return;
    const n = resolveNames(p);
    const topics = [...new Set([n.topic, n.dlqTopic, n.alertsTopic])].map((t) =>
      keyOf(p.metadata.namespace, t),
    );
    this.topicsOf.set(key, topics);
    for (const t of topics) {
      let users = this.topicUsers.get(t);
      if (!users) this.topicUsers.set(t, (users = new Set()));
      users.add(key);
    }
  }

  private wire(): void {
    const { pipelines, children, kafkas, pods, mountFailures } = this.caches;
    pipelines.on({
      add: (p, initial) =>
        this.enqueue(keyOf(p.metadata.namespace, p.metadata.name), initial ? 'low' : 'high'),
      update: (before, p) => {
        const key = keyOf(p.metadata.namespace, p.metadata.name);
        // The operator's own status writes come back as updates: only the spec (generation),
        // deletion and finalizers concern a reconcile.
        const specChanged = before.metadata.generation !== p.metadata.generation;
        if (
          specChanged ||
          before.metadata.deletionTimestamp !== p.metadata.deletionTimestamp ||
          (before.metadata.finalizers ?? []).join() !== (p.metadata.finalizers ?? []).join()
        ) {
          if (specChanged) this.notReady.delete(key);
          this.enqueue(key, 'high');
        }
      },
      delete: (p) => {
        const key = keyOf(p.metadata.namespace, p.metadata.name);
        this.queue.drop(key);
        this.reconciler.forget(key);
        this.notReady.delete(key);
        this.lastError.delete(key);
        this.lastReady.delete(key);
        this.full.delete(key);
        this.indexTopics(undefined, key);
      },
    });
    for (const [kind, informer] of children) {
      // A child changed or deleted (by hand or by anyone): reconcile its owner, which puts it back.
      const toOwner = (obj: ObservedChild) => {
        const owner = controllingPipeline(obj)?.name ?? obj.metadata.labels?.[PIPELINE_LABEL];
        if (owner) this.enqueue(keyOf(obj.metadata.namespace, owner), 'high');
        // A KafkaTopic also concerns the other pipelines that use or want its topic: the shared
        // alerts topic, or a topic another pipeline waits for (TopicInUse) until it is free.
        if (kind === KAFKA_TOPIC.kind) {
          const topicName = obj.spec?.topicName ?? obj.metadata.name;
          for (const key of this.topicUsers.get(keyOf(obj.metadata.namespace, topicName)) ?? []) {
            if (key !== keyOf(obj.metadata.namespace, owner ?? '')) this.enqueue(key, 'high');
          }
        }
      };
      informer.on({
        add: (obj, initial) => {
          if (!initial) toOwner(obj);
        },
        update: (_before, obj) => toOwner(obj),
        delete: toOwner,
      });
    }
    const byCluster = (k: ObservedKafka) => {
      for (const key of this.pipelinesWhere(
        k.metadata.namespace,
        (p) => p.spec.kafka.cluster === k.metadata.name,
      ))
        this.enqueue(key, 'high');
    };
    kafkas.on({
      add: (k, initial) => {
        if (!initial) byCluster(k);
      },
      update: (before, k) => {
        if (before.ready?.status !== k.ready?.status || before.ready?.message !== k.ready?.message)
          byCluster(k);
      },
      delete: byCluster,
    });
    const byPod = (p: ObservedPod) => {
      const pipeline = p.metadata.labels?.[PIPELINE_LABEL];
      if (pipeline) this.enqueue(keyOf(p.metadata.namespace, pipeline), 'high');
    };
    pods.on({
      add: (p, initial) => {
        // A FailedMount Event may have come before its pod reached the cache.
        const mountFailed = () =>
          p.creating && mountFailures.byIndex(keyOf(p.metadata.namespace, p.metadata.name)).length > 0;
        if (!initial && (p.problems.length > 0 || mountFailed())) byPod(p);
      },
      // Pods change often (the kubelet's status): only a change of their problems matters.
      update: (before, p) => {
        if (JSON.stringify(before.problems) !== JSON.stringify(p.problems) || before.creating !== p.creating)
          byPod(p);
      },
      delete: (p) => {
        if (p.problems.length > 0) byPod(p);
      },
    });
    // A FailedMount Event (new, or counted again) concerns the pipeline of a pod still waiting.
    const byMountFailure = (e: ObservedMountFailure) => {
      const pod = pods.get(e.metadata.namespace, e.pod.name);
      if (pod?.creating) byPod(pod);
    };
    mountFailures.on({
      add: (e, initial) => {
        if (!initial) byMountFailure(e);
      },
      update: (_before, e) => byMountFailure(e),
    });
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
    if (this.stopped) return;
    this.synced = true;
    this.log(
      `caches synced: ${this.caches.pipelines.size} IoTPipelines, ${[...this.caches.children.values()].reduce((n, i) => n + i.size, 0)} children`,
    );
    this.workers = Array.from({ length: this.config.workers }, () => this.work());
    // Every pipeline once per resync period, spread over it, applied in full (what a version
    // does not show: a label edited by hand).
    this.resyncTimer = setInterval(() => {
      for (const p of this.caches.pipelines.list()) {
        const key = keyOf(p.metadata.namespace, p.metadata.name);
        this.full.add(key);
        this.queue.addAfter(key, Math.floor(Math.random() * this.config.resyncMs));
      }
    }, this.config.resyncMs);
    this.resyncTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.events.stop();
    await Promise.all(this.informers.map((i) => i.stop()));
    this.queue.shutDown();
    await Promise.all(this.workers);
  }

  /** Cached objects by kind (a memory gauge). */
  cacheSizes(): Record<string, number> {
    return {
      IoTPipeline: this.caches.pipelines.size,
      ...Object.fromEntries([...this.caches.children].map(([kind, i]) => [kind, i.size])),
      Kafka: this.caches.kafkas.size,
      Pod: this.caches.pods.size,
      MountFailureEvent: this.caches.mountFailures.size,
    };
  }

  private notReadyDelay(key: string): number {
    const n = this.notReady.get(key) ?? 0;
    this.notReady.set(key, n + 1);
    return backoff(this.config.notReadyBaseMs, this.config.notReadyMaxMs, n);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.metrics.queueDepth.set(this.queue.depth);
      const slash = key.indexOf('/');
      const namespace = key.slice(0, slash);
      const name = key.slice(slash + 1);
      const full = this.full.delete(key);
      const endTimer = this.metrics.reconcileDuration.startTimer();
      try {
        const result = await this.reconciler.reconcile(namespace, name, full);
        this.queue.forget(key);
        const outcome = result.ready === undefined ? 'deleted' : result.ready ? 'ready' : 'not_ready';
        this.metrics.reconciles.inc({ result: outcome });
        if (result.ready === false) this.queue.addAfter(key, this.notReadyDelay(key));
        else this.notReady.delete(key);
        if (this.lastError.delete(key)) this.log(`${key}: reconciled again after errors`);
        if (result.ready !== undefined && this.lastReady.get(key) !== result.ready) {
          this.lastReady.set(key, result.ready);
          this.log(`${key}: ${result.ready ? 'Ready' : 'not Ready yet'}`);
        }
      } catch (err) {
        if (err instanceof NotLeaderError) continue;
        if (full) this.full.add(key);
        const reason = err instanceof ReconcileError ? err.reason : 'Error';
        this.metrics.reconciles.inc({ result: 'error' });
        this.metrics.reconcileErrors.inc({ reason });
        const message = describeError(err);
        // Retrying the same spec cannot fix a permanent failure: a change (an event) or the resync does.
        const permanent = err instanceof ReconcileError && !err.temporary;
        let next = 'permanent: waiting for a change';
        if (permanent) this.queue.forget(key);
        else next = `retrying with backoff, next in ${this.queue.addRateLimited(key)} ms`;
        // Once per distinct failure, not per retry.
        if (this.lastError.get(key) !== message) this.log(`${key}: ${message} (${next})`);
        this.lastError.set(key, message);
      } finally {
        endTimer();
        this.queue.done(key);
      }
    }
  }
}
