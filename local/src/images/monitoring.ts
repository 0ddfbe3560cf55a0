import { readFileSync } from 'node:fs';
import { access, constants, copyFile, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadControlPlaneConfig } from '../cluster/config.js';
import { run } from '../cluster/exec.js';
import { withFileLock } from '../cluster/lock.js';
import { StackError } from '../errors.js';
import { DEBIAN_IMAGE, type ImageRecipe, type PrepareEnv } from './catalog.js';
import type { ImagesConfig } from './config.js';
import { parseAllDocuments } from 'yaml';

/**
 * The monitoring images: prometheus-operator and its config reloader, Prometheus, Alertmanager,
 * built from the Go module proxy with the versions of images/<name>/go.mod, tagged as upstream
 * tags them, so the operator's defaults (its own reloader, the Prometheus and Alertmanager it runs
 * when a resource names no image) are these images.
 */

const GO_HINT = 'install Go 1.26+ or set IOTPIPE_GO to its go binary';

/** The version a go.mod requires of `module`, read synchronously (recipes are built synchronously). */
export function goModRequire(goModText: string, module: string, file: string): string {
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\d\\S*)`, 'm').exec(goModText);
  if (!m?.[1]) throw new Error(`${file} does not require ${module}`);
  return m[1];
}

/** Prometheus 3.x is published to the Go module proxy as v0.3XX.Y: v0.309.1 is release v3.9.1. Pure. */
export function prometheusReleaseOfModule(moduleVersion: string): string {
  const m = /^v0\.3(\d\d)\.(\d+)$/.exec(moduleVersion);
  if (!m?.[1] || !m[2]) throw new Error(`'${moduleVersion}' is not a Prometheus 3 module version (v0.3XX.Y)`);
  return `v3.${Number(m[1])}.${m[2]}`;
}

/**
 * The Prometheus and Alertmanager versions a prometheus-operator release runs by default, from its
 * pkg/operator/defaults.go: the last entry of PrometheusCompatibilityMatrix and
 * DefaultAlertmanagerVersion. Pure.
 */
export function operatorDefaults(defaultsGo: string): { prometheus: string; alertmanager: string } {
  const matrix = /PrometheusCompatibilityMatrix\s*=\s*\[\]string\{([^}]*)\}/.exec(defaultsGo)?.[1];
  const prometheus = [...(matrix ?? '').matchAll(/"(v[^"]+)"/g)].map((m) => m[1]).pop();
  const alertmanager = /DefaultAlertmanagerVersion\s*=\s*"(v[^"]+)"/.exec(defaultsGo)?.[1];
  if (!prometheus || !alertmanager)
    throw new Error('defaults.go names no default Prometheus or Alertmanager version');
  return { prometheus, alertmanager };
}

interface GoTools {
  /** images/<dir>: its go.mod pins the module (tool directives), its Containerfile copies the binaries. */
  readonly dir: string;
  readonly module: string;
  readonly version: string;
  /** Package path -> file name in the build context. */
  readonly tools: Readonly<Record<string, string>>;
  /** The version stamped into github.com/prometheus/common/version (what `--version` prints). */
  readonly stamp: string;
  /** Build tags, as the upstream release builds use them where they matter. */
  readonly tags?: readonly string[];
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/**
 * Builds the tools of one module (static, trimmed, version-stamped) into
 * `<cache>/<dir>-<version>/` once, then copies them into the recipe's work directory (copies:
 * podman's COPY hashes content, so unchanged binaries keep their layers).
 */
async function goToolsContext(env: PrepareEnv, spec: GoTools): Promise<string> {
  const go = loadControlPlaneConfig({ ...process.env, IOTPIPE_ROOT: env.config.repoRoot }).go;
  const moduleDir = join(env.config.repoRoot, 'images', spec.dir);
  const out = join(env.config.cacheDir, `${spec.dir}-${spec.version}`);
  await mkdir(out, { recursive: true });
  for (const [pkg, file] of Object.entries(spec.tools)) {
    const binary = join(out, file);
    if (await isExecutable(binary)) continue;
    await withFileLock(`${binary}.lock`, async () => {
      if (await isExecutable(binary)) return;
      const started = Date.now();
      env.log(`building ${pkg}@${spec.version} from the Go module proxy (once; minutes)`);
      const v = 'github.com/prometheus/common/version';
      const ldflags = ['-s', '-w', `-X ${v}.Version=${spec.stamp}`, `-X ${v}.Revision=${spec.version}`];
      ldflags.push(`-X ${v}.Branch=HEAD`, `-X ${v}.BuildUser=iotpipe`);
      const tmp = `${binary}.tmp-${process.pid}`;
      try {
        await run(
          go,
          [
            'build',
            '-o',
            tmp,
            ...(spec.tags ? ['-tags', spec.tags.join(',')] : []),
            '-ldflags',
            ldflags.join(' '),
            pkg,
          ],
          {
            cwd: moduleDir,
            env: {
              ...process.env,
              CGO_ENABLED: '0',
              GOFLAGS: `${process.env['GOFLAGS'] ?? ''} -trimpath -mod=readonly`.trim(),
            },
            installHint: GO_HINT,
          },
        );
        await rename(tmp, binary);
      } finally {
        await rm(tmp, { force: true });
      }
      env.log(`built ${binary} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    });
  }
  for (const file of Object.values(spec.tools)) await copyFile(join(out, file), join(env.workDir, file));
  return env.workDir;
}

