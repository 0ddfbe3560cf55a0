/**
 * The platform's credentials, made in the cluster: no password or key is in these manifests or
 * in the Helm values. `iotpipe-credentials` (a Job from the operator image, run at every apply)
 * creates each Secret below that does not exist yet and leaves existing ones alone, so a user
 * may bring their own (create it first) and a deleted one is made anew on the next apply (a
 * rotation). Its ServiceAccount may create Secrets in this namespace and read the CA Secret
 * only: nothing else.
 *
 * The one credential that cannot be generated, the SMTP account Alertmanager mails through, is
 * required: see {@link USER_SECRETS}.
 */
import { CREDENTIALS_ENV, jobObject, networkPolicy, stableHash, type CredentialSpec } from '@iotpipe/contract';
import { Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { IMAGES } from '../images.js';
import { ANYWHERE, API_SERVER_PORTS } from '../network.js';
import type { Profile } from '../profiles.js';
import { addObjects, componentLabels } from '../workload.js';
import { NAMES, PORTS } from './names.js';

/** Secrets the user makes before installing (the platform cannot invent them). */
export const USER_SECRETS = [NAMES.smtpSecret] as const;

/** A Service's in-cluster host names (short, namespaced, svc, cluster.local). */
function serviceHosts(name: string, namespace: string): string[] {
  return [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`];
}

/** The key of a login's Secret holding its database URL without the password. */
export const DATABASE_ADDRESS_KEY = 'database-address';

/** The login roles of the database and the Secrets holding them (the migration Job creates the roles). */
export const DATABASE_LOGINS = {
  owner: { secret: NAMES.timescaleOwnerSecret, user: 'iot_owner' },
  sink: { secret: NAMES.timescaleSinkSecret, user: 'iot_sink' },
  reader: { secret: NAMES.timescaleReaderSecret, user: 'iot_reader' },
  exporter: { secret: NAMES.timescaleExporterSecret, user: 'iot_exporter' },
} as const;

/** Every Secret the Job makes, in order (the CA before what it signs). */
export function credentialSpecs(namespace: string): CredentialSpec[] {
  const db = `${NAMES.timescale}:${PORTS.postgres}/${NAMES.timescaleDatabase}`;
  const login = (secret: string, user: string, url: boolean): CredentialSpec => ({
    name: secret,
    kind: 'passwords',
    keys: {
      username: { value: user },
      password: { random: true },
      database: { value: NAMES.timescaleDatabase },
      ...(url && {
        'database-url': { template: `postgres://${user}:\${password}@${db}` },
        // The same URL without the password, for a client that reads the password from a file
        // (an IoTPipeline's sink: spec.sink.databaseSecret key + passwordKey).
        [DATABASE_ADDRESS_KEY]: { value: `postgres://${user}@${db}` },
        // How to connect, for whoever reads the URL: TLS with the server's certificate and host
        // name checked against the platform CA (the keys the operator gives the sink).
        sslmode: { value: 'verify-full' },
        'ca.crt': { caCertificateOf: NAMES.platformCa },
      }),
    },
  });
  return [
    { name: NAMES.platformCa, kind: 'ca', commonName: `iotpipe platform CA (${namespace})` },
    {
      name: NAMES.timescaleTls,
      kind: 'server-tls',
      ca: NAMES.platformCa,
      dnsNames: [...serviceHosts(NAMES.timescale, namespace), ...serviceHosts(NAMES.timescaleHeadless, namespace)],
    },
    login(DATABASE_LOGINS.owner.secret, DATABASE_LOGINS.owner.user, true),
    login(DATABASE_LOGINS.sink.secret, DATABASE_LOGINS.sink.user, true),
    login(DATABASE_LOGINS.reader.secret, DATABASE_LOGINS.reader.user, true),
    login(DATABASE_LOGINS.exporter.secret, DATABASE_LOGINS.exporter.user, false),
    {
      name: NAMES.mosquittoSecret,
      kind: 'passwords',
      keys: { username: { value: 'pipeline' }, password: { random: true } },
    },
  ];
}

export interface CredentialsChartProps extends ChartProps {
  readonly profile: Profile;
  readonly namespace: string;
}

export class CredentialsChart extends Chart {
  constructor(scope: Construct, id: string, props: CredentialsChartProps) {
    super(scope, id, props);
    const name = NAMES.credentials;
    const labels = componentLabels(name, 'credentials');
    const specs = credentialSpecs(props.namespace);
    new k8s.KubeServiceAccount(this, 'sa', { metadata: { name, labels }, automountServiceAccountToken: false });
    new k8s.KubeRole(this, 'role', {
      metadata: { name, labels },
      rules: [
        // create cannot be limited to names (RBAC): any new Secret of this namespace, none read.
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        // Signing a new server certificate with the existing CA.
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [NAMES.platformCa] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'binding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name }],
    });
    // A Job's template cannot change: a new spec gets a new Job (name hashed from it); finished
    // ones go after an hour, and the next apply runs it again (it only makes what is missing).
    // (Hashed without the namespace: the Helm chart is synthesized with a stand-in for it.)
    const jobName = `${name}-${stableHash({ specs: credentialSpecs('-'), image: IMAGES.operator }).slice(0, 8)}`;
    const selector = { 'app.kubernetes.io/name': name };
    addObjects(this, [
      jobObject({
        metadata: { name: jobName, labels },
        selector,
        backoffLimit: 6,
        ttlSecondsAfterFinished: 3600,
        runAs: { user: 1000 },
        serviceAccountName: name,
        serviceAccountToken: true,
        containers: [
          {
            name: 'credentials',
            image: IMAGES.operator,
            command: ['node', '/app/operator/dist/credentials/main.js'],
            env: [
              { name: CREDENTIALS_ENV, value: JSON.stringify(specs) },
              { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            ],
            resources: props.profile.credentials,
          },
        ],
      }),
      networkPolicy({ name, labels }, { matchLabels: selector }, [], [{ peers: [ANYWHERE], ports: [...API_SERVER_PORTS] }]),
    ]);
  }
}
