/**
 * The whole platform for one profile: builds the cdk8s charts and returns their objects, file by
 * file, without writing anything. main.ts writes them (dist/<profile>/), helm.ts turns them into
 * the Helm chart, the tests check them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-34';
import { stringify } from 'yaml';
import { CredentialsChart } from './charts/credentials.js';
import { KafkaChart } from './charts/kafka.js';
import { MonitoringChart, ruleGroupsFromYaml, type Dashboard, type RuleGroup } from './charts/monitoring.js';
import { MosquittoChart } from './charts/mosquitto.js';
import { OperatorChart, OperatorClusterChart, type OperatorScope } from './charts/operator.js';
import { SamplePipelineChart } from './charts/pipeline.js';
import { RegistryChart } from './charts/registry.js';
import { TimescaleChart } from './charts/timescale.js';
import { IOTPIPELINE_CRD_FILE, REPO_ROOT } from './imports.js';
import { profile as profileOf, type ProfileName } from './profiles.js';
import { addObjects, PART_OF } from './workload.js';
import { defaultDenyPolicy } from '@iotpipe/contract';

export const DEFAULT_NAMESPACE = 'iotpipe';

/** A Kubernetes object as plain JSON. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

export interface ManifestFile {
  /** File name in dist/<profile>/, ordered so `kubectl apply -f dist/<profile>/` goes in order. */
  readonly file: string;
  readonly objects: ManifestObject[];
}

/** What the platform is made from besides code: read at synth time from the repo. */
export interface PlatformInputs {
  readonly ruleGroups: readonly RuleGroup[];
  readonly dashboards: readonly Dashboard[];
  readonly crdFile: string;
}

export interface PlatformOptions {
  readonly profile: ProfileName;
  readonly namespace?: string;
  /** Where the operator may act (charts/operator.ts OperatorScope); `cluster` by default. */
  readonly operatorScope?: OperatorScope;
  readonly inputs: PlatformInputs;
}

/** Reads monitoring/rules/*.rules.yml, dashboards/*.json (both may be absent or empty). */
export function readInputs(repoRoot = REPO_ROOT): PlatformInputs {
  const list = (dir: string, suffix: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith(suffix))
          .sort()
      : [];
  const rulesDir = join(repoRoot, 'monitoring', 'rules');
  const ruleGroups = list(rulesDir, '.rules.yml').flatMap((f) =>
    ruleGroupsFromYaml(readFileSync(join(rulesDir, f), 'utf8'), f),
  );
  const dashDir = join(repoRoot, 'dashboards');
  const dashboards = list(dashDir, '.json').map((f) => {
    const json = readFileSync(join(dashDir, f), 'utf8');
    JSON.parse(json); // a broken dashboard fails the synth, not Grafana later
    return {
      name: f
        .replace(/\.json$/, '')
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-'),
      json,
    };
  });
  return {
    ruleGroups,
    dashboards,
    crdFile: join(repoRoot, relative(REPO_ROOT, IOTPIPELINE_CRD_FILE)),
  };
}

class NamespaceChart extends Chart {
  constructor(scope: App, id: string, namespace: string) {
    super(scope, id);
    new k8s.KubeNamespace(this, 'namespace', {
      metadata: {
        name: namespace,
        labels: {
          'app.kubernetes.io/part-of': PART_OF,
          // Strimzi's and our pods meet `restricted`; enforce the looser one, warn on the other.
          'pod-security.kubernetes.io/enforce': 'baseline',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
        },
      },
    });
  }
}

/**
 * Default deny for every pod of the namespace, both directions: each part's NetworkPolicy (the
 * charts', Strimzi's for its brokers, the operator's for each pipeline stage) allows what it
 * needs, and nothing else gets through.
 */
class NetworkChart extends Chart {
  constructor(scope: App, id: string, namespace: string) {
    super(scope, id, { namespace });
    addObjects(this, [
      defaultDenyPolicy({ name: 'default-deny', labels: { 'app.kubernetes.io/part-of': PART_OF } }),
    ]);
  }
}

/** Builds every chart of the platform and returns their objects by output file. */
export function synthPlatform(options: PlatformOptions): ManifestFile[] {
  const p = profileOf(options.profile);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const operatorScope = options.operatorScope ?? 'cluster';
  const app = new App({ recordConstructMetadata: false });
  const ns = { namespace, profile: p };
  const charts: Array<[string, Chart]> = [
    ['00-namespace.yaml', new NamespaceChart(app, 'namespace', namespace)],
    [
      '01-operator-cluster.yaml',
      new OperatorClusterChart(app, 'operator-cluster', {
        operatorNamespace: namespace,
        crdFile: options.inputs.crdFile,
        scope: operatorScope,
      }),
    ],
    ['02-credentials.yaml', new CredentialsChart(app, 'credentials', { ...ns })],
    ['05-network.yaml', new NetworkChart(app, 'network', namespace)],
    ['10-kafka.yaml', new KafkaChart(app, 'kafka', ns)],
    ['20-registry.yaml', new RegistryChart(app, 'registry', ns)],
    ['30-timescaledb.yaml', new TimescaleChart(app, 'timescaledb', ns)],
    ['40-mosquitto.yaml', new MosquittoChart(app, 'mosquitto', ns)],
    ['50-operator.yaml', new OperatorChart(app, 'operator', { ...ns, scope: operatorScope })],
    [
      '60-monitoring.yaml',
      new MonitoringChart(app, 'monitoring', {
        ...ns,
        ruleGroups: options.inputs.ruleGroups,
        dashboards: options.inputs.dashboards,
      }),
    ],
    ['90-sample-pipeline.yaml', new SamplePipelineChart(app, 'sample-pipeline', ns)],
  ];
  return charts.map(([file, chart]) => ({ file, objects: chart.toJson() as ManifestObject[] }));
}

/**
 * kubectl and Helm read YAML 1.1, where a plain `off`, `yes` or `on` is a boolean: writing as
 * 1.1 quotes such strings (an env value `off` must stay a string).
 */
export const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' } as const;

/** One YAML stream per file: `---`-separated documents, stable key order and formatting. */
export function toYaml(objects: readonly ManifestObject[]): string {
  return objects.map((o) => `---\n${stringify(o, YAML_OPTIONS)}`).join('');
}

export function allObjects(files: readonly ManifestFile[]): ManifestObject[] {
  return files.flatMap((f) => f.objects);
}
