/**
 * One reconcile of one IoTPipeline, level-based and idempotent: read the pipeline, server-side
 * apply every child it should own (force: the operator's fields are the operator's), register
 * the schema, derive the conditions from what is observed, write the status. Running it twice
 * changes nothing the second time.
 */
import {
  ApiException,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import {
  API_VERSION,
  GROUP,
  KIND,
  PLURAL,
  VERSION,
  type ConditionType,
  type IoTPipeline,
  type IoTPipelineStatus,
} from '../crd/iotpipeline.js';
import {
  DEPLOYMENT,
  desiredChildren,
  desiredReplicas,
  KAFKA_TOPIC,
  kafkaTopics,
  staleChildren,
  STATEFUL_SET,
  supersededWorkloads,
  WORKLOAD_KINDS,
  workloadKind,
  type ChildObject,
} from '../children/desired.js';
import {
  childName,
  FIELD_MANAGER,
  FINALIZER,
  RETAINED_FROM_ANNOTATION,
  resolveNames,
  stableHash,
} from '../children/names.js';
import { RegistryError, type Registration, type SchemaRegistryClient } from '../registry/client.js';
import { mergeConditions, readyCondition, type ConditionState } from './conditions.js';

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
  /** Look again after this long even without events (e.g. waiting for workloads). */
  requeueAfterMs?: number;
  ready?: boolean;
}

export interface ReconcilerOptions {
  readonly schemaText: string;
  readonly notReadyRequeueMs: number;
  readonly isLeader: () => boolean;
}

function httpStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** A one-line description of an API error (the API server's Status message when there is one). */
export function describeError(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as unknown;
    let message = typeof body === 'string' ? body : JSON.stringify(body);
    try {
      const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown };
      if (typeof parsed.message === 'string') message = parsed.message;
    } catch {
      // not JSON
    }
    return `HTTP ${err.code}: ${message}`.replace(/\s+/g, ' ');
  }
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ');
}

/** 5xx, 429, conflicts and network errors may pass; 4xx validation errors will not. */
function isTemporary(err: unknown): boolean {
  const code = httpStatus(err);
  return code === undefined || code >= 500 || code === 429 || code === 409 || code === 408;
}

interface Observed {
  metadata?: { generation?: number; ownerReferences?: Array<{ uid?: string }> };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    readyReplicas?: number;
    /** StatefulSet: the revision of the pods before a rolling update, and the one it rolls to. */
    currentRevision?: string;
    updateRevision?: string;
  };
}

export class Reconciler {
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;

