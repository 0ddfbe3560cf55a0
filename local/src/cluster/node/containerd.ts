import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Podman } from '../../images/podman.js';
import { run } from '../exec.js';

const CTR_HINT = 'apt-get install containerd (make deps installs it)';
/** The containerd namespace the CRI plugin (and so kubelet) uses. */
export const K8S_NAMESPACE = 'k8s.io';
/** Label on a loaded image: the podman image id it came from, so an unchanged image is not loaded again. */
export const IMAGE_ID_LABEL = 'org.iotpipe.image-id';

export interface LoadReport {
  readonly ref: string;
  readonly outcome: 'loaded' | 'present';
  readonly seconds: number;
}

/** Parses `ctr images ls` (REF TYPE DIGEST SIZE PLATFORMS LABELS) into ref -> labels. Pure. */
export function parseImageList(output: string): Map<string, Record<string, string>> {
  const images = new Map<string, Record<string, string>>();
  for (const line of output.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 2 || cols[0] === undefined || cols[0] === '') continue;
    const labels: Record<string, string> = {};
    const last = cols.at(-1) ?? '-';
    if (last !== '-' && last.includes('=')) {
      for (const pair of last.split(',')) {
        const eq = pair.indexOf('=');
        if (eq > 0) labels[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
    }
    images.set(cols[0], labels);
  }
  return images;
}

/** The node's containerd, through its `ctr` client (cri-tools is not packaged in bookworm). */
export class Containerd {
  constructor(
    readonly socket: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  ctr(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
    return run('ctr', ['--address', this.socket, '--namespace', K8S_NAMESPACE, ...args], {
      installHint: CTR_HINT,
    });
  }

  async answers(): Promise<boolean> {
    return this.ctr(['version']).then(
      () => true,
      () => false,
    );
  }

  async images(): Promise<Map<string, Record<string, string>>> {
    return parseImageList((await this.ctr(['images', 'ls'])).stdout);
  }

  /**
   * Loads podman images into the node (podman save | ctr import), skipping those whose podman
   * image id the node already has. Returns what it did per image.
   */
  async load(podman: Podman, refs: readonly string[]): Promise<LoadReport[]> {
    const present = await this.images();
    const reports: LoadReport[] = [];
    const tmp = await mkdtemp(join(podman.config.cacheDir, 'images', 'load-'));
    try {
      for (const ref of refs) {
        const t0 = Date.now();
        const info = await podman.inspect(ref);
        if (!info) throw new Error(`${ref} is not built: run \`make images\``);
        if (present.get(ref)?.[IMAGE_ID_LABEL] === info.id) {
          reports.push({ ref, outcome: 'present', seconds: (Date.now() - t0) / 1000 });
          continue;
        }
        const file = join(tmp, 'image.tar');
        await podman.save(ref, file);
        this.log(`ctr images import ${ref}`);
        await this.ctr(['images', 'import', file]);
        await rm(file, { force: true });
        await this.ctr(['images', 'label', ref, `${IMAGE_ID_LABEL}=${info.id}`]);
        reports.push({ ref, outcome: 'loaded', seconds: (Date.now() - t0) / 1000 });
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return reports;
  }

  /** Kills and deletes every task and container left (after kubelet has stopped). */
  async removeAllContainers(): Promise<number> {
    const tasks = (await this.ctr(['tasks', 'ls', '-q']).catch(() => ({ stdout: '' }))).stdout
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const id of tasks) {
      await this.ctr(['tasks', 'kill', '--signal', 'SIGKILL', id]).catch(() => undefined);
    }
    for (const id of tasks) await this.ctr(['tasks', 'delete', '--force', id]).catch(() => undefined);
    const containers = (await this.ctr(['containers', 'ls', '-q']).catch(() => ({ stdout: '' }))).stdout
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const id of containers) await this.ctr(['containers', 'delete', id]).catch(() => undefined);
    return tasks.length;
  }
}
