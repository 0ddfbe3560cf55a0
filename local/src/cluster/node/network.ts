import { mkdir, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { run } from '../exec.js';
import { cidrHost, type NodeConfig, type NodePaths } from './config.js';

const IPROUTE_HINT = 'apt-get install iproute2 (make deps installs it)';
const IPTABLES_HINT = 'apt-get install iptables (make deps installs it)';

/** What `up` found before it changed the host, so `down` restores exactly that. */
export interface NetworkRecord {
  /** sysctl name -> the value before up changed it. */
  readonly sysctls: Record<string, string>;
  /** Chains (`family/table/chain`) that existed before up: never removed. */
  readonly chainsBefore: readonly string[];
  /** Rules (`family/table/-A ...`) that existed before up: never removed. */
  readonly rulesBefore: readonly string[];
  /** Network namespaces in /run/netns before up: never removed. */
  readonly netnsBefore: readonly string[];
  /**
   * Which of up's own pieces were already there when up first ran (left by a node that was
   * stopped without `down`, or made by someone else): down leaves them, as it found them.
   * Absent in records of older versions: nothing was found.
   */
  readonly found?: {
    readonly nodeAddress: boolean;
    readonly bridge: boolean;
    readonly serviceRoute: boolean;
  };
}

/** The sysctls the node needs: forwarding for pod -> Service -> pod, and bridged traffic through iptables (kube-proxy's DNAT). */
export const NODE_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.ip_forward': '1',
  'net.bridge.bridge-nf-call-iptables': '1',
};

const sysctlPath = (name: string): string => join('/proc/sys', ...name.split('.'));

async function ip(args: string[]): Promise<string> {
  return (await run('ip', args, { installHint: IPROUTE_HINT })).stdout;
}

async function tryIp(args: string[]): Promise<boolean> {
  return ip(args).then(
    () => true,
    () => false,
  );
}

async function iptables(cmd: 'iptables' | 'ip6tables', args: string[]): Promise<string> {
  return (await run(cmd, ['-w', ...args], { installHint: IPTABLES_HINT })).stdout;
}

export type Family = 'ipv4' | 'ipv6';
const BUILTIN_CHAINS = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);

/**
 * The user-defined chains (`family/table/chain`) and all rules (`family/table/-A ...`) of an
 * iptables-save output. Pure.
 */
export function parseIptablesSave(saveOutput: string, family: Family): { chains: string[]; rules: string[] } {
  const chains: string[] = [];
  const rules: string[] = [];
  let table = '';
  for (const line of saveOutput.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const chain = /^:(\S+)\s/.exec(line);
    if (chain && !BUILTIN_CHAINS.has(chain[1]!)) chains.push(`${family}/${table}/${chain[1]}`);
    if (line.startsWith('-A ')) rules.push(`${family}/${table}/${line.trim()}`);
  }
  return { chains, rules };
}

async function iptablesState(): Promise<{ chains: string[]; rules: string[] }> {
  const state = { chains: [] as string[], rules: [] as string[] };
  for (const [cmd, family] of [
    ['iptables-save', 'ipv4'],
    ['ip6tables-save', 'ipv6'],
  ] as const) {
    const out = (await run(cmd, [], { installHint: IPTABLES_HINT })).stdout;
    const parsed = parseIptablesSave(out, family);
    state.chains.push(...parsed.chains);
    state.rules.push(...parsed.rules);
  }
  return state;
}

async function listNetns(): Promise<string[]> {
  return readdir('/run/netns').catch(() => []);
}

/**
 * Makes the node's host network: the node IP on `lo`, the pods' bridge with its gateway address,
 * the service range routed into the bridge (so a ClusterIP without endpoints goes nowhere rather
 * than out of eth0), and the isolation chain that drops anything forwarded from or to the bridge
 * that is not pod-to-pod. Idempotent; the record of what was there before is written once.
 */
