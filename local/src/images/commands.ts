import { baseRecipes, orderRecipes, type ImageRecipe } from './catalog.js';
import { ImageBuilder } from './builder.js';
import { loadImagesConfig, type ImagesConfig } from './config.js';
import { Podman } from './podman.js';

export const IMAGES_COMMANDS = ['build', 'list'] as const;
export type ImagesCommand = (typeof IMAGES_COMMANDS)[number];

export function isImagesCommand(value: string): value is ImagesCommand {
  return (IMAGES_COMMANDS as readonly string[]).includes(value);
}

/** Every recipe `make images` knows: the base images and the project's (third-party ones join here). */
export function allRecipes(config: ImagesConfig): ImageRecipe[] {
  return [...baseRecipes(config)];
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
 */
export async function runImagesCommand(
  command: ImagesCommand,
  options: ImagesCommandOptions = {},
): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const config = loadImagesConfig(options.env ?? process.env);
  const recipes = allRecipes(config);
  switch (command) {
    case 'build': {
      const t0 = Date.now();
      const reports = await new ImageBuilder(config, recipes, out).build(options.ids ?? []);
      const built = reports.filter((r) => r.outcome === 'built').length;
      out(
        `${reports.length} images ready (${built} built, ${reports.length - built} unchanged) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      return 0;
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
