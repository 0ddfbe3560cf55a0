// The `node` project's globalSetup: brings the single-node cluster up (reusing a running one) and
// loads every image of the node that `make images` built (as `make images` does when the node
// runs). When it starts the node, it first records the machine (tests/support/machine.ts) so that
// the `node-teardown` project can prove `cluster down --node` restores it.
import { rm, writeFile } from 'node:fs/promises';
import { loadNodeConfig, nodePaths } from '../../local/src/cluster/node/config.js';
import { Containerd } from '../../local/src/cluster/node/containerd.js';
import { Node } from '../../local/src/cluster/node/node.js';
import { allRecipes, loadImagesConfig, Podman } from '../../local/src/images/index.js';
import { snapshotFile, snapshotMachine } from '../support/machine.js';

export default async function setup(): Promise<void> {
  const log = (line: string): void => console.log(`[node] ${line}`);
  const config = loadNodeConfig();
  const node = new Node(config, log);
  if ((await node.status()).ready) {
    log('already running: reused (no machine snapshot taken, node-teardown cannot compare)');
    await rm(snapshotFile(config), { force: true });
  } else {
    await writeFile(snapshotFile(config), JSON.stringify(await snapshotMachine(config), null, 2));
    await node.up();
  }
  const images = loadImagesConfig();
  const podman = new Podman(images);
  const refs: string[] = [];
  for (const r of await allRecipes(images)) if (r.forNode && (await podman.inspect(r.ref))) refs.push(r.ref);
  const reports = await new Containerd(nodePaths(config).containerdSocket, log).load(podman, refs);
  log(`images: ${reports.map((r) => `${r.ref} ${r.outcome}`).join(', ')}`);
}
