/**
 * One reconcile of one IoTPipeline, level-based and idempotent. It reads the pipeline and the
 * state of everything around it from the informers' caches, applies (server-side, force) the
 * children that are missing or differ from what it applied last, registers the schema where
 * the workloads look for it, derives the conditions, writes the status when it changed and
 * records Events for what changed. Running it twice changes nothing the second time.
 *
 * What it applied last is `status.inventory` (and its copy in memory): per child the version
 * (generation; resourceVersion for Services, which have none) the API server gave it after the
 * operator's apply, and the hash of the registration. A child whose applied-hash annotation
 * and version still match is left alone, so a reconcile that finds everything in place makes no
 * write at all: a new leader goes through hundreds of pipelines in seconds. A child changed by
 * someone else has a new version and is applied again; the periodic resync (`full`) applies
 * everything regardless, for what a version does not show (a label edited by hand).
 */
import { createHash } from 'node:crypto';
import {
  API_VERSION,
  KIND,
  PLURAL,
  type ConditionType,
  type IoTPipeline,
  type IoTPipelineStatus,
} from '../crd/iotpipeline.js';
import {
  CHILD_KINDS,
  DEPLOYMENT,
  desiredChildren,
  desiredReplicas,
  KAFKA_TOPIC,
  staleChildren,
  stagesOf,
  STATEFUL_SET,
  supersededWorkloads,
  WORKLOAD_KINDS,
  workloadKind,
  type ChildObject,
} from '../children/desired.js';
import {
  APPLIED_HASH_ANNOTATION,
  childName,
  FIELD_MANAGER,
  FINALIZER,
  RETAINED_FROM_ANNOTATION,
  resolveNames,
  stableHash,
} from '../children/names.js';
import { imageRefusal, type ImagePolicy } from '../children/image-policy.js';
import { controllingPipeline, resolveTopics, topicIndexKey, type TopicUse } from '../children/topics.js';
import { KubeApiError, isNotFound, type KubeClient } from '../kube/client.js';
import { keyOf, type Informer } from '../kube/informer.js';
import { objectPath, type Resource } from '../kube/resources.js';
import { RegistryError, registryUrlFor, SchemaRegistryClient } from '../registry/client.js';
import {
  mergeConditions,
  PART_TYPES,
  PROGRESS_REASONS,
  readyCondition,
  transitions,
  type ConditionState,
} from './conditions.js';
import { dependenciesCondition, FAILED_MOUNT, type PodProblem } from './dependencies.js';
import type { EventRecorder, EventSubject } from './events.js';
import {
  observeChild,
  type ObservedChild,
  type ObservedKafka,
  type ObservedMountFailure,
  type ObservedPod,
} from './observed.js';

export const PIPELINE_RESOURCE: Resource = { apiVersion: API_VERSION, kind: KIND, plural: PLURAL };

/** A failed reconcile; `temporary` failures requeue with backoff, all show in the status. */
export class ReconcileError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    readonly temporary: boolean,
  ) {
    super(message);
    this.name = 'ReconcileError';
  }
}

/** Leadership was lost mid-reconcile: stop writing, do not requeue (the new leader will). */
export class NotLeaderError extends Error {
  constructor() {
    super('not the leader any more');
    this.name = 'NotLeaderError';
  }
}

export interface ReconcileResult {
  /** undefined: the pipeline is gone (deleted or finalized). */
  ready?: boolean;
}

/** The informers' caches a reconcile reads. */
export interface Caches {
  readonly pipelines: Informer<IoTPipeline>;
  /** Children by kind (KafkaTopic: every KafkaTopic of the namespace, indexed by topic). */
  readonly children: ReadonlyMap<string, Informer<ObservedChild>>;
  readonly kafkas: Informer<ObservedKafka>;
  /** Indexed by `<namespace>/<pipeline>`. */
  readonly pods: Informer<ObservedPod>;
  /** The kubelet's FailedMount Events, indexed by `<namespace>/<pod>`. */
  readonly mountFailures: Informer<ObservedMountFailure>;
}

export interface ReconcilerOptions {
  readonly schemaText: string;
  readonly isLeader: () => boolean;
  readonly log: (line: string) => void;
  /** Which spec.image the operator runs; a refused one gets no workload (OPERATOR_ALLOWED_REGISTRIES, ...). */
  readonly imagePolicy: ImagePolicy;
}

/** A one-line description of an error (the API server's Status message when there is one). */
export function describeError(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ');
}

function isTemporary(err: unknown): boolean {
  return err instanceof KubeApiError ? err.temporary : true;
}

/**
 * The version of a child the inventory records: its generation (which only its spec moves), or
 * for a Service, which has none, its resourceVersion (nobody else writes a headless Service).
 */
