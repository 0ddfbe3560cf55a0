import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnection } from './connection.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iotpipe-kubeconfig-'));
  await writeFile(join(dir, 'ca.pem'), 'CA FROM FILE');
  await writeFile(join(dir, 'token'), 'file-token\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function kubeconfig(
  name: string,
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = {},
): Promise<string> {
  const file = join(dir, name);
  const yaml = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6445', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  });
  await writeFile(file, yaml);
  return file;
}

describe('loadConnection (no client-node for the usual kubeconfigs)', () => {
  it('client certificates as data, the CA as a file relative to the kubeconfig', async () => {
    const file = await kubeconfig(
      'certs',
      {
        'client-certificate-data': Buffer.from('CERT').toString('base64'),
        'client-key-data': Buffer.from('KEY').toString('base64'),
      },
      { 'certificate-authority': 'ca.pem', 'tls-server-name': 'kubernetes' },
    );
    const c = await loadConnection({ KUBECONFIG: file });
    expect(c.server.href).toBe('https://127.0.0.1:6445/');
    const creds = await c.credentials();
    const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : v);
    expect(text(creds.tls.cert)).toBe('CERT');
    expect(text(creds.tls.key)).toBe('KEY');
    expect(text(creds.tls.ca)).toBe('CA FROM FILE');
    expect(creds.tls.servername).toBe('kubernetes');
    expect(creds.headers).toEqual({});
  });

  it('a token, or a token file read each time (rotation)', async () => {
    expect(
      (await (await loadConnection({ KUBECONFIG: await kubeconfig('t', { token: 'abc' }) })).credentials())
        .headers,
    ).toEqual({
      Authorization: 'Bearer abc',
    });
    const c = await loadConnection({ KUBECONFIG: await kubeconfig('tf', { tokenFile: join(dir, 'token') }) });
    expect((await c.credentials()).headers.Authorization).toBe('Bearer file-token');
    await writeFile(join(dir, 'token'), 'rotated');
    expect((await c.credentials()).headers.Authorization).toBe('Bearer rotated');
  });

  it('says where it looked when there is neither a kubeconfig nor a cluster', async () => {
    await expect(loadConnection({ KUBECONFIG: join(dir, 'missing') })).rejects.toThrow(
      `no kubeconfig (${join(dir, 'missing')}) and not in a cluster`,
    );
  });
});