  constructor(
    kc: KubeConfig,
    private readonly registry: SchemaRegistryClient,
    private readonly options: ReconcilerOptions,
  ) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  private guard(): void {
    if (!this.options.isLeader()) throw new NotLeaderError();
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileResult> {
    const pipeline = await this.get(namespace, name);
    if (!pipeline) return {};
    if (pipeline.metadata.deletionTimestamp) {
      await this.finalize(pipeline);
      return {};
    }
    this.guard();
    if (!(pipeline.metadata.finalizers ?? []).includes(FINALIZER)) await this.applyFinalizer(pipeline, true);

    const names = resolveNames(pipeline);
    // The schema registration and the children do not depend on each other: both at once.
    const registration = this.registerSchema(pipeline, names.subject);
    // Handled below; this keeps an early rejection from counting as unhandled meanwhile.
    registration.catch(() => undefined);
    const applied = new Map<string, Observed>();
    try {
      const children = desiredChildren(pipeline);
      const observed = await Promise.all(children.map((child) => this.apply(child)));
      children.forEach((child, i) => applied.set(`${child.kind}/${child.metadata.name}`, observed[i]!));
      for (const stale of staleChildren(pipeline)) {
        this.guard();
        await this.deleteOwned(pipeline, stale.kind.apiVersion, stale.kind.kind, stale.name);
      }
      // Upgrade from an operator that ran the adapter as a Deployment: its pods keep consuming
      // (the shared subscription splits the messages between them and the StatefulSet's) until
      // the StatefulSet has rolled out, then the Deployment goes.
      for (const { stage, kind } of supersededWorkloads(pipeline)) {
        const name = childName(pipeline, stage);
        const replacement = applied.get(`${workloadKind(stage).kind}/${name}`);
        if (!rolledOut(workloadKind(stage).kind, replacement)) continue;
        this.guard();
        await this.deleteOwned(pipeline, kind.apiVersion, kind.kind, name);
      }
    } catch (err) {
      await registration.catch(() => undefined);
      if (err instanceof NotLeaderError) throw err;
      const message = `applying children: ${describeError(err)}`;
      await this.writeStatus(pipeline, { Ready: { status: 'False', reason: 'ApplyFailed', message } }, {});
      throw new ReconcileError(message, 'ApplyFailed', isTemporary(err));
    }

    const parts: Partial<Record<ConditionType, ConditionState>> = {};
    const extra: Partial<IoTPipelineStatus> = {
      topic: names.topic,
      dlqTopic: names.dlqTopic,
      schemaSubject: names.subject,
    };
    let registryFailure: RegistryError | undefined;
    try {
      const { id, version } = await registration;
      extra.schemaId = id;
      extra.schemaVersion = version;
      parts.SchemaRegistered = {
        status: 'True',
        reason: 'Registered',
        message: `subject ${names.subject} version ${version} (id ${id}), compatibility ${pipeline.spec.schema.compatibility}`,
      };
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      registryFailure = err;
      parts.SchemaRegistered = { status: 'False', reason: err.reason, message: err.message };
    }

    parts.TopicReady = topicCondition(
      kafkaTopics(pipeline).map((t) => ({
        name: t.metadata.name,
        observed: applied.get(`${KAFKA_TOPIC.kind}/${t.metadata.name}`),
      })),
    );
    const workloadKinds = new Set<string>(WORKLOAD_KINDS.map((k) => k.kind));
    const workloads = workloadCondition(
      [...applied.entries()].flatMap(([key, observed]) => {
        const [kind = '', name = ''] = key.split('/');
        return workloadKinds.has(kind) ? [{ kind, name, observed }] : [];
      }),
    );
    parts.WorkloadsAvailable = workloads.condition;
    parts.Ready = readyCondition(parts);
    extra.replicas = desiredReplicas(pipeline);
    extra.readyReplicas = workloads.readyReplicas;
    extra.configHash = stableHash(pipeline.spec);
    await this.writeStatus(pipeline, parts, extra);

    if (registryFailure?.temporary)
      throw new ReconcileError(registryFailure.message, registryFailure.reason, true);
    const ready = parts.Ready.status === 'True';
    return ready ? { ready } : { ready, requeueAfterMs: this.options.notReadyRequeueMs };
  }

  /** Sets the subject's compatibility, then registers the record schema (both idempotent). */
  private async registerSchema(pipeline: IoTPipeline, subject: string): Promise<Registration> {
    this.guard();
    await this.registry.setCompatibility(subject, pipeline.spec.schema.compatibility);
    return this.registry.register(subject, this.options.schemaText);
  }

  private async get(namespace: string, name: string): Promise<IoTPipeline | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name,
      })) as IoTPipeline;
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw err;
    }
  }

  private async apply(child: ChildObject | KubernetesObject): Promise<Observed> {
    this.guard();
    return await this.objects.patch(
      child,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
  }

  /** Server-side applies only the operator's finalizer; applying without it removes it. */
  private async applyFinalizer(pipeline: IoTPipeline, present: boolean): Promise<void> {
    await this.apply({
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        name: pipeline.metadata.name,
        namespace: pipeline.metadata.namespace,
        finalizers: present ? [FINALIZER] : [],
      },
    });
  }

  private async deleteOwned(
    pipeline: IoTPipeline,
    apiVersion: string,
    kind: string,
    name: string,
  ): Promise<void> {
    const { namespace } = pipeline.metadata;
    try {
      const current = (await this.objects.read({
        apiVersion,
        kind,
        metadata: { name, namespace },
      })) as Observed;
      const owned = (current.metadata?.ownerReferences ?? []).some((o) => o.uid === pipeline.metadata.uid);
      if (owned) await this.objects.delete({ apiVersion, kind, metadata: { name, namespace } });
    } catch (err) {
      if (httpStatus(err) !== 404) throw err;
    }
  }

  /**
   * Deletion: the Kafka topics survive unless deletionPolicy is Delete (their owner reference is
   * dropped so the garbage collector leaves them, and an annotation says where they came from);
   * every other child goes with the pipeline through its owner reference.
   */
  private async finalize(pipeline: IoTPipeline): Promise<void> {
    if (!(pipeline.metadata.finalizers ?? []).includes(FINALIZER)) return;
    const { namespace, name, uid } = pipeline.metadata;
    for (const topic of kafkaTopics(pipeline)) {
      this.guard();
      const ref = {
        apiVersion: KAFKA_TOPIC.apiVersion,
        kind: KAFKA_TOPIC.kind,
        metadata: { name: topic.metadata.name, namespace },
      };
      try {
        if (pipeline.spec.deletionPolicy === 'Delete') {
          await this.objects.delete(ref);
          continue;
        }
        const current = await this.objects.read(ref);
        const owners = current.metadata?.ownerReferences ?? [];
        if (!owners.some((o) => o.uid === uid)) continue;
        await this.objects.patch(
          {
            ...ref,
            metadata: {
              ...ref.metadata,
              ownerReferences: owners.filter((o) => o.uid !== uid),
              annotations: { [RETAINED_FROM_ANNOTATION]: `${namespace}/${name}` },
            },
          },
          undefined,
          undefined,
          FIELD_MANAGER,
          undefined,
          PatchStrategy.MergePatch,
        );
      } catch (err) {
        if (httpStatus(err) !== 404) throw err;
      }
    }
    this.guard();
    await this.applyFinalizer(pipeline, false);
  }

  private async writeStatus(
    pipeline: IoTPipeline,
    parts: Partial<Record<ConditionType, ConditionState>>,
    extra: Partial<IoTPipelineStatus>,
  ): Promise<void> {
    this.guard();
    const generation = pipeline.metadata.generation ?? 0;
    const previous = pipeline.status;
    const status: IoTPipelineStatus = {
      ...previous,
      ...extra,
      observedGeneration: generation,
      conditions: mergeConditions(previous?.conditions, parts, generation, new Date()),
    };
    if (previous && stableHash(previous) === stableHash(status)) return;
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace: pipeline.metadata.namespace,
        plural: PLURAL,
        name: pipeline.metadata.name,
        body: {
          apiVersion: API_VERSION,
          kind: KIND,
          metadata: { name: pipeline.metadata.name, namespace: pipeline.metadata.namespace },
          status,
        },
        fieldManager: FIELD_MANAGER,
        force: true,
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  }
}

