import { describe, expect, it } from 'vitest';
import { defaultedSpec, type IoTPipeline } from '../crd/iotpipeline.js';
import { dependenciesCondition, type SecretLookup } from './dependencies.js';
import type { ObservedKafka } from './observed.js';

const pipeline: IoTPipeline = {
  apiVersion: 'iotpipe.io/v1alpha1',
  kind: 'IoTPipeline',
  metadata: { name: 'p', namespace: 'plant', uid: 'u' },
  spec: defaultedSpec({
    mqtt: { credentialsSecret: { name: 'mqtt' } },
    kafka: { topic: 'readings' },
    sink: { databaseSecret: { name: 'db', key: 'uri' } },
  }),
};

function check(secrets: Record<string, string[]>, kafka?: ObservedKafka) {
  return dependenciesCondition(pipeline, {
    secret: (name): SecretLookup =>
      name in secrets ? { found: true, keys: new Set(secrets[name]) } : { found: false },
    kafka: () => kafka,
  });
}

const ready: ObservedKafka = {
  metadata: { name: 'iotpipe', namespace: 'plant' },
  ready: { type: 'Ready', status: 'True' },
};

describe('DependenciesReady names the first missing dependency', () => {
  it('the MQTT credentials Secret, then its keys', () => {
    expect(check({})).toEqual({
      status: 'False',
      reason: 'SecretNotFound',
      message: 'Secret mqtt (spec.mqtt.credentialsSecret) not found in namespace plant',
    });
    expect(check({ mqtt: ['username'] })).toEqual({
      status: 'False',
      reason: 'SecretKeyNotFound',
      message:
        'Secret mqtt has no key password (spec.mqtt.credentialsSecret.passwordKey); its keys: username',
    });
  });

  it('then the database Secret and its key', () => {
    expect(check({ mqtt: ['username', 'password'] })).toMatchObject({
      reason: 'SecretNotFound',
      message: expect.stringContaining('Secret db (spec.sink.databaseSecret)'),
    });
    expect(check({ mqtt: ['username', 'password'], db: [] })).toMatchObject({
      reason: 'SecretKeyNotFound',
      message: 'Secret db has no key uri (spec.sink.databaseSecret.key); its keys: none',
    });
  });

  it('then the Strimzi Kafka cluster, and whether it is Ready', () => {
    const secrets = { mqtt: ['username', 'password'], db: ['uri'] };
    expect(check(secrets)).toMatchObject({
      reason: 'KafkaClusterNotFound',
      message: expect.stringContaining(
        'Strimzi Kafka cluster iotpipe (spec.kafka.cluster) not found in namespace plant',
      ),
    });
    expect(
      check(secrets, {
        ...ready,
        ready: { type: 'Ready', status: 'False', reason: 'NotEnoughNodes', message: '1 of 3' },
      }),
    ).toMatchObject({
      reason: 'KafkaClusterNotReady',
      message: 'Kafka cluster iotpipe is not Ready (NotEnoughNodes: 1 of 3)',
    });
    expect(check(secrets, ready)).toEqual({
      status: 'True',
      reason: 'DependenciesFound',
      message: 'Secrets mqtt, db with the keys used; Kafka cluster iotpipe Ready',
    });
  });
});
