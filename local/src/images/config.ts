import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { defaultRepoRoot } from '../cluster/config.js';
import { ConfigError, EnvReader } from '@iotpipe/contract';

/**
 * What `make images` needs to know, validated once and without network. Build it with
 * {@link loadImagesConfig}; nothing else in local/src/images reads the environment.
 */
export interface ImagesConfig {
  /** The repository root: images/ (recipes), the Dockerfiles and .node-version live under it. */
  readonly repoRoot: string;
  /** Shared downloads and builds: the Debian rootfs tarballs, prepared build contexts, Node.js. */
  readonly cacheDir: string;
  /** The podman command (buildah's engine; layers persist in podman's storage). */
  readonly podman: string;
  /** The Debian mirror mmdebstrap makes the base image from: by default the one apt uses here. */
  readonly debianMirror: string;
  /**
   * A CA bundle mounted read-only into builds that fetch packages (npm ci, apt-get), for a
   * TLS-intercepting proxy; `none` mounts nothing. Build time only: nothing of it is in an image.
   */
  readonly buildCaBundle: string | undefined;
  /** The Node.js version of .node-version: the node base image is tagged with it. */
  readonly nodeVersion: string;
  /** Make a new Debian rootfs even when one for this mirror and package list is cached. */
  readonly refreshDebian: boolean;
}

export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const DEFAULT_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * The first mirror apt uses on this machine: the `URIs:` of a deb822 sources file, else the first
 * `deb` line of sources.list. Pure: takes the files' text.
 */
export function aptMirror(deb822: string | undefined, sourcesList: string | undefined): string | undefined {
  const uris = deb822 === undefined ? null : /^URIs:\s*(\S+)/m.exec(deb822);
  if (uris?.[1]) return uris[1];
  const deb = sourcesList === undefined ? null : /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/m.exec(sourcesList);
  return deb?.[1];
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function loadImagesConfig(env: NodeJS.ProcessEnv = process.env): ImagesConfig {
  const read = new EnvReader(env);
  const repoRoot = defaultRepoRoot(env);
  const cacheDir = read.string('cacheDir', 'IOTPIPE_CACHE_DIR', join(homedir(), '.cache', 'iotpipe'));
  if (!isAbsolute(cacheDir))
    throw new ConfigError('cacheDir', 'IOTPIPE_CACHE_DIR', `'${cacheDir}' is not an absolute path`);
  const machineMirror =
    aptMirror(
      readIfExists('/etc/apt/sources.list.d/debian.sources'),
      readIfExists('/etc/apt/sources.list'),
    ) ?? DEFAULT_DEBIAN_MIRROR;
  const debianMirror = read.url('debianMirror', 'IOTPIPE_DEBIAN_MIRROR', machineMirror, ['http', 'https']);
  const ca = read.string('buildCaBundle', 'IOTPIPE_BUILD_CA_BUNDLE', DEFAULT_CA_BUNDLE);
  if (ca !== 'none' && !isAbsolute(ca)) {
    throw new ConfigError(
      'buildCaBundle',
      'IOTPIPE_BUILD_CA_BUNDLE',
      `'${ca}' is neither an absolute path nor 'none'`,
    );
  }
  const nodeVersionFile = join(repoRoot, '.node-version');
  const nodeVersion = read.string(
    'nodeVersion',
    'IOTPIPE_NODE_VERSION',
    (readIfExists(nodeVersionFile) ?? '').trim(),
  );
  if (!/^\d+\.\d+\.\d+$/.test(nodeVersion)) {
    throw new ConfigError(
      'nodeVersion',
      'IOTPIPE_NODE_VERSION',
      `'${nodeVersion}' is not a Node.js version like 24.19.0 (read from ${nodeVersionFile})`,
    );
  }
  return {
    repoRoot,
    cacheDir,
    podman: read.string('podman', 'IOTPIPE_PODMAN', 'podman'),
    debianMirror: debianMirror.replace(/\/+$/, ''),
    buildCaBundle: ca === 'none' ? undefined : ca,
    nodeVersion,
    refreshDebian: read.bool('refreshDebian', 'IOTPIPE_DEBIAN_REFRESH', false),
  };
}