export function versionOf(kind: string, child: ObservedChild): string {
  return kind !== 'Service' && child.metadata.generation !== undefined
    ? `g${child.metadata.generation}`
    : `rv${child.metadata.resourceVersion ?? ''}`;
}

type Action = 'created' | 'updated' | 'restored';

interface Applied {
  child: ChildObject;
  observed: ObservedChild | undefined;
  action?: Action;
}

/** What one reconcile writes into the status besides the conditions. */
type StatusFields = Omit<IoTPipelineStatus, 'conditions' | 'observedGeneration'>;

/** Per pipeline, what the operator remembers between reconciles (bounded: a few small maps). */
interface Memory {
  /** The status as last written (the cache may not have it yet). */
  status?: IoTPipelineStatus;
  /** kind/name -> version, as in status.inventory. */
  inventory: Map<string, string>;
}

const SUBJECT_KIND = 'Subject';

export class Reconciler {
  private readonly memory = new Map<string, Memory>();
  private readonly registries = new Map<string, SchemaRegistryClient>();
  /** Topic claims of this process: topic index key -> the pipeline that applies its KafkaTopic. */
  private readonly claims = new Map<string, { uid: string; key: string }>();
  private readonly claimsOf = new Map<string, Set<string>>();
  private readonly schemaHash: string;

  constructor(
    private readonly client: KubeClient,
    private readonly caches: Caches,
    private readonly events: EventRecorder,
    private readonly options: ReconcilerOptions,
    private readonly resources: Readonly<Record<string, Resource>> = childResources(),
  ) {
    this.schemaHash = createHash('sha256').update(options.schemaText).digest('hex').slice(0, 16);
  }

  private guard(): void {
    if (!this.options.isLeader()) throw new NotLeaderError();
  }

  /** Drops what is remembered about a pipeline that is gone. */
  forget(key: string): void {
    this.memory.delete(key);
    this.releaseClaims(key, new Set());
  }

  async reconcile(namespace: string, name: string, full = false): Promise<ReconcileResult> {
    const key = keyOf(namespace, name);
    const pipeline = this.caches.pipelines.get(namespace, name);
    if (!pipeline) {
      this.forget(key);
      return {};
    }
    if (pipeline.metadata.deletionTimestamp) {
      await this.finalize(pipeline);
      this.forget(key);
      return {};
    }
    this.guard();
    if (!(pipeline.metadata.finalizers ?? []).includes(FINALIZER)) await this.applyFinalizer(pipeline, true);

    const memory = this.memoryOf(key, pipeline);
    const previous = memory.status ?? pipeline.status;
    const names = resolveNames(pipeline);
    const registryUrl = registryUrlFor(pipeline.spec.schema.registryUrl, namespace);
    const parts: Partial<Record<ConditionType, ConditionState>> = {};
    const fields: StatusFields = {
      topic: names.topic,
      dlqTopic: names.dlqTopic,
      ...(pipeline.spec.processor.enabled ? { alertsTopic: names.alertsTopic } : {}),
      schemaSubject: names.subject,
      registryUrl,
      replicas: desiredReplicas(pipeline),
      configHash: stableHash(pipeline.spec),
    };

    const podProblems = this.podProblemsOf(pipeline);
    parts.DependenciesReady = dependenciesCondition(pipeline, {
      kafka: (n) => this.caches.kafkas.get(namespace, n),
      podProblems: () => podProblems,
    });

    const uses = this.claimTopics(pipeline);
    const conflicts = uses.filter((u) => u.use === 'conflict');
    if (conflicts.length > 0) {
      // No second KafkaTopic for a topic, and no workloads writing to it twice.
      parts.TopicReady = {
        status: 'False',
        reason: 'TopicInUse',
        message:
          conflicts
            .map((c) => `topic ${c.topicName} (${c.role}) is held by ${c.use === 'conflict' ? c.holder : ''}`)
            .join('; ') + ': this pipeline applies no KafkaTopic and no workload until it is free',
      };
      parts.Ready = readyCondition(parts);
      await this.writeStatus(pipeline, memory, previous, parts, {
        ...fields,
        inventory: inventoryList(memory),
      });
      return { ready: false };
    }

    const schemaRegistration = this.registerSchema(
      pipeline,
      memory,
      previous,
      registryUrl,
      names.subject,
      full,
    );
    schemaRegistration.catch(() => undefined);
    // An image the policy refuses: the workloads are neither made nor changed (they keep running
    // the image they have); everything else is applied, so the pipeline is ready to go once the
    // image is fixed.
    const imageRefused = imageRefusal(pipeline.spec.image, this.options.imagePolicy);
    let applied: Applied[];
    try {
      applied = await this.applyChildren(pipeline, memory, uses, full, imageRefused === undefined);
      await this.removeStale(pipeline, uses, applied);
    } catch (err) {
      await schemaRegistration.catch(() => undefined);
      if (err instanceof NotLeaderError) throw err;
      const message = `applying children: ${describeError(err)}`;
      parts.Ready = { status: 'False', reason: 'ApplyFailed', message };
      await this.writeStatus(pipeline, memory, previous, parts, {
        ...fields,
        inventory: inventoryList(memory),
      });
      this.events.record(subjectOf(pipeline), 'Warning', 'ApplyFailed', message, 'Apply');
      throw new ReconcileError(message, 'ApplyFailed', isTemporary(err));
    }
    this.recordActions(pipeline, applied);

    const registration = await schemaRegistration;
    parts.SchemaRegistered = registration.condition;
    if (registration.id !== undefined) {
      fields.schemaId = registration.id;
      fields.schemaVersion = registration.version;
    }
    parts.TopicReady = this.topicCondition(pipeline, uses, applied);
    const workloads =
      imageRefused === undefined
        ? this.workloadCondition(applied, podProblems)
        : this.imageRefusedCondition(pipeline, imageRefused);
    parts.WorkloadsAvailable = workloads.condition;
    fields.readyReplicas = workloads.readyReplicas;
    parts.Ready = readyCondition(parts);
    await this.writeStatus(pipeline, memory, previous, parts, {
      ...fields,
      inventory: inventoryList(memory),
    });

    if (registration.error?.temporary) {
      throw new ReconcileError(registration.error.message, registration.error.reason, true);
    }
    return { ready: parts.Ready.status === 'True' };
  }

