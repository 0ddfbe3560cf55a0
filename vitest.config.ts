import { defineConfig } from 'vitest/config';

// Projects: `unit` is pure and needs nothing running; `integration` runs against the real
// local stack that `make test` starts; `cluster` against the local control plane; `teardown`
// last, proving `stack down` leaves nothing behind (scripts/test-all.sh orders them).
export default defineConfig({
  test: {
    // One test file at a time, in every project: the integration, e2e, chaos, bench and operator
    // suites share one stack and one API server. Vitest 3 reads this option only here (a
    // project's own `fileParallelism` is ignored, and its types reject it); on this 2-core
    // machine the default would be one worker anyway, so the unit suite runs as before.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            '{contract,runtime,local,workloads,operator,cdk8s}/src/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          // A guard against a hang, not a speed limit: two full cdk8s synths took over the 5 s
          // default while builds and the node loaded both cores.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 300_000,
        },
      },
      {
        // Faults on purpose while data flows (tests/chaos, `make chaos`): brokers, PostgreSQL,
        // Mosquitto, the registry, the services and the API server are broken and restored.
        // Scenarios share the stack, so they run one at a time.
        test: {
          name: 'chaos',
          include: ['tests/chaos/**/*.test.ts'],
          // The API-server scenario needs the control plane: reused if up, else started.
          globalSetup: ['tests/cluster/global-setup.ts'],
          testTimeout: 900_000,
          hookTimeout: 600_000,
        },
      },
      {
        // The seconds-long benchmark smoke run (`make bench-smoke`); the full run is `make bench`.
        test: {
          name: 'bench',
          include: ['tests/bench/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
      {
        // The images `make images` made with podman (tests/images): nothing of the build-time CA
        // in them, base images as the Dockerfiles expect.
        test: {
          name: 'images',
          include: ['tests/images/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The platform on the single-node cluster (`cluster up --node`), as a user runs it:
        // globalSetup brings the node up (snapshotting the machine first); files share it.
        test: {
          name: 'node',
          include: ['tests/node/**/*.test.ts'],
          globalSetup: ['tests/node/global-setup.ts'],
          testTimeout: 900_000,
          // The first run builds the node's binaries (about 15 min on 2 cores) and images.
          hookTimeout: 2_700_000,
        },
      },
      {
        // After the node suites: `cluster down --node` restores the machine (tests/node-teardown).
        test: {
          name: 'node-teardown',
          include: ['tests/node-teardown/**/*.test.ts'],
          testTimeout: 300_000,
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
      {
        // cdk8s output against the local control plane (server-side dry runs with the real
        // Strimzi, prometheus-operator and IoTPipeline CRDs), import drift, the Helm chart.
        test: {
          name: 'manifests',
          include: ['tests/manifests/**/*.test.ts'],
          globalSetup: ['tests/cluster/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 1_800_000,
        },
      },
      {
        // The IoTPipeline operator against the local control plane and the real registry of the
        // local stack (mk/operator.mk: `make test-operator`). Suites share the control plane's
        // API server, so they run one at a time.
        test: {
          name: 'operator',
          include: ['tests/operator/**/*.test.ts'],
          globalSetup: ['tests/cluster/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 1_800_000,
        },
      },
    ],
  },
});
