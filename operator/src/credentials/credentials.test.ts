import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ensureCredentials,
  parseCredentialSpecs,
  passwordValues,
  type CredentialSpec,
  type SecretObject,
  type SecretStore,
} from './credentials.js';

/** An in-memory namespace of Secrets that behaves as the API server does for create and get. */
class MemoryStore implements SecretStore {
  readonly secrets = new Map<string, SecretObject>();
  async create(secret: SecretObject): Promise<boolean> {
    if (this.secrets.has(secret.name)) return false;
    this.secrets.set(secret.name, secret);
    return Promise.resolve(true);
  }
  async read(name: string): Promise<Record<string, string> | undefined> {
    return Promise.resolve(this.secrets.get(name)?.data);
  }
}

const SPECS: CredentialSpec[] = [
  { name: 'ca', kind: 'ca', commonName: 'test CA' },
  { name: 'db-tls', kind: 'server-tls', ca: 'ca', dnsNames: ['db', 'db.ns.svc'] },
  {
    name: 'db-sink',
    kind: 'passwords',
    keys: {
      username: { value: 'sink' },
      password: { random: true },
      'database-url': { template: 'postgres://sink:${password}@db:5432/d' },
      'ca.crt': { caCertificateOf: 'ca' },
    },
  },
];
const NOW = new Date('2026-12-01T00:00:00Z');

describe('the credentials Job', () => {
  it('reads its specs and names the first mistake', () => {
    expect(parseCredentialSpecs(JSON.stringify(SPECS))).toEqual(SPECS);
    const bad = (specs: unknown) => () => parseCredentialSpecs(JSON.stringify(specs));
    expect(() => parseCredentialSpecs('{')).toThrow(/IOTPIPE_CREDENTIALS : not JSON/);
    expect(bad([{ name: 'Bad_Name', kind: 'ca', commonName: 'x' }])).toThrow(
      /\[0\]\.name: 'Bad_Name' is not a Secret name/,
    );
    expect(
      bad([
        { name: 'a', kind: 'ca', commonName: 'x' },
        { name: 'a', kind: 'ca', commonName: 'y' },
      ]),
    ).toThrow(/\[1\]\.name: a twice/);
    expect(bad([{ name: 't', kind: 'server-tls', ca: 'nope', dnsNames: ['x'] }])).toThrow(
      /\[0\]\.ca: 'nope' is not a CA/,
    );
    expect(bad([{ name: 'p', kind: 'passwords', keys: { url: { template: '${missing}' } } }])).toThrow(
      /keys\.url: \$\{missing\} is not another key of p/,
    );
    expect(bad([{ name: 'p', kind: 'passwords', keys: { password: { random: false } } }])).toThrow(
      /keys\.password: not one of/,
    );
    expect(bad([{ name: 'p', kind: 'pem' }])).toThrow(/\[0\]\.kind: 'pem' is not/);
  });

  it('fills templates from the generated values, URL-encoded', () => {
    let n = 0;
    const values = passwordValues(
      {
        password: { random: true },
        other: { random: true },
        url: { template: 'x://u:${password}@h/${other}' },
      },
      () => ['p/w@1', 'o'][n++]!,
    );
    expect(values).toEqual({ password: 'p/w@1', other: 'o', url: 'x://u:p%2Fw%401@h/o' });
  });

  it('makes every missing Secret once: a CA, a server certificate it signs, passwords; a second run keeps them', async () => {
    const store = new MemoryStore();
    expect(await ensureCredentials(SPECS, store, NOW)).toEqual([
      'created Secret ca',
      'created Secret db-tls',
      'created Secret db-sink',
    ]);
    const first = structuredClone([...store.secrets.values()]);
    expect(await ensureCredentials(SPECS, store, NOW)).toEqual([
      'kept Secret ca',
      'kept Secret db-tls',
      'kept Secret db-sink',
    ]);
    expect([...store.secrets.values()]).toEqual(first);

    const ca = new X509Certificate(store.secrets.get('ca')!.data['ca.crt']!);
    const tls = store.secrets.get('db-tls')!;
    expect(tls.type).toBe('kubernetes.io/tls');
    const leaf = new X509Certificate(tls.data['tls.crt']!);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost('db.ns.svc')).toBe('db.ns.svc');
    expect(leaf.checkHost('other')).toBeUndefined();
    expect(tls.data['ca.crt']).toBe(store.secrets.get('ca')!.data['ca.crt']);
    const sink = store.secrets.get('db-sink')!.data;
    expect(sink['password']).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(sink['database-url']).toBe(`postgres://sink:${sink['password']}@db:5432/d`);
    expect(sink['ca.crt']).toBe(store.secrets.get('ca')!.data['ca.crt']);

    // OpenSSL agrees: the chain verifies for the server's purpose.
    const dir = mkdtempSync(join(tmpdir(), 'iotpipe-x509-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), store.secrets.get('ca')!.data['ca.crt']!);
      writeFileSync(join(dir, 'leaf.pem'), tls.data['tls.crt']!);
      const out = execFileSync(
        'openssl',
        ['verify', '-purpose', 'sslserver', '-CAfile', join(dir, 'ca.pem'), join(dir, 'leaf.pem')],
        {
          encoding: 'utf8',
        },
      );
      expect(out.trim()).toBe(`${join(dir, 'leaf.pem')}: OK`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a deleted server certificate is made anew, signed by the CA that exists (read back, not replaced)', async () => {
    const store = new MemoryStore();
    await ensureCredentials(SPECS, store, NOW);
    const caBefore = store.secrets.get('ca')!.data['ca.crt']!;
    const oldLeaf = store.secrets.get('db-tls')!.data['tls.crt']!;
    store.secrets.delete('db-tls');
    expect(await ensureCredentials(SPECS, store, NOW)).toEqual([
      'kept Secret ca',
      'created Secret db-tls',
      'kept Secret db-sink',
    ]);
    const leaf = new X509Certificate(store.secrets.get('db-tls')!.data['tls.crt']!);
    expect(store.secrets.get('ca')!.data['ca.crt']).toBe(caBefore);
    expect(leaf.raw.equals(new X509Certificate(oldLeaf).raw)).toBe(false);
    expect(leaf.verify(new X509Certificate(caBefore).publicKey)).toBe(true);
  });
});