  private memoryOf(key: string, pipeline: IoTPipeline): Memory {
    let memory = this.memory.get(key);
    if (!memory) {
      memory = {
        inventory: new Map(Object.entries(pipeline.status?.inventory ?? {})),
      };
      this.memory.set(key, memory);
    }
    return memory;
  }

  /**
   * How the pipeline uses its topics (children/topics.ts), and this process's claims: two
   * pipelines reconciled at the same moment, neither KafkaTopic in the cache yet, must not both
   * make one. The check and the claim happen with no await between them.
   */
  private claimTopics(pipeline: IoTPipeline): TopicUse[] {
    const { namespace, uid } = pipeline.metadata;
    const key = keyOf(namespace, pipeline.metadata.name);
    const cluster = pipeline.spec.kafka.cluster;
    const topics = this.caches.children.get(KAFKA_TOPIC.kind);
    const uses = resolveTopics(pipeline, (topicName) =>
      topics ? topics.byIndex(topicIndexKey(namespace, cluster, topicName)) : [],
    );
    const wanted = new Set<string>();
    const out = uses.map((use): TopicUse => {
      if (use.use !== 'owned') return use;
      const claimKey = topicIndexKey(namespace, cluster, use.topicName);
      const claim = this.claims.get(claimKey);
      const alive = claim && this.caches.pipelines.get(...splitKey(claim.key))?.metadata.uid === claim.uid;
      if (claim && claim.uid !== uid && alive) {
        return { ...use, use: 'conflict', holder: `IoTPipeline ${claim.key} (it applies its KafkaTopic)` };
      }
      wanted.add(claimKey);
      this.claims.set(claimKey, { uid, key });
      return use;
    });
    this.releaseClaims(key, wanted);
    return out;
  }

  private releaseClaims(key: string, keep: ReadonlySet<string>): void {
    const mine = this.claimsOf.get(key) ?? new Set<string>();
    for (const claimKey of mine) {
      if (keep.has(claimKey)) continue;
      if (this.claims.get(claimKey)?.key === key) this.claims.delete(claimKey);
    }
    if (keep.size > 0) this.claimsOf.set(key, new Set(keep));
    else this.claimsOf.delete(key);
  }

  private cacheOf(kind: string): Informer<ObservedChild> | undefined {
    return this.caches.children.get(kind);
  }

