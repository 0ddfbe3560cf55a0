import { defineConfig } from 'vitest/config';

// Projects: `unit` is pure and needs nothing running; `integration` runs against the real
// local stack that `make test` starts; `cluster` against the local control plane; `teardown`
// last, proving `stack down` leaves nothing behind (scripts/test-all.sh orders them).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{local,workloads,operator,cdk8s}/src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'teardown',
          include: ['tests/teardown/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
      {
        // A real kube-apiserver + etcd (local/src/cluster): globalSetup reuses a running one
        // (`make cluster-up`) or starts one and stops it afterwards. See local/cluster/README.md.
        test: {
          name: 'cluster',
          include: ['tests/cluster/**/*.test.ts'],
          globalSetup: ['tests/cluster/global-setup.ts'],
          testTimeout: 60_000,
          // The first run may build kube-apiserver (minutes); later ones take seconds.
          hookTimeout: 1_800_000,
        },
      },
    ],
  },
});
