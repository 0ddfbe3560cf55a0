// What the API server itself refuses in an IoTPipeline, through the client library a program
// would use (@kubernetes/client-node; server-side dry runs, nothing stored): one message per
// mistake naming its field, misspelt fields refused whatever the client asks for, the MQTT
// filter matrix against the simulator's prefix, and the fields that cannot change in place.
// No operator runs here: this is the CRD's schema and CEL rules in a real kube-apiserver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiException, CustomObjectsApi, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import type { TestNamespace } from '../../local/src/cluster/testing.js';
import { filterCoversSimulator } from '../../operator/src/crd/mqtt.js';
import { SIMULATOR_PREFIXES, TOPIC_FILTERS } from '../../operator/src/crd/mqtt-cases.js';
import { applyAsUser, operatorNamespace, pipelineManifest } from './support.js';

const PIPELINES = { group: 'iotpipe.io', version: 'v1alpha1', plural: 'iotpipelines' } as const;

let ns: TestNamespace;
beforeAll(async () => {
  ns = await operatorNamespace('validation');
});
afterAll(async () => {
  await ns?.delete();
});

interface Cause {
  reason?: string;
  message?: string;
  field?: string;
}

/** The causes of the API server's refusal, or [] when it accepted the object. */
async function refusal(
  body: Record<string, unknown>,
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict',
): Promise<{ code?: number; causes: Cause[]; message: string }> {
  try {
    await ns.kubeConfig.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      ...PIPELINES,
      namespace: ns.name,
      body,
      dryRun: 'All',
      ...(fieldValidation ? { fieldValidation } : {}),
    });
    return { causes: [], message: '' };
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const status = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as {
      message?: string;
      details?: { causes?: Cause[] };
    };
    return { code: err.code, causes: status.details?.causes ?? [], message: status.message ?? '' };
  }
}

/** A spec to edit: kafka and sink (always in the manifest) and anything else, as plain records. */
interface Spec {
  kafka: Record<string, unknown>;
  sink: Record<string, unknown>;
  [field: string]: unknown;
}

/** A pipeline manifest with `edit` applied to a copy of its spec (set or delete fields). */
function manifestWith(edit: (spec: Spec) => void, name = 'valid'): Record<string, unknown> {
  const m = pipelineManifest({ name, topic: 'readings' }) as unknown as {
    metadata: { name: string };
    spec: Spec;
  };
  edit(m.spec);
  return m;
}