  /** Applies the children that are missing or differ from what was applied last (all when `full`). */
  private async applyChildren(
    pipeline: IoTPipeline,
    memory: Memory,
    uses: readonly TopicUse[],
    full: boolean,
    withWorkloads: boolean,
  ): Promise<Applied[]> {
    const { namespace } = pipeline.metadata;
    const workloadKinds = new Set<string>(WORKLOAD_KINDS.map((k) => k.kind));
    const desired = desiredChildren(pipeline, uses)
      .filter((child) => withWorkloads || !workloadKinds.has(child.kind))
      .map((child) => ({
        ...child,
        metadata: {
          ...child.metadata,
          annotations: { ...child.metadata.annotations, [APPLIED_HASH_ANNOTATION]: stableHash(child) },
        },
      }));
    return Promise.all(
      desired.map(async (child): Promise<Applied> => {
        const id = `${child.kind}/${child.metadata.name}`;
        const cached = this.cacheOf(child.kind)?.get(namespace, child.metadata.name);
        const hash = child.metadata.annotations[APPLIED_HASH_ANNOTATION];
        const recorded = memory.inventory.get(id);
        const inPlace =
          cached !== undefined &&
          cached.metadata.annotations?.[APPLIED_HASH_ANNOTATION] === hash &&
          recorded !== undefined &&
          recorded === versionOf(child.kind, cached);
        if (inPlace && !full) return { child, observed: cached };
        this.guard();
        const resource = this.resources[child.kind];
        if (!resource) throw new Error(`no resource for kind ${child.kind}`);
        // Only the metadata comes back (the new generation and resourceVersion); the status is
        // the cached one until the watch brings the controllers' next report.
        const raw = await this.client.apply<Record<string, unknown>>(
          objectPath(resource, namespace, child.metadata.name),
          child,
          FIELD_MANAGER,
          { metadataOnly: true },
        );
        const meta = observeChild(raw).metadata;
        const { replicas, topicName } = child.spec;
        const observed: ObservedChild = {
          ...cached,
          metadata: meta,
          spec: {
            ...cached?.spec,
            ...(typeof replicas === 'number' ? { replicas } : {}),
            ...(typeof topicName === 'string' ? { topicName } : {}),
          },
        };
        const version = versionOf(child.kind, observed);
        const action: Action | undefined = !cached
          ? recorded === undefined
            ? 'created'
            : 'restored'
          : cached.metadata.annotations?.[APPLIED_HASH_ANNOTATION] !== hash
            ? 'updated'
            : recorded !== undefined && recorded !== version
              ? 'restored'
              : undefined;
        memory.inventory.set(id, version);
        return { child, observed, ...(action ? { action } : {}) };
      }),
    );
  }

  /**
   * Deletes what the pipeline no longer has: the Deployment and NetworkPolicy of a removed stage,
   * the PodDisruptionBudget of a stage down to one replica (staleChildren), the adapter's
   * Deployment from before it was a StatefulSet (once the StatefulSet rolled out), and releases
   * its alerts KafkaTopic when the spec no longer names an alerts topic of its own.
   */
  private async removeStale(
    pipeline: IoTPipeline,
    uses: readonly TopicUse[],
    applied: readonly Applied[],
  ): Promise<void> {
    const { namespace, uid } = pipeline.metadata;
    const owned = (kind: string, name: string) => {
      const cached = this.cacheOf(kind)?.get(namespace, name);
      return cached && controllingPipeline(cached)?.uid === uid ? cached : undefined;
    };
    for (const stale of staleChildren(pipeline)) {
      if (!owned(stale.kind.kind, stale.name)) continue;
      this.guard();
      await this.client.delete(objectPath(stale.kind, namespace, stale.name));
      this.events.record(
        subjectOf(pipeline),
        'Normal',
        'Deleted',
        `deleted ${stale.kind.kind} ${stale.name}: the spec no longer needs it`,
        'Delete',
      );
    }
    for (const { stage, kind } of supersededWorkloads(pipeline)) {
      const name = childName(pipeline, stage);
      if (!owned(kind.kind, name)) continue;
      const replacement = applied.find(
        (a) => a.child.kind === workloadKind(stage).kind && a.child.metadata.name === name,
      );
      if (!rolledOut(workloadKind(stage).kind, replacement?.observed)) continue;
      this.guard();
      await this.client.delete(objectPath(kind, namespace, name));
      this.events.record(
        subjectOf(pipeline),
        'Normal',
        'Deleted',
        `deleted the adapter's Deployment ${name}: its StatefulSet has rolled out`,
        'Delete',
      );
    }
    const alerts = owned(KAFKA_TOPIC.kind, childName(pipeline, 'alerts'));
    if (alerts && !uses.some((u) => u.role === 'alerts' && u.use === 'owned')) {
      await this.releaseTopic(pipeline, alerts);
      this.events.record(
        subjectOf(pipeline),
        'Normal',
        'Released',
        `released KafkaTopic ${alerts.metadata.name} (topic ${alerts.spec?.topicName ?? alerts.metadata.name}): the spec no longer names an alerts topic of its own; the topic is kept`,
        'Apply',
      );
    }
  }

