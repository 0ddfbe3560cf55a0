/**
 * The platform's generated credentials on Kubernetes, declared by cdk8s (which wires them into
 * the workloads) and made by the operator image's `iotpipe-credentials` Job: the shape of one
 * Secret to make, and its check. Pure.
 */

/** The Job's variable holding the specs (JSON list). */
export const CREDENTIALS_ENV = 'IOTPIPE_CREDENTIALS';

/** Where one key of a password Secret comes from. */
export type KeySource =
  | { readonly random: true }
  | { readonly value: string }
  /** `${key}` of another key of the same Secret, URL-encoded (for URLs). */
  | { readonly template: string }
  /** The certificate (ca.crt) of a CA declared before (what a client of its servers trusts). */
  | { readonly caCertificateOf: string };

export type CredentialSpec =
  | { readonly name: string; readonly kind: 'passwords'; readonly keys: Readonly<Record<string, KeySource>> }
  /** A private CA: keys ca.crt and ca.key. */
  | { readonly name: string; readonly kind: 'ca'; readonly commonName: string }
  /** A server certificate (kubernetes.io/tls: tls.crt, tls.key, and ca.crt to trust it). */
  | {
      readonly name: string;
      readonly kind: 'server-tls';
      /** The CA Secret (a `ca` spec before this one). */
      readonly ca: string;
      readonly dnsNames: readonly string[];
    };

const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const KEY_NAME = /^[-._a-zA-Z0-9]+$/;

function fail(path: string, reason: string): never {
  throw new Error(`${CREDENTIALS_ENV} ${path}: ${reason}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads and checks the specs (JSON); a bad one throws naming its place. Pure. */
export function parseCredentialSpecs(text: string): CredentialSpec[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    fail('', `not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(raw)) fail('', 'not a list');
  const seen = new Set<string>();
  const cas = new Set<string>();
  return raw.map((item, i): CredentialSpec => {
    const at = `[${i}]`;
    if (!isRecord(item)) fail(at, 'not an object');
    const name = item['name'];
    if (typeof name !== 'string' || !SECRET_NAME.test(name))
      fail(`${at}.name`, `'${String(name)}' is not a Secret name`);
    if (seen.has(name)) fail(`${at}.name`, `${name} twice`);
    seen.add(name);
    switch (item['kind']) {
      case 'passwords': {
        const keys = item['keys'];
        if (!isRecord(keys) || Object.keys(keys).length === 0) fail(`${at}.keys`, 'no keys');
        for (const [k, source] of Object.entries(keys)) {
          if (!KEY_NAME.test(k)) fail(`${at}.keys`, `'${k}' is not a Secret key`);
          const ok =
            isRecord(source) &&
            ((source['random'] === true && Object.keys(source).length === 1) ||
              (typeof source['value'] === 'string' && Object.keys(source).length === 1) ||
              (typeof source['template'] === 'string' && Object.keys(source).length === 1) ||
              (typeof source['caCertificateOf'] === 'string' && Object.keys(source).length === 1));
          if (!ok)
            fail(`${at}.keys.${k}`, 'not one of {random: true}, {value}, {template}, {caCertificateOf}');
          const ca = source['caCertificateOf'];
          if (typeof ca === 'string' && !cas.has(ca))
            fail(`${at}.keys.${k}`, `'${ca}' is not a CA declared before it`);
          const template = source['template'];
          if (typeof template === 'string')
            for (const [, ref] of template.matchAll(/\$\{([^}]*)\}/g))
              if (!(ref! in keys) || ref === k)
                fail(`${at}.keys.${k}`, `\${${ref}} is not another key of ${name}`);
        }
        return { name, kind: 'passwords', keys: keys as Record<string, KeySource> };
      }
      case 'ca': {
        const commonName = item['commonName'];
        if (typeof commonName !== 'string' || commonName === '') fail(`${at}.commonName`, 'missing');
        cas.add(name);
        return { name, kind: 'ca', commonName };
      }
      case 'server-tls': {
        const ca = item['ca'];
        if (typeof ca !== 'string' || !cas.has(ca))
          fail(`${at}.ca`, `'${String(ca)}' is not a CA declared before it`);
        const dnsNames = item['dnsNames'];
        if (
          !Array.isArray(dnsNames) ||
          dnsNames.length === 0 ||
          !dnsNames.every((d) => typeof d === 'string' && d !== '')
        )
          fail(`${at}.dnsNames`, 'not a list of host names');
        return { name, kind: 'server-tls', ca, dnsNames: dnsNames as string[] };
      }
      default:
        fail(`${at}.kind`, `'${String(item['kind'])}' is not passwords, ca or server-tls`);
    }
  });
}
