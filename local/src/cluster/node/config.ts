import { join } from 'node:path';
import { ConfigError, EnvReader } from '@iotpipe/contract';
import { loadControlPlaneConfig, type ControlPlaneConfig } from '../config.js';
import { SERVICE_CIDR } from '../pki.js';

/**
 * The single-node cluster of `make node-up`: its own control plane (etcd +
 * kube-apiserver, in `<state>/node`), containerd, kubelet, kube-controller-manager,
 * kube-scheduler, kube-proxy, and the addresses it makes on this machine. Every address is inside
 * the machine: the node IP sits on `lo`, pods live in network namespaces on a bridge the node
 * makes, and nothing routes, masquerades or resolves outward. Validated once, without network.
 */
export interface NodeConfig {
  /** The node's control plane: kube-apiserver on the node IP, serving a kubelet. */
  readonly plane: ControlPlaneConfig;
  /** `<state>/node`: PKI, etcd, containerd's root, kubelet's root, CNI state, volumes, logs. */
  readonly stateDir: string;
  readonly nodeName: string;
  /** A /32 on `lo` (the kernel here has no dummy interfaces): kubelet, kube-proxy and the apiserver use it. */
  readonly nodeIp: string;
  /** The pods' subnet, on the bridge; its first address is the bridge's (the pods' gateway). */
  readonly podCidr: Cidr;
  /** kube-apiserver's --service-cluster-ip-range, routed into the bridge. */
  readonly serviceCidr: Cidr;
  /** The cluster DNS Service's ClusterIP (CoreDNS). */
  readonly dnsIp: string;
  readonly clusterDomain: string;
  /** The Linux bridge the CNI plugin attaches pods to. */
  readonly bridge: string;
  /** The iptables chain (filter FORWARD) that drops anything forwarded but pod-to-pod. */
  readonly isolationChain: string;
  /** The cgroup (in every v1 hierarchy) that kubelet puts pods under: removed by `down`. */
  readonly cgroupRoot: string;
  readonly ports: NodePorts;
  readonly readyTimeoutMs: number;
}

export interface NodePorts {
  /** kubelet's API (on the node IP: the apiserver calls it for logs and exec). */
  readonly kubelet: number;
  readonly kubeletHealthz: number;
  readonly controllerManager: number;
  readonly scheduler: number;
  readonly kubeProxyMetrics: number;
  readonly kubeProxyHealthz: number;
}

export interface Cidr {
  readonly text: string;
  readonly base: number;
  readonly bits: number;
}

/** Parses `a.b.c.d/n` (the address must be the network's first). Pure. */
export function parseCidr(field: string, envVar: string, text: string): Cidr {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(text);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || bits < 8 || bits > 30) {
    throw new ConfigError(field, envVar, `'${text}' is not an IPv4 CIDR like 10.244.0.0/24 (/8../30)`);
  }
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (base % 2 ** (32 - bits) !== 0) {
    throw new ConfigError(
      field,
      envVar,
      `'${text}' has host bits set: the network is ${formatIp(base - (base % 2 ** (32 - bits)))}/${bits}`,
    );
  }
  return { text, base, bits };
}

export function parseIp(field: string, envVar: string, text: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  if (!m || octets.some((o) => o > 255))
    throw new ConfigError(field, envVar, `'${text}' is not an IPv4 address`);
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + 2 ** (32 - c.bits);
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b.base) || cidrContains(b, a.base);
}

/** The nth address of a CIDR (1 = the gateway, the bridge's). */
export function cidrHost(c: Cidr, n: number): string {
  return formatIp(c.base + n);
}

/** Private ranges only: a node address or pod range anywhere else could shadow a real network. */
const PRIVATE: readonly Cidr[] = [
  { text: '10.0.0.0/8', base: 10 * 2 ** 24, bits: 8 },
  { text: '172.16.0.0/12', base: (172 * 256 + 16) * 2 ** 16, bits: 12 },
  { text: '192.168.0.0/16', base: (192 * 256 + 168) * 2 ** 16, bits: 16 },
];