  /** Registers the schema where the workloads look for it, unless the inventory says it is done. */
  private async registerSchema(
    pipeline: IoTPipeline,
    memory: Memory,
    previous: IoTPipelineStatus | undefined,
    registryUrl: string,
    subject: string,
    full: boolean,
  ): Promise<{ condition: ConditionState; id?: number; version?: number; error?: RegistryError }> {
    const compatibility = pipeline.spec.schema.compatibility;
    const fingerprint = stableHash({ registryUrl, subject, compatibility, schema: this.schemaHash });
    const id = `${SUBJECT_KIND}/${subject}`;
    const done = (schemaId: number, version: number) => ({
      condition: {
        status: 'True' as const,
        reason: 'Registered',
        message: `subject ${subject} version ${version} (id ${schemaId}) at ${registryUrl}, compatibility ${compatibility}`,
      },
      id: schemaId,
      version,
    });
    if (
      !full &&
      memory.inventory.get(id) === fingerprint &&
      previous?.schemaId !== undefined &&
      previous.schemaVersion !== undefined
    ) {
      return done(previous.schemaId, previous.schemaVersion);
    }
    this.guard();
    const registry = this.registryAt(registryUrl);
    try {
      await registry.setCompatibility(subject, compatibility);
      const registration = await registry.register(subject, this.options.schemaText);
      memory.inventory.set(id, fingerprint);
      return done(registration.id, registration.version);
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      memory.inventory.delete(id);
      return { condition: { status: 'False', reason: err.reason, message: err.message }, error: err };
    }
  }

  private registryAt(url: string): SchemaRegistryClient {
    let client = this.registries.get(url);
    if (!client) {
      client = new SchemaRegistryClient(url);
      this.registries.set(url, client);
    }
    return client;
  }

  /** TopicReady over every topic the pipeline uses, owned or shared. */
  private topicCondition(
    pipeline: IoTPipeline,
    uses: readonly TopicUse[],
    applied: readonly Applied[],
  ): ConditionState {
    const topics = this.cacheOf(KAFKA_TOPIC.kind);
    return topicCondition(
      pipeline.metadata.namespace,
      uses.flatMap((use): Array<{ use: TopicUse; observed?: ObservedChild }> => {
        if (use.use === 'conflict') return [];
        if (use.use === 'missing') return [{ use }];
        const observed =
          use.use === 'owned'
            ? applied.find(
                (a) => a.child.kind === KAFKA_TOPIC.kind && a.child.metadata.name === use.kafkaTopic,
              )?.observed
            : topics?.get(pipeline.metadata.namespace, use.kafkaTopic);
        return [{ use, observed }];
      }),
    );
  }

  /**
   * WorkloadsAvailable: every workload rolled out with all replicas available; else the first
   * pod problem (an image that cannot be pulled, a container that keeps crashing) or the
   * workloads still rolling out.
   */
  /**
   * What the kubelet reports on the pipeline's pods (from the caches), by pod name: the waiting
   * containers, and for a pod none of whose containers was created yet, its latest FailedMount
   * Event (of this pod: a StatefulSet's new pod has its predecessor's name, not its uid).
   */
  private podProblemsOf(pipeline: IoTPipeline): PodProblem[] {
    const { namespace, name } = pipeline.metadata;
    return this.caches.pods
      .byIndex(keyOf(namespace, name))
      .flatMap((pod): PodProblem[] => {
        const problems: PodProblem[] = pod.problems.map((p) => ({ pod: pod.metadata.name, ...p }));
        if (!pod.creating) return problems;
        const mount = this.caches.mountFailures
          .byIndex(keyOf(namespace, pod.metadata.name))
          .filter((e) => e.pod.uid === undefined || e.pod.uid === pod.metadata.uid)
          .sort((a, b) => (a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : 0))[0];
        if (mount) {
          problems.push({
            pod: pod.metadata.name,
            container: '',
            reason: FAILED_MOUNT,
            message: mount.message,
            secrets: pod.secrets,
          });
        }
        return problems;
      })
      .sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
  }

  /**
   * WorkloadsAvailable when the image policy refuses spec.image: False, naming the image and the
   * rule; the replicas are those of the workloads as they run (untouched).
   */
  private imageRefusedCondition(
    pipeline: IoTPipeline,
    refusal: string,
  ): { condition: ConditionState; readyReplicas: number } {
    const { namespace } = pipeline.metadata;
    let readyReplicas = 0;
    for (const stage of stagesOf(pipeline)) {
      const running = this.cacheOf(workloadKind(stage).kind)?.get(namespace, childName(pipeline, stage));
      readyReplicas += running?.status?.readyReplicas ?? 0;
    }
    return {
      condition: {
        status: 'False',
        reason: 'ImageNotAllowed',
        message: `spec.image: ${refusal}; no workload is created or changed (those running keep their image): set spec.image to an allowed image, or change the operator's setting`,
      },
      readyReplicas,
    };
  }

