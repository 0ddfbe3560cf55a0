import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageRecipe, PrepareEnv } from '../../images/catalog.js';
import { BinaryBuilder } from '../binaries.js';
import { loadControlPlaneConfig } from '../config.js';
import { loadVersions } from '../versions.js';
import { COREDNS_IMAGE_NAME, LOCAL_PATH_IMAGE_NAME } from './addons.js';

/** A build context holding one binary of the node, built (or taken from the cache) first. */
async function binaryContext(
  env: PrepareEnv,
  pick: 'coredns' | 'localPathProvisioner',
  file: string,
): Promise<string> {
  const builder = new BinaryBuilder(
    loadControlPlaneConfig({ ...process.env, IOTPIPE_ROOT: env.config.repoRoot }),
    env.log,
  );
  const { binaries } = await builder.ensureNode();
  // A copy, not a link: podman's COPY hashes the content, so an unchanged binary stays cached.
  await copyFile(binaries[pick], join(env.workDir, file));
  return env.workDir;
}

/** The node's own images: CoreDNS and the local-path provisioner, tagged with their versions. */
export async function nodeImageRecipes(repoRoot: string): Promise<ImageRecipe[]> {
  const versions = await loadVersions(repoRoot);
  return [
    {
      id: 'coredns',
      ref: `${COREDNS_IMAGE_NAME}:${versions.coredns}`,
      needs: [],
      about: `CoreDNS ${versions.coredns} from the Go module proxy: the node's cluster DNS`,
      forNode: true,
      source: {
        kind: 'containerfile',
        containerfile: 'images/coredns/Containerfile',
        context: (env) => binaryContext(env, 'coredns', 'coredns'),
        network: 'none',
        buildCa: 'none',
      },
    },
    {
      id: 'local-path-provisioner',
      ref: `${LOCAL_PATH_IMAGE_NAME}:${versions.localPathProvisioner}`,
      needs: [],
      about: `rancher/local-path-provisioner ${versions.localPathProvisioner} from the Go module proxy: the node's volumes`,
      forNode: true,
      source: {
        kind: 'containerfile',
        containerfile: 'images/local-path-provisioner/Containerfile',
        context: (env) => binaryContext(env, 'localPathProvisioner', 'local-path-provisioner'),
        network: 'none',
        buildCa: 'none',
      },
    },
  ];
}
