// The node's configuration files, rendered from NodeConfig. Pure: no I/O, unit-tested.
import { stringify } from 'yaml';
import { cidrHost, type NodeConfig, type NodePaths } from './config.js';

/** runc from Debian (crun refuses this machine's hybrid cgroups). */
export const RUNC = '/usr/sbin/runc';
/** Debian's containernetworking-plugins. */
export const CNI_BIN_DIR = '/usr/lib/cni';
export const CNI_NETWORK = 'iotpipe';

/**
 * containerd (Debian's 1.6) for the kubelet only: its own root, state and socket under the node's
 * state dir, so it never meets another containerd. The sandbox image is built here (images/pause),
 * so nothing is pulled.
 */
export function containerdConfig(config: NodeConfig, paths: NodePaths, sandboxImage: string): string {
  const q = (s: string): string => JSON.stringify(s);
  return `# Written by make node-up (local/src/cluster/node/files.ts); rewritten on every up.
version = 2
root = ${q(paths.containerdRoot)}
state = ${q(paths.containerdState)}

[grpc]
  address = ${q(paths.containerdSocket)}

[ttrpc]
  address = ${q(`${paths.containerdSocket}.ttrpc`)}

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(`${paths.containerdRoot}/opt`)}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${q(sandboxImage)}
  # Root here lacks CAP_SYS_RESOURCE: oom_score_adj can only be raised, never lowered.
  restrict_oom_score_adj = true
  disable_apparmor = true
  # kubectl exec/logs streams: loopback, a port the kernel picks.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = ${q(RUNC)}
        Root = ${q(paths.runcRoot)}
        # kubelet's cgroupDriver is cgroupfs: the machine's cgroups are v1, without systemd.
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ${q(CNI_BIN_DIR)}
    conf_dir = ${q(paths.cniConfDir)}
`;
}

/**
 * Bridge CNI: every pod on `config.bridge`, addresses from the pod CIDR (host-local IPAM), routes
 * to the service range and the node IP only. No default route and no IP masquerade: a pod can
 * reach pods, Services and the node, nothing beyond the machine.
 */
export function cniConflist(config: NodeConfig, paths: NodePaths): string {
  return `${JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: CNI_NETWORK,
      plugins: [
        {
          type: 'bridge',
          bridge: config.bridge,
          isGateway: true,
          isDefaultGateway: false,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: paths.cniIpamDir,
            ranges: [[{ subnet: config.podCidr.text, gateway: cidrHost(config.podCidr, 1) }]],
            routes: [{ dst: config.serviceCidr.text }, { dst: `${config.nodeIp}/32` }],
          },
        },
      ],
    },
    null,
    2,
  )}\n`;
}

export function kubeletConfig(config: NodeConfig, paths: NodePaths, caCert: string): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // The machine's cgroups are v1 (hybrid); kubelet >= 1.35 refuses them unless told.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    // Pods' cgroups under one directory of each hierarchy, which `down` removes.
    cgroupRoot: config.cgroupRoot,
    containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
    address: config.nodeIp,
    port: config.ports.kubelet,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: config.ports.kubeletHealthz,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: caCert },
    },
    authorization: { mode: 'Webhook' },
    clusterDomain: config.clusterDomain,
    clusterDNS: [config.dnsIp],
    // Pods with dnsPolicy Default get no nameserver: the machine's resolver is not theirs to use.
    resolvConf: '',
    podLogsDir: paths.podLogs,
    failSwapOn: false,
    // No CAP_SYS_RESOURCE: kubelet may not lower its own oom_score_adj.
    oomScoreAdj: 0,
    serializeImagePulls: false,
    // Every image is loaded by hand (nothing can be pulled again): never garbage-collect one.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    maxPods: 110,
    containerLogMaxSize: '10Mi',
  });
}

export function kubeProxyConfig(config: NodeConfig, kubeconfig: string): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clientConnection: { kubeconfig },
    clusterCIDR: config.podCidr.text,
    hostnameOverride: config.nodeName,
    bindAddress: config.nodeIp,
    metricsBindAddress: `127.0.0.1:${config.ports.kubeProxyMetrics}`,
    healthzBindAddress: `127.0.0.1:${config.ports.kubeProxyHealthz}`,
    // NodePorts answer on the node IP only (inside the machine), never on eth0 or 127.0.0.1
    // (which would need route_localnet).
    nodePortAddresses: [`${config.nodeIp}/32`],
    iptables: { localhostNodePorts: false },
    // Leave the machine's conntrack sysctls alone (no CAP_SYS_RESOURCE, and they are not ours).
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
  });
}
