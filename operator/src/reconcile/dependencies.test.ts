import { describe, expect, it } from 'vitest';
import { defaultedSpec, type IoTPipeline } from '../crd/iotpipeline.js';
import { dependenciesCondition, secretProblem, type PodProblem } from './dependencies.js';
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

/** A container the kubelet cannot start for want of a Secret or key (its message, as it writes it). */
function configError(message: string, pod = 'p-sink-1', container = 'sink'): PodProblem {
  return { pod, container, reason: 'CreateContainerConfigError', message };
}

function check(problems: PodProblem[], kafka?: ObservedKafka) {
  return dependenciesCondition(pipeline, { kafka: () => kafka, podProblems: () => problems });
}

const ready: ObservedKafka = {
  metadata: { name: 'iotpipe', namespace: 'plant' },
  ready: { type: 'Ready', status: 'True' },
};

describe('a missing Secret or key, from the kubelet report, named with its spec field', () => {
  it('a Secret that does not exist', () => {
    expect(secretProblem(pipeline, configError('secret "mqtt" not found', 'p-adapter-0', 'adapter'))).toEqual(
      {
        reason: 'SecretNotFound',
        message:
          'Secret mqtt (spec.mqtt.credentialsSecret) not found in namespace plant (pod p-adapter-0 container adapter: secret "mqtt" not found)',
      },
    );
    expect(secretProblem(pipeline, configError('secrets "db" not found'))?.message).toMatch(
      /^Secret db \(spec\.sink\.databaseSecret\) not found in namespace plant/,
    );
  });

  it('a key the Secret does not have', () => {
    expect(secretProblem(pipeline, configError("couldn't find key password in Secret plant/mqtt"))).toEqual({
      reason: 'SecretKeyNotFound',
      message:
        "Secret mqtt has no key password (spec.mqtt.credentialsSecret.passwordKey) (pod p-sink-1 container sink: couldn't find key password in Secret plant/mqtt)",
    });
    expect(secretProblem(pipeline, configError("couldn't find key uri in Secret plant/db"))?.message).toMatch(
      /^Secret db has no key uri \(spec\.sink\.databaseSecret\.key\)/,
    );
  });

  it('a Secret the spec does not name is still named; other reasons are not Secrets', () => {
    expect(secretProblem(pipeline, configError('secret "other" not found'))?.message).toMatch(
      /^Secret other not found in namespace plant \(pod/,
    );
    expect(secretProblem(pipeline, configError('secret "p-kafka" not found'))?.message).toMatch(
      /^Secret p-kafka \(the pipeline's KafkaUser/,
    );
    expect(
      secretProblem(pipeline, { ...configError('secret "mqtt" not found'), reason: 'ImagePullBackOff' }),
    ).toBeUndefined();
    expect(secretProblem(pipeline, configError('configmap "x" not found'))).toBeUndefined();
  });
});

describe('DependenciesReady names the first missing dependency', () => {
  it('a Secret the kubelet reports missing comes first', () => {
    expect(check([configError('secret "db" not found')], ready)).toMatchObject({
      status: 'False',
      reason: 'SecretNotFound',
    });
  });

  it('then the Strimzi Kafka cluster, and whether it is Ready', () => {
    expect(check([])).toMatchObject({
      reason: 'KafkaClusterNotFound',
      message: expect.stringContaining(
        'Strimzi Kafka cluster iotpipe (spec.kafka.cluster) not found in namespace plant',
      ),
    });
    expect(
      check([], {
        ...ready,
        ready: { type: 'Ready', status: 'False', reason: 'NotEnoughNodes', message: '1 of 3' },
      }),
    ).toMatchObject({
      reason: 'KafkaClusterNotReady',
      message: 'Kafka cluster iotpipe is not Ready (NotEnoughNodes: 1 of 3)',
    });
    expect(
      check([{ pod: 'p-sink-1', container: 'sink', reason: 'ImagePullBackOff', message: 'x' }], ready),
    ).toEqual({
      status: 'True',
      reason: 'DependenciesFound',
      message: 'Kafka cluster iotpipe Ready; no pod reports a missing Secret or key',
    });
  });
});
