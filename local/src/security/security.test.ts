import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStackConfig, type StackConfig } from '../config.js';
import {
  ensureClientCert,
  ensurePassword,
  ensureServerCert,
  ensureStackCa,
  passwordFile,
  readPassword,
  rotatePassword,
} from './index.js';

let stateDir: string;
let config: StackConfig;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'iotpipe-security-'));
  config = loadStackConfig({ IOTPIPE_STATE_DIR: stateDir });
});
afterAll(() => rm(stateDir, { recursive: true, force: true }));

async function x509(file: string): Promise<X509Certificate> {
  return new X509Certificate(await readFile(file));
}

describe('the stack CA', () => {
  it('signs server certificates valid for exactly the hosts asked for', async () => {
    const ca = await x509((await ensureStackCa(config)).caCert);
    expect(ca.ca).toBe(true);
    const pair = await ensureServerCert(config, 'kafka', ['127.0.0.1', 'localhost']);
    const cert = await x509(pair.cert);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkHost('example.com')).toBeUndefined();
    expect((await stat(pair.key)).mode & 0o777).toBe(0o600);
  });

  it('keeps a certificate while its hosts are the same and issues it again when they change', async () => {
    const first = await readFile((await ensureServerCert(config, 'mqtt', ['127.0.0.1'])).cert, 'utf8');
    const same = await readFile((await ensureServerCert(config, 'mqtt', ['127.0.0.1'])).cert, 'utf8');
    expect(same).toBe(first);
    const moved = await ensureServerCert(config, 'mqtt', ['127.0.0.1', '10.244.0.1']);
    const cert = await x509(moved.cert);
    expect(cert.checkIP('10.244.0.1')).toBe('10.244.0.1');
  });

  it('signs client certificates with the identity as CN, for client authentication only', async () => {
    const cert = await x509((await ensureClientCert(config, 'gateway-1', 'gw-1')).cert);
    expect(cert.subject).toBe('CN=gw-1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('refuses a certificate name that is not a safe file name', async () => {
    await expect(ensureServerCert(config, '../ca', ['127.0.0.1'])).rejects.toThrow(/certificate '..\/ca'/);
  });
});

describe('generated passwords', () => {
  it('are made once, kept 0600, and the same for concurrent callers', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => ensurePassword(config, 'sink')));
    expect(new Set(all).size).toBe(1);
    expect(all[0]).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await readPassword(config, 'sink')).toBe(all[0]);
    expect((await stat(passwordFile(config, 'sink'))).mode & 0o777).toBe(0o600);
  });

  it('differ per account and change on rotation', async () => {
    const adapter = await ensurePassword(config, 'adapter');
    expect(adapter).not.toBe(await readPassword(config, 'sink'));
    const rotated = await rotatePassword(config, 'adapter');
    expect(rotated).not.toBe(adapter);
    expect(await readPassword(config, 'adapter')).toBe(rotated);
  });

  it('name the fix when an account was never made', async () => {
    await expect(readPassword(config, 'nobody')).rejects.toThrow(
      /no password for account 'nobody'.*make stack-up/,
    );
  });
});
