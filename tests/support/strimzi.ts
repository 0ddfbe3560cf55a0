// Strimzi's cluster operator from its release's own install files (packaging/install/
// cluster-operator in the vendored release source), as cdk8s/README.md step 2 does with
// "Strimzi's release YAML instead of Helm": installed into the platform's namespace and watching
// it, with the memory the walk-through gives it. Its images are the ones `make images` built
// from the same source (quay.io/strimzi/operator:<version>, quay.io/strimzi/kafka:...).
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRepoRoot } from '../../local/src/cluster/config.js';
import { run } from '../../local/src/cluster/exec.js';
import { loadVersions } from '../../local/src/cluster/versions.js';
import { kubectl } from './kubectl.js';

export async function installStrimzi(namespace: string): Promise<void> {
  const repo = defaultRepoRoot();
  const { strimzi } = await loadVersions(repo);
  const vendor = process.env['IOTPIPE_VENDOR_DIR'] || join(repo, '..', 'shared', 'vendor');
  const archive = join(vendor, `strimzi-kafka-operator-${strimzi}-src.tar.gz`);
  const dir = await mkdtemp(join(tmpdir(), 'strimzi-install-'));
  try {
    const inner = `strimzi-kafka-operator-${strimzi}/packaging/install/cluster-operator`;
    await run('tar', ['-xzf', archive, '-C', dir, inner], {
      installHint: `set IOTPIPE_VENDOR_DIR to the folder holding strimzi-kafka-operator-${strimzi}-src.tar.gz`,
    });
    const files = join(dir, inner);
    // The install files name the namespace `myproject`, to be replaced (Strimzi's documentation).
    for (const f of await readdir(files)) {
      const text = await readFile(join(files, f), 'utf8');
      await writeFile(join(files, f), text.replace(/namespace: myproject/g, `namespace: ${namespace}`));
    }
    await kubectl(['apply', '--server-side', '--force-conflicts', '-n', namespace, '-f', files]);
    // Strimzi's 384Mi gets it OOM-killed while it reconciles a 3-node cluster (cdk8s/README.md).
    await kubectl([
      '-n',
      namespace,
      'set',
      'resources',
      'deployment/strimzi-cluster-operator',
      '--requests=memory=512Mi',
      '--limits=memory=768Mi',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
