import { describe, expect, it } from 'vitest';
import {
  ANYWHERE,
  DEFAULT_RESOURCES,
  defaultDenyPolicy,
  disruptionBudget,
  networkPolicy,
  podsWith,
  workloadObject,
  workloadObjects,
  type WorkloadSetInput,
} from './kubernetes.js';

const base = (over: Partial<WorkloadSetInput> = {}): WorkloadSetInput => ({
  kind: 'Deployment',
  metadata: { name: 'web', labels: { team: 'a' } },
  selector: { 'app.kubernetes.io/name': 'web' },
  replicas: 1,
  containers: [{ name: 'web', image: 'web:1.0' }],
  runAs: { user: 1000 },
  ...over,
});

type Pod = {
  metadata: { labels: Record<string, string> };
  spec: {
    automountServiceAccountToken: boolean;
    enableServiceLinks: boolean;
    securityContext: Record<string, unknown>;
    affinity?: unknown;
    containers: Array<{ resources: unknown; securityContext: Record<string, unknown> }>;
  };
};
const podOf = (o: { spec?: unknown } | Record<string, unknown>) => (o['spec'] as { template: Pod }).template;

describe('the shared workload builder', () => {
  it('hardens every pod and container and fills in default resources', () => {
    const pod = podOf(workloadObject(base()));
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect(pod.spec.enableServiceLinks).toBe(false);
    expect(pod.spec.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.spec.containers[0]!.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.spec.containers[0]!.resources).toEqual(DEFAULT_RESOURCES);
    expect(pod.metadata.labels).toEqual({ team: 'a', 'app.kubernetes.io/name': 'web' });
    expect(pod.spec.affinity).toBeUndefined();
  });

  it('mounts a service-account token only when asked; spreads replicas only when asked', () => {
    const pod = podOf(
      workloadObject(base({ serviceAccountName: 'op', serviceAccountToken: true, spreadAcrossNodes: true })),
    );
    expect(pod.spec.automountServiceAccountToken).toBe(true);
    expect(JSON.stringify(pod.spec.affinity)).toContain('"topologyKey":"kubernetes.io/hostname"');
  });

  it('refuses uid 0, a StatefulSet without a governing Service and a rule without peers or ports', () => {
    expect(() => workloadObject(base({ runAs: { user: 0 } }))).toThrow(/uid 0/);
    expect(() => workloadObject(base({ kind: 'StatefulSet' }))).toThrow(/serviceName/);
    expect(() => networkPolicy({ name: 'x' }, {}, [{ peers: [], ports: [80] }], [])).toThrow(/peer/);
    expect(() => networkPolicy({ name: 'x' }, {}, [], [{ peers: [ANYWHERE], ports: [] }])).toThrow(/port/);
  });

  it('a PodDisruptionBudget only for several replicas', () => {
    expect(disruptionBudget({ name: 'x' }, { a: 'b' }, 1)).toBeUndefined();
    expect(disruptionBudget({ name: 'x' }, { a: 'b' }, 3)).toEqual({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'x' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { a: 'b' } } },
    });
  });

  it('builds Service, workload, budget, policy and monitor that select the same pods', () => {
    const objects = workloadObjects(
      base({
        replicas: 2,
        service: { ports: [{ name: 'http', port: 80 }] },
        monitor: { through: 'service', endpoints: [{ port: 'http', job: 'web' }] },
        network: { ingress: [{ peers: [podsWith({ role: 'client' })], ports: [80] }], egress: [] },
      }),
    );
    expect(objects.map((o) => o.kind)).toEqual([
      'Service',
      'Deployment',
      'PodDisruptionBudget',
      'NetworkPolicy',
      'ServiceMonitor',
    ]);
    const selector = { 'app.kubernetes.io/name': 'web' };
    for (const o of objects) expect(o.metadata.labels).toEqual({ team: 'a', ...selector });
    const [svc, , , policy, monitor] = objects as unknown as Array<{ spec: Record<string, unknown> }>;
    expect(svc!.spec).toEqual({
      selector,
      ports: [{ protocol: 'TCP', targetPort: 'http', name: 'http', port: 80 }],
    });
    expect(policy!.spec['podSelector']).toEqual({ matchLabels: selector });
    // Egress is DNS only: the namespace's default deny covers the rest.
    expect(policy!.spec['egress']).toHaveLength(1);
    expect(monitor!.spec).toEqual({
      selector: { matchLabels: selector },
      endpoints: [
        {
          port: 'http',
          path: '/metrics',
          interval: '30s',
          relabelings: [{ targetLabel: 'job', replacement: 'web' }],
        },
      ],
    });
  });

  it('default deny selects every pod in both directions and allows nothing', () => {
    expect(defaultDenyPolicy({ name: 'default-deny' }).spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
  });
});
