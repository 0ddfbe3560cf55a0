// Runs after the node suites (scripts/test-all.sh): `cluster down --node` must leave the machine as
// the node's globalSetup found it before `up`: no process, address, link, route, iptables chain or
// rule, mount, network namespace, cgroup or sysctl of the node left behind.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadNodeConfig } from '../../local/src/cluster/node/config.js';
import { Node } from '../../local/src/cluster/node/node.js';
import { snapshotFile, snapshotMachine, type MachineSnapshot } from '../support/machine.js';

describe('cluster down --node', () => {
  it('leaves the machine as it was before cluster up --node', async () => {
    const config = loadNodeConfig();
    const text = await readFile(snapshotFile(config), 'utf8').catch(() => undefined);
    expect(
      text,
      `no snapshot at ${snapshotFile(config)}: the node project's globalSetup writes it when it starts the node`,
    ).toBeDefined();
    const before = JSON.parse(text!) as MachineSnapshot;
    const node = new Node(config);
    const status = await node.status();
    expect(status.ready, 'the node was running until now').toBe(true);
    const { stopped, problems } = await node.down();
    expect(problems).toEqual([]);
    expect(stopped).toEqual(
      expect.arrayContaining([
        'kube-proxy',
        'kubelet',
        'kube-scheduler',
        'kube-controller-manager',
        'kube-apiserver',
        'etcd',
        'containerd',
      ]),
    );
    const after = await snapshotMachine(config);
    for (const key of Object.keys(before) as Array<keyof MachineSnapshot>) {
      expect(after[key], key).toEqual(before[key]);
    }
    // Idempotent: a second down finds nothing to stop and nothing to undo.
    expect(await node.down()).toEqual({ stopped: [], problems: [] });
  });
});
