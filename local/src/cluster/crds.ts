import { findJava } from '../java.js';
import { access, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  KubernetesObjectApi,
  loadAllYaml,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { StackError } from '../errors.js';
import type { ControlPlaneConfig } from './config.js';
import { run, sleep } from './exec.js';
import { withFileLock } from './lock.js';
import { checkGoModPin, clusterAssetsDir, loadVersions } from './versions.js';

/** The field manager of every server-side apply this package does. */
export const FIELD_MANAGER = 'iotpipe';

/**
 * Strimzi CRDs the platform uses: class in io.strimzi:api -> file name, as in Strimzi's release
 * (its api/pom.xml runs the same generator with the same arguments over the same classes).
 */
const STRIMZI_CRDS: ReadonlyArray<readonly [string, string]> = [
  ['io.strimzi.api.kafka.model.kafka.Kafka', '040-Crd-kafka.yaml'],
  ['io.strimzi.api.kafka.model.topic.KafkaTopic', '043-Crd-kafkatopic.yaml'],
  ['io.strimzi.api.kafka.model.user.KafkaUser', '044-Crd-kafkauser.yaml'],
  ['io.strimzi.api.kafka.model.nodepool.KafkaNodePool', '045-Crd-kafkanodepool.yaml'],
];

/** Prometheus operator CRDs the platform uses, from the module's example/prometheus-operator-crd. */
const PROMETHEUS_OPERATOR_CRDS = [
  'monitoring.coreos.com_servicemonitors.yaml',
  'monitoring.coreos.com_podmonitors.yaml',
  'monitoring.coreos.com_prometheusrules.yaml',
  'monitoring.coreos.com_alertmanagerconfigs.yaml',
];

const MVN_HINT = 'install Maven (apt-get install maven) or set IOTPIPE_MVN';
const GO_HINT = 'install Go 1.26+ or set IOTPIPE_GO';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * The publishers' CRD manifests for Strimzi (kafka.strimzi.io/v1: Kafka, KafkaNodePool,
 * KafkaTopic, KafkaUser) and the Prometheus operator (ServiceMonitor, PodMonitor, PrometheusRule,
 * AlertmanagerConfig), fetched through Maven Central and the Go module proxy at the versions of
 * local/cluster/versions.json and cached; returns the file paths.
 */
export async function platformCrdFiles(
  config: ControlPlaneConfig,
  log: (line: string) => void = () => {},
): Promise<string[]> {
  return [...(await strimziCrdFiles(config, log)), ...(await prometheusOperatorCrdFiles(config))];
}

