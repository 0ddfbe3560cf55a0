/**
 * What the operator keeps of each watched object (the informers' transforms): only the fields a
 * reconcile reads, so the cache's memory per pipeline is bounded (no managedFields, no pod
 * templates). Pure.
 */
import type { CachedObject, RawObject } from '../kube/informer.js';
import type { IoTPipeline } from '../crd/iotpipeline.js';

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export interface ObservedMeta {
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  /** Only the iotpipe.io/ annotations. */
  annotations?: Record<string, string>;
  ownerReferences?: OwnerRef[];
}

export interface ObservedCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** A child (KafkaTopic, Deployment, StatefulSet, Service, ServiceMonitor, PrometheusRule). */
export interface ObservedChild extends CachedObject {
  metadata: ObservedMeta;
  spec?: { replicas?: number; topicName?: string };
  status?: {
    observedGeneration?: number;
    conditions?: ObservedCondition[];
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    readyReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

/** A Strimzi Kafka cluster: whether it is Ready. */
export interface ObservedKafka extends CachedObject {
  metadata: ObservedMeta;
  ready?: ObservedCondition;
}

/** A Secret a pod's projected volume names, with the keys it projects. */
export interface SecretSource {
  name: string;
  keys: string[];
  optional: boolean;
}

/** A workload pod: what keeps its containers from running. */
export interface ObservedPod extends CachedObject {
  metadata: ObservedMeta;
  /** Waiting containers with a reason other than the normal start-up ones (at most 4). */
  problems: Array<{ container: string; reason: string; message: string }>;
  /**
   * No container has been created yet (Pending, every container ContainerCreating or not
   * reported): what the kubelet's FailedMount Events about it still describe.
   */
  creating: boolean;
  /** The Secrets of its projected volumes (at most 8). */
  secrets: SecretSource[];
}

/**
 * The kubelet's FailedMount Event about a pod (core/v1 Events, which the kubelet writes): the
 * only report of a volume it cannot set up, such as a Secret of the projected volume.
 */
export interface ObservedMountFailure extends CachedObject {
  metadata: ObservedMeta;
  pod: { name: string; uid?: string };
  message: string;
  /** When the kubelet last reported it (RFC 3339). */
  lastSeen: string;
}

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function meta(raw: RawObject): ObservedMeta {
  const m = record(raw.metadata);
  const annotations = Object.fromEntries(
    Object.entries(record(m.annotations)).filter(
      ([k, v]) => k.startsWith('iotpipe.io/') && typeof v === 'string',
    ),
  ) as Record<string, string>;
  const owners = Array.isArray(m.ownerReferences) ? (m.ownerReferences as OwnerRef[]) : [];
  return {
    name: str(m.name) ?? '',
    namespace: str(m.namespace) ?? '',
    uid: str(m.uid),
    resourceVersion: str(m.resourceVersion),
    generation: num(m.generation),
    creationTimestamp: str(m.creationTimestamp),
    deletionTimestamp: str(m.deletionTimestamp),
    labels: m.labels as Record<string, string> | undefined,
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    ...(owners.length > 0
      ? {
          ownerReferences: owners.map((o) => ({
            apiVersion: o.apiVersion,
            kind: o.kind,
            name: o.name,
            uid: o.uid,
            ...(o.controller ? { controller: true } : {}),
          })),
        }
      : {}),
  };
}

function conditions(value: unknown): ObservedCondition[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((c) => {
    const cond = record(c);
    return {
      type: str(cond.type),
      status: str(cond.status),
      reason: str(cond.reason),
      message: str(cond.message),
    };
  });
}

export function observeChild(raw: RawObject): ObservedChild {
  const spec = record(raw.spec);
  const status = record(raw.status);
  const keptSpec = { replicas: num(spec.replicas), topicName: str(spec.topicName) };
  return {
    metadata: meta(raw),
    ...(keptSpec.replicas !== undefined || keptSpec.topicName !== undefined ? { spec: keptSpec } : {}),
    ...(raw.status === undefined
      ? {}
      : {
          status: {
            observedGeneration: num(status.observedGeneration),
            conditions: conditions(status.conditions),
            replicas: num(status.replicas),
            updatedReplicas: num(status.updatedReplicas),
            availableReplicas: num(status.availableReplicas),
            readyReplicas: num(status.readyReplicas),
            currentRevision: str(status.currentRevision),
            updateRevision: str(status.updateRevision),
          },
        }),
  };
}

export function observeKafka(raw: RawObject): ObservedKafka {
  const ready = conditions(record(raw.status).conditions)?.find((c) => c.type === 'Ready');
  return { metadata: meta(raw), ...(ready ? { ready } : {}) };
}

/** Waiting reasons of a container that is merely starting. */
const STARTING = new Set(['ContainerCreating', 'PodInitializing']);

export function observePod(raw: RawObject): ObservedPod {
  const status = record(raw.status);
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);
  const statuses = [...list(status.initContainerStatuses), ...list(status.containerStatuses)];
  const problems = statuses.flatMap((s) => {
    const cs = record(s);
    const waiting = record(record(cs.state).waiting);
    const reason = str(waiting.reason);
    if (!reason || STARTING.has(reason)) return [];
    return [{ container: str(cs.name) ?? '', reason, message: (str(waiting.message) ?? '').slice(0, 512) }];
  });
  const creating =
    str(status.phase) !== 'Running' &&
    str(status.phase) !== 'Succeeded' &&
    str(status.phase) !== 'Failed' &&
    statuses.every((s) => STARTING.has(str(record(record(record(s).state).waiting).reason) ?? ''));
  const secrets = list(record(raw.spec).volumes).flatMap((v) =>
    list(record(record(v).projected).sources).flatMap((source) => {
      const secret = record(record(source).secret);
      const name = str(secret.name);
      if (!name) return [];
      const keys = list(secret.items).flatMap((i) => {
        const key = str(record(i).key);
        return key ? [key] : [];
      });
      return [{ name, keys, optional: secret.optional === true }];
    }),
  );
  return { metadata: meta(raw), problems: problems.slice(0, 4), creating, secrets: secrets.slice(0, 8) };
}

export function observeMountFailure(raw: RawObject): ObservedMountFailure {
  const involved = record(raw.involvedObject);
  return {
    metadata: meta(raw),
    pod: { name: str(involved.name) ?? '', uid: str(involved.uid) },
    message: (str(raw.message) ?? '').slice(0, 1024),
    lastSeen:
      str(raw.lastTimestamp) ??
      str(record(raw.series).lastObservedTime) ??
      str(raw.eventTime) ??
      str(raw.firstTimestamp) ??
      '',
  };
}

/** A pipeline as cached: the object without managedFields. */
export function observePipeline(raw: RawObject): IoTPipeline {
  const m = record(raw.metadata);
  const { managedFields: _dropped, ...metadata } = m;
  return { ...(raw as unknown as IoTPipeline), metadata: metadata as IoTPipeline['metadata'] };
}
