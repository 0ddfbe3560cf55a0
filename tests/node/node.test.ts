// The single-node cluster itself, before any platform part: the project's image runs locked down,
// cluster DNS answers for cluster names and nothing else, a claim of the default StorageClass gets
// a volume, and no pod reaches anything outside the machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../local/src/cluster/exec.js';
import { WORKLOADS_IMAGE } from '../../local/src/images/catalog.js';
import { kubectl, kubectlJson, nodeConfig } from '../support/kubectl.js';

const NS = 'node-smoke';
const RUUVI_PACKET = '0201061BFF99040512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F';

/** A pod spec that the restricted Pod Security Standard admits. */
function lockedDown(name: string, command: string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      restartPolicy: 'Never',
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'main',
          image: WORKLOADS_IMAGE,
          imagePullPolicy: 'Never',
          command,
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
          ...extra,
        },
      ],
    },
  });
}

/** Runs a pod to completion and returns its phase and log. */
async function runPod(manifest: string, name: string): Promise<{ phase: string; log: string }> {
  await kubectl(['apply', '-f', '-'], manifest);
  await kubectl([
    '-n',
    NS,
    'wait',
    `pod/${name}`,
    '--for=jsonpath={.status.phase}=Succeeded',
    '--timeout=120s',
  ]).catch(() => undefined);
  const pod = await kubectlJson<{ status: { phase: string } }>(['-n', NS, 'get', 'pod', name]);
  const log = await kubectl(['-n', NS, 'logs', name]);
  return { phase: pod.status.phase, log };
}

/** Node.js one-liner for a pod of the workloads image: prints one JSON line. */
const script = (js: string): string[] => ['node', '-e', js];

beforeAll(async () => {
  const route = (await run('ip', ['route', 'show', 'default'], { installHint: 'iproute2' })).stdout;
  gatewayAddress = /via (\S+)/.exec(route)?.[1] ?? '192.0.2.1';
  await kubectl(['create', 'namespace', NS]).catch(() => undefined);
  await kubectl(['label', '--overwrite', 'namespace', NS, 'pod-security.kubernetes.io/enforce=restricted']);
});

afterAll(async () => {
  await kubectl(['delete', 'namespace', NS, '--wait=true', '--timeout=120s']).catch(() => undefined);
});

describe('the single-node cluster', () => {
  it('is one Ready node with CoreDNS and the volume provisioner serving', async () => {
    const nodes = await kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(['get', 'nodes']);
    expect(nodes.items.map((n) => n.metadata.name)).toEqual([nodeConfig.nodeName]);
    await kubectl(['wait', `node/${nodeConfig.nodeName}`, '--for=condition=Ready', '--timeout=10s']);
    await kubectl(['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=10s']);
  });

  it('runs the workloads image as non-root with a read-only root and no capabilities (restricted)', async () => {
    const { phase, log } = await runPod(
      lockedDown('decode', ['node', '/app/workloads/dist/cli.js', 'decode', RUUVI_PACKET]),
      'decode',
    );
    expect(phase).toBe('Succeeded');
    expect(JSON.parse(log)).toMatchObject({ temperature: expect.any(Number) as number });
  });

  it('resolves cluster names, and no name outside the cluster', async () => {
    const { phase, log } = await runPod(
      lockedDown(
        'dns',
        script(`
          const dns = require('node:dns').promises;
          const look = (n) => dns.lookup(n).then((a) => a.address, (e) => e.code);
          Promise.all([look('kubernetes.default.svc.cluster.local'), look('kube-dns.kube-system'), look('registry.npmjs.org')])
            .then((r) => console.log(JSON.stringify(r)));`),
      ),
      'dns',
    );
    expect(phase).toBe('Succeeded');
    const [apiserver, kubeDns, outside] = JSON.parse(log) as [string, string, string];
    expect(apiserver).toBe('10.96.0.1');
    expect(kubeDns).toBe(nodeConfig.dnsIp);
    expect(outside).toMatch(/^E(NOTFOUND|AI_AGAIN)$/);
  });

  it('reaches the API server through its Service, and nothing beyond the machine', async () => {
    const { phase, log } = await runPod(
      lockedDown(
        'egress',
        script(`
          const net = require('node:net');
          const tryConnect = (host, port) => new Promise((res) => {
            const s = net.connect({ host, port, timeout: 3000 });
            s.on('connect', () => { s.destroy(); res('connected'); });
            s.on('timeout', () => { s.destroy(); res('timeout'); });
            s.on('error', (e) => res(e.code));
          });
          Promise.all([tryConnect('10.96.0.1', 443), tryConnect('${defaultGateway()}', 80), tryConnect('1.1.1.1', 443)])
            .then((r) => console.log(JSON.stringify(r)));`),
      ),
      'egress',
    );
    expect(phase).toBe('Succeeded');
    const [apiserver, gateway, internet] = JSON.parse(log) as string[];
    expect(apiserver).toBe('connected');
    // No route out of the pod: the kernel refuses at once (ENETUNREACH), or the drop rule swallows it.
    expect(gateway).toMatch(/^(ENETUNREACH|EHOSTUNREACH|timeout)$/);
    expect(internet).toMatch(/^(ENETUNREACH|EHOSTUNREACH|timeout)$/);
  });

  it('never pulls: an image that was not loaded fails at once, without a request leaving the machine', async () => {
    const name = 'not-loaded';
    await kubectl(
      ['apply', '-f', '-'],
      lockedDown(name, ['true'])
        .replace(WORKLOADS_IMAGE, 'quay.io/iotpipe/not-built-here:1')
        .replace('"imagePullPolicy":"Never"', '"imagePullPolicy":"IfNotPresent"'),
    );
    let message = '';
    for (let i = 0; i < 60 && message === ''; i++) {
      const events = await kubectlJson<{ items: Array<{ reason: string; message: string }> }>([
        '-n',
        NS,
        'get',
        'events',
        '--field-selector',
        `involvedObject.name=${name}`,
      ]);
      message = events.items.find((e) => e.reason === 'Failed' && /pull/i.test(e.message))?.message ?? '';
      if (message === '') await new Promise((r) => setTimeout(r, 1000));
    }
    expect(message).toContain('127.0.0.1:9');
    expect(message).toMatch(/connection refused/);
  });

  it('binds a claim of the default StorageClass to a new volume that a non-root pod writes', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data', namespace: NS },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } } },
      }),
    );
    const { phase, log } = await runPod(
      lockedDown(
        'writer',
        script(
          `require('node:fs').writeFileSync('/data/x', 'ok'); console.log(require('node:fs').readFileSync('/data/x', 'utf8'));`,
        ),
        { volumeMounts: [{ name: 'data', mountPath: '/data' }] },
      ).replace(
        '"restartPolicy":"Never"',
        '"restartPolicy":"Never","volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"data"}}]',
      ),
      'writer',
    );
    expect(phase).toBe('Succeeded');
    expect(log.trim()).toBe('ok');
    const pvc = await kubectlJson<{ status: { phase: string }; spec: { storageClassName: string } }>([
      '-n',
      NS,
      'get',
      'pvc',
      'data',
    ]);
    expect(pvc.status.phase).toBe('Bound');
    expect(pvc.spec.storageClassName).toBe('local-path');
  });
});

/** The machine's default gateway: an address outside the machine that certainly answers the host. */
let gatewayAddress = '';
function defaultGateway(): string {
  return gatewayAddress;
}
