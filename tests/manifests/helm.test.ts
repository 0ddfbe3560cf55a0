/**
 * The real `helm template` (helm v4 built from the Go module proxy by `make helm`; the path
 * comes in IOTPIPE_HELM or the cache default) over charts/iotpipe: `helm lint` passes and the
 * rendered objects equal the cdk8s synth of each profile, CRD included (--include-crds).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../cdk8s/src/helm.js';
import { REPO_ROOT } from '../../cdk8s/src/imports.js';
import { allObjects, readInputs, synthPlatform, type ManifestObject } from '../../cdk8s/src/platform.js';
import { PROFILE_NAMES } from '../../cdk8s/src/profiles.js';

const run = promisify(execFile);
const HELM =
  process.env['IOTPIPE_HELM'] ??
  join(process.env['IOTPIPE_CACHE_DIR'] ?? join(homedir(), '.cache', 'iotpipe'), 'helm-v4.3.1', 'helm');
const CHART = join(REPO_ROOT, 'charts', 'iotpipe');
const byKey = (objects: ManifestObject[]) =>
  Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o])) as Record<
    string,
    ManifestObject
  >;

describe('helm', () => {
  it('is built (`make helm`)', () => {
    expect(existsSync(HELM), `${HELM} missing: run \`make helm\``).toBe(true);
  });

  it('lints the chart', async () => {
    const { stdout } = await run(HELM, ['lint', CHART]);
    expect(stdout).toContain('0 chart(s) failed');
  });

  it.each(PROFILE_NAMES)('helm template with the %s values equals the synth', async (profile) => {
    const args = ['template', 'iotpipe', CHART, '--namespace', 'iot-ns', '--include-crds'];
    if (profile === 'production') args.push('-f', join(CHART, 'values-production.yaml'));
    const { stdout } = await run(HELM, args, { maxBuffer: 32 * 1024 * 1024 });
    const want = allObjects(synthPlatform({ profile, namespace: 'iot-ns', inputs: readInputs() })).filter(
      (o) => o.kind !== 'Namespace',
    );
    expect(byKey(parseManifests([stdout]))).toEqual(byKey(want));
  });
});
