import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackConfig } from './config.js';
import { VERSIONS } from './config.js';
import { StackError } from './errors.js';
import { run, which } from './proc.js';

/** IOTPIPE_MAVEN_ARGS: extra Maven arguments, e.g. `-s mirror-settings.xml` for a company mirror. */
function mavenExtraArgs(): string[] {
  return (process.env.IOTPIPE_MAVEN_ARGS ?? '').split(/\s+/).filter(Boolean);
}

/** A cache entry's name follows its Maven descriptor, so editing the pom fetches anew. */
function descriptorHash(c: StackConfig, name: string): string {
  const pom = readFileSync(join(c.repoRoot, 'local', 'maven', name, 'pom.xml'));
  return createHash('sha256').update(pom).digest('hex').slice(0, 10);
}

/** Where the pinned downloads land in the cache; filled once by Maven, reused after. */
export function artifactPaths(c: StackConfig) {
  const kafkaHome = join(c.cacheDir, `kafka-${VERSIONS.kafka}-${descriptorHash(c, 'kafka')}`);
  const apicurioHome = join(c.cacheDir, `apicurio-${VERSIONS.apicurio}-${descriptorHash(c, 'apicurio')}`);
  return {
    kafkaLibs: join(kafkaHome, 'libs'),
    jmxAgent: join(kafkaHome, 'libs', `jmx_prometheus_javaagent-${VERSIONS.jmxExporter}.jar`),
    apicurioHome,
    apicurioRunner: join(apicurioHome, 'quarkus-run.jar'),
  };
}

/**
 * Resolves the stack's Java artifacts from Maven Central through the pinned descriptors in
 * local/maven. Each lands in a temporary directory first and is renamed into place, so an
 * interrupted download never leaves a half-filled cache entry that looks complete.
 */
export async function fetchArtifacts(c: StackConfig, log: (line: string) => void): Promise<void> {
  const paths = artifactPaths(c);
  const need: Array<{ what: string; done: string; target: string; pom: string; goal: string[] }> = [];
  if (!existsSync(paths.jmxAgent)) {
    need.push({
      what: `Kafka ${VERSIONS.kafka} + JMX exporter ${VERSIONS.jmxExporter}`,
      done: paths.jmxAgent,
      target: paths.kafkaLibs,
      pom: join(c.repoRoot, 'local', 'maven', 'kafka', 'pom.xml'),
      goal: ['dependency:copy-dependencies'],
    });
  }
  if (!existsSync(paths.apicurioRunner)) {
    need.push({
      what: `Apicurio Registry ${VERSIONS.apicurio}`,
      done: paths.apicurioRunner,
      target: paths.apicurioHome,
      pom: join(c.repoRoot, 'local', 'maven', 'apicurio', 'pom.xml'),
      goal: ['dependency:unpack-dependencies'],
    });
  }
  if (need.length === 0) return;
  const mvn = await which('mvn');
  if (!mvn)
    throw new StackError('Maven (mvn) is not installed', 'run `make deps` (installs Debian package maven)');
  for (const item of need) {
    log(`fetching ${item.what} from Maven Central (once; cached in ${c.cacheDir})`);
    const tmp = `${item.target}.partial`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    // The plugin's markers go to the temporary directory too, else a second fetch into an
    // emptied cache believes it is already done.
    const res = await run(mvn, [
      '-B',
      '-q',
      '-Dstyle.color=never',
      ...mavenExtraArgs(),
      '-f',
      item.pom,
      ...item.goal,
      `-DoutputDirectory=${tmp}`,
      `-DmarkersDirectory=${tmp}.markers`,
    ]);
    await rm(`${tmp}.markers`, { recursive: true, force: true });
    if (res.code !== 0) {
      const reason = (res.stdout + res.stderr)
        .split('\n')
        .find((l) => l.includes('[ERROR]'))
        ?.trim();
      throw new StackError(
        `downloading ${item.what} failed: ${reason ?? `mvn exited ${res.code}`}`,
        'check that Maven Central is reachable (mvn -B dependency:get -Dartifact=junit:junit:4.13.2) and retry',
      );
    }
    await rm(item.target, { recursive: true, force: true });
    await mkdir(join(item.target, '..'), { recursive: true });
    await rename(tmp, item.target);
  }
}