/** The directory of a module version in the Go module cache (downloaded, checked against go.sum). */
async function moduleSource(
  env: Pick<PrepareEnv, 'config'>,
  dir: string,
  module: string,
  version: string,
): Promise<string> {
  const go = loadControlPlaneConfig({ ...process.env, IOTPIPE_ROOT: env.config.repoRoot }).go;
  const { stdout } = await run(go, ['mod', 'download', '-json', `${module}@${version}`], {
    cwd: join(env.config.repoRoot, 'images', dir),
    installHint: GO_HINT,
  });
  return (JSON.parse(stdout) as { Dir: string }).Dir;
}

/** A Kubernetes object as the YAML of an install file holds it. */
export interface InstallObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  subjects?: Array<{ kind: string; namespace?: string }>;
  [k: string]: unknown;
}

/**
 * Upstream's install of an operator, moved into `namespace`: namespaced objects get it, and so do
 * the ServiceAccount subjects of (Cluster)RoleBindings. Cluster-scoped objects keep none. Pure.
 */
export function intoNamespace(objects: readonly InstallObject[], namespace: string): InstallObject[] {
  const clusterScoped = new Set([
    'ClusterRole',
    'ClusterRoleBinding',
    'CustomResourceDefinition',
    'Namespace',
  ]);
  return objects.map((o) => ({
    ...o,
    metadata: clusterScoped.has(o.kind) ? o.metadata : { ...o.metadata, namespace },
    ...(o.subjects
      ? { subjects: o.subjects.map((s) => (s.kind === 'ServiceAccount' ? { ...s, namespace } : s)) }
      : {}),
  }));
}

/**
 * The pinned prometheus-operator's own install, from its module (checked against
 * images/prometheus-operator/go.sum): all its CRDs (example/prometheus-operator-crd) and the
 * operator's ServiceAccount, RBAC, Deployment and Service (example/rbac/prometheus-operator),
 * moved into `namespace`. Its Deployment runs the images `make images` builds under upstream's
 * names. Apply the CRDs first (server-side: they are large).
 */
export async function prometheusOperatorInstall(
  config: ImagesConfig,
  namespace: string,
): Promise<{ crds: InstallObject[]; operator: InstallObject[] }> {
  const versionsFile = join(config.repoRoot, 'local', 'cluster', 'versions.json');
  const version = (JSON.parse(await readFile(versionsFile, 'utf8')) as { prometheusOperator: string })
    .prometheusOperator;
  const src = await moduleSource(
    { config },
    'prometheus-operator',
    'github.com/prometheus-operator/prometheus-operator',
    version,
  );
  const read = async (dir: string): Promise<InstallObject[]> => {
    const files = (await readdir(join(src, dir))).filter((f) => f.endsWith('.yaml')).sort();
    const objects: InstallObject[] = [];
    for (const f of files) {
      for (const doc of parseAllDocuments(await readFile(join(src, dir, f), 'utf8'))) {
        const o = doc.toJS() as InstallObject | null;
        if (o?.kind) objects.push(o);
      }
    }
    return objects;
  };
  const operator = (await read(join('example', 'rbac', 'prometheus-operator'))).filter(
    // Its own ServiceMonitor needs a Prometheus that selects it: ours selects all, so keep it.
    (o) => o.kind !== 'Namespace',
  );
  return {
    crds: await read(join('example', 'prometheus-operator-crd')),
    operator: intoNamespace(operator, namespace),
  };
}

