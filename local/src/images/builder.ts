import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { StackError } from '../errors.js';
import { orderRecipes, type ContainerfileSource, type ImageRecipe, type RootfsSource } from './catalog.js';
import type { ImagesConfig } from './config.js';
import { Podman } from './podman.js';
import { ensureRootfs } from './rootfs.js';

/** The label a rootfs image carries: the tarball it was imported from (so a re-import is skipped). */
export const ROOTFS_LABEL = 'org.iotpipe.rootfs';

export interface ImageReport {
  readonly id: string;
  readonly ref: string;
  readonly imageId: string;
  /** built: a new image id; cached: podman's layer cache (or the imported rootfs) gave the same one. */
  readonly outcome: 'built' | 'cached';
  readonly seconds: number;
}

/** Where the build-time CA files are mounted inside a RUN step (see ContainerfileSource.buildCa). */
export const BUILD_CA_PATH = '/etc/ssl/certs/ca-certificates.crt';
export const BUILD_NPMRC_PATH = '/usr/local/etc/npmrc';

/**
 * Makes images from recipes with podman, in dependency order, into podman's storage (which keeps
 * every layer, so an unchanged recipe costs a cache check). Idempotent: building twice in a row
 * gives the same image ids.
 */
export class ImageBuilder {
  readonly podman: Podman;

  constructor(
    readonly config: ImagesConfig,
    readonly recipes: readonly ImageRecipe[],
    private readonly log: (line: string) => void = () => {},
  ) {
    this.podman = new Podman(config, log);
  }

  /** Builds `wanted` (all recipes when empty) and what they need; returns one report per image. */
  async build(wanted: readonly string[] = []): Promise<ImageReport[]> {
    const reports: ImageReport[] = [];
    for (const recipe of orderRecipes(this.recipes, wanted)) {
      const t0 = Date.now();
      const before = await this.podman.inspect(recipe.ref);
      const imageId =
        recipe.source.kind === 'rootfs'
          ? await this.importRootfs(recipe, recipe.source)
          : await this.buildContainerfile(recipe, recipe.source);
      const seconds = (Date.now() - t0) / 1000;
      const outcome = before?.id === imageId ? 'cached' : 'built';
      this.log(`${recipe.ref}: ${outcome} (${imageId.slice(0, 12)}) in ${seconds.toFixed(1)} s`);
      reports.push({ id: recipe.id, ref: recipe.ref, imageId, outcome, seconds });
    }
    return reports;
  }

  private async importRootfs(recipe: ImageRecipe, source: RootfsSource): Promise<string> {
    const { tarball } = await ensureRootfs(this.config, recipe.id, source, this.log);
    const name = tarball.slice(tarball.lastIndexOf('/') + 1);
    const current = await this.podman.inspect(recipe.ref);
    if (current?.labels[ROOTFS_LABEL] === name) return current.id;
    this.log(`podman import ${name} ${recipe.ref}`);
    const changes = [...source.changes, `LABEL ${ROOTFS_LABEL}=${name}`];
    await this.podman.run(['import', ...changes.flatMap((c) => ['--change', c]), tarball, recipe.ref]);
    const imported = await this.podman.inspect(recipe.ref);
    if (!imported) throw new StackError(`podman import of ${tarball} left no ${recipe.ref}`, 'retry');
    return imported.id;
  }

  private async buildContainerfile(recipe: ImageRecipe, source: ContainerfileSource): Promise<string> {
    const { repoRoot } = this.config;
    const context =
      typeof source.context === 'string'
        ? join(repoRoot, source.context)
        : await source.context({
            config: this.config,
            workDir: await this.workDir(recipe.id),
            log: this.log,
          });
    if (!isAbsolute(context)) throw new Error(`recipe ${recipe.id}: context ${context} is not absolute`);
    const args = [
      'build',
      // Every FROM is a local image (built before this one) or the build fails: nothing is pulled.
      '--pull=never',
      '--layers',
      `--network=${source.network}`,
      '--file',
      join(repoRoot, source.containerfile),
      '--tag',
      recipe.ref,
      ...Object.entries(source.buildArgs ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
      ...(source.target ? ['--target', source.target] : []),
      ...(await this.caMounts(source.buildCa)),
      context,
    ];
    this.log(`podman build ${recipe.ref} (${source.containerfile})`);
    let lastLines: string[] = [];
    await this.podman.run(args, (chunk) => {
      lastLines = [...lastLines, ...chunk.split('\n').filter(Boolean)].slice(-3);
    });
    const built = await this.podman.inspect(recipe.ref);
    if (!built) throw new StackError(`podman build left no ${recipe.ref}`, lastLines.join(' | '));
    return built.id;
  }

  /** `-v` mounts of the CA bundle (and an npmrc that names it); read-only, for RUN steps only. */
  private async caMounts(what: ContainerfileSource['buildCa']): Promise<string[]> {
    const bundle = this.config.buildCaBundle;
    if (bundle === undefined || what === 'none') return [];
    const mounts = ['--volume', `${bundle}:${BUILD_CA_PATH}:ro`];
    if (what === 'bundle+npmrc') {
      const npmrc = join(await this.workDir('build-ca'), 'npmrc');
      await writeFile(npmrc, `cafile=${BUILD_CA_PATH}\n`);
      mounts.push('--volume', `${npmrc}:${BUILD_NPMRC_PATH}:ro`);
    }
    return mounts;
  }

  private async workDir(name: string): Promise<string> {
    const dir = join(this.config.cacheDir, 'images', name);
    await mkdir(dir, { recursive: true });
    return dir;
  }
}