  private workloadCondition(
    applied: readonly Applied[],
    problems: readonly PodProblem[],
  ): { condition: ConditionState; readyReplicas: number } {
    const kinds = new Set<string>(WORKLOAD_KINDS.map((k) => k.kind));
    const workloads = applied.filter((a) => kinds.has(a.child.kind));
    return workloadCondition(
      workloads.map((w) => ({ kind: w.child.kind, name: w.child.metadata.name, observed: w.observed })),
      problems,
    );
  }

  private recordActions(pipeline: IoTPipeline, applied: readonly Applied[]): void {
    const by = (action: Action) =>
      applied.filter((a) => a.action === action).map((a) => `${a.child.kind} ${a.child.metadata.name}`);
    const subject = subjectOf(pipeline);
    const created = by('created');
    if (created.length > 0)
      this.events.record(subject, 'Normal', 'Created', `created ${created.join(', ')}`, 'Apply');
    const updated = by('updated');
    if (updated.length > 0)
      this.events.record(subject, 'Normal', 'Updated', `applied the spec to ${updated.join(', ')}`, 'Apply');
    const restored = by('restored');
    if (restored.length > 0) {
      this.events.record(
        subject,
        'Normal',
        'Restored',
        `put back ${restored.join(', ')} (deleted or changed by someone else)`,
        'Apply',
      );
    }
  }

  private async applyFinalizer(pipeline: IoTPipeline, present: boolean): Promise<void> {
    this.guard();
    await this.client.apply(
      objectPath(PIPELINE_RESOURCE, pipeline.metadata.namespace, pipeline.metadata.name),
      {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: {
          name: pipeline.metadata.name,
          namespace: pipeline.metadata.namespace,
          finalizers: present ? [FINALIZER] : [],
        },
      },
      FIELD_MANAGER,
      { metadataOnly: true },
    );
  }

