import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, EnvReader } from '@iotpipe/contract';

/**
 * Everything the local control plane (etcd + kube-apiserver, no kubelet) needs to know, validated
 * once. Build it with {@link loadControlPlaneConfig}; nothing else reads the environment.
 */
export interface ControlPlaneConfig {
  /** The repository root: local/cluster/ (go.mod files, versions.json, pom.xml) lives under it. */
  readonly repoRoot: string;
  /** `<state>/cluster`: certificates, kubeconfig, etcd data, pid files and logs. */
  readonly stateDir: string;
  /** Downloads and builds, kept across `down` and across checkouts: binaries by version, CRDs. */
  readonly cacheDir: string;
  /** etcd's address: always loopback (plain HTTP; only local processes reach it). */
  readonly host: '127.0.0.1';
  /**
   * kube-apiserver's address: loopback, or for `cluster up --node` the node's own address (on
   * `lo`, inside the machine), where pods reach it through the `kubernetes` Service.
   */
  readonly apiserverHost: string;
  /** A kubelet registers with this plane (`cluster up --node`): Node authorizer, endpoints. */
  readonly servesNode: boolean;
  readonly etcdClientPort: number;
  readonly etcdPeerPort: number;
  readonly apiserverPort: number;
  /** How long `start` waits for etcd /health and kube-apiserver /readyz. */
  readonly readyTimeoutMs: number;
  /** The go command used to build etcd and kube-apiserver. */
  readonly go: string;
  /** A java (21+) for Strimzi's CRD generator; undefined = look for one (see crds.ts). */
  readonly java: string | undefined;
  /** The mvn command that fetches Strimzi's generator and API model from Maven Central. */
  readonly mvn: string;
}

/** The repository root, from IOTPIPE_ROOT (set by the Makefile) or from this file's location. */
export function defaultRepoRoot(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['IOTPIPE_ROOT'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  // local/src/cluster/config.ts and local/dist/cluster/config.js are both three levels down.
  return fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
}

export function loadControlPlaneConfig(env: NodeJS.ProcessEnv = process.env): ControlPlaneConfig {
  const read = new EnvReader(env);
  const repoRoot = defaultRepoRoot(env);
  const stateRoot = read.string('stateDir', 'IOTPIPE_STATE_DIR', join(repoRoot, '.state'));
  const cacheDir = read.string('cacheDir', 'IOTPIPE_CACHE_DIR', join(homedir(), '.cache', 'iotpipe'));
  for (const [field, envVar, value] of [
    ['stateDir', 'IOTPIPE_STATE_DIR', stateRoot],
    ['cacheDir', 'IOTPIPE_CACHE_DIR', cacheDir],
  ] as const) {
    if (!isAbsolute(value)) throw new ConfigError(field, envVar, `'${value}' is not an absolute path`);
  }
  const etcdClientPort = read.port('etcdClientPort', 'IOTPIPE_ETCD_CLIENT_PORT', 2379);
  const etcdPeerPort = read.port('etcdPeerPort', 'IOTPIPE_ETCD_PEER_PORT', 2380);
  const apiserverPort = read.port('apiserverPort', 'IOTPIPE_APISERVER_PORT', 6443);
  const ports = [
    ['etcdClientPort', 'IOTPIPE_ETCD_CLIENT_PORT', etcdClientPort],
    ['etcdPeerPort', 'IOTPIPE_ETCD_PEER_PORT', etcdPeerPort],
    ['apiserverPort', 'IOTPIPE_APISERVER_PORT', apiserverPort],
  ] as const;
  for (const [i, [field, envVar, port]] of ports.entries()) {
    const clash = ports.find(([, , other], j) => j < i && other === port);
    if (clash)
      throw new ConfigError(field, envVar, `port ${port} is already used by ${clash[0]} (${clash[1]})`);
  }
  const timeoutRaw = read.string('readyTimeoutMs', 'IOTPIPE_CLUSTER_READY_TIMEOUT', '120');
  const timeoutSeconds = Number(timeoutRaw);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new ConfigError(
      'readyTimeoutMs',
      'IOTPIPE_CLUSTER_READY_TIMEOUT',
      `'${timeoutRaw}' is not a positive number of seconds`,
    );
  }
  const java = read.string('java', 'IOTPIPE_JAVA', '');
  return {
    repoRoot,
    stateDir: join(stateRoot, 'cluster'),
    cacheDir,
    host: '127.0.0.1',
    apiserverHost: '127.0.0.1',
    servesNode: false,
    etcdClientPort,
    etcdPeerPort,
    apiserverPort,
    readyTimeoutMs: Math.round(timeoutSeconds * 1000),
    go: read.string('go', 'IOTPIPE_GO', 'go'),
    java: java === '' ? undefined : java,
    mvn: read.string('mvn', 'IOTPIPE_MVN', 'mvn'),
  };
}

/** Where each generated file of the control plane lives; one function so nothing guesses paths. */
export function clusterPaths(config: ControlPlaneConfig) {
  const s = config.stateDir;
  return {
    pki: join(s, 'pki'),
    caCert: join(s, 'pki', 'ca.crt'),
    caKey: join(s, 'pki', 'ca.key'),
    apiserverCert: join(s, 'pki', 'apiserver.crt'),
    apiserverKey: join(s, 'pki', 'apiserver.key'),
    adminCert: join(s, 'pki', 'admin.crt'),
    adminKey: join(s, 'pki', 'admin.key'),
    kubeletClientCert: join(s, 'pki', 'apiserver-kubelet-client.crt'),
    kubeletClientKey: join(s, 'pki', 'apiserver-kubelet-client.key'),
    saKey: join(s, 'pki', 'sa.key'),
    saPub: join(s, 'pki', 'sa.pub'),
    kubeconfig: join(s, 'kubeconfig'),
    etcdData: join(s, 'etcd'),
    run: join(s, 'run'),
    logs: join(s, 'logs'),
    lock: join(s, 'run', 'lock'),
  };
}

export type ClusterPaths = ReturnType<typeof clusterPaths>;