describe('IoTPipeline validation by the API server', () => {
  it('accepts the minimal pipeline', async () => {
    expect(await refusal(manifestWith(() => undefined))).toEqual({ causes: [], message: '' });
  });

  // One mistake each: exactly one cause, naming the field. Among them the issue's: a missing
  // kafka.topic (no "<nil>: some validation rules were not checked"), partitions 0 (no second
  // error about sink replicas), the name rule (metadata.name, not <nil>).
  it.each<[string, (spec: Spec) => void, string, string]>([
    ['a missing kafka.topic', (s) => delete s.kafka.topic, 'spec.kafka.topic', 'Required value'],
    ['a missing kafka', (s) => Reflect.deleteProperty(s, 'kafka'), 'spec.kafka', 'Required value'],
    ['a missing sink', (s) => Reflect.deleteProperty(s, 'sink'), 'spec.sink', 'Required value'],
    [
      'a missing database Secret key',
      (s) => delete (s.sink.databaseSecret as Record<string, unknown>).key,
      'spec.sink.databaseSecret.key',
      'Required value',
    ],
    ['partitions 0', (s) => (s.kafka.partitions = 0), 'spec.kafka.partitions', 'greater than or equal to 1'],
    ['replicas 0', (s) => (s.kafka.replicas = 0), 'spec.kafka.replicas', 'greater than or equal to 1'],
    [
      'minInSyncReplicas 40',
      (s) => (s.kafka.minInSyncReplicas = 40),
      'spec.kafka.minInSyncReplicas',
      'less than or equal to 32',
    ],
    [
      'minInSyncReplicas equal to replicas',
      (s) => Object.assign(s.kafka, { replicas: 3, minInSyncReplicas: 3 }),
      'spec.kafka.minInSyncReplicas',
      'must be less than replicas',
    ],
    [
      'more sink replicas than partitions',
      (s) => ((s.kafka.partitions = 2), (s.sink = { ...s.sink, replicas: 3 })),
      'spec.sink.replicas',
      'must not exceed kafka.partitions',
    ],
    ['a topic name Kafka rejects', (s) => (s.kafka.topic = 'bad topic!'), 'spec.kafka.topic', 'should match'],
    [
      'a DLQ topic equal to the topic',
      (s) => (s.kafka.dlqTopic = 'readings'),
      'spec.kafka.dlqTopic',
      'must differ from topic',
    ],
    [
      'an unknown compatibility level',
      (s) => (s.schema = { compatibility: 'SOMETIMES' }),
      'spec.schema.compatibility',
      'must be one of BACKWARD',
    ],
    [
      'an unknown payload format',
      (s) => (s.mqtt = { payloadFormats: ['xml'] }),
      'spec.mqtt.payloadFormats[0]',
      'must be one of simulator',
    ],
    [
      'a subject the workloads would not use',
      (s) => (s.schema = { subject: 'other' }),
      'spec.schema.subject',
      "must be '<kafka.topic>-value'",
    ],
    [
      'an MQTT filter with # inside',
      (s) => (s.mqtt = { topicFilters: ['a/#/b'] }),
      'spec.mqtt.topicFilters[0]',
      'should match',
    ],
    [
      'a too long consumer group',
      (s) => (s.sink = { ...s.sink, consumerGroup: 'g'.repeat(256) }),
      'spec.sink.consumerGroup',
      'at most 255 characters',
    ],
    [
      'a threshold with min above max',
      (s) => (s.processor = { thresholds: { temperature: { min: 50, max: 10 } } }),
      'spec.processor.thresholds[temperature].min',
      'min must be less than max',
    ],
    [
      '65 thresholds',
      (s) =>
        (s.processor = {
          thresholds: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, { max: 1 }])),
        }),
      'spec.processor.thresholds',
      'at most 64 entries',
    ],
    [
      'alerts written to the DLQ topic',
      (s) => (s.processor = { alertsTopic: 'readings-dlq' }),
      'spec.processor.alertsTopic',
      'must differ from kafka.topic',
    ],
    [
      'readings written to the shared alerts topic',
      (s) => (s.kafka.topic = 'iot-alerts'),
      'spec.kafka.topic',
      'shared alerts topic',
    ],
    [
      'a simulator publishing outside the filters',
      (s) => ((s.mqtt = { topicFilters: ['ruuvi/#'] }), (s.simulator = {})),
      'spec.simulator.topicPrefix',
      'must be matched by one of mqtt.topicFilters',
    ],
    [
      'a Ruuvi topic prefix no filter covers',
      (s) => (s.mqtt = { ruuviTopicPrefix: 'home/ruuvi' }),
      'spec.mqtt.ruuviTopicPrefix',
      'must be covered by one of mqtt.topicFilters',
    ],
    [
      'a Ruuvi topic prefix with an empty level',
      (s) => (s.mqtt = { ruuviTopicPrefix: 'home//ruuvi', topicFilters: ['#'] }),
      'spec.mqtt.ruuviTopicPrefix',
      'should match',
    ],
    [
      'a Ruuvi topic prefix with an empty level that no filter covers either (the pattern only)',
      (s) => (s.mqtt = { ruuviTopicPrefix: 'home//ruuvi' }),
      'spec.mqtt.ruuviTopicPrefix',
      'should match',
    ],
    [
      "a Ruuvi topic prefix inside the simulator's topics",
      (s) => (s.mqtt = { ruuviTopicPrefix: 'iotpipe/sim/gw', topicFilters: ['#'] }),
      'spec.mqtt.ruuviTopicPrefix',
      "must not overlap the simulator's iotpipe/sim topics",
    ],
    ['a misspelt field (partitons)', (s) => (s.kafka.partitons = 3), 'spec.kafka', 'unknown field'],
    ['a misspelt top-level spec field (sinks)', (s) => (s.sinks = {}), 'spec', 'unknown field'],
    [
      'a misspelt nested field (usrnameKey)',
      (s) => (s.mqtt = { credentialsSecret: { name: 'mqtt', usrnameKey: 'u' } }),
      'spec.mqtt.credentialsSecret',
      'unknown field',
    ],
  ])('refuses %s with one message naming the field', async (_what, edit, field, says) => {
    const { code, causes } = await refusal(manifestWith(edit));
    expect(code).toBe(422);
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatchObject({ field, message: expect.stringContaining(says) });
  });

  // The residue (operator/README.md): where a CEL rule walks a value, its bound must be an
  // OpenAPI maxItems/maxLength, and exceeding one makes the API server skip the CEL rules and
  // add its own field-less line.
  it('refuses 33 MQTT filters naming the field first, then the API server adds its generic line', async () => {
    const { causes } = await refusal(
      manifestWith((s) => (s.mqtt = { topicFilters: Array.from({ length: 33 }, (_, i) => `f${i}/#`) })),
    );
    expect(causes).toEqual([
      expect.objectContaining({ field: 'spec.mqtt.topicFilters', reason: 'FieldValueTooMany' }),
      expect.objectContaining({ message: expect.stringContaining('some validation rules were not checked') }),
    ]);
    expect(causes[1]?.field).toBe('<nil>');
  });

  it.each([
    ['1st-floor', 'must start with a letter'],
    ['floor.one', 'must start with a letter'],
    ['x'.repeat(36), 'at most 35 characters'],
  ])('refuses the name %s with one message on metadata.name', async (name, says) => {
    const { causes } = await refusal(manifestWith(() => undefined, name));
    expect(causes).toEqual([
      expect.objectContaining({ field: 'metadata.name', message: expect.stringContaining(says) }),
    ]);
  });

  it.each([undefined, 'Ignore', 'Warn', 'Strict'] as const)(
    'refuses a misspelt field whatever the client asks for (fieldValidation %s)',
    async (fieldValidation) => {
      const { code, causes } = await refusal(
        manifestWith((s) => (s.sink = { ...s.sink, batchsize: 10 })),
        fieldValidation,
      );
      expect(code).toBe(422);
      expect(causes).toEqual([
        expect.objectContaining({ field: 'spec.sink', message: expect.stringContaining('unknown field') }),
      ]);
    },
  );

  it('refuses a misspelt field in a server-side apply too (kubectl apply --server-side --validate=false)', async () => {
    const objects = KubernetesObjectApi.makeApiClient(ns.kubeConfig);
    const body = {
      ...manifestWith((s) => (s.kafka.retentionMS = 1)),
      metadata: { name: 'ssa', namespace: ns.name },
    };
    const err = await objects
      .patch(body as never, undefined, 'All', 'test', true, PatchStrategy.ServerSideApply)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApiException);
    expect(String((err as ApiException<unknown>).body)).toContain('spec.kafka: Forbidden: unknown field');
  });
});

