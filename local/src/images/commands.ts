import { baseRecipes, orderRecipes, type ImageRecipe } from './catalog.js';
import { ImageBuilder } from './builder.js';
import { loadImagesConfig, type ImagesConfig } from './config.js';
import { Podman } from './podman.js';
import { nodeImageRecipes } from '../cluster/node/images.js';
import { loadNodeConfig, nodePaths } from '../cluster/node/config.js';
import { Containerd } from '../cluster/node/containerd.js';
import { monitoringRecipes } from './monitoring.js';
import { thirdPartyRecipes } from './third-party.js';

export const IMAGES_COMMANDS = ['build', 'list', 'load'] as const;
export type ImagesCommand = (typeof IMAGES_COMMANDS)[number];

export function isImagesCommand(value: string): value is ImagesCommand {
  return (IMAGES_COMMANDS as readonly string[]).includes(value);
}

/**
 * Every recipe `make images` knows: the base images, the project's, the node's (CoreDNS, the
 * volume provisioner) and the third-party images of the platform (third-party.ts, monitoring.ts).
 */
export async function allRecipes(config: ImagesConfig): Promise<ImageRecipe[]> {
  return [
    ...baseRecipes(config),
    ...(await nodeImageRecipes(config.repoRoot)),
    ...thirdPartyRecipes(config),
    ...monitoringRecipes(config),
  ];
}

export interface ImagesCommandOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly out?: (line: string) => void;
  /** Recipe ids (all when empty); `build` also makes what they need. */
  readonly ids?: readonly string[];
}

/**
 * `iotpipe images <command>`; returns the exit code.
 *   build [ids]  make the images (and what they need) with podman; cached layers make it seconds
 *   list         every recipe: id, reference, whether podman has it, its size
 *   load [ids]   put the node's images (forNode) into the running node's containerd; `build`
 *                does it too when the node runs, so `make images` then `kubectl apply` works
 */
export async function runImagesCommand(
  command: ImagesCommand,
  options: ImagesCommandOptions = {},
): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const env = options.env ?? process.env;
  const config = loadImagesConfig(env);
  const recipes = await allRecipes(config);
  switch (command) {
    case 'build': {
      const t0 = Date.now();
      const reports = await new ImageBuilder(config, recipes, out).build(options.ids ?? []);
      const built = reports.filter((r) => r.outcome === 'built').length;
      out(
        `${reports.length} images ready (${built} built, ${reports.length - built} unchanged) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      const forNode = new Set(recipes.filter((r) => r.forNode).map((r) => r.id));
      await loadIntoNode(
        config,
        reports.filter((r) => forNode.has(r.id)).map((r) => r.ref),
        env,
        out,
        false,
      );
      return 0;
    }
    case 'load': {
      const refs = orderRecipes(recipes, options.ids ?? [])
        .filter((r) => r.forNode)
        .map((r) => r.ref);
      return loadIntoNode(config, refs, env, out, true);
    }
    case 'list': {
      const podman = new Podman(config);
      let missing = 0;
      for (const r of orderRecipes(recipes, options.ids ?? [])) {
        const info = await podman.inspect(r.ref);
        if (!info) missing += 1;
        const state = info
          ? `${info.id.slice(0, 12)} ${(info.size / 1024 / 1024).toFixed(0).padStart(5)} MiB`
          : 'not built'.padEnd(22);
        out(`${r.id.padEnd(14)} ${state}  ${r.ref}  ${r.about}`);
      }
      return missing === 0 ? 0 : 1;
    }
  }
}

/**
 * Loads images into the single-node cluster's containerd when it runs (unchanged ones are
 * skipped). `required`: a node that is not running is an error, else it is only reported.
 */
async function loadIntoNode(
  config: ImagesConfig,
  refs: readonly string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  required: boolean,
): Promise<number> {
  const containerd = new Containerd(nodePaths(loadNodeConfig(env)).containerdSocket, out);
  if (!(await containerd.answers())) {
    out(
      required
        ? 'the node is not running: `make node-up` first'
        : 'node not running: images not loaded (`make images` loads them when it runs)',
    );
    return required ? 1 : 0;
  }
  const reports = await containerd.load(new Podman(config, out), refs);
  const loaded = reports.filter((r) => r.outcome === 'loaded');
  out(`node: ${loaded.length} images loaded, ${reports.length - loaded.length} already there`);
  return 0;
}
