/**
 * DependenciesReady: what the pipeline needs and does not make, naming the first that is missing
 * and how to fix it: a Secret or a key of one that the spec names (the MQTT credentials, the
 * database), then the Strimzi Kafka cluster, then the Secrets Strimzi writes for the pipeline
 * (its KafkaUser's, the cluster CA's: missing while the cluster or its user operator is not
 * there, so the cluster is the cause to name first).
 *
 * The operator may not read Secrets (issue 18: no cluster-wide Secret read; its RBAC has none),
 * so a missing Secret or key is known from the kubelet, which reports it on the pod that cannot
 * start: a Secret referenced from the environment as the container's waiting reason
 * (CreateContainerConfigError), one the stage reads as a file (the projected volume `secrets`)
 * only as a FailedMount Event of the pod, which the operator watches. Pure: the caller looks the
 * cluster and the pods' reports up.
 */
import { clusterCaSecretName, kafkaUserName } from '../children/names.js';
import type { IoTPipeline } from '../crd/iotpipeline.js';
import type { ConditionState } from './conditions.js';
import type { ObservedKafka, SecretSource } from './observed.js';

/** The kubelet's report of what keeps a pod's containers from running. */
export interface PodProblem {
  pod: string;
  /** '' for a pod-level report (a volume the kubelet cannot mount). */
  container: string;
  /** A container's waiting reason, or FailedMount (the kubelet's Event). */
  reason: string;
  message: string;
  /** The Secrets (and keys) the pod's projected volume names: which Secret a missing key is of. */
  secrets?: readonly SecretSource[];
}

/** The reason of a pod-level report from the kubelet's FailedMount Event. */
export const FAILED_MOUNT = 'FailedMount';

export interface DependencyLookups {
  kafka(name: string): ObservedKafka | undefined;
  /** What the kubelet reports on the pipeline's pods, in a stable order. */
  podProblems(): readonly PodProblem[];
}

/** A Secret the pipeline's workloads read, who provides it, and the spec fields that name it. */
interface SecretNeed {
  name: string;
  /** user: the spec names it (its author makes it); strimzi: Strimzi's operators write it. */
  owner: 'user' | 'strimzi';
  field: string;
  keys: Array<{ key: string; field?: string }>;
}

function secretNeeds(pipeline: IoTPipeline): SecretNeed[] {
  const { mqtt, sink } = pipeline.spec;
  const needs: SecretNeed[] = [];
  if (mqtt.credentialsSecret) {
    needs.push({
      name: mqtt.credentialsSecret.name,
      owner: 'user',
      field: 'spec.mqtt.credentialsSecret',
      keys: [
        { key: mqtt.credentialsSecret.usernameKey, field: 'spec.mqtt.credentialsSecret.usernameKey' },
        { key: mqtt.credentialsSecret.passwordKey, field: 'spec.mqtt.credentialsSecret.passwordKey' },
      ],
    });
  }
  const db = sink.databaseSecret;
  needs.push({
    name: db.name,
    owner: 'user',
    field: 'spec.sink.databaseSecret',
    keys: [
      { key: db.key, field: 'spec.sink.databaseSecret.key' },
      ...(db.passwordKey !== undefined
        ? [{ key: db.passwordKey, field: 'spec.sink.databaseSecret.passwordKey' }]
        : []),
    ],
  });
  needs.push({
    name: kafkaUserName(pipeline),
    owner: 'strimzi',
    field: `the pipeline's KafkaUser ${kafkaUserName(pipeline)} (Strimzi's user operator writes it)`,
    keys: [{ key: 'password' }],
  });
  needs.push({
    name: clusterCaSecretName(pipeline),
    owner: 'strimzi',
    field: `the CA of Kafka cluster ${pipeline.spec.kafka.cluster} (Strimzi's cluster operator writes it)`,
    keys: [{ key: 'ca.crt' }],
  });
  return needs;
}

/** How to fix a missing Secret or key, for whoever reads the condition. */
function fixFor(
  pipeline: IoTPipeline,
  need: SecretNeed | undefined,
  name: string,
  missingKey?: string,
): string {
  const { namespace } = pipeline.metadata;
  if (need?.owner === 'strimzi') {
    return need.name === kafkaUserName(pipeline)
      ? `check that Kafka cluster ${pipeline.spec.kafka.cluster} runs Strimzi's entity operator with the user operator and that KafkaUser ${need.name} is Ready`
      : `check spec.kafka.cluster and that Strimzi's cluster operator runs Kafka cluster ${pipeline.spec.kafka.cluster} in namespace ${namespace}`;
  }
  if (missingKey !== undefined) {
    const field = need?.keys.find((k) => k.key === missingKey)?.field;
    return `add key ${missingKey} to Secret ${name}${field ? `, or set ${field} to a key it has` : ''}`;
  }
  const keys = need ? need.keys.map((k) => k.key).join(', ') : undefined;
  return `create Secret ${name} in namespace ${namespace}${keys ? ` with keys ${keys}` : ''}${need ? `, or set ${need.field}.name to a Secret that exists` : ''}`;
}

