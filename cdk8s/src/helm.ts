/**
 * The Helm chart (charts/iotpipe) made from the same cdk8s code, so cdk8s stays the one source:
 * both profiles are synthesized with the release namespace as a token, the values a user tunes
 * (images, resources, replicas, storage sizes, Secret contents) are cut out into values files
 * (values.yaml = kind, values-production.yaml = production), and an object that still differs
 * between the profiles (PodDisruptionBudgets, anti-affinity, ...) is emitted in an
 * `if eq .Values.profile` branch. The IoTPipeline CRD goes to crds/ (Helm installs it first) and
 * the Namespace is left to `helm install --create-namespace`.
 *
 * {@link renderChart} renders the templates for the subset of Go template syntax this file
 * writes; the tests compare its output, and `helm template` where helm is built, with the synth.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import {
  synthPlatform,
  YAML_OPTIONS,
  type ManifestFile,
  type ManifestObject,
  type PlatformInputs,
} from './platform.js';
import { PROFILE_NAMES, type ProfileName } from './profiles.js';
import { OPERATOR_TUNABLE_ENV } from './charts/operator.js';

export const CHART_NAME = 'iotpipe';
export const CHART_VERSION = '0.1.0';
/** Stands for the release namespace during synth; a DNS label so nothing rejects it. */
const NAMESPACE_TOKEN = 'helm-release-namespace-token';
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Values = { [k: string]: Json };

/** Cuts the tunable values out of one object, replacing each with a placeholder token. */
function extractValues(obj: ManifestObject, values: Values, tokens: Map<string, string[]>): ManifestObject {
  const copy = JSON.parse(JSON.stringify(obj)) as Record<string, Json>;
  const put = (path: string[], value: Json): string => {
    let node = values;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next))
        node[key] = {};
      node = node[key] as Values;
    }
    node[path[path.length - 1]!] = value;
    const token = `__HELM_VALUE_${tokens.size}__`;
    tokens.set(token, path);
    return token;
  };
  const name = obj.metadata.name;
  const spec = copy['spec'] as Record<string, Json> | undefined;
  if (WORKLOAD_KINDS.has(obj.kind) && spec) {
    if (typeof spec['replicas'] === 'number' && obj.kind === 'Deployment') {
      spec['replicas'] = put(['workloads', name, 'replicas'], spec['replicas']);
    }
    const podSpec = ((spec['template'] as Record<string, Json>)['spec'] ?? {}) as Record<string, Json>;
    for (const listKey of ['initContainers', 'containers']) {
      for (const c of (podSpec[listKey] ?? []) as Array<Record<string, Json>>) {
        const cname = c['name'] as string;
        c['image'] = put(['workloads', name, cname, 'image'], c['image'] ?? null);
        if (c['resources'] !== undefined)
          c['resources'] = put(['workloads', name, cname, 'resources'], c['resources']);
        // Settings an installer chooses (the operator's image policy): values by env name.
        for (const e of (c['env'] ?? []) as Array<Record<string, Json>>) {
          const envName = e['name'] as string;
          if (OPERATOR_TUNABLE_ENV.includes(envName) && typeof e['value'] === 'string')
            e['value'] = put(['workloads', name, cname, 'env', envName], e['value']);
        }
      }
    }
    for (const claim of (spec['volumeClaimTemplates'] ?? []) as Array<Record<string, Json>>) {
      const requests = ((claim['spec'] as Record<string, Json>)['resources'] as Record<string, Json>)[
        'requests'
      ] as Record<string, Json>;
      const claimName = (claim['metadata'] as Record<string, Json>)['name'] as string;
      requests['storage'] = put(['workloads', name, 'storage', claimName], requests['storage'] ?? null);
    }
  }
  if (obj.kind === 'KafkaNodePool' && spec) {
    spec['resources'] = put(['kafka', 'nodePool', 'resources'], spec['resources'] ?? null);
    const volumes = (spec['storage'] as Record<string, Json>)['volumes'] as Array<Record<string, Json>>;
    for (const v of volumes)
      v['size'] = put(
        [
          'kafka',
          'nodePool',
          'storage',
          typeof v['id'] === 'number' || typeof v['id'] === 'string'
            ? String(v['id'])
            : JSON.stringify(v['id']),
        ],
        v['size'] ?? null,
      );
    spec['jvmOptions'] = put(['kafka', 'nodePool', 'jvmOptions'], spec['jvmOptions'] ?? null);
  }
  if (obj.kind === 'Secret') {
    const data = copy['stringData'] as Record<string, Json> | undefined;
    for (const key of Object.keys(data ?? {})) data![key] = put(['secrets', name, key], data![key] ?? null);
  }
  return copy as unknown as ManifestObject;
}

