import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CRD_FILE, iotPipelineCrd, iotPipelineCrdYaml } from './crd.js';
import { defaultedSpec, specField } from './iotpipeline.js';
import { applyDefaults, integer, object, string } from './schema.js';

const repoRoot = resolve(import.meta.dirname, '../../..');

describe('IoTPipeline CRD', () => {
  it('the committed YAML is what the generator writes (run `npm run -w operator generate-crd`)', async () => {
    const committed = await readFile(resolve(repoRoot, CRD_FILE), 'utf8');
    expect(committed).toBe(iotPipelineCrdYaml());
  });

  it('the YAML parses back to the CRD object', () => {
    expect(parse(iotPipelineCrdYaml())).toEqual(JSON.parse(JSON.stringify(iotPipelineCrd())));
  });

  it('has a status subresource and the printer columns topic, schema id, ready replicas, Ready', () => {
    const version = iotPipelineCrd().spec.versions[0]!;
    expect(version.subresources).toEqual({ status: {} });
    expect(version.additionalPrinterColumns.map((c) => c.name)).toEqual(
      expect.arrayContaining(['Topic', 'Schema ID', 'Ready Replicas', 'Ready']),
    );
  });

  it('requires spec.kafka.topic and spec.sink.databaseSecret and nothing else at that level', () => {
    const spec = specField.schema;
    expect(spec.required).toEqual(['kafka', 'sink']);
    expect(spec.properties?.kafka?.required).toEqual(['topic']);
    expect(spec.properties?.sink?.required).toEqual(['databaseSecret']);
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
  it('marks required fields and fills nested defaults only where the parent exists or defaults', () => {
    const f = object({
      a: string().required(),
      b: integer().default(3),
      c: object({ d: integer().default(1) }),
    });
    expect(f.schema.required).toEqual(['a']);
    expect(applyDefaults(f.schema, { a: 'x' })).toEqual({ a: 'x', b: 3 });
    expect(applyDefaults(f.schema, { a: 'x', c: {} })).toEqual({ a: 'x', b: 3, c: { d: 1 } });
  });

  it('does not overwrite given values', () => {
    const f = object({ b: integer().default(3) });
    expect(applyDefaults(f.schema, { b: 0 })).toEqual({ b: 0 });
  });
});
