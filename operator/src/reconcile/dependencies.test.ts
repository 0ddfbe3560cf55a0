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

describe('a missing Secret or key, from the kubelet report, named with its spec field and the fix', () => {
  it('a Secret that does not exist', () => {
    expect(secretProblem(pipeline, configError('secret "mqtt" not found', 'p-adapter-0', 'adapter'))).toEqual(
      {
        reason: 'SecretNotFound',
        owner: 'user',
        message:
          'Secret mqtt (spec.mqtt.credentialsSecret) not found in namespace plant: create Secret mqtt in namespace plant with keys username, password, or set spec.mqtt.credentialsSecret.name to a Secret that exists (pod p-adapter-0 container adapter: secret "mqtt" not found)',
      },
    );
    expect(secretProblem(pipeline, configError('secrets "db" not found'))?.message).toMatch(
      /^Secret db \(spec\.sink\.databaseSecret\) not found in namespace plant: create Secret db in namespace plant with keys uri, /,
    );
  });

  it('a key the Secret does not have', () => {
    expect(secretProblem(pipeline, configError("couldn't find key password in Secret plant/mqtt"))).toEqual({
      reason: 'SecretKeyNotFound',
      owner: 'user',
      message:
        "Secret mqtt has no key password (spec.mqtt.credentialsSecret.passwordKey): add key password to Secret mqtt, or set spec.mqtt.credentialsSecret.passwordKey to a key it has (pod p-sink-1 container sink: couldn't find key password in Secret plant/mqtt)",
    });
    expect(secretProblem(pipeline, configError("couldn't find key uri in Secret plant/db"))?.message).toMatch(
      /^Secret db has no key uri \(spec\.sink\.databaseSecret\.key\): add key uri to Secret db/,
    );
  });

  it('a Secret the spec does not name is still named; other reasons are not Secrets', () => {
    expect(secretProblem(pipeline, configError('secret "other" not found'))?.message).toMatch(
      /^Secret other not found in namespace plant: create Secret other in namespace plant \(pod/,
    );
    expect(secretProblem(pipeline, configError('secret "p-kafka" not found'))).toMatchObject({
      owner: 'strimzi',
      message: expect.stringMatching(
        /^Secret p-kafka \(the pipeline's KafkaUser p-kafka \(Strimzi's user operator writes it\)\) not found in namespace plant: check that Kafka cluster iotpipe runs Strimzi's entity operator with the user operator and that KafkaUser p-kafka is Ready/,
      ),
    });
    expect(
      secretProblem(pipeline, { ...configError('secret "mqtt" not found'), reason: 'ImagePullBackOff' }),
    ).toBeUndefined();
    expect(secretProblem(pipeline, configError('configmap "x" not found'))).toBeUndefined();
  });
});

/** The adapter's projected volume as the operator makes it (children/workload.ts). */
const adapterSecrets = [
  { name: 'p-kafka', keys: ['password'], optional: false },
  { name: 'iotpipe-cluster-ca-cert', keys: ['ca.crt'], optional: false },
  { name: 'mqtt', keys: ['password'], optional: false },
];

/** The kubelet's FailedMount Event on a pod, as its volume plugins word it. */
function mountFailure(detail: string, pod = 'p-adapter-0', secrets = adapterSecrets): PodProblem {
  return {
    pod,
    container: '',
    reason: 'FailedMount',
    message: `MountVolume.SetUp failed for volume "secrets" : ${detail}`,
    secrets,
  };
}

describe('a Secret the stages read as files, from the kubelet FailedMount Event', () => {
  it('names a missing Secret of the projected volume, the first when it lists several', () => {
    expect(secretProblem(pipeline, mountFailure('secret "mqtt" not found'))).toEqual({
      reason: 'SecretNotFound',
      owner: 'user',
      message:
        'Secret mqtt (spec.mqtt.credentialsSecret) not found in namespace plant: create Secret mqtt in namespace plant with keys username, password, or set spec.mqtt.credentialsSecret.name to a Secret that exists (pod p-adapter-0: MountVolume.SetUp failed for volume "secrets" : secret "mqtt" not found)',
    });
    expect(
      secretProblem(
        pipeline,
        mountFailure('[secret "iotpipe-cluster-ca-cert" not found, secret "p-kafka" not found]'),
      ),
    ).toMatchObject({
      reason: 'SecretNotFound',
      owner: 'strimzi',
      message: expect.stringMatching(
        /^Secret iotpipe-cluster-ca-cert \(the CA of Kafka cluster iotpipe \(Strimzi's cluster operator writes it\)\) not found in namespace plant: check spec\.kafka\.cluster/,
      ),
    });
  });

  it('finds the Secret of a missing key from the pod volume: the one the spec names before the ones Strimzi writes', () => {
    expect(secretProblem(pipeline, mountFailure('references non-existent secret key: password'))).toEqual({
      reason: 'SecretKeyNotFound',
      owner: 'user',
      message:
        'Secret mqtt has no key password (spec.mqtt.credentialsSecret.passwordKey): add key password to Secret mqtt, or set spec.mqtt.credentialsSecret.passwordKey to a key it has (pod p-adapter-0: MountVolume.SetUp failed for volume "secrets" : references non-existent secret key: password)',
    });
    const withPasswordKey: IoTPipeline = {
      ...pipeline,
      spec: {
        ...pipeline.spec,
        sink: { ...pipeline.spec.sink, databaseSecret: { name: 'db', key: 'uri', passwordKey: 'pw' } },
      },
    };
    const sinkSecrets = [
      { name: 'p-kafka', keys: ['password'], optional: false },
      { name: 'db', keys: ['pw'], optional: false },
      { name: 'db', keys: ['ca.crt'], optional: true },
    ];
    expect(
      secretProblem(
        withPasswordKey,
        mountFailure('references non-existent secret key: pw', 'p-sink-0', sinkSecrets),
      )?.message,
    ).toMatch(
      /^Secret db has no key pw \(spec\.sink\.databaseSecret\.passwordKey\): add key pw to Secret db/,
    );
    // Two Secrets of the spec with that key: both named.
    const two = [
      { name: 'a', keys: ['k'], optional: false },
      { name: 'b', keys: ['k'], optional: false },
    ];
    expect(
      secretProblem(pipeline, mountFailure('references non-existent secret key: k', 'p-sink-0', two)),
    ).toMatchObject({
      reason: 'SecretKeyNotFound',
      message: expect.stringMatching(/^one of Secrets a, b has no key k: add it \(pod p-sink-0: /),
    });
    // Another volume problem is not a Secret's.
    expect(secretProblem(pipeline, mountFailure('mount failed: exit status 32'))).toBeUndefined();
  });
});

describe('DependenciesReady names the first missing dependency', () => {
  it('a Secret the kubelet reports missing comes first', () => {
    expect(check([configError('secret "db" not found')], ready)).toMatchObject({
      status: 'False',
      reason: 'SecretNotFound',
    });
    expect(check([configError('secret "db" not found')])).toMatchObject({ reason: 'SecretNotFound' });
  });

  it('a Secret Strimzi writes comes after the Kafka cluster, whose absence is its cause', () => {
    const strimzis = [mountFailure('secret "p-kafka" not found')];
    expect(check(strimzis)).toMatchObject({ reason: 'KafkaClusterNotFound' });
    expect(check(strimzis, ready)).toMatchObject({
      reason: 'SecretNotFound',
      message: expect.stringContaining("Secret p-kafka (the pipeline's KafkaUser p-kafka"),
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
