/**
 * DependenciesReady: what the pipeline needs and does not make, naming the first that is missing:
 * a Secret or a key of one (the MQTT credentials, the database URL), then the Strimzi Kafka
 * cluster. The operator may not read Secrets (its RBAC has none: issue 18), so a missing Secret
 * or key is known from the kubelet, which reports it on the pod that cannot start
 * (CreateContainerConfigError); the operator names the spec field that refers to it. Pure: the
 * caller looks the cluster and the pods' reports up.
 */
import { kafkaUserName } from '../children/names.js';
import type { IoTPipeline } from '../crd/iotpipeline.js';
import type { ConditionState } from './conditions.js';
import type { ObservedKafka } from './observed.js';

/** A container's waiting state, as its pod reports it. */
export interface PodProblem {
  pod: string;
  container: string;
  reason: string;
  message: string;
}

export interface DependencyLookups {
  kafka(name: string): ObservedKafka | undefined;
  /** The waiting containers of the pipeline's pods, in a stable order. */
  podProblems(): readonly PodProblem[];
}

interface SecretNeed {
  name: string;
  keys: Array<{ key: string; field: string }>;
  field: string;
}

function secretNeeds(pipeline: IoTPipeline): SecretNeed[] {
  const { mqtt, sink } = pipeline.spec;
  const needs: SecretNeed[] = [];
  if (mqtt.credentialsSecret) {
    needs.push({
      name: mqtt.credentialsSecret.name,
      field: 'spec.mqtt.credentialsSecret',
      keys: [
        { key: mqtt.credentialsSecret.usernameKey, field: 'spec.mqtt.credentialsSecret.usernameKey' },
        { key: mqtt.credentialsSecret.passwordKey, field: 'spec.mqtt.credentialsSecret.passwordKey' },
      ],
    });
  }
  needs.push({
    name: sink.databaseSecret.name,
    field: 'spec.sink.databaseSecret',
    keys: [{ key: sink.databaseSecret.key, field: 'spec.sink.databaseSecret.key' }],
  });
  needs.push({
    name: kafkaUserName(pipeline),
    field: "the pipeline's KafkaUser (Strimzi's user operator writes it)",
    keys: [],
  });
  return needs;
}

/**
 * What the kubelet says when an env var's Secret or key is missing (pkg/kubelet
 * makeEnvironmentVariables: the secret manager's NotFound error, or its own message for a key).
 */
const SECRET_NOT_FOUND = /\bsecrets? "([^"]+)" not found/;
const SECRET_KEY_NOT_FOUND = /couldn't find key (\S+) in Secret ([^/\s]+)\/(\S+)/;

/** The missing Secret or key a kubelet's message names, with the spec field that refers to it. Pure. */
export function secretProblem(
  pipeline: IoTPipeline,
  problem: PodProblem,
): { reason: 'SecretNotFound' | 'SecretKeyNotFound'; message: string } | undefined {
  if (problem.reason !== 'CreateContainerConfigError') return undefined;
  const { namespace } = pipeline.metadata;
  const needs = secretNeeds(pipeline);
  const seen = `(pod ${problem.pod} container ${problem.container}: ${problem.message})`;
  const key = SECRET_KEY_NOT_FOUND.exec(problem.message);
  if (key) {
    const [, missing = '', , name = ''] = key;
    const need = needs.find((n) => n.name === name);
    const field = need?.keys.find((k) => k.key === missing)?.field ?? need?.field;
    return {
      reason: 'SecretKeyNotFound',
      message: `Secret ${name} has no key ${missing}${field ? ` (${field})` : ''} ${seen}`,
    };
  }
  const absent = SECRET_NOT_FOUND.exec(problem.message);
  if (absent) {
    const name = absent[1] ?? '';
    const field = needs.find((n) => n.name === name)?.field;
    return {
      reason: 'SecretNotFound',
      message: `Secret ${name}${field ? ` (${field})` : ''} not found in namespace ${namespace} ${seen}`,
    };
  }
  return undefined;
}

export function dependenciesCondition(pipeline: IoTPipeline, lookups: DependencyLookups): ConditionState {
  const { namespace } = pipeline.metadata;
  for (const problem of lookups.podProblems()) {
    const missing = secretProblem(pipeline, problem);
    if (missing) return { status: 'False', ...missing };
  }
  const cluster = pipeline.spec.kafka.cluster;
  const kafka = lookups.kafka(cluster);
  if (!kafka) {
    return {
      status: 'False',
      reason: 'KafkaClusterNotFound',
      message: `Strimzi Kafka cluster ${cluster} (spec.kafka.cluster) not found in namespace ${namespace}: its topic operator makes the KafkaTopics`,
    };
  }
  if (kafka.ready?.status !== 'True') {
    const why = [kafka.ready?.reason, kafka.ready?.message].filter(Boolean).join(': ');
    return {
      status: 'False',
      reason: 'KafkaClusterNotReady',
      message: `Kafka cluster ${cluster} is not Ready${why ? ` (${why})` : ' (Strimzi has not reported it Ready)'}`,
    };
  }
  return {
    status: 'True',
    reason: 'DependenciesFound',
    message: `Kafka cluster ${cluster} Ready; no pod reports a missing Secret or key`,
  };
}
