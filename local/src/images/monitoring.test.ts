import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImagesConfig } from './config.js';
import {
  goModRequire,
  intoNamespace,
  monitoringRecipes,
  operatorDefaults,
  prometheusReleaseOfModule,
} from './monitoring.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');

describe('monitoring image versions', () => {
  it('reads a required version from a go.mod, in a block or on its own line', () => {
    const text =
      'module x\n\nrequire (\n\tgithub.com/a/b v1.2.3 // indirect\n)\nrequire github.com/c/d v0.1.0\n';
    expect(goModRequire(text, 'github.com/a/b', 'f')).toBe('v1.2.3');
    expect(goModRequire(text, 'github.com/c/d', 'f')).toBe('v0.1.0');
    expect(() => goModRequire(text, 'github.com/a/bc', 'go.mod')).toThrow(
      'go.mod does not require github.com/a/bc',
    );
  });

  it.each([
    ['v0.309.1', 'v3.9.1'],
    ['v0.310.0', 'v3.10.0'],
    ['v0.300.0', 'v3.0.0'],
  ])('Prometheus module %s is release %s', (module, release) => {
    expect(prometheusReleaseOfModule(module)).toBe(release);
  });

  it.each(['v2.53.0', 'v0.54.1', 'v0.3091.0'])('%s is not a Prometheus 3 module version', (v) => {
    expect(() => prometheusReleaseOfModule(v)).toThrow(v);
  });

  it("takes the operator's defaults from its defaults.go: the matrix's last Prometheus, the Alertmanager", () => {
    const go = `DefaultAlertmanagerVersion = "v0.31.0"\n PrometheusCompatibilityMatrix = []string{\n "v2.45.0",\n // a comment\n "v3.9.1",\n }\n`;
    expect(operatorDefaults(go)).toEqual({ prometheus: 'v3.9.1', alertmanager: 'v0.31.0' });
    expect(() => operatorDefaults('nothing')).toThrow('defaults.go');
  });

  it('tags the images as upstream does, at the versions the pinned go.mod files name', () => {
    const config = loadImagesConfig({ IOTPIPE_ROOT: repoRoot, HOME: '/h', IOTPIPE_NODE_VERSION: '24.19.0' });
    const versions = JSON.parse(readFileSync(join(repoRoot, 'local/cluster/versions.json'), 'utf8')) as {
      prometheusOperator: string;
    };
    const refs = monitoringRecipes(config).map((r) => r.ref);
    expect(refs).toContain(`quay.io/prometheus-operator/prometheus-operator:${versions.prometheusOperator}`);
    expect(refs).toContain(
      `quay.io/prometheus-operator/prometheus-config-reloader:${versions.prometheusOperator}`,
    );
    expect(
      refs.filter((r) => /^quay\.io\/prometheus\/(prometheus:v3\.|alertmanager:v0\.)/.test(r)),
    ).toHaveLength(2);
  });
});

describe('intoNamespace', () => {
  it('moves namespaced objects and ServiceAccount subjects, leaves cluster-scoped ones alone', () => {
    const moved = intoNamespace(
      [
        { kind: 'Deployment', metadata: { name: 'd', namespace: 'default' } },
        { kind: 'ClusterRole', metadata: { name: 'r' } },
        {
          kind: 'ClusterRoleBinding',
          metadata: { name: 'b' },
          subjects: [{ kind: 'ServiceAccount', namespace: 'default' }, { kind: 'User' }],
        },
      ],
      'monitoring',
    );
    expect(moved[0]?.metadata.namespace).toBe('monitoring');
    expect(moved[1]?.metadata.namespace).toBeUndefined();
    expect(moved[2]?.metadata.namespace).toBeUndefined();
    expect(moved[2]?.subjects).toEqual([
      { kind: 'ServiceAccount', namespace: 'monitoring' },
      { kind: 'User' },
    ]);
  });
});