export async function networkUp(config: NodeConfig, paths: NodePaths): Promise<void> {
  let record: NetworkRecord | undefined = await readRecord(paths);
  if (record === undefined) {
    const sysctls: Record<string, string> = {};
    for (const name of Object.keys(NODE_SYSCTLS))
      sysctls[name] = (await readFile(sysctlPath(name), 'utf8')).trim();
    const tables = await iptablesState();
    record = {
      sysctls,
      chainsBefore: tables.chains,
      rulesBefore: tables.rules,
      netnsBefore: await listNetns(),
      found: {
        nodeAddress: await hasNodeAddress(config),
        bridge: await tryIp(['link', 'show', 'dev', config.bridge]),
        serviceRoute: (await ip(['route', 'show', config.serviceCidr.text])).trim() !== '',
      },
    };
    await mkdir(dirname(paths.networkRecord), { recursive: true });
    await writeFile(paths.networkRecord, JSON.stringify(record, null, 2));
  }
  if (!(await hasNodeAddress(config))) await ip(['addr', 'add', `${config.nodeIp}/32`, 'dev', 'lo']);
  if (!(await tryIp(['link', 'show', 'dev', config.bridge]))) {
    await ip(['link', 'add', config.bridge, 'type', 'bridge']);
  }
  const gateway = `${cidrHost(config.podCidr, 1)}/${config.podCidr.bits}`;
  if (!(await ip(['-o', 'addr', 'show', 'dev', config.bridge])).includes(` ${gateway} `))
    await ip(['addr', 'add', gateway, 'dev', config.bridge]);
  await ip(['link', 'set', config.bridge, 'up']);
  await ip(['route', 'replace', config.serviceCidr.text, 'dev', config.bridge]);
  const chain = config.isolationChain;
  const pods = config.podCidr.text;
  const existing = await iptables('iptables', ['-S']);
  if (!existing.includes(`-N ${chain}`)) {
    await iptables('iptables', ['-N', chain]);
    await iptables('iptables', ['-A', chain, '-s', pods, '-d', pods, '-j', 'RETURN']);
    await iptables('iptables', ['-A', chain, '-j', 'DROP']);
  }
  // Only what enters or leaves through the pods' bridge: other bridges on this machine (the chaos
  // suite's netns Kafka, say) forward their own traffic through the same FORWARD chain, since
  // bridge-nf-call-iptables applies to every bridge.
  for (const direction of ['-o', '-i'] as const) {
    if (!existing.includes(`-A FORWARD ${direction} ${config.bridge} -j ${chain}`))
      await iptables('iptables', ['-I', 'FORWARD', '1', direction, config.bridge, '-j', chain]);
  }
  for (const [name, value] of Object.entries(NODE_SYSCTLS)) await writeFile(sysctlPath(name), value);
}

async function hasNodeAddress(config: NodeConfig): Promise<boolean> {
  return (await ip(['-o', 'addr', 'show', 'dev', 'lo'])).includes(` ${config.nodeIp}/32 `);
}

async function readRecord(paths: NodePaths): Promise<NetworkRecord | undefined> {
  const text = await readFile(paths.networkRecord, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as NetworkRecord);
}

/**
 * Undoes networkUp and whatever kubelet, kube-proxy and the CNI plugin added: their iptables
 * chains (any chain that was not there before up), the pods' network namespaces, the bridge, the
 * route, the node IP, the sysctls; of these, what was there before up stays. Best effort per
 * item, so one failure does not leave the rest; returns what it could not undo.
 */
