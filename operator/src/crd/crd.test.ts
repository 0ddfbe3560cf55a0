import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CRD_FILE, iotPipelineCrd, iotPipelineCrdYaml } from './crd.js';
import { defaultedSpec, specField, statusField } from './iotpipeline.js';
import { applyDefaults, integer, object, rulesOf, string, type JsonSchema } from './schema.js';

const repoRoot = resolve(import.meta.dirname, '../../..');

describe('IoTPipeline CRD', () => {
  it('the committed YAML is what the generator writes (run `npm run -w operator generate-crd`)', async () => {
    const committed = await readFile(resolve(repoRoot, CRD_FILE), 'utf8');
    expect(committed).toBe(iotPipelineCrdYaml());
  });

  it('the YAML parses back to the CRD object', () => {
    expect(parse(iotPipelineCrdYaml())).toEqual(JSON.parse(JSON.stringify(iotPipelineCrd())));
  });

  it('has a status subresource; kubectl get shows Ready and its reason without -o wide', () => {
    const version = iotPipelineCrd().spec.versions[0]!;
    expect(version.subresources).toEqual({ status: {} });
    const columns = version.additionalPrinterColumns;
    const shown = columns.filter((c) => (c.priority ?? 0) === 0).map((c) => c.name);
    expect(shown).toEqual(['Topic', 'Ready', 'Reason', 'Ready Replicas', 'Age']);
    expect(columns.find((c) => c.name === 'Reason')?.jsonPath).toBe(
      '.status.conditions[?(@.type=="Ready")].reason',
    );
  });

  it('states required fields as CEL rules naming them (no OpenAPI required in the spec)', () => {
    const required = rulesOf(specField.schema)
      .filter(({ rule }) => rule.reason === 'FieldValueRequired')
      .map(({ path, rule }) => `${path === '.' ? '' : path}${rule.fieldPath ?? ''}`);
    expect(required).toEqual(
      expect.arrayContaining([
        '.kafka',
        '.sink',
        '.kafka.topic',
        '.sink.databaseSecret',
        '.sink.databaseSecret.key',
      ]),
    );
    const walk = (s: JsonSchema): JsonSchema[] => [
      s,
      ...Object.values(s.properties ?? {}).flatMap(walk),
      ...(s.items ? walk(s.items) : []),
      ...(s.additionalProperties ? walk(s.additionalProperties) : []),
    ];
    // No OpenAPI keyword whose failure makes the API server skip the CEL rules (schema.ts),
    // except the cost bounds CEL needs (a filter, the Ruuvi topic prefix, the simulator's prefix).
    const spec = walk(specField.schema);
    expect(spec.filter((s) => s.required !== undefined)).toEqual([]);
    expect(spec.filter((s) => s.enum !== undefined)).toEqual([]);
    expect(spec.filter((s) => s.maxProperties !== undefined)).toEqual([]);
    expect(spec.filter((s) => s.maxLength !== undefined).map((s) => s.maxLength)).toEqual([256, 64, 128]);
  });

  it('every object of the spec refuses unknown fields; the status prunes them', () => {
    const objects = (s: JsonSchema): JsonSchema[] => [
      ...(s.type === 'object' && s.properties ? [s] : []),
      ...Object.values(s.properties ?? {}).flatMap(objects),
      ...(s.items ? objects(s.items) : []),
      ...(s.additionalProperties ? objects(s.additionalProperties) : []),
    ];
    const spec = objects(specField.schema);
    expect(spec.length).toBeGreaterThan(10);
    for (const o of spec) {
      expect(o['x-kubernetes-preserve-unknown-fields']).toBe(true);
      const keys = Object.keys(o.properties ?? {});
      expect(o['x-kubernetes-validations']?.map((r) => r.rule)).toContain(
        `size(dyn(self)) == ${keys.map((k) => `(has(self.${k}) ? 1 : 0)`).join(' + ')}`,
      );
    }
    expect(objects(statusField.schema).filter((o) => o['x-kubernetes-preserve-unknown-fields'])).toEqual([]);
  });

  it('makes immutable what Strimzi cannot change in place: topic, DLQ topic, replication factor, cluster, alerts topic', () => {
    const transition = rulesOf(specField.schema)
      .filter(({ rule }) => rule.rule.includes('oldSelf'))
      .map(({ rule }) => rule.fieldPath);
    expect(transition).toEqual([
      '.topic',
      '.dlqTopic',
      '.replicas',
      '.cluster',
      '.partitions',
      '.alertsTopic',
    ]);
  });

  it('defaults a minimal spec the way the API server does', () => {
    const spec = defaultedSpec({
      kafka: { topic: 't' },
      sink: { databaseSecret: { name: 'db', key: 'uri' } },
    });
    expect(spec.kafka).toMatchObject({
      topic: 't',
      partitions: 6,
      replicas: 3,
      minInSyncReplicas: 2,
      cluster: 'iotpipe',
    });
    expect(spec.mqtt.topicFilters).toEqual(['iotpipe/sim/#', 'ruuvi/#', 'ruuvitag/data']);
    expect(spec.mqtt.ruuviTopicPrefix).toBe('ruuvi');
    expect(spec.schema.compatibility).toBe('BACKWARD');
    expect(spec.deletionPolicy).toBe('Retain');
    expect(spec.processor.enabled).toBe(true);
    expect(spec.simulator).toBeUndefined();
  });
});

describe('schema builder', () => {
  it('marks required fields (CEL in strict objects, OpenAPI otherwise) and fills nested defaults only where the parent exists or defaults', () => {
    const f = object({
      a: string().required('what a is for'),
      b: integer().default(3),
      c: object({ d: integer().default(1) }),
    });
    expect(f.schema.required).toBeUndefined();
    expect(f.schema['x-kubernetes-validations']).toContainEqual({
      rule: 'has(self.a)',
      message: 'what a is for',
      fieldPath: '.a',
      reason: 'FieldValueRequired',
    });
    expect(object({ a: string().required() }, { strict: false }).schema.required).toEqual(['a']);
    expect(applyDefaults(f.schema, { a: 'x' })).toEqual({ a: 'x', b: 3 });
    expect(applyDefaults(f.schema, { a: 'x', c: {} })).toEqual({ a: 'x', b: 3, c: { d: 1 } });
  });

  it('does not overwrite given values', () => {
    const f = object({ b: integer().default(3) });
    expect(applyDefaults(f.schema, { b: 0 })).toEqual({ b: 0 });
  });
});
