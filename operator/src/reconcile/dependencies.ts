/**
 * DependenciesReady: what the pipeline needs and does not make, checked in the order the
 * workloads need it, naming the first that is missing: the MQTT credentials Secret and its keys,
 * the database Secret and its key, the Strimzi Kafka cluster. Pure: the caller looks them up.
 */
import type { IoTPipeline } from '../crd/iotpipeline.js';
import type { ConditionState } from './conditions.js';
import type { ObservedKafka } from './observed.js';

/** A Secret as far as the check needs it: absent, or the names of its keys. */
export type SecretLookup = { found: false } | { found: true; keys: ReadonlySet<string> };

export interface DependencyLookups {
  secret(name: string): SecretLookup;
  kafka(name: string): ObservedKafka | undefined;
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
  return needs;
}

/** The names of the Secrets a pipeline reads (for the Secret watch to find the pipelines). */
export function secretNames(pipeline: IoTPipeline): string[] {
  return [...new Set(secretNeeds(pipeline).map((n) => n.name))];
}

export function dependenciesCondition(pipeline: IoTPipeline, lookups: DependencyLookups): ConditionState {
  const { namespace } = pipeline.metadata;
  for (const need of secretNeeds(pipeline)) {
    const secret = lookups.secret(need.name);
    if (!secret.found) {
      return {
        status: 'False',
        reason: 'SecretNotFound',
        message: `Secret ${need.name} (${need.field}) not found in namespace ${namespace}`,
      };
    }
    for (const { key, field } of need.keys) {
      if (secret.keys.has(key)) continue;
      const has = [...secret.keys].sort();
      return {
        status: 'False',
        reason: 'SecretKeyNotFound',
        message: `Secret ${need.name} has no key ${key} (${field}); its keys: ${has.length > 0 ? has.join(', ') : 'none'}`,
      };
    }
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
  const secrets = secretNames(pipeline);
  return {
    status: 'True',
    reason: 'DependenciesFound',
    message: `Secret${secrets.length > 1 ? 's' : ''} ${secrets.join(', ')} with the keys used; Kafka cluster ${cluster} Ready`,
  };
}
