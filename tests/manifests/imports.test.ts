/**
 * The committed typed constructs (cdk8s/imports/) are what `cdk8s import` makes from the pinned
 * CRDs today: regenerated into a temporary directory, byte for byte the same. A CRD bump, a
 * cdk8s-cli bump or a hand edit shows up here; `make cdk8s-import` brings them back in line.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadControlPlaneConfig } from '../../local/src/cluster/config.js';
import { platformCrdFiles } from '../../local/src/cluster/crds.js';
import { generateImports, IMPORTS_DIR, importSpecs } from '../../cdk8s/src/imports.js';

let out: string | undefined;
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('cdk8s/imports', () => {
  it('regenerating from the pinned CRDs gives byte-identical files', async () => {
    out = await mkdtemp(join(tmpdir(), 'iotpipe-imports-'));
    const crds = await platformCrdFiles(loadControlPlaneConfig(process.env));
    const specs = importSpecs(crds);
    expect(specs.map((s) => s.module)).toEqual(['kafka.strimzi.io', 'monitoring.coreos.com', 'iotpipe.io']);
    expect(specs.map((s) => s.files.length + (s.documents?.length ?? 0))).toEqual([4, 4, 1]);
    await generateImports(specs, out);
    const committed = (await readdir(IMPORTS_DIR)).sort();
    expect((await readdir(out)).sort()).toEqual(committed);
    for (const file of committed) {
      const [want, got] = await Promise.all([readFile(join(IMPORTS_DIR, file)), readFile(join(out, file))]);
      expect(got.equals(want), `${file} differs: run \`make cdk8s-import\``).toBe(true);
    }
  });
});