/** TopicReady: each KafkaTopic's Strimzi status says Ready for its current generation. */
export function topicCondition(
  topics: Array<{ name: string; observed: Observed | undefined }>,
): ConditionState {
  for (const { name, observed } of topics) {
    const ready = observed?.status?.conditions?.find((c) => c.type === 'Ready');
    const current = (observed?.status?.observedGeneration ?? -1) >= (observed?.metadata?.generation ?? 0);
    if (ready?.status !== 'True' || !current) {
      const why = ready?.message ?? ready?.reason ?? 'the topic operator has not reported it ready';
      return {
        status: ready?.status === 'False' ? 'False' : 'Unknown',
        reason: ready?.status === 'False' ? 'TopicNotReady' : 'TopicPending',
        message: `KafkaTopic ${name}: ${why}`,
      };
    }
  }
  return {
    status: 'True',
    reason: 'TopicsReady',
    message: `KafkaTopics ${topics.map((t) => t.name).join(', ')} ready`,
  };
}

/**
 * A Deployment or StatefulSet has rolled out its current template with all replicas available
 * (what `kubectl rollout status` waits for): the controller saw the current generation, every
 * replica runs the current template and is available, and a StatefulSet's rolling update is
 * complete (its current revision is the update revision).
 */
export function rolledOut(kind: string, observed: Observed | undefined): boolean {
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
 * WorkloadsAvailable: every workload (Deployments, the adapter's StatefulSet) rolled out its
 * current template with all replicas available; readyReplicas is their sum.
 */
export function workloadCondition(
  workloads: Array<{ kind: string; name: string; observed: Observed | undefined }>,
): {
  condition: ConditionState;
  readyReplicas: number;
} {
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
  return {
    condition: { status: 'False', reason: 'WorkloadsUnavailable', message: pending.join('; ') },
    readyReplicas,
  };
}