describe('the simulator prefix against the MQTT filters (the CEL rule and filterCoversSimulator agree)', () => {
  it(`accepts exactly the filters that match the simulator's topics: ${SIMULATOR_PREFIXES.length} prefixes x ${TOPIC_FILTERS.length} filters`, async () => {
    const disagreements: string[] = [];
    let accepted = 0;
    for (const prefix of SIMULATOR_PREFIXES) {
      const results = await Promise.all(
        TOPIC_FILTERS.map(async (filter) => {
          const { causes } = await refusal(
            manifestWith((s) => {
              // Simulator readings only: whether a filter covers the Ruuvi gateways' prefix is
              // a rule of its own (the table above).
              s.mqtt = { topicFilters: [filter], payloadFormats: ['simulator'] };
              s.simulator = { topicPrefix: prefix };
            }),
          );
          return { filter, ok: causes.length === 0, causes };
        }),
      );
      for (const { filter, ok, causes } of results) {
        if (ok) accepted++;
        if (ok !== filterCoversSimulator(filter, prefix)) {
          disagreements.push(
            `${filter} vs ${prefix}: API server ${ok ? 'accepts' : `refuses (${JSON.stringify(causes)})`}`,
          );
        }
      }
    }
    expect(disagreements).toEqual([]);
    // The matrix exercises both answers.
    expect(accepted).toBeGreaterThan(20);
    expect(accepted).toBeLessThan(SIMULATOR_PREFIXES.length * TOPIC_FILTERS.length - 20);
  });

  it('one covering filter among others is enough', async () => {
    const { causes } = await refusal(
      manifestWith((s) => {
        s.mqtt = { topicFilters: ['ruuvi/#', '+/sim/#'] };
        s.simulator = { topicPrefix: 'site1/sim' };
      }),
    );
    expect(causes).toEqual([]);
  });
});