export function loadNodeConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const read = new EnvReader(env);
  const base = loadControlPlaneConfig(env);
  const stateDir = join(base.stateDir, '..', 'node');
  const nodeIpText = read.string('nodeIp', 'IOTPIPE_NODE_IP', '10.200.0.1');
  const nodeIp = parseIp('nodeIp', 'IOTPIPE_NODE_IP', nodeIpText);
  const podCidr = parseCidr(
    'podCidr',
    'IOTPIPE_NODE_POD_CIDR',
    read.string('podCidr', 'IOTPIPE_NODE_POD_CIDR', '10.244.0.0/24'),
  );
  const serviceCidr = parseCidr('serviceCidr', 'SERVICE_CIDR (local/src/cluster/pki.ts)', SERVICE_CIDR);
  if (!PRIVATE.some((p) => cidrContains(p, nodeIp)))
    throw new ConfigError('nodeIp', 'IOTPIPE_NODE_IP', `'${nodeIpText}' is not a private (RFC 1918) address`);
  if (
    !PRIVATE.some(
      (p) => cidrContains(p, podCidr.base) && cidrContains(p, podCidr.base + 2 ** (32 - podCidr.bits) - 1),
    )
  )
    throw new ConfigError(
      'podCidr',
      'IOTPIPE_NODE_POD_CIDR',
      `'${podCidr.text}' is not inside a private (RFC 1918) range`,
    );
  if (overlaps(podCidr, serviceCidr))
    throw new ConfigError(
      'podCidr',
      'IOTPIPE_NODE_POD_CIDR',
      `'${podCidr.text}' overlaps the service range ${serviceCidr.text}`,
    );
  if (cidrContains(podCidr, nodeIp) || cidrContains(serviceCidr, nodeIp))
    throw new ConfigError('nodeIp', 'IOTPIPE_NODE_IP', `'${nodeIpText}' lies in the pod or service range`);
  const bridge = read.string('bridge', 'IOTPIPE_NODE_BRIDGE', 'iotpipe0');
  if (!/^[a-z][a-z0-9]{0,14}$/.test(bridge))
    throw new ConfigError(
      'bridge',
      'IOTPIPE_NODE_BRIDGE',
      `'${bridge}' is not an interface name (a-z0-9, at most 15)`,
    );
  const nodeName = read.string('nodeName', 'IOTPIPE_NODE_NAME', 'iotpipe-node');
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(nodeName))
    throw new ConfigError('nodeName', 'IOTPIPE_NODE_NAME', `'${nodeName}' is not a DNS-1123 label`);
  const ports: NodePorts = {
    kubelet: read.port('ports.kubelet', 'IOTPIPE_KUBELET_PORT', 10250),
    kubeletHealthz: read.port('ports.kubeletHealthz', 'IOTPIPE_KUBELET_HEALTHZ_PORT', 10248),
    controllerManager: read.port('ports.controllerManager', 'IOTPIPE_CONTROLLER_MANAGER_PORT', 10257),
    scheduler: read.port('ports.scheduler', 'IOTPIPE_SCHEDULER_PORT', 10259),
    kubeProxyMetrics: read.port('ports.kubeProxyMetrics', 'IOTPIPE_KUBE_PROXY_METRICS_PORT', 10249),
    kubeProxyHealthz: read.port('ports.kubeProxyHealthz', 'IOTPIPE_KUBE_PROXY_HEALTHZ_PORT', 10256),
  };
  // The node's etcd has ports of its own, so a bare control plane (make test's) may run beside it.
  const etcdClientPort = read.port('etcdClientPort', 'IOTPIPE_NODE_ETCD_CLIENT_PORT', 12379);
  const etcdPeerPort = read.port('etcdPeerPort', 'IOTPIPE_NODE_ETCD_PEER_PORT', 12380);
  const all = [
    ...Object.entries(ports),
    ['etcdClientPort', etcdClientPort],
    ['etcdPeerPort', etcdPeerPort],
    ['apiserverPort', base.apiserverPort],
  ] as const;
  for (const [i, [name, port]] of all.entries()) {
    const clash = all.find(([, other], j) => j < i && other === port);
    if (clash) throw new ConfigError(`ports.${name}`, 'IOTPIPE_*_PORT', `port ${port} is also ${clash[0]}'s`);
  }
  return {
    plane: {
      ...base,
      etcdClientPort,
      etcdPeerPort,
      stateDir,
      apiserverHost: formatIp(nodeIp),
      servesNode: true,
    },
    stateDir,
    nodeName,
    nodeIp: formatIp(nodeIp),
    podCidr,
    serviceCidr,
    dnsIp: cidrHost(serviceCidr, 10),
    clusterDomain: 'cluster.local',
    bridge,
    isolationChain: 'IOTPIPE-ISOLATE',
    cgroupRoot: '/iotpipe',
    ports,
    readyTimeoutMs: base.readyTimeoutMs,
  };
}

/** Where each file of the node lives; one function so nothing guesses paths. */
export function nodePaths(config: NodeConfig) {
  const s = config.stateDir;
  return {
    pki: join(s, 'pki'),
    run: join(s, 'run'),
    logs: join(s, 'logs'),
    /** The host network changes `up` made and the sysctls it changed, for `down` to undo. */
    networkRecord: join(s, 'run', 'network.json'),
    containerdConfig: join(s, 'containerd', 'config.toml'),
    containerdRoot: join(s, 'containerd', 'root'),
    containerdState: join(s, 'containerd', 'state'),
    containerdSocket: join(s, 'containerd', 'containerd.sock'),
    runcRoot: join(s, 'containerd', 'runc'),
    cniConfDir: join(s, 'cni', 'net.d'),
    cniIpamDir: join(s, 'cni', 'ipam'),
    kubeletRoot: join(s, 'kubelet'),
    kubeletConfig: join(s, 'conf', 'kubelet.yaml'),
    kubeProxyConfig: join(s, 'conf', 'kube-proxy.yaml'),
    podLogs: join(s, 'pod-logs'),
    volumes: join(s, 'volumes'),
    kubeconfigs: join(s, 'conf'),
  };
}

export type NodePaths = ReturnType<typeof nodePaths>;
