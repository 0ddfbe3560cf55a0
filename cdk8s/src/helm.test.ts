import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { helmChart, mergeValues, parseManifests, renderChart, renderTemplate } from './helm.js';
import { REPO_ROOT } from './imports.js';
import { allObjects, readInputs, synthPlatform, type ManifestObject } from './platform.js';
import { PROFILE_NAMES } from './profiles.js';

const inputs = readInputs();
const chartDir = join(REPO_ROOT, 'charts', 'iotpipe');
const chart = helmChart(inputs, readFileSync(inputs.crdFile, 'utf8'));
const byKey = (objects: ManifestObject[]) =>
  Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o])) as Record<
    string,
    ManifestObject
  >;

/** What `helm install -n <ns>` creates: the synth minus the Namespace (--create-namespace) and the CRD (crds/). */
function expected(profile: 'kind' | 'production', namespace: string): Record<string, ManifestObject> {
  return byKey(
    allObjects(synthPlatform({ profile, namespace, inputs })).filter(
      (o) => o.kind !== 'Namespace' && o.kind !== 'CustomResourceDefinition',
    ),
  );
}

describe('the Helm chart (charts/iotpipe)', () => {
  it('is up to date with cdk8s: the committed files are what `make chart` writes', () => {
    for (const [path, content] of chart.files) {
      expect(readFileSync(join(chartDir, path), 'utf8'), `${path}: run \`make chart\``).toBe(content);
    }
  });

  it.each(PROFILE_NAMES)('rendered with values for %s, equals the synth of that profile', (profile) => {
    // As `helm template [-f values-production.yaml]` does: the file merged over values.yaml.
    const defaults = parse(chart.files.get('values.yaml')!) as Record<string, never>;
    const values =
      profile === 'kind'
        ? defaults
        : mergeValues(defaults, parse(chart.files.get('values-production.yaml')!) as never);
    expect(values['profile']).toBe(profile);
    const rendered = byKey(renderChart(chart.files, values, 'iot-ns'));
    expect(rendered).toEqual(expected(profile, 'iot-ns'));
  });

  it('ships the IoTPipeline CRD in crds/ as the operator generates it', () => {
    const crd = parseManifests([chart.files.get('crds/iotpipelines.iotpipe.io.yaml')!]);
    const synthCrd = allObjects(synthPlatform({ profile: 'kind', inputs })).filter(
      (o) => o.kind === 'CustomResourceDefinition',
    );
    expect(crd).toEqual(synthCrd);
  });

  it('a value set at install time reaches the object (values are not baked in)', () => {
    const values = parse(chart.files.get('values.yaml')!) as {
      workloads: Record<string, Record<string, { image: string }>>;
    };
    values.workloads['mosquitto']!['mosquitto']!.image = 'registry.example/mosquitto:2.0.22-custom';
    const sts = byKey(renderChart(chart.files, values, 'x'))['StatefulSet/mosquitto'] as unknown as {
      spec: { template: { spec: { containers: Array<{ image: string }> } } };
    };
    expect(sts.spec.template.spec.containers[0]!.image).toBe('registry.example/mosquitto:2.0.22-custom');
  });

  it('keeps `{{` of alert annotations literal (escaped for Helm)', () => {
    const rule = byKey(renderChart(chart.files, parse(chart.files.get('values.yaml')!) as never, 'x'))[
      'PrometheusRule/iotpipe'
    ];
    if (inputs.ruleGroups.length === 0) expect(rule).toBeUndefined();
    else expect(JSON.stringify(rule)).toContain('{{ $labels.');
  });
});

describe('mergeValues', () => {
  it('merges maps deeply and deletes keys set to null, as Helm does', () => {
    expect(
      mergeValues(
        { a: { cpu: '1', memory: '1Gi' }, b: 1, c: [1] },
        { a: { cpu: null, memory: '4Gi' }, c: [2], d: 'x' },
      ),
    ).toEqual({ a: { memory: '4Gi' }, b: 1, c: [2], d: 'x' });
  });
});

describe('renderTemplate', () => {
  const values = { profile: 'kind', a: { 'b-c': [1, 'x'] } };
  it('renders the constructs the chart uses', () => {
    expect(
      renderTemplate(
        'n: {{ .Release.Namespace }}\nv: {{ index .Values "a" "b-c" | toJson }}\n',
        values,
        'ns',
      ),
    ).toBe('n: ns\nv: [1,"x"]\n');
    expect(
      renderTemplate(
        'a\n{{- if eq .Values.profile "production" }}\nP\n{{- else }}\nK\n{{- end }}\nz',
        values,
        'ns',
      ),
    ).toBe('a\nK\nz');
    expect(renderTemplate('x: {{ "{{" }} $labels.i }}', values, 'ns')).toBe('x: {{ $labels.i }}');
  });
  it('refuses what it does not understand and missing values', () => {
    expect(() => renderTemplate('{{ .Values.a }}', values, 'ns')).toThrow(/not understood/);
    expect(() => renderTemplate('{{ index .Values "nope" | toJson }}', values, 'ns')).toThrow(
      /no value at nope/,
    );
    expect(() => renderTemplate('{{- if eq .Values.profile "kind" }}', values, 'ns')).toThrow(/without end/);
  });
});
