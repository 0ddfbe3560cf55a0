import { describe, expect, it } from 'vitest';
import { clusterPaths, loadControlPlaneConfig } from './config.js';
import { stagingVersion } from './versions.js';

const base = { IOTPIPE_ROOT: '/repo', HOME: '/home/u' };

describe('loadControlPlaneConfig', () => {
  it('defaults to <repo>/.state/cluster, ~/.cache/iotpipe and ports 2379/2380/6443 on loopback', () => {
    const c = loadControlPlaneConfig(base);
    expect(c.stateDir).toBe('/repo/.state/cluster');
    expect(c.cacheDir).toMatch(/\/\.cache\/iotpipe$/);
    expect([c.host, c.etcdClientPort, c.etcdPeerPort, c.apiserverPort]).toEqual([
      '127.0.0.1',
      2379,
      2380,
      6443,
    ]);
    expect(clusterPaths(c).kubeconfig).toBe('/repo/.state/cluster/kubeconfig');
  });

  it('takes every setting from its env variable', () => {
    const c = loadControlPlaneConfig({
      ...base,
      IOTPIPE_STATE_DIR: '/s',
      IOTPIPE_CACHE_DIR: '/c',
      IOTPIPE_ETCD_CLIENT_PORT: '12379',
      IOTPIPE_ETCD_PEER_PORT: '12380',
      IOTPIPE_APISERVER_PORT: '16443',
      IOTPIPE_CLUSTER_READY_TIMEOUT: '5',
    });
    expect([
      c.stateDir,
      c.cacheDir,
      c.etcdClientPort,
      c.etcdPeerPort,
      c.apiserverPort,
      c.readyTimeoutMs,
    ]).toEqual(['/s/cluster', '/c', 12379, 12380, 16443, 5000]);
  });

  it('names the field and env variable of an invalid value', () => {
    expect(() => loadControlPlaneConfig({ ...base, IOTPIPE_APISERVER_PORT: 'http' })).toThrow(
      /apiserverPort \(IOTPIPE_APISERVER_PORT\).*not a TCP port/,
    );
    expect(() => loadControlPlaneConfig({ ...base, IOTPIPE_ETCD_PEER_PORT: '2379' })).toThrow(
      /etcdPeerPort \(IOTPIPE_ETCD_PEER_PORT\).*already used by etcdClientPort/,
    );
    expect(() => loadControlPlaneConfig({ ...base, IOTPIPE_STATE_DIR: 'rel' })).toThrow(
      /IOTPIPE_STATE_DIR.*absolute/,
    );
  });
});

describe('stagingVersion', () => {
  it('maps a Kubernetes tag to its staging modules tag', () => {
    expect(stagingVersion('v1.37.2')).toBe('v0.37.2');
  });
});
