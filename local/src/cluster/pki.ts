import { access, chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { ClusterPaths, ControlPlaneConfig } from './config.js';
import { run } from './exec.js';

const OPENSSL_HINT = 'install openssl (apt-get install openssl)';
const DAYS = '3650';
/** The first address of --service-cluster-ip-range: the `kubernetes` Service's ClusterIP. */
export const SERVICE_CIDR = '10.96.0.0/12';
const KUBERNETES_SERVICE_IP = '10.96.0.1';
/** The admin user of the generated kubeconfig; system:masters bypasses RBAC. */
export const ADMIN_USER = 'iotpipe-admin';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd, installHint: OPENSSL_HINT });
}

/**
 * A private CA for this state dir, the apiserver's serving certificate, an admin client
 * certificate in system:masters and the service-account signing key pair. Generated once per state
 * dir (kept across down/up so kubeconfigs stay valid); `rm -r <state>/cluster` starts afresh.
 */
export async function ensurePki(paths: ClusterPaths, apiserverHost = '127.0.0.1'): Promise<void> {
  const dir = paths.pki;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (await ensureCa(paths, 'iotpipe-local-ca')) {
    // A new CA invalidates every certificate signed by the old one.
    await Promise.all([paths.apiserverCert, paths.adminCert].map((f) => rm(f, { force: true })));
  }
  const hostSan = apiserverHost === '127.0.0.1' ? '' : `,IP:${apiserverHost}`;
  await signedCert(paths, paths.apiserverCert, paths.apiserverKey, '/CN=kube-apiserver', [
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=IP:127.0.0.1${hostSan},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:${KUBERNETES_SERVICE_IP}`,
  ]);
  await clientCert(paths, paths.adminCert, paths.adminKey, `/O=system:masters/CN=${ADMIN_USER}`);
  // What the apiserver shows a kubelet when it fetches logs or runs exec.
  await clientCert(
    paths,
    paths.kubeletClientCert,
    paths.kubeletClientKey,
    '/O=system:masters/CN=kube-apiserver-kubelet-client',
  );
  if (!(await exists(paths.saKey)) || !(await exists(paths.saPub))) {
    await openssl(
      ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', paths.saKey],
      dir,
    );
    await openssl(['pkey', '-in', paths.saKey, '-pubout', '-out', paths.saPub], dir);
  }
  for (const key of [paths.caKey, paths.apiserverKey, paths.adminKey, paths.saKey]) await chmod(key, 0o600);
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA's files: its directory (certificates are made there), certificate and key. */
export interface CaFiles {
  readonly pki: string;
  readonly caCert: string;
  readonly caKey: string;
}

/** Makes the CA unless both its files exist; true when it was made (old certificates are void). */
export async function ensureCa(paths: CaFiles, commonName: string): Promise<boolean> {
  await mkdir(paths.pki, { recursive: true, mode: 0o700 });
  if ((await exists(paths.caCert)) && (await exists(paths.caKey))) return false;
  await openssl(
    [
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      paths.caKey,
      '-out',
      paths.caCert,
      '-days',
      DAYS,
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    paths.pki,
  );
  await chmod(paths.caKey, 0o600);
  return true;
}

/** A certificate signed by the state dir's CA, made once (kept while both files exist). */
export async function signedCert(
  paths: CaFiles,
  cert: string,
  key: string,
  subj: string,
  exts: readonly string[],
): Promise<void> {
  if ((await exists(cert)) && (await exists(key))) return;
  await openssl(
    [
      'req',
      '-x509',
      ...EC_KEY,
      '-CA',
      paths.caCert,
      '-CAkey',
      paths.caKey,
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      DAYS,
      '-subj',
      subj,
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      ...exts.flatMap((e) => ['-addext', e]),
    ],
    paths.pki,
  );
  await chmod(key, 0o600);
}

/** A client certificate (the subject's O= is the group, CN= the user Kubernetes sees). */
export function clientCert(paths: CaFiles, cert: string, key: string, subj: string): Promise<void> {
  return signedCert(paths, cert, key, subj, [
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=clientAuth',
  ]);
}

/** The server URL of the apiserver, as written into the kubeconfig. */
export function apiserverUrl(config: ControlPlaneConfig): string {
  return `https://${config.apiserverHost}:${config.apiserverPort}`;
}

/** Writes `<state>/cluster/kubeconfig` with the certificates inlined, so it can be copied anywhere. */
export function writeKubeconfig(config: ControlPlaneConfig, paths: ClusterPaths): Promise<void> {
  return writeKubeconfigFor(config, paths, {
    file: paths.kubeconfig,
    user: ADMIN_USER,
    cert: paths.adminCert,
    key: paths.adminKey,
  });
}

/** A kubeconfig for one client certificate (admin, kubelet, controller-manager, ...). */
export async function writeKubeconfigFor(
  config: ControlPlaneConfig,
  paths: ClusterPaths,
  who: { file: string; user: string; cert: string; key: string },
): Promise<void> {
  const b64 = async (f: string): Promise<string> => (await readFile(f)).toString('base64');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'iotpipe-local',
        cluster: { server: apiserverUrl(config), 'certificate-authority-data': await b64(paths.caCert) },
      },
    ],
    users: [
      {
        name: who.user,
        user: {
          'client-certificate-data': await b64(who.cert),
          'client-key-data': await b64(who.key),
        },
      },
    ],
    contexts: [
      {
        name: 'iotpipe-local',
        context: { cluster: 'iotpipe-local', user: who.user, namespace: 'default' },
      },
    ],
    'current-context': 'iotpipe-local',
    preferences: {},
  };
  await writeFile(who.file, stringify(doc), { mode: 0o600 });
}
