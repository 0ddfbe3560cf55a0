import { describe, expect, it } from 'vitest';
import { ConfigError } from '@iotpipe/contract';
import {
  baseRecipes,
  nodeImageRef,
  orderRecipes,
  OPERATOR_IMAGE,
  WORKLOADS_IMAGE,
  type ImageRecipe,
} from './catalog.js';
import { aptMirror, loadImagesConfig } from './config.js';
import { newestTarball, rootfsKey, rootfsPrefix } from './rootfs.js';

const env = { IOTPIPE_ROOT: '/repo', HOME: '/home/u', IOTPIPE_NODE_VERSION: '24.19.0' };

describe('loadImagesConfig', () => {
  it('defaults: podman, the CA bundle of Debian, the Node.js of .node-version', () => {
    const c = loadImagesConfig(env);
    expect(c.podman).toBe('podman');
    expect(c.buildCaBundle).toBe('/etc/ssl/certs/ca-certificates.crt');
    expect(c.nodeVersion).toBe('24.19.0');
    expect(c.refreshDebian).toBe(false);
    expect(c.debianMirror).toMatch(/^https?:\/\/\S+[^/]$/);
  });

  it('takes each setting from its env variable', () => {
    const c = loadImagesConfig({
      ...env,
      IOTPIPE_PODMAN: '/opt/podman',
      IOTPIPE_DEBIAN_MIRROR: 'http://mirror.example/debian/',
      IOTPIPE_BUILD_CA_BUNDLE: 'none',
      IOTPIPE_DEBIAN_REFRESH: 'true',
      IOTPIPE_CACHE_DIR: '/c',
    });
    expect(c).toMatchObject({
      podman: '/opt/podman',
      debianMirror: 'http://mirror.example/debian',
      buildCaBundle: undefined,
      refreshDebian: true,
      cacheDir: '/c',
    });
  });

  it.each([
    ['IOTPIPE_DEBIAN_MIRROR', 'ftp://x/debian', 'debianMirror'],
    ['IOTPIPE_BUILD_CA_BUNDLE', 'certs.pem', 'buildCaBundle'],
    ['IOTPIPE_NODE_VERSION', '24', 'nodeVersion'],
    ['IOTPIPE_CACHE_DIR', 'cache', 'cacheDir'],
    ['IOTPIPE_DEBIAN_REFRESH', 'maybe', 'refreshDebian'],
  ])('%s=%s fails naming the field', (envVar, value, field) => {
    expect(() => loadImagesConfig({ ...env, [envVar]: value })).toThrow(ConfigError);
    expect(() => loadImagesConfig({ ...env, [envVar]: value })).toThrow(field);
  });
});

describe('aptMirror', () => {
  it('reads the first URIs: of a deb822 file', () => {
    const deb822 =
      'Types: deb\n# comment\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n\nURIs: http://other\n';
    expect(aptMirror(deb822, undefined)).toBe('http://deb.debian.org/debian');
  });
  it('falls back to the first deb line of sources.list, options and all', () => {
    expect(aptMirror(undefined, '# x\ndeb [arch=amd64] http://m/debian bookworm main\n')).toBe(
      'http://m/debian',
    );
    expect(aptMirror('Types: deb\n', 'deb http://m2/debian bookworm main')).toBe('http://m2/debian');
  });
  it('is undefined when apt names no mirror', () => {
    expect(aptMirror(undefined, undefined)).toBeUndefined();
    expect(aptMirror('', '# deb http://commented\n')).toBeUndefined();
  });
});

describe('the image catalog', () => {
  const config = loadImagesConfig(env);
  const recipes = baseRecipes(config);

  it('tags the node base image exactly as the Dockerfiles name it', () => {
    expect(nodeImageRef('24.19.0')).toBe('docker.io/library/node:24.19.0-bookworm-slim');
    expect(recipes.find((r) => r.id === 'node')?.ref).toBe(nodeImageRef(config.nodeVersion));
  });

  it('builds the project images from their own Dockerfiles', () => {
    const byRef = new Map(recipes.map((r) => [r.ref, r]));
    for (const [ref, file] of [
      [WORKLOADS_IMAGE, 'workloads/Dockerfile'],
      [OPERATOR_IMAGE, 'operator/Dockerfile'],
    ] as const) {
      const source = byRef.get(ref)?.source;
      expect(source?.kind === 'containerfile' ? source.containerfile : undefined).toBe(file);
    }
  });

  it('orders every recipe after what it needs', () => {
    const order = orderRecipes(recipes, []).map((r) => r.id);
    for (const r of recipes)
      for (const need of r.needs) expect(order.indexOf(need)).toBeLessThan(order.indexOf(r.id));
    expect(order).toHaveLength(recipes.length);
  });

  it('makes only what the wanted recipes need', () => {
    expect(orderRecipes(recipes, ['node']).map((r) => r.id)).toEqual(['debian', 'node']);
  });

  const r = (id: string, needs: string[], ref = `localhost/${id}:1`): ImageRecipe => ({
    id,
    ref,
    needs,
    about: id,
    forNode: false,
    source: { kind: 'containerfile', containerfile: 'x', context: '.', network: 'none', buildCa: 'none' },
  });
  it.each([
    [[r('a', [])], ['b'], "no image recipe 'b'"],
    [[r('a', ['b'])], [], "'a' needs 'b', which no recipe makes"],
    [[r('a', ['b']), r('b', ['a'])], [], 'cycle'],
    [[r('a', []), r('a', [], 'localhost/other:1')], [], "two image recipes have the id 'a'"],
    [[r('a', []), r('b', [], 'localhost/a:1')], [], "'a' and 'b' both make localhost/a:1"],
  ])('refuses a broken catalog (%#)', (list, wanted, message) => {
    expect(() => orderRecipes(list, wanted)).toThrow(message);
  });
});

describe('rootfs cache names', () => {
  const source = {
    kind: 'rootfs',
    suite: 'bookworm',
    variant: 'minbase',
    include: ['b', 'a'],
    changes: [],
  } as const;
  it('keys on suite, variant, the package set (in any order) and the mirror', () => {
    const k = rootfsKey(source, 'http://m');
    expect(rootfsKey({ ...source, include: ['a', 'b'] }, 'http://m')).toBe(k);
    expect(rootfsKey(source, 'http://other')).not.toBe(k);
    expect(rootfsKey({ ...source, include: ['a'] }, 'http://m')).not.toBe(k);
    expect(rootfsKey({ ...source, suite: 'trixie' }, 'http://m')).not.toBe(k);
  });
  it('reuses the newest tarball of the same inputs only', () => {
    const p = rootfsPrefix('debian', source, 'http://m');
    const files = [
      `${p}20260101.tar`,
      `${p}20261206.tar`,
      `${p}20261207.tar.tmp-1.tar`,
      'debian-bookworm-0-20991231.tar',
    ];
    expect(newestTarball(files, p)).toBe(`${p}20261206.tar`);
    expect(newestTarball(['unrelated.tar'], p)).toBeUndefined();
  });
});