describe('fields that cannot change in place', () => {
  beforeAll(async () => {
    await applyAsUser(ns.kubeConfig, ns.name, pipelineManifest({ name: 'fixed', topic: 'fixed-readings' }));
  });

  /** A server-side apply (dry run) of the stored pipeline with `edit` applied to its spec. */
  async function change(edit: (spec: Spec) => void): Promise<string | undefined> {
    const m = pipelineManifest({ name: 'fixed', topic: 'fixed-readings' }) as unknown as {
      metadata: Record<string, unknown>;
      spec: Spec;
    };
    edit(m.spec);
    const objects = KubernetesObjectApi.makeApiClient(ns.kubeConfig);
    return objects
      .patch(
        { ...m, metadata: { ...m.metadata, namespace: ns.name } } as never,
        undefined,
        'All',
        'test',
        true,
        PatchStrategy.ServerSideApply,
      )
      .then(
        () => undefined,
        (e: unknown) => String((e as ApiException<unknown>).body),
      );
  }

  it('refuses a new topic with one message (not also one about its default DLQ name)', async () => {
    const refused = (await change((s) => (s.kafka.topic = 'other'))) ?? '';
    const status = JSON.parse(refused) as { details: { causes: unknown[] } };
    expect(status.details.causes).toHaveLength(1);
  });

  it.each<[string, (spec: Spec) => void, string]>([
    ['the topic', (s) => (s.kafka.topic = 'other'), 'spec.kafka.topic: Invalid value: topic is immutable'],
    [
      'the DLQ topic',
      (s) => (s.kafka.dlqTopic = 'elsewhere'),
      'spec.kafka.dlqTopic: Invalid value: dlqTopic is immutable',
    ],
    [
      'the replication factor',
      (s) => (s.kafka.replicas = 5),
      "replicas is immutable (changing a topic's replication factor needs Cruise Control)",
    ],
    ['the Kafka cluster', (s) => (s.kafka.cluster = 'other'), 'cluster is immutable'],
    ['fewer partitions', (s) => (s.kafka.partitions = 3), 'partitions cannot decrease'],
  ])('refuses a change of %s', async (_what, edit, says) => {
    const refused = await change(edit);
    expect(refused).toContain(says);
  });

  it('accepts what can change in place: more partitions, the DLQ topic spelled out as its default, retention', async () => {
    expect(await change((s) => (s.kafka.partitions = 12))).toBeUndefined();
    expect(await change((s) => (s.kafka.dlqTopic = 'fixed-readings-dlq'))).toBeUndefined();
    expect(await change((s) => (s.kafka.retentionMs = 1000))).toBeUndefined();
  });
});
