/**
 * What the local stack's security rests on: one private CA per state dir, the certificates its
 * servers present and its clients show, and one generated password per account. Every part of the
 * stack (Kafka, the registry, PostgreSQL, Mosquitto) and every test client take theirs from here,
 * so a fresh state dir means fresh credentials and nothing secret is ever in the repository.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ensureCa, signedCert, type CaFiles } from '../cluster/pki.js';
import type { StackConfig } from '../config.js';
import { StackError } from '../errors.js';

/** A certificate and its private key (PEM files). */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

const CA_NAME = 'iotpipe-stack-ca';
/** Names of certificates and accounts become file names: keep them to a safe alphabet. */
const NAME = /^[a-z0-9][-a-z0-9._]*$/;

function checkName(what: string, name: string): void {
  if (!NAME.test(name))
    throw new StackError(
      `${what} '${name}' is not a safe file name`,
      "use lower-case letters, digits, '-', '.', '_'",
    );
}

/** The stack CA's files under the state dir (separate from the control plane's CA). */
export function stackCa(c: StackConfig): CaFiles {
  const pki = join(c.stateDir, 'pki');
  return { pki, caCert: join(pki, 'ca.crt'), caKey: join(pki, 'ca.key') };
}

/** Makes the stack CA once; a new CA removes every certificate signed by the old one. */
export async function ensureStackCa(c: StackConfig): Promise<CaFiles> {
  const ca = stackCa(c);
  if (await ensureCa(ca, CA_NAME)) {
    await rm(join(ca.pki, 'issued'), { recursive: true, force: true });
  }
  return ca;
}

function issuedPaths(ca: CaFiles, name: string): KeyPair & { readonly subject: string } {
  const dir = join(ca.pki, 'issued');
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`), subject: join(dir, `${name}.for`) };
}

/**
 * Issues a certificate once and keeps it while what it was issued for (`purpose`: the subject,
 * names and usage) is unchanged; a change (a new host name) issues it again.
 */
async function ensureIssued(
  c: StackConfig,
  name: string,
  subj: string,
  exts: readonly string[],
): Promise<KeyPair> {
  checkName('certificate', name);
  const ca = await ensureStackCa(c);
  const paths = issuedPaths(ca, name);
  await mkdir(join(ca.pki, 'issued'), { recursive: true, mode: 0o700 });
  const purpose = JSON.stringify({ subj, exts });
  const previous = await readFile(paths.subject, 'utf8').catch(() => '');
  if (previous !== purpose) {
    await Promise.all([paths.cert, paths.key].map((f) => rm(f, { force: true })));
  }
  await signedCert({ ...ca, pki: join(ca.pki, 'issued') }, paths.cert, paths.key, subj, exts);
  await writeFile(paths.subject, purpose);
  return { cert: paths.cert, key: paths.key };
}

/** A server certificate for `hosts` (IP addresses and DNS names), e.g. ['127.0.0.1', 'localhost']. */
export function ensureServerCert(c: StackConfig, name: string, hosts: readonly string[]): Promise<KeyPair> {
  if (hosts.length === 0)
    throw new StackError(`certificate '${name}' has no host names`, 'pass at least one');
  const san = hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  return ensureIssued(c, name, `/CN=${hosts[0]}`, [
    `subjectAltName=${san}`,
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
  ]);
}

/** A client certificate whose CN is the identity servers see (mutual TLS). */
export function ensureClientCert(c: StackConfig, name: string, commonName: string): Promise<KeyPair> {
  return ensureIssued(c, name, `/CN=${commonName}`, [
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=clientAuth',
  ]);
}

/** Where an account's generated password is kept (mode 0600, one line, no newline). */
export function passwordFile(c: StackConfig, account: string): string {
  checkName('account', account);
  return join(c.stateDir, 'secrets', account);
}

/**
 * The account's password, generated on first use and kept in the state dir. Safe when several
 * processes ask at once: the first write wins and the others read it.
 */
export async function ensurePassword(c: StackConfig, account: string): Promise<string> {
  const file = passwordFile(c, account);
  await mkdir(join(c.stateDir, 'secrets'), { recursive: true, mode: 0o700 });
  // base64url: no character needs quoting in a URL, a config file or a shell.
  const fresh = randomBytes(24).toString('base64url');
  try {
    await writeFile(file, fresh, { flag: 'wx', mode: 0o600 });
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readPassword(c, account);
  }
}

/** The account's password; an account the stack never made is an error naming the fix. */
export async function readPassword(c: StackConfig, account: string): Promise<string> {
  const file = passwordFile(c, account);
  try {
    const password = (await readFile(file, 'utf8')).trim();
    if (password !== '') return password;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  throw new StackError(
    `no password for account '${account}' (${file})`,
    'start the stack with `make stack-up`',
  );
}

/** Replaces an account's password (rotation); the old one stops working once the server reloads. */
export async function rotatePassword(c: StackConfig, account: string): Promise<string> {
  const file = passwordFile(c, account);
  await mkdir(join(c.stateDir, 'secrets'), { recursive: true, mode: 0o700 });
  const fresh = randomBytes(24).toString('base64url');
  // Written beside and renamed: a reader sees the old password or the new one, never half.
  await writeFile(`${file}.new`, fresh, { mode: 0o600 });
  await rename(`${file}.new`, file);
  return fresh;
}