/**
 * What the kubelet says when a Secret or key is missing: for an env var (pkg/kubelet
 * makeEnvironmentVariables: the secret manager's NotFound error, or its own message for a key);
 * for a volume (the volume plugin's error in the FailedMount Event: the same NotFound error, one
 * per Secret of a projected volume in brackets, and "references non-existent secret key: <key>",
 * which does not say of which Secret).
 */
const SECRET_NOT_FOUND = /\bsecrets? "([^"]+)" not found/;
const SECRET_KEY_NOT_FOUND = /couldn't find key (\S+) in Secret ([^/\s]+)\/(\S+)/;
const VOLUME_KEY_NOT_FOUND = /references non-existent secret key: ([^\s,\]]+)/;

export interface SecretProblem {
  reason: 'SecretNotFound' | 'SecretKeyNotFound';
  message: string;
  /** Who provides the Secret: a user's is named before the Kafka cluster, Strimzi's after. */
  owner: 'user' | 'strimzi';
}

/** The missing Secret or key a kubelet's report names, with the spec field that refers to it and the fix. Pure. */
export function secretProblem(pipeline: IoTPipeline, problem: PodProblem): SecretProblem | undefined {
  if (problem.reason !== 'CreateContainerConfigError' && problem.reason !== FAILED_MOUNT) return undefined;
  const { namespace } = pipeline.metadata;
  const needs = secretNeeds(pipeline);
  const where = problem.container
    ? `pod ${problem.pod} container ${problem.container}`
    : `pod ${problem.pod}`;
  const seen = `(${where}: ${problem.message})`;
  const ownerOf = (need: SecretNeed | undefined) => need?.owner ?? 'user';
  const keyMissing = (name: string, key: string): SecretProblem => {
    const need = needs.find((n) => n.name === name);
    const field =
      need?.keys.find((k) => k.key === key)?.field ?? (need?.owner === 'user' ? need.field : undefined);
    return {
      reason: 'SecretKeyNotFound',
      message: `Secret ${name} has no key ${key}${field ? ` (${field})` : ''}: ${fixFor(pipeline, need, name, key)} ${seen}`,
      owner: ownerOf(need),
    };
  };
  const envKey = SECRET_KEY_NOT_FOUND.exec(problem.message);
  if (envKey) return keyMissing(envKey[3] ?? '', envKey[1] ?? '');
  const absent = SECRET_NOT_FOUND.exec(problem.message);
  if (absent) {
    const name = absent[1] ?? '';
    const need = needs.find((n) => n.name === name);
    return {
      reason: 'SecretNotFound',
      message: `Secret ${name}${need ? ` (${need.field})` : ''} not found in namespace ${namespace}: ${fixFor(pipeline, need, name)} ${seen}`,
      owner: ownerOf(need),
    };
  }
  const volumeKey = problem.reason === FAILED_MOUNT ? VOLUME_KEY_NOT_FOUND.exec(problem.message) : null;
  if (volumeKey) {
    const key = volumeKey[1] ?? '';
    // The Secrets of the pod's volume that must have that key; one the spec names before one
    // Strimzi writes (Strimzi writes its keys with the Secret).
    const candidates = (problem.secrets ?? []).filter((s) => !s.optional && s.keys.includes(key));
    const byUser = candidates.filter((s) => needs.find((n) => n.name === s.name)?.owner !== 'strimzi');
    const named = byUser.length > 0 ? byUser : candidates;
    if (named.length === 1) return keyMissing(named[0]!.name, key);
    return {
      reason: 'SecretKeyNotFound',
      message: `${named.length > 1 ? `one of Secrets ${named.map((s) => s.name).join(', ')}` : 'a Secret of the pod'} has no key ${key}: add it ${seen}`,
      owner: 'user',
    };
  }
  return undefined;
}

export function dependenciesCondition(pipeline: IoTPipeline, lookups: DependencyLookups): ConditionState {
  const { namespace } = pipeline.metadata;
  const problems = lookups.podProblems().flatMap((p) => {
    const found = secretProblem(pipeline, p);
    return found ? [found] : [];
  });
  const firstOf = (owner: SecretProblem['owner']): ConditionState | undefined => {
    const found = problems.find((p) => p.owner === owner);
    return found && { status: 'False', reason: found.reason, message: found.message };
  };
  const byUser = firstOf('user');
  if (byUser) return byUser;
  const cluster = pipeline.spec.kafka.cluster;
  const kafka = lookups.kafka(cluster);
  if (!kafka) {
    return {
      status: 'False',
      reason: 'KafkaClusterNotFound',
      message: `Strimzi Kafka cluster ${cluster} (spec.kafka.cluster) not found in namespace ${namespace}: its topic operator makes the KafkaTopics and its user operator the KafkaUser; create it (the platform's Kafka chart) or set spec.kafka.cluster to one that exists`,
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
  const byStrimzi = firstOf('strimzi');
  if (byStrimzi) return byStrimzi;
  return {
    status: 'True',
    reason: 'DependenciesFound',
    message: `Kafka cluster ${cluster} Ready; no pod reports a missing Secret or key`,
  };
}
