/**
 * The platform's credentials on Kubernetes, made in the cluster so that no password or key is in
 * a manifest or a Helm value: random passwords (and values derived from them, such as a database
 * URL), a private CA, and server certificates it signs. `iotpipe-credentials` (a Job the
 * manifests run at every apply) creates each Secret that does not exist yet and never changes
 * one that does: a Secret deleted by hand is made anew (a rotation), a Secret the user made
 * themselves is kept. The specs (@iotpipe/contract credentials.ts) come from cdk8s
 * (src/charts/credentials.ts), which also wires the Secrets into the workloads. Making the
 * values is pure; ensureCredentials() does the I/O through the narrow {@link SecretStore}.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import type { CredentialSpec, KeySource } from '@iotpipe/contract';
import { certificate, keyPairOf, newKeyPair, pem, privateKeyPem, type Issuer } from './x509.js';

export { parseCredentialSpecs, type CredentialSpec, type KeySource } from '@iotpipe/contract';

/** How long the certificates are valid: a CA for ten years, servers for two. */
const CA_DAYS = 3650;
const SERVER_DAYS = 730;
const DAY_MS = 86_400_000;

/** 24 random bytes, base64url: 192 bits, safe in URLs and config files. */
export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

/** The values of a password Secret: random ones first, then the templates over them. Pure given `random`. */
export function passwordValues(
  keys: Readonly<Record<string, KeySource>>,
  random: () => string = newPassword,
  caCertificate: (ca: string) => string = (ca) => {
    throw new Error(`no CA ${ca}`);
  },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(keys)) {
    if ('random' in s) out[k] = random();
    else if ('value' in s) out[k] = s.value;
    else if ('caCertificateOf' in s) out[k] = caCertificate(s.caCertificateOf);
  }
  for (const [k, s] of Object.entries(keys)) {
    if ('template' in s)
      out[k] = s.template.replace(/\$\{([^}]*)\}/g, (_, ref: string) => encodeURIComponent(out[ref]!));
  }
  return out;
}

export interface SecretObject {
  name: string;
  type: 'Opaque' | 'kubernetes.io/tls';
  data: Record<string, string>;
}

/** What the Job may do with Secrets, and no more: create, and read its CA (RBAC resourceNames). */
export interface SecretStore {
  /** false when a Secret of that name exists (it is left as it is). */
  create(secret: SecretObject): Promise<boolean>;
  /** The string data of a Secret, or undefined when it does not exist. */
  read(name: string): Promise<Record<string, string> | undefined>;
}

/** Creates every Secret of `specs` that does not exist; returns one line per Secret. */
export async function ensureCredentials(
  specs: readonly CredentialSpec[],
  store: SecretStore,
  now: Date,
): Promise<string[]> {
  const lines: string[] = [];
  const issuers = new Map<string, { issuer: Issuer; certPem: string }>();
  const issuerOf = async (ca: string) => {
    const known = issuers.get(ca);
    if (known) return known;
    const data = await store.read(ca);
    if (!data?.['ca.key'] || !data['ca.crt']) throw new Error(`Secret ${ca} has no ca.key and ca.crt`);
    const subject = new X509Certificate(data['ca.crt']).subject;
    const commonName = /CN=([^\n]*)/.exec(subject)?.[1] ?? ca;
    const entry = { issuer: { commonName, keys: keyPairOf(data['ca.key']) }, certPem: data['ca.crt'] };
    issuers.set(ca, entry);
    return entry;
  };
  for (const spec of specs) {
    let secret: SecretObject;
    let remember: (() => void) | undefined;
    switch (spec.kind) {
      case 'passwords': {
        const cas = new Map<string, string>();
        for (const source of Object.values(spec.keys))
          if ('caCertificateOf' in source)
            cas.set(source.caCertificateOf, (await issuerOf(source.caCertificateOf)).certPem);
        secret = {
          name: spec.name,
          type: 'Opaque',
          data: passwordValues(spec.keys, newPassword, (ca) => cas.get(ca)!),
        };
        break;
      }
      case 'ca': {
        const keys = newKeyPair();
        const issuer = { commonName: spec.commonName, keys };
        const certPem = pem(
          'CERTIFICATE',
          certificate(
            {
              commonName: spec.commonName,
              ca: true,
              notBefore: now,
              notAfter: new Date(now.getTime() + CA_DAYS * DAY_MS),
              publicKey: keys.publicKey,
            },
            issuer,
          ),
        );
        secret = {
          name: spec.name,
          type: 'Opaque',
          data: { 'ca.crt': certPem, 'ca.key': privateKeyPem(keys.privateKey) },
        };
        remember = () => issuers.set(spec.name, { issuer, certPem });
        break;
      }
      case 'server-tls': {
        const { issuer, certPem } = await issuerOf(spec.ca);
        const keys = newKeyPair();
        const cert = certificate(
          {
            commonName: spec.dnsNames[0]!,
            dnsNames: spec.dnsNames,
            notBefore: now,
            notAfter: new Date(now.getTime() + SERVER_DAYS * DAY_MS),
            publicKey: keys.publicKey,
          },
          issuer,
        );
        secret = {
          name: spec.name,
          type: 'kubernetes.io/tls',
          data: {
            'tls.crt': pem('CERTIFICATE', cert),
            'tls.key': privateKeyPem(keys.privateKey),
            'ca.crt': certPem,
          },
        };
        break;
      }
    }
    const created = await store.create(secret);
    // A CA that already existed signs with its own key: read back on first use.
    if (created) remember?.();
    lines.push(`${created ? 'created' : 'kept'} Secret ${spec.name}`);
  }
  return lines;
}
