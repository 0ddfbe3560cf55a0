import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../cluster/exec.js';
import type { RootfsSource } from './catalog.js';
import type { ImagesConfig } from './config.js';

const MMDEBSTRAP_HINT = 'apt-get install mmdebstrap (make deps installs it)';

/**
 * The cache key of a rootfs: suite, variant, packages and mirror. The tarball's file name carries
 * it and the day it was made, so a changed package list or mirror makes a new one, and the same
 * inputs reuse the newest (Debian point releases change slowly; IOTPIPE_DEBIAN_REFRESH=1 takes a
 * fresh one).
 */
export function rootfsKey(source: RootfsSource, mirror: string): string {
  const inputs = JSON.stringify({
    suite: source.suite,
    variant: source.variant,
    include: [...source.include].sort(),
    mirror,
  });
  return createHash('sha256').update(inputs).digest('hex').slice(0, 12);
}

export function rootfsPrefix(id: string, source: RootfsSource, mirror: string): string {
  return `${id}-${source.suite}-${rootfsKey(source, mirror)}-`;
}

/** The newest cached tarball of a prefix, by the date in its name (YYYYMMDD sorts as text). */
export function newestTarball(files: readonly string[], prefix: string): string | undefined {
  return files
    .filter((f) => f.startsWith(prefix) && /-\d{8}\.tar$/.test(f))
    .sort()
    .at(-1);
}

/**
 * Returns a cached rootfs tarball for the recipe, making one with mmdebstrap when none is cached
 * (or when a refresh is asked for). Written to a temporary name and renamed, so an interrupted
 * run never leaves a tarball that looks complete.
 */
export async function ensureRootfs(
  config: ImagesConfig,
  id: string,
  source: RootfsSource,
  log: (line: string) => void,
): Promise<{ tarball: string; made: boolean }> {
  const dir = join(config.cacheDir, 'rootfs');
  await mkdir(dir, { recursive: true });
  const prefix = rootfsPrefix(id, source, config.debianMirror);
  const cached = newestTarball(await readdir(dir), prefix);
  if (cached !== undefined && !config.refreshDebian) return { tarball: join(dir, cached), made: false };
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  const tarball = join(dir, `${prefix}${day}.tar`);
  const tmp = `${tarball}.tmp-${process.pid}.tar`;
  log(`mmdebstrap ${source.variant} ${source.suite} from ${config.debianMirror} -> ${tarball}`);
  try {
    await run(
      'mmdebstrap',
      [
        `--variant=${source.variant}`,
        ...(source.include.length > 0 ? [`--include=${source.include.join(',')}`] : []),
        // Documentation and manuals are not needed in an image.
        '--dpkgopt=path-exclude=/usr/share/doc/*',
        '--dpkgopt=path-include=/usr/share/doc/*/copyright',
        '--dpkgopt=path-exclude=/usr/share/man/*',
        '--dpkgopt=path-exclude=/usr/share/locale/*',
        '--quiet',
        source.suite,
        tmp,
        config.debianMirror,
      ],
      { installHint: MMDEBSTRAP_HINT },
    );
    await rename(tmp, tarball);
  } finally {
    await rm(tmp, { force: true });
  }
  // Older tarballs of the same inputs are superseded.
  for (const f of await readdir(dir)) {
    if (f.startsWith(prefix) && join(dir, f) !== tarball) await rm(join(dir, f), { force: true });
  }
  return { tarball, made: true };
}