/** A document's template text: `{{` in content escaped, then the placeholders put in. */
function templateText(obj: ManifestObject, tokens: Map<string, string[]>): string {
  let text = stringify(obj, YAML_OPTIONS);
  text = text.replaceAll('{{', '{{ "{{" }}');
  text = text.replace(/__HELM_VALUE_(\d+)__/g, (token) => {
    const path = tokens.get(token);
    if (path === undefined) throw new Error(`unknown token ${token}`);
    return `{{ index .Values ${path.map((k) => JSON.stringify(k)).join(' ')} | toJson }}`;
  });
  return `---\n${text.replaceAll(NAMESPACE_TOKEN, '{{ .Release.Namespace }}')}`;
}

function keyOf(o: ManifestObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata.name}`;
}

export interface HelmChartFiles {
  /** Path inside the chart directory -> content. */
  readonly files: Map<string, string>;
}

/** Everything in charts/iotpipe, from synthesizing both profiles. Pure apart from reading inputs. */
export function helmChart(inputs: PlatformInputs, crdYaml: string): HelmChartFiles {
  const perProfile = new Map<
    ProfileName,
    { files: ManifestFile[]; values: Values; tokens: Map<string, string[]> }
  >();
  for (const name of PROFILE_NAMES) {
    const values: Values = { profile: name };
    const tokens = new Map<string, string[]>();
    const files = synthPlatform({ profile: name, namespace: NAMESPACE_TOKEN, inputs })
      .filter((f) => f.file !== '00-namespace.yaml')
      .map((f) => ({
        file: f.file,
        objects: f.objects
          .filter((o) => o.kind !== 'CustomResourceDefinition')
          .map((o) => extractValues(o, values, tokens)),
      }));
    perProfile.set(name, { files, values, tokens });
  }
  const kind = perProfile.get('kind')!;
  const prod = perProfile.get('production')!;
  const out = new Map<string, string>();
  const fileNames = [...new Set([...kind.files, ...prod.files].map((f) => f.file))].sort();
  for (const file of fileNames) {
    const k = new Map((kind.files.find((f) => f.file === file)?.objects ?? []).map((o) => [keyOf(o), o]));
    const pr = new Map((prod.files.find((f) => f.file === file)?.objects ?? []).map((o) => [keyOf(o), o]));
    const parts: string[] = ['# Generated by `make chart` from cdk8s/ (cdk8s/src/helm.ts): do not edit.\n'];
    for (const key of [...new Set([...k.keys(), ...pr.keys()])]) {
      const kt = k.has(key) ? templateText(k.get(key)!, kind.tokens) : undefined;
      const pt = pr.has(key) ? templateText(pr.get(key)!, prod.tokens) : undefined;
      if (kt !== undefined && kt === pt) parts.push(kt);
      else if (kt !== undefined && pt !== undefined)
        parts.push(`{{- if eq .Values.profile "production" }}\n${pt}{{- else }}\n${kt}{{- end }}\n`);
      else if (pt !== undefined) parts.push(`{{- if eq .Values.profile "production" }}\n${pt}{{- end }}\n`);
      else parts.push(`{{- if eq .Values.profile "kind" }}\n${kt}{{- end }}\n`);
    }
    out.set(`templates/${file}`, parts.join(''));
  }
  out.set(
    'Chart.yaml',
    stringify({
      apiVersion: 'v2',
      name: CHART_NAME,
      description:
        'iotpipe platform: Strimzi Kafka, Apicurio Registry, TimescaleDB, Mosquitto, the IoTPipeline operator, monitoring',
      type: 'application',
      version: CHART_VERSION,
      appVersion: CHART_VERSION,
    }),
  );
  const header = (p: string) =>
    `# Generated by \`make chart\` from cdk8s/src/profiles.ts (${p} profile): do not edit; override with -f/--set.\n`;
  out.set('values.yaml', header('kind') + stringify(kind.values, YAML_OPTIONS));
  out.set(
    'values-production.yaml',
    header('production') + stringify(withDeletions(kind.values, prod.values), YAML_OPTIONS),
  );
  out.set('crds/iotpipelines.iotpipe.io.yaml', crdYaml);
  return { files: out };
}