export async function networkDown(config: NodeConfig, paths: NodePaths): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  };
  const record = await readRecord(paths);
  // Without a record (never up, or it was lost) only chains that are ours by name are removed.
  const chainsBefore = new Set(record?.chainsBefore ?? []);
  const rulesBefore = new Set(record?.rulesBefore ?? []);
  const now = await iptablesState().catch(() => ({ chains: [] as string[], rules: [] as string[] }));
  const newChains = now.chains.filter(
    (c) => !chainsBefore.has(c) && (record !== undefined || /\/(KUBE-|CNI-|IOTPIPE-)[^/]*$/.test(c)),
  );
  const newChainSet = new Set(newChains);
  // Rules that up, kubelet or kube-proxy added to chains that stay: deleted one by one.
  for (const rule of now.rules) {
    const [family = '', table = '', text = ''] = splitKey(rule);
    const chain = /^-A (\S+)/.exec(text)?.[1] ?? '';
    if (newChainSet.has(`${family}/${table}/${chain}`)) continue;
    const jumpsIntoNew = /-j (\S+)/.exec(text)?.[1];
    const added =
      record !== undefined ? !rulesBefore.has(rule) : newChainSet.has(`${family}/${table}/${jumpsIntoNew}`);
    if (!added) continue;
    const cmd = family === 'ipv4' ? 'iptables' : 'ip6tables';
    await attempt(`${cmd} -t ${table} ${text}`, () =>
      iptables(cmd, ['-t', table, '-D', ...splitRule(text.slice(3))]),
    );
  }
  for (const op of ['-F', '-X'] as const) {
    for (const c of newChains) {
      const [family = '', table = '', chain = ''] = c.split('/');
      const cmd = family === 'ipv4' ? 'iptables' : 'ip6tables';
      await attempt(`${cmd} -t ${table} ${op} ${chain}`, () => iptables(cmd, ['-t', table, op, chain]));
    }
  }
  // Pod namespaces are named cni-<uuid> by whoever runs CNI, so only the record tells the node's
  // apart; without one (a down after a clean down) none is the node's. Namespaces a killed node
  // left on this machine could not even be deleted (unlink: EBUSY): a second down must not fail
  // on them.
  if (record !== undefined) {
    const netnsBefore = new Set(record.netnsBefore);
    for (const ns of await listNetns()) {
      if (!netnsBefore.has(ns) && ns.startsWith('cni-'))
        await attempt(`ip netns delete ${ns}`, () => ip(['netns', 'delete', ns]));
    }
  }
  const found = record?.found;
  if (!found?.bridge && (await tryIp(['link', 'show', 'dev', config.bridge])))
    await attempt(`ip link delete ${config.bridge}`, () => ip(['link', 'delete', config.bridge]));
  const routes = await ip(['route', 'show', config.serviceCidr.text]).catch(() => '');
  if (!found?.serviceRoute && routes.trim() !== '')
    await attempt(`ip route del ${config.serviceCidr.text}`, () =>
      ip(['route', 'del', config.serviceCidr.text]),
    );
  const nodeAddr = `${config.nodeIp}/32`;
  if (!found?.nodeAddress && (await hasNodeAddress(config).catch(() => false)))
    await attempt(`ip addr del ${nodeAddr} dev lo`, () => ip(['addr', 'del', nodeAddr, 'dev', 'lo']));
  for (const [name, value] of Object.entries(record?.sysctls ?? {}))
    await attempt(`sysctl ${name}=${value}`, () => writeFile(sysctlPath(name), value));
  // Kept while something could not be undone, so the next down knows what was there before.
  if (problems.length === 0) await rm(paths.networkRecord, { force: true });
  return problems;
}

/** `family/table/-A CHAIN ...` -> its three parts (the rule may contain slashes). */
function splitKey(key: string): [string, string, string] {
  const a = key.indexOf('/');
  const b = key.indexOf('/', a + 1);
  return [key.slice(0, a), key.slice(a + 1, b), key.slice(b + 1)];
}

/** Splits an iptables -S rule into arguments, keeping quoted strings (comments) whole. Pure. */
export function splitRule(rule: string): string[] {
  const args: string[] = [];
  for (const m of rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g))
    args.push(m[1] !== undefined ? m[1].replace(/\\"/g, '"') : m[2]!);
  return args;
}

/** Removes the node's cgroup directories (depth first) in every hierarchy; returns those it could not. */
export async function removeCgroups(cgroupRoot: string): Promise<string[]> {
  const left: string[] = [];
  const hierarchies = await readdir('/sys/fs/cgroup').catch(() => []);
  const removeTree = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await removeTree(join(dir, e.name));
    await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') left.push(`${dir}: ${err.code}`);
    });
  };
  for (const h of hierarchies) await removeTree(join('/sys/fs/cgroup', h, cgroupRoot));
  return left;
}

/** Creates the node's cgroup directory in every v1 hierarchy (kubelet wants its cgroupRoot to exist). */
export async function makeCgroups(cgroupRoot: string): Promise<void> {
  for (const h of await readdir('/sys/fs/cgroup')) {
    if (h === 'unified') continue;
    const dir = join('/sys/fs/cgroup', h, cgroupRoot);
    await mkdir(dir, { recursive: true });
    if (h === 'cpuset') {
      // A v1 cpuset starts empty, and an empty one takes no tasks: inherit the root's.
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        const current = (await readFile(join(dir, f), 'utf8')).trim();
        if (current === '')
          await writeFile(join(dir, f), await readFile(join('/sys/fs/cgroup', h, f), 'utf8'));
      }
    }
  }
}