async function strimziCrdFiles(config: ControlPlaneConfig, log: (line: string) => void): Promise<string[]> {
  const { strimzi, javaForStrimzi } = await loadVersions(config.repoRoot);
  const outDir = join(config.cacheDir, `strimzi-crds-${strimzi}`);
  const files = STRIMZI_CRDS.map(([, file]) => join(outDir, file));
  if ((await Promise.all(files.map(exists))).every(Boolean)) return files;
  await mkdir(config.cacheDir, { recursive: true });
  return withFileLock(`${outDir}.lock`, async () => {
    if ((await Promise.all(files.map(exists))).every(Boolean)) return files;
    const java = config.java ?? (await findJava(javaForStrimzi, config.cacheDir, 'IOTPIPE_JAVA'));
    const libDir = join(config.cacheDir, `strimzi-${strimzi}-lib`);
    log(`fetching io.strimzi:api and io.strimzi:crd-generator ${strimzi} from Maven Central`);
    await run(
      config.mvn,
      [
        '-B',
        '-q',
        '-f',
        join(clusterAssetsDir(config.repoRoot), 'strimzi', 'pom.xml'),
        `-Dstrimzi.version=${strimzi}`,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${libDir}`,
      ],
      { installHint: MVN_HINT },
    );
    const tmp = `${outDir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    log(`generating Strimzi ${strimzi} CRDs with its crd-generator`);
    await run(
      java,
      [
        '-cp',
        `${libDir}/*`,
        'io.strimzi.crdgenerator.CrdGenerator',
        '--label',
        'app:strimzi',
        '--label',
        'strimzi.io/crd-install:true',
        '--target-kube',
        '1.16+',
        '--crd-api-version',
        'v1',
        '--api-versions',
        'v1',
        '--storage-version',
        'v1',
        '--yaml',
        ...STRIMZI_CRDS.map(([cls, file]) => `${cls}=${join(tmp, file)}`),
      ],
      { installHint: `install Java ${javaForStrimzi}+ or set IOTPIPE_JAVA` },
    );
    await rm(outDir, { recursive: true, force: true });
    await rename(tmp, outDir);
    return files;
  });
}

async function prometheusOperatorCrdFiles(config: ControlPlaneConfig): Promise<string[]> {
  const { prometheusOperator } = await loadVersions(config.repoRoot);
  const moduleDir = join(clusterAssetsDir(config.repoRoot), 'crds');
  const module = 'github.com/prometheus-operator/prometheus-operator';
  await checkGoModPin(join(moduleDir, 'go.mod'), module, prometheusOperator);
  // Verified against go.sum; a no-op when the module cache has it.
  const { stdout } = await run(config.go, ['mod', 'download', '-json', module], {
    cwd: moduleDir,
    env: { ...process.env, GOFLAGS: '-mod=readonly' },
    installHint: GO_HINT,
  });
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (info.Dir === undefined) {
    throw new StackError(
      `go mod download ${module}@${prometheusOperator} gave no directory: ${info.Error ?? stdout}`,
      'check that the Go module proxy is reachable (GOPROXY)',
    );
  }
  const crdDir = join(info.Dir, 'example', 'prometheus-operator-crd');
  const present = new Set(await readdir(crdDir).catch(() => []));
  const missing = PROMETHEUS_OPERATOR_CRDS.filter((f) => !present.has(f));
  if (missing.length > 0) {
    throw new StackError(
      `${crdDir} lacks ${missing.join(', ')}`,
      `pick a prometheus-operator version that ships them in local/cluster/versions.json`,
    );
  }
  return PROMETHEUS_OPERATOR_CRDS.map((f) => join(crdDir, f));
}

/** Reads CustomResourceDefinition documents from YAML files (other kinds are an error). */
export async function readCrds(files: readonly string[]): Promise<V1CustomResourceDefinition[]> {
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((err: Error) => {
      throw new StackError(
        `cannot read CRD file ${file}: ${err.message}`,
        'check the path passed to installCrds',
      );
    });
    let docs: unknown[];
    try {
      // client-node's loader turns JSON names like x-kubernetes-int-or-string into its model's
      // property names; its serializer maps them back. Plain YAML objects would lose them.
      docs = loadAllYaml(text) as unknown[];
    } catch (err) {
      throw new StackError(`${file}: ${(err as Error).message}`, 'fix the YAML');
    }
    for (const doc of docs) {
      const obj = doc as KubernetesObject | null;
      if (obj === null || obj === undefined) continue;
      if (obj.kind !== 'CustomResourceDefinition' || obj.apiVersion !== 'apiextensions.k8s.io/v1') {
        throw new StackError(
          `${file} holds a ${obj.apiVersion}/${obj.kind}, not an apiextensions.k8s.io/v1 CustomResourceDefinition`,
          'pass only CRD files',
        );
      }
      crds.push(obj as V1CustomResourceDefinition);
    }
  }
  return crds;
}

export interface InstallCrdsOptions {
  /** More CRD files, e.g. our own IoTPipeline CRD (operator/src/crd). */
  readonly extraFiles?: readonly string[];
  readonly timeoutMs?: number;
}

/**
 * Server-side applies CRDs (field manager "iotpipe", conflicts forced) and waits until each is
 * Established; idempotent. Returns the CRD names.
 */
export async function installCrds(
  kc: KubeConfig,
  files: readonly string[],
  options: InstallCrdsOptions = {},
): Promise<string[]> {
  const crds = await readCrds([...files, ...(options.extraFiles ?? [])]);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  for (const crd of crds) {
    // The status the generators put into some files is not ours to apply.
    const { status: _status, ...body } = crd;
    await objects.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }
  const names = crds.map((c) => c.metadata?.name ?? '');
  await waitCrdsEstablished(kc, names, options.timeoutMs);
  return names;
}

/**
 * Waits until every named CRD (every CRD of the API server when `names` is undefined) has the
 * condition Established=True. A CRD just applied has no status for a moment, so it is polled
 * rather than given to `kubectl wait`, which fails on an object without conditions. Throws
 * naming each CRD still not Established at the deadline, with its conditions.
 */
export async function waitCrdsEstablished(
  kc: KubeConfig,
  names?: readonly string[],
  timeoutMs = 60_000,
): Promise<string[]> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crds =
      names === undefined
        ? (await ext.listCustomResourceDefinition()).items
        : await Promise.all(names.map((name) => ext.readCustomResourceDefinition({ name })));
    const pending = crds.filter(
      (c) => c.status?.conditions?.find((x) => x.type === 'Established')?.status !== 'True',
    );
    if (pending.length === 0) return crds.map((c) => c.metadata?.name ?? '');
    if (Date.now() > deadline) {
      const what = pending.map((c) => `${c.metadata?.name}: ${JSON.stringify(c.status?.conditions ?? [])}`);
      throw new StackError(
        `CRDs not Established after ${timeoutMs / 1000} s: ${what.join('; ')}`,
        'check the kube-apiserver log',
      );
    }
    await sleep(200);
  }
}
