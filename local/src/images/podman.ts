import { join } from 'node:path';
import { run, type RunResult } from '../cluster/exec.js';
import { StackError } from '../errors.js';
import type { ImagesConfig } from './config.js';

const PODMAN_HINT = 'apt-get install podman buildah (make deps installs them)';

/** The podman engine settings of images/containers.conf (runc, ulimits the machine allows). */
export function podmanEnv(config: ImagesConfig): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF: join(config.repoRoot, 'images', 'containers.conf') };
}

export interface ImageInfo {
  readonly id: string;
  readonly size: number;
  readonly created: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Thin wrapper over the podman CLI: every call gets the project's engine settings. */
export class Podman {
  constructor(
    readonly config: ImagesConfig,
    private readonly log: (line: string) => void = () => {},
  ) {}

  run(args: readonly string[], onOutput?: (chunk: string) => void): Promise<RunResult> {
    return run(this.config.podman, args, {
      env: podmanEnv(this.config),
      installHint: PODMAN_HINT,
      ...(onOutput ? { onOutput } : {}),
    });
  }

  /** The image's id, size and labels, or undefined when podman has no image of that name. */
  async inspect(ref: string): Promise<ImageInfo | undefined> {
    const exists = await run(this.config.podman, ['image', 'exists', ref], {
      env: podmanEnv(this.config),
      installHint: PODMAN_HINT,
    }).then(
      () => true,
      (err: unknown) => {
        if (err instanceof StackError && / not found$/.test(err.cause_)) throw err;
        return false;
      },
    );
    if (!exists) return undefined;
    const { stdout } = await this.run(['image', 'inspect', '--format', 'json', ref]);
    const parsed = JSON.parse(stdout) as Array<{
      Id: string;
      Size: number;
      Created: string;
      Labels: Record<string, string> | null;
    }>;
    const first = parsed[0];
    if (!first) return undefined;
    return { id: first.Id, size: first.Size, created: first.Created, labels: first.Labels ?? {} };
  }

  /** Writes an image as a docker-archive tarball (what `ctr images import` and `kind load` read). */
  async save(ref: string, file: string): Promise<void> {
    this.log(`podman save ${ref}`);
    await this.run(['save', '--format', 'docker-archive', '--output', file, ref]);
  }
}