function isMap(v: Json | undefined): v is Values {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Helm deep-merges `-f values-production.yaml` over values.yaml, so a key only the kind values
 * have (a CPU limit production leaves out) would leak through; `null` deletes it in the merge.
 */
function withDeletions(base: Values, override: Values): Values {
  const out: Values = { ...override };
  for (const [k, v] of Object.entries(base)) {
    const o = override[k];
    if (o === undefined) out[k] = null;
    else if (isMap(v) && isMap(o)) out[k] = withDeletions(v, o);
  }
  return out;
}

/** Helm's merge of a values file over the chart's values.yaml: maps deep, `null` deletes. */
export function mergeValues(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const b = out[k];
    if (v === null) delete out[k];
    else if (isMap(b) && isMap(v)) out[k] = mergeValues(b, v);
    else out[k] = v;
  }
  return out;
}

export async function writeHelmChart(dir: string, inputs: PlatformInputs): Promise<void> {
  const chart = helmChart(inputs, await readFile(inputs.crdFile, 'utf8'));
  await rm(join(dir, 'templates'), { recursive: true, force: true });
  for (const [path, content] of chart.files) {
    const target = join(dir, path);
    await mkdir(join(target, '..'), { recursive: true });
    await writeFile(target, content);
  }
}

/**
 * Renders the chart's templates as Helm would, for exactly the constructs helmChart writes:
 * `{{ "{{" }}`, `{{ index .Values "a" "b" | toJson }}`, `{{ .Release.Namespace }}` and
 * `{{- if eq .Values.profile "x" }} ... {{- else }} ... {{- end }}`. Anything else throws.
 */
export function renderTemplate(template: string, values: Values, namespace: string): string {
  const action = /\{\{(-?)\s*((?:"[^"]*"|[^}"])*?)\s*(-?)\}\}/g;
  let out = '';
  let last = 0;
  const stack: Array<{ active: boolean; taken: boolean }> = [];
  const active = () => stack.every((s) => s.active);
  for (let m = action.exec(template); m !== null; m = action.exec(template)) {
    let text = template.slice(last, m.index);
    if (m[1] === '-') text = text.replace(/\s+$/, '');
    if (active()) out += text;
    last = action.lastIndex;
    if (m[3] === '-') {
      const rest = /^\s*/.exec(template.slice(last));
      last += rest?.[0].length ?? 0;
    }
    const body = m[2]!;
    let cond: RegExpExecArray | null;
    if (body === '"{{"') {
      if (active()) out += '{{';
    } else if (body === '.Release.Namespace') {
      if (active()) out += namespace;
    } else if ((cond = /^if eq \.Values\.profile "([^"]+)"$/.exec(body))) {
      const ok = values['profile'] === cond[1];
      stack.push({ active: ok, taken: ok });
    } else if (body === 'else') {
      const top = stack[stack.length - 1];
      if (!top) throw new Error('else without if');
      top.active = !top.taken;
    } else if (body === 'end') {
      if (!stack.pop()) throw new Error('end without if');
    } else if ((cond = /^index \.Values((?: "[^"]*")+) \| toJson$/.exec(body))) {
      const path = [...cond[1]!.matchAll(/"([^"]*)"/g)].map((x) => x[1]!);
      let v: Json | undefined = values;
      for (const key of path)
        v = v !== null && typeof v === 'object' && !Array.isArray(v) ? v[key] : undefined;
      if (v === undefined) throw new Error(`no value at ${path.join('.')}`);
      if (active()) out += JSON.stringify(v);
    } else {
      throw new Error(`template action not understood: {{ ${body} }}`);
    }
  }
  if (stack.length > 0) throw new Error('if without end');
  return out + template.slice(last);
}

/** Parses rendered YAML streams into objects, dropping empty documents. */
export function parseManifests(texts: readonly string[]): ManifestObject[] {
  return texts.flatMap((t) =>
    parseAllDocuments(t)
      .map((d) => d.toJS() as ManifestObject | null)
      .filter((o): o is ManifestObject => o !== null && o !== undefined),
  );
}

/** Renders every template of the chart files with the given values. */
export function renderChart(
  files: ReadonlyMap<string, string>,
  values: Values,
  namespace: string,
): ManifestObject[] {
  const texts = [...files.entries()]
    .filter(([path]) => path.startsWith('templates/'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, t]) => renderTemplate(t, values, namespace));
  return parseManifests(texts);
}
