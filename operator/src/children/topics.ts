/**
 * Which Kafka topics a pipeline owns, which it shares, and which it may not use. Pure.
 *
 * A topic (by name, in one Strimzi cluster of one namespace) has at most one KafkaTopic and at
 * most one owning pipeline: two KafkaTopics for one topic are two writers of every reading.
 * - The readings topic and the DLQ are always the pipeline's own KafkaTopics (<name>-topic,
 *   <name>-dlq). When another KafkaTopic already holds that topic (another pipeline's, one
 *   retained from a deleted pipeline, or one made by hand), the pipeline gets a condition and no
 *   KafkaTopic: it is not applied at all. The exception is the KafkaTopic this same pipeline
 *   left behind under deletionPolicy Retain (same namespace/name): recreating the pipeline
 *   takes it back.
 * - The alerts topic: unset, the shared `iot-alerts` KafkaTopic the platform makes (the pipeline
 *   only reads its readiness); set, a KafkaTopic not made by a pipeline that already holds it is
 *   shared likewise, otherwise the pipeline owns <name>-alerts (and another pipeline's is a
 *   conflict).
 */
import { childName, RETAINED_FROM_ANNOTATION, resolveNames } from './names.js';
import { GROUP, KIND, type IoTPipeline } from '../crd/iotpipeline.js';
import type { ObservedChild } from '../reconcile/observed.js';

export type TopicRole = 'topic' | 'dlq' | 'alerts';

export type TopicUse =
  /** The pipeline applies (and owns) KafkaTopic `kafkaTopic`. */
  | { role: TopicRole; topicName: string; use: 'owned'; kafkaTopic: string }
  /** A KafkaTopic the pipeline does not own holds the topic: the pipeline uses it as it is. */
  | { role: TopicRole; topicName: string; use: 'shared'; kafkaTopic: string }
  /** The shared alerts topic has no KafkaTopic in the namespace. */
  | { role: TopicRole; topicName: string; use: 'missing' }
  /** Held by something the pipeline may not share: `holder` says what. */
  | { role: TopicRole; topicName: string; use: 'conflict'; holder: string };

/** Index key of a KafkaTopic: namespace, Strimzi cluster and topic name. */
export function topicIndexKey(namespace: string, cluster: string, topicName: string): string {
  return `${namespace}/${cluster}/${topicName}`;
}

/** The KafkaTopic's index key (its spec.topicName, else its name). */
export function kafkaTopicIndexKey(t: ObservedChild): string | undefined {
  const cluster = t.metadata.labels?.['strimzi.io/cluster'];
  if (!cluster) return undefined;
  return topicIndexKey(t.metadata.namespace, cluster, t.spec?.topicName ?? t.metadata.name);
}

/** The IoTPipeline that controls an object, if any. */
export function controllingPipeline(obj: ObservedChild): { name: string; uid: string } | undefined {
  const ref = obj.metadata.ownerReferences?.find(
    (o) => o.controller && o.kind === KIND && o.apiVersion.startsWith(`${GROUP}/`),
  );
  return ref ? { name: ref.name, uid: ref.uid } : undefined;
}

/** The topics a pipeline writes or reads, by role (alerts only with the processor enabled). */
export function topicRoles(pipeline: IoTPipeline): Array<{ role: TopicRole; topicName: string }> {
  const names = resolveNames(pipeline);
  return [
    { role: 'topic', topicName: names.topic },
    { role: 'dlq', topicName: names.dlqTopic },
    ...(pipeline.spec.processor.enabled ? [{ role: 'alerts' as const, topicName: names.alertsTopic }] : []),
  ];
}

function describeHolder(t: ObservedChild, namespace: string): string {
  const owner = controllingPipeline(t);
  if (owner) return `KafkaTopic ${t.metadata.name} of IoTPipeline ${namespace}/${owner.name}`;
  const retained = t.metadata.annotations?.[RETAINED_FROM_ANNOTATION];
  if (retained) return `KafkaTopic ${t.metadata.name}, kept from the deleted IoTPipeline ${retained}`;
  return `KafkaTopic ${t.metadata.name}, not made by an IoTPipeline`;
}

/** The oldest first (creation time, then name): the one Strimzi lets manage the topic. */
function byAge(a: ObservedChild, b: ObservedChild): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  return ta < tb ? -1 : ta > tb ? 1 : a.metadata.name < b.metadata.name ? -1 : 1;
}

/**
 * How the pipeline uses each of its topics, given `holders` (the namespace's KafkaTopics of the
 * pipeline's cluster that hold a topic name).
 */
export function resolveTopics(
  pipeline: IoTPipeline,
  holders: (topicName: string) => ObservedChild[],
): TopicUse[] {
  const { namespace, name, uid } = pipeline.metadata;
  const explicitAlerts = pipeline.spec.processor.alertsTopic !== undefined;
  return topicRoles(pipeline).map(({ role, topicName }): TopicUse => {
    const own = role === 'alerts' ? `${name}-alerts` : childName(pipeline, role);
    const found = holders(topicName).sort(byAge);
    const others = found.filter((t) => !(t.metadata.name === own && controllingPipeline(t)?.uid === uid));
    const mine = found.find((t) => t.metadata.name === own && controllingPipeline(t)?.uid === uid);
    if (role === 'alerts') {
      const shared = others.find((t) => controllingPipeline(t) === undefined);
      if (shared) return { role, topicName, use: 'shared', kafkaTopic: shared.metadata.name };
      if (!explicitAlerts) {
        const owned = others[0];
        return owned
          ? { role, topicName, use: 'shared', kafkaTopic: owned.metadata.name }
          : { role, topicName, use: 'missing' };
      }
    }
    // Our own KafkaTopic left by a deleted incarnation of this pipeline (Retain): taken back.
    const ours = (t: ObservedChild) =>
      t.metadata.name === own &&
      controllingPipeline(t) === undefined &&
      t.metadata.annotations?.[RETAINED_FROM_ANNOTATION] === `${namespace}/${name}`;
    const foreign = others.filter((t) => !ours(t));
    const first = foreign[0];
    // Another KafkaTopic holds it, and ours (if any, from before this check existed) is not the
    // older one: the pipeline may not write there.
    if (first && (!mine || byAge(first, mine) < 0)) {
      return { role, topicName, use: 'conflict', holder: describeHolder(first, namespace) };
    }
    return { role, topicName, use: 'owned', kafkaTopic: own };
  });
}