export function monitoringRecipes(config: ImagesConfig): ImageRecipe[] {
  const goMod = (dir: string) => {
    const file = `images/${dir}/go.mod`;
    return { file, text: readFileSync(join(config.repoRoot, file), 'utf8') };
  };
  const versionsFile = join(config.repoRoot, 'local', 'cluster', 'versions.json');
  const operatorVersion = (JSON.parse(readFileSync(versionsFile, 'utf8')) as { prometheusOperator: string })
    .prometheusOperator;
  const operatorModule = 'github.com/prometheus-operator/prometheus-operator';
  const op = goMod('prometheus-operator');
  const pinned = goModRequire(op.text, operatorModule, op.file);
  if (pinned !== operatorVersion) {
    throw new StackError(
      `${op.file} pins ${operatorModule} ${pinned} but local/cluster/versions.json says ${operatorVersion}`,
      `go get -tool ${operatorModule}/cmd/operator@${operatorVersion} (and cmd/prometheus-config-reloader) in images/prometheus-operator`,
    );
  }
  const promMod = goMod('prometheus');
  const prometheusModuleVersion = goModRequire(
    promMod.text,
    'github.com/prometheus/prometheus',
    promMod.file,
  );
  const prometheus = prometheusReleaseOfModule(prometheusModuleVersion);
  const amMod = goMod('alertmanager');
  const alertmanager = goModRequire(amMod.text, 'github.com/prometheus/alertmanager', amMod.file);

  const operatorTools: GoTools = {
    dir: 'prometheus-operator',
    module: operatorModule,
    version: operatorVersion,
    tools: {
      [`${operatorModule}/cmd/operator`]: 'operator',
      [`${operatorModule}/cmd/prometheus-config-reloader`]: 'prometheus-config-reloader',
    },
    // The operator names its reloader image after this (quay.io/.../prometheus-config-reloader:v<it>).
    stamp: operatorVersion.replace(/^v/, ''),
  };
  /** Fails when the operator would run another Prometheus or Alertmanager than the ones built here. */
  const checkDefaults = async (env: PrepareEnv): Promise<void> => {
    const src = await moduleSource(env, 'prometheus-operator', operatorModule, operatorVersion);
    const defaults = operatorDefaults(await readFile(join(src, 'pkg', 'operator', 'defaults.go'), 'utf8'));
    if (defaults.prometheus !== prometheus || defaults.alertmanager !== alertmanager) {
      throw new StackError(
        `prometheus-operator ${operatorVersion} runs Prometheus ${defaults.prometheus} and Alertmanager ${defaults.alertmanager} by default; images/prometheus and images/alertmanager pin ${prometheus} and ${alertmanager}`,
        'pin those versions in images/prometheus/go.mod and images/alertmanager/go.mod (go get -tool ...)',
      );
    }
  };
  const operatorContext = (env: PrepareEnv) => goToolsContext(env, operatorTools);
  const common = { needs: ['debian'], forNode: true } as const;
  return [
    {
      ...common,
      id: 'prometheus-operator',
      ref: `quay.io/prometheus-operator/prometheus-operator:${operatorVersion}`,
      about: `prometheus-operator ${operatorVersion} from the Go module proxy`,
      source: {
        kind: 'containerfile',
        containerfile: 'images/prometheus-operator/Containerfile',
        context: operatorContext,
        target: 'operator',
        buildArgs: { DEBIAN_IMAGE },
        network: 'none',
        buildCa: 'none',
      },
    },
    {
      ...common,
      id: 'prometheus-config-reloader',
      ref: `quay.io/prometheus-operator/prometheus-config-reloader:${operatorVersion}`,
      about: `prometheus-config-reloader ${operatorVersion} from the Go module proxy`,
      source: {
        kind: 'containerfile',
        containerfile: 'images/prometheus-operator/Containerfile',
        context: operatorContext,
        target: 'prometheus-config-reloader',
        buildArgs: { DEBIAN_IMAGE },
        network: 'none',
        buildCa: 'none',
      },
    },
    {
      ...common,
      id: 'prometheus',
      ref: `quay.io/prometheus/prometheus:${prometheus}`,
      about: `Prometheus ${prometheus} (module ${prometheusModuleVersion}) from the Go module proxy, without the web UI`,
      source: {
        kind: 'containerfile',
        containerfile: 'images/prometheus/Containerfile',
        context: async (env) => {
          await checkDefaults(env);
          const dir = await goToolsContext(env, {
            dir: 'prometheus',
            module: 'github.com/prometheus/prometheus',
            version: prometheusModuleVersion,
            tools: {
              'github.com/prometheus/prometheus/cmd/prometheus': 'prometheus',
              'github.com/prometheus/prometheus/cmd/promtool': 'promtool',
            },
            stamp: prometheus.replace(/^v/, ''),
            // Upstream's release builds use the pure-Go resolver (netgo).
            tags: ['netgo'],
          });
          await copyFile(
            join(config.repoRoot, 'images', 'prometheus', 'prometheus.yml'),
            join(dir, 'prometheus.yml'),
          );
          return dir;
        },
        buildArgs: { DEBIAN_IMAGE },
        network: 'none',
        buildCa: 'none',
      },
    },
    {
      ...common,
      id: 'alertmanager',
      ref: `quay.io/prometheus/alertmanager:${alertmanager}`,
      about: `Alertmanager ${alertmanager} from the Go module proxy`,
      source: {
        kind: 'containerfile',
        containerfile: 'images/alertmanager/Containerfile',
        context: async (env) => {
          await checkDefaults(env);
          const dir = await goToolsContext(env, {
            dir: 'alertmanager',
            module: 'github.com/prometheus/alertmanager',
            version: alertmanager,
            tools: {
              'github.com/prometheus/alertmanager/cmd/alertmanager': 'alertmanager',
              'github.com/prometheus/alertmanager/cmd/amtool': 'amtool',
            },
            stamp: alertmanager.replace(/^v/, ''),
            tags: ['netgo'],
          });
          await copyFile(
            join(config.repoRoot, 'images', 'alertmanager', 'alertmanager.yml'),
            join(dir, 'alertmanager.yml'),
          );
          return dir;
        },
        buildArgs: { DEBIAN_IMAGE },
        network: 'none',
        buildCa: 'none',
      },
    },
  ];
}
