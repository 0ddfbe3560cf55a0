/**
 * Where the API server is and how to authenticate, without @kubernetes/client-node: importing
 * it loads every generated API client (about 77 MiB of RSS for an operator that uses none of
 * them). Covered here: in-cluster (the service account's token, re-read as it rotates, and CA),
 * and a kubeconfig file whose user has client certificates or a token. Anything else (several
 * kubeconfig files to merge, exec or auth-provider plugins, basic auth) is handed to
 * client-node's KubeConfig, imported only then.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type { RequestOptions } from 'node:https';
import { parse } from 'yaml';

export interface Credentials {
  readonly tls: Pick<
    RequestOptions,
    'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername'
  >;
  readonly headers: Record<string, string>;
}

export interface Connection {
  readonly server: URL;
  /** Called again now and then (tokens rotate). */
  credentials(): Promise<Credentials>;
}

/** What the operator needs of client-node's KubeConfig (structurally: no import of it). */
export interface KubeConfigLike {
  getCurrentCluster(): { server: string; skipTLSVerify?: boolean; tlsServerName?: string } | null;
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}

export function isConnection(value: Connection | KubeConfigLike): value is Connection {
  return 'credentials' in value && 'server' in value;
}

/** A connection from a loaded client-node KubeConfig (tests, and the kubeconfigs loadConnection hands over). */
export function connectionFromKubeConfig(kc: KubeConfigLike): Connection {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  return {
    server: new URL(cluster.server),
    async credentials() {
      const opts: RequestOptions = {};
      await kc.applyToHTTPSOptions(opts);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
      if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
      return {
        tls: {
          ca: opts.ca,
          cert: opts.cert,
          key: opts.key,
          pfx: opts.pfx,
          passphrase: opts.passphrase,
          ...(cluster.skipTLSVerify ? { rejectUnauthorized: false } : {}),
          ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
        },
        headers,
      };
    },
  };
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

type Named<T> = Array<{ name?: string } & T>;
interface KubeconfigFile {
  'current-context'?: string;
  contexts?: Named<{ context?: { cluster?: string; user?: string } }>;
  clusters?: Named<{
    cluster?: {
      server?: string;
      'certificate-authority'?: string;
      'certificate-authority-data'?: string;
      'insecure-skip-tls-verify'?: boolean;
      'tls-server-name'?: string;
    };
  }>;
  users?: Named<{ user?: Record<string, unknown> }>;
}

/** The fields of a kubeconfig user this module handles itself. */
const SIMPLE_USER_FIELDS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'tokenFile',
]);

async function viaClientNode(): Promise<Connection> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return connectionFromKubeConfig(kc);
}

/** The API server as client-go finds it: $KUBECONFIG, else ~/.kube/config, else in-cluster. */
export async function loadConnection(env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const files = (env.KUBECONFIG ?? '').split(':').filter(Boolean);
  if (files.length > 1) return viaClientNode();
  const file = files[0] ?? join(env.HOME ?? homedir(), '.kube', 'config');
  if (existsSync(file)) return (await fromKubeconfigFile(file)) ?? viaClientNode();
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) return inCluster(env);
  throw new Error(`no kubeconfig (${file}) and not in a cluster (KUBERNETES_SERVICE_HOST unset)`);
}

function inCluster(env: NodeJS.ProcessEnv): Connection {
  const host = env.KUBERNETES_SERVICE_HOST!;
  const server = new URL(`https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT}`);
  const ca = readFileSync(join(SERVICE_ACCOUNT, 'ca.crt'));
  return {
    server,
    credentials: () =>
      Promise.resolve({
        tls: { ca },
        headers: { Authorization: `Bearer ${readFileSync(join(SERVICE_ACCOUNT, 'token'), 'utf8').trim()}` },
      }),
  };
}

/** The file's current context, or undefined when it needs what only client-node does. */
async function fromKubeconfigFile(file: string): Promise<Connection | undefined> {
  const config = parse(readFileSync(file, 'utf8')) as KubeconfigFile;
  const context = config.contexts?.find((c) => c.name === config['current-context'])?.context;
  const cluster = config.clusters?.find((c) => c.name === context?.cluster)?.cluster;
  const user = config.users?.find((u) => u.name === context?.user)?.user ?? {};
  if (!cluster?.server || Object.keys(user).some((k) => !SIMPLE_USER_FIELDS.has(k))) return undefined;
  const base = dirname(file);
  const read = (path: string) => readFileSync(isAbsolute(path) ? path : join(base, path));
  const pem = (data: unknown, path: unknown): Buffer | undefined =>
    typeof data === 'string'
      ? Buffer.from(data, 'base64')
      : typeof path === 'string'
        ? read(path)
        : undefined;
  const tls: Credentials['tls'] = {
    ca: pem(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: pem(user['client-certificate-data'], user['client-certificate']),
    key: pem(user['client-key-data'], user['client-key']),
    ...(cluster['insecure-skip-tls-verify'] ? { rejectUnauthorized: false } : {}),
    ...(cluster['tls-server-name'] ? { servername: cluster['tls-server-name'] } : {}),
  };
  const token = () =>
    typeof user.token === 'string'
      ? user.token
      : typeof user.tokenFile === 'string'
        ? read(user.tokenFile).toString('utf8').trim()
        : undefined;
  return Promise.resolve({
    server: new URL(cluster.server),
    credentials: (): Promise<Credentials> => {
      const t = token();
      const headers: Record<string, string> = t ? { Authorization: `Bearer ${t}` } : {};
      return Promise.resolve({ tls, headers });
    },
  });
}
