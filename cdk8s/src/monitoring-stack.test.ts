import { describe, expect, it } from 'vitest';
import { MONITORING_STACK, synthMonitoringStack } from './monitoring-stack.js';
import { readInputs, synthPlatform, type ManifestObject } from './platform.js';
import { profile } from './profiles.js';

const stack = synthMonitoringStack('kind').flatMap((f) => f.objects);
const platform = synthPlatform({ profile: 'kind', inputs: readInputs() }).flatMap((f) => f.objects);
const one = (objects: ManifestObject[], kind: string) => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};

describe('the monitoring stack (kube-prometheus stand-in)', () => {
  it('lives in the profile’s monitoring namespace', () => {
    const ns = profile('kind').monitoringNamespace;
    expect(one(stack, 'Namespace').metadata.name).toBe(ns);
    for (const o of stack.filter(
      (x) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(x.kind),
    )) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(ns);
    }
  });

  it("its Alertmanager selects the platform's AlertmanagerConfig, in any namespace", () => {
    const am = one(stack, 'Alertmanager') as ManifestObject & { spec: Record<string, unknown> };
    const config = one(platform, 'AlertmanagerConfig');
    const selector = am.spec['alertmanagerConfigSelector'] as { matchLabels: Record<string, string> };
    for (const [k, v] of Object.entries(selector.matchLabels)) expect(config.metadata.labels?.[k]).toBe(v);
    expect(am.spec['alertmanagerConfigNamespaceSelector']).toEqual({});
  });

  it("its Prometheus selects every monitor and rule everywhere and runs as the account the platform's RoleBinding names", () => {
    const prom = one(stack, 'Prometheus') as ManifestObject & { spec: Record<string, unknown> };
    for (const k of ['serviceMonitor', 'podMonitor', 'rule']) {
      expect(prom.spec[`${k}Selector`], k).toEqual({});
      expect(prom.spec[`${k}NamespaceSelector`], k).toEqual({});
    }
    expect(prom.spec['serviceAccountName']).toBe(MONITORING_STACK.prometheusServiceAccount);
    const binding = platform.find((o) => o.kind === 'RoleBinding' && o.metadata.name === 'prometheus-k8s') as
      (ManifestObject & { subjects: Array<{ name: string; namespace: string }> }) | undefined;
    expect(binding?.subjects).toEqual([
      expect.objectContaining({
        name: MONITORING_STACK.prometheusServiceAccount,
        namespace: profile('kind').monitoringNamespace,
      }),
    ]);
  });
});
