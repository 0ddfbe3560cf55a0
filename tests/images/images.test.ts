// The images `make images` made (run it first: scripts/test-all.sh does). Checks what a build
// could get wrong without failing: the build-time CA and npmrc leaking into an image, the node
// base image not being what the Dockerfiles expect.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allRecipes,
  BUILD_NPMRC_PATH,
  loadImagesConfig,
  nodeImageRef,
  Podman,
  PROJECT_IMAGE_TAG,
} from '../../local/src/images/index.js';
import { run } from '../../local/src/cluster/exec.js';

const config = loadImagesConfig();
const podman = new Podman(config);
const recipes = await allRecipes(config);

/** PEM certificates of a bundle, each as its base64 body without line breaks. */
function certificates(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) =>
    (m[1] ?? '').replace(/\s+/g, ''),
  );
}

const mounted: string[] = [];
async function mountImage(ref: string): Promise<string> {
  const { stdout } = await podman.run(['image', 'mount', ref]);
  mounted.push(ref);
  return stdout.trim();
}

afterAll(async () => {
  for (const ref of mounted) await podman.run(['image', 'unmount', ref]).catch(() => undefined);
});

describe('make images', () => {
  it('has built every recipe', async () => {
    const missing = [];
    for (const r of recipes) if (!(await podman.inspect(r.ref))) missing.push(r.ref);
    expect(missing).toEqual([]);
  });

  describe('the build-time CA bundle and npmrc stay out of every image', () => {
    // The certificates the machine trusts beyond Debian's own bundle: a TLS-intercepting proxy's CA.
    let extraCerts: string[] = [];
    beforeAll(async () => {
      const bundle = config.buildCaBundle;
      if (bundle === undefined) return;
      const machine = certificates(await readFile(bundle, 'utf8'));
      const debianRoot = await mountImage(recipes.find((r) => r.id === 'debian')!.ref);
      const debian = new Set(certificates(await readFile(join(debianRoot, BUNDLE_IN_IMAGE), 'utf8')));
      extraCerts = machine.filter((c) => !debian.has(c));
    });
    const BUNDLE_IN_IMAGE = 'etc/ssl/certs/ca-certificates.crt';

    it.each(
      recipes
        .filter((r) => r.source.kind === 'containerfile' && r.source.buildCa !== 'none')
        .map((r) => [r.id, r.ref]),
    )('%s (%s)', async (_id, ref) => {
      const root = await mountImage(ref);
      // Absent, or the node base image's empty placeholder that the build mounted over.
      const npmrc = await readFile(join(root, BUILD_NPMRC_PATH.slice(1)), 'utf8').catch(() => '');
      expect(npmrc, `${BUILD_NPMRC_PATH} in ${ref}`).toBe('');
      // Any file holding a line of an extra certificate (64-character base64 lines of its PEM).
      for (const cert of extraCerts) {
        const line = cert.slice(64, 128);
        const found = await run('grep', ['-rlF', '--', line, root], { installHint: 'grep' }).then(
          (r) => r.stdout.trim(),
          () => '', // grep exits 1 when nothing matches
        );
        expect(found, `a certificate of ${config.buildCaBundle} found in ${ref}`).toBe('');
      }
    });

    it('the check above can see such a certificate (it is in the machine bundle it came from)', async () => {
      for (const cert of extraCerts) {
        const text = (await readFile(config.buildCaBundle!, 'utf8')).replace(/\s+/g, '');
        expect(text).toContain(cert.slice(64, 128));
      }
    });
  });

  it('the node base image is what the Dockerfiles expect: Node.js of .node-version, user node (1000)', async () => {
    const { stdout } = await podman.run([
      'run',
      '--rm',
      '--network=none',
      '--user=node',
      nodeImageRef(config.nodeVersion),
      'sh',
      '-c',
      'id -u; id -g; node --version; npm --version >/dev/null && echo npm',
    ]);
    expect(stdout.trim().split('\n')).toEqual(['1000', '1000', `v${config.nodeVersion}`, 'npm']);
  });

  // What ships is what runs: the images hold the stages (or the operator) and their runtime
  // dependencies, none of the developers' tools (local stack, control plane, benchmarks, tests).
  describe.each([
    ['workloads', 'workloads/dist/cli.js', 'node_modules/kafkajs/package.json'],
    ['operator', 'operator/dist/main.js', 'node_modules/@iotpipe/contract'],
  ])('the %s image holds no developer tooling', (image, entry, runtimeDependency) => {
    const TOOLING = [
      'app/local',
      'app/bench',
      'app/tests',
      'app/node_modules/@iotpipe/local',
      'app/node_modules/@resvg',
      'app/node_modules/smtp-server',
      'app/node_modules/mailparser',
      'app/node_modules/vitest',
      'app/node_modules/typescript',
      'app/node_modules/tsx',
    ];
    it('none of the tooling is there, while what runs is (the check sees files)', async () => {
      const root = await mountImage(`ghcr.io/iotpipe/${image}:${PROJECT_IMAGE_TAG}`);
      expect(existsSync(join(root, 'app', entry)), entry).toBe(true);
      expect(existsSync(join(root, 'app', runtimeDependency)), runtimeDependency).toBe(true);
      expect(TOOLING.filter((path) => existsSync(join(root, path)))).toEqual([]);
    });
  });

  it("the workloads CLI offers the stages' commands and none of the developers'", async () => {
    const { stdout } = await podman.run([
      'run',
      '--rm',
      '--network=none',
      `ghcr.io/iotpipe/workloads:${PROJECT_IMAGE_TAG}`,
      '--help',
    ]);
    for (const command of ['adapter', 'sink', 'process', 'simulate'])
      expect(stdout).toMatch(new RegExp(`iotpipe ${command}\\b`));
    for (const command of ['stack', 'cluster', 'bench'])
      expect(stdout).not.toMatch(new RegExp(`iotpipe ${command}\\b`));
  });

  it('the workloads image runs the iotpipe CLI as uid 1000', async () => {
    const { stdout } = await podman.run([
      'run',
      '--rm',
      '--network=none',
      `ghcr.io/iotpipe/workloads:${PROJECT_IMAGE_TAG}`,
      '--help',
    ]);
    expect(stdout).toContain('iotpipe <command>');
    const info = await podman.run([
      'image',
      'inspect',
      '--format',
      '{{.Config.User}}',
      `ghcr.io/iotpipe/workloads:${PROJECT_IMAGE_TAG}`,
    ]);
    expect(info.stdout.trim()).toBe('1000:1000');
  });
});
