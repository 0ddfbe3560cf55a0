// What the single-node cluster may change on this machine, captured so a test can prove that
// `cluster down --node` put everything back (tests/node-teardown). Only what another engineer's
// work on the same machine does not change concurrently is compared; each exclusion says why.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../local/src/cluster/exec.js';
import type { NodeConfig } from '../../local/src/cluster/node/config.js';
import { NODE_SYSCTLS } from '../../local/src/cluster/node/network.js';

export interface MachineSnapshot {
  /** Processes of the node: its state dir in their command line, a pod cgroup, a containerd shim. */
  readonly processes: string[];
  readonly addresses: string[];
  readonly links: string[];
  readonly routes: string[];
  /** iptables-save and ip6tables-save, all tables, without counters and comments. */
  readonly iptables: string[];
  readonly mounts: string[];
  readonly cgroups: string[];
  readonly netns: string[];
  readonly sysctls: Record<string, string>;
}

async function cmd(command: string, args: string[]): Promise<string> {
  return (await run(command, args, { installHint: command })).stdout;
}

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');

export async function snapshotMachine(node: NodeConfig): Promise<MachineSnapshot> {
  const processes: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''))
      .split('\0')
      .join(' ')
      .trim();
    const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
    if (
      cmdline.includes(node.stateDir + '/') ||
      cgroup.includes(`:${node.cgroupRoot}/`) ||
      /containerd-shim/.test(cmdline)
    )
      processes.push(`${pid} ${cmdline}`);
  }
  const iptables = [
    ...lines(await cmd('iptables-save', [])).map((l) => `v4 ${l}`),
    ...lines(await cmd('ip6tables-save', [])).map((l) => `v6 ${l}`),
  ]
    .filter((l) => !/^v\d # /.test(l))
    // CNI-* chains and the rules into them are podman's (its bridge, portmap and firewall plugins,
    // for other engineers' containers); the node's CNI config has none of those plugins.
    .filter((l) => !/\bCNI-/.test(l))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''));
  // podman's bridge (cni-podman0), made by other engineers' containers at any time and never
  // removed by podman, and the veths of their containers attached to it.
  const podmanDevices = new Set<string>();
  for (const l of lines(await cmd('ip', ['-o', 'link', 'show']))) {
    const name = /^\d+: ([^:@]+)/.exec(l)?.[1];
    if (name !== undefined && (/^cni-podman\d+$/.test(name) || /\bmaster cni-podman\d+\b/.test(l)))
      podmanDevices.add(name);
  }
  const onPodman = (l: string, device: RegExp): boolean => podmanDevices.has(device.exec(l)?.[1] ?? '');
  const mounts = lines(await readFile('/proc/self/mountinfo', 'utf8'))
    .map((l) => l.split(' ')[4] ?? '')
    // podman's storage: image builds of other engineers mount and unmount layers there at any time.
    .filter((m) => !m.startsWith('/var/lib/containers/storage/') && !m.startsWith('/run/containers/storage/'))
    .sort();
  const cgroups: string[] = [];
  for (const h of await readdir('/sys/fs/cgroup').catch(() => [])) {
    for (const d of await readdir(join('/sys/fs/cgroup', h), { withFileTypes: true }).catch(() => [])) {
      // libpod_parent: podman's cgroup for other engineers' image builds, made and removed at any time.
      if (d.isDirectory() && d.name !== 'libpod_parent') cgroups.push(`${h}/${d.name}`);
    }
  }
  const sysctls: Record<string, string> = {};
  for (const name of Object.keys(NODE_SYSCTLS))
    sysctls[name] = (await readFile(join('/proc/sys', ...name.split('.')), 'utf8')).trim();
  return {
    processes,
    addresses: lines(await cmd('ip', ['-o', 'addr', 'show']))
      .filter((l) => !onPodman(l, /^\d+: (\S+)/))
      .map((l) => l.replace(/\s+valid_lft.*$/, '')),
    links: lines(await cmd('ip', ['-o', 'link', 'show']))
      .filter((l) => !onPodman(l, /^\d+: ([^:@]+)/))
      .map((l) => l.replace(/\\\s+link\/.*$/, '')),
    routes: lines(await cmd('ip', ['route', 'show', 'table', 'all'])).filter(
      (l) => !onPodman(l, /\bdev (\S+)/),
    ),
    iptables,
    mounts,
    cgroups: cgroups.sort(),
    // netns-*: podman's containers' namespaces (the node's pods get cni-*).
    netns: (await readdir('/run/netns').catch(() => [])).filter((n) => !n.startsWith('netns-')).sort(),
    sysctls,
  };
}

/** Where the node suite's globalSetup keeps the snapshot taken before it brought the node up. */
export function snapshotFile(node: NodeConfig): string {
  return join(node.stateDir, '..', 'machine-before-node.json');
}