  /** Drops the owner reference of a KafkaTopic (the garbage collector leaves it) and says where it came from. */
  private async releaseTopic(pipeline: IoTPipeline, topic: ObservedChild): Promise<void> {
    const { namespace, name, uid } = pipeline.metadata;
    this.guard();
    try {
      await this.client.mergePatch(
        objectPath(KAFKA_TOPIC, namespace, topic.metadata.name),
        {
          metadata: {
            ownerReferences: (topic.metadata.ownerReferences ?? []).filter((o) => o.uid !== uid),
            annotations: { [RETAINED_FROM_ANNOTATION]: `${namespace}/${name}` },
          },
        },
        FIELD_MANAGER,
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Deletion. deletionPolicy Retain: the KafkaTopics lose their owner reference (the garbage
   * collector leaves them) and say where they came from; the schema subject stays in the
   * registry. Delete: the KafkaTopics and the subjects (the readings', and the alerts' when the
   * pipeline owns that topic) are deleted. Every other child goes with the pipeline through its
   * owner reference. An Event says which was done.
   */
  private async finalize(pipeline: IoTPipeline): Promise<void> {
    if (!(pipeline.metadata.finalizers ?? []).includes(FINALIZER)) return;
    const { namespace, uid } = pipeline.metadata;
    const names = resolveNames(pipeline);
    const topics = (['topic', 'dlq', 'alerts'] as const)
      .map((role) => this.cacheOf(KAFKA_TOPIC.kind)?.get(namespace, childName(pipeline, role)))
      .filter((t): t is ObservedChild => t !== undefined && controllingPipeline(t)?.uid === uid);
    const described = topics.map((t) => `${t.metadata.name} (topic ${t.spec?.topicName ?? t.metadata.name})`);
    const subjects = [
      names.subject,
      ...(topics.some((t) => t.metadata.name === childName(pipeline, 'alerts'))
        ? [`${names.alertsTopic}-value`]
        : []),
    ];
    const registryUrl = registryUrlFor(pipeline.spec.schema.registryUrl, namespace);
    const subject = subjectOf(pipeline);
    if (pipeline.spec.deletionPolicy === 'Delete') {
      for (const t of topics) {
        this.guard();
        await this.client.delete(objectPath(KAFKA_TOPIC, namespace, t.metadata.name));
      }
      const registry = this.registryAt(registryUrl);
      for (const s of subjects) {
        this.guard();
        try {
          await registry.deleteSubject(s);
        } catch (err) {
          const message = `deleting schema subject ${s} at ${registryUrl}: ${describeError(err)} (the finalizer stays until it is deleted; set deletionPolicy: Retain to keep it instead)`;
          this.events.record(subject, 'Warning', 'SubjectNotDeleted', message, 'Finalize');
          throw new ReconcileError(
            message,
            'SubjectNotDeleted',
            err instanceof RegistryError ? err.temporary : true,
          );
        }
      }
      this.events.record(
        subject,
        'Normal',
        'Deleted',
        `deletionPolicy Delete: deleted ${described.length > 0 ? `KafkaTopics ${described.join(', ')}` : 'no KafkaTopic'} and schema subject${subjects.length > 1 ? 's' : ''} ${subjects.join(', ')} at ${registryUrl}`,
        'Finalize',
      );
    } else {
      for (const t of topics) await this.releaseTopic(pipeline, t);
      this.events.record(
        subject,
        'Normal',
        'Retained',
        `deletionPolicy Retain: kept ${described.length > 0 ? `KafkaTopics ${described.join(', ')} (annotated ${RETAINED_FROM_ANNOTATION})` : 'no KafkaTopic'} and schema subject ${names.subject} at ${registryUrl}`,
        'Finalize',
      );
    }
    this.options.log(
      `${namespace}/${pipeline.metadata.name}: deleted (deletionPolicy ${pipeline.spec.deletionPolicy})`,
    );
    await this.applyFinalizer(pipeline, false);
  }

  private async writeStatus(
    pipeline: IoTPipeline,
    memory: Memory,
    previous: IoTPipelineStatus | undefined,
    parts: Partial<Record<ConditionType, ConditionState>>,
    fields: StatusFields,
  ): Promise<void> {
    const generation = pipeline.metadata.generation ?? 0;
    const conditions = mergeConditions(previous?.conditions, parts, generation, new Date());
    const status: IoTPipelineStatus = {
      ...previous,
      ...fields,
      observedGeneration: generation,
      conditions,
    };
    this.recordTransitions(pipeline, previous, status);
    if (previous && stableHash(previous) === stableHash(status)) return;
    this.guard();
    await this.client.apply(
      `${objectPath(PIPELINE_RESOURCE, pipeline.metadata.namespace, pipeline.metadata.name)}/status`,
      {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name: pipeline.metadata.name, namespace: pipeline.metadata.namespace },
        status,
      },
      FIELD_MANAGER,
      { metadataOnly: true },
    );
    memory.status = status;
  }

  /**
   * Events for what the conditions say changed: a part that became True (Normal) or False
   * (Warning, and again as a series while it stays so), Ready reached or lost.
   */
  private recordTransitions(
    pipeline: IoTPipeline,
    previous: IoTPipelineStatus | undefined,
    status: IoTPipelineStatus,
  ): void {
    const subject = subjectOf(pipeline);
    const changed = transitions(previous?.conditions, status.conditions ?? []);
    for (const t of changed) {
      if (t.type === 'Ready') {
        if (t.to.status === 'True') this.events.record(subject, 'Normal', 'Ready', t.to.message);
        else if (t.from?.status === 'True')
          this.events.record(
            subject,
            t.to.status === 'False' ? 'Warning' : 'Normal',
            'NotReady',
            t.to.message,
          );
        continue;
      }
      if (t.to.status === 'True' || t.to.status === 'Unknown' || PROGRESS_REASONS.has(t.to.reason)) {
        this.events.record(subject, 'Normal', t.to.reason, `${t.type}: ${t.to.message}`);
      }
    }
    // A part that is False: every reconcile that finds it so (a series counts them). Workloads
    // still rolling out are progress, not a failure: one Normal event when that starts.
    for (const type of PART_TYPES) {
      const c = status.conditions?.find((x) => x.type === type);
      if (c?.status === 'False' && !PROGRESS_REASONS.has(c.reason)) {
        this.events.record(subject, 'Warning', c.reason, `${type}: ${c.message}`);
      }
    }
  }
}

/** The resources of the kinds a pipeline owns, by kind. */
export function childResources(): Record<string, Resource> {
  return Object.fromEntries(CHILD_KINDS.map((r) => [r.kind, r]));
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

function subjectOf(pipeline: IoTPipeline): EventSubject {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: pipeline.metadata.name,
      namespace: pipeline.metadata.namespace,
      uid: pipeline.metadata.uid,
      ...(pipeline.metadata.resourceVersion ? { resourceVersion: pipeline.metadata.resourceVersion } : {}),
    },
  };
}

/** The inventory as the status holds it: <kind>/<name> -> version, sorted. */
function inventoryList(memory: Memory): Record<string, string> {
  return Object.fromEntries([...memory.inventory].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * A Deployment or StatefulSet has rolled out its current template with all replicas available
 * (what `kubectl rollout status` waits for): the controller saw the current generation, every
 * replica runs the current template and is available, and a StatefulSet's rolling update is
 * complete (its current revision is the update revision).
 */
export function rolledOut(kind: string, observed: ObservedChild | undefined): boolean {
  const want = observed?.spec?.replicas ?? 1;
  const s = observed?.status;
  const common =
    (s?.observedGeneration ?? -1) >= (observed?.metadata?.generation ?? 0) &&
    (s?.updatedReplicas ?? 0) >= want &&
    (s?.availableReplicas ?? 0) >= want;
  if (kind !== STATEFUL_SET.kind) return common;
  return common && (s?.readyReplicas ?? 0) >= want && s?.currentRevision === s?.updateRevision;
}

/**
 * TopicReady (pure): every topic the pipeline uses (its own KafkaTopics and the shared ones),
 * each named with its role and Strimzi's verdict: Ready for the KafkaTopic's current generation.
 */
export function topicCondition(
  namespace: string,
  topics: Array<{ use: TopicUse; observed?: ObservedChild }>,
): ConditionState {
  const lines: string[] = [];
  let failed = false;
  let pending = false;
  for (const { use, observed } of topics) {
    if (use.use === 'conflict') continue;
    if (use.use === 'missing') {
      failed = true;
      lines.push(
        `shared ${use.role} topic ${use.topicName}: no KafkaTopic holds it in namespace ${namespace} (the platform's Kafka chart makes it)`,
      );
      continue;
    }
    const label = `${use.use === 'shared' ? 'shared ' : ''}KafkaTopic ${use.kafkaTopic} (${use.role} ${use.topicName})`;
    const ready = observed?.status?.conditions?.find((c) => c.type === 'Ready');
    const current = (observed?.status?.observedGeneration ?? -1) >= (observed?.metadata?.generation ?? 0);
    if (ready?.status === 'True' && current) {
      lines.push(`${label} Ready`);
    } else if (ready?.status === 'False') {
      failed = true;
      lines.push(`${label} not Ready: ${[ready.reason, ready.message].filter(Boolean).join(': ')}`);
    } else {
      pending = true;
      lines.push(`${label} not reported Ready by the topic operator yet`);
    }
  }
  const message = lines.join('; ');
  if (failed) return { status: 'False', reason: 'TopicNotReady', message };
  if (pending) return { status: 'Unknown', reason: 'TopicPending', message };
  return { status: 'True', reason: 'TopicsReady', message };
}

/** Pod waiting reasons and the condition reason each becomes. */
const POD_PROBLEM_REASONS: Record<string, string> = {
  ErrImagePull: 'ImagePullFailed',
  ImagePullBackOff: 'ImagePullFailed',
  InvalidImageName: 'ImagePullFailed',
  ErrImageNeverPull: 'ImagePullFailed',
  CreateContainerConfigError: 'ContainerConfigError',
  FailedMount: 'VolumeMountFailed',
  CrashLoopBackOff: 'CrashLoopBackOff',
};

/**
 * WorkloadsAvailable from the workloads and their pods' problems (pure): True when every
 * workload rolled out; else False, with the first pod problem as reason when there is one.
 */
export function workloadCondition(
  workloads: Array<{ kind: string; name: string; observed: ObservedChild | undefined }>,
  problems: readonly PodProblem[] = [],
): { condition: ConditionState; readyReplicas: number } {
  let readyReplicas = 0;
  const pending: string[] = [];
  for (const { kind, name, observed } of workloads) {
    readyReplicas += observed?.status?.readyReplicas ?? 0;
    if (!rolledOut(kind, observed)) {
      const want = observed?.spec?.replicas ?? 1;
      pending.push(`${kind} ${name} ${observed?.status?.availableReplicas ?? 0}/${want} available`);
    }
  }
  if (pending.length === 0) {
    const count = (kind: string) => workloads.filter((w) => w.kind === kind).length;
    return {
      condition: {
        status: 'True',
        reason: 'WorkloadsAvailable',
        message: `${count(DEPLOYMENT.kind)} Deployments and ${count(STATEFUL_SET.kind)} StatefulSet available`,
      },
      readyReplicas,
    };
  }
  const problem = problems[0];
  if (problem) {
    return {
      condition: {
        status: 'False',
        reason: POD_PROBLEM_REASONS[problem.reason] ?? 'ContainerWaiting',
        message: `pod ${problem.pod}${problem.container ? ` container ${problem.container}` : ''}: ${problem.reason}${problem.message ? `: ${problem.message}` : ''}; ${pending.join('; ')}`,
      },
      readyReplicas,
    };
  }
  return {
    condition: { status: 'False', reason: 'WorkloadsUnavailable', message: pending.join('; ') },
    readyReplicas,
  };
}
