import { STRIMZI_CLIENT_PORT, type Stage } from '@iotpipe/contract';
import { API_VERSION, KIND, SHARED_ALERTS_TOPIC, type IoTPipeline } from '../crd/iotpipeline.js';

/** The field manager of every write the operator makes (server-side apply, status). */
export const FIELD_MANAGER = 'iotpipe-operator';
export const FINALIZER = 'iotpipe.io/finalizer';
export const PIPELINE_LABEL = 'iotpipe.io/pipeline';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'iotpipe-operator';
export const CONFIG_HASH_ANNOTATION = 'iotpipe.io/config-hash';
/**
 * On every child: the hash of what the operator applied. A child whose hash and version (see
 * status.inventory) are unchanged is not applied again.
 */
export const APPLIED_HASH_ANNOTATION = 'iotpipe.io/applied-hash';
/** Put on KafkaTopics that outlived their IoTPipeline (deletionPolicy Retain). */
export const RETAINED_FROM_ANNOTATION = 'iotpipe.io/retained-from';

export { METRICS_PORTS, STAGES, type Stage } from '@iotpipe/contract';

export function childName(
  pipeline: IoTPipeline,
  suffix: Stage | 'topic' | 'dlq' | 'alerts' | 'metrics',
): string {
  return `${pipeline.metadata.name}-${suffix}`;
}

/**
 * The pipeline's KafkaUser, its Kafka principal and the Secret Strimzi's user operator writes.
 * Suffixed: Strimzi writes a Secret of the user's name, so a pipeline named like a platform
 * Secret (timescaledb-credentials) must not get a user of that name.
 */
export function kafkaUserName(pipeline: IoTPipeline): string {
  return `${pipeline.metadata.name}-kafka`;
}

/** The Secret with the CA of the pipeline's Strimzi cluster, which Strimzi's cluster operator writes. */
export function clusterCaSecretName(pipeline: IoTPipeline): string {
  return `${pipeline.spec.kafka.cluster}-cluster-ca-cert`;
}

export function pipelineLabels(pipeline: IoTPipeline): Record<string, string> {
  return {
    'app.kubernetes.io/part-of': 'iotpipe',
    'app.kubernetes.io/instance': pipeline.metadata.name,
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [PIPELINE_LABEL]: pipeline.metadata.name,
  };
}

export function ownerReference(pipeline: IoTPipeline) {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: pipeline.metadata.name,
    uid: pipeline.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** What the spec leaves to defaults that depend on other fields (CRD defaults are constants). */
export interface ResolvedNames {
  topic: string;
  dlqTopic: string;
  /** The processor's alerts topic; {@link SHARED_ALERTS_TOPIC} unless the spec names one. */
  alertsTopic: string;
  subject: string;
  bootstrapServers: string;
  sinkGroup: string;
  processorGroup: string;
  sharedSubscriptionGroup: string;
}

export function resolveNames(pipeline: IoTPipeline): ResolvedNames {
  const { spec, metadata } = pipeline;
  return {
    topic: spec.kafka.topic,
    dlqTopic: spec.kafka.dlqTopic ?? `${spec.kafka.topic}-dlq`,
    alertsTopic: spec.processor.alertsTopic ?? SHARED_ALERTS_TOPIC,
    subject: spec.schema.subject ?? `${spec.kafka.topic}-value`,
    bootstrapServers:
      spec.kafka.bootstrapServers ?? `${spec.kafka.cluster}-kafka-bootstrap:${STRIMZI_CLIENT_PORT}`,
    sinkGroup: spec.sink.consumerGroup ?? `${metadata.namespace}.${metadata.name}-sink`,
    processorGroup: `${metadata.namespace}.${metadata.name}-processor`,
    sharedSubscriptionGroup: spec.mqtt.sharedSubscriptionGroup ?? `${metadata.namespace}.${metadata.name}`,
  };
}

export { stableHash } from '@iotpipe/contract';
